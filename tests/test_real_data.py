"""Real CSV files through the batch, as an analyst brings them: text categories, missing values, a
name column, a ';' file with a numeric code declared categorical, a text target, the row index that
``DataFrame.to_csv()`` writes. No editing, and importance per variable the analyst recognises
(``species``, never ``species=Gentoo``).
"""
import html
import json

import pandas as pd
import pytest

from conftest import KIT_ROOT, run_batch_command

CONFIG = """\
notebook: {notebook}
parameters:
  epochs: 120
  measures: [garson, olden, permutation, shapley]
runs:
  - {{dataset: {data}/penguins.csv, target: body_mass_g}}
  - {{dataset: {data}/penguins.csv, target: sex, missing: impute}}
  - {{dataset: {data}/penguins.csv, target: species, positive: Adelie}}
  - {{dataset: {tests}/statecrime.csv, target: violent}}
  - {{dataset: {tests}/grunfeld.csv, target: invest}}
  - {{dataset: {tests}/modechoice.csv, target: choice, categorical: [mode], exclude: [individual]}}
  - {{dataset: {tests}/fertility.csv, target: "2010"}}
"""

PENGUIN_INPUTS = ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "sex", "year"]
EXPECTED = {
    "dataset-penguins_target-body_mass_g": PENGUIN_INPUTS,
    "dataset-penguins_target-sex_missing-impute": [v for v in PENGUIN_INPUTS if v != "sex"] + ["body_mass_g"],
    "dataset-penguins_target-species_positive-Adelie": [v for v in PENGUIN_INPUTS if v != "species"] + ["body_mass_g"],
    "dataset-statecrime_target-violent": ["murder", "hs_grad", "poverty", "single", "white", "urban"],
    "dataset-grunfeld_target-invest": ["value", "capital", "firm", "year"],
    "dataset-modechoice_target-choice_categorical-mode_exclude-individual": ["mode", "ttme", "invc", "invt", "gc", "hinc", "psize"],
    "dataset-fertility_target-2010": ["1960", "1970", "1980", "1990", "2000"],   # years: names that are numbers
}


@pytest.fixture(scope="module")
def real_batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real")
    config = folder / "real.yaml"
    config.write_text(CONFIG.format(notebook=KIT_ROOT / "notebooks" / "report.ipynb", data=KIT_ROOT / "data",
                                    tests=KIT_ROOT / "tests" / "data"))
    result = run_batch_command(config, folder / "out", "--jobs", "2", timeout=600)
    return folder / "out", result


def test_every_real_csv_gives_a_report_with_no_editing(real_batch):
    out, result = real_batch
    assert result.returncode == 0, result.stdout + result.stderr
    for run_id in EXPECTED:
        assert json.loads((out / "runs" / run_id / "status.json").read_text())["status"] == "ok"


@pytest.mark.parametrize("run_id", sorted(EXPECTED))
def test_importance_is_per_original_variable(real_batch, run_id):
    out, _ = real_batch
    table = pd.read_csv(out / "runs" / run_id / "importance.csv", dtype={"feature": str})
    for method, part in table.groupby("method"):
        assert sorted(part["feature"]) == sorted(EXPECTED[run_id]), (method, list(part["feature"]))
    assert not table["feature"].str.contains("=").any()  # no level of a category as an input
    has_categories = any(v in EXPECTED[run_id] for v in ("species", "island", "sex", "firm", "mode"))
    # Olden's signed sum means nothing for a category's levels: skipped, and the report says why
    assert ("olden" in set(table["method"])) == (not has_categories)
    page = (out / "runs" / run_id / "report.html").read_text()
    if has_categories:
        assert "olden was skipped" in page


def test_the_report_says_what_the_data_step_did(real_batch):
    out, _ = real_batch
    page = (out / "runs" / "dataset-penguins_target-body_mass_g" / "report.html").read_text()
    assert "dropped 2 row(s) whose target" in page and "missing most: sex" in page
    species = (out / "runs" / "dataset-penguins_target-species_positive-Adelie" / "report.html").read_text()
    assert "Adelie" in species and "is 1" in species
    crime = (out / "runs" / "dataset-statecrime_target-violent" / "report.html").read_text()
    assert "state" in crime and "left out" in crime  # a name column is not an input
    fertility = html.unescape((out / "runs" / "dataset-fertility_target-2010" / "report.html").read_text())
    assert "left out 'Unnamed: 0': a row index" in fertility    # the index that DataFrame.to_csv() writes
    assert "dropped 15 row(s) whose target" in fertility
    assert "dropped 11 of 204 row(s) with a missing input" in fertility
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["feature"].dropna()) >= {"species", "island", "firm", "mode"}

"""The batch runner, end to end: python -m helpers.batch as a user runs it.

The small batch (two good runs, one bad CSV) is run once per session by the ``small_batch``
fixture in conftest.py and shared with the browser test.
"""
import json
import re

import pandas as pd
import pytest

from conftest import KIT_ROOT, run_batch_command

GOOD = ["dataset-friedman1_seed-0", "dataset-friedman1_seed-1"]
BAD = "dataset-bad_target-y"


def test_a_failed_run_fails_the_batch_and_the_others_finish(small_batch):
    result = small_batch.result
    assert result.returncode == 1, result.stdout + result.stderr
    runs = small_batch.out / "runs"
    for run_id in GOOD:
        status = json.loads((runs / run_id / "status.json").read_text())
        assert status["status"] == "ok", status
        assert status["duration"] > 0
        for name in ("report.html", "importance.csv", "params.json", "report.ipynb", "agreement.csv"):
            assert (runs / run_id / name).is_file(), f"{run_id}/{name} missing"
        assert json.loads((runs / run_id / "params.json").read_text())["seed"] == int(run_id[-1])
    bad = json.loads((runs / BAD / "status.json").read_text())
    assert bad["status"] == "failed"
    assert "ValueError" in bad["error"] and "'flow'" in bad["error"], bad["error"]
    # one line per finished run, with its status and time
    for run_id in GOOD:
        assert re.search(rf"^ok\s+{run_id} \(\d+\.\d s\)$", result.stdout, re.M), result.stdout
    assert re.search(rf"^failed\s+{BAD} \(.*'flow'", result.stdout, re.M), result.stdout
    # nothing half-written is left behind
    assert not list(runs.glob(".*"))


def test_reports_hide_code_and_name_no_machine_path(small_batch):
    page = (small_batch.out / "runs" / GOOD[0] / "report.html").read_text()
    assert "data:image/png;base64," in page
    assert 'class="jp-CodeMirrorEditor' not in page and "check_measures" not in page  # code hidden
    assert "<script src=" not in page  # nothing loaded from the web
    for name in ("report.html", "report.ipynb", "status.json", "params.json"):
        for run_id in (*GOOD, BAD):
            text = (small_batch.out / "runs" / run_id / name).read_text()
            assert str(small_batch.folder) not in text, f"{run_id}/{name} names the machine's path"
            assert str(KIT_ROOT) not in text, f"{run_id}/{name} names the machine's path"


def test_summary_has_every_run_measure_and_feature(small_batch):
    summary = pd.read_csv(small_batch.out / "summary.csv")
    assert {"run_id", "status", "dataset", "seed", "epochs", "method", "feature", "importance", "std"} <= set(summary)
    good = summary[summary["run_id"].isin(GOOD)]
    assert (good["status"] == "ok").all()
    assert set(good["method"]) == {"weight_sum", "gradient", "permutation"}
    assert good.groupby("run_id").size().to_dict() == {r: 3 * 10 for r in GOOD}
    assert good["importance"].notna().all()
    assert summary.loc[summary["run_id"] == BAD, "status"].tolist() == ["failed"]


def test_index_lists_runs_message_and_figures(small_batch):
    page = (small_batch.out / "index.html").read_text()
    for run_id in (*GOOD, BAD):
        assert f'href="runs/{run_id}/report.html"' in page
    assert "flow" in page and "oops" in page  # the data validation's message for the bad run
    assert page.count("data:image/png;base64,") >= 2  # importance over seeds, agreement with the truth
    assert "<script" not in page and str(small_batch.folder) not in page


def test_a_second_call_skips_finished_runs(small_batch):
    runs = small_batch.out / "runs"
    before = {r: (runs / r / "status.json").stat().st_mtime_ns for r in GOOD}
    again = run_batch_command(small_batch.config, small_batch.out, "--jobs", "2")
    assert again.returncode == 1
    for run_id in GOOD:
        assert re.search(rf"^skipped\s+{run_id}\b", again.stdout, re.M), again.stdout
        assert (runs / run_id / "status.json").stat().st_mtime_ns == before[run_id]
    assert re.search(rf"^failed\s+{BAD}\b", again.stdout, re.M)  # a failed run is tried again


@pytest.mark.parametrize("body, key", [
    ("grid:\n  dataset: [friedman1]\n  epoch: [10]\n", "epoch"),
    ("parameters:\n  epochs: ten\ngrid:\n  seed: [0]\n", "epochs"),
    ("grid:\n  seed: [0, 1.5]\n", "seed"),
    ("grid: {}\n", "grid"),
    ("grid:\n  seed: []\n", "seed"),
    ("notebook: missing.ipynb\ngrid:\n  seed: [0]\n", "missing.ipynb"),
    ("- dataset: friedman1\n", "mapping"),
    ("grids:\n  seed: [0]\n", "grids"),
    ("parameters:\n  measures: [gradient, shapely]\ngrid:\n  seed: [0]\n", "shapely"),
], ids=["unknown-parameter", "wrong-type", "float-for-int", "empty-grid", "empty-values",
        "missing-notebook", "not-a-mapping", "unknown-top-level-key", "unknown-measure"])
def test_a_bad_config_exits_2_naming_the_key(tmp_path, capsys, body, key):
    """In-process (the command's own main), so each case costs no interpreter start."""
    from helpers.batch import main
    config = tmp_path / "bad.yaml"
    config.write_text(body)
    status = main([str(config), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert key in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()  # checked before anything runs


def test_a_bad_config_as_a_user_runs_it(tmp_path):
    """The same through ``python -m helpers.batch``: exit status 2, the key on stderr, no traceback."""
    config = tmp_path / "bad.yaml"
    config.write_text("parameters:\n  measures: [gradient, shapely]\ngrid:\n  seed: [0]\n")
    result = run_batch_command(config, tmp_path / "out", timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'shapely'" in result.stderr and "did you mean 'shapley'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_each_run_has_a_verdict_and_the_index_says_what_matters(small_batch):
    """verdict.csv per run (feature, verdict, importance, low, high, rank, group), the same rows
    in the batch's verdict.csv, and the index names the inputs that matter in each run."""
    columns = ["feature", "verdict", "importance", "low", "high", "rank", "group"]
    for run_id in GOOD:
        verdict = pd.read_csv(small_batch.out / "runs" / run_id / "verdict.csv")
        assert list(verdict.columns) == columns
        assert set(verdict["verdict"]) <= {"matters", "does not matter", "unclear"}
        assert (verdict["low"] <= verdict["importance"]).all() and (verdict["importance"] <= verdict["high"]).all()
        assert sorted(verdict["rank"]) == list(range(1, 11))
        groups = pd.read_csv(small_batch.out / "runs" / run_id / "groups.csv")   # correlated groups, judged whole
        assert list(groups.columns) == ["group", "verdict", "importance", "low", "high", "together_only"]
        # friedman1's x4, the strongest input, matters even in this quick run; its noise inputs never do
        assert verdict.set_index("feature").loc["x4", "verdict"] == "matters"
        assert not (verdict.set_index("feature").loc[["x6", "x7", "x8", "x9", "x10"], "verdict"] == "matters").any()
    everything = pd.read_csv(small_batch.out / "verdict.csv")
    assert set(everything["run_id"]) == set(GOOD) and len(everything) == 2 * 10
    page = (small_batch.out / "index.html").read_text()
    assert "inputs that matter" in page and 'href="verdict.csv"' in page
    assert re.search(r"<td>x4(, x\d+)*</td>|<td>(x\d+, )+x4(, x\d+)*</td>", page), "the index names what matters"
    # and each run's held-out fit, the net's beside the linear model's, as its fit.csv holds them
    for run_id in GOOD:
        fit = pd.read_csv(small_batch.out / "runs" / run_id / "fit.csv", keep_default_na=False).set_index("model")
        assert list(fit.index) == ["net", "linear", "constant"] and set(fit["metric"]) == {"R^2"}
        assert fit.loc["net", "held_out"] > 0.3 and abs(float(fit.loc["constant", "held_out"])) < 0.1
        cell = f"<td>R^2 {fit.loc['net', 'held_out']:.2f} (linear {float(fit.loc['linear', 'held_out']):.2f})"
        assert cell in page, cell


def test_a_model_that_does_not_fit_the_data_is_refused_before_any_run(tmp_path, capsys):
    """A brought model with 3 inputs for a CSV of 4 columns, and a pickled module: both found by
    reading the data and the model the way the run would, before anything runs (exit 2)."""
    import numpy as np
    import torch

    from helpers.batch import main

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 4)), columns=["a", "b", "c", "d"]).assign(y=rng.normal(size=60))
    frame.to_csv(tmp_path / "data.csv", index=False)
    np.savez(tmp_path / "three.npz", W1=rng.normal(size=(3, 5)), b1=np.zeros(5), W2=rng.normal(size=(5, 1)),
             b2=np.zeros(1))
    torch.save(torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1)),
               tmp_path / "whole.pt")
    np.savez(tmp_path / "four.npz", W1=rng.normal(size=(4, 5)), b1=np.zeros(5), W2=rng.normal(size=(5, 1)),
             b2=np.zeros(1))
    config = tmp_path / "batch.yaml"
    config.write_text("parameters:\n  dataset: data.csv\n  target: y\n  measures: [gradient]\n"
                      "grid:\n  model: [three.npz, whole.pt, four.npz]\n")
    status = main([str(config), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert "three.npz has 3 inputs but the data has 4" in err, err
    assert "whole.pt holds a pickled" in err and "torch.jit.script" in err, err
    assert "four" not in err, err  # the model that fits is no problem
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # checked before anything runs


def test_a_csv_name_that_is_not_in_the_file_is_refused_before_any_run(tmp_path, capsys):
    """A misspelt target and feature, and a separator that does not fit: found by reading the CSV
    the way the run would, before anything runs, each naming its run and the name; listed together
    with a bad value of another run (the checks of values and of files are one report)."""
    from helpers.batch import main

    pd.DataFrame({"temp": [1.0, 2, 3, 4] * 15, "load": [0.5, 1, 2, 3] * 15, "yield": range(60)}).to_csv(
        tmp_path / "plant.csv", index=False)
    config = tmp_path / "batch.yaml"
    config.write_text("parameters:\n  dataset: plant.csv\n  measures: [gradient]\n"
                      "runs:\n  - {target: yeild}\n  - {target: yield, features: [temp, lod]}\n"
                      "  - {target: yield, sep: ';'}\n  - {target: yield, activation: gelu}\n"
                      "  - {target: yield, features: [tmp], lr: .nan}\n")
    status = main([str(config), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert "'yeild'" in err and "did you mean 'yield'" in err, err
    assert "'lod'" in err and "did you mean 'load'" in err, err
    assert err.count("run ") >= 3, err
    assert "activation: 'gelu'" in err, err   # a bad value and the files' problems, all at once
    assert "lr: must be" in err and "'tmp'" in err, err  # both of one run's, when the bad value is not read
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_empty_out_is_refused(tmp_path, capsys, monkeypatch):
    from helpers.batch import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "batch.yaml").write_text("grid:\n  seed: [0]\n")
    assert main([str(tmp_path / "batch.yaml"), "--out", ""]) == 2
    assert "--out" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.yaml"]

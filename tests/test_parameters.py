"""helpers.parameters: the one definition of what the report notebook accepts, shared by the
notebook and the batch runner."""
import math

import pytest
import yaml

from helpers import data as data_module
from helpers import model as model_module
from helpers.notebook_runner import KIT_ROOT, notebook_parameters
from helpers.parameters import PARAMETERS, check_report_parameters, validate_report_parameters

REPORT = KIT_ROOT / "notebooks" / "report.ipynb"

# (key, a bad value, a piece of the message): every value here passed the batch's config check
# (the notebook's types) or would have, and failed later inside a kernel.
BAD = [
    ("activation", "gelu", "'gelu' is not one of 'tanh', 'sigmoid', 'relu'"),
    ("task", "classification", "'classification' is not one of 'regression', 'binary'"),
    ("epochs", -5, "must be an integer from 1 to 100000, got int -5"),
    ("epochs", "1e29", "must be an integer from 1 to 100000, got str '1e29'"),
    ("epochs", 1e29, "got float 1e+29"),
    ("epochs", True, "got bool True"),
    ("seeds", 0, "must be an integer from 1 to 100"),
    ("n_hidden", 0, "must be an integer from 1 to 10000"),
    ("lr", -0.1, "must be a finite number greater than 0 and at most 10, got float -0.1"),
    ("lr", math.nan, "got float nan"),
    ("lr", math.inf, "got float inf"),
    ("lr", 0, "got int 0"),
    ("seed", -1, "must be an integer from 0 to 4294967295"),
    ("seed", 2**32, "got int 4294967296"),
    ("n_samples", 5, "must be 0 (the data set's default) or an integer from 20 to 100000000"),
    ("n_repeats", 0, "must be an integer from 1 to 1000"),
    ("measures", [], "is empty"),
    ("measures", ["gradient", "garsn"], "unknown measure 'garsn'; did you mean 'garson'?"),
    ("measures", "gradient", "must be a list of measure names, got str 'gradient'"),
    ("model_inputs", "scaled", "'scaled' is not one of 'standardized', 'raw'"),
    ("target", 3, "must be text"),
    ("dataset", "friedman", "'friedman' is not a built-in data set (friedman1, friedman1_binary"),
    ("dataset", "", "must be a built-in data set"),
    ("dataset", "data/no-such.csv", "no such file 'data/no-such.csv' (resolved to "),
    ("model", "models/no-such.pt", "no such file 'models/no-such.pt' (resolved to "),
    ("model", 0, "must be the path of a model file"),
]


@pytest.mark.parametrize("key, value, message", BAD, ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_every_bad_value_gives_one_message_naming_its_key(key, value, message, tmp_path):
    problems = check_report_parameters({key: value}, base_dir=tmp_path)
    assert len(problems) == 1 and problems[0].startswith(f"{key}: "), problems
    assert message in problems[0]
    with pytest.raises(ValueError, match=f"^{key}: "):
        validate_report_parameters({key: value}, base_dir=tmp_path)


def test_the_batch_type_check_let_these_through_and_the_rules_catch_them(tmp_path):
    """Before this module, a batch checked only the types of the notebook's defaults: every value
    below passed, and failed later in a kernel. Each is now a message."""
    params = notebook_parameters(REPORT)
    let_through = [(k, v) for k, v, _ in BAD if params[k].accepts(v)]
    assert {k for k, _ in let_through} >= {"activation", "task", "epochs", "seeds", "n_hidden", "lr",
                                           "dataset", "model"}
    for key, value in let_through:
        assert check_report_parameters({key: value}, base_dir=tmp_path), (key, value)


def test_all_problems_of_a_yaml_config_at_once_in_the_notebooks_order(tmp_path):
    values = yaml.safe_load("""
        dataset: friedmann1
        task: classification
        seeds: 0
        n_hidden: 0
        activation: gelu
        epochs: 1e29
        lr: .nan
        n_repeats: yes
        model: nets/mine.pt
        target: y
        seed: 3
    """)
    assert values["epochs"] == "1e29" and values["n_repeats"] is True  # what YAML makes of them
    problems = check_report_parameters(values, base_dir=tmp_path)
    keys = [p.split(":")[0] for p in problems]
    assert keys == ["dataset", "task", "seeds", "n_hidden", "activation", "epochs", "lr", "n_repeats", "model"]
    assert "did you mean 'friedman1'?" in problems[0]
    assert f"(resolved to {tmp_path / 'nets' / 'mine.pt'})" in problems[-1]
    with pytest.raises(ValueError) as err:
        validate_report_parameters(values, base_dir=tmp_path)
    assert str(err.value).splitlines() == problems
    assert yaml.safe_load("epochs: 1.0e+29")["epochs"] == 1e29  # a huge float is refused as well
    assert check_report_parameters(yaml.safe_load("epochs: 1.0e+29"))[0].startswith("epochs: ")


def test_the_report_notebooks_defaults_pass():
    defaults = {name: p.default for name, p in notebook_parameters(REPORT).items()}
    assert check_report_parameters(defaults) == []
    validate_report_parameters(defaults)


def test_the_table_covers_exactly_the_notebooks_parameters():
    assert set(PARAMETERS) == set(notebook_parameters(REPORT))


def test_relative_files_resolve_against_base_dir(tmp_path, monkeypatch):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "data.csv").write_text("x,y\n1,2\n")
    (tmp_path / "inputs" / "net.pt").write_bytes(b"")
    files = {"dataset": "inputs/data.csv", "model": "inputs/net.pt"}
    assert check_report_parameters(files, base_dir=tmp_path) == []
    elsewhere = tmp_path / "elsewhere"
    problems = check_report_parameters(files, base_dir=elsewhere)
    assert problems == [f"dataset: no such file 'inputs/data.csv' (resolved to {elsewhere / 'inputs' / 'data.csv'})",
                        f"model: no such file 'inputs/net.pt' (resolved to {elsewhere / 'inputs' / 'net.pt'})"]
    absolute = {k: str(tmp_path / v) for k, v in files.items()}
    assert check_report_parameters(absolute, base_dir=elsewhere) == []
    monkeypatch.chdir(tmp_path)  # without base_dir: the current folder
    assert check_report_parameters(files) == []
    assert check_report_parameters({"dataset": "inputs"}) == [
        f"dataset: 'inputs' is a folder, not a file (resolved to {tmp_path / 'inputs'})"]


def test_a_file_named_like_a_builtin_is_a_file_and_a_builtin_needs_no_file(tmp_path):
    (tmp_path / "mydata").write_text("x,y\n")  # load_dataset reads a file without a suffix too
    assert check_report_parameters({"dataset": "mydata"}, base_dir=tmp_path) == []
    assert check_report_parameters({"dataset": "diabetes"}, base_dir=tmp_path) == []
    problem, = check_report_parameters({"dataset": "Diabetes"}, base_dir=tmp_path)
    assert "built-in data set" in problem and "did you mean 'diabetes'?" in problem


def test_the_choices_are_read_from_the_kits_registries(monkeypatch):
    assert check_report_parameters({"activation": "softplus", "dataset": "mine"})
    monkeypatch.setitem(model_module.ACTIVATIONS, "softplus", None)
    monkeypatch.setitem(data_module.DATASETS, "mine", None)
    assert check_report_parameters({"activation": "softplus", "dataset": "mine"}) == []


def test_unknown_keys_are_left_to_the_batch_and_messages_are_not_repeated(tmp_path):
    assert check_report_parameters({"colour": "red", "epochs": 10}) == []
    problems = check_report_parameters({"epochs": 0, "n_hidden": 0, "seeds": 0}, base_dir=tmp_path)
    assert len(problems) == len(set(problems)) == 3
    with pytest.raises(ValueError, match="mapping"):
        check_report_parameters([("epochs", 10)])


def test_good_values_of_every_kind_pass(tmp_path):
    import numpy as np
    good = {"dataset": "friedman1_binary", "target": "", "task": "", "n_samples": 0, "seed": 2**32 - 1,
            "seeds": 100, "n_hidden": np.int64(10_000), "activation": "relu", "epochs": 100_000, "lr": 10,
            "measures": ("gradient", "shapley"), "n_repeats": 1, "model": "", "model_inputs": "raw"}
    assert check_report_parameters(good, base_dir=tmp_path) == []
    assert check_report_parameters({"task": "binary", "n_samples": 20, "lr": 1e-6}) == []

"""Tests of helpers.data: built-in data sets and their truth, the diabetes copy, splits,
standardising, and a clear error for every kind of bad CSV."""
import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes as sk_load_diabetes
from sklearn.datasets import make_friedman1 as sk_make_friedman1

from helpers.data import (DATA_DIR, DATASETS, Dataset, Standardizer, _example_frame, friedman1_signal,
                          list_datasets, load_dataset, standardize)

SYNTHETIC = ["friedman1", "friedman1_binary", "linear", "correlated", "scales"]


# ---------------------------------------------------------------- built-ins
def test_list_datasets_matches_registry():
    assert list_datasets() == list(DATASETS)
    assert set(SYNTHETIC) | {"diabetes"} == set(list_datasets())


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_builtin_has_ten_inputs_and_a_docstring(name):
    data = load_dataset(name)
    assert data.X.shape == (data.n, 10) and data.d == 10
    assert data.X.dtype == np.float64 and data.y.shape == (data.n,)
    assert len(data.feature_names) == 10 and data.name == name
    assert data.description and DATASETS[name].__doc__ and "teaches" in DATASETS[name].__doc__
    if data.true_importance is not None:
        assert list(data.true_importance.index) == data.feature_names
    frame = data.to_frame()
    assert list(frame.columns) == data.feature_names + [data.target_name]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_default_size_and_n_samples(name):
    assert load_dataset(name).n == 1000
    assert load_dataset(name, n_samples=37).n == 37


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_seed_same_bits_other_seed_differs(name):
    kwargs = {"n_samples": 100} if name == "diabetes" else {}
    a = load_dataset(name, seed=3, **kwargs)
    b = load_dataset(name, seed=3, **kwargs)
    c = load_dataset(name, seed=4, **kwargs)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


def test_friedman1_truth():
    truth = load_dataset("friedman1").true_importance
    assert (truth[[f"x{i}" for i in range(6, 11)]] == 0).all()
    assert truth["x4"] > truth["x5"] > 0
    assert truth["x4"] == pytest.approx(10 / np.sqrt(12))
    assert truth["x5"] == pytest.approx(5 / np.sqrt(12))
    assert truth["x3"] == pytest.approx(20 / np.sqrt(180))
    assert truth["x1"] == truth["x2"] == pytest.approx(2.168225, abs=1e-6)


def test_friedman1_interaction_truth_matches_monte_carlo():
    """The quadrature value for x1 against a brute-force estimate of std(E[10 sin(pi x1 x2) | x1])."""
    a = np.linspace(0.0005, 0.9995, 1000)[:, None]       # x1 on a grid
    b = np.linspace(0.0005, 0.9995, 1000)[None, :]       # x2 averaged out
    main_effect = (10 * np.sin(np.pi * a * b)).mean(axis=1)
    truth = load_dataset("friedman1").true_importance
    assert main_effect.std() == pytest.approx(truth["x1"], rel=1e-3)


def test_friedman1_formula_matches_sklearn():
    X, y = sk_make_friedman1(n_samples=500, n_features=10, noise=0.0, random_state=0)
    assert np.allclose(friedman1_signal(X), y, rtol=0, atol=1e-12)
    data = load_dataset("friedman1", noise=0.0, n_samples=200)
    assert np.allclose(data.y, friedman1_signal(data.X))
    assert ((data.X >= 0) & (data.X <= 1)).all()


def test_friedman1_noise_changes_y_not_x():
    quiet, loud = load_dataset("friedman1", noise=0.0), load_dataset("friedman1", noise=3.0)
    assert np.array_equal(quiet.X, loud.X)
    assert np.std(loud.y - quiet.y) == pytest.approx(3.0, rel=0.1)


def test_friedman1_binary():
    data = load_dataset("friedman1_binary")
    regression = load_dataset("friedman1")
    assert data.task == "binary" and set(np.unique(data.y)) == {0.0, 1.0}
    assert data.y.mean() == pytest.approx(0.5, abs=0.01)
    assert np.array_equal(data.X, regression.X)
    assert np.array_equal(data.y, (regression.y > np.median(regression.y)).astype(float))
    pd.testing.assert_series_equal(data.true_importance, regression.true_importance)


def test_linear_truth_is_abs_beta_times_sigma():
    beta = [1, -2, 0, 0.5, 0, 0, 3, 0, 0, -1]
    data = load_dataset("linear", beta=beta, noise=0.0, n_samples=2000)
    assert np.allclose(data.true_importance.to_numpy(), np.abs(beta))
    assert np.allclose(data.y, data.X @ np.array(beta, dtype=float))
    assert np.allclose(data.X.std(axis=0), 1.0, atol=0.05)
    default = load_dataset("linear").true_importance
    assert default.tolist() == [5, 4, 3, 2, 1, 0.5, 0, 0, 0, 0]


def test_linear_rejects_a_beta_of_the_wrong_length():
    with pytest.raises(ValueError, match="beta must be 10"):
        load_dataset("linear", beta=[1, 2, 3])


def test_correlated_inputs():
    data = load_dataset("correlated", n_samples=5000)
    corr = np.corrcoef(data.X, rowvar=False)
    assert corr[0, 1] > 0.99                 # x2 is a near-duplicate of x1
    assert corr[2, 9] > 0.9                  # x10 is a proxy of x3
    truth = data.true_importance
    assert truth["x2"] == 0 and truth["x10"] == 0
    assert truth[["x1", "x3", "x4", "x5"]].tolist() == [3, 2, 1.5, 1]
    looser = load_dataset("correlated", n_samples=5000, dup_noise=1.0)
    assert np.corrcoef(looser.X[:, 0], looser.X[:, 1])[0, 1] < 0.8


def test_scales_truth_ranks_the_tiny_unit_input_first():
    data = load_dataset("scales", n_samples=5000, noise=0.0)
    sd = data.X.std(axis=0)
    assert sd[0] == pytest.approx(1000, rel=0.05) and sd[1] == pytest.approx(0.001, rel=0.05)
    truth = data.true_importance
    assert truth.idxmax() == "x2_thousandths"
    beta = np.linalg.lstsq(data.X, data.y, rcond=None)[0]      # per-unit effects
    assert np.allclose(np.abs(beta) * np.array([1000, 0.001] + [1] * 8), truth.to_numpy(), atol=1e-6)
    assert abs(beta[0]) < abs(beta[4])      # per unit, x1 looks weaker than x5 though its truth is 4x


def test_diabetes_is_the_raw_efron_data():
    data = load_dataset("diabetes")
    assert data.X.shape == (442, 10)
    assert data.feature_names == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    assert data.target_name == "y" and data.task == "regression" and data.true_importance is None
    assert data.y.mean() == pytest.approx(152.13, abs=0.01)
    assert set(np.unique(data.X[:, 1])) == {1.0, 2.0}
    reference = sk_load_diabetes(scaled=False)
    assert np.array_equal(data.X, reference.data) and np.array_equal(data.y, reference.target)


def test_diabetes_checksum_matches_the_readme():
    digest = hashlib.sha256((DATA_DIR / "diabetes.csv").read_bytes()).hexdigest()
    assert digest in (DATA_DIR / "README.md").read_text()


def test_diabetes_subset_is_seeded_rows_of_the_full_data():
    full = load_dataset("diabetes")
    part = load_dataset("diabetes", n_samples=100, seed=1)
    assert part.n == 100
    rows = {tuple(r) for r in full.X}
    assert all(tuple(r) in rows for r in part.X)
    with pytest.raises(ValueError, match="only 442 rows"):
        load_dataset("diabetes", n_samples=1000)


def test_example_csv_is_its_documented_recipe():
    shipped = pd.read_csv(DATA_DIR / "example.csv")
    pd.testing.assert_frame_equal(shipped, _example_frame(), check_exact=False, atol=1e-9)
    data = load_dataset(DATA_DIR / "example.csv", target="yield")
    assert data.n == 200 and data.task == "regression" and "humidity" in data.feature_names


# ---------------------------------------------------------------- names and options
def test_unknown_dataset_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown data set 'friedman2'.*friedman1.*diabetes"):
        load_dataset("friedman2")


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(ValueError, match="no such file.*nope.csv"):
        load_dataset(str(path), target="y")


def test_unknown_option_is_named():
    with pytest.raises(ValueError, match="unknown option 'rho' for data set 'linear'"):
        load_dataset("linear", rho=0.5)
    with pytest.raises(ValueError, match="unknown option 'noise' for data set 'diabetes'"):
        load_dataset("diabetes", noise=1.0)


def test_builtin_task_and_target_must_match():
    with pytest.raises(ValueError, match="friedman1_binary"):
        load_dataset("friedman1", task="binary")
    with pytest.raises(ValueError, match="target"):
        load_dataset("friedman1", target="z")
    with pytest.raises(ValueError, match="task must be one of"):
        load_dataset("friedman1", task="classification")


@pytest.mark.parametrize("bad", [{"n_samples": 0}, {"n_samples": 2.5}, {"noise": -1}, {"seed": -1}])
def test_bad_parameter_values_are_named(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        load_dataset("friedman1", **bad)


# ---------------------------------------------------------------- Dataset
def test_split_sizes_disjoint_and_complete():
    data = load_dataset("friedman1", n_samples=200)
    train, test = data.split(test_size=0.25, seed=0)
    assert (train.n, test.n) == (150, 50)
    rows = lambda ds: {tuple(r) for r in ds.X}          # noqa: E731 - rows are distinct (continuous data)
    assert not rows(train) & rows(test)
    assert rows(train) | rows(test) == rows(data)
    assert train.feature_names == data.feature_names and test.task == data.task and train.name == data.name
    pd.testing.assert_series_equal(train.true_importance, data.true_importance)
    again, _ = data.split(test_size=0.25, seed=0)
    other, _ = data.split(test_size=0.25, seed=1)
    assert np.array_equal(again.X, train.X) and not np.array_equal(other.X, train.X)
    assert data.split(test_size=30)[1].n == 30


@pytest.mark.parametrize("test_size", [0, 1.0, 200, -0.1, "half"])
def test_split_rejects_bad_sizes(test_size):
    with pytest.raises(ValueError, match="test_size"):
        load_dataset("friedman1", n_samples=200).split(test_size=test_size)


def test_subset_takes_rows_and_keeps_metadata():
    data = load_dataset("linear", n_samples=50)
    part = data.subset([3, 1, 4])
    assert np.array_equal(part.X, data.X[[3, 1, 4]]) and np.array_equal(part.y, data.y[[3, 1, 4]])
    assert part.feature_names == data.feature_names and part.description == data.description
    assert data.subset(data.y > 0).n == int((data.y > 0).sum())
    assert data.subset(slice(0, 10)).n == 10


def test_dataset_checks_its_own_shape():
    with pytest.raises(ValueError, match="feature names"):
        Dataset(np.zeros((5, 3)), np.zeros(5), ["a", "b"], "y", "regression", None, "")
    with pytest.raises(ValueError, match="binary"):
        Dataset(np.zeros((5, 2)), np.arange(5), ["a", "b"], "y", "binary", None, "")


# ---------------------------------------------------------------- Standardizer
def test_standardizer_train_mean_zero_std_one_and_round_trip():
    data = load_dataset("scales", n_samples=300)
    train, test = data.split(seed=0)
    train_s, test_s, scaler = standardize(train, test)
    assert np.allclose(train_s.X.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(train_s.X.std(axis=0), 1, atol=1e-12)
    assert not np.allclose(test_s.X.mean(axis=0), 0, atol=1e-12)     # test uses train's statistics
    assert np.allclose(scaler.inverse_transform(test_s.X), test.X)
    assert np.array_equal(train_s.y, train.y)
    pd.testing.assert_series_equal(train_s.true_importance, train.true_importance)
    assert np.array_equal(train.X, data.split(seed=0)[0].X)           # the originals are untouched


def test_standardizer_constant_column_maps_to_zero():
    X = np.column_stack([np.linspace(0, 1, 20), np.full(20, 0.1), np.full(20, 7.0)])
    scaler = Standardizer().fit(X)
    Z = scaler.transform(X)
    assert np.array_equal(scaler.scale_[1:], [1.0, 1.0])
    assert np.array_equal(Z[:, 1:], np.zeros((20, 2)))
    assert np.allclose(scaler.inverse_transform(Z), X)


def test_standardizer_dict_round_trip_and_errors():
    X = np.random.default_rng(0).normal(3, 2, size=(50, 4))
    scaler = Standardizer().fit(X)
    again = Standardizer.from_dict(scaler.to_dict())
    assert np.array_equal(again.transform(X), scaler.transform(X))
    with pytest.raises(ValueError, match="4 columns"):
        scaler.transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="not fitted"):
        Standardizer().transform(X)


# ---------------------------------------------------------------- CSV files
def _write_csv(tmp_path, n=30, edit=None, name="data.csv"):
    """A valid CSV with inputs x1..x4 and a regression target y; ``edit(frame)`` may spoil it."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(n, 4)).round(3), columns=["x1", "x2", "x3", "x4"])
    frame["y"] = (frame["x1"] - frame["x3"]).round(3)
    frame = frame.astype(object)
    if edit is not None:
        edit(frame)
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_csv_loads_with_inferred_regression_task(tmp_path):
    data = load_dataset(_write_csv(tmp_path), target="y")
    assert data.X.shape == (30, 4) and data.task == "regression" and data.name == "data.csv"
    assert data.feature_names == ["x1", "x2", "x3", "x4"] and data.true_importance is None


def test_csv_infers_binary_and_chooses_features(tmp_path):
    def make_binary(frame):
        frame["y"] = (frame["x1"].astype(float) > 0).astype(int)
    path = _write_csv(tmp_path, edit=make_binary)
    data = load_dataset(str(path), target="y", features=["x3", "x1"])
    assert data.task == "binary" and data.feature_names == ["x3", "x1"]
    assert load_dataset(path, target="y", task="regression").task == "regression"
    assert load_dataset(path, target="y", n_samples=25, seed=1).n == 25


def test_csv_binary_task_with_a_non_binary_target(tmp_path):
    with pytest.raises(ValueError, match=r"task='binary'.*'y'.*row 1"):
        load_dataset(_write_csv(tmp_path), target="y", task="binary")


def test_csv_without_target_lists_the_columns(tmp_path):
    with pytest.raises(ValueError, match=r"target=.*'x1', 'x2', 'x3', 'x4', 'y'"):
        load_dataset(_write_csv(tmp_path))


def test_csv_missing_target_column_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"target column 'price' is not in the file.*'x1'"):
        load_dataset(_write_csv(tmp_path), target="price")


def test_csv_missing_feature_column_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"feature column 'x9' is not in the file"):
        load_dataset(_write_csv(tmp_path), target="y", features=["x1", "x9"])


def test_csv_text_value_names_column_row_and_value(tmp_path):
    def spoil(frame):
        frame.loc[6, "x3"] = "abc"            # data row 7
    with pytest.raises(ValueError, match=r"column 'x3', row 7 \(line 8 of the file\): text 'abc'"):
        load_dataset(_write_csv(tmp_path, edit=spoil), target="y")


def test_csv_empty_cell_names_column_and_row(tmp_path):
    # missing="error" keeps the strict check; the default (drop) drops the row with a note
    def spoil(frame):
        frame.loc[11, "x2"] = ""              # data row 12
    path = _write_csv(tmp_path, edit=spoil)
    with pytest.raises(ValueError, match=r"column 'x2', row 12 .*missing value"):
        load_dataset(path, target="y", missing="error")
    data = load_dataset(path, target="y")
    assert data.n == 29 and any("dropped 1 of 30" in note and "x2 1" in note for note in data.notes)


def test_csv_nan_token_names_column_and_row(tmp_path):
    def spoil(frame):
        frame.loc[0, "y"] = "NaN"             # data row 1, in the target
    path = _write_csv(tmp_path, edit=spoil)
    with pytest.raises(ValueError, match=r"column 'y', row 1 .*missing value"):
        load_dataset(path, target="y", missing="error")
    data = load_dataset(path, target="y", missing="impute")        # a target is never imputed
    assert data.n == 29 and any("target 'y' is missing (rows 1)" in note for note in data.notes)


def test_csv_infinite_value_names_column_and_row(tmp_path):
    def spoil(frame):
        frame.loc[19, "x4"] = "inf"           # data row 20
    with pytest.raises(ValueError, match=r"column 'x4', row 20 .*infinite"):
        load_dataset(_write_csv(tmp_path, edit=spoil), target="y")


def test_csv_reports_every_bad_column(tmp_path):
    def spoil(frame):
        frame.loc[2, "x1"] = "?"
        frame.loc[4, "x4"] = "1,5"
    with pytest.raises(ValueError) as info:
        load_dataset(_write_csv(tmp_path, edit=spoil), target="y", missing="error")
    assert "column 'x1', row 3" in str(info.value) and "column 'x4', row 5" in str(info.value)


def test_csv_constant_input_warns_and_still_loads(tmp_path):
    def spoil(frame):
        frame["x2"] = 4.0
    with pytest.warns(UserWarning, match=r"'x2'.*importance is zero by definition"):
        data = load_dataset(_write_csv(tmp_path, edit=spoil), target="y")
    assert data.d == 4


def test_csv_without_constant_input_does_not_warn(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_dataset(_write_csv(tmp_path), target="y")


def test_csv_too_few_rows_gives_the_count(tmp_path):
    with pytest.raises(ValueError, match="has 12 data rows; at least 20"):
        load_dataset(_write_csv(tmp_path, n=12), target="y")


def test_csv_without_input_columns(tmp_path):
    def only_target(frame):
        for column in ["x1", "x2", "x3", "x4"]:
            del frame[column]
    with pytest.raises(ValueError, match="no input columns"):
        load_dataset(_write_csv(tmp_path, edit=only_target), target="y")


def test_csv_blank_line_inside_is_named_but_trailing_ones_are_fine(tmp_path):
    path = _write_csv(tmp_path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines) + "\n\n\n")
    assert load_dataset(path, target="y").n == 30
    path.write_text("\n".join(lines[:5] + [""] + lines[5:]) + "\n")
    with pytest.raises(ValueError, match=r"row 5 \(line 6 of the file\) is empty"):
        load_dataset(path, target="y")


def test_csv_ragged_row_is_a_value_error(tmp_path):
    path = _write_csv(tmp_path)
    lines = path.read_text().splitlines()
    lines[3] += ",99"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="line 4"):
        load_dataset(path, target="y")


def test_csv_rejects_noise_and_unknown_options(tmp_path):
    path = _write_csv(tmp_path)
    with pytest.raises(ValueError, match="noise"):
        load_dataset(path, target="y", noise=1.0)
    with pytest.raises(ValueError, match="unknown option 'beta'"):
        load_dataset(path, target="y", beta=[1])


def _write_header(tmp_path, header, n=30, sep=","):
    """A CSV whose header is ``header`` (the names as written) over n rows of numbers."""
    rng = np.random.default_rng(1)
    rows = [sep.join(f"{v:.3f}" for v in rng.normal(size=len(header))) for _ in range(n)]
    path = tmp_path / "data.csv"
    path.write_text(sep.join(header) + "\n" + "\n".join(rows) + "\n")
    return path


def test_csv_duplicate_column_names_are_an_error_naming_them(tmp_path):
    # pandas would read x1, x2, x1.1, y: a third input nobody named
    path = _write_header(tmp_path, ["x1", "x2", "x1", "y"])
    with pytest.raises(ValueError, match=r"data.csv: the column name 'x1' appears 2 times \(columns 1 and 3\); "
                                         "every column needs its own name"):
        load_dataset(path, target="y")
    path = _write_header(tmp_path, ["a", " b", "a", "b ", "a", "y"], sep=";")  # names compared stripped
    with pytest.raises(ValueError, match=r"'a' appears 3 times \(columns 1, 3 and 5\); "
                                         r"the column name 'b' appears 2 times \(columns 2 and 4\)"):
        load_dataset(path, target="y", sep=";")


def test_csv_duplicated_target_is_an_error_not_a_leak(tmp_path):
    # read as y and y.1, the copy of the target became an input and explained it perfectly
    path = _write_header(tmp_path, ["x1", "y", "x2", "y"])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [",".join(row.split(",")[:3] + row.split(",")[1:2])
                                             for row in lines[1:]]) + "\n")
    with pytest.raises(ValueError, match=r"the column name 'y' appears 2 times \(columns 2 and 4\)"):
        load_dataset(path, target="y")
    with pytest.raises(ValueError, match="appears 2 times"):
        load_dataset(path, target="y", features=["x1", "x2"])

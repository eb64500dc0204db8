"""Tests of helpers.csvfile (reading and checking a user's CSV) and of the Dataset it gives:
one test per rule of issue 9 (separators, columns, ids, categories, missing values, targets,
groups), on small realistic CSVs written here and on real public-domain files (tests/data/,
data/penguins.csv)."""
import hashlib
import inspect
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import csvfile
from helpers.data import DATA_DIR, Dataset, load_dataset, standardize

TEST_DATA = Path(__file__).resolve().parent / "data"
PENGUINS = DATA_DIR / "penguins.csv"


def _frame(n=40, seed=0):
    """A realistic small table: numbers, a text category, a 0/1 target and a regression target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.integers(20, 70, n) + rng.choice([0.0, 0.5], n),
        "weight": rng.normal(70, 10, n).round(1),
        "region": rng.choice(["north", "south", "west"], n),
    })
    frame["cost"] = (frame["age"] * 2 + frame["weight"] + frame["region"].map({"north": 0, "south": 5, "west": 9})
                     + rng.normal(0, 1, n)).round(2)
    return frame


def _write(tmp_path, frame, name="data.csv", **kwargs):
    path = tmp_path / name
    frame.to_csv(path, index=kwargs.pop("index", False), **kwargs)
    return path


# ---------------------------------------------------------------- separators
def test_semicolon_file_with_decimal_commas_is_detected(tmp_path):
    frame = _frame()
    path = _write(tmp_path, frame, sep=";", decimal=",")
    assert "," in path.read_text().splitlines()[1]                      # really written 1,5
    data = load_dataset(path, target="cost")
    assert np.allclose(data.y, frame["cost"]) and data.X[:, 0].tolist() == frame["age"].tolist()
    assert any("semicolon-separated" in note for note in data.notes)
    assert any("decimal comma" in note for note in data.notes)
    given = load_dataset(path, target="cost", sep=";", decimal=",")
    assert np.array_equal(given.X, data.X) and not any("detected" in note for note in given.notes)


def test_tab_separated_file_is_detected(tmp_path):
    frame = _frame()
    data = load_dataset(_write(tmp_path, frame, sep="\t"), target="cost")
    assert data.variables == ["age", "weight", "region"] and any("tab-separated" in n for n in data.notes)


def test_header_read_as_one_long_column_names_the_separator(tmp_path):
    path = _write(tmp_path, _frame(), sep=";")
    with pytest.raises(ValueError, match=r"with the separator ',' the header is one long column "
                                         r"'age;weight;region;cost'; it looks separated by ';': give sep=';'"):
        load_dataset(path, target="cost", sep=",")
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("\n".join(" ".join(line.split(";")) for line in path.read_text().splitlines()))
    with pytest.raises(ValueError, match=r"separator ','.*looks separated by ' '"):
        load_dataset(spaced, target="cost")


def test_decimal_comma_needs_another_separator(tmp_path):
    with pytest.raises(ValueError, match="decimal=','.*separator other than ','"):
        load_dataset(_write(tmp_path, _frame()), target="cost", decimal=",")
    with pytest.raises(ValueError, match="decimal must be"):
        load_dataset(_write(tmp_path, _frame()), target="cost", decimal=";")


def test_duplicate_column_names_are_still_an_error_with_a_detected_separator(tmp_path):
    path = tmp_path / "dup.csv"
    rows = "\n".join(f"{i};{i % 3};{i * 2}" for i in range(30))
    path.write_text("a;a;y\n" + rows + "\n")
    with pytest.raises(ValueError, match=r"'a' appears 2 times \(columns 1 and 2\)"):
        load_dataset(path, target="y")


# ---------------------------------------------------------------- choosing columns
def test_features_and_exclude_choose_the_inputs(tmp_path):
    path = _write(tmp_path, _frame())
    assert load_dataset(path, target="cost", features=["weight", "age"]).variables == ["weight", "age"]
    assert load_dataset(path, target="cost", exclude=["region"]).feature_names == ["age", "weight"]


@pytest.mark.parametrize("option", ["features", "exclude", "categorical"])
def test_column_options_are_checked_against_the_header_with_did_you_mean(tmp_path, option):
    path = _write(tmp_path, _frame())
    with pytest.raises(ValueError, match=r"column 'wieght' is not in the file.*did you mean 'weight'\?"):
        load_dataset(path, target="cost", **{option: ["wieght"]})


def test_features_and_exclude_together_or_naming_the_target_are_errors(tmp_path):
    path = _write(tmp_path, _frame())
    with pytest.raises(ValueError, match="features= .* or exclude= .*not both"):
        load_dataset(path, target="cost", features=["age"], exclude=["region"])
    with pytest.raises(ValueError, match="exclude names the target 'cost'"):
        load_dataset(path, target="cost", exclude=["cost"])
    with pytest.raises(ValueError, match="categorical names 'region', which is not among the inputs"):
        load_dataset(path, target="cost", exclude=["region"], categorical=["region"])


def test_unnamed_index_column_from_to_csv_is_left_out_with_a_note(tmp_path):
    path = _write(tmp_path, _frame(), index=True)                 # header starts ',age,...'
    data = load_dataset(path, target="cost")
    assert data.variables == ["age", "weight", "region"]
    assert any(note.startswith("left out 'Unnamed: 0': a row index (0, 1, 2, ...)") for note in data.notes)


def test_a_unique_integer_per_row_is_left_out_unless_named_in_features(tmp_path):
    frame = _frame()
    frame.insert(0, "record", np.random.default_rng(1).permutation(np.arange(1000, 1040)))
    path = _write(tmp_path, frame)
    data = load_dataset(path, target="cost")
    assert "record" not in data.variables
    assert any("left out 'record': an index or an id" in note for note in data.notes)
    assert "record" in load_dataset(path, target="cost", features=["record", "age"]).variables


@pytest.mark.parametrize("name", ["ID", "id", "customer_id", "PassengerId", "patientID"])
def test_a_column_named_like_an_id_and_unique_is_left_out(tmp_path, name):
    frame = _frame()
    frame.insert(0, name, [f"P{i:04d}" for i in range(len(frame))])
    data = load_dataset(_write(tmp_path, frame), target="cost")
    assert name not in data.variables
    assert any(f"left out {name!r}: an identifier" in note for note in data.notes)


def test_an_id_named_column_that_repeats_is_kept(tmp_path):
    frame = _frame()
    frame["site_id"] = np.arange(len(frame)) % 4              # a grouping code, not an identifier
    assert "site_id" in load_dataset(_write(tmp_path, frame), target="cost").variables


# ---------------------------------------------------------------- categorical inputs
def test_a_text_column_is_one_hot_encoded_and_grouped(tmp_path):
    frame = _frame()
    data = load_dataset(_write(tmp_path, frame), target="cost")
    assert data.feature_names == ["age", "weight", "region=north", "region=south", "region=west"]
    assert data.groups == {"age": ["age"], "weight": ["weight"],
                           "region": ["region=north", "region=south", "region=west"]}
    assert data.variables == ["age", "weight", "region"]
    onehot = data.X[:, 2:]
    assert np.array_equal(onehot.sum(axis=1), np.ones(len(frame)))
    assert np.array_equal(onehot[:, 1], (frame["region"] == "south").to_numpy(float))
    assert any("region (north, south, west)" in note for note in data.notes)


def test_a_boolean_column_is_categorical(tmp_path):
    frame = _frame()
    frame["smoker"] = np.where(np.arange(len(frame)) % 3 == 0, "True", "false")
    data = load_dataset(_write(tmp_path, frame), target="cost")
    assert data.groups["smoker"] == ["smoker=False", "smoker=True"]
    assert data.X[0, data.feature_names.index("smoker=True")] == 1.0


def test_categorical_declares_a_numeric_code_with_levels_sorted_as_numbers(tmp_path):
    frame = _frame()
    frame["grade"] = np.tile([1, 2, 10], len(frame))[:len(frame)]
    path = _write(tmp_path, frame)
    assert load_dataset(path, target="cost").groups["grade"] == ["grade"]
    data = load_dataset(path, target="cost", categorical=["grade"])
    assert data.groups["grade"] == ["grade=1", "grade=2", "grade=10"]


def test_a_name_column_with_nearly_all_values_distinct_is_left_out(tmp_path):
    frame = _frame()
    frame["name"] = [f"person {i}" for i in range(len(frame))]
    path = _write(tmp_path, frame)
    data = load_dataset(path, target="cost")
    assert "name" not in data.variables
    note = next(n for n in data.notes if n.startswith("left out 'name'"))
    assert "40 different values in 40 rows" in note and "categorical=" in note
    forced = load_dataset(path, target="cost", categorical=["name"])
    assert len(forced.groups["name"]) == 40
    with pytest.raises(ValueError, match="features names 'name', which is text with 40 different values"):
        load_dataset(path, target="cost", features=["age", "name"])


def test_the_level_thresholds(tmp_path):
    n = 100
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n),
                          "thirty": [f"c{i % 30}" for i in range(n)],      # 30 levels: kept
                          "many": [f"m{i % 31}" for i in range(n)]})       # 31 levels: left out
    data = load_dataset(_write(tmp_path, frame), target="y")
    assert "thirty" in data.variables and "many" not in data.variables
    assert csvfile.MAX_LEVELS == 30 and csvfile.MAX_DISTINCT_SHARE == 0.5


def test_numbers_with_stray_text_are_an_error_suggesting_categorical(tmp_path):
    frame = _frame().astype(object)
    frame.loc[6, "weight"] = "heavy"
    with pytest.raises(ValueError, match=r"column 'weight', row 7 \(line 8 of the file\): text 'heavy' where a "
                                         r"number is needed \(if the column is categorical, name it in categorical=\)"):
        load_dataset(_write(tmp_path, frame), target="cost")


# ---------------------------------------------------------------- missing values
def _with_gaps(tmp_path):
    frame = _frame().astype(object)
    frame.loc[[2, 5, 9], "weight"] = ["", "NA", "n/a"]
    frame.loc[7, "region"] = "?"
    frame.loc[11, "cost"] = "null"
    return frame, _write(tmp_path, frame)


def test_missing_drop_drops_rows_and_says_which_columns(tmp_path):
    _, path = _with_gaps(tmp_path)
    data = load_dataset(path, target="cost")
    assert data.n == 40 - 1 - 4 and np.isfinite(data.X).all()
    assert "dropped 1 row(s) whose target 'cost' is missing (rows 12)" in data.notes[0]
    assert re.search(r"dropped 4 of 39 row\(s\) with a missing input.*missing most: weight 3, region 1", data.notes[1])


def test_missing_impute_fills_with_the_mean_and_the_most_frequent_level(tmp_path):
    frame, path = _with_gaps(tmp_path)
    data = load_dataset(path, target="cost", missing="impute")
    assert data.n == 39                                              # only the row without a target goes
    kept = frame.drop(index=11).reset_index(drop=True)
    weights = pd.to_numeric(kept["weight"], errors="coerce")
    filled = data.X[:, data.feature_names.index("weight")]
    assert np.allclose(filled[weights.isna().to_numpy()], weights.mean())
    top = kept["region"][kept["region"] != "?"].value_counts()
    best = sorted(top.index[top == top.max()])[0]
    assert data.X[7, data.feature_names.index(f"region={best}")] == 1.0
    note = next(n for n in data.notes if n.startswith("filled 4 missing input values from all rows"))
    assert f"weight 3 (mean {weights.mean():.4g})" in note and f"region 1 (most frequent level {best!r})" in note


def test_missing_error_names_column_and_row(tmp_path):
    _, path = _with_gaps(tmp_path)
    with pytest.raises(ValueError) as info:
        load_dataset(path, target="cost", missing="error")
    message = str(info.value)
    assert "column 'cost', row 12 (line 13 of the file): missing value" in message
    assert "column 'weight', row 3 (line 4 of the file): missing value" in message
    assert "column 'region', row 8" in message
    with pytest.raises(ValueError, match=r"missing must be one of \['drop', 'impute', 'error'\]"):
        load_dataset(path, target="cost", missing="fill")


def test_too_few_rows_after_dropping_suggests_impute(tmp_path):
    frame = _frame(n=24).astype(object)
    frame.loc[0:5, "age"] = ""
    with pytest.raises(ValueError, match=r"18 of 24 rows are left.*at least 20.*missing='impute'"):
        load_dataset(_write(tmp_path, frame), target="cost")


# ---------------------------------------------------------------- split: the encoding comes from training rows
def test_split_learns_levels_from_the_training_rows_and_unknown_levels_are_zero(tmp_path):
    frame = _frame(n=60)
    frame.loc[[5], "region"] = "east"                      # one row with a rare level
    data = load_dataset(_write(tmp_path, frame), target="cost")
    assert "region=east" in data.feature_names           # load_dataset encodes with all rows
    for seed in range(20):
        train, test = data.split(test_size=0.25, seed=seed)
        if 5 in np.flatnonzero(np.isin(np.arange(60), _test_rows(data, test))):
            break
    assert "region=east" not in train.feature_names and train.feature_names == test.feature_names
    assert train.groups["region"] == ["region=north", "region=south", "region=west"]
    row = list(_test_rows(data, test)).index(5)
    assert not test.X[row, 2:].any()                     # unknown: every level 0
    assert any("held-out rows: region: 1 row(s) have a level not seen in the training rows ('east')" in n
               for n in train.notes)
    assert any(n.startswith("region: 1 row(s) have a level not seen in the training rows") for n in test.notes)


def _test_rows(data, test):
    """Row positions of ``test`` in ``data`` (rows are distinct: continuous columns)."""
    index = {tuple(r): i for i, r in enumerate(data.to_frame().drop(columns=[c for c in data.feature_names
                                                                               if "=" in c]).to_numpy())}
    frame = test.to_frame().drop(columns=[c for c in test.feature_names if "=" in c])
    return np.array([index[tuple(r)] for r in frame.to_numpy()])


def test_split_imputes_with_training_statistics_only(tmp_path):
    frame, path = _with_gaps(tmp_path)
    data = load_dataset(path, target="cost", missing="impute")
    train, test = data.split(test_size=0.25, seed=0)
    j = data.feature_names.index("weight")
    present = ~np.isin(np.arange(data.n), [2, 5, 9])
    order = np.random.default_rng(0).permutation(data.n)
    train_rows = np.sort(order[10:])
    mean = data.X[np.intersect1d(train_rows, np.flatnonzero(present)), j].mean()
    gaps = [list(train_rows).index(r) for r in (2, 5, 9) if r in train_rows]
    assert gaps and np.allclose(train.X[gaps, j], mean)
    assert not np.isclose(mean, data.X[present, j].mean())
    assert any("from the training rows (missing='impute')" in n for n in train.notes)


def test_split_of_a_plain_numeric_csv_is_a_row_split(tmp_path):
    frame = _frame().drop(columns="region")
    data = load_dataset(_write(tmp_path, frame), target="cost")
    assert data.groups is None and data.variables == ["age", "weight"]
    train, test = data.split(seed=3)
    order = np.random.default_rng(3).permutation(data.n)
    assert np.array_equal(train.X, data.X[np.sort(order[10:])]) and np.array_equal(test.y, data.y[np.sort(order[:10])])


def test_subset_and_standardize_keep_groups_and_notes(tmp_path):
    data = load_dataset(_write(tmp_path, _frame()), target="cost")
    part = data.subset(np.arange(30))
    assert part.groups == data.groups and part.notes == data.notes and part.split(seed=0)[0].groups == data.groups
    train, test, _ = standardize(*data.split(seed=0))
    assert train.groups == data.groups and test.notes and train.variables == data.variables
    again, _ = train.split(seed=0)                         # standardised: split divides rows, no re-encoding
    rows = np.sort(np.random.default_rng(0).permutation(train.n)[8:])
    assert np.array_equal(again.X, train.X[rows])


def test_same_arguments_same_bits(tmp_path):
    frame, path = _with_gaps(tmp_path)
    a = load_dataset(path, target="cost", missing="impute", n_samples=30, seed=2)
    b = load_dataset(path, target="cost", missing="impute", n_samples=30, seed=2)
    assert np.array_equal(a.X, b.X) and a.notes == b.notes and a.n == 30
    ta, sa = a.split(seed=1)
    tb, sb = b.split(seed=1)
    assert np.array_equal(ta.X, tb.X) and np.array_equal(sa.X, sb.X)


# ---------------------------------------------------------------- targets
def _text_target(tmp_path, labels):
    frame = _frame()
    frame["outcome"] = [labels[i % len(labels)] for i in range(len(frame))]
    return _write(tmp_path, frame.drop(columns="cost"))


def test_a_text_target_with_two_classes_is_binary_with_the_second_class_as_one(tmp_path):
    data = load_dataset(_text_target(tmp_path, ["yes", "no"]), target="outcome")
    assert data.task == "binary" and data.y[:2].tolist() == [1.0, 0.0]
    assert any("'yes' is 1 and 'no' is 0 (the second in sorted order" in n for n in data.notes)
    flipped = load_dataset(_text_target(tmp_path, ["yes", "no"]), target="outcome", positive="no")
    assert np.array_equal(flipped.y, 1 - data.y)


def test_a_boolean_target_is_binary(tmp_path):
    data = load_dataset(_text_target(tmp_path, ["TRUE", "FALSE"]), target="outcome")
    assert data.task == "binary" and data.y[0] == 1.0 and any("'True' is 1" in n for n in data.notes)


def test_a_text_target_with_more_classes_needs_positive(tmp_path):
    path = _text_target(tmp_path, ["bus", "car", "train"])
    with pytest.raises(ValueError, match=r"'outcome' has 3 classes \('bus', 'car', 'train'\).*positive= to predict "
                                         r"one class against the rest, e.g. positive='bus'"):
        load_dataset(path, target="outcome")
    data = load_dataset(path, target="outcome", positive="car")
    assert data.y[:3].tolist() == [0.0, 1.0, 0.0]
    assert any("'car' is 1 and the other classes ('bus', 'train') are 0" in n for n in data.notes)
    with pytest.raises(ValueError, match=r"positive='Car' is not a class.*did you mean 'car'\?"):
        load_dataset(path, target="outcome", positive="Car")
    with pytest.raises(ValueError, match="task='regression' needs a numeric target.*'outcome'.*row 1"):
        load_dataset(path, target="outcome", task="regression")


def test_a_numeric_target_stays_as_today_and_takes_positive(tmp_path):
    frame = _frame()
    frame["label"] = np.arange(len(frame)) % 2
    frame["code"] = np.arange(len(frame)) % 3 + 1
    path = _write(tmp_path, frame)
    assert load_dataset(path, target="label").task == "binary"
    assert load_dataset(path, target="code").task == "regression"
    three = load_dataset(path, target="code", positive=3)
    assert three.task == "binary" and three.y[:3].tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="positive=7 is not a value of the target 'code'"):
        load_dataset(path, target="code", positive=7)


# ---------------------------------------------------------------- user-chosen groups
def test_groups_merge_numeric_inputs_into_one_variable(tmp_path):
    data = load_dataset("diabetes", groups={"lipids": ["s1", "s2", "s3"]})
    assert data.variables == ["age", "sex", "bmi", "bp", "lipids", "s4", "s5", "s6"]
    assert data.groups["lipids"] == ["s1", "s2", "s3"] and data.d == 10
    csv = load_dataset(_write(tmp_path, _frame()), target="cost", groups={"body": ["weight", "age"]})
    assert csv.groups == {"body": ["age", "weight"], "region": ["region=north", "region=south", "region=west"]}
    assert csv.split(seed=0)[1].groups == csv.groups


def test_bad_groups_are_errors_naming_the_input(tmp_path):
    path = _write(tmp_path, _frame())
    with pytest.raises(ValueError, match=r"the group 'body' names 'wieght', which is not an input.*"
                                         r"did you mean 'weight'"):
        load_dataset(path, target="cost", groups={"body": ["wieght"]})
    with pytest.raises(ValueError, match=r"the input 'age' is in two groups, 'a' and 'b'"):
        load_dataset(path, target="cost", groups={"a": ["age", "weight"], "b": ["age"]})
    with pytest.raises(ValueError, match="the group name 'region' is also the name of another input"):
        load_dataset(path, target="cost", groups={"region": ["age", "weight"]})
    with pytest.raises(ValueError, match="non-empty list"):
        load_dataset("diabetes", groups={"lipids": "s1"})


# ---------------------------------------------------------------- the Dataset contract
def test_dataset_checks_its_groups_and_notes():
    X = np.zeros((4, 3))
    ok = Dataset(X, np.arange(4.0), ["a", "b=1", "b=2"], "y", "regression", None, "",
                 groups={"b": ["b=2", "b=1"], "a": ["a"]}, notes=["x"])
    assert ok.groups == {"a": ["a"], "b": ["b=1", "b=2"]} and ok.variables == ["a", "b"]
    with pytest.raises(ValueError, match="not in any group: \\['a'\\]"):
        Dataset(X, np.arange(4.0), ["a", "b=1", "b=2"], "y", "regression", None, "", groups={"b": ["b=1", "b=2"]})
    with pytest.raises(ValueError, match="in two groups"):
        Dataset(X, np.arange(4.0), ["a", "b", "c"], "y", "regression", None, "",
                groups={"g": ["a", "b"], "h": ["b", "c"]})
    with pytest.raises(ValueError, match="notes must be a list of strings"):
        Dataset(X, np.arange(4.0), ["a", "b", "c"], "y", "regression", None, "", notes="oops")


def test_builtins_keep_no_groups_or_notes_and_refuse_csv_options():
    data = load_dataset("friedman1", n_samples=50)
    assert data.groups is None and data.notes == [] and data.variables == data.feature_names
    with pytest.raises(ValueError, match="categorical= applies only to a CSV file"):
        load_dataset("diabetes", categorical=["sex"])


def test_load_dataset_documents_every_option():
    doc = inspect.getdoc(load_dataset)
    for name in inspect.signature(load_dataset).parameters:
        if name != "options":
            assert re.search(rf"^{name} :", doc, re.M), name


def test_notes_are_plain_text(tmp_path):
    frame = _frame()
    frame["<b>kind</b>"] = np.where(np.arange(len(frame)) % 2, "a", "b")
    data = load_dataset(_write(tmp_path, frame), target="cost")
    assert all(isinstance(n, str) for n in data.notes) and any("<b>kind</b> (a, b)" in n for n in data.notes)


# ---------------------------------------------------------------- the shipped example: Palmer penguins
def test_penguins_is_the_documented_file():
    digest = hashlib.sha256(PENGUINS.read_bytes()).hexdigest()
    assert digest in (DATA_DIR / "README.md").read_text()
    raw = pd.read_csv(PENGUINS)
    assert raw.shape == (344, 8) and raw["sex"].isna().sum() == 11


def test_penguins_body_mass_is_a_regression_with_groups_and_notes():
    data = load_dataset(PENGUINS, target="body_mass_g")
    assert data.task == "regression" and data.n == 333
    assert data.variables == ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                              "sex", "year"]
    assert data.groups["species"] == ["species=Adelie", "species=Chinstrap", "species=Gentoo"]
    assert data.groups["island"] == ["island=Biscoe", "island=Dream", "island=Torgersen"]
    assert data.groups["sex"] == ["sex=female", "sex=male"] and data.groups["year"] == ["year"]
    assert "dropped 2 row(s) whose target 'body_mass_g' is missing (rows 4, 272)" in data.notes[0]
    assert "dropped 9 of 342 row(s) with a missing input" in data.notes[1] and "sex 9" in data.notes[1]


def test_penguins_sex_is_binary_and_says_which_class_is_one():
    data = load_dataset(PENGUINS, target="sex")
    assert data.task == "binary" and data.n == 333
    assert any("'male' is 1 and 'female' is 0" in n for n in data.notes)


def test_penguins_species_needs_positive():
    with pytest.raises(ValueError, match="'species' has 3 classes.*positive="):
        load_dataset(PENGUINS, target="species")
    data = load_dataset(PENGUINS, target="species", positive="Adelie")
    assert data.task == "binary" and data.y.sum() == 146 and "species" not in data.variables


# ---------------------------------------------------------------- more real files, no editing (tests/data/README.md)
def test_vendored_files_are_the_documented_ones():
    readme = (TEST_DATA / "README.md").read_text()
    for path in TEST_DATA.glob("*.csv"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in readme, path.name


def test_statecrime_leaves_out_the_state_names():
    data = load_dataset(TEST_DATA / "statecrime.csv", target="murder")
    assert data.n == 51 and data.groups is None
    assert data.variables == ["violent", "hs_grad", "poverty", "single", "white", "urban"]
    assert any(n.startswith("left out 'state': text with 51 different values in 51 rows") for n in data.notes)


def test_grunfeld_encodes_the_firm():
    data = load_dataset(TEST_DATA / "grunfeld.csv", target="invest")
    assert data.n == 220 and data.variables == ["value", "capital", "firm", "year"]
    assert len(data.groups["firm"]) == 11 and "firm=General Motors" in data.groups["firm"]


def test_modechoice_semicolons_and_a_declared_code():
    data = load_dataset(TEST_DATA / "modechoice.csv", target="choice", categorical=["mode"],
                        exclude=["individual"])
    assert data.task == "binary" and data.n == 840 and data.y.sum() == 210
    assert data.groups["mode"] == ["mode=1", "mode=2", "mode=3", "mode=4"]
    assert any("semicolon-separated" in n for n in data.notes)


def test_a_header_with_fewer_names_than_values_is_an_error(tmp_path):
    """scikit-learn's wine_data.csv starts with '178,13,class_0,class_1,class_2' (counts and class
    names, not column names): pandas would read 5 columns and drop the other 9 values of every
    row, with only a warning. The kit stops and says why."""
    path = tmp_path / "wine.csv"
    rows = "\n".join(",".join(str(v + i) for v in range(14)) for i in range(30))
    path.write_text("178,13,class_0,class_1,class_2\n" + rows + "\n")
    with pytest.raises(ValueError, match=r"wine.csv: the first line names 5 columns but rows hold up to 14 values"):
        load_dataset(path, target="class_2")

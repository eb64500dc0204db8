"""Tests of helpers.csvfile (reading and checking a user's CSV) and of the Dataset it gives:
one test per rule of issue 9 (separators, columns, ids, categories, missing values, targets,
groups), on small realistic CSVs written here and on real public-domain files (tests/data/,
data/penguins.csv)."""
import hashlib
import inspect
import re
import warnings
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


def test_a_wrong_separator_on_a_file_with_decimal_commas_names_the_separator(tmp_path):
    """sep=',' on a ';' file whose numbers are written 1,5: the rows split on their decimal commas
    into more values than the header has names; the message says what the header looks like."""
    path = _write(tmp_path, _frame(), sep=";", decimal=",")
    with pytest.raises(ValueError, match=r"with the separator ',' the header is one long column "
                                         r"'age;weight;region;cost' but rows hold up to \d+ values; "
                                         r"it looks separated by ';': give sep=';'"):
        load_dataset(path, target="cost", sep=",")
    title = tmp_path / "title.csv"                     # a title line, not a header: no separator to suggest
    title.write_text("Costs 2020\n" + _write(tmp_path, _frame()).read_text())
    with pytest.raises(ValueError, match=r"names 1 columns but rows hold up to 4 values.*\(is it a header\?\)$"):
        load_dataset(title, target="cost")


def _decimal_comma_file(tmp_path):
    frame = _frame(n=60)
    frame["dose"] = np.tile([0.5, 1.5, 2.5], 20)                  # three levels, all written with a comma
    return frame, _write(tmp_path, frame, sep=";", decimal=",")


COMMA_HINT = "looks like numbers with a decimal comma: give decimal=','"


def test_decimal_point_forced_on_decimal_commas_says_so_in_the_notes(tmp_path):
    frame, path = _decimal_comma_file(tmp_path)
    data = load_dataset(path, target="region", positive="north", decimal=".")
    assert "age" not in data.variables and "weight" not in data.variables    # text with many values: left out
    left = next(n for n in data.notes if n.startswith("left out 'weight'"))
    assert re.search(r"text with \d+ different values in 60 rows.*" + re.escape(COMMA_HINT), left)
    assert "categorical=" not in left                               # the advice is the decimal mark
    dose = next(n for n in data.notes if n.startswith("'dose'"))
    assert "read as text (a categorical input)" in dose and COMMA_HINT in dose
    right = load_dataset(path, target="region", positive="north")   # detected: no such note
    assert right.variables == ["age", "weight", "cost", "dose"] and not any(COMMA_HINT in n for n in right.notes)
    with pytest.raises(ValueError, match=r"features names 'weight', which is text .*" + re.escape(COMMA_HINT)):
        load_dataset(path, target="region", positive="north", decimal=".", features=["weight", "age"])


def test_decimal_point_forced_on_decimal_commas_says_so_in_the_errors(tmp_path):
    frame, path = _decimal_comma_file(tmp_path)
    with pytest.raises(ValueError, match=r"the target 'cost' holds text that " + re.escape(COMMA_HINT)):
        load_dataset(path, target="cost", decimal=".")
    with pytest.raises(ValueError, match=r"'cost' holds text.*" + re.escape(COMMA_HINT)):
        load_dataset(path, target="cost", decimal=".", task="regression")
    mixed = frame.astype(object)
    mixed["weight"] = np.where(np.arange(60) % 4 == 0, "71,5", "70")    # whole numbers and a few 71,5
    path = _write(tmp_path, mixed, sep=";", decimal=",")
    with pytest.raises(ValueError, match=r"column 'weight', row 1 \(line 2 of the file\): text '71,5' where a "
                                         r"number is needed; the column " + re.escape(COMMA_HINT)):
        load_dataset(path, target="region", positive="north", exclude=["age", "cost"], decimal=".")


def test_a_comma_separated_file_gets_no_decimal_comma_advice(tmp_path):
    """decimal=',' needs another separator: in a ',' file a quoted "1,5" is text, and no hint is given."""
    frame = _frame()
    frame["weight"] = [f"{w:.1f}".replace(".", ",") for w in frame["weight"]]
    data = load_dataset(_write(tmp_path, frame), target="cost")
    assert "weight" not in data.variables and not any(COMMA_HINT in n for n in data.notes)


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


def _carseats_like(n=120, seed=3):
    """A shop's sales table as an analyst exports it: a shuffled numeric ID, a text category."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"ID": rng.permutation(np.arange(1001, 1001 + n)).astype(float),
                          "Price": rng.integers(40, 190, n), "Income": rng.integers(20, 120, n).astype(float),
                          "ShelveLoc": rng.choice(["Bad", "Medium", "Good"], n)})
    frame["Sales"] = (9 - 0.04 * (frame["Price"] - 115) + 0.02 * frame["Income"] + rng.normal(0, 1, n)).round(2)
    return frame.astype(object)


def test_a_unique_integer_per_row_is_an_id_even_with_a_missing_cell(tmp_path):
    frame = _carseats_like()
    frame.loc[[4, 50], "ID"] = ""                                   # 118 of 120 cells present
    frame.loc[[7, 9], "Income"] = "NA"
    data = load_dataset(_write(tmp_path, frame), target="Sales")
    assert data.variables == ["Price", "Income", "ShelveLoc"]
    note = next(n for n in data.notes if n.startswith("left out 'ID'"))
    assert "an index or an id (a different whole number in every row that has one, 2 missing)" in note
    assert data.n == 118 and "missing most: Income 2" in " ".join(data.notes)   # a missing id drops no row
    assert "ID" in load_dataset(_write(tmp_path, frame), target="Sales", features=["ID", "Price"]).variables


def test_an_id_named_text_column_with_a_missing_cell_is_left_out(tmp_path):
    frame = _carseats_like()
    frame["ID"] = [f"S{i:04d}" for i in range(len(frame))]
    frame.loc[3, "ID"] = "NA"
    data = load_dataset(_write(tmp_path, frame), target="Sales")
    assert "ID" not in data.variables and data.n == 120
    assert any(n.startswith("left out 'ID': an identifier (named like an id, a different value in every row "
                            "that has one, 1 missing)") for n in data.notes)


@pytest.mark.parametrize("n, gaps", [(120, 7), (30, 1)])
def test_unique_integers_with_more_gaps_or_few_rows_are_not_taken_for_an_id(tmp_path, n, gaps):
    """Under 95% of the cells present (7 of 120 missing), or fewer than ID_MIN_ROWS present (29
    values): distinct whole numbers could be chance, so the column stays an input."""
    frame = _carseats_like(n=n)
    frame.loc[list(range(gaps)), "ID"] = ""
    data = load_dataset(_write(tmp_path, frame), target="Sales", missing="impute")
    assert "ID" in data.variables
    assert csvfile.ID_MIN_SHARE == 0.95 and csvfile.ID_MIN_ROWS == 40


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
    # the held-out rows' gaps are filled with the same values, and the training rows' notes (which a
    # report shows) say so too
    held = [r for r in (2, 5, 9) if r not in train_rows]
    assert held, "the seed puts a gap in the held-out rows"
    said = [n for n in train.notes if n.startswith("held-out rows: filled")]
    assert len(said) == 1 and f"filled {len(held)} missing input values from the training rows" in said[0], said


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


def test_fertility_leaves_out_the_index_and_the_names_and_handles_missing_values():
    """The file as DataFrame.to_csv() writes it: its row index, two text columns with a different
    value per country, and missing rates in every year."""
    path = TEST_DATA / "fertility.csv"
    data = load_dataset(path, target="2010")
    assert data.task == "regression" and data.groups is None
    assert data.variables == ["1960", "1970", "1980", "1990", "2000"]
    assert data.notes[0] == "left out 'Unnamed: 0': a row index (0, 1, 2, ...), as DataFrame.to_csv writes it"
    assert data.notes[1].startswith("left out 'Country Name': text with 219 different values in 219 rows")
    assert data.notes[2].startswith("left out 'Country Code': text with 219 different values in 219 rows")
    assert data.notes[3].startswith("dropped 15 row(s) whose target '2010' is missing (rows 9, 32, 48, 53, 66 and ")
    assert data.notes[4].startswith("dropped 11 of 204 row(s) with a missing input") and "1960 10" in data.notes[4]
    assert data.n == 219 - 15 - 11 and np.isfinite(data.X).all()
    raw = pd.read_csv(path)                                      # an independent count of the gaps
    gaps = int(raw.loc[raw["2010"].notna(), ["1960", "1970", "1980", "1990", "2000"]].isna().sum().sum())
    filled = load_dataset(path, target="2010", missing="impute")
    assert filled.n == 204 and any(n.startswith(f"filled {gaps} missing input values") for n in filled.notes)


def test_a_header_with_fewer_names_than_values_is_an_error(tmp_path):
    """scikit-learn's wine_data.csv starts with '178,13,class_0,class_1,class_2' (counts and class
    names, not column names): pandas would read 5 columns and drop the other 9 values of every
    row, with only a warning. The kit stops and says why."""
    path = tmp_path / "wine.csv"
    rows = "\n".join(",".join(str(v + i) for v in range(14)) for i in range(30))
    path.write_text("178,13,class_0,class_1,class_2\n" + rows + "\n")
    with pytest.raises(ValueError, match=r"wine.csv: the first line names 5 columns but rows hold up to 14 values"):
        load_dataset(path, target="class_2")


# ---------------------------------------------------------------- the parsed path reads as the text path does
# A big numeric file is read with pandas' C parser typing the columns (the parsed path); the text
# path (every cell a stripped string) is the definition. These tests read tricky files both ways.
TRICKY = [" 3.5 ", "\t2.25\t", "1e3", "1E-3", "-0", "-0.0", "007", ".5", "5.", "1.000", "nan", "NaN", "NA", "n/a",
          "N/A", "null", "NULL", "None", "?", "", "   ", " NA ", "\tn/a", "-", "inf", "-Infinity", "INF", "1e400",
          "1e-400", "1,5", "1_000", "0x10", "1 000", "TRUE", "false", "1.5\xa0", "\u0663", "1.5e", "e5", "--1", "'1'",
          "9007199254740993", "123456789012345678901", "18446744073709551615", "-9223372036854775809",
          "0.30000000000000004", "941.99718765601692201630", "2.2250738585072011e-308", "4.9e-324",
          "1.7976931348623157e308", "oops"]
PLUS = ["+1.5", "+4", "+0.30000000000000004", "+941.99718765601692201630", " +2.5 ", "+inf", "+1,5", "+NA"]
DIALECTS = [(",", None, "."), (";", ",", ","), ("\t", None, "."), (";", None, ",")]   # sep, decimal=, written with


def _write_rows(path, header, rows, sep):
    import csv
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=sep, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _tricky_file(tmp_path, cells, sep, mark, name="tricky.csv", n=24):
    """One column per cell and per kind of column (whole numbers, whole numbers with a gap,
    decimals): the cell in row 3, plain numbers in the other rows, so that the cell alone decides
    how the column is typed."""
    header = [f"{kind}{i}" for i in range(len(cells)) for kind in ("int", "gap", "dec")] + ["y"]
    rows = []
    for r in range(n):
        row = []
        for cell in cells:
            row += [cell] * 3 if r == 3 else [str(r * 7 % 11 + 1), "" if r == 5 else str(r * 7 % 11 + 1),
                                              f"{r % 5}{mark}{r % 3}5"]       # no zero (see the '-0' test)
        rows.append(row + [f"{r}{mark}5"])
    return _write_rows(tmp_path / name, header, rows, sep)


def _canonical_bits(values):
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isnan(values), np.nan, values).view(np.uint64).tolist()


def _both_ways(path, sep=None, decimal=None):
    """The cells read on the parsed path (``_read_cells``' default), checked against the text path:
    the same missing cells, the same numbers to the last bit, the same text where not missing
    (the parser hands a missing-value marker over as ""), or the same error."""
    def gave_up(*args, **kwargs):
        raise AssertionError("the parsed path gave up and left the file to the text path")

    try:
        slow, slow_notes = csvfile._read_cells(path, path.name, sep, decimal, fast=False)
    except ValueError as err:
        slow, message = None, str(err)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csvfile, "_text_cells", gave_up)
        if slow is None:
            with pytest.raises(ValueError, match=re.escape(message)):
                csvfile._read_cells(path, path.name, sep, decimal)
            return None
        fast, fast_notes = csvfile._read_cells(path, path.name, sep, decimal)
    assert fast.columns == slow.columns and fast.decimal == slow.decimal and fast_notes == slow_notes
    for name in fast.columns:
        (fm, fv, fc), (sm, sv, sc) = fast.get(name), slow.get(name)
        assert np.array_equal(fm, sm), name
        assert _canonical_bits(fv) == _canonical_bits(sv), (name, fv[~np.isclose(fv, sv, equal_nan=True)])
        assert fc is None or fc[~fm].tolist() == sc[~sm].tolist(), name
    return fast


@pytest.mark.parametrize("sep, decimal, mark", DIALECTS)
def test_the_parsed_path_gives_the_text_paths_numbers_and_missing_cells(tmp_path, sep, decimal, mark):
    cells = [c for c in TRICKY if not (sep == "\t" and c.strip(" ") != c.strip())]   # tabs are the separator
    path = _tricky_file(tmp_path, cells, sep, mark)
    fast = _both_ways(path, decimal=decimal)
    assert fast.decimal == ("." if decimal is None else mark)        # ' 3.5 ' and '.5' are numbers written 1.5
    typed = {"1e3", "1E-3", "NA", "", "   ", "007", "9007199254740993"}
    assert {f"int{cells.index(c)}" for c in typed | {"-0"} if c in cells} <= set(fast.numbers)   # the parsed path
    assert {f"gap{cells.index(c)}" for c in typed if c in cells} <= set(fast.numbers)
    if fast.decimal == mark:
        typed |= ({" 3.5 ", ".5", "0.30000000000000004", "941.99718765601692201630", "1.7976931348623157e308",
                   "123456789012345678901"} if mark == "." else {"1,5"})
        assert {f"dec{cells.index(c)}" for c in typed if c in cells} <= set(fast.numbers)
    assert {f"dec{cells.index(c)}" for c in ("oops", "inf", "TRUE", " NA ", "1_000")} <= set(fast.text)


@pytest.mark.parametrize("sep, decimal, mark", DIALECTS[:2])
def test_a_plus_sign_sends_the_decimal_columns_to_the_text_path(tmp_path, sep, decimal, mark):
    """pandas' to_numeric rounds a long number written with a leading '+' otherwise than the parser."""
    path = _tricky_file(tmp_path, PLUS + TRICKY[:12], sep, mark)
    fast = _both_ways(path, decimal=decimal)
    assert not any(name.startswith("dec") for name in fast.numbers) and "int1" in fast.numbers


def test_a_negative_zero_among_whole_numbers_with_gaps_stays_negative(tmp_path, monkeypatch):
    """The parser reads whole numbers with gaps as integers, where '-0' is 0: such a column holding
    a zero goes to the text path if the file holds a '-0'."""
    path = tmp_path / "zero.csv"
    cells = ["-0" if i == 3 else "" if i == 7 else str(i) for i in range(25)]
    path.write_text("a,b,y\n" + "".join(f"{cell},{i % 3},{i % 5}\n" for i, cell in enumerate(cells)))
    assert "a" in _both_ways(path).text
    outcome = _same_both_ways(monkeypatch, path, target="y", categorical=["a"], missing="impute")
    assert outcome[5][0][3][:4] == ["0", "1", "2", "-0"]
    path.write_text(path.read_text().replace("-0,", "-0.0,"))
    assert "a" in _both_ways(path).numbers


def _random_number(rng, plus):
    size = rng.choice([0, 4, 14, 15, 16, 17, 21])
    digits = str(rng.integers(1, 10)) + "".join(rng.choice(list("0123456789"), size=size))
    if rng.random() < 0.7:
        digits += "." + "".join(rng.choice(list("0123456789"), size=rng.choice([1, 5, 17, 20])))
    if rng.random() < 0.4:
        digits += rng.choice(["e", "E"]) + str(rng.integers(-330, 280))    # no infinite number
    sign = rng.choice(["", "-", "+"] if plus else ["", "-"])
    return rng.choice(["", " ", "\t"]) + sign + digits + rng.choice(["", " ", "\t"])


@pytest.mark.parametrize("plus", [False, True])
def test_long_numbers_read_the_same_to_the_last_bit(tmp_path, plus):
    rng = np.random.default_rng(7)
    rows = [[_random_number(rng, plus) for _ in range(30)] + [str(r)] for r in range(100)]
    path = _write_rows(tmp_path / "long.csv", [f"x{i}" for i in range(30)] + ["y"], rows, ",")
    fast = _both_ways(path)
    assert len(fast.numbers) == (1 if plus else 31)                     # with a '+', the text path reads them


def _outcome(path, **options):
    """What read_csv_table gives: the table's every part, or the error message."""
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            table = csvfile.read_csv_table(path, **options)
    except ValueError as err:
        return "error", str(err)
    columns = [(c.name, c.kind, c.numeric_levels,
                _canonical_bits(c.values) if c.kind == "numeric" else c.values.tolist()) for c in table.columns]
    return (table.task, _canonical_bits(table.y), table.rows.tolist(), table.notes, table.groups, columns,
            [str(w.message) for w in said])


def _same_both_ways(monkeypatch, path, **options):
    fast = _outcome(path, **options)
    with monkeypatch.context() as patch:
        patch.setattr(csvfile, "_parsed_cells", lambda *args, **kwargs: None)
        slow = _outcome(path, **options)
    assert fast == slow
    return fast


@pytest.mark.parametrize("cell", TRICKY + PLUS)
def test_every_message_and_value_is_the_same_both_ways(tmp_path, monkeypatch, cell):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=25).round(3), "x": rng.integers(0, 9, 25).astype(str),
                          "y": rng.normal(size=25).round(2).astype(str)}).astype(object)
    frame.loc[3, "x"] = cell
    path = _write_rows(tmp_path / "x.csv", frame.columns, frame.to_numpy().tolist(), ",")
    outcomes = [_same_both_ways(monkeypatch, path, target="y", **options)
                for options in ({}, {"categorical": ["x"]}, {"missing": "error"}, {"missing": "impute"})]
    frame.loc[3, "y"] = cell
    path = _write_rows(tmp_path / "y.csv", frame.columns, frame.to_numpy().tolist(), ",")
    outcomes.append(_same_both_ways(monkeypatch, path, target="y"))
    if cell == "oops":
        assert "column 'x', row 4 (line 5 of the file): text 'oops' where a number is needed" in outcomes[0][1]
        assert "column 'y', row 4 (line 5 of the file): text 'oops'" in outcomes[-1][1]
    if cell == "inf":
        assert "column 'x', row 4 (line 5 of the file): infinite value 'inf'" in outcomes[0][1]


BLANKS = {
    "trailing blank lines": "\n\n\n",
    "trailing separators and spaces": ",,\n  ,\t, \n",
    "a trailing row of markers": "NA,na,?\n",
    "a blank line inside": "\n1,2,3\n",
    "a row of markers inside": "NA,,n/a\n1,2,3\n",
    "a row of spaces inside": " , , \n1,2,3\n",
    "a quoted line break then blanks": '"4\n",5,6\n\n',
}


@pytest.mark.parametrize("n", [19, 25])
@pytest.mark.parametrize("case", sorted(BLANKS))
def test_blank_rows_are_told_from_missing_values_both_ways(tmp_path, monkeypatch, case, n):
    path = tmp_path / "blank.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i * 3 % 7}.5,{i % 4}\n" for i in range(n)) + BLANKS[case])
    for options in ({}, {"missing": "impute"}, {"missing": "error"}):
        _same_both_ways(monkeypatch, path, target="y", **options)
    _both_ways(path)


DECIMAL_FILES = {    # name: (column a, b, c of row i), the decimal mark detected
    "comma numbers": (lambda i: f"{i},5", str, lambda i: "x" if i == 4 else str(i % 3), ","),
    "comma numbers, whole numbers with gaps": (lambda i: f"{i},5", lambda i: "" if i % 5 == 0 else str(i),
                                               lambda i: str(i % 3), ","),
    "comma numbers, a version in the text": (lambda i: f"{i},5", str, lambda i: "v1.2" if i == 4 else "x", ","),
    "comma numbers and a dot number": (lambda i: f"{i},5", lambda i: "2.5" if i == 7 else str(i), str, "."),
    "comma numbers, a dot number among whole numbers with gaps": (
        lambda i: f"{i},5", lambda i: "" if i % 5 == 0 else "2.5" if i == 7 else str(i), str, "."),
    "comma numbers, a dot number in the text": (lambda i: f"{i},5", str, lambda i: ".5" if i == 4 else "x", "."),
    "dot numbers only": (lambda i: f"{i}.5", str, lambda i: "x" if i == 4 else str(i % 3), "."),
    "dot numbers, a comma number in the text": (lambda i: f"{i}.5", str, lambda i: "1,5" if i == 4 else "x", "."),
    "comma numbers, all whole": (lambda i: f"{i},0", str, lambda i: "x" if i == 4 else str(i % 3), ","),
    "whole numbers, lists in the text": (str, lambda i: str(i % 4), lambda i: f"{i % 3},2,3", "."),
    "comma numbers and dates with dots": (lambda i: f"{i},5", lambda i: "" if i % 5 == 0 else str(i),
                                          lambda i: f"0{i % 9 + 1}.0{i % 7 + 1}.2020", ","),
}


@pytest.mark.parametrize("case", sorted(DECIMAL_FILES))
def test_the_decimal_comma_is_detected_the_same_both_ways(tmp_path, monkeypatch, case):
    a, b, c, mark = DECIMAL_FILES[case]
    path = tmp_path / "semi.csv"
    path.write_text("a;b;c;y\n" + "".join(f"{a(i)};{b(i)};{c(i)};{i % 7}\n" for i in range(30)))
    assert _both_ways(path).decimal == mark
    _same_both_ways(monkeypatch, path, target="y")
    _same_both_ways(monkeypatch, path, target="y", categorical=["c"])


def test_a_plain_numeric_file_is_typed_by_the_parser(tmp_path):
    frame = _frame()
    fast, _ = csvfile._read_cells(_write(tmp_path, frame), "data.csv", None, None)
    assert set(fast.numbers) == {"age", "weight", "cost"} and set(fast.text) == {"region"}

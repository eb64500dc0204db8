"""Reading and checking a user's CSV file: separators, columns, categories, missing values, ids, targets.

``read_csv_table`` reads a file into a ``CsvTable``: the target as numbers (0/1 for a binary task),
the chosen inputs parsed (numbers, or the text labels of a categorical input), and notes saying
what was done (columns left out, rows dropped, which class is 1). It does not yet encode anything:
one-hot levels and imputed values must come from the *training* rows, so ``CsvTable.fit`` learns an
``Encoding`` on some rows and ``Encoding.transform`` applies it to any rows. ``helpers.data``
builds a ``Dataset`` from the result; ``Dataset.split`` fits on the training part.

Every problem is a ``ValueError`` naming the column and the row, raised before anything trains.
Rows are counted from 1 at the first data row (the header is not a row); the file line is the row
plus one. Notes are plain strings.

The rules, in the order they are applied:

1. **Separators.** ``sep=None`` takes whichever of ``,`` ``;`` tab ``|`` the header holds most
   (``,`` on a tie or when there is none); ``decimal=None`` takes a decimal comma when the file is
   not comma separated and its numbers are written ``1,5`` (never ``1.5``). A header read as one
   long column that holds another separator is an error saying which separator was used.
2. **Columns.** Every column but the target is an input, or only ``features=``, or all but
   ``exclude=``. Left out with a note (unless named in ``features=`` or ``categorical=``): a column
   holding a different whole number in every row (a row index, such as the ``Unnamed: 0`` of
   ``DataFrame.to_csv``, or a numeric id), and a column named like an id (``id``, ``ID``, ``*_id``,
   ``customerID``) holding a different value in every row.
3. **Categorical inputs.** A text column, a boolean column (true/false) and a column named in
   ``categorical=`` are categorical. A text column with too many levels, more than ``MAX_LEVELS``
   (30) or more than ``MAX_DISTINCT_SHARE`` (half) of its non-missing rows distinct (a name, a free
   text), is left out with a note; ``categorical=`` forces it in. A column that is mostly numbers
   with a few text cells is an error (a typo, or say ``categorical=``).
4. **Missing values** (an empty cell or one of ``MISSING_TOKENS``, any case): ``missing="drop"``
   drops the rows with a missing input; ``"impute"`` keeps them and lets the ``Encoding`` fill them
   (mean, or most frequent level, of the rows it was fitted on); ``"error"`` makes every missing
   cell an error. A row with a missing target is dropped (an error under ``"error"``), never imputed.
5. **Target.** Numbers: binary when they are only 0 and 1, else a regression. Text (or true/false)
   with two classes: binary, the second class in sorted order is 1 unless ``positive=`` names
   another. More than two classes needs ``positive=`` (that class against the rest).
"""
from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["read_csv_table", "CsvTable", "Column", "Encoding", "Encoded", "merge_groups", "check_groups",
           "did_you_mean", "TASKS", "MIN_ROWS", "MISSING_TOKENS", "MISSING_CHOICES", "MAX_LEVELS",
           "MAX_DISTINCT_SHARE", "SEPARATORS"]

TASKS = ("regression", "binary")
MIN_ROWS = 20
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
MISSING_CHOICES = ("drop", "impute", "error")
MAX_LEVELS = 30              # a text column with more levels than this is not one-hot encoded ...
MAX_DISTINCT_SHARE = 0.5     # ... nor one with more than this share of its non-missing rows distinct
SEPARATORS = (",", ";", "\t", "|")
_BOOLEAN = {"true": "True", "false": "False"}
_CAMEL_ID = re.compile(r"[a-z](?:Id|ID)$")
_COMMA_NUMBER = r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?"
_DOT_NUMBER = r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?"


def did_you_mean(word: str, choices) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to a misspelt ``word``, or ``""``."""
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), choices, n=1) or [
        c for c in choices if c.lower() == str(word).lower()]
    return f"; did you mean {close[0]!r}?" if close else ""


# ---------------------------------------------------------------- the parsed table
@dataclass(frozen=True, eq=False)
class Column:
    """One input column, parsed.

    Attributes
    ----------
    name : str
    kind : {"numeric", "categorical"}
    values : numpy.ndarray
        Numeric: float64, NaN where missing. Categorical: object array of str labels, None where missing.
    numeric_levels : bool
        A categorical column of numbers (``categorical=``): its levels sort as numbers.
    """
    name: str
    kind: str
    values: np.ndarray
    numeric_levels: bool = False

    @property
    def missing(self) -> np.ndarray:
        """Boolean mask of the missing cells."""
        if self.kind == "numeric":
            return np.isnan(self.values)
        return pd.isna(self.values)

    def take(self, rows) -> "Column":
        return replace(self, values=self.values[rows])

    def levels(self) -> list[str]:
        """The distinct non-missing labels, sorted (as numbers for ``numeric_levels``)."""
        labels = set(self.values[~self.missing].tolist())
        return sorted(labels, key=float) if self.numeric_levels else sorted(labels)


@dataclass(frozen=True, eq=False)
class CsvTable:
    """A checked CSV file: the target, the parsed inputs, and what was done, row-aligned.

    Attributes
    ----------
    where : str
        The file's name, for messages.
    target : str
    task : {"regression", "binary"}
    y : numpy.ndarray
        The target, float64 (0/1 for a binary task), one value per row.
    columns : tuple of Column
        The inputs, in file order.
    groups : dict or None
        User-chosen groups (name -> input columns), checked.
    missing : {"drop", "impute", "error"}
    rows : numpy.ndarray
        Each row's number in the file (1 = the first data row), for messages.
    notes : tuple of str
        What reading did: separators detected, columns left out, rows dropped, the positive class.
    """
    where: str
    target: str
    task: str
    y: np.ndarray
    columns: tuple
    groups: dict | None
    missing: str
    rows: np.ndarray
    notes: tuple = ()

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def variables(self) -> list[str]:
        """The input columns' names, in file order."""
        return [c.name for c in self.columns]

    def take(self, rows) -> "CsvTable":
        """The given rows (integer positions), every column alike."""
        rows = np.asarray(rows)
        return replace(self, y=self.y[rows], rows=self.rows[rows],
                       columns=tuple(c.take(rows) for c in self.columns))

    def fit(self, source: str = "all rows") -> "Encoding":
        """Learn the encoding on these rows: each categorical input's levels and, for
        ``missing="impute"``, each input's fill value (mean, or most frequent level).

        Parameters
        ----------
        source : str, default "all rows"
            How the notes name these rows ("the training rows").
        """
        levels, fill = {}, {}
        for col in self.columns:
            if col.kind == "categorical":
                levels[col.name] = tuple(col.levels())
            if self.missing == "impute" and col.missing.any():
                fill[col.name] = _fill_value(col, self.rows, source, self.where)
        return Encoding(levels, fill, source, self.groups)


@dataclass(frozen=True)
class Encoded:
    """What ``Encoding.transform`` gives: the network's matrix and how to read it."""
    X: np.ndarray
    feature_names: list
    groups: dict | None
    notes: list
    unknown_notes: list


@dataclass(frozen=True)
class Encoding:
    """Levels and fill values learnt on some rows (``CsvTable.fit``), applied to any rows.

    A categorical input becomes one 0/1 column per level, named ``"<column>=<level>"``; a label not
    among the levels (seen only outside the rows fitted on) is all zero ("unknown").
    """
    levels: dict
    fill: dict
    source: str
    user_groups: dict | None = None

    def transform(self, table: CsvTable) -> Encoded:
        """Encode ``table``'s rows: X (n, d) float64, feature names, groups and notes."""
        blocks, names, base, notes, unknown_notes, filled = [], [], {}, [], [], []
        for col in table.columns:
            values, n_filled = self._filled(col)
            if n_filled:
                filled.append((col.name, n_filled, self.fill[col.name], col.kind))
            if col.kind == "numeric":
                blocks.append(values[:, None])
                cols = [col.name]
            else:
                levels = np.array(self.levels[col.name], dtype=object)
                onehot = values[:, None] == levels[None, :]
                blocks.append(onehot.astype(np.float64))
                cols = [f"{col.name}={level}" for level in self.levels[col.name]]
                unknown = ~onehot.any(axis=1)
                if unknown.any():
                    unknown_notes.append(_unknown_note(col.name, values[unknown], self.source))
            names += cols
            base[col.name] = cols
        X = np.ascontiguousarray(np.hstack(blocks), dtype=np.float64) if blocks else np.zeros((table.n, 0))
        if self.levels:
            listed = "; ".join(f"{name} ({', '.join(levels)})" for name, levels in self.levels.items())
            notes.append(f"categorical inputs, one 0/1 input per level (levels from {self.source}): {listed}")
        if filled:
            notes.append(_filled_note(filled, self.source))
        groups = None
        if self.levels or self.user_groups:
            groups = merge_groups(base, self.user_groups or {})
        return Encoded(X, names, groups, notes + unknown_notes, unknown_notes)

    def _filled(self, col: Column) -> tuple[np.ndarray, int]:
        missing = col.missing
        if not missing.any():
            return col.values, 0
        if col.name not in self.fill:
            raise ValueError(f"column {col.name!r} has missing values but the encoding has no fill value "
                             "for it (it was fitted on rows without missing values and missing='impute' was "
                             "not given)")
        values = col.values.copy()
        values[missing] = self.fill[col.name]
        return values, int(missing.sum())


def _fill_value(col: Column, rows, source, where):
    present = col.values[~col.missing]
    if len(present) == 0:
        raise ValueError(f"{where}: column {col.name!r} has no value in {source} (rows {_rows_text(rows)}), "
                         "so there is nothing to impute from; leave it out with exclude=")
    if col.kind == "numeric":
        return float(present.mean())
    counts = pd.Series(present).value_counts()
    tied = counts.index[counts == counts.max()].tolist()
    return sorted(tied, key=float)[0] if col.numeric_levels else sorted(tied)[0]


def _filled_note(filled, source) -> str:
    parts = [f"{name} {count} ({_fill_text(value, kind)})" for name, count, value, kind in filled]
    total = sum(count for _, count, _, _ in filled)
    return f"filled {total} missing input values from {source} (missing='impute'): " + ", ".join(parts)


def _fill_text(value, kind) -> str:
    return f"mean {value:.4g}" if kind == "numeric" else f"most frequent level {value!r}"


def _unknown_note(name, labels, source) -> str:
    seen = sorted(set(labels.tolist()))
    shown = ", ".join(repr(s) for s in seen[:5]) + (" ..." if len(seen) > 5 else "")
    return (f"{name}: {len(labels)} row(s) have a level not seen in {source} ({shown}); "
            "they are encoded as unknown (every level 0)")


def merge_groups(base: dict, user: dict) -> dict:
    """Merge variables into user-chosen groups.

    Parameters
    ----------
    base : dict
        Variable -> its encoded columns, in feature order.
    user : dict
        Group name -> the variables it merges (checked by ``check_groups``).

    Returns
    -------
    dict
        Group or variable -> encoded columns: each group takes the place of its first member,
        its columns in feature order; the other variables stay as they are.
    """
    owner = {var: name for name, members in user.items() for var in members}
    out: dict[str, list[str]] = {}
    for var, cols in base.items():
        key = owner.get(var, var)
        out.setdefault(key, []).extend(cols)
    return out


def check_groups(groups, variables, where: str = "", left_out: dict | None = None) -> dict | None:
    """Check user-chosen groups against the variables: a dict of name -> list of variables.

    Parameters
    ----------
    groups : dict or None
    variables : list of str
        The inputs that can be grouped.
    where : str
        Prefix for messages (the file's name).
    left_out : dict, optional
        Column -> why it was left out, to explain a group naming one.

    Returns
    -------
    dict or None
        Name -> members in variable order; None when ``groups`` is None or empty.

    Raises
    ------
    ValueError
        Not a mapping of names to lists of names; an unknown member (with a did-you-mean); a member
        in two groups; a group name that is another variable's name.
    """
    if groups is None or (isinstance(groups, dict) and not groups):
        return None
    at = f"{where}: " if where else ""
    if not isinstance(groups, dict):
        raise ValueError(f"groups must be a mapping of group name -> list of input names, got {groups!r}")
    order = {v: i for i, v in enumerate(variables)}
    owner, out = {}, {}
    for name, members in groups.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"groups: a group name must be a non-empty string, got {name!r}")
        if isinstance(members, str) or not isinstance(members, (list, tuple)) or not members \
                or not all(isinstance(m, str) for m in members):
            raise ValueError(f"groups: the group {name!r} must be a non-empty list of input names, got {members!r}")
        for member in members:
            if member not in order:
                why = (f" (it was left out: {left_out[member]})" if left_out and member in left_out else
                       f"; the inputs are: {', '.join(repr(v) for v in variables)}{did_you_mean(member, variables)}")
                raise ValueError(f"{at}the group {name!r} names {member!r}, which is not an input{why}")
            if member in owner and owner[member] != name:
                raise ValueError(f"{at}the input {member!r} is in two groups, {owner[member]!r} and {name!r}; "
                                 "an input can be in one group only")
            if member in owner:
                raise ValueError(f"{at}the group {name!r} names {member!r} twice")
            owner[member] = name
        if name in order and name not in members:
            raise ValueError(f"{at}the group name {name!r} is also the name of another input; choose another name")
        out[name] = sorted(members, key=order.get)
    return out


# ---------------------------------------------------------------- reading
def read_csv_table(path, *, target: str | None, task: str | None = None, features=None, exclude=None,
                   categorical=None, groups=None, missing: str = "drop", positive=None,
                   sep: str | None = None, decimal: str | None = None) -> CsvTable:
    """Read and check a CSV file (see the module's docstring for every rule).

    Parameters
    ----------
    path : path-like
        A CSV file with one header row.
    target : str
        The target column.
    task : {"regression", "binary"}, optional
        Inferred when omitted.
    features : list of str, optional
        Only these columns are inputs (kept even if they look like an id).
    exclude : list of str, optional
        Every column but the target and these is an input. Not with ``features``.
    categorical : list of str, optional
        Inputs to treat as categorical even if they hold numbers or have many levels.
    groups : dict, optional
        Group name -> list of inputs, merged into one variable.
    missing : {"drop", "impute", "error"}, default "drop"
    positive : str or number, optional
        The target's class that is 1 (a binary task).
    sep, decimal : str, optional
        The field separator and decimal mark; detected when omitted.

    Returns
    -------
    CsvTable
    """
    path = Path(path)
    where = path.name
    _check_choice("task", task, TASKS, allow_none=True)
    _check_choice("missing", missing, MISSING_CHOICES)
    cells, notes = _read_cells(path, where, sep, decimal)
    decimal = cells.attrs["decimal"]
    columns = list(cells.columns)
    _check_target_name(target, columns, where)
    inputs = _choose_inputs(columns, target, features, exclude, where)
    categorical = _check_names("categorical", categorical, columns, where, inputs=inputs, target=target)

    y, task, target_missing, target_notes = _parse_target(cells[target], target, task, positive, decimal, where)
    parsed = {name: _parse_input(cells[name], name, name in categorical, decimal) for name in inputs}
    left_out = _left_out(parsed, features=set(features or ()), categorical=set(categorical), where=where)
    kept = [parsed[name][0] for name in inputs if name not in left_out]
    if not kept:
        why = "; ".join(f"{k!r} ({v})" for k, v in left_out.items())
        raise ValueError(f"{where}: no input columns left" + (f"; left out: {why}" if why else ""))
    _raise_bad_cells(kept, parsed, target_missing, missing, target, where)
    notes += [f"left out {name!r}: {why}" for name, why in left_out.items()]
    user_groups = check_groups(groups, [c.name for c in kept], where, left_out)

    keep, drop_notes = _rows_to_keep(kept, target_missing, missing, target, where)
    table = CsvTable(where, target, task, y, tuple(kept), user_groups, missing,
                     np.arange(1, len(y) + 1), ()).take(np.flatnonzero(keep))
    _check_final_target(table)
    _warn_constant(table)
    return replace(table, notes=tuple(notes + drop_notes + target_notes))


def _check_choice(name, value, choices, allow_none=False):
    if value is None and allow_none:
        return
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def _read_cells(path: Path, where: str, sep, decimal) -> tuple[pd.DataFrame, list[str]]:
    """The file as stripped strings (``cells.attrs["decimal"]`` is the decimal mark), trailing blank
    lines removed, with the notes on what was detected."""
    for name, value in (("sep", sep), ("decimal", decimal)):
        if value is not None and (not isinstance(value, str) or not value):
            raise ValueError(f"{name} must be a non-empty string or None, got {value!r}")
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',' (or None to detect it), got {decimal!r}")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except (UnicodeDecodeError, OSError) as err:
        raise ValueError(f"cannot read {where} as a CSV file: {err}") from None
    notes = []
    seen = sep or _guess_separator(first)
    if decimal == "," and seen == ",":
        raise ValueError(f"{where}: decimal=',' needs a separator other than ','; give sep=';' (or sep='\\t')")
    if sep is None and seen != ",":
        notes.append(f"read as a {_sep_name(seen)}-separated file (detected; give sep= to choose)")
    options = dict(sep=seen, dtype=str, keep_default_na=False, skip_blank_lines=False,
                   skipinitialspace=True, index_col=False, encoding="utf-8-sig")
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            raw = pd.read_csv(path, **options)
        # the header as written: pandas renames a repeated name ('a', 'a.1') in `raw`
        header = pd.read_csv(path, header=None, nrows=1, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"cannot read {where} as a CSV file: {err}") from None
    if any(issubclass(w.category, pd.errors.ParserWarning) and "does not match" in str(w.message) for w in said):
        # pandas would drop the values beyond the header's names, silently
        try:
            more = f"up to {pd.read_csv(path, header=None, skiprows=1, **options).shape[1]}"
        except (pd.errors.ParserError, ValueError):
            more = "more"
        raise ValueError(f"{where}: the first line names {header.shape[1]} columns but rows hold {more} "
                         "values; the first line must be a header with one name per column (is it a header?)")
    _check_unique_names([str(c).strip() for c in header.iloc[0]], where)
    raw.columns = [str(c).strip() for c in raw.columns]
    _check_not_one_long_column(raw.columns, seen, where)
    cells = raw.fillna("").astype(str).apply(lambda col: col.str.strip())
    cells = _trim_blank_rows(cells, where)
    if decimal is None:
        decimal = "," if seen != "," and _uses_decimal_comma(cells) else "."
        if decimal == ",":
            notes.append("numbers are read with a decimal comma (detected; give decimal= to choose)")
    cells.attrs["decimal"] = decimal
    return cells, notes


def _guess_separator(header_line: str) -> str:
    """The separator the header uses most, outside quotes (',' on a tie or when none)."""
    bare = re.sub(r'"[^"]*"', "", header_line)
    counts = [bare.count(s) for s in SEPARATORS]
    return SEPARATORS[int(np.argmax(counts))] if max(counts) > 0 else ","


def _sep_name(sep: str) -> str:
    return {"\t": "tab", ";": "semicolon", "|": "'|'", ",": "comma"}.get(sep, repr(sep))


def _check_not_one_long_column(columns, sep, where):
    """A header read as one column that holds another separator: the separator is wrong."""
    if len(columns) != 1:
        return
    name = columns[0]
    others = [s for s in (*SEPARATORS, " ") if s != sep and s in name]
    if others:
        guess = max(others, key=name.count)
        raise ValueError(f"{where}: with the separator {sep!r} the header is one long column {name[:60]!r}; "
                         f"it looks separated by {guess!r}: give sep={guess!r}")


def _trim_blank_rows(cells: pd.DataFrame, where: str) -> pd.DataFrame:
    empty = (cells == "").all(axis=1).to_numpy()
    n_rows = len(cells) - _count_trailing(empty)
    cells, empty = cells.iloc[:n_rows], empty[:n_rows]
    if n_rows < MIN_ROWS:
        raise ValueError(f"{where} has {n_rows} data rows; at least {MIN_ROWS} are needed")
    if empty.any():
        row = int(np.flatnonzero(empty)[0]) + 1
        raise ValueError(f"{where}: row {row} (line {row + 1} of the file) is empty")
    return cells


def _count_trailing(flags: np.ndarray) -> int:
    """How many True values end the array (blank lines at the end of a file)."""
    false = np.flatnonzero(~flags)
    return len(flags) if len(false) == 0 else len(flags) - 1 - int(false[-1])


def _uses_decimal_comma(cells: pd.DataFrame) -> bool:
    """Numbers written 1,5 somewhere and never 1.5."""
    stacked = cells.stack()
    return bool(stacked.str.fullmatch(_COMMA_NUMBER).any() and not stacked.str.fullmatch(_DOT_NUMBER).any())


def _check_unique_names(names: list[str], where: str) -> None:
    """A ValueError naming every column name the header repeats: pandas would rename the copies
    ('a', 'a.1'), and a repeated target would then become an input. Blank names are left to
    pandas, which names them apart ('Unnamed: 3')."""
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(names, start=1):
        if name:
            positions.setdefault(name, []).append(i)
    repeated = [(name, cols) for name, cols in positions.items() if len(cols) > 1]
    if repeated:
        listed = "; ".join(f"the column name {name!r} appears {len(cols)} times "
                           f"(columns {', '.join(map(str, cols[:-1]))} and {cols[-1]})" for name, cols in repeated)
        raise ValueError(f"{where}: {listed}; every column needs its own name")


# ---------------------------------------------------------------- choosing the columns
def _check_target_name(target, columns, where):
    listing = ", ".join(repr(c) for c in columns)
    if target is None:
        raise ValueError(f"{where}: say which column is the target with target=...; the columns are: {listing}")
    if not isinstance(target, str) or target not in columns:
        raise ValueError(f"{where}: the target column {target!r} is not in the file; the columns are: "
                         f"{listing}{did_you_mean(str(target), columns)}")


def _check_names(option, names, columns, where, *, inputs=None, target=None) -> list[str]:
    """``names`` as a list of header names, each checked (did-you-mean), none twice, not the target."""
    if names is None:
        return []
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{option} must be a list of column names, got {names!r}")
    names = list(names)
    for name in names:
        if name not in columns:
            label = {"features": "feature", "exclude": "excluded"}.get(option, option)
            raise ValueError(f"{where}: the {label} column {name!r} is not in the file; the columns "
                             f"are: {', '.join(repr(c) for c in columns)}{did_you_mean(name, columns)}")
        if name == target:
            raise ValueError(f"{where}: {option} names the target {target!r}, which cannot be an input")
        if inputs is not None and name not in inputs:
            raise ValueError(f"{where}: {option} names {name!r}, which is not among the inputs (see features= "
                             "and exclude=)")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{where}: {option} names {repeated[0]!r} more than once")
    return names


def _choose_inputs(columns, target, features, exclude, where) -> list[str]:
    if features is not None and exclude is not None:
        raise ValueError("give features= (only these inputs) or exclude= (all but these), not both")
    if features is not None:
        if isinstance(features, (list, tuple)) and target in features:
            raise ValueError(f"{where}: the target {target!r} cannot also be a feature")
        chosen = _check_names("features", features, columns, where, target=target)
        if not chosen:
            raise ValueError(f"{where}: features= is empty; name at least one input column")
        return chosen
    dropped = set(_check_names("exclude", exclude, columns, where, target=target))
    chosen = [c for c in columns if c != target and c not in dropped]
    if not chosen:
        raise ValueError(f"{where}: no input columns; the file needs at least one column besides the target {target!r}")
    return chosen


# ---------------------------------------------------------------- parsing a column
def _numbers(cells: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """(missing mask, float64 values: NaN where missing or not a number)."""
    missing = cells.str.lower().isin(MISSING_TOKENS).to_numpy()
    text = cells.where(~missing)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    return missing, pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)


def _where_row(i: int) -> str:
    return f"row {i + 1} (line {i + 2} of the file)"


def _parse_input(cells: pd.Series, name: str, as_category: bool, decimal: str):
    """The column parsed, and its first bad cell as ``(index, text)`` or None.

    Bad: text in a mostly numeric column that is not declared categorical, or an infinite number.
    """
    missing, numbers = _numbers(cells, decimal)
    text = np.isnan(numbers) & ~missing
    labels = cells.to_numpy(dtype=object).copy()
    labels[missing] = None
    if as_category:
        if not text.any():
            labels[~missing] = [np.format_float_positional(v, trim="-") for v in numbers[~missing]]
            return Column(name, "categorical", labels, numeric_levels=True), None
        return Column(name, "categorical", labels), None
    if not text.any():
        infinite = np.flatnonzero(np.isinf(numbers))
        bad = None
        if len(infinite):
            i = int(infinite[0])
            bad = (i, f"{_where_row(i)}: infinite value {cells.iloc[i]!r}", len(infinite))
        return Column(name, "numeric", numbers), bad
    lower = cells[~missing].str.lower()
    if lower.isin(_BOOLEAN).all():
        labels[~missing] = lower.map(_BOOLEAN).to_numpy(dtype=object)
        return Column(name, "categorical", labels), None
    n_numbers = int((~np.isnan(numbers)).sum())
    if n_numbers > text.sum():
        i = int(np.flatnonzero(text)[0])
        return Column(name, "numeric", np.where(text, np.nan, numbers)), (
            i, f"{_where_row(i)}: text {cells.iloc[i]!r} where a number is needed "
               f"(if the column is categorical, name it in categorical=)", int(text.sum()))
    return Column(name, "categorical", labels), None


def _left_out(parsed: dict, *, features: set, categorical: set, where: str) -> dict:
    """Column -> why it is left out: an index or id, or text with too many levels.

    A column named in ``categorical=`` is never left out; one named in ``features=`` is kept even if
    it looks like an id, and is an error if it is text with too many levels."""
    out = {}
    for name, (col, _) in parsed.items():
        if name in categorical:
            continue
        if name in features:
            why = _too_many_levels(col)
            if why:
                raise ValueError(f"{where}: features names {name!r}, which is {why.split(', name it')[0]}; "
                                 "name it in categorical= as well to encode it anyway, or leave it out")
            continue
        why = _index_or_id(col) or _too_many_levels(col)
        if why:
            out[name] = why
    return out


def _index_or_id(col: Column) -> str:
    if col.missing.any():
        return ""
    n = len(col.values)
    if col.kind == "numeric":
        v = col.values
        if np.all(v == np.round(v)) and len(np.unique(v)) == n:
            start = v[0]
            if start in (0, 1) and np.array_equal(v, np.arange(start, start + n)):
                return (f"a row index ({int(start)}, {int(start) + 1}, {int(start) + 2}, ...), "
                        "as DataFrame.to_csv writes it")
            return ("an index or an id (a different whole number in every row); "
                    "name it in features= to keep it")
    if _looks_like_id(col.name) and len(set(col.values.tolist())) == n:
        return "an identifier (named like an id, a different value in every row); name it in features= to keep it"
    return ""


def _looks_like_id(name: str) -> bool:
    return bool(re.search(r"(?:^|[_\s.\-])id$", name, re.IGNORECASE) or _CAMEL_ID.search(name))


def _too_many_levels(col: Column) -> str:
    if col.kind != "categorical":
        return ""
    present = int((~col.missing).sum())
    n_levels = len(col.levels())
    if n_levels > MAX_LEVELS or n_levels > MAX_DISTINCT_SHARE * present:
        return (f"text with {n_levels} different values in {present} rows, too many levels to encode "
                f"(more than {MAX_LEVELS}, or more than {MAX_DISTINCT_SHARE:.0%} of the rows distinct); "
                "name it in categorical= to encode it anyway")
    return ""


def _raise_bad_cells(kept, parsed, target_missing, missing, target, where):
    """One ValueError listing every kept column's first bad cell (text, infinite, and missing
    cells under ``missing="error"``)."""
    problems = []
    if missing == "error" and target_missing.any():
        problems.append(_missing_problem(target, target_missing))
    for col in kept:
        bad = parsed[col.name][1]
        if missing == "error" and col.missing.any():
            i = int(np.flatnonzero(col.missing)[0])
            if bad is None or i < bad[0]:
                problems.append(_missing_problem(col.name, col.missing))
                continue
        if bad is not None:
            i, text, count = bad
            also = f"; {count - 1} more bad cells in this column" if count > 1 else ""
            problems.append(f"column {col.name!r}, {text}{also}")
    if problems:
        raise ValueError(f"{where}: bad values (rows count from 1 after the header):\n  " + "\n  ".join(problems))


def _missing_problem(name, mask) -> str:
    i = int(np.flatnonzero(mask)[0])
    more = int(mask.sum()) - 1
    also = f"; {more} more missing in this column" if more else ""
    return (f"column {name!r}, {_where_row(i)}: missing value (missing='error'; "
            f"missing='drop' drops such rows, missing='impute' fills them){also}")


def _rows_to_keep(kept, target_missing, missing, target, where) -> tuple[np.ndarray, list[str]]:
    """The rows kept (a mask) and notes on the rows dropped."""
    notes = []
    keep = ~target_missing
    n_rows = len(keep)
    if target_missing.any():
        notes.append(f"dropped {int(target_missing.sum())} row(s) whose target {target!r} is missing "
                     f"(rows {_rows_text(np.flatnonzero(target_missing) + 1)}); a target is never imputed")
    if missing == "drop":
        counts = {c.name: int((c.missing & keep).sum()) for c in kept}
        gaps = np.column_stack([c.missing for c in kept]).any(axis=1) & keep
        if gaps.any():
            most = sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: -kv[1])
            listed = ", ".join(f"{k} {v}" for k, v in most[:5]) + (" ..." if len(most) > 5 else "")
            notes.append(f"dropped {int(gaps.sum())} of {int(keep.sum())} row(s) with a missing input "
                         f"(missing='drop'; missing='impute' fills them instead); missing most: {listed}")
            keep = keep & ~gaps
    n_kept = int(keep.sum())
    if n_kept < MIN_ROWS:
        hint = "; try missing='impute'" if missing == "drop" else ""
        raise ValueError(f"{where}: {n_kept} of {n_rows} rows are left after dropping rows with missing values; "
                         f"at least {MIN_ROWS} are needed{hint}")
    return keep, notes


def _rows_text(rows, limit: int = 5) -> str:
    rows = [int(r) for r in rows]
    return ", ".join(map(str, rows[:limit])) + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _warn_constant(table: CsvTable) -> None:
    for col in table.columns:
        present = col.values[~col.missing]
        if len(present) and (present == present[0]).all():
            warnings.warn(f"{table.where}: input column {col.name!r} has the same value in every row; "
                          "its importance is zero by definition", UserWarning, stacklevel=5)


# ---------------------------------------------------------------- the target
def _parse_target(cells: pd.Series, target, task, positive, decimal, where):
    """(y with NaN where missing, task, missing mask, notes)."""
    missing, numbers = _numbers(cells, decimal)
    text = np.isnan(numbers) & ~missing
    if missing.all():
        raise ValueError(f"{where}: the target {target!r} is missing in every row")
    if not text.any():
        infinite = np.flatnonzero(np.isinf(numbers))
        if len(infinite):
            i = int(infinite[0])
            raise ValueError(f"{where}: bad values (rows count from 1 after the header):\n  column {target!r}, "
                             f"{_where_row(i)}: infinite value {cells.iloc[i]!r}")
        y, task, notes = _numeric_target(numbers, missing, target, task, positive, where)
        return y, task, missing, notes
    labels = cells.to_numpy(dtype=object)
    lower = cells[~missing].str.lower()
    if lower.isin(_BOOLEAN).all():
        labels = labels.copy()
        labels[~missing] = lower.map(_BOOLEAN).to_numpy(dtype=object)
    elif int((~np.isnan(numbers)).sum()) > text.sum():
        i = int(np.flatnonzero(text)[0])
        raise ValueError(f"{where}: bad values (rows count from 1 after the header):\n  column {target!r}, "
                         f"{_where_row(i)}: text {cells.iloc[i]!r} where a number is needed "
                         "(a binary target must be coded 0/1, or as two text classes)")
    y, task, notes = _text_target(labels, missing, target, task, positive, where)
    return y, task, missing, notes


def _numeric_target(values, missing, target, task, positive, where):
    present = values[~missing]
    if positive is not None:
        if task == "regression":
            raise ValueError(f"{where}: positive= makes a binary task, but task='regression' was given")
        try:
            chosen = float(positive)
        except (TypeError, ValueError):
            chosen = np.nan
        classes = np.unique(present)
        if chosen not in classes:
            shown = ", ".join(format(c, "g") for c in classes[:10])
            raise ValueError(f"{where}: positive={positive!r} is not a value of the target {target!r} "
                             f"(its values: {shown}{' ...' if len(classes) > 10 else ''})")
        y = np.where(missing, np.nan, (values == chosen).astype(np.float64))
        return y, "binary", [f"the target {target!r}: {format(chosen, 'g')} is 1, every other value is 0"]
    is01 = np.isin(present, (0.0, 1.0))
    if task == "binary" and not is01.all():
        i = int(np.flatnonzero(~missing)[np.flatnonzero(~is01)[0]])
        raise ValueError(f"{where}: task='binary' needs the target {target!r} to hold only 0 and 1 (or give "
                         f"positive=); {_where_row(i)} holds {values[i]:g}")
    if task is None:
        task = "binary" if is01.all() else "regression"
    notes = []
    classes = np.unique(present)
    if task == "regression" and len(classes) == 2:
        notes.append(f"the target {target!r} has two values ({classes[0]:g}, {classes[1]:g}) and is treated as "
                     f"a regression; give positive={classes[1]:g} for a binary task")
    return values, task, notes


def _text_target(labels, missing, target, task, positive, where):
    classes = sorted(set(labels[~missing].tolist()))
    if task == "regression":
        i = int(np.flatnonzero(~missing)[0])
        raise ValueError(f"{where}: task='regression' needs a numeric target, but {target!r} holds text "
                         f"({_where_row(i)}: {labels[i]!r})")
    if positive is None:
        if len(classes) > 2:
            shown = ", ".join(repr(c) for c in classes[:10]) + (" ..." if len(classes) > 10 else "")
            raise ValueError(f"{where}: the target {target!r} has {len(classes)} classes ({shown}); the kit "
                             f"handles two. Give positive= to predict one class against the rest, e.g. "
                             f"positive={classes[0]!r}")
        if len(classes) < 2:
            raise ValueError(f"{where}: the target {target!r} has the same value ({classes[0]!r}) in every row; "
                             "there is nothing to explain")
        chosen = classes[1]
        how = "the second in sorted order; give positive= to choose"
    else:
        chosen = str(positive)
        if chosen not in classes:
            raise ValueError(f"{where}: positive={positive!r} is not a class of the target {target!r} (its classes: "
                             f"{', '.join(repr(c) for c in classes)}){did_you_mean(chosen, classes)}")
        how = "positive="
    others = [c for c in classes if c != chosen]
    y = np.where(missing, np.nan, (labels == chosen).astype(np.float64))
    zero = f"{others[0]!r} is 0" if len(others) == 1 else f"the other classes ({', '.join(map(repr, others))}) are 0"
    return y, "binary", [f"the target {target!r} is binary: {chosen!r} is 1 and {zero} ({how})"]


def _check_final_target(table: CsvTable) -> None:
    y = table.y
    if (y == y[0]).all():
        raise ValueError(f"{table.where}: the target {table.target!r} has the same value ({y[0]:g}) in every "
                         "row kept; there is nothing to explain")

"""Reading and checking a user's CSV file: separators, columns, categories, missing values, ids, targets.

``read_csv_table`` reads a file into a ``CsvTable``: the target as numbers (0/1 for a binary task),
the chosen inputs parsed (numbers, or the text labels of a categorical input), and notes saying
what was done (columns left out, rows dropped, which class is 1). It does not yet encode anything:
one-hot levels and imputed values must come from the *training* rows, so ``CsvTable.fit`` learns an
``Encoding`` on some rows and ``Encoding.transform`` applies it to any rows. ``helpers.data``
builds a ``Dataset`` from the result; ``Dataset.split`` fits on the training part.

Every problem is a ``ValueError`` naming the column and the row, raised before anything trains.
Rows are counted from 1 at the first data row (the header is not a row); the file line is the row
plus one. Notes are plain strings. A big file of numbers is typed by pandas' C parser, and only the
columns holding text are read cell by cell as strings (``_read_cells`` says why the two agree).

The rules, in the order they are applied:

1. **Separators.** ``sep=None`` takes whichever of ``,`` ``;`` tab ``|`` the header holds most
   (``,`` on a tie or when there is none); ``decimal=None`` takes a decimal comma when the file is
   not comma separated and its numbers are written ``1,5`` (never ``1.5``). A header read as one
   long column that holds another separator is an error saying which separator it looks like.
   In a file not comma separated, text that looks like numbers written ``1,5`` (read with
   ``decimal="."``) is said to be so wherever it ends up: a left-out or categorical column's note,
   or the error on a target or a numeric column.
2. **Columns.** Every column but the target is an input, or only ``features=``, or all but
   ``exclude=``. Left out with a note (unless named in ``features=`` or ``categorical=``): a column
   holding a different whole number in every row (a row index, such as the ``Unnamed: 0`` of
   ``DataFrame.to_csv``, or a numeric id), and a column named like an id (``id``, ``ID``, ``*_id``,
   ``customerID``) holding a different value in every row. An id may have a few missing cells:
   "every row" is then every row that has a value, when at least ``ID_MIN_SHARE`` (95%) of the
   cells and ``ID_MIN_ROWS`` (40) cells have one (with fewer, all different could be chance).
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
import functools
import itertools
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["read_csv_table", "CsvTable", "Column", "Encoding", "Encoded", "merge_groups", "check_groups",
           "did_you_mean", "TASKS", "MIN_ROWS", "MISSING_TOKENS", "MISSING_CHOICES", "MAX_LEVELS",
           "MAX_DISTINCT_SHARE", "ID_MIN_SHARE", "ID_MIN_ROWS", "SEPARATORS"]

TASKS = ("regression", "binary")
MIN_ROWS = 20
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
MISSING_CHOICES = ("drop", "impute", "error")
MAX_LEVELS = 30              # a text column with more levels than this is not one-hot encoded ...
MAX_DISTINCT_SHARE = 0.5     # ... nor one with more than this share of its non-missing rows distinct
ID_MIN_SHARE = 0.95          # an id column with missing cells: at least this share of its cells present ...
ID_MIN_ROWS = 40             # ... and at least this many, so that its values being all different is not chance
SEPARATORS = (",", ";", "\t", "|")
_BOOLEAN = {"true": "True", "false": "False"}
_CAMEL_ID = re.compile(r"[a-z](?:Id|ID)$")
_COMMA_NUMBER = r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?"
_DOT_NUMBER = r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?"
_COMMA_OR_WHOLE = rf"{_COMMA_NUMBER}|[+-]?\d+"
_COMMA_ADVICE = "looks like numbers with a decimal comma: give decimal=','"


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
    filled_notes: list = field(default_factory=list)


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
        filled_notes = [_filled_note(filled, self.source)] if filled else []
        notes += filled_notes
        groups = None
        if self.levels or self.user_groups:
            groups = merge_groups(base, self.user_groups or {})
        return Encoded(X, names, groups, notes + unknown_notes, unknown_notes, filled_notes)

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
    columns = list(cells.columns)
    _check_target_name(target, columns, where)
    inputs = _choose_inputs(columns, target, features, exclude, where)
    categorical = _check_names("categorical", categorical, columns, where, inputs=inputs, target=target)

    advise = cells.sep != ","                         # decimal=',' is possible: text written 1,5 gets advice
    y, task, target_missing, target_notes = _parse_target(cells.get(target), target, task, positive, where, advise)
    parsed = {name: _parse_input(cells.get(name), name, name in categorical, advise) for name in inputs}
    left_out = _left_out(parsed, features=set(features or ()), categorical=set(categorical), where=where,
                         advise=advise)
    kept = [parsed[name][0] for name in inputs if name not in left_out]
    if not kept:
        why = "; ".join(f"{k!r} ({v})" for k, v in left_out.items())
        raise ValueError(f"{where}: no input columns left" + (f"; left out: {why}" if why else ""))
    _raise_bad_cells(kept, parsed, target_missing, missing, target, where)
    notes += [f"left out {name!r}: {why}" for name, why in left_out.items()]
    if advise:
        notes += [f"{col.name!r} is read as text (a categorical input) but {_COMMA_ADVICE}" for col in kept
                  if col.kind == "categorical" and col.name not in categorical and _written_with_comma(col.values)]
    user_groups = check_groups(groups, [c.name for c in kept], where, left_out)

    keep, drop_notes = _rows_to_keep(kept, target_missing, missing, target, where)
    table = CsvTable(where, target, task, y, tuple(kept), user_groups, missing,
                     np.arange(1, len(y) + 1), ()).take(np.flatnonzero(keep))
    _check_final_target(table)
    _warn_constant(table)
    return replace(table, notes=tuple(notes + drop_notes + target_notes))


def check_columns(path, *, target: str | None, features=None, exclude=None, categorical=None, groups=None,
                  sep: str | None = None) -> None:
    """The checks of ``read_csv_table`` that need only the header: the separator (not one long
    column), no name twice, the target and every name of ``features``, ``exclude``,
    ``categorical`` and ``groups`` in the header (with a did-you-mean). Reads the first line only,
    so a batch checks a config against its files before anything runs, whatever their size; the
    cells are checked when the run reads the file."""
    path = Path(path)
    where = path.name
    seen = _separator(path, where, sep)
    columns = _read_header(path, where, _reading_options(seen))
    _check_unique_names(columns, where)
    _check_not_one_long_column(columns, seen, where)
    _check_target_name(target, columns, where)
    inputs = _choose_inputs(columns, target, features, exclude, where)
    _check_names("categorical", categorical, columns, where, inputs=inputs, target=target)
    check_groups(groups, inputs, where)


def _check_choice(name, value, choices, allow_none=False):
    if value is None and allow_none:
        return
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


@dataclass(frozen=True, eq=False)
class _Cells:
    """The file's data rows (trailing blank lines removed), column by column, in file order.

    A column comes in one of two forms, whichever path read it (see ``_read_cells``):

    - in ``numbers``: ``(missing mask, float64 values)``, typed by pandas' C parser (the parsed
      path). Every cell is a number or a missing-value marker, no number is infinite, and the
      values and the mask are the ones ``_numbers`` gives for the column's stripped strings;
    - in ``text``: the cells as stripped strings (a str Series), parsed by ``_numbers`` when asked.
    """
    columns: list
    decimal: str
    numbers: dict
    text: dict
    sep: str = ","

    def get(self, name: str) -> tuple[np.ndarray, np.ndarray, pd.Series | None]:
        """(missing mask, float64 values NaN where missing or text, the stripped strings or None).

        The strings are None for a column typed by the parser: it has no text and no infinite value,
        the only cells whose text a message shows."""
        if name in self.numbers:
            missing, values = self.numbers[name]
            return missing, values, None
        cells = self.text[name]
        missing, values = _numbers(cells, self.decimal)
        return missing, values, cells


def _read_cells(path: Path, where: str, sep, decimal, *, fast: bool = True) -> tuple[_Cells, list[str]]:
    """The file's cells and the notes on what was detected (separator, decimal comma).

    Two paths read the cells and give the same ones, hence the same table, notes and messages.

    The *text path* (``_text_cells``, ``fast=False``) is the definition of every rule: each cell is
    read as a string and stripped, a blank row is one whose cells are all empty, the decimal comma
    is detected on the strings (``_uses_decimal_comma``), and each column is parsed by ``_numbers``
    from strings kept so that a message can quote a bad cell. It makes a Python string of every
    cell: some 20 s for a million rows of ten numbers.

    The *parsed path* (``_parsed_cells``, the default) lets pandas' C parser type the columns,
    with every spelling of the missing-value markers as its NA values (a marker with spaces around
    it is not one to the parser, so that column stays text). It keeps a column as numbers only if
    the parser typed it as whole numbers, or as floats with no infinite value, in a file with no '+'
    outside an exponent, and with no zero if the file holds a '-0' written as a whole number. Such
    a column has no cell a message could quote, and the parser gives the numbers and missing cells
    that ``_numbers`` gives on the stripped strings, to the last bit; but not for a long number
    written with a leading '+' (``pd.to_numeric`` rounds it otherwise), nor for '-0' in a column of
    whole numbers with gaps (the parser reads those as integers, making it 0), hence those rules.
    That agreement is a property of the pinned pandas, checked cell by cell on tricky and random
    cells by ``test_csvfile``. Every other column (text, true/false, numbers and text mixed, an
    infinite number, the floats those rules leave out) is taken as strings, the parser's
    own for a text column (a missing-value marker handed over as "", missing either way) or read
    again, and parsed by ``_numbers`` as on the text path, which is then paid only where there is
    something to report. Rows whose cells are all missing are read again as strings, to tell a
    blank row from a row of markers ('NA'); the decimal comma is detected from the text columns,
    reading a cell or the float columns again only when they may hold the answer
    (``_decimal_mark``). The parsed path gives up, and the text path reads the file, whenever it
    cannot be sure: the C engine cannot read the file or split on the separator, or a second read
    does not give the same rows.
    """
    for name, value in (("sep", sep), ("decimal", decimal)):
        if value is not None and (not isinstance(value, str) or not value):
            raise ValueError(f"{name} must be a non-empty string or None, got {value!r}")
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',' (or None to detect it), got {decimal!r}")
    seen = _separator(path, where, sep)
    notes = []
    if decimal == "," and seen == ",":
        raise ValueError(f"{where}: decimal=',' needs a separator other than ','; give sep=';' (or sep='\\t')")
    if sep is None and seen != ",":
        notes.append(f"read as a {_sep_name(seen)}-separated file (detected; give sep= to choose)")
    options = _reading_options(seen)
    cells = _parsed_cells(path, where, seen, decimal, options) if fast else None
    if cells is None:
        cells = _text_cells(path, where, seen, decimal, options)
    if decimal is None and cells.decimal == ",":
        notes.append("numbers are read with a decimal comma (detected; give decimal= to choose)")
    return cells, notes


def _separator(path: Path, where: str, sep) -> str:
    """``sep`` checked, or the separator the file's first line uses most (``_guess_separator``)."""
    if sep is not None and (not isinstance(sep, str) or not sep):
        raise ValueError(f"sep must be a non-empty string or None, got {sep!r}")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except (UnicodeDecodeError, OSError) as err:
        raise ValueError(f"cannot read {where} as a CSV file: {err}") from None
    return sep or _guess_separator(first)


def _reading_options(sep: str) -> dict:
    """pandas' options for reading every cell as written (text, no missing-value markers)."""
    return dict(sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False, skipinitialspace=True,
                index_col=False, encoding="utf-8-sig")


def _read_header(path: Path, where: str, options: dict) -> list[str]:
    """The first line's names, stripped, as written (pandas would rename a repeated name)."""
    try:
        return [str(c).strip() for c in pd.read_csv(path, header=None, nrows=1, **options).iloc[0]]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"cannot read {where} as a CSV file: {err}") from None


def _text_cells(path: Path, where: str, seen: str, decimal, options: dict) -> _Cells:
    """The text path: every cell a stripped string (see ``_read_cells``)."""
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            raw = pd.read_csv(path, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"cannot read {where} as a CSV file: {err}") from None
    raw.columns = _checked_names(path, where, seen, options, raw.columns, said)
    cells = raw.fillna("").astype(str).apply(lambda col: col.str.strip())
    cells = _trim_blank_rows(cells, where)
    if decimal is None:
        decimal = "," if seen != "," and _uses_decimal_comma(cells) else "."
    columns = list(cells.columns)
    return _Cells(columns, decimal, {}, {name: cells[name] for name in columns}, seen)


def _checked_names(path: Path, where: str, seen: str, options: dict, columns, said) -> list[str]:
    """The column names, stripped, after the checks on the header: as many names as values in a
    row (``said``: the warnings of the read), no name twice, not one long name holding another
    separator. A header of one long name holding another separator, with rows of more values
    (numbers written 1,5 split on their decimal commas), is an error saying so."""
    header = _read_header(path, where, options)  # as written: pandas renames a repeated name ('a', 'a.1') in `raw`
    if any(issubclass(w.category, pd.errors.ParserWarning) and "does not match" in str(w.message) for w in said):
        # pandas would drop the values beyond the header's names, silently
        try:
            more = f"up to {pd.read_csv(path, header=None, skiprows=1, **options).shape[1]}"
        except (pd.errors.ParserError, ValueError):
            more = "more"
        names = header
        guess = _looks_separated_by(names, seen, SEPARATORS)
        if guess:
            raise ValueError(f"{where}: with the separator {seen!r} the header is one long column {names[0][:60]!r} "
                             f"but rows hold {more} values; it looks separated by {guess!r}: give sep={guess!r}")
        raise ValueError(f"{where}: the first line names {len(header)} columns but rows hold {more} "
                         "values; the first line must be a header with one name per column (is it a header?)")
    _check_unique_names(header, where)
    names = [str(c).strip() for c in columns]
    _check_not_one_long_column(names, seen, where)
    return names


# every spelling of a missing-value marker, for the C parser (which compares cells as written)
_NA_SPELLINGS = sorted({"".join(chars) for token in MISSING_TOKENS
                        for chars in itertools.product(*({c.lower(), c.upper()} for c in token))})
_BLOCK = 1 << 24                  # bytes read at a time when scanning the file
# a number written with each decimal mark, and a test on the file's bytes that it might hold one
_WRITTEN = {".": (_DOT_NUMBER, re.compile(rb"\.[0-9\x80-\xff]")),      # \d is any Unicode digit
            ",": (_COMMA_NUMBER, re.compile(rb",[0-9\x80-\xff]"))}


def _parsed_cells(path: Path, where: str, seen: str, decimal, options: dict) -> _Cells | None:
    """The parsed path (see ``_read_cells``), or None to read the file on the text path."""
    if len(seen) != 1 or seen in "\"\r\n":
        return None                                   # not one the C engine splits on as the text path does
    mark = decimal or ("." if seen == "," else _likely_decimal(path))
    first = _typed_read(path, options, mark)
    if first is None:
        return None
    typed, said = first
    columns = _checked_names(path, where, seen, options, typed.columns, said)
    n = len(typed)
    plus = seen in "eE" or _holds_plus_sign(path)
    split = _split_columns(path, options, typed, plus)
    if split is None:
        return None
    empty = _empty_rows(path, options, *split, n)
    if empty is None:
        return None
    n_rows = _rows_before_blank_tail(empty, where)
    numbers, text = _first_rows(*split, n_rows)
    if decimal is None:
        decimal = "." if seen == "," else _decimal_mark(path, options, mark, typed.dtypes, numbers, text, n_rows)
        if decimal is None:
            return None
        if decimal != mark:
            again = _typed_read(path, options, decimal)
            if again is None or len(again[0]) != n:
                return None
            split = _split_columns(path, options, again[0], plus)
            if split is None:
                return None
            numbers, text = _first_rows(*split, n_rows)
    return _Cells(columns, decimal, {columns[k]: v for k, v in sorted(numbers.items())},
                  {columns[k]: v for k, v in sorted(text.items())}, seen)


def _typed_read(path: Path, options: dict, decimal: str):
    """(the file with its columns typed by the C parser, the read's warnings), or None if it fails."""
    typed_options = {**options, "dtype": None, "decimal": decimal, "na_values": _NA_SPELLINGS,
                     "engine": "c", "low_memory": False}
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            return pd.read_csv(path, **typed_options), said
    except (ValueError, TypeError, OverflowError):
        return None


def _read_strings(path: Path, options: dict, **more) -> pd.DataFrame | None:
    """Some of the file as the text path reads it (``usecols=``, ``skiprows=``), or None if it fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.read_csv(path, **options, **more)
    except (ValueError, TypeError, OverflowError):
        return None


def _stripped(col: pd.Series) -> pd.Series:
    """A column's cells as the text path has them."""
    return col.fillna("").astype(str).str.strip()


def _holds_plus_sign(path: Path) -> bool:
    """Whether the file has a '+' outside an exponent ('1e+5'): a number may be written '+1.5'."""
    previous = b""
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            signs = block.count(b"+")
            if signs:
                exponents = block.count(b"e+") + block.count(b"E+") + (block[:1] == b"+" and previous in (b"e", b"E"))
                if signs > exponents:
                    return True
            previous = block[-1:]
    return False


def _split_columns(path: Path, options: dict, typed: pd.DataFrame, plus: bool):
    """({position: (missing, values)} for the columns kept as numbers, {position: stripped
    strings} for the others), or None. A text column the parser left as strings keeps them (a
    missing-value marker, NA to the parser, becomes ""; ``_empty_rows`` tells them apart); the
    other columns are read again as strings."""
    numbers, text, again = {}, {}, []
    holds_negative_zero = functools.cache(lambda: _holds_bytes(path, _negative_zero(options["sep"]), b"0"))
    for k in range(typed.shape[1]):
        col = typed.iloc[:, k]
        if col.dtype == np.int64:
            numbers[k] = (np.zeros(len(col), dtype=bool), col.to_numpy(dtype=np.float64))
        elif col.dtype == np.float64 and not plus:
            values = col.to_numpy(dtype=np.float64)
            if np.isinf(values).any():
                again.append(k)                       # an error whose message quotes the cell
            elif (values == 0).any() and holds_negative_zero():
                again.append(k)                       # whole numbers with gaps: the parser reads '-0' as 0
            else:
                numbers[k] = (np.isnan(values), values)
        elif isinstance(col.dtype, pd.StringDtype):
            text[k] = _stripped(col)
        else:
            again.append(k)                           # true/false, or numbers and text mixed
    if again:
        strings = _read_strings(path, options, usecols=again)
        if strings is None or strings.shape != (len(typed), len(again)):
            return None
        for j, k in enumerate(again):
            text[k] = _stripped(strings.iloc[:, j])
    return numbers, text


def _negative_zero(sep: str) -> re.Pattern:
    """'-0' (or '-00'...) as a whole number: not followed by a digit, a decimal mark or an exponent."""
    follows = b"".join(re.escape(c.encode()) for c in ".,eE" if c != sep)
    return re.compile(rb"-0+(?![0-9" + follows + rb"])")


def _empty_rows(path: Path, options: dict, numbers: dict, text: dict, n: int) -> np.ndarray | None:
    """Which rows are blank (every cell empty once stripped), or None. A row can only be blank if
    every cell is missing; those rows are read again as strings, since a missing-value marker
    ('NA') is not empty."""
    maybe = np.ones(n, dtype=bool)
    for missing, _ in numbers.values():
        maybe &= missing
    for cells in text.values():
        maybe &= (cells == "").to_numpy()
    if not maybe.any():
        return maybe
    rows = np.flatnonzero(maybe)
    wanted = set((rows + 1).tolist())                  # record 0 is the header
    strings = _read_strings(path, options, skiprows=lambda i: i != 0 and i not in wanted)
    if strings is None or len(strings) != len(rows):
        return None
    empty = np.zeros(n, dtype=bool)
    empty[rows] = (strings.fillna("").astype(str).apply(lambda col: col.str.strip()) == "").all(axis=1).to_numpy()
    return empty


def _first_rows(numbers: dict, text: dict, n_rows: int) -> tuple[dict, dict]:
    return ({k: (m[:n_rows], v[:n_rows]) for k, (m, v) in numbers.items()},
            {k: cells.iloc[:n_rows] for k, cells in text.items()})


def _likely_decimal(path: Path) -> str:
    """',' if the start of the file holds more numbers written 1,5 than 1.5, else '.'. A guess, to
    read the file first with the likely mark: ``_decimal_mark`` decides."""
    with open(path, "rb") as handle:
        start = handle.read(1 << 20)
    return "," if len(re.findall(rb"[0-9],[0-9]", start)) > len(re.findall(rb"[0-9]\.[0-9]", start)) else "."


def _decimal_mark(path: Path, options: dict, mark: str, dtypes, numbers: dict, text: dict, n_rows: int) -> str | None:
    """``_uses_decimal_comma`` on the parsed path: "," if a cell is a number written 1,5 and none
    is written 1.5, else "."; None if unsure. The cells were read with the decimal ``mark``.

    A number written with the other mark is never in a column the parser typed as numbers, so it
    is looked for in the text columns only; one written with ``mark`` may also be in a column typed
    as floats (``_written_with``)."""
    other = "," if mark == "." else "."
    pattern = _WRITTEN[other][0]
    other_found = any(_any_fullmatch(cells, pattern, other) for cells in text.values())
    if mark == ".":
        if not other_found:
            return "."                                # no number written 1,5
        found = _written_with(path, options, ".", dtypes, numbers, text, n_rows)
        return None if found is None else ("." if found else ",")
    if other_found:
        return "."                                    # a number written 1.5
    found = _written_with(path, options, ",", dtypes, numbers, text, n_rows)
    return None if found is None else ("," if found else ".")


def _written_with(path, options, mark, dtypes, numbers, text, n_rows) -> bool | None:
    """Whether a cell is a number written with ``mark``, the decimal the file was read with (such
    a cell may be in a text column or in a column typed as floats); None if unsure. The float
    columns are read again as strings only if one cell of theirs does not settle it and the file
    holds the mark before a digit at all."""
    pattern, raw = _WRITTEN[mark]
    if any(_any_fullmatch(cells, pattern, mark) for cells in text.values()):
        return True
    floats = [k for k in numbers if dtypes.iloc[k] == np.float64]
    if not floats or not _holds_bytes(path, raw):
        return False
    if _one_cell_written_with(path, options, mark, numbers, floats, pattern):
        return True
    strings = _read_strings(path, options, usecols=floats)
    if strings is None or len(strings) < n_rows:
        return None
    return any(_any_fullmatch(_stripped(strings.iloc[:n_rows, j]), pattern, mark) for j in range(len(floats)))


def _one_cell_written_with(path, options, mark, numbers, floats, pattern) -> bool:
    """Whether the first cell of a float column holding a fraction is written with ``mark``: read
    again as a string, it must be that number."""
    for k in floats:
        missing, values = numbers[k]
        fractions = np.flatnonzero(~missing & (values != np.round(values)))
        if len(fractions):
            row = int(fractions[0])
            break
    else:
        return False
    strings = _read_strings(path, options, usecols=[k], skiprows=range(1, row + 1), nrows=1)
    if strings is None or len(strings) != 1:
        return False
    cell = _stripped(strings.iloc[:, 0])
    missing, value = _numbers(cell, mark)
    return bool(not missing[0] and value[0] == values[row] and cell.str.fullmatch(pattern).iloc[0])


def _any_fullmatch(cells: pd.Series, pattern: str, mark: str) -> bool:
    """Whether a cell matches ``pattern`` (which needs ``mark`` in the cell)."""
    marked = cells[cells.str.contains(mark, regex=False)]
    return bool(marked.str.fullmatch(pattern).any())


def _holds_bytes(path: Path, pattern: re.Pattern, run: bytes = b"") -> bool:
    """Whether the file's bytes match ``pattern``, read a block at a time. A match is one byte and
    then bytes of ``run`` (and what the pattern only looks ahead at), so that much of a block is
    carried over to the next."""
    previous = b""
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            joined = previous + block
            if pattern.search(joined):
                return True
            previous = joined[max(len(joined.rstrip(run)) - 1, 0):]
    return False


def _guess_separator(header_line: str) -> str:
    """The separator the header uses most, outside quotes (',' on a tie or when none)."""
    bare = re.sub(r'"[^"]*"', "", header_line)
    counts = [bare.count(s) for s in SEPARATORS]
    return SEPARATORS[int(np.argmax(counts))] if max(counts) > 0 else ","


def _sep_name(sep: str) -> str:
    return {"\t": "tab", ";": "semicolon", "|": "'|'", ",": "comma"}.get(sep, repr(sep))


def _check_not_one_long_column(columns, sep, where):
    """A header read as one column that holds another separator: the separator is wrong."""
    guess = _looks_separated_by(columns, sep, (*SEPARATORS, " "))
    if guess:
        raise ValueError(f"{where}: with the separator {sep!r} the header is one long column {columns[0][:60]!r}; "
                         f"it looks separated by {guess!r}: give sep={guess!r}")


def _looks_separated_by(columns, sep, candidates) -> str | None:
    """The candidate separator a header read as one column holds most, or None."""
    if len(columns) != 1:
        return None
    name = columns[0]
    others = [s for s in candidates if s != sep and s in name]
    return max(others, key=name.count) if others else None


def _trim_blank_rows(cells: pd.DataFrame, where: str) -> pd.DataFrame:
    return cells.iloc[:_rows_before_blank_tail((cells == "").all(axis=1).to_numpy(), where)]


def _rows_before_blank_tail(empty: np.ndarray, where: str) -> int:
    """The number of rows once the blank rows (``empty``) ending the file are removed; an error
    if too few are left or if a blank row is left among them."""
    n_rows = len(empty) - _count_trailing(empty)
    empty = empty[:n_rows]
    if n_rows < MIN_ROWS:
        raise ValueError(f"{where} has {n_rows} data rows; at least {MIN_ROWS} are needed")
    if empty.any():
        row = int(np.flatnonzero(empty)[0]) + 1
        raise ValueError(f"{where}: row {row} (line {row + 1} of the file) is empty")
    return n_rows


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


def _parse_input(column, name: str, as_category: bool, advise: bool = False):
    """The column parsed, and its first bad cell as ``(index, text, count)`` or None.

    ``column`` is ``(missing, numbers, cells)`` from ``_Cells.get``; ``cells`` (the stripped
    strings) is None only for a column with neither text nor an infinite number.
    Bad: text in a mostly numeric column that is not declared categorical, or an infinite number.
    ``advise``: say so when that text is numbers written with a decimal comma.
    """
    missing, numbers, cells = column
    text = np.isnan(numbers) & ~missing
    if as_category:
        if not text.any():
            labels = np.full(len(numbers), None, dtype=object)
            labels[~missing] = [np.format_float_positional(v, trim="-") for v in numbers[~missing]]
            return Column(name, "categorical", labels, numeric_levels=True), None
        return Column(name, "categorical", _labels(cells, missing)), None
    if not text.any():
        infinite = np.flatnonzero(np.isinf(numbers))
        bad = None
        if len(infinite):
            i = int(infinite[0])
            bad = (i, f"{_where_row(i)}: infinite value {cells.iloc[i]!r}", len(infinite))
        return Column(name, "numeric", numbers), bad
    labels = _labels(cells, missing)
    lower = cells[~missing].str.lower()
    if lower.isin(_BOOLEAN).all():
        labels[~missing] = lower.map(_BOOLEAN).to_numpy(dtype=object)
        return Column(name, "categorical", labels), None
    n_numbers = int((~np.isnan(numbers)).sum())
    if n_numbers > text.sum():
        i = int(np.flatnonzero(text)[0])
        why = (f"; the column {_COMMA_ADVICE}" if advise and _written_with_comma(cells[text], whole=False) else
               " (if the column is categorical, name it in categorical=)")
        return Column(name, "numeric", np.where(text, np.nan, numbers)), (
            i, f"{_where_row(i)}: text {cells.iloc[i]!r} where a number is needed{why}", int(text.sum()))
    return Column(name, "categorical", labels), None


def _written_with_comma(labels, whole: bool = True) -> bool:
    """Whether text labels (None where missing) are numbers written 1,5: every one of them (or a
    whole number, with ``whole``), and at least one with a decimal comma."""
    written = pd.Series(labels, dtype=object).dropna().astype(str).drop_duplicates()
    return bool(len(written) and written.str.fullmatch(_COMMA_NUMBER).any()
                and written.str.fullmatch(_COMMA_OR_WHOLE if whole else _COMMA_NUMBER).all())


def _labels(cells: pd.Series, missing: np.ndarray) -> np.ndarray:
    """The cells as an object array of str, None where missing."""
    labels = cells.to_numpy(dtype=object).copy()
    labels[missing] = None
    return labels


def _left_out(parsed: dict, *, features: set, categorical: set, where: str, advise: bool = False) -> dict:
    """Column -> why it is left out: an index or id, or text with too many levels.

    A column named in ``categorical=`` is never left out; one named in ``features=`` is kept even if
    it looks like an id, and is an error if it is text with too many levels. Text with too many
    levels that looks like numbers written 1,5 (``advise``) is said to be so, in place of the
    advice to name it in ``categorical=``."""
    out = {}
    for name, (col, _) in parsed.items():
        if name in categorical:
            continue
        many = _too_many_levels(col)
        comma = bool(many) and advise and _written_with_comma(col.values)
        if name in features:
            if many:
                advice = (f"it {_COMMA_ADVICE}" if comma else
                          "name it in categorical= as well to encode it anyway, or leave it out")
                raise ValueError(f"{where}: features names {name!r}, which is {many}; {advice}")
            continue
        why = _index_or_id(col)
        if not why and many:
            why = many + (f"; it {_COMMA_ADVICE}" if comma else "; name it in categorical= to encode it anyway")
        if why:
            out[name] = why
    return out


def _index_or_id(col: Column) -> str:
    """Why ``col`` is a row index or an id (rule 2 of the module's docstring), or ""."""
    missing = col.missing
    n, gaps = len(missing), int(missing.sum())
    present = n - gaps
    if gaps and (present < ID_MIN_SHARE * n or present < ID_MIN_ROWS):
        return ""
    every = f"every row that has one, {gaps} missing" if gaps else "every row"
    v = col.values[~missing]
    if col.kind == "numeric":
        if np.all(v == np.round(v)) and len(np.unique(v)) == present:
            start = v[0]
            if not gaps and start in (0, 1) and np.array_equal(v, np.arange(start, start + n)):
                return (f"a row index ({int(start)}, {int(start) + 1}, {int(start) + 2}, ...), "
                        "as DataFrame.to_csv writes it")
            return f"an index or an id (a different whole number in {every}); name it in features= to keep it"
    if _looks_like_id(col.name) and len(set(v.tolist())) == present:
        return f"an identifier (named like an id, a different value in {every}); name it in features= to keep it"
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
                f"(more than {MAX_LEVELS}, or more than {MAX_DISTINCT_SHARE:.0%} of the rows distinct)")
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
def _parse_target(column, target, task, positive, where, advise=False):
    """(y with NaN where missing, task, missing mask, notes); ``column`` and ``advise`` as for
    ``_parse_input``."""
    missing, numbers, cells = column
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
        why = (f"; the column {_COMMA_ADVICE}" if advise and _written_with_comma(cells[text], whole=False) else
               " (a binary target must be coded 0/1, or as two text classes)")
        raise ValueError(f"{where}: bad values (rows count from 1 after the header):\n  column {target!r}, "
                         f"{_where_row(i)}: text {cells.iloc[i]!r} where a number is needed{why}")
    if advise and positive is None and _written_with_comma(labels[~missing]):
        i = int(np.flatnonzero(text)[0])
        raise ValueError(f"{where}: the target {target!r} holds text that {_COMMA_ADVICE} "
                         f"({_where_row(i)}: {labels[i]!r})")
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

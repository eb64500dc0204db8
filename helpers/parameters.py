"""One definition of what the report accepts: a rule for each parameter of ``notebooks/report.ipynb``.

The report notebook takes the parameters of its cell tagged ``parameters`` (``dataset``, ``seed``,
``epochs`` ...). Two places check those values, and both check them here, against one table,
``PARAMETERS``:

- the notebook itself (``validate_report_parameters``), so that a bad value stops the report with
  one clear message before any data is loaded or any net trained;
- the batch runner (``check_report_parameters``), before any run starts, so that every bad value
  of a config is reported at once instead of failing later, one kernel each.

Each rule says what kind of value it takes and which values are valid. The valid choices are read
from the kit's own registries, never copied: ``helpers.data.DATASETS`` and ``TASKS``,
``helpers.model.ACTIVATIONS``, and the measure names through ``helpers.report.check_measures``
(which reads ``helpers.importance.MEASURES``). The registries that need torch are read only when
such a value is checked, so importing this module stays cheap. A parameter added to the notebook
needs a rule here: ``tests/test_parameters.py`` checks that the table covers exactly the
notebook's parameters.

Examples
--------
>>> from helpers.parameters import check_report_parameters
>>> for problem in check_report_parameters({"activation": "gelu", "epochs": "1e29", "seed": 3}):
...     print(problem)
activation: 'gelu' is not one of 'tanh', 'sigmoid', 'relu'; did you mean 'relu'?
epochs: must be an integer from 1 to 100000, got str '1e29'
"""
from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from helpers.csvfile import MISSING_CHOICES, SEPARATORS
from helpers.data import DATASETS, MIN_ROWS, TASKS, did_you_mean

__all__ = ["PARAMETERS", "MODEL_INPUTS", "check_report_parameters", "validate_report_parameters"]

MODEL_INPUTS = ("standardized", "raw")
"""What a brought model without a saved standardisation takes: standardised or raw inputs."""


# ---------------------------------------------------------------- the kinds of rule
def _got(value) -> str:
    """``"got int -5"``: the type and the value, cut short when long."""
    if value is None:
        return "got None"
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"got {type(value).__name__} {text}"


def _is_int(value) -> bool:
    """An integer, but never a bool (YAML's ``yes``) and never a float (YAML's ``1.0e+29``)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclass(frozen=True)
class Integer:
    """An integer from ``low`` to ``high``; with ``zero_means``, also 0, which means what it says."""
    low: int
    high: int
    zero_means: str = ""

    def describe(self) -> str:
        text = f"an integer from {self.low} to {self.high}"
        return f"0 ({self.zero_means}) or {text}" if self.zero_means else text

    def problem(self, value, base_dir: Path) -> str:
        if _is_int(value) and (self.low <= value <= self.high or (self.zero_means and value == 0)):
            return ""
        return f"must be {self.describe()}, {_got(value)}"


@dataclass(frozen=True)
class Number:
    """A finite number (an int or a float, never a bool) greater than ``low`` and at most ``high``."""
    low: float
    high: float

    def describe(self) -> str:
        return f"a finite number greater than {self.low:g} and at most {self.high:g}"

    def problem(self, value, base_dir: Path) -> str:
        if (isinstance(value, numbers.Real) and not isinstance(value, bool)
                and self.low < value <= self.high and math.isfinite(value)):
            return ""
        return f"must be {self.describe()}, {_got(value)}"


@dataclass(frozen=True)
class OneOf:
    """One of the strings ``choices`` (a sequence, or a function that reads a registry); with
    ``empty_means``, also ``""``, which means what it says."""
    choices: Sequence[str] | Callable[[], Sequence[str]]
    empty_means: str = ""

    def names(self) -> list[str]:
        return list(self.choices() if callable(self.choices) else self.choices)

    def describe(self) -> str:
        text = ", ".join(map(repr, self.names()))
        return f"{text} (or '' {self.empty_means})" if self.empty_means else text

    def problem(self, value, base_dir: Path) -> str:
        names = self.names()
        if value in names or (self.empty_means and value == ""):
            return ""
        if not isinstance(value, str):
            return f"must be one of {self.describe()}, {_got(value)}"
        return f"{value!r} is not one of {self.describe()}{did_you_mean(value, names)}"


@dataclass(frozen=True)
class Text:
    """Any string; ``meaning`` says what it names."""
    meaning: str

    def problem(self, value, base_dir: Path) -> str:
        return "" if isinstance(value, str) else f"must be text ({self.meaning}), {_got(value)}"


@dataclass(frozen=True)
class Names:
    """A list of distinct, non-empty strings (column names); ``meaning`` says what they select.
    Whether they are columns of the file is checked when the file is read (with did-you-mean)."""
    meaning: str

    def problem(self, value, base_dir: Path) -> str:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
            return f"must be a list of column names ({self.meaning}), {_got(value)}"
        repeated = sorted({v for v in value if list(value).count(v) > 1})
        return f"names {repeated[0]!r} more than once" if repeated else ""


class Groups:
    """A mapping of a group's name to the list of columns it joins (one variable in every measure)."""

    def problem(self, value, base_dir: Path) -> str:
        if not isinstance(value, Mapping):
            return f"must map each group's name to a list of columns, {_got(value)}"
        for name, members in value.items():
            if not isinstance(name, str) or not name.strip():
                return f"a group's name must be text, {_got(name)}"
            problem = Names(f"the columns of group {name!r}").problem(members, base_dir)
            if problem or not members:
                return f"{name}: {problem or 'is empty: list the columns it joins'}"
        return ""


class MeasureNames:
    """A non-empty list of the kit's measure names (checked by ``helpers.report.check_measures``)."""

    def problem(self, value, base_dir: Path) -> str:
        if not isinstance(value, (list, tuple)) or not all(isinstance(m, str) for m in value):
            return f"must be a list of measure names, {_got(value)}"
        from helpers.report import check_measures  # imports torch: only when measures are checked

        try:
            check_measures(value)
        except ValueError as err:  # "measures names an unknown measure ...": the key is added once
            return str(err).removeprefix("measures ")
        return ""


class DataSource:
    """A built-in data set's name (``helpers.data.DATASETS``) or the path of a data file."""

    def problem(self, value, base_dir: Path) -> str:
        builtins = ", ".join(DATASETS)
        if not isinstance(value, str) or not value.strip():
            return f"must be a built-in data set ({builtins}) or the path of a CSV file, {_got(value)}"
        if value in DATASETS:
            return ""
        looks_like_a_name = not ({"/", "\\"} & set(value) or Path(value).suffix)
        if looks_like_a_name and not _resolve(value, base_dir).exists():
            return (f"{value!r} is not a built-in data set ({builtins}) nor a file"
                    f"{did_you_mean(value, DATASETS)}")
        return _file_problem(value, base_dir)


@dataclass(frozen=True)
class OptionalFile:
    """The path of a file, or ``""``: none (``empty_means`` says what happens then)."""
    what: str
    empty_means: str

    def problem(self, value, base_dir: Path) -> str:
        if value == "":
            return ""
        if not isinstance(value, str):
            return f"must be the path of {self.what}, or '' {self.empty_means}, {_got(value)}"
        return _file_problem(value, base_dir)


def _resolve(value: str, base_dir: Path) -> Path:
    """The absolute, normalised path (``..`` folded; no file system access, so any text is safe)."""
    return Path(os.path.abspath(base_dir / value))


def _file_problem(value: str, base_dir: Path) -> str:
    """What is wrong with the file ``value`` (relative to ``base_dir``), or ``""``."""
    resolved = _resolve(value, base_dir)
    if resolved.is_file():
        return ""
    if resolved.exists():
        return f"{value!r} is a folder, not a file (resolved to {resolved})"
    return f"no such file {value!r} (resolved to {resolved})"


def _activations() -> list[str]:
    from helpers.model import ACTIVATIONS  # imports torch: only when an activation is checked

    return list(ACTIVATIONS)


# ---------------------------------------------------------------- the table
PARAMETERS: dict = {
    "dataset": DataSource(),
    "target": Text("the CSV's target column; '' for a built-in"),
    "task": OneOf(TASKS, empty_means="to infer it from the target"),
    "n_samples": Integer(MIN_ROWS, 10**8, zero_means="the data set's default"),
    "seed": Integer(0, 2**32 - 1),
    "seeds": Integer(1, 100),
    "n_hidden": Integer(1, 10_000),
    "activation": OneOf(_activations),
    "epochs": Integer(1, 100_000),
    "lr": Number(0, 10),
    "measures": MeasureNames(),
    "n_repeats": Integer(1, 1000),
    "model": OptionalFile("a model file", "to train nets"),
    "model_inputs": OneOf(MODEL_INPUTS),
    "features": Names("only these are inputs; [] for every column but the target"),
    "exclude": Names("every column but these is an input"),
    "categorical": Names("numeric columns to treat as categories"),
    "groups": Groups(),
    "missing": OneOf(MISSING_CHOICES),
    "positive": Text("the class of a text target that counts as 1; '' for the default"),
    "sep": OneOf(SEPARATORS, empty_means="to detect it"),
    "decimal": OneOf((".", ","), empty_means="to detect it"),
    "test_data": OptionalFile("a CSV file of held-out rows", "to hold out a random share of the data"),
    "held_out_rows": Integer(100, 10**8, zero_means="every held-out row"),
}
"""Parameter name -> its rule, one entry per parameter of the report notebook, in its order.

| parameter | valid values |
| --- | --- |
| ``dataset`` | a name in ``helpers.data.DATASETS``, or an existing file (relative to ``base_dir``) |
| ``target`` | any string ("" for a built-in, which knows its own) |
| ``task`` | "" (inferred from the target) or one of ``helpers.data.TASKS`` |
| ``n_samples`` | 0 (the data set's default), or ``helpers.data.MIN_ROWS`` (20) to 10**8 rows |
| ``seed`` | 0 to 2**32 - 1 (``helpers.data`` takes any non-negative integer; this is numpy's classic range) |
| ``seeds`` | 1 to 100 nets |
| ``n_hidden`` | 1 to 10000 hidden nodes |
| ``activation`` | one of ``helpers.model.ACTIVATIONS`` |
| ``epochs`` | 1 to 100000 |
| ``lr`` | a finite number in (0, 10] |
| ``measures`` | a non-empty list of names in ``helpers.importance.MEASURES`` |
| ``n_repeats`` | 1 to 1000 shuffles per input |
| ``model`` | "" (train nets) or an existing file (relative to ``base_dir``) |
| ``model_inputs`` | one of ``MODEL_INPUTS`` |
| ``features``, ``exclude``, ``categorical`` | lists of distinct column names (checked against the file when it is read) |
| ``groups`` | a mapping of group name -> non-empty list of columns |
| ``missing`` | one of ``helpers.csvfile.MISSING_CHOICES`` (drop, impute, error) |
| ``positive`` | any string ("" for the default: the second class in sorted order) |
| ``sep`` | "" (detected) or one of ``helpers.csvfile.SEPARATORS`` |
| ``decimal`` | "" (detected), "." or "," |
| ``test_data`` | "" (a random share held out) or an existing file (relative to ``base_dir``) |
| ``held_out_rows`` | 0 (every held-out row) or 100 to 10**8: the held-out rows every held-out number uses, at most |

Integers are ints (never a bool, never a float such as ``1e29``); numbers are finite.
"""


# ---------------------------------------------------------------- the checks
def check_report_parameters(values: Mapping, *, base_dir: Path | None = None) -> list[str]:
    """Every problem of the given report parameters, one message each.

    Parameters
    ----------
    values : Mapping
        Parameter name -> value. Only the names given are checked; a name without a rule in
        ``PARAMETERS`` is ignored here (the batch checks the names against the notebook's).
    base_dir : Path, optional
        The folder relative file paths (``dataset``, ``model``) start from; the current folder
        by default.

    Returns
    -------
    list of str
        One message per bad value, in the notebook's order, each starting with the parameter's
        name: ``"epochs: must be an integer from 1 to 100000, got int -5"``. For a missing file, the
        path as written and where it resolved. Empty when every value is valid.
    """
    if not isinstance(values, Mapping):
        raise ValueError(f"the report's parameters must be a mapping of names to values, {_got(values)}")
    base = Path.cwd() if base_dir is None else Path(base_dir).absolute()
    problems = [f"{key}: {problem}" for key, rule in PARAMETERS.items()
                if key in values and (problem := rule.problem(values[key], base))]
    return list(dict.fromkeys(problems))


def validate_report_parameters(values: Mapping, *, base_dir: Path | None = None) -> None:
    """Raise one ``ValueError`` listing every problem of the report parameters, one per line.

    Parameters
    ----------
    values : Mapping
        Parameter name -> value, as for ``check_report_parameters``.
    base_dir : Path, optional
        The folder relative file paths start from; the current folder by default.

    Raises
    ------
    ValueError
        When any value is invalid; its message holds every problem, one per line.
    """
    problems = check_report_parameters(values, base_dir=base_dir)
    if problems:
        raise ValueError("\n".join(problems))

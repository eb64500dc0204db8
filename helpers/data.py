"""Data for the kit: the ``Dataset`` container, built-in data sets with a known truth, the real
diabetes data, and the one entry point ``load_dataset`` (a CSV file is read and checked by
``helpers.csvfile``).

Every built-in data set has 10 inputs (a CSV file may have any number) and is deterministic for a
given ``seed``. The synthetic ones carry ``true_importance``: one number per input, in units of the
target, saying how much of the target's variation that input drives (see each builder's
docstring for exactly what the number means). Real data has no known truth (``None``).

Standardising the inputs is the data step's job, not the network's: ``standardize`` fits a
``Standardizer`` on the training rows and applies it to every split.

Examples
--------
>>> from helpers.data import load_dataset, standardize
>>> data = load_dataset("friedman1", n_samples=500, seed=0)
>>> train, test = data.split(test_size=0.25, seed=0)
>>> train, test, scaler = standardize(train, test)
>>> train.n, test.n, train.d
(375, 125, 10)
"""
from __future__ import annotations

import dataclasses
import inspect
import numbers
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from helpers import csvfile
from helpers.csvfile import MIN_ROWS, TASKS, did_you_mean  # noqa: F401  (importable from here, as always)

__all__ = ["Dataset", "Standardizer", "standardize", "load_dataset", "list_datasets", "DATASETS",
           "make_friedman1", "make_friedman1_binary", "make_linear", "make_correlated",
           "make_scales", "load_diabetes", "friedman1_signal", "with_held_out", "did_you_mean", "TASKS",
           "MIN_ROWS"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
N_INPUTS = 10
_MISSING_TOKENS = csvfile.MISSING_TOKENS


# ---------------------------------------------------------------- the container
@dataclass(eq=False, repr=False)
class Dataset:
    """Inputs, target, and what is known about them.

    Attributes
    ----------
    X : numpy.ndarray
        Inputs, (n, d), float64.
    y : numpy.ndarray
        Target, (n,), float64; 0.0 / 1.0 when ``task`` is ``"binary"``.
    feature_names : list of str
        One name per input column.
    target_name : str
        The target's name.
    task : {"regression", "binary"}
    true_importance : pandas.Series or None
        One number per input, indexed by ``feature_names``, where the truth is known (the
        synthetic data sets); ``None`` for real data.
    description : str
        What the data is and what it teaches, in a sentence or three.
    name : str, default ""
        Short name: the built-in's name (``"friedman1"``) or the CSV file's name.
    groups : dict of str to list of str, or None
        The original variables: variable -> its columns of ``X`` (names from ``feature_names``, in
        feature order), every feature in exactly one group, variables in the order of their first
        column. A categorical input ``"species"`` is the group ``["species=Adelie", ...]``, a
        numeric one ``[name]``; a user-chosen group (``groups=`` of ``load_dataset``) merges
        several. ``None`` means every column is its own variable (the built-in data sets).
    notes : list of str
        What the data step did, in plain words (columns left out, rows dropped or filled, which
        class is 1); empty for the built-in data sets. Plain text, never markup.

    Notes
    -----
    A ``Dataset`` read from a CSV file also keeps its parsed table privately, so that ``split``
    can learn the encoding (categorical levels, imputed values) from the training rows alone.
    Any change to ``X`` (``standardize``, ``dataclasses.replace(data, X=...)``) drops that table:
    such a copy splits by rows like any other ``Dataset``.
    """
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    task: str
    true_importance: pd.Series | None
    description: str
    name: str = ""
    groups: dict | None = None
    notes: list = field(default_factory=list)
    _source: tuple | None = field(default=None, repr=False)

    def __post_init__(self):
        self.X = np.ascontiguousarray(self.X, dtype=np.float64)
        self.y = np.ascontiguousarray(self.y, dtype=np.float64)
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D (n rows, d inputs), got shape {self.X.shape}")
        if self.y.ndim != 1 or len(self.y) != len(self.X):
            raise ValueError(f"y must be 1-D with one value per row of X ({len(self.X)}), got shape {self.y.shape}")
        self.feature_names = [str(f) for f in self.feature_names]
        if len(self.feature_names) != self.X.shape[1]:
            raise ValueError(f"{len(self.feature_names)} feature names for {self.X.shape[1]} input columns")
        repeated = sorted({f for f in self.feature_names if self.feature_names.count(f) > 1})
        if repeated:
            raise ValueError(f"feature names must be unique; repeated: {repeated}")
        self.target_name = str(self.target_name)
        if self.target_name in self.feature_names:
            raise ValueError(f"the target {self.target_name!r} is also an input")
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {list(TASKS)}, got {self.task!r}")
        if not (np.isfinite(self.X).all() and np.isfinite(self.y).all()):
            raise ValueError("X and y must hold finite numbers (no NaN or infinity)")
        if self.task == "binary" and not np.isin(self.y, (0.0, 1.0)).all():
            raise ValueError("a binary target must hold only 0 and 1")
        if self.true_importance is not None:
            truth = pd.Series(self.true_importance, dtype=np.float64)
            if set(truth.index) != set(self.feature_names) or len(truth) != len(self.feature_names):
                raise ValueError(f"true_importance must be indexed by the feature names {self.feature_names}")
            self.true_importance = truth.reindex(self.feature_names).rename("true_importance")
        self.groups = _check_dataset_groups(self.groups, self.feature_names)
        if isinstance(self.notes, str) or not all(isinstance(note, str) for note in self.notes):
            raise ValueError(f"notes must be a list of strings, got {self.notes!r}")
        self.notes = list(self.notes)
        if self._source is not None and (self._source[1] is not self.X or self._source[0].n != self.n):
            self._source = None          # X is no longer what the table encoded: split by rows

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.X.shape[0]

    @property
    def d(self) -> int:
        """Number of inputs (columns of ``X``)."""
        return self.X.shape[1]

    @property
    def variables(self) -> list[str]:
        """The original variables: the keys of ``groups``, or ``feature_names`` when there are no groups."""
        return list(self.groups) if self.groups is not None else list(self.feature_names)

    def __repr__(self) -> str:
        truth = "known" if self.true_importance is not None else "unknown"
        return (f"Dataset(name={self.name!r}, n={self.n}, d={self.d}, task={self.task!r}, "
                f"target={self.target_name!r}, truth {truth})")

    def to_frame(self) -> pd.DataFrame:
        """The data as one table: the inputs' columns, then the target's."""
        frame = pd.DataFrame(self.X, columns=self.feature_names)
        frame[self.target_name] = self.y
        return frame

    def subset(self, rows) -> "Dataset":
        """A new ``Dataset`` with the given rows (integer positions, a boolean mask or a slice),
        keeping names, task, truth, description, groups and notes (the encoding is not re-learnt)."""
        try:
            idx = np.arange(self.n)[rows]
        except IndexError as err:
            raise ValueError(f"rows do not select rows of a data set with {self.n} rows: {err}") from None
        idx = np.atleast_1d(idx)
        X = np.ascontiguousarray(self.X[idx], dtype=np.float64)
        source = (self._source[0].take(idx), X) if self._source is not None else None
        return dataclasses.replace(self, X=X, y=self.y[idx], _source=source)

    def split(self, test_size: float = 0.25, seed: int = 0) -> tuple["Dataset", "Dataset"]:
        """A seeded random split into a training and a test ``Dataset``.

        Parameters
        ----------
        test_size : float or int, default 0.25
            The test set's share of the rows (0 < test_size < 1), or its number of rows.
        seed : int, default 0
            Seeds the shuffle: same seed, same split.

        Returns
        -------
        train, test : Dataset
            Disjoint; together they hold every row once, each in the original row order.

        Notes
        -----
        For a ``Dataset`` read from a CSV file the encoding is learnt again on the training part
        and applied to both: categorical levels (so the feature names are the training rows'
        levels; a level seen only in the test part is encoded all zero, with a note on both parts)
        and, with ``missing="impute"``, the fill values. Otherwise the rows are simply divided.
        """
        if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
            n_test = int(test_size)
        elif isinstance(test_size, numbers.Real) and 0 < test_size < 1:
            n_test = int(round(float(test_size) * self.n))
        else:
            raise ValueError(f"test_size must be a share between 0 and 1 or a number of rows, got {test_size!r}")
        if not 1 <= n_test <= self.n - 1:
            raise ValueError(f"test_size={test_size!r} leaves {n_test} of {self.n} rows for the test set; "
                             "each part needs at least one row")
        order = _rng(seed).permutation(self.n)
        train_rows, test_rows = np.sort(order[n_test:]), np.sort(order[:n_test])
        if self._source is None:
            return self.subset(train_rows), self.subset(test_rows)
        table = self._source[0]
        train_table, test_table = table.take(train_rows), table.take(test_rows)
        encoding = train_table.fit(source="the training rows")
        test_encoded = encoding.transform(test_table)
        train = _from_table(train_table, encoding, name=self.name, description=self.description,
                            also=[f"held-out rows: {note}" for note in
                                  [*test_encoded.filled_notes, *test_encoded.unknown_notes]])
        test = _from_table(test_table, encoding, name=self.name, description=self.description,
                           encoded=test_encoded)
        return train, test


# ---------------------------------------------------------------- standardising
class Standardizer:
    """Centre each input and divide by its standard deviation, with statistics from training rows.

    ``scale_`` is the population standard deviation (ddof=0). A constant column gets scale 1 and
    its own value as mean, so it maps to exactly 0 (no division by zero).

    Attributes
    ----------
    mean_ : numpy.ndarray
        Per-column mean of the rows ``fit`` saw.
    scale_ : numpy.ndarray
        Per-column standard deviation (1 for a constant column).
    """

    def __init__(self):
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def __repr__(self) -> str:
        return "Standardizer()" if self.mean_ is None else f"Standardizer(d={len(self.mean_)})"

    def fit(self, X) -> "Standardizer":
        """Learn the mean and standard deviation of each column of ``X`` (n, d)."""
        X = _as_matrix(X, "X")
        if len(X) == 0:
            raise ValueError("cannot fit a Standardizer on zero rows")
        mean, scale = X.mean(axis=0), X.std(axis=0)
        # A constant column can get a tiny non-zero std from rounding in the mean: treat it as constant.
        constant = (X == X[0]).all(axis=0) | (scale <= 1e-12 * np.abs(mean))
        self.mean_ = np.where(constant, X[0], mean)
        self.scale_ = np.where(constant, 1.0, scale)
        return self

    def transform(self, X) -> np.ndarray:
        """``(X - mean_) / scale_``."""
        return (self._check(X) - self.mean_) / self.scale_

    def fit_transform(self, X) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """``Z * scale_ + mean_``: back to the original units."""
        return self._check(Z) * self.scale_ + self.mean_

    def to_dict(self) -> dict:
        """Plain lists, for saving beside a model (JSON- and torch-friendly)."""
        self._require_fitted()
        return {"mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Standardizer":
        """The inverse of ``to_dict``."""
        if not isinstance(d, dict) or not {"mean", "scale"} <= set(d):
            raise ValueError("a Standardizer dict needs the keys 'mean' and 'scale'")
        mean = np.asarray(d["mean"], dtype=np.float64).reshape(-1)
        scale = np.asarray(d["scale"], dtype=np.float64).reshape(-1)
        if mean.shape != scale.shape:
            raise ValueError(f"'mean' has {mean.size} values but 'scale' has {scale.size}")
        if not (np.isfinite(scale).all() and (scale > 0).all()):
            raise ValueError("every 'scale' value must be a positive finite number")
        out = cls()
        out.mean_, out.scale_ = mean, scale
        return out

    def _require_fitted(self):
        if self.mean_ is None:
            raise ValueError("this Standardizer is not fitted yet; call fit(X) first")

    def _check(self, X) -> np.ndarray:
        self._require_fitted()
        X = _as_matrix(X, "X")
        if X.shape[1] != len(self.mean_):
            raise ValueError(f"the Standardizer was fitted on {len(self.mean_)} columns, got {X.shape[1]}")
        return X


def standardize(train: Dataset, *others: Dataset):
    """Standardise ``train`` and every other data set with statistics of ``train``'s inputs.

    Only ``X`` changes. The target is left alone, and so are ``true_importance`` (it measures the
    effect on ``y``, which standardising the inputs does not change), ``groups`` and ``notes``.
    A one-hot column is standardised like any other (the network sees centred 0/1 columns).
    The copies no longer carry a CSV's table: splitting one divides its rows.

    Parameters
    ----------
    train : Dataset
        The rows the ``Standardizer`` is fitted on.
    *others : Dataset
        Further splits (validation, test) with the same inputs.

    Returns
    -------
    tuple
        ``(train_std, *others_std, scaler)``: the standardised copies, then the ``Standardizer``.
    """
    for i, other in enumerate(others, start=1):
        if not isinstance(other, Dataset) or other.feature_names != train.feature_names:
            raise ValueError(f"data set {i} after train does not have train's inputs {train.feature_names}")
    scaler = Standardizer().fit(train.X)
    copies = [dataclasses.replace(ds, X=scaler.transform(ds.X), _source=None) for ds in (train, *others)]
    return (*copies, scaler)


# ---------------------------------------------------------------- the built-in data sets
def friedman1_signal(X) -> np.ndarray:
    """Friedman's first function without noise, on the first five columns of ``X`` (n, >=5):
    ``10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5``."""
    X = _as_matrix(X, "X")
    if X.shape[1] < 5:
        raise ValueError(f"Friedman's function needs at least 5 columns, got {X.shape[1]}")
    return (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2
            + 10 * X[:, 3] + 5 * X[:, 4])


@lru_cache(maxsize=1)
def _friedman1_truth() -> tuple[float, ...]:
    """The ten truth values of Friedman #1 (see ``make_friedman1``), computed once, exactly.

    For x1 (and, by symmetry, x2): E[10 sin(pi x1 x2) | x1 = a] = 10 (1 - cos(pi a)) / (pi a),
    whose standard deviation over a ~ U[0, 1] is found by 64-point Gauss-Legendre quadrature
    (the integrand is smooth, so this is exact to rounding).
    """
    nodes, weights = np.polynomial.legendre.leggauss(64)
    a, w = (nodes + 1) / 2, weights / 2
    main_effect = 10 * (1 - np.cos(np.pi * a)) / (np.pi * a)
    mean = np.sum(w * main_effect)
    sd_x1 = float(np.sqrt(np.sum(w * (main_effect - mean) ** 2)))
    sd_x3 = 20 / np.sqrt(180)            # Var((u)^2) = 1/80 - 1/144 = 1/180 for u ~ U[-1/2, 1/2]
    return (sd_x1, sd_x1, sd_x3, 10 / np.sqrt(12), 5 / np.sqrt(12)) + (0.0,) * 5


def _friedman1_xy(n_samples, seed, noise):
    n_samples, noise = _check_n_samples(n_samples), _check_noise(noise)
    rng = _rng(seed)
    X = rng.uniform(size=(n_samples, N_INPUTS))
    y = friedman1_signal(X) + noise * rng.standard_normal(n_samples)
    names = [f"x{i}" for i in range(1, N_INPUTS + 1)]
    return X, y, names, pd.Series(_friedman1_truth(), index=names)


def make_friedman1(n_samples: int = 1000, *, seed: int = 0, noise: float = 1.0) -> Dataset:
    """Friedman's first function: teaches non-linear effects, an interaction, and noise inputs.

    ``x ~ U[0, 1]^10``, ``y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + noise``
    (Friedman 1991). x6..x10 do not enter ``y``.

    The truth, in units of ``y``: for each input, the standard deviation (over the input's
    uniform distribution) of its *main effect*, the part of ``y`` that it explains on its own.

    - x3, x4, x5 enter additively, so this is the standard deviation of their own term:
      x3: std of 20 (x3 - 0.5)^2 = 20 / sqrt(180) = 1.4907; x4: 10 / sqrt(12) = 2.8868;
      x5: 5 / sqrt(12) = 1.4434.
    - x1 and x2 interact. Each gets the standard deviation of the first-order effect
      E[10 sin(pi x1 x2) | x1] = 10 (1 - cos(pi x1)) / (pi x1), which is 2.1682 (same for x2),
      computed by quadrature. The rest of that term's spread (its total std is 3.345) is the
      interaction, which no single input owns.
    - x6..x10: 0.

    So the true ranking is x4 > x1 = x2 > x3 > x5 > x6..x10 = 0; x3 and x5 are close.

    Parameters
    ----------
    n_samples : int, default 1000
    seed : int, default 0
        Same seed, same bits. X does not depend on ``noise``.
    noise : float, default 1.0
        Standard deviation of the Gaussian noise added to ``y``.

    References
    ----------
    J. H. Friedman (1991), "Multivariate adaptive regression splines", Annals of Statistics 19(1):1-67.
    """
    X, y, names, truth = _friedman1_xy(n_samples, seed, noise)
    return Dataset(X, y, names, "y", "regression", truth,
                   "Friedman #1: y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + noise, "
                   "x ~ U[0,1]^10. x1 and x2 interact; x3 is U-shaped; x4 and x5 are linear; "
                   "x6..x10 are pure noise inputs. Truth: std of each input's main effect on y.",
                   "friedman1")


def make_friedman1_binary(n_samples: int = 1000, *, seed: int = 0, noise: float = 1.0) -> Dataset:
    """Friedman #1 as a classification: teaches that importance carries over to a 0/1 target.

    Same X as ``make_friedman1`` with the same seed; the target is 1 where the noisy ``y`` is
    above its median (so the classes are balanced), else 0. The truth is Friedman #1's (see
    ``make_friedman1``): it ranks the inputs by their effect on the hidden continuous score.
    """
    X, y, names, truth = _friedman1_xy(n_samples, seed, noise)
    label = (y > np.median(y)).astype(np.float64)
    return Dataset(X, label, names, "y", "binary", truth,
                   "Friedman #1 as a 0/1 target: 1 where the noisy Friedman score is above its "
                   "median. Same inputs and truth as friedman1 (the truth ranks effects on the score).",
                   "friedman1_binary")


LINEAR_BETA = (5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0)


def make_linear(n_samples: int = 1000, *, seed: int = 0, noise: float = 1.0,
                beta=LINEAR_BETA) -> Dataset:
    """A linear model with independent inputs: teaches the case where every measure should agree.

    ``x_i ~ N(0, 1)`` independent, ``y = sum_i beta_i x_i + noise``. The truth is
    ``|beta_i| * sigma_i`` with ``sigma_i = 1`` the standard deviation the inputs are drawn
    with: the change in ``y`` for a one-standard-deviation change of the input.

    Parameters
    ----------
    n_samples : int, default 1000
    seed : int, default 0
    noise : float, default 1.0
        Standard deviation of the Gaussian noise.
    beta : sequence of 10 floats, default (5, 4, 3, 2, 1, 0.5, 0, 0, 0, 0)
        The coefficients; zeros make noise inputs.
    """
    n_samples, noise = _check_n_samples(n_samples), _check_noise(noise)
    beta = _check_vector(beta, "beta")
    sigma = np.ones(N_INPUTS)
    rng = _rng(seed)
    X = rng.standard_normal((n_samples, N_INPUTS)) * sigma
    y = X @ beta + noise * rng.standard_normal(n_samples)
    names = [f"x{i}" for i in range(1, N_INPUTS + 1)]
    zero = [f for f, b in zip(names, beta) if b == 0]
    return Dataset(X, y, names, "y", "regression", pd.Series(np.abs(beta) * sigma, index=names),
                   f"Linear: y = sum beta_i x_i + noise with independent x_i ~ N(0, 1), "
                   f"beta = {tuple(float(b) for b in beta)}. Noise inputs: {', '.join(zero) or 'none'}. "
                   "Truth: |beta_i| sigma_i.", "linear")


def make_correlated(n_samples: int = 1000, *, seed: int = 0, noise: float = 1.0,
                    dup_noise: float = 0.1, proxy_noise: float = 0.3) -> Dataset:
    """Correlated inputs: teaches that an input's near-duplicate shares or steals its importance.

    ``x1..x10 ~ N(0, 1)`` independent, then two are replaced:

    - ``x2 = x1 + N(0, dup_noise)``: a near-duplicate of the real input x1 that ``y`` never uses
      (correlation 1 / sqrt(1 + dup_noise^2), 0.995 by default);
    - ``x10 = x3 + N(0, proxy_noise)``: a proxy of the real input x3 that ``y`` never uses
      (correlation 0.958 by default).

    ``y = 3 x1 + 2 x3 + 1.5 x4 + 1 x5 + noise``. The truth is the generating coefficient times
    the input's standard deviation: x1 3, x3 2, x4 1.5, x5 1, and 0 for x2 and x10 (and the other
    noise inputs) because ``y`` does not use them. A network cannot tell x1 from x2 well, so
    measures tend to split x1's importance between the two, or give it to the copy; x10 looks
    important to any measure that reads correlation.

    Parameters
    ----------
    n_samples : int, default 1000
    seed : int, default 0
    noise : float, default 1.0
        Standard deviation of the noise on ``y``.
    dup_noise : float, default 0.1
        Standard deviation of what separates x2 from x1 (0 makes an exact copy).
    proxy_noise : float, default 0.3
        Standard deviation of what separates x10 from x3.
    """
    n_samples, noise = _check_n_samples(n_samples), _check_noise(noise)
    dup_noise, proxy_noise = _check_noise(dup_noise, "dup_noise"), _check_noise(proxy_noise, "proxy_noise")
    rng = _rng(seed)
    X = rng.standard_normal((n_samples, N_INPUTS))
    X[:, 1] = X[:, 0] + dup_noise * X[:, 1]
    X[:, 9] = X[:, 2] + proxy_noise * X[:, 9]
    coef = np.array([3.0, 0.0, 2.0, 1.5, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    y = X @ coef + noise * rng.standard_normal(n_samples)
    names = [f"x{i}" for i in range(1, N_INPUTS + 1)]
    return Dataset(X, y, names, "y", "regression", pd.Series(coef, index=names),
                   f"Correlated inputs: y = 3 x1 + 2 x3 + 1.5 x4 + x5 + noise, x ~ N(0, 1). "
                   f"x2 is a near-duplicate of x1 (x1 + N(0, {dup_noise:g})) and x10 a proxy of x3 "
                   f"(x3 + N(0, {proxy_noise:g})); y uses neither, so their truth is 0. "
                   "Truth: generating coefficient times the input's std.", "correlated")


SCALES_SIGMA = (1000.0, 0.001) + (1.0,) * 8
SCALES_TRUTH = (2.0, 3.0, 1.5, 1.0, 0.5) + (0.0,) * 5


def make_scales(n_samples: int = 1000, *, seed: int = 0, noise: float = 1.0) -> Dataset:
    """Inputs in wildly different units: teaches why per-unit weights mislead and inputs get standardised.

    ``x_i ~ N(0, sigma_i)`` independent, with x1 in thousands (sigma 1000), x2 in thousandths
    (sigma 0.001) and x3..x10 with sigma 1; ``y = sum_i beta_i x_i + noise``. The truth is
    ``|beta_i| sigma_i``, the change in ``y`` for a one-standard-deviation change of the input:

    ========  =====  ===========  =====
    input     sigma  beta (unit)  truth
    ========  =====  ===========  =====
    x1        1000   0.002        2
    x2        0.001  3000         3
    x3        1      1.5          1.5
    x4        1      1            1
    x5        1      0.5          0.5
    x6..x10   1      0            0
    ========  =====  ===========  =====

    Per unit of input, x2 looks a million times stronger than x1 and x1 looks the weakest of the
    real inputs, though x2 and x1 are the two most important. A measure that reads per-unit
    effects (weights or gradients of a net trained on raw inputs) gets this wrong; on raw inputs
    the net also trains badly (x1 saturates the hidden units, x2 barely moves them).

    Parameters
    ----------
    n_samples : int, default 1000
    seed : int, default 0
    noise : float, default 1.0
    """
    n_samples, noise = _check_n_samples(n_samples), _check_noise(noise)
    sigma, truth = np.array(SCALES_SIGMA), np.array(SCALES_TRUTH)
    beta = truth / sigma
    rng = _rng(seed)
    X = rng.standard_normal((n_samples, N_INPUTS)) * sigma
    y = X @ beta + noise * rng.standard_normal(n_samples)
    names = ["x1_thousands", "x2_thousandths"] + [f"x{i}" for i in range(3, N_INPUTS + 1)]
    return Dataset(X, y, names, "y", "regression", pd.Series(truth, index=names),
                   "Different units: x1 has std 1000, x2 std 0.001, the others 1; "
                   "y = 0.002 x1 + 3000 x2 + 1.5 x3 + x4 + 0.5 x5 + noise. Truth |beta| sigma: "
                   "x2 3, x1 2, x3 1.5, x4 1, x5 0.5, x6..x10 0. Per-unit weights rank x1 last "
                   "of the real inputs; standardise first.", "scales")


DIABETES_COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def load_diabetes(n_samples: int | None = None, *, seed: int = 0) -> Dataset:
    """The real diabetes data of Efron et al. (2004): teaches what to do when no truth is known.

    442 patients; ten baseline measurements in their raw units (age, sex coded 1/2, bmi, bp and
    six blood serum measurements s1..s6) and ``y``, a measure of disease progression one year
    later. Read from ``data/diabetes.csv`` (see ``data/README.md`` for its provenance); no
    download. ``true_importance`` is ``None``.

    Parameters
    ----------
    n_samples : int, optional
        A seeded random subset of this many rows (in file order); all 442 by default.
    seed : int, default 0
        Seeds the subset.

    References
    ----------
    B. Efron, T. Hastie, I. Johnstone and R. Tibshirani (2004), "Least Angle Regression",
    Annals of Statistics 32(2):407-499.
    """
    table = csvfile.read_csv_table(DATA_DIR / "diabetes.csv", target="y", task="regression",
                                   features=DIABETES_COLUMNS, missing="error", sep=",", decimal=".")
    data = dataclasses.replace(
        _from_table(table, table.fit(), name="diabetes"), notes=[], _source=None,
        description="Diabetes (Efron et al. 2004): 442 patients; age, sex, bmi, blood pressure (bp) "
                    "and six blood serum measurements (s1 tc, s2 ldl, s3 hdl, s4 tch, s5 ltg, s6 glu) "
                    "in raw units; y is disease progression one year later. No known truth.")
    return _take_rows(data, n_samples, seed)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "friedman1": make_friedman1,
    "friedman1_binary": make_friedman1_binary,
    "linear": make_linear,
    "correlated": make_correlated,
    "scales": make_scales,
    "diabetes": load_diabetes,
}


def list_datasets() -> list[str]:
    """The names of the built-in data sets, for ``load_dataset``."""
    return list(DATASETS)


# ---------------------------------------------------------------- one entry point
_CSV_ONLY = ("features", "exclude", "categorical", "positive", "sep", "decimal")


def load_dataset(name_or_path, *, target: str | None = None, task: str | None = None,
                 n_samples: int | None = None, seed: int = 0, noise: float | None = None,
                 features: list[str] | None = None, exclude: list[str] | None = None,
                 categorical: list[str] | None = None, groups: dict[str, list[str]] | None = None,
                 missing: str = "drop", positive=None, sep: str | None = None,
                 decimal: str | None = None, **options) -> Dataset:
    """A built-in data set by name, or a CSV file by path.

    A CSV file is read and checked by ``helpers.csvfile`` (its docstring has every rule): text and
    true/false columns become categorical inputs, one-hot encoded (one 0/1 column per level, named
    ``"<column>=<level>"``) and grouped back into one variable each (``Dataset.groups``); an index
    or id column, and a text column with too many levels, is left out; rows with a missing value
    are dropped or filled; a text target with two classes is binary. ``Dataset.notes`` says what
    was done. The ``Dataset`` returned is encoded with levels and fill values from *all* its rows;
    ``Dataset.split`` learns them again from the training part alone.

    Parameters
    ----------
    name_or_path : str or path-like
        One of ``list_datasets()``, or the path of a CSV file with a header row.
    target : str, optional
        The CSV's target column (required for a CSV). For a built-in, if given, it must be the
        data set's own target name.
    task : {"regression", "binary"}, optional
        For a CSV, inferred when omitted: "binary" if the target holds only 0 and 1, or two text
        (or true/false) classes, or ``positive`` is given; else "regression". For a built-in, if
        given, it must be the data set's task.
    n_samples : int, optional
        Synthetic data: the number of rows to draw (default 1000). Real data or a CSV: a seeded
        random subset of this many rows (default all), taken after rows with missing values are
        dropped.
    seed : int, default 0
        Seeds the draw or the subset. Same arguments, same bits.
    noise : float, optional
        Synthetic data only: the standard deviation of the noise on ``y`` (default 1.0).
    features : list of str, optional
        CSV only: the input columns, and only these (default: every column but the target, less
        the ones left out as an index or id). A column named here is kept even if it looks like
        an id. Not with ``exclude``.
    exclude : list of str, optional
        CSV only: every column but the target and these is an input.
    categorical : list of str, optional
        CSV only: inputs to one-hot encode though they hold numbers (a code such as 1/2/3 for a
        region), or though they have too many levels to be encoded otherwise. Text and true/false
        columns are categorical without being named.
    groups : dict of str to list of str, optional
        Inputs merged into one variable for importance, e.g. ``{"lipids": ["s1", "s2", "s3"]}``:
        every measure then reports one number for the group (see ``Dataset.groups``). Members are
        input names (for a CSV, original columns; a categorical column brings all its levels).
        An unknown name or a name in two groups is an error. Works for built-ins too.
    missing : {"drop", "impute", "error"}, default "drop"
        CSV only: what to do with a missing input (an empty cell, or NA, N/A, nan, null, none, ?
        in any case). "drop" drops the row (a note says how many and which columns were missing
        most); "impute" fills it with the mean (numbers) or most frequent level (categories) of
        the rows the encoding is learnt on; "error" makes it an error naming the column and row.
        A row with a missing target is always dropped (an error under "error"), never imputed.
    positive : str or number, optional
        CSV only: the target class that is 1; every other class is 0. Default for a target with
        two text classes: the second in sorted order (a note says which). Needed for a text target
        with more than two classes (one class against the rest).
    sep : str, optional
        CSV only: the field separator. Detected when omitted: whichever of ``,`` ``;`` tab ``|``
        the header holds most.
    decimal : {".", ","}, optional
        CSV only: the decimal mark. Detected when omitted: a comma when the file is not comma
        separated and writes its numbers ``1,5``.
    **options
        A builder's own options (``beta`` for "linear"; ``dup_noise``, ``proxy_noise`` for
        "correlated").

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        An unknown name or option, a file that does not exist, or a CSV with a problem: the
        message names the column, and the row where there is one. Rows are counted from 1 at
        the first data row (the header is not a row); the file line is the row plus one.

    Examples
    --------
    >>> data = load_dataset("data/penguins.csv", target="body_mass_g")     # doctest: +SKIP
    >>> data.variables[:3], data.groups["island"]                           # doctest: +SKIP
    (['species', 'island', 'bill_length_mm'], ['island=Biscoe', 'island=Dream', 'island=Torgersen'])
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)} or None, got {task!r}")
    if missing not in csvfile.MISSING_CHOICES:
        raise ValueError(f"missing must be one of {list(csvfile.MISSING_CHOICES)}, got {missing!r}")
    csv_options = dict(features=features, exclude=exclude, categorical=categorical, positive=positive,
                       sep=sep, decimal=decimal)
    if isinstance(name_or_path, str) and name_or_path in DATASETS:
        given = [key for key in _CSV_ONLY if csv_options[key] is not None]
        if given:
            raise ValueError(f"{given[0]}= applies only to a CSV file, not to the built-in data set {name_or_path!r}")
        data = _load_builtin(name_or_path, target=target, task=task, n_samples=n_samples,
                             seed=seed, noise=noise, options=options)
        return _with_groups(data, groups)
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise ValueError(f"name_or_path must be a data set name or a file path, got {type(name_or_path).__name__}")
    path = Path(name_or_path)
    if path.is_file():
        return _load_csv(path, target=target, task=task, n_samples=n_samples, seed=seed, noise=noise,
                         groups=groups, missing=missing, csv_options=csv_options, options=options)
    known = ", ".join(DATASETS)
    if path.exists():
        raise ValueError(f"{str(path)!r} is a folder, not a CSV file")
    if isinstance(name_or_path, os.PathLike) or path.suffix or len(path.parts) > 1:
        start = "" if path.is_absolute() else f" (a relative path starts from {Path.cwd()})"
        raise ValueError(f"no such file: {str(path)!r}{start}; or give a built-in data set: {known}")
    raise ValueError(f"unknown data set {str(name_or_path)!r}; the built-in data sets are: {known} "
                     f"(or give the path of a CSV file){did_you_mean(str(name_or_path), DATASETS)}")


def _load_builtin(name, *, target, task, n_samples, seed, noise, options) -> Dataset:
    builder = DATASETS[name]
    kwargs = dict(options)
    if noise is not None:
        kwargs["noise"] = noise
    if n_samples is not None:
        kwargs["n_samples"] = n_samples
    takes = [p for p in inspect.signature(builder).parameters if p != "seed"]
    for key in kwargs:
        if key not in takes:
            raise ValueError(f"unknown option {key!r} for data set {name!r}; it takes: {', '.join(takes)}")
    data = builder(seed=_check_seed(seed), **kwargs)
    if target is not None and target != data.target_name:
        raise ValueError(f"the data set {name!r} has the fixed target {data.target_name!r}, got target={target!r}")
    if task is not None and task != data.task:
        other = " (use 'friedman1_binary' for a 0/1 version of friedman1)" if name == "friedman1" else ""
        raise ValueError(f"the data set {name!r} is a {data.task} task, got task={task!r}{other}")
    return data


def _with_groups(data: Dataset, groups) -> Dataset:
    """``data`` with its variables merged into the user's groups (checked)."""
    checked = csvfile.check_groups(groups, data.variables, data.name)
    if checked is None:
        return data
    base = data.groups if data.groups is not None else {f: [f] for f in data.feature_names}
    return dataclasses.replace(data, groups=csvfile.merge_groups(base, checked))


def with_held_out(data: Dataset, path, *, missing: str = "drop", positive=None, sep=None,
                  decimal=None) -> tuple[Dataset, Dataset]:
    """Every row of ``data`` to learn from, and the rows of another CSV file held out: the split a
    user makes when they keep their own test set (the report's ``test_data``).

    The held-out file must have the same target and inputs as ``data``'s file (other columns are
    ignored); it is read with the same input columns, the same categorical ones and the same
    groups, whatever its own rows would suggest, and encoded with what ``data``'s rows teach (a
    category's levels, the fill values of ``missing="impute"``): a level seen only in the held-out
    rows is all zero, with a note, as in ``Dataset.split``.

    Parameters
    ----------
    data : Dataset
        Read from a CSV file by ``load_dataset`` (not standardised yet).
    path : str or path-like
        The held-out CSV file.
    missing, positive, sep, decimal
        As for ``load_dataset``, for reading the held-out file.

    Returns
    -------
    train, test : Dataset
        ``data``'s rows, encoded on themselves, and the held-out file's rows, encoded alike.
    """
    if data._source is None:
        raise ValueError("held-out rows from another file (test_data) need the data set to be a CSV file "
                         f"(read by load_dataset), not {data.name or 'a built-in data set'!r}")
    table = data._source[0]
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"test_data: no such file {str(path)!r}")
    other = csvfile.read_csv_table(
        path, target=table.target, task=table.task, features=table.variables,
        categorical=[c.name for c in table.columns if c.kind == "categorical"], groups=table.groups,
        missing=missing, positive=positive, sep=sep, decimal=decimal)
    kinds = {c.name: c.kind for c in table.columns}
    differ = [c.name for c in other.columns if kinds.get(c.name) != c.kind]
    if differ:
        raise ValueError(f"{path.name}: the column {differ[0]!r} holds {dict(numeric='numbers').get(kinds[differ[0]], 'categories')} "
                         f"in {data.name} but not in {path.name}")
    encoding = table.fit(source=f"the rows of {data.name}")
    encoded = encoding.transform(other)
    train = _from_table(table, encoding, name=data.name, description=data.description,
                        also=[f"held-out rows ({path.name}): {note}" for note in
                              [*encoded.filled_notes, *encoded.unknown_notes]])
    test = _from_table(other, encoding, name=path.name, encoded=encoded)
    return train, test


def _load_csv(path, *, target, task, n_samples, seed, noise, groups, missing, csv_options, options) -> Dataset:
    if options:
        raise ValueError(f"unknown option {sorted(options)[0]!r} for a CSV file; it takes: "
                         f"{', '.join((*_CSV_ONLY, 'groups', 'missing'))}")
    if noise is not None:
        raise ValueError("noise= applies only to the synthetic built-in data sets, not to a CSV file")
    table = csvfile.read_csv_table(path, target=target, task=task, groups=groups, missing=missing, **csv_options)
    if n_samples is not None:
        n_samples = _check_n_samples(n_samples)
        if n_samples > table.n:
            raise ValueError(f"n_samples={n_samples} but {path.name} has only {table.n} usable rows")
        table = table.take(np.sort(_rng(seed).choice(table.n, size=n_samples, replace=False)))
    else:
        _check_seed(seed)
    return _from_table(table, table.fit(), name=path.name)


def _from_table(table: csvfile.CsvTable, encoding: csvfile.Encoding, *, name: str, description: str | None = None,
                encoded: csvfile.Encoded | None = None, also=()) -> Dataset:
    """The ``Dataset`` of ``table``'s rows encoded by ``encoding``, keeping the table for ``split``."""
    encoded = encoded if encoded is not None else encoding.transform(table)
    if description is None:
        description = _describe(table, encoded)
    return Dataset(encoded.X, table.y, encoded.feature_names, table.target, table.task, None, description,
                   name, groups=encoded.groups, notes=[*table.notes, *encoded.notes, *also],
                   _source=(table, encoded.X))


def _describe(table: csvfile.CsvTable, encoded: csvfile.Encoded) -> str:
    names = list(encoded.groups) if encoded.groups is not None else encoded.feature_names
    inputs = f"{len(names)} inputs ({', '.join(names)})"
    if encoded.groups is not None:
        inputs = f"{len(names)} variables ({', '.join(names)}) as {len(encoded.feature_names)} encoded inputs"
    return f"{table.where}: {table.n} rows, {inputs}, target {table.target!r} ({table.task})."


def _check_dataset_groups(groups, feature_names) -> dict | None:
    """``groups`` checked against the features (``csvfile.check_groups``, the one check of a
    grouping) and put in feature order; every feature must be in exactly one group."""
    if groups is None:
        return None
    if not isinstance(groups, dict) or not groups:
        raise ValueError("groups must be None or a non-empty dict of variable -> list of feature names, "
                         f"got {groups!r}")
    out = csvfile.check_groups(groups, feature_names)
    grouped = {member for members in out.values() for member in members}
    left = [f for f in feature_names if f not in grouped]
    if left:
        raise ValueError(f"groups must hold every feature once; not in any group: {left}")
    position = {f: i for i, f in enumerate(feature_names)}
    return dict(sorted(out.items(), key=lambda kv: position[kv[1][0]]))


# ---------------------------------------------------------------- small checks
def _rng(seed) -> np.random.Generator:
    return np.random.default_rng(_check_seed(seed))


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _check_n_samples(n_samples) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer of at least 2, got {n_samples!r}")
    return int(n_samples)


def _check_noise(value, name: str = "noise") -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a non-negative number (a standard deviation), got {value!r}")
    return float(value)


def _check_vector(values, name: str) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {N_INPUTS} numbers, got {values!r}") from None
    if out.shape != (N_INPUTS,) or not np.isfinite(out).all():
        raise ValueError(f"{name} must be {N_INPUTS} finite numbers, got {values!r}")
    return out


def _as_matrix(X, name: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n rows, d columns), got shape {X.shape}")
    return X


def _take_rows(data: Dataset, n_samples, seed) -> Dataset:
    """A seeded random subset of ``n_samples`` rows, kept in file order (all rows when None)."""
    if n_samples is None:
        return data
    n_samples = _check_n_samples(n_samples)
    if n_samples > data.n:
        raise ValueError(f"n_samples={n_samples} but {data.name} has only {data.n} rows")
    return data.subset(np.sort(_rng(seed).choice(data.n, size=n_samples, replace=False)))


def _example_frame(n: int = 200, seed: int = 2024) -> pd.DataFrame:
    """The recipe of ``data/example.csv`` (see ``data/README.md``): a made-up chemical process."""
    rng = _rng(seed)
    frame = pd.DataFrame({
        "temperature": rng.uniform(150, 250, n),     # degrees C
        "pressure": rng.uniform(1, 5, n),            # bar
        "catalyst": rng.uniform(0.5, 2.0, n),        # grams
        "stirring": rng.uniform(200, 800, n),        # rpm
        "ph": rng.normal(7, 0.5, n),
        "humidity": rng.uniform(20, 80, n),          # percent; has no effect
    })
    t, p, c, s, ph = (frame[k].to_numpy() for k in ("temperature", "pressure", "catalyst", "stirring", "ph"))
    frame["yield"] = (50 + 20 * np.exp(-((t - 210) / 30) ** 2) + 3 * (p - 3) + 10 * np.log(c)
                      + 0.005 * (s - 500) - 2 * (ph - 7) ** 2 + rng.normal(0, 2, n))
    return frame.round(4)

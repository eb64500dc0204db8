"""Data for the kit: the ``Dataset`` container, built-in data sets with a known truth, the real
diabetes data, and loading a CSV file with clear errors.

Every data set has 10 inputs (a CSV file may have any number) and is deterministic for a given
``seed``. The synthetic ones carry ``true_importance``: one number per input, in units of the
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
import difflib
import inspect
import numbers
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

__all__ = ["Dataset", "Standardizer", "standardize", "load_dataset", "list_datasets", "DATASETS",
           "make_friedman1", "make_friedman1_binary", "make_linear", "make_correlated",
           "make_scales", "load_diabetes", "friedman1_signal"]

TASKS = ("regression", "binary")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
N_INPUTS = 10
MIN_ROWS = 20
_MISSING_TOKENS = {"", "na", "n/a", "nan", "null", "none", "?"}


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
    """
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    task: str
    true_importance: pd.Series | None
    description: str
    name: str = ""

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

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.X.shape[0]

    @property
    def d(self) -> int:
        """Number of inputs."""
        return self.X.shape[1]

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
        keeping names, task, truth and description."""
        try:
            idx = np.arange(self.n)[rows]
        except IndexError as err:
            raise ValueError(f"rows do not select rows of a data set with {self.n} rows: {err}") from None
        idx = np.atleast_1d(idx)
        return dataclasses.replace(self, X=self.X[idx], y=self.y[idx])

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
        return self.subset(np.sort(order[n_test:])), self.subset(np.sort(order[:n_test]))


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

    Only ``X`` changes. The target is left alone, and so is ``true_importance``: it measures the
    effect on ``y``, which standardising the inputs does not change.

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
    copies = [dataclasses.replace(ds, X=scaler.transform(ds.X)) for ds in (train, *others)]
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
    data = _read_csv(DATA_DIR / "diabetes.csv", target="y", task="regression", features=DIABETES_COLUMNS)
    data = dataclasses.replace(
        data, name="diabetes",
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
def load_dataset(name_or_path, *, target: str | None = None, task: str | None = None,
                 n_samples: int | None = None, seed: int = 0, noise: float | None = None,
                 **options) -> Dataset:
    """A built-in data set by name, or a CSV file by path.

    Parameters
    ----------
    name_or_path : str or path-like
        One of ``list_datasets()``, or the path of a CSV file with a header row.
    target : str, optional
        The CSV's target column (required for a CSV). For a built-in, if given, it must be the
        data set's own target name.
    task : {"regression", "binary"}, optional
        For a CSV, inferred when omitted: "binary" if the target holds only 0 and 1, else
        "regression". For a built-in, if given, it must be the data set's task.
    n_samples : int, optional
        Synthetic data: the number of rows to draw (default 1000). Real data or a CSV: a seeded
        random subset of this many rows (default all).
    seed : int, default 0
        Seeds the draw or the subset. Same arguments, same bits.
    noise : float, optional
        Synthetic data only: the standard deviation of the noise on ``y`` (default 1.0).
    **options
        A builder's own options (``beta`` for "linear"; ``dup_noise``, ``proxy_noise`` for
        "correlated"). For a CSV: ``features`` (list of input columns; default every column but
        the target) and ``sep`` (default ",").

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        An unknown name or option, a file that does not exist, or a CSV with a problem: the
        message names the column, and the row where there is one. Rows are counted from 1 at
        the first data row (the header is not a row); the file line is the row plus one.
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)} or None, got {task!r}")
    if isinstance(name_or_path, str) and name_or_path in DATASETS:
        return _load_builtin(name_or_path, target=target, task=task, n_samples=n_samples,
                             seed=seed, noise=noise, options=options)
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise ValueError(f"name_or_path must be a data set name or a file path, got {type(name_or_path).__name__}")
    path = Path(name_or_path)
    if path.is_file():
        return _load_csv(path, target=target, task=task, n_samples=n_samples, seed=seed,
                         noise=noise, options=options)
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


def _load_csv(path, *, target, task, n_samples, seed, noise, options) -> Dataset:
    unknown = sorted(set(options) - {"features", "sep"})
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} for a CSV file; it takes: features, sep")
    if noise is not None:
        raise ValueError("noise= applies only to the synthetic built-in data sets, not to a CSV file")
    data = _read_csv(path, target=target, task=task, features=options.get("features"),
                     sep=options.get("sep", ","))
    return _take_rows(data, n_samples, _check_seed(seed))


# ---------------------------------------------------------------- reading and checking a CSV
def _read_csv(path: Path, *, target, task, features=None, sep=",") -> Dataset:
    """Read and check a CSV file; every problem is a ValueError naming the column and row."""
    where = path.name
    try:
        raw = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False,
                          skipinitialspace=True, index_col=False)
        # the header as written: pandas renames a repeated name ('a', 'a.1') in `raw`
        header = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False,
                             skipinitialspace=True, index_col=False, header=None, nrows=1)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"cannot read {where} as a CSV file: {err}") from None
    _check_unique_names([str(c).strip() for c in header.iloc[0]], where)
    raw.columns = [str(c).strip() for c in raw.columns]
    columns = list(raw.columns)
    listing = ", ".join(repr(c) for c in columns)
    if target is None:
        raise ValueError(f"{where}: say which column is the target with target=...; the columns are: {listing}")
    if target not in columns:
        raise ValueError(f"{where}: the target column {target!r} is not in the file; the columns are: "
                         f"{listing}{did_you_mean(target, columns)}")
    features = _check_features(features, columns, target, where)

    cells = raw[[*features, target]].fillna("").apply(lambda col: col.str.strip())
    empty = (cells == "").all(axis=1).to_numpy()
    n_rows = len(cells) - _count_trailing(empty)
    cells, empty = cells.iloc[:n_rows], empty[:n_rows]
    if n_rows < MIN_ROWS:
        raise ValueError(f"{where} has {n_rows} data rows; at least {MIN_ROWS} are needed")
    if empty.any():
        row = int(np.flatnonzero(empty)[0]) + 1
        raise ValueError(f"{where}: row {row} (line {row + 1} of the file) is empty")

    values, problems = {}, []
    for column in cells.columns:
        values[column], problem = _parse_column(cells[column])
        if problem:
            hint = " (a binary target must be coded 0/1)" if column == target and "text" in problem else ""
            problems.append(f"column {column!r}, {problem}{hint}")
    if problems:
        raise ValueError(f"{where}: bad values (rows count from 1 after the header):\n  " + "\n  ".join(problems))

    y = values[target]
    task = _check_target(y, target, task, where)
    X = np.column_stack([values[f] for f in features])
    for j in np.flatnonzero((X == X[0]).all(axis=0)):
        warnings.warn(f"{where}: input column {features[j]!r} has the same value in every row; "
                      "its importance is zero by definition", UserWarning, stacklevel=4)
    return Dataset(X, y, features, target, task, None,
                   f"{where}: {n_rows} rows, {len(features)} inputs ({', '.join(features)}), "
                   f"target {target!r} ({task}).", where)


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


def _check_features(features, columns, target, where) -> list[str]:
    if features is None:
        features = [c for c in columns if c != target]
    else:
        if isinstance(features, str) or not all(isinstance(f, str) for f in features):
            raise ValueError(f"features must be a list of column names, got {features!r}")
        features = list(features)
        missing = [f for f in features if f not in columns]
        if missing:
            raise ValueError(f"{where}: the feature column {missing[0]!r} is not in the file; the columns are: "
                             f"{', '.join(repr(c) for c in columns)}{did_you_mean(missing[0], columns)}")
        if target in features:
            raise ValueError(f"{where}: the target {target!r} cannot also be a feature")
        repeated = sorted({f for f in features if features.count(f) > 1})
        if repeated:
            raise ValueError(f"{where}: features names {repeated[0]!r} more than once")
    if not features:
        raise ValueError(f"{where}: no input columns; the file needs at least one column besides the target {target!r}")
    return features


def did_you_mean(word: str, choices) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to a misspelt ``word``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1) or [
        c for c in choices if str(c).lower() == word.lower()]
    return f"; did you mean {close[0]!r}?" if close else ""


def _count_trailing(flags: np.ndarray) -> int:
    """How many True values end the array (blank lines at the end of a file)."""
    count = 0
    for flag in flags[::-1]:
        if not flag:
            break
        count += 1
    return count


def _parse_column(cells: pd.Series) -> tuple[np.ndarray, str]:
    """The column as float64, and a description of its first bad cell ('' when all are good)."""
    missing = cells.str.lower().isin(_MISSING_TOKENS).to_numpy()
    parsed = pd.to_numeric(cells.where(~missing), errors="coerce").to_numpy(dtype=np.float64)
    text = np.isnan(parsed) & ~missing
    infinite = np.isinf(parsed)
    bad = missing | text | infinite
    if not bad.any():
        return parsed, ""
    i = int(np.flatnonzero(bad)[0])
    value = cells.iloc[i]
    if missing[i]:
        what = "missing value" + (f" ({value!r})" if value else " (empty cell)")
    elif text[i]:
        what = f"text {value!r} where a number is needed"
    else:
        what = f"infinite value {value!r}"
    more = int(bad.sum()) - 1
    also = f"; {more} more bad cells in this column" if more else ""
    return parsed, f"row {i + 1} (line {i + 2} of the file): {what}{also}"


def _check_target(y: np.ndarray, target, task, where) -> str:
    if (y == y[0]).all():
        raise ValueError(f"{where}: the target {target!r} has the same value ({y[0]:g}) in every row; "
                         "there is nothing to explain")
    is01 = np.isin(y, (0.0, 1.0))
    if task is None:
        return "binary" if is01.all() else "regression"
    if task == "binary" and not is01.all():
        i = int(np.flatnonzero(~is01)[0])
        raise ValueError(f"{where}: task='binary' needs the target {target!r} to hold only 0 and 1; "
                         f"row {i + 1} (line {i + 2} of the file) holds {y[i]:g}")
    return task


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

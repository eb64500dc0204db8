"""Chapter 7's figure: how the measures of a correlated pair move with the correlation ``rho``.

The data: four standard normal inputs, of which ``x2`` is made to correlate with ``x1``,

    x2 = rho x1 + sqrt(1 - rho^2) z,      y = 3 x1 + 2 x3 + eps,      z, eps ~ N(0, 1),

so ``y`` uses ``x1`` (coefficient 3) and ``x3`` (2, independent of the others, the control), never
``x2`` or ``x4`` (noise). For one ``rho``, ``measures`` trains a small net (4-10-1) and reports,
on held-out rows, for ``x1``, ``x2``, the pair ``x1+x2`` and ``x3``:

- ``permutation``: shuffle the input (the pair: both columns with one row order,
  ``imp.grouped_permutation``);
- ``conditional permutation``: shuffle only the part the other inputs do not explain linearly
  (the pair: regressed together on the others, ``groups=``);
- ``drop and retrain``: train again without the input (the pair: both dropped), ``imp.ablation``.

All are increases of the held-out mean squared error. For a net that fits ``y`` well, the two
permutation-type measures come out about **twice** drop-and-retrain: shuffling compares ``x`` with
an independent copy ``x'``, ``E[(beta (x - x'))^2] = 2 beta^2 Var(x)``, while a retrained net
predicts the lost part's mean and loses ``beta^2 Var(x)`` (for conditional permutation and a
retrained net, ``Var`` is the part of ``x`` the other inputs do not explain). So the figure draws
drop-and-retrain doubled, on the permutation scale (Hooker, Mentch & Zhou 2021).

``panel(rho)`` is the slider's callback (one ``rho``); ``grid(rhos)`` draws the same panels side by
side, the static figure a page shows; ``slider()`` builds the ipywidgets slider over ``RHOS``.
Results are cached per (rho, seed, sizes): moving the slider back to a value costs nothing.

References
----------
Hooker, G., Mentch, L. & Zhou, S. (2021). Unrestricted permutation forces extrapolation: variable
importance requires at least one more model, or there is no free variable importance.
Statistics and Computing 31, 82.
Strobl, C., Boulesteix, A.-L., Kneib, T., Augustin, T. & Zeileis, A. (2008). Conditional variable
importance for random forests. BMC Bioinformatics 9, 307.
"""
from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers import importance as imp
from helpers._base import check_positive_int, check_seed

RHOS = (0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
"""The slider's values of rho."""
GRID = (0.0, 0.5, 0.9, 0.99)
"""The values of rho of the static grid (the figure a page shows)."""
FEATURES = ("x1", "x2", "x3", "x4")
PAIR = "x1+x2"
SHOWN = ("x1", "x2", PAIR, "x3")
"""The columns of ``measures``' table, in the order the bars are drawn."""
MEASURES = ("permutation", "conditional permutation", "drop and retrain")
COEFFICIENTS = (3.0, 0.0, 2.0, 0.0)
"""y = 3 x1 + 2 x3 + noise: x2 and x4 are never used."""
TRAIN_KWARGS = {"n_hidden": 10, "lr": 0.03, "epochs": 1000, "patience": 50}
"""A small net trained fast: 4 inputs, 10 hidden nodes, early stopping."""
_COLOURS = {"permutation": "tab:blue", "conditional permutation": "tab:orange",
            "drop and retrain": "tab:green"}
_LABELS = {"permutation": "permutation (the pair: shuffled together)",
           "conditional permutation": "conditional permutation",
           "drop and retrain": "2 x drop and retrain"}


def _check_rho(rho) -> float:
    try:
        value = float(rho)
    except (TypeError, ValueError):
        raise ValueError(f"rho must be a number between -1 and 1 (excluded), got {rho!r}") from None
    if not -1 < value < 1:
        raise ValueError(f"rho must lie strictly between -1 and 1, got {rho!r}")
    return value


def make_data(rho: float, *, n_samples: int = 800, seed: int = 0):
    """Training and held-out rows for one ``rho``: ``(X, y, X_test, y_test)``, a quarter held out.

    The inputs are standard normal by construction (mean 0, variance 1), so they need no
    standardising; the same ``seed`` gives the same ``z`` for every ``rho``, so panels differ only
    by the correlation.
    """
    rho, seed = _check_rho(rho), check_seed(seed)
    n = check_positive_int("n_samples", n_samples, minimum=40)
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, len(FEATURES)))
    X = Z.copy()
    X[:, 1] = rho * Z[:, 0] + np.sqrt(1 - rho ** 2) * Z[:, 1]
    y = X @ np.array(COEFFICIENTS) + rng.standard_normal(n)
    n_test = n // 4
    return X[n_test:], y[n_test:], X[:n_test], y[:n_test]


@lru_cache(maxsize=32)
def _measures(rho: float, seed: int, n_samples: int, n_repeats: int) -> pd.DataFrame:
    X, y, X_test, y_test = make_data(rho, n_samples=n_samples, seed=seed)
    names, pair = list(FEATURES), {PAIR: ["x1", "x2"]}
    common = dict(seeds=(seed,), X_test=X_test, y_test=y_test, train_kwargs=TRAIN_KWARGS, feature_names=names)
    drop = imp.ablation(X, y, **common)
    net = drop.info["models"][0]
    drop_pair = imp.ablation(X, y, groups=pair, models=drop.info["models"], **common)
    shuffle = dict(n_repeats=n_repeats, seed=seed, feature_names=names)
    perm = imp.permutation(net, X_test, y_test, **shuffle)
    perm_pair = imp.grouped_permutation(net, X_test, y_test, groups=pair, **shuffle)
    cond = imp.conditional_permutation(net, X_test, y_test, **shuffle)
    cond_pair = imp.conditional_permutation(net, X_test, y_test, groups=pair, **shuffle)
    rows = {"permutation": (perm, perm_pair), "conditional permutation": (cond, cond_pair),
            "drop and retrain": (drop, drop_pair)}
    table = pd.DataFrame({m: [single.values["x1"], single.values["x2"], grouped.values[PAIR], single.values["x3"]]
                          for m, (single, grouped) in rows.items()}, index=list(SHOWN)).T
    table.index.name, table.columns.name = "measure", "input"
    return table


def measures(rho: float, *, seed: int = 0, n_samples: int = 800, n_repeats: int = 20) -> pd.DataFrame:
    """The three measures for one ``rho``, in held-out MSE increase (drop-and-retrain not doubled).

    Parameters
    ----------
    rho : float
        The correlation of x1 and x2, strictly between -1 and 1.
    seed : int, default 0
        Seeds the data draw, the nets' initial weights and the shuffles.
    n_samples : int, default 800
        Rows drawn (a quarter held out).
    n_repeats : int, default 20
        Shuffles per input for the two permutation measures.

    Returns
    -------
    pandas.DataFrame
        One row per measure (``MEASURES``), one column per input of ``SHOWN`` (x1, x2, the pair
        x1+x2, x3). The first call trains the nets (``imp.ablation``: a baseline and one net per
        input dropped, then one per unit of the grouping with the pair); later calls with the same
        arguments reuse the result (a copy).
    """
    rho, seed = _check_rho(rho), check_seed(seed)
    n_samples = check_positive_int("n_samples", n_samples, minimum=40)
    n_repeats = check_positive_int("n_repeats", n_repeats)
    return _measures(rho, seed, n_samples, n_repeats).copy()


def _draw(ax_data, ax_bars, rho, numbers, X_test):
    """The two plots of one panel: the held-out rows of x1 and x2, and the measures' bars."""
    ax_data.scatter(X_test[:, 0], X_test[:, 1], s=4, alpha=0.5)
    r = np.corrcoef(X_test[:, 0], X_test[:, 1])[0, 1]
    ax_data.text(0.04, 0.95, f"r = {r:.2f} in the\nheld-out rows", transform=ax_data.transAxes,
                 va="top", fontsize=8)
    ax_data.set(xlabel="x1", ylabel="x2", title=f"rho = {rho:g}: the data", xlim=(-3.5, 3.5), ylim=(-3.5, 3.5),
                aspect="equal")
    width = 0.8 / len(MEASURES)
    positions = np.arange(len(SHOWN))
    for k, m in enumerate(MEASURES):
        heights = numbers.loc[m].to_numpy() * (2 if m == "drop and retrain" else 1)
        ax_bars.bar(positions + (k - 1) * width, heights, width, color=_COLOURS[m], label=_LABELS[m])
    ax_bars.set_xticks(positions, ["x1", "x2", "x1+x2\n(the pair)", "x3\n(control)"])
    ax_bars.axhline(0, color="grey", lw=0.6)
    ax_bars.set(ylabel="held-out MSE increase", title=f"rho = {rho:g}: the measures")


def _legend(fig, ax, bottom):
    """One legend for the figure, below its plots (``bottom``: the share of the height it takes)."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, title="measure (held-out MSE increase)", loc="lower center",
               ncols=len(MEASURES), fontsize="small", title_fontsize="small")
    fig.set_layout_engine("constrained")
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))


def panel(rho: float, *, seed: int = 0, n_samples: int = 800, n_repeats: int = 20):
    """The slider's callback: the figure for one ``rho`` and its numbers.

    Returns ``(fig, numbers)``: a matplotlib figure of two axes (left: the held-out rows of x1 and
    x2; right: the bars of ``MEASURES`` for x1, x2, the pair and x3, drop-and-retrain doubled to the
    permutation scale) and the table of ``measures`` (not doubled).
    """
    numbers = measures(rho, seed=seed, n_samples=n_samples, n_repeats=n_repeats)
    X_test = make_data(rho, n_samples=n_samples, seed=seed)[2]
    fig, (ax_data, ax_bars) = plt.subplots(1, 2, figsize=(8.5, 3.8), gridspec_kw={"width_ratios": [1, 1.6]})
    _draw(ax_data, ax_bars, float(rho), numbers, X_test)
    _legend(fig, ax_bars, 0.17)
    return fig, numbers


def grid(rhos=GRID, *, seed: int = 0, n_samples: int = 800, n_repeats: int = 20):
    """The panels of ``panel`` for several ``rhos`` side by side: the data above, the bars below
    (one shared scale). Returns ``(fig, numbers)``, numbers indexed by ``(rho, measure)``."""
    rhos = [_check_rho(r) for r in rhos]
    if not rhos:
        raise ValueError("rhos must hold at least one value")
    tables = {r: measures(r, seed=seed, n_samples=n_samples, n_repeats=n_repeats) for r in rhos}
    fig, axes = plt.subplots(2, len(rhos), figsize=(2.7 * len(rhos), 5.8), squeeze=False, sharey="row",
                             gridspec_kw={"height_ratios": [1, 1.1]})
    for k, r in enumerate(rhos):
        X_test = make_data(r, n_samples=n_samples, seed=seed)[2]
        _draw(axes[0, k], axes[1, k], r, tables[r], X_test)
        axes[0, k].set_title(f"rho = {r:g}")
        axes[1, k].set_title("")
        axes[1, k].tick_params(axis="x", labelsize=7)
        if k:
            axes[0, k].set_ylabel("")
            axes[1, k].set_ylabel("")
    _legend(fig, axes[1, 0], 0.1)
    return fig, pd.concat(tables, names=["rho"])


def slider(*, seed: int = 0, n_samples: int = 800, n_repeats: int = 20, value: float = 0.9):
    """An ipywidgets slider over ``RHOS`` that redraws ``panel`` (each new value trains the nets
    once, about a second; revisited values are cached). Display it in Jupyter; a committed
    notebook stores no widget state, so a page shows the static ``grid`` instead."""
    import ipywidgets as widgets
    from IPython.display import display

    if value not in RHOS:
        raise ValueError(f"value must be one of the slider's values {RHOS}, got {value!r}")

    def show(rho):
        fig, numbers = panel(rho, seed=seed, n_samples=n_samples, n_repeats=n_repeats)
        display(fig, numbers.round(2))
        plt.close(fig)

    control = widgets.SelectionSlider(options=list(RHOS), value=value, description="rho",
                                      continuous_update=False)
    return widgets.interactive(show, rho=control)

"""How good is an importance measure? Agreement with a known truth, and stability across seeds.

``agreement`` compares one measure with a data set's ``true_importance``; ``combine_seeds`` turns
the same measure computed on nets retrained with several seeds into one ``Importance`` with an
interval; ``stability`` says how much the ranking itself moves between seeds; ``scoreboard``
puts every measure and seed in one table.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from helpers._base import Importance


def _as_series(values, name: str) -> pd.Series:
    if isinstance(values, Importance):
        return values.values
    if isinstance(values, pd.Series):
        return values
    raise ValueError(f"{name} must be an Importance or a pandas Series indexed by feature, got {type(values).__name__}")


def agreement(importance, truth, *, k: int | None = None) -> dict:
    """Agreement of a measure's global importance with the true importance.

    Both are compared by absolute value (a signed measure such as ``olden`` is judged on the
    size of its effect). Returns a dict:

    - ``spearman``: Spearman's rank correlation over all features;
    - ``kendall``: Kendall's tau-b;
    - ``topk_recall``: the share of the true top ``k`` features that the measure also puts in its
      top ``k``; ``k`` defaults to the number of features with non-zero truth (the real inputs);
    - ``topk_exact``: 1.0 when the two top-``k`` sets are equal, else 0.0;
    - ``k``.

    A measure that gives every feature the same value has no ranking: its correlations are NaN.
    """
    est = _as_series(importance, "importance").abs()
    true = _as_series(truth, "truth").abs()
    missing = sorted(set(true.index) ^ set(est.index))
    if missing:
        raise ValueError(f"importance and truth name different features: {missing}")
    est = est.reindex(true.index).astype(float)
    if k is None:
        k = int((true > 0).sum()) or len(true)
    if not 1 <= k <= len(true):
        raise ValueError(f"k must lie between 1 and {len(true)}, got {k}")
    with np.errstate(invalid="ignore"):
        constant = est.nunique() < 2
        rho = np.nan if constant else float(stats.spearmanr(est, true).statistic)
        tau = np.nan if constant else float(stats.kendalltau(est, true).statistic)
    top_true = set(true.sort_values(ascending=False, kind="stable").index[:k])
    top_est = set(est.sort_values(ascending=False, kind="stable").index[:k])
    recall = len(top_true & top_est) / k
    return {"spearman": rho, "kendall": tau, "topk_recall": recall,
            "topk_exact": float(top_true == top_est), "k": k}


def combine_seeds(results: Iterable[Importance], *, method: str | None = None) -> Importance:
    """One ``Importance`` from the same measure computed on nets trained with different seeds.

    ``values`` is the mean over seeds, ``std`` the standard deviation (ddof=1, the spread a new
    seed would show), ``samples`` the per-seed values (one row per seed), and ``info["interval"]``
    a 95% t-interval of the mean (a DataFrame with ``lower`` and ``upper``).
    """
    results = list(results)
    if not results:
        raise ValueError("combine_seeds needs at least one result")
    names = results[0].feature_names
    if any(r.feature_names != names for r in results):
        raise ValueError("every result must name the same features in the same order")
    samples = pd.DataFrame([r.values.to_numpy() for r in results], columns=pd.Index(names, name="feature"))
    samples.index.name = "seed"
    mean = samples.mean()
    n = len(samples)
    std = samples.std(ddof=1) if n > 1 else pd.Series(0.0, index=mean.index)
    half = stats.t.ppf(0.975, n - 1) * std / np.sqrt(n) if n > 1 else std * np.nan
    interval = pd.DataFrame({"lower": mean - half, "upper": mean + half})
    return Importance(method or results[0].method, mean, std, samples, None,
                      {"n_seeds": n, "interval": interval})


def stability(samples: pd.DataFrame) -> float:
    """Mean Spearman rank correlation between every pair of seeds' importances (rows of
    ``samples``): 1 when retraining never changes the ranking."""
    if not isinstance(samples, pd.DataFrame) or len(samples) < 2:
        raise ValueError("stability needs a DataFrame with at least two rows (seeds)")
    ranks = samples.abs().rank(axis=1).to_numpy()
    corr = np.corrcoef(ranks)
    upper = corr[np.triu_indices(len(samples), k=1)]
    return float(np.nanmean(upper))


def scoreboard(results: Mapping[str, Iterable[Importance]] | Iterable[Importance], truth,
               *, k: int | None = None) -> pd.DataFrame:
    """A tidy table of ``agreement`` for every measure and seed: columns ``method, run,
    spearman, kendall, topk_recall, topk_exact, k``. ``results`` is a list of ``Importance``
    (one run each) or a mapping from a run label (e.g. the seed) to a list of them."""
    if isinstance(results, Mapping):
        runs = results.items()
    else:
        runs = [(0, list(results))]
    rows = []
    for run, items in runs:
        for item in items:
            rows.append({"method": item.method, "run": run, **agreement(item, truth, k=k)})
    return pd.DataFrame(rows)

"""helpers.evaluate against hand calculations."""
import numpy as np
import pandas as pd
import pytest

from helpers._base import Importance
from helpers.evaluate import agreement, combine_seeds, scoreboard, stability

NAMES = ["a", "b", "c", "d", "e"]


def imp(values, method="m"):
    return Importance(method, pd.Series(values, index=NAMES, dtype=float))


def test_agreement_by_hand():
    truth = pd.Series([5, 4, 3, 0, 0], index=NAMES, dtype=float)
    est = imp([4.0, 5.0, 3.0, 0.5, 0.1])
    out = agreement(est, truth)
    # ranks: truth (5, 4, 3, 1.5, 1.5), estimate (4, 5, 3, 2, 1): Pearson correlation of the ranks
    rt, re = np.array([5, 4, 3, 1.5, 1.5]), np.array([4, 5, 3, 2, 1])
    assert out["spearman"] == pytest.approx(np.corrcoef(rt, re)[0, 1])
    assert out["k"] == 3 and out["topk_recall"] == 1.0 and out["topk_exact"] == 1.0
    # one real input swapped for a noise input: top-3 recall 2/3
    out = agreement(imp([4.0, 5.0, 0.1, 3.0, 0.2]), truth)
    assert out["topk_recall"] == pytest.approx(2 / 3) and out["topk_exact"] == 0.0


def test_agreement_uses_absolute_values_and_checks_names():
    truth = pd.Series([3, 2, 1, 0, 0], index=NAMES, dtype=float)
    assert agreement(imp([-3.0, 2, -1, 0, 0]), truth)["spearman"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="different features"):
        agreement(imp([1.0, 2, 3, 4, 5]), truth.rename(index={"e": "z"}))
    with pytest.raises(ValueError, match="k must"):
        agreement(imp([1.0, 2, 3, 4, 5]), truth, k=9)
    assert np.isnan(agreement(imp([1.0] * 5), truth)["spearman"])


def test_combine_seeds_mean_std_interval():
    runs = [imp([1.0, 2, 3, 4, 5]), imp([3.0, 2, 1, 4, 7])]
    out = combine_seeds(runs)
    assert list(out.values) == [2.0, 2.0, 2.0, 4.0, 6.0]
    assert out.std["a"] == pytest.approx(np.std([1, 3], ddof=1))
    half = 12.706204736174698 * np.std([1, 3], ddof=1) / np.sqrt(2)  # t(0.975, df=1)
    assert out.info["interval"].loc["a", "upper"] == pytest.approx(2 + half)
    assert out.samples.shape == (2, 5)
    with pytest.raises(ValueError):
        combine_seeds([])


def test_stability_and_scoreboard():
    same = pd.DataFrame([[1, 2, 3], [2, 4, 6]], columns=["a", "b", "c"])
    assert stability(same) == pytest.approx(1.0)
    flipped = pd.DataFrame([[1, 2, 3], [3, 2, 1]], columns=["a", "b", "c"])
    assert stability(flipped) == pytest.approx(-1.0)
    truth = pd.Series([5, 4, 3, 0, 0], index=NAMES, dtype=float)
    board = scoreboard({0: [imp([5, 4, 3, 0, 0], "x")], 1: [imp([0, 0, 3, 4, 5], "x")]}, truth)
    assert list(board.columns[:3]) == ["method", "run", "spearman"]
    assert board["topk_recall"].tolist() == [1.0, pytest.approx(1 / 3)]

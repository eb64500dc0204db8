"""The verdict (helpers.verdict): decisions on known functions, the interval, the flags, the checks,
and a small version of the calibration in bench/calibration.py."""
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from torch import nn

from helpers import importance as imp
from helpers.model import train, train_many
from helpers.verdict import COLUMNS, DEFAULT_THRESHOLD, Verdict, _stream_seeds, consensus, decide, disagreements, interval

ROOT = Path(__file__).resolve().parent.parent


class Known(nn.Module):
    """A fixed function of the inputs, no training: ``f(X) = X @ w`` (+ ``inter`` x3 x4 when given)."""

    def __init__(self, w, task="regression"):
        super().__init__()
        self.w = torch.as_tensor(np.asarray(w, dtype=np.float32))
        self.task = task

    def forward(self, x):
        return x @ self.w


def linear_data(n, seed, d=5, coef=(3.0,), noise=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X[:, :len(coef)] @ np.asarray(coef) + noise * rng.standard_normal(n)
    return X, y


def verdicts(v: Verdict) -> dict:
    return dict(zip(v.table["feature"], v.table["verdict"]))


# ---------------------------------------------------------------- decisions on known truth
def test_known_function_x1_matters_noise_does_not():
    X, y = linear_data(300, seed=0)
    v = decide([Known([3, 0, 0, 0, 0])], X, y, task="regression")
    assert list(v.table.columns) == list(COLUMNS)
    got = verdicts(v)
    assert got["x1"] == "matters"
    assert all(got[f] == "does not matter" for f in ("x2", "x3", "x4", "x5"))   # the model never reads them
    assert v.table.set_index("feature").loc["x1", "rank"] == 1
    assert not v.learned_nothing and not v.flags
    assert v.summary() == "x1 matters; x2, x3, x4 and x5 do not matter."
    assert v.threshold == pytest.approx(DEFAULT_THRESHOLD * v.baseline_loss)


def test_a_summary_of_many_inputs_names_the_first_and_counts_the_rest():
    """100 inputs the model never reads: the sentence names the first 12 of them and counts the
    other 87; 13 would all be named (naming one more costs less than counting it)."""
    from helpers.verdict import SUMMARY_NAMES

    X, y = linear_data(300, seed=0, d=100)
    v = decide([Known([3] + [0] * 99)], X, y, task="regression", n_repeats=2)
    nots = v.features("does not matter")
    assert len(nots) == 99
    expected = f"x1 matters; {', '.join(nots[:SUMMARY_NAMES])} and 87 others do not matter."
    assert v.summary() == expected
    X, y = linear_data(300, seed=0, d=14)
    v = decide([Known([3] + [0] * 13)], X, y, task="regression", n_repeats=2)
    assert "others" not in v.summary() and all(f in v.summary() for f in v.table["feature"])


def test_trained_net_x1_matters_noise_never_matters():
    X, y = linear_data(500, seed=1)
    net = train(X[:375], y[:375], seed=0, epochs=400).model
    v = decide([net], X[375:], y[375:], task="regression", X_train=X[:375], y_train=y[:375])
    got = verdicts(v)
    assert got["x1"] == "matters"
    assert all(got[f] in ("does not matter", "unclear") for f in ("x2", "x3", "x4", "x5"))
    assert v.fit.loc["net", "score"] > 0.8 and v.fit.attrs["score"] == "R^2"
    assert np.isfinite(v.fit.loc["net", "train_score"])


def test_pure_noise_target_learned_nothing():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((400, 5)), rng.standard_normal(400)
    net = train(X[:300], y[:300], seed=0, epochs=400).model
    v = decide([net], X[300:], y[300:], task="regression", X_train=X[:300], y_train=y[:300])
    assert v.learned_nothing
    assert "matters" not in set(v.table["verdict"])
    assert "no input can be shown to matter" in v.flags["learned_nothing"]
    assert v.summary().startswith("The net predicts the held-out rows no better than a constant")


def test_learned_nothing_turns_matters_into_unclear():
    # a model whose x1 column carries a real signal, but its scale is so wrong that it loses to the mean
    X, y = linear_data(300, seed=3, coef=(0.3,))
    v = decide([Known([6, 0, 0, 0, 0])], X, y, task="regression")
    assert v.learned_nothing
    assert verdicts(v)["x1"] == "unclear"          # shuffling x1 costs a lot, but the model is useless
    assert v.table.set_index("feature").loc["x1", "importance"] > 3 * v.threshold


def test_near_duplicates_matter_together():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 4))
    X[:, 1] = X[:, 0] + 1e-3 * rng.standard_normal(300)
    y = 3 * X[:, 0] + rng.standard_normal(300)
    v = decide([Known([1.5, 1.5, 0, 0])], X, y, task="regression")
    table = v.table.set_index("feature")
    assert table.loc["x1", "group"] == table.loc["x2", "group"] == "x1+x2"
    assert table.loc["x3", "group"] == ""
    assert table.loc["x1", "verdict"] == table.loc["x2", "verdict"] == "unclear"
    assert table.loc["x1", "note"] == "x1 and x2 together matter; either can stand in for the other"
    assert list(v.clusters["group"]) == ["x1+x2"] and v.clusters["verdict"].iloc[0] == "matters"
    assert "x1 and x2 together matter" in v.summary()
    # the report's ranked table: by rank, the other measures' consensus beside it, a group that wraps
    from helpers import report

    ranked = report.ranked_table(v, {"gradient": imp.gradient(Known([1.5, 1.5, 0, 0]), X)})
    assert list(ranked["rank"]) == [1, 2, 3, 4] and "consensus_rank" in ranked.columns
    assert ranked.loc["x1", "group"] == "x1 + x2" and ranked.loc["x3", "group"] == ""


def test_correlated_noise_copy_does_not_matter_but_real_input_does():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((400, 3))
    X[:, 1] = 0.9 * X[:, 0] + np.sqrt(0.19) * X[:, 1]        # x2: noise, r = 0.9 with x1
    y = 2 * X[:, 0] + rng.standard_normal(400)
    v = decide([Known([2, 0, 0])], X, y, task="regression")
    got = verdicts(v)
    assert got["x1"] == "matters" and got["x2"] == "does not matter"
    assert "judged on what it adds beyond" in v.table.set_index("feature").loc["x2", "note"]


# ---------------------------------------------------------------- the interval
def test_interval_is_the_paired_t_interval_for_one_net():
    rng = np.random.default_rng(6)
    D = rng.standard_normal((1, 3, 40)) + 1.0
    est, low, high, df = interval(D, 0.9)
    for k in range(3):
        lo, hi = stats.t.interval(0.9, 39, loc=D[0, k].mean(), scale=stats.sem(D[0, k]))
        assert (low[k], high[k]) == pytest.approx((lo, hi))
    assert np.all(df == 39)


def test_interval_adds_the_spread_between_nets():
    rng = np.random.default_rng(7)
    rows = rng.standard_normal((1, 1, 200))
    same = np.repeat(rows, 3, axis=0)
    shifted = same + np.array([-0.5, 0.0, 0.5])[:, None, None]
    _, lo1, hi1, df1 = interval(same)
    _, lo2, hi2, df2 = interval(shifted)
    assert hi2 - lo2 > hi1 - lo1 and df2[0] < df1[0]


def test_interval_widens_with_fewer_rows():
    X, y = linear_data(800, seed=8)
    model = Known([3, 0, 0, 0, 0])
    wide = decide([model], X[:40], y[:40], task="regression").table.set_index("feature").loc["x1"]
    narrow = decide([model], X, y, task="regression").table.set_index("feature").loc["x1"]
    assert wide["high"] - wide["low"] > 2 * (narrow["high"] - narrow["low"])


def test_importance_equals_the_permutation_measure():
    X, y = linear_data(200, seed=9)
    net = train(X, y, seed=0, epochs=100).model
    v = decide([net], X, y, task="regression", n_repeats=7, seed=3)
    perm = imp.permutation(net, X, y, n_repeats=7, seed=_stream_seeds(3, 1)[0][0])
    assert np.allclose(v.table["importance"].to_numpy(), perm.values.to_numpy(), rtol=1e-6, atol=1e-9)
    assert np.allclose(v.per_row.mean().to_numpy(), perm.values.to_numpy(), rtol=1e-6, atol=1e-9)


def test_each_row_counts_as_recipient_and_as_donor():
    """per_row is phi_i = d_i + e_i - I, rebuilt here from the same permutations: d_i the loss
    difference of row i when its value is replaced, e_i the differences row i's value caused where
    it was put, each a mean over the repeats."""
    X, y = linear_data(60, seed=11, coef=(3.0, 1.0), d=3)
    model = Known([3.0, 1.0, 0.0])
    R = 4
    v = decide([model], X, y, task="regression", n_repeats=R, seed=5, correlation=1.0)
    rng = np.random.default_rng(_stream_seeds(5, 1)[0][0])
    f = X.astype(np.float32) @ np.float32([3.0, 1.0, 0.0])
    base = (f.astype(np.float64) - y) ** 2
    for j, name in enumerate(["x1", "x2", "x3"]):
        perms = rng.permuted(np.broadcast_to(np.arange(60), (R, 60)), axis=1)   # _scores' draws, unit by unit
        received, donated = np.zeros(60), np.zeros(60)
        for p in perms:
            Xs = X.astype(np.float32).copy()
            Xs[:, j] = Xs[p, j]
            diff = (Xs @ np.float32([3.0, 1.0, 0.0])).astype(np.float64) - y
            diff = diff ** 2 - base
            received += diff / R
            donated[p] += diff / R
        phi = received + donated - received.mean()
        assert np.allclose(v.per_row[name].to_numpy(), phi, rtol=1e-5, atol=1e-6)
        assert v.table.set_index("feature").loc[name, "importance"] == pytest.approx(received.mean(), rel=1e-6)


def test_interval_width_matches_the_spread_over_fresh_rows():
    """On fresh samples of rows, the importance moves as much as its standard error says. Counting
    each row as the recipient only (the per-row differences alone) made it 1.3-1.5x too narrow here."""
    from helpers._perturbation import _scores
    from helpers.verdict import _PerRow, _row_loss

    model, n, R = Known([1.0, 0.5, 0.0]), 100, 10
    est, half = [], []
    for s in range(300):
        X, y = linear_data(n, seed=1000 + s, coef=(1.0, 0.5), d=3, noise=0.5)
        rec = _PerRow(_row_loss("regression", y), 3, R, n)
        _scores(model, X.astype(np.float32), [[0], [1], [2]], np.zeros((n, 3)), X, s, R, rec, with_permutations=True)
        e, _, high, _ = interval(rec.influence()[None])
        est.append(e[:2]), half.append((high - e)[:2])
    ratio = np.std(est, axis=0, ddof=1) / (np.mean(half, axis=0) / stats.t.ppf(0.975, n - 1))
    assert np.all((ratio > 0.8) & (ratio < 1.12)), ratio


def test_several_nets_and_deterministic_seed():
    X, y = linear_data(400, seed=10, coef=(2.0, 1.0))
    nets = [r.model for r in train_many(X[:300], y[:300], seeds=[0, 1], epochs=200)]
    a = decide(nets, X[300:], y[300:], task="regression", seed=5)
    b = decide(nets, X[300:], y[300:], task="regression", seed=5)
    c = decide(nets, X[300:], y[300:], task="regression", seed=6)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.table["importance"], c.table["importance"])
    assert a.info["n_models"] == 2 and (a.info["df"] <= 100).all() and (a.info["df"] < 99).any()


# ---------------------------------------------------------------- the fit and its flags
def test_worse_than_linear_flag():
    X, y = linear_data(400, seed=11, coef=(3.0, 2.0))
    v = decide([Known([3, 0, 0, 0, 0])], X[200:], y[200:], task="regression", X_train=X[:200], y_train=y[:200])
    assert v.worse_than_linear and "worse on the held-out rows than a linear model" in v.flags["worse_than_linear"]
    assert v.fit.loc["linear", "score"] > v.fit.loc["net", "score"]
    good = decide([Known([3, 2, 0, 0, 0])], X[200:], y[200:], task="regression", X_train=X[:200], y_train=y[:200])
    assert not good.worse_than_linear and "worse_than_linear" not in good.flags


def test_a_net_a_hair_worse_than_linear_is_not_flagged():
    """The linear model's own predictions, moved by 0.001 away from the targets: a higher held-out
    loss than the linear model's, by far less than the threshold and not beyond doubt."""
    from sklearn.linear_model import RidgeCV

    X, y = linear_data(400, seed=11, coef=(3.0, 2.0))
    ridge = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(X[:200], y[:200])
    resid = ridge.predict(X[200:]) - y[200:]

    class Almost(nn.Module):
        def forward(self, x):
            out = torch.as_tensor(ridge.predict(x.double().numpy()), dtype=torch.float32)
            return out + 0.001 * float(np.sign(resid.mean()))

    v = decide([Almost()], X[200:], y[200:], task="regression", X_train=X[:200], y_train=y[:200])
    assert v.baseline_loss > v.fit.loc["linear", "loss"]
    assert not v.worse_than_linear and "worse_than_linear" not in v.flags


def test_the_answer_says_learned_nothing_once():
    from helpers import report

    X, y = linear_data(300, seed=13, coef=(0.0,))
    v = decide([Known([0, 0, 0, 0, 1e-3])], X[150:], y[150:], task="regression", X_train=X[:150], y_train=y[:150])
    assert v.learned_nothing
    text = report.answer(v)
    assert text.count("no better than a constant") == 1, text


def test_an_overconfident_classifier_is_told_apart_from_one_that_learned_nothing():
    """Right on 85% of the rows, but certain of itself on the wrong ones: its log-loss is no better
    than the base rate's, and the flag says why, instead of just "no better than a constant"."""
    rng = np.random.default_rng(14)
    X = rng.standard_normal((400, 3))
    y = ((X[:, 0] > 0) != (rng.uniform(size=400) < 0.15)).astype(float)       # 15% of the labels flipped
    v = decide([Known([40.0, 0, 0], task="binary")], X[200:], y[200:], task="binary", X_train=X[:200],
               y_train=y[:200])
    assert v.learned_nothing and v.fit.loc["net", "score"] > 0.8
    assert "overconfident" in v.flags["learned_nothing"] and "log-loss" in v.flags["learned_nothing"]


def test_binary_task_and_one_hot_group():
    rng = np.random.default_rng(12)
    n = 600
    level = rng.integers(0, 3, n)
    onehot = np.eye(3)[level]
    X = np.column_stack([onehot, rng.standard_normal((n, 2))])
    logit = np.array([-2.0, 0.0, 2.0])[level] + 1.5 * X[:, 3]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(float)
    names = ["c=a", "c=b", "c=c", "u", "z"]
    model = Known([-2, 0, 2, 1.5, 0], task="binary")
    v = decide([model], X, y, task="binary", feature_names=names, groups={"c": ["c=a", "c=b", "c=c"]})
    got = verdicts(v)
    assert list(v.table["feature"]) == ["c", "u", "z"]
    assert got["c"] == "matters" and got["u"] == "matters" and got["z"] == "does not matter"
    assert (v.table["group"] == "").all()          # a category's levels are one variable, not a cluster
    assert v.fit.attrs["score"] == "accuracy" and v.info["loss"] == "log_loss"


# ---------------------------------------------------------------- checks
@pytest.mark.parametrize("change, word", [
    ({"task": "classification"}, "task"),
    ({"threshold": -0.1}, "threshold"),
    ({"threshold": 1.5}, "threshold"),
    ({"level": 1.0}, "level"),
    ({"correlation": 0}, "correlation"),
    ({"n_repeats": 0}, "n_repeats"),
    ({"seed": -1}, "seed"),
    ({"models": []}, "models"),
    ({"models": ["net"]}, "models[0]"),
    ({"y_test": np.zeros(5)}, "y_test"),
    ({"X_train": np.zeros((20, 5))}, "X_train and y_train"),
    ({"X_train": np.zeros((20, 4)), "y_train": np.zeros(20)}, "X_train"),
    ({"feature_names": ["a", "b"]}, "feature_names"),
    ({"groups": {"g": ["nope"]}}, "nope"),
])
def test_bad_input_names_the_parameter(change, word):
    X, y = linear_data(50, seed=13)
    kwargs = {"models": [Known([3, 0, 0, 0, 0])], "X_test": X, "y_test": y, "task": "regression", **change}
    with pytest.raises(ValueError, match=word.replace("[", r"\[").replace("]", r"\]")):
        decide(**kwargs)


def test_bad_data_values():
    X, y = linear_data(50, seed=14)
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="X_test"):
        decide([Known([3, 0, 0, 0, 0])], X, y, task="regression")
    X, y = linear_data(50, seed=14)
    with pytest.raises(ValueError, match="y_test must hold 0s and 1s"):
        decide([Known([3, 0, 0, 0, 0], task="binary")], X, y, task="binary")
    with pytest.raises(ValueError, match="task='binary' but models\\[0\\] is a 'regression' model"):
        decide([Known([3, 0, 0, 0, 0])], X, (y > 0).astype(float), task="binary")
    with pytest.raises(ValueError, match="at least 10 held-out rows"):
        decide([Known([3, 0, 0, 0, 0])], X[:5], y[:5], task="regression")


# ---------------------------------------------------------------- the other measures beside the verdict
def test_consensus_and_disagreements():
    X, y = linear_data(300, seed=15, coef=(3.0, 1.0))
    net = train(X, y, seed=0, epochs=200).model
    v = decide([net], X, y, task="regression")
    results = {"permutation": imp.permutation(net, X, y, seed=0), "garson": imp.garson(net),
               "reversed": imp.Importance("reversed", v.table.set_index("feature")["importance"].rank(ascending=False))}
    table = consensus(results, v)
    assert list(table["feature"]) == list(v.table["feature"])
    assert {"verdict", "verdict_rank", "median_rank", "consensus_rank", "rank_permutation"} <= set(table.columns)
    assert table.set_index("feature").loc["x1", "rank_permutation"] == 1
    dis = disagreements(results, v).set_index("measure")
    assert not dis.loc["permutation", "disagrees"] and dis.loc["permutation", "spearman"] > 0.5
    assert dis.loc["reversed", "disagrees"]
    with pytest.raises(ValueError, match="verdict"):
        disagreements(results, "not a verdict")


# ---------------------------------------------------------------- calibration, small (bench/calibration.py is the full one)
def _bench():
    spec = importlib.util.spec_from_file_location("calibration", ROOT / "bench" / "calibration.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_calibration_small():
    bench = _bench()
    rows, _, _ = bench.run(4, seed=1, null=False, n_repeats=5, threshold=DEFAULT_THRESHOLD, level=0.95, epochs=600)
    noise = [r for r in rows if r["feature"] in bench.NOISE]
    strong = [r for r in rows if r["feature"] in bench.REAL and r["worth"] >= 10]
    assert all(r["verdict"] != "matters" for r in noise)
    assert strong and sum(r["verdict"] == "matters" for r in strong) >= len(strong) - 1
    null, _, _ = bench.run(4, seed=1, null=True, n_repeats=5, threshold=DEFAULT_THRESHOLD, level=0.95, epochs=600)
    assert all(r["verdict"] != "matters" for r in null)
    assert all(r["learned_nothing"] for r in null)

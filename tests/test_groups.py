"""Importance per original variable: groups of columns in every measure, the shared check of
groups, and the registry of measures with its uniform ``compute``.

The data: two numeric inputs around a category of three levels, one-hot encoded with the first
level dropped (columns ``c=B``, ``c=C``), placed in the middle so that the order of the groups is
tested too. Each measure's group rule is checked against an identity or a hand calculation:
grouped permutation by hand with the same permutations (and the shuffled rows stay one-hot
rows), grouped Shapley against a brute force over the 2^g coalitions and its efficiency,
completeness of grouped integrated gradients, the sums of the weight and gradient measures,
drop-and-retrain of a group against training one net by hand, and the declines.
"""
import copy
import itertools
import math

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import Wrapped
from helpers import importance as imp
from helpers._base import GroupsNotSupported, check_groups
from helpers.model import MLP, train

NAMES = ["x1", "c=B", "c=C", "x2", "x3"]
GROUPS = {"c": ["c=B", "c=C"]}
LABELS = ["x1", "c", "x2", "x3"]                 # the groups in the order of their first column
COLUMNS = {"x1": [0], "c": [1, 2], "x2": [3], "x3": [4]}


class Recording(Wrapped):
    """A wrapped net that keeps every batch it is given."""

    def __init__(self, net):
        super().__init__(net)
        self.seen = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return self.net(x)


def outputs(net, X):
    with torch.no_grad():
        net64 = copy.deepcopy(net).double().eval()
        return net64(torch.as_tensor(np.asarray(X, dtype=np.float64))).reshape(len(X)).numpy()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def category_data(n, seed):
    rng = np.random.default_rng(seed)
    num = rng.normal(size=(n, 3))
    level = rng.integers(0, 3, size=n)
    onehot = np.eye(3)[level][:, 1:]
    X = np.column_stack([num[:, 0], onehot, num[:, 1:]])
    y = num[:, 0] + 2 * onehot[:, 0] - onehot[:, 1] + 0.5 * num[:, 1] ** 2 + 0.1 * rng.normal(size=n)
    return X, y


@pytest.fixture(scope="module")
def setup():
    """A random 5-8-1 tanh net, 120 rows and a target close to the net's own output."""
    torch.manual_seed(4)
    net = MLP(5, 8, "tanh").eval()
    X, _ = category_data(120, seed=1)
    y = outputs(net, X) + 0.1 * np.random.default_rng(2).normal(size=len(X))
    return net, X, y


# ================================================================ the shared check
def test_check_groups_orders_by_first_column_and_fills_in_the_rest():
    assert check_groups(None, NAMES) == {f: [j] for j, f in enumerate(NAMES)}
    assert check_groups(GROUPS, NAMES) == COLUMNS
    assert list(check_groups(GROUPS, NAMES)) == LABELS
    # the order of the columns within a group and of the groups given does not matter
    assert check_groups({"b": ["x3", "x2"], "c": ["c=C", "c=B"]}, NAMES) == {"x1": [0], "c": [1, 2], "b": [3, 4]}
    assert check_groups({"one": "x2"}, NAMES)["one"] == [3]                 # a string is one column
    assert check_groups([["x1", "x2"]], NAMES)["x1+x2"] == [0, 3]          # a list of lists
    assert check_groups({}, NAMES) == check_groups(None, NAMES)


@pytest.mark.parametrize("groups, message", [
    ({"c": ["c=B", "c=Cc"]}, r"group 'c' names 'c=Cc', which is not one of the features .*; did you mean 'c=C'\?"),
    ({"c": []}, r"group 'c' must be a non-empty list of feature names, got \[\]"),
    ({"c": ["c=B", "c=B"]}, r"group 'c' names a feature twice"),
    ({"a": ["x1", "x2"], "b": ["x2", "x3"]}, r"column 'x2' is in two groups, 'a' and 'b'"),
    ({"x1": ["x2", "x3"]}, r"group 'x1' is named like the column 'x1' but does not hold it"),
    ([["x1"], ["x1"]], r"two groups are called 'x1'"),
    ("c", r"groups must be a dict or a list of lists of feature names, got str"),
    ({"c": 3}, r"group 'c' must be a non-empty list of feature names, got 3"),
])
def test_check_groups_bad_input(groups, message):
    with pytest.raises(ValueError, match=message):
        check_groups(groups, NAMES)


def test_every_measure_checks_groups_the_same_way(setup):
    net, X, y = setup
    bad = {"c": ["c=B", "c=X"]}
    for name in imp.MEASURES:
        extra = {"train_kwargs": {"epochs": 1}} if name == "ablation" else {}
        with pytest.raises(ValueError, match="group 'c' names 'c=X', which is not one of the features"):
            imp.compute(name, None if name == "ablation" else net, train_X=X, train_y=y, test_X=X, test_y=y,
                        feature_names=NAMES, groups=bad, n_repeats=1, **extra)


# ================================================================ permutation
def _hand_permutations(seed, d, n, n_repeats):
    rng = np.random.default_rng(seed)
    return [rng.permuted(np.tile(np.arange(n), (n_repeats, 1)), axis=1) for _ in range(d)]


def test_permutation_group_of_one_equals_plain_permutation(setup):
    net, X, y = setup
    plain = imp.permutation(net, X, y, n_repeats=5, seed=3, feature_names=NAMES)
    for groups in ({"x2": ["x2"]}, {f: [f] for f in NAMES}, GROUPS):
        got = imp.permutation(net, X, y, n_repeats=5, seed=3, feature_names=NAMES, groups=groups)
        singles = [g for g, cols in check_groups(groups, NAMES).items() if len(cols) == 1]
        # same seed, same numbers: exactly, whatever the other groups are
        np.testing.assert_array_equal(got.samples[singles].to_numpy(), plain.samples[singles].to_numpy())
        np.testing.assert_array_equal(got.values[singles].to_numpy(), plain.values[singles].to_numpy())
        assert got.info["baseline_score"] == plain.info["baseline_score"]


def test_permutation_shuffles_a_one_hot_group_as_whole_rows(setup):
    net, X, y = setup
    n, R = len(X), 3
    got = imp.permutation(net, X, y, n_repeats=R, seed=5, feature_names=NAMES, groups=GROUPS)
    assert list(got.values.index) == LABELS and list(got.samples.columns) == LABELS
    assert got.info["groups"] == {"x1": ["x1"], "c": ["c=B", "c=C"], "x2": ["x2"], "x3": ["x3"]}
    assert got.std.shape == (4,) and got.samples.shape == (R, 4)
    # by hand: the group takes the permutations drawn for its first column
    perms = _hand_permutations(5, 5, n, R)
    base = np.mean((outputs(net, X) - y) ** 2)
    for r in range(R):
        Xp = X.copy()
        Xp[:, [1, 2]] = X[perms[1][r]][:, [1, 2]]
        assert got.samples["c"].iloc[r] == pytest.approx(np.mean((outputs(net, Xp) - y) ** 2) - base,
                                                         rel=1e-5, abs=1e-6)
    # the generic path sees the same shuffles, and every row it is given is a valid one-hot row
    recording = Recording(net)
    generic = imp.permutation(recording, X, y, n_repeats=R, seed=5, feature_names=NAMES, groups=GROUPS)
    np.testing.assert_allclose(generic.samples.to_numpy(), got.samples.to_numpy(), rtol=1e-5, atol=1e-6)
    rows = torch.cat(recording.seen).numpy()[:, 1:3]
    assert np.isin(rows, (0.0, 1.0)).all() and (rows.sum(axis=1) <= 1).all()


# ================================================================ conditional permutation
def test_conditional_permutation_groups(setup):
    net, X, y = setup
    plain = imp.conditional_permutation(net, X, y, n_repeats=4, seed=2, feature_names=NAMES)
    single = imp.conditional_permutation(net, X, y, n_repeats=4, seed=2, feature_names=NAMES,
                                         groups={f: [f] for f in NAMES})
    np.testing.assert_array_equal(single.samples.to_numpy(), plain.samples.to_numpy())
    np.testing.assert_array_equal(single.info["r2"].to_numpy(), plain.info["r2"].to_numpy())
    grouped = imp.conditional_permutation(net, X, y, n_repeats=4, seed=2, feature_names=NAMES, groups=GROUPS)
    assert list(grouped.values.index) == LABELS
    np.testing.assert_array_equal(grouped.samples[["x1", "x2", "x3"]].to_numpy(),
                                  imp.conditional_permutation(net, X, y, n_repeats=4, seed=2, feature_names=NAMES,
                                                              groups={"x1": ["x1"], "x2": ["x2"], "x3": ["x3"],
                                                                      "c": ["c=B", "c=C"]})
                                  .samples[["x1", "x2", "x3"]].to_numpy())
    # a group that the other inputs determine exactly (linearly) has nothing left to shuffle
    rng = np.random.default_rng(7)
    Z = rng.normal(size=(150, 3))
    W = np.column_stack([Z, Z[:, 0] + 2 * Z[:, 1], Z[:, 1] - Z[:, 2]])
    torch.manual_seed(1)
    net5 = MLP(5, 6).eval()
    yw = outputs(net5, W)
    copies = imp.conditional_permutation(net5, W, yw, n_repeats=3, seed=0, groups={"g": ["x4", "x5"]})
    assert copies.info["r2"]["g"] == pytest.approx(1.0)
    np.testing.assert_allclose(copies.samples["g"], 0.0, atol=1e-6)


# ================================================================ Shapley
def _brute_force_shapley(net, X, B, units):
    """phi_G(x) = sum_{S not containing G} |S|! (g - |S| - 1)! / g! (v(S + G) - v(S)), with
    v(S) = mean_b f(x_S, b_-S), by explicit loops over the 2^g coalitions, in float64."""
    g = len(units)

    def v(S):
        cols = [j for k in S for j in units[k]]
        rows = np.repeat(B[None], len(X), axis=0)            # (n, m, d)
        rows[:, :, cols] = X[:, None, cols]
        return outputs(net, rows.reshape(-1, X.shape[1])).reshape(len(X), len(B)).mean(axis=1)

    phi = np.zeros((len(X), g))
    for k in range(g):
        others = [j for j in range(g) if j != k]
        for size in range(g):
            weight = math.factorial(size) * math.factorial(g - size - 1) / math.factorial(g)
            for S in itertools.combinations(others, size):
                phi[:, k] += weight * (v(S + (k,)) - v(S))
    return phi


def test_grouped_shapley_is_exact_over_groups(setup):
    net, X, _ = setup
    rows, background = X[:15], X[60:85]
    got = imp.shapley(net, rows, background, method="exact", feature_names=NAMES, groups=GROUPS)
    assert got.info["exact"] and got.info["n_coalitions"] == 2 ** 4 and list(got.local.columns) == LABELS
    by_hand = _brute_force_shapley(net, rows, background, list(COLUMNS.values()))
    np.testing.assert_allclose(got.local.to_numpy(), by_hand, atol=1e-5)
    np.testing.assert_allclose(got.values, np.abs(by_hand).mean(axis=0), atol=1e-5)
    # efficiency, for every row: the group values sum to f(x) minus the mean prediction over the background
    gap = outputs(net, rows) - outputs(net, background).mean()
    np.testing.assert_allclose(got.local.to_numpy().sum(axis=1), gap, atol=1e-5)
    assert np.abs(got.info["delta"]).max() < 1e-5
    # the generic path (masked rows through the module) gives the same values
    generic = imp.shapley(Wrapped(net), rows, background, method="exact", feature_names=NAMES, groups=GROUPS)
    np.testing.assert_allclose(generic.local.to_numpy(), got.local.to_numpy(), atol=1e-5)


def test_shapley_singleton_groups_equal_ungrouped(setup):
    net, X, _ = setup
    plain = imp.shapley(net, X[:10], X[50:70], feature_names=NAMES)
    single = imp.shapley(net, X[:10], X[50:70], feature_names=NAMES, groups={f: [f] for f in NAMES})
    np.testing.assert_array_equal(single.local.to_numpy(), plain.local.to_numpy())
    np.testing.assert_array_equal(single.values.to_numpy(), plain.values.to_numpy())


def test_grouped_shapley_samples_over_groups_beyond_twelve():
    """14 columns in 7 groups: exact (2^7 coalitions); 13 groups: sampled orderings of the groups."""
    torch.manual_seed(0)
    net = MLP(14, 4).eval()
    X = np.random.default_rng(0).normal(size=(6, 14))
    names = [f"x{i}" for i in range(1, 15)]
    pairs = {f"g{k}": names[2 * k:2 * k + 2] for k in range(7)}
    exact = imp.shapley(net, X, X, feature_names=names, groups=pairs)
    assert exact.info["exact"] and exact.info["n_coalitions"] == 2 ** 7
    with pytest.warns(UserWarning, match="13 groups of inputs are too many"):
        sampled = imp.shapley(net, X, X, feature_names=names, groups={"g": ["x1", "x2"]}, n_permutations=4)
    assert not sampled.info["exact"] and len(sampled.values) == 13
    np.testing.assert_allclose(sampled.local.to_numpy().sum(axis=1), outputs(net, X) - outputs(net, X).mean(),
                               atol=1e-5)
    with pytest.raises(ValueError, match="g=13 groups of inputs gives 8,192, too many"):
        imp.shapley(net, X, X, method="exact", feature_names=names, groups={"g": ["x1", "x2"]})


# ================================================================ integrated gradients and gradients
@pytest.mark.parametrize("wrap", [False, True], ids=["mlp", "generic"])
def test_grouped_integrated_gradients_keep_completeness(setup, wrap):
    net, X, _ = setup
    model = Wrapped(net) if wrap else net
    plain = imp.integrated_gradients(model, X[:30], feature_names=NAMES)
    got = imp.integrated_gradients(model, X[:30], feature_names=NAMES, groups=GROUPS)
    assert list(got.local.columns) == LABELS
    expected = np.column_stack([plain.local.to_numpy()[:, cols].sum(axis=1) for cols in COLUMNS.values()])
    np.testing.assert_allclose(got.local.to_numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.values, np.abs(expected).mean(axis=0), rtol=1e-12)
    # completeness per row: the group attributions sum to f(x) - f(baseline)
    f_b = outputs(net, X[:30].mean(axis=0, keepdims=True))[0]           # the default baseline
    np.testing.assert_allclose(got.local.to_numpy().sum(axis=1), outputs(net, X[:30]) - f_b, atol=1e-5)
    np.testing.assert_array_equal(got.info["delta"], plain.info["delta"])
    pd.testing.assert_frame_equal(got.info["local_by_column"], plain.local)


@pytest.mark.parametrize("absolute", [True, False])
def test_grouped_gradient_is_the_sum_of_the_columns(setup, absolute):
    net, X, _ = setup
    plain = imp.gradient(net, X, absolute=absolute, feature_names=NAMES)
    got = imp.gradient(net, X, absolute=absolute, feature_names=NAMES, groups=GROUPS)
    for g, cols in COLUMNS.items():
        assert got.values[g] == pytest.approx(plain.values.iloc[cols].sum(), rel=1e-12)
        assert got.info["signed"][g] == pytest.approx(plain.info["signed"].iloc[cols].sum(), rel=1e-12)
    np.testing.assert_allclose(got.local.mean(), got.values, rtol=1e-12)   # local: the per-row terms
    pd.testing.assert_frame_equal(got.info["local_by_column"], plain.local)


def test_grouped_weight_measures_are_sums(setup):
    net, X, _ = setup
    W = net.hidden.weight.detach().double().numpy()
    sigma = X.std(axis=0)
    got = imp.weight_sum(net, X, feature_names=NAMES, groups=GROUPS)
    # a one-hot group: the sum over its levels of sigma_j * sum_h |w_hj|
    assert got.values["c"] == pytest.approx(sum(sigma[j] * np.abs(W[:, j]).sum() for j in (1, 2)), rel=1e-12)
    assert got.values["x2"] == pytest.approx(sigma[3] * np.abs(W[:, 3]).sum(), rel=1e-12)
    assert list(got.values.index) == LABELS and list(got.info["by_column"].index) == NAMES
    shares = imp.garson(net, feature_names=NAMES)
    grouped = imp.garson(net, feature_names=NAMES, groups=GROUPS)
    assert grouped.values["c"] == pytest.approx(shares.values["c=B"] + shares.values["c=C"], rel=1e-12)
    assert grouped.values.sum() == pytest.approx(1.0)


# ================================================================ the measures that decline
@pytest.mark.parametrize("name", ["olden", "one_hot_probe", "lek_profile"])
def test_declining_measures_raise_a_clear_error(setup, name):
    net, X, y = setup
    spec = imp.REGISTRY[name]
    assert spec.group_rule == "declines" and not spec.supports(GROUPS) and spec.supports({"x1": ["x1"]})
    with pytest.raises(GroupsNotSupported, match=rf"^{name} does not support groups of columns: the group 'c' "
                                                 r"holds 2 columns \('c=B', 'c=C'\); ") as caught:
        imp.compute(name, net, train_X=X, test_X=X, test_y=y, feature_names=NAMES, groups=GROUPS)
    assert isinstance(caught.value, ValueError)
    assert (caught.value.measure, caught.value.group, caught.value.columns) == (name, "c", ["c=B", "c=C"])
    # groups of one column only rename
    quick = {"steps": 5} if name == "lek_profile" else {}
    renamed = imp.compute(name, net, train_X=X, test_X=X, test_y=y, feature_names=NAMES,
                          groups={"first": ["x1"]}, **quick)
    plain = imp.compute(name, net, train_X=X, test_X=X, test_y=y, feature_names=NAMES, **quick)
    assert list(renamed.values.index) == ["first"] + NAMES[1:]
    np.testing.assert_array_equal(renamed.values.to_numpy(), plain.values.to_numpy())
    with pytest.raises(GroupsNotSupported, match="lek_profile does not support groups"):
        imp.lek_profile(net, X, feature_names=NAMES, groups=GROUPS)


# ================================================================ drop and retrain
def test_ablation_drops_a_group_together():
    X, y = category_data(200, seed=3)
    Xtr, ytr, Xte, yte = X[:150], y[:150], X[150:], y[150:]
    kw = {"epochs": 40, "n_hidden": 4}
    got = imp.ablation(Xtr, ytr, X_test=Xte, y_test=yte, seeds=(0,), train_kwargs=kw,
                       feature_names=NAMES, groups=GROUPS)
    assert list(got.values.index) == LABELS and got.info["n_nets"] == 1 + 4
    assert len(got.info["retrained"][0]) == 4
    mse = lambda net, A: np.mean((outputs(net, A) - yte) ** 2)       # noqa: E731
    base = mse(train(Xtr, ytr, seed=0, **kw).model, Xte)
    fill = Xtr.mean(axis=0)
    Xg, Xteg = Xtr.copy(), Xte.copy()
    Xg[:, [1, 2]], Xteg[:, [1, 2]] = fill[[1, 2]], fill[[1, 2]]
    by_hand = mse(train(Xg, ytr, seed=0, **kw).model, Xteg) - base
    assert got.values["c"] == pytest.approx(by_hand, rel=1e-5, abs=1e-5)
    plain = imp.ablation(Xtr, ytr, X_test=Xte, y_test=yte, seeds=(0,), train_kwargs=kw, feature_names=NAMES)
    np.testing.assert_allclose(got.values[["x1", "x2", "x3"]], plain.values[["x1", "x2", "x3"]], rtol=1e-6)


# ================================================================ the registry and compute
def test_registry_declares_every_measure_once():
    assert imp.MEASURES == tuple(imp.REGISTRY) == (
        "weight_sum", "garson", "olden", "one_hot_probe", "gradient", "integrated_gradients",
        "permutation", "conditional_permutation", "shapley", "lek_profile", "ablation")
    rules = {name: spec.group_rule for name, spec in imp.REGISTRY.items()}
    assert rules == {"weight_sum": "sum", "garson": "sum", "olden": "declines", "one_hot_probe": "declines",
                     "gradient": "sum", "integrated_gradients": "sum", "permutation": "native",
                     "conditional_permutation": "native", "shapley": "native", "lek_profile": "declines",
                     "ablation": "native"}
    assert [n for n, s in imp.REGISTRY.items() if not s.by_default] == ["one_hot_probe"]
    assert [n for n, s in imp.REGISTRY.items() if s.retrains] == ["ablation"]
    assert {n for n, s in imp.REGISTRY.items() if s.needs_target} == {"permutation", "conditional_permutation",
                                                                       "ablation"}
    for spec in imp.REGISTRY.values():
        assert spec.group_note and spec.summary
        assert "groups" in spec.function.__code__.co_varnames          # every function takes groups=
        assert set(spec.defaults) <= set(spec.options)
    assert {n: s.reads for n, s in imp.REGISTRY.items()} == {
        "weight_sum": "weights", "garson": "weights", "olden": "weights", "one_hot_probe": "weights",
        "gradient": "slopes", "integrated_gradients": "slopes", "permutation": "loss",
        "conditional_permutation": "conditional loss", "shapley": "output", "lek_profile": "slopes",
        "ablation": "conditional loss"}
    with pytest.raises(TypeError):
        imp.REGISTRY["olden"] = imp.REGISTRY["garson"]                  # read-only
    with pytest.raises(AttributeError):
        imp.REGISTRY["olden"].group_rule = "sum"                        # frozen


def test_the_report_notebook_computes_the_registry_s_default_measures():
    """The notebook's parameters cell lists its default measures (a batch user reads them there):
    they are the registry's, in its order."""
    from helpers import report
    from helpers.notebook_runner import KIT_ROOT, notebook_parameters

    default = notebook_parameters(KIT_ROOT / "notebooks" / "report.ipynb")["measures"].default
    assert tuple(default) == report.DEFAULT_MEASURES == tuple(n for n, s in imp.REGISTRY.items() if s.by_default)


def _direct(name, net, Xtr, Xte, yte, seed):
    """How ``report._one`` called each measure before the registry."""
    rows = Xte[:100]
    return {
        "weight_sum": lambda: imp.weight_sum(net, Xtr, feature_names=NAMES),
        "garson": lambda: imp.garson(net, feature_names=NAMES),
        "olden": lambda: imp.olden(net, feature_names=NAMES),
        "one_hot_probe": lambda: imp.one_hot_probe(net, feature_names=NAMES),
        "gradient": lambda: imp.gradient(net, Xte, feature_names=NAMES),
        "integrated_gradients": lambda: imp.integrated_gradients(net, rows, baseline=Xtr.mean(axis=0),
                                                                 feature_names=NAMES),
        "permutation": lambda: imp.permutation(net, Xte, yte, n_repeats=3, seed=seed, feature_names=NAMES),
        "conditional_permutation": lambda: imp.conditional_permutation(net, Xte, yte, n_repeats=3, seed=seed,
                                                                       feature_names=NAMES),
        "shapley": lambda: imp.shapley(net, rows, n_background=100, seed=seed, feature_names=NAMES),
        "lek_profile": lambda: imp.lek_importance(net, Xte, feature_names=NAMES),
    }[name]()


@pytest.mark.parametrize("name", [n for n in imp.MEASURES if n != "ablation"])
def test_compute_equals_the_direct_call(name):
    torch.manual_seed(2)
    net = MLP(5, 6).eval()
    X, y = category_data(260, seed=4)
    Xtr, Xte, yte = X[:130], X[130:], y[130:]
    got = imp.compute(name, net, train_X=Xtr, train_y=y[:130], test_X=Xte, test_y=yte, feature_names=NAMES,
                      seed=1, n_repeats=3, n_explain=100)
    direct = _direct(name, net, Xtr, Xte, yte, 1)
    assert got.method == direct.method == name
    pd.testing.assert_series_equal(got.values, direct.values)
    if imp.REGISTRY[name].supports(GROUPS):
        grouped = imp.compute(name, net, train_X=Xtr, test_X=Xte, test_y=yte, feature_names=NAMES,
                              groups=GROUPS, seed=1, n_repeats=3)
        assert list(grouped.values.index) == LABELS and grouped.info["groups"]["c"] == ["c=B", "c=C"]
        for part in ("std", "samples", "local"):
            if getattr(direct, part) is not None:
                table = getattr(grouped, part)
                assert list(table.index if part == "std" else table.columns) == LABELS


def test_compute_ablation_with_the_run_nets():
    X, y = category_data(160, seed=5)
    kw = {"epochs": 20, "n_hidden": 3}
    nets = [train(X[:120], y[:120], seed=s, **kw).model for s in (4, 5)]
    got = imp.compute("ablation", nets, train_X=X[:120], train_y=y[:120], test_X=X[120:], test_y=y[120:],
                      feature_names=NAMES, groups=GROUPS, seed=4, train_kwargs=kw, n_repeats=7)
    assert list(got.samples.index) == [4, 5] and got.info["models"] == nets and got.info["n_nets"] == 2 * 4
    assert list(got.values.index) == LABELS


def test_compute_bad_input(setup):
    net, X, y = setup
    with pytest.raises(ValueError, match=r"name='shapely' is not a measure; did you mean 'shapley'\?"):
        imp.compute("shapely", net, test_X=X)
    with pytest.raises(ValueError, match=r"permutation takes no option 'n_repeat'; did you mean 'n_repeats'\?"):
        imp.compute("permutation", net, test_X=X, test_y=y, n_repeat=3)
    with pytest.raises(ValueError, match="permutation needs test_y"):
        imp.compute("permutation", net, test_X=X)
    with pytest.raises(ValueError, match="gradient needs a model"):
        imp.compute("gradient", None, test_X=X)
    with pytest.raises(ValueError, match="n_explain must be an integer of at least 1, got 0"):
        imp.compute("shapley", net, test_X=X, n_explain=0)
    # the shared options go to the measures that take them and are ignored by the others
    a = imp.compute("gradient", net, test_X=X, n_repeats=3, n_explain=5)
    np.testing.assert_array_equal(a.values, imp.gradient(net, X).values)


def test_supports_reads_a_mapping_or_a_list_of_lists():
    olden, shapley = imp.REGISTRY["olden"], imp.REGISTRY["shapley"]
    assert olden.supports(None) and olden.supports({"a": "x1"}) and olden.supports([["x1"], ["x2"]])
    assert not olden.supports([["x1", "x2"]]) and not olden.supports(GROUPS)
    assert shapley.supports(GROUPS)

"""Every importance measure against an independent reference, the exact identities, and bad input.

References: NeuralNetTools' documented example (Garson, Olden), hand calculations in numpy with
explicit loops (weight sums, Lek profiles, the one-hot probe, permutation with the same
permutations, drop-and-retrain one net at a time), Captum (``Saliency``, ``IntegratedGradients``),
scikit-learn (``permutation_importance``) and shap (the exact explainer). Identities: completeness
of integrated gradients, efficiency of Shapley values, the MLP closed forms against the generic
autograd / batched paths of the same measure.

Everything runs on small data with a few nets built once per module, on one torch thread: about
25 s of CPU time for the whole file, most of it importing torch, Captum and shap and training
the session's ``trained_net``.
"""
import copy
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from torch import nn

from conftest import Wrapped
from helpers import importance as imp
from helpers.model import MLP, DeepMLP, from_weights, train
from tests.conftest import friedman_like

NAMES = [f"x{i}" for i in range(1, 11)]


# ================================================================ shared pieces
class LinearNet(nn.Module):
    """``f(x) = w . x + c`` as a module mapping (n, d) to (n,)."""

    def __init__(self, d, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.linear = nn.Linear(d, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)


def f64(net):
    """A float64 copy of a net, for references computed to full precision."""
    return copy.deepcopy(net).double().eval()


def outputs(net, X):
    """The net's raw output at the rows of X, in float64 (a float64 copy of the net)."""
    with torch.no_grad():
        return f64(net)(torch.as_tensor(np.asarray(X, dtype=np.float64))).reshape(len(X)).numpy()


def random_mlp(d, h, activation="tanh", task="regression", seed=0):
    torch.manual_seed(seed)
    return MLP(d, h, activation, task).eval()


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The references call the net many times on small batches (scikit-learn once per repeat,
    Captum and the hand loops once per row); on a busy 2-core machine torch's spinning worker
    threads make such calls ten times slower than one thread does."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def X_test(friedman_data):
    return friedman_data[2]


@pytest.fixture(scope="module")
def y_test(friedman_data):
    return friedman_data[3]


@pytest.fixture(scope="module")
def binary_setup():
    """A binary tanh net with random weights and 0/1 labels drawn from its own probabilities."""
    net = random_mlp(10, 20, "tanh", "binary", seed=3)
    with torch.no_grad():
        net.output.weight.mul_(10.0)                              # decisive probabilities
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 10))
    p = 1 / (1 + np.exp(-outputs(net, X)))
    y = (rng.uniform(size=len(X)) < p).astype(float)
    return net, X, y


# ================================================================ weights: NeuralNetTools' example
# NeuralNetTools (R) documents garson() and olden() on a 2-2-1 net given as a weight vector,
#   wts_in <- c(13.12, 1.49, 0.16, -0.11, -0.19, -0.16, 0.56, -0.52, 0.81); struct <- c(2, 2, 1)
# in the order: hidden node 1 (bias, w from input 1, w from input 2), hidden node 2 (same),
# output (bias, v1, v2). Its documented results: Garson 0.723, 0.277; Olden -0.929, -0.213.
NNT_WEIGHTS = (13.12, 1.49, 0.16, -0.11, -0.19, -0.16, 0.56, -0.52, 0.81)


def nnt_net(scale_output=1.0, flip=(1.0, 1.0)):
    b1 = [NNT_WEIGHTS[0], NNT_WEIGHTS[3]]
    W1 = np.array([[NNT_WEIGHTS[1], NNT_WEIGHTS[4]],       # scikit-learn layout: (n_inputs, n_hidden)
                   [NNT_WEIGHTS[2], NNT_WEIGHTS[5]]])
    v = np.array([NNT_WEIGHTS[7], NNT_WEIGHTS[8]]) * scale_output * np.asarray(flip)
    return from_weights(W1, b1, v, [NNT_WEIGHTS[6]])


def test_garson_and_olden_match_neuralnettools_example():
    net = nnt_net()
    g = imp.garson(net, feature_names=["X1", "X2"])
    o = imp.olden(net, feature_names=["X1", "X2"])
    assert g.method == "garson" and g.feature_names == ["X1", "X2"]
    np.testing.assert_allclose(g.values.to_numpy(), [0.723, 0.277], atol=5e-4)
    np.testing.assert_allclose(o.values.to_numpy(), [-0.929, -0.213], atol=5e-4)
    assert g.values.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("scale, flip", [(10.0, (1.0, 1.0)), (0.01, (-1.0, 1.0)), (1.0, (-1.0, -1.0)),
                                         (3.0, (1.0, -1.0))])
def test_garson_ignores_the_hidden_to_output_weights(scale, flip):
    base = imp.garson(nnt_net()).values
    changed = nnt_net(scale, flip)
    np.testing.assert_allclose(imp.garson(changed).values, base, rtol=1e-6)
    # ... while Olden's sum does see them (the changed net is really different)
    assert not np.allclose(imp.olden(changed).values, imp.olden(nnt_net()).values, rtol=1e-3)


def test_garson_and_olden_by_hand_on_a_random_net():
    net = random_mlp(10, 20, seed=5)
    W1 = net.hidden.weight.detach().double().numpy()            # (h, d)
    v = net.output.weight.detach().double().numpy()[0]          # (h,)
    shares = np.zeros(10)
    for h in range(20):                                         # Garson's loop, as in the paper
        c = np.abs(W1[h]) * abs(v[h])
        shares += c / c.sum()
    np.testing.assert_allclose(imp.garson(net).values, shares / shares.sum(), rtol=1e-12)
    olden = [sum(W1[h, i] * v[h] for h in range(20)) for i in range(10)]
    np.testing.assert_allclose(imp.olden(net).values, olden, rtol=1e-12)


def test_weight_sum_by_hand(trained_net, X_test):
    W = trained_net.hidden.weight.detach().double().numpy()     # (h, d)
    plain = np.abs(W).sum(axis=0)
    sigma = np.sqrt(((X_test - X_test.mean(axis=0)) ** 2).mean(axis=0))   # population std
    got = imp.weight_sum(trained_net)
    np.testing.assert_allclose(got.values, plain, rtol=1e-12)
    assert got.info["sigma"] is None and got.feature_names == NAMES
    scaled = imp.weight_sum(trained_net, X_test)
    np.testing.assert_allclose(scaled.values, sigma * plain, rtol=1e-12)
    np.testing.assert_allclose(scaled.info["sigma"], sigma, rtol=1e-12)
    # inputs in other units: the raw sums change, the scaled ones follow the spread
    frame = pd.DataFrame(X_test * 10.0, columns=list("abcdefghij"))
    tenfold = imp.weight_sum(trained_net, frame)
    assert tenfold.feature_names == list("abcdefghij")
    np.testing.assert_allclose(tenfold.values.to_numpy(), 10 * sigma * plain, rtol=1e-12)


def test_one_hot_probe_by_hand_and_the_model_is_untouched():
    net = random_mlp(10, 20, "sigmoid", seed=7)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.randn(5, 10)
    with torch.no_grad():
        out_before = net(x).clone()
    got = imp.one_hot_probe(net)
    # by hand: a copy of the net, every bias zeroed, fed the unit vectors
    probe = copy.deepcopy(net)
    with torch.no_grad():
        probe.hidden.bias.zero_()
        probe.output.bias.zero_()
        by_hand = probe(torch.eye(10)).double().numpy()
    np.testing.assert_allclose(got.values, by_hand, rtol=1e-6)
    # and from the weights alone: f_0(e_i) = v . sigmoid(W1[:, i]), f_0(0) = v . sigmoid(0)
    W1 = net.hidden.weight.detach().double().numpy()
    v = net.output.weight.detach().double().numpy()[0]
    np.testing.assert_allclose(got.values, (1 / (1 + np.exp(-W1))).T @ v, rtol=1e-5)
    assert got.info["f0_at_zero"] == pytest.approx(0.5 * v.sum(), rel=1e-5)
    for k, value in net.state_dict().items():
        assert torch.equal(value, before[k]), k
    with torch.no_grad():
        assert torch.equal(net(x), out_before)


# ================================================================ gradients
def test_gradient_of_a_linear_net_is_weight_times_sigma(X_test):
    net = LinearNet(10)
    w = net.linear.weight.detach().double().numpy()[0]
    sigma = X_test.std(axis=0)
    got = imp.gradient(net, X_test)
    assert got.info["path"] == "autograd"
    np.testing.assert_allclose(got.values, np.abs(w) * sigma, rtol=1e-12)
    np.testing.assert_allclose(got.info["signed"], w * sigma, rtol=1e-12)
    np.testing.assert_allclose(got.local.to_numpy(), np.broadcast_to(w, X_test.shape), rtol=1e-12)
    signed = imp.gradient(net, X_test, absolute=False)
    np.testing.assert_allclose(signed.values, w * sigma, rtol=1e-12)
    # a module giving (n, 1) instead of (n,) is the same function
    np.testing.assert_allclose(imp.gradient(net.linear, X_test).values, np.abs(w) * sigma, rtol=1e-12)


def test_gradient_rows_equal_captum_saliency(trained_net, X_test):
    from captum.attr import Saliency
    got = imp.gradient(trained_net, X_test)
    assert got.info["path"] == "closed form"
    x = torch.tensor(X_test, dtype=torch.float64, requires_grad=True)
    reference = Saliency(f64(trained_net)).attribute(x, abs=False).numpy()
    np.testing.assert_allclose(got.local.to_numpy(), reference, rtol=1e-9, atol=1e-12)
    sigma = X_test.std(axis=0)
    np.testing.assert_allclose(got.values, sigma * np.abs(reference).mean(axis=0), rtol=1e-9)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_gradient_closed_form_equals_autograd(activation, X_test):
    net = random_mlp(10, 20, activation, seed=11)
    closed = imp.gradient(net, X_test)
    generic = imp.gradient(Wrapped(net), X_test)
    assert (closed.info["path"], generic.info["path"]) == ("closed form", "autograd")
    # autograd runs in float32: agreement to float32 precision
    np.testing.assert_allclose(closed.local.to_numpy(), generic.local.to_numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(closed.values, generic.values, rtol=1e-5)


# ================================================================ integrated gradients
@pytest.mark.parametrize("baseline", ["mean", "zero", "per-row"])
def test_integrated_gradients_equal_captum(trained_net, X_test, baseline):
    from captum.attr import IntegratedGradients
    X = X_test[:60]
    if baseline == "mean":
        ours, B = None, X.mean(axis=0, keepdims=True)
    elif baseline == "zero":
        ours, B = 0.0, np.zeros((1, 10))
    else:
        B = np.random.default_rng(0).normal(size=X.shape)
        ours = B
    got = imp.integrated_gradients(trained_net, X, baseline=ours, n_steps=50)
    assert got.info["method"] == "gausslegendre" and got.info["path"] == "closed form"
    reference = IntegratedGradients(f64(trained_net)).attribute(
        torch.tensor(X), baselines=torch.tensor(B), method="gausslegendre", n_steps=50).numpy()
    np.testing.assert_allclose(got.local.to_numpy(), reference, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(got.values, np.abs(reference).mean(axis=0), rtol=1e-7)


def test_integrated_gradients_baseline_series_is_aligned_by_name(trained_net, X_test):
    X = pd.DataFrame(X_test[:20], columns=NAMES)
    point = np.linspace(-1, 1, 10)
    as_array = imp.integrated_gradients(trained_net, X, baseline=point, n_steps=8)
    as_series = imp.integrated_gradients(trained_net, X, baseline=pd.Series(point, index=NAMES)[::-1], n_steps=8)
    np.testing.assert_array_equal(as_series.local.to_numpy(), as_array.local.to_numpy())
    assert list(as_array.local.columns) == NAMES
    np.testing.assert_array_equal(as_series.info["baseline"].to_numpy(), point)


@pytest.mark.parametrize("generic", [False, True], ids=["mlp", "generic"])
def test_integrated_gradients_completeness(trained_net, X_test, generic):
    X = X_test[:80]
    net = Wrapped(trained_net) if generic else trained_net
    got = imp.integrated_gradients(net, X, n_steps=50)
    assert got.info["path"] == ("autograd" if generic else "closed form")
    # f(x) - f(b), computed here with a float64 copy of the net
    gap = outputs(trained_net, X) - outputs(trained_net, X.mean(axis=0, keepdims=True))
    delta = got.local.to_numpy().sum(axis=1) - gap
    np.testing.assert_allclose(got.info["delta"], delta, atol=1e-9)
    assert np.abs(delta).max() < 1e-8
    # too few steps leave a visible completeness error: the check above can fail
    coarse = imp.integrated_gradients(net, X, n_steps=2, method="riemann_left")
    assert np.abs(coarse.info["delta"]).max() > 1e-2


def test_integrated_gradients_mlp_path_equals_generic_path(X_test):
    for activation in ("tanh", "sigmoid", "relu"):
        net = random_mlp(10, 20, activation, seed=2)
        closed = imp.integrated_gradients(net, X_test[:50], n_steps=32)
        generic = imp.integrated_gradients(Wrapped(net), X_test[:50], n_steps=32)
        np.testing.assert_allclose(closed.local.to_numpy(), generic.local.to_numpy(), rtol=1e-7, atol=1e-9)


def test_integrated_gradients_trapezoid_relation_to_captum(trained_net, X_test):
    """The docstring: Captum 0.9 weights its trapezoid points by 1/n, so its attributions are
    ours times (n - 1)/n; ours are the textbook rule (weights summing to 1)."""
    from captum.attr import IntegratedGradients
    X, n = X_test[:40], 20
    got = imp.integrated_gradients(trained_net, X, n_steps=n, method="riemann_trapezoid")
    B = np.broadcast_to(X.mean(axis=0), X.shape).copy()
    reference = IntegratedGradients(f64(trained_net)).attribute(
        torch.tensor(X), baselines=torch.tensor(B), method="riemann_trapezoid", n_steps=n).numpy()
    # (Captum places its trapezoid points with a float32 torch.linspace: agreement to ~1e-8)
    np.testing.assert_allclose(got.local.to_numpy() * (n - 1) / n, reference, rtol=1e-6, atol=1e-8)
    assert not np.allclose(got.local.to_numpy(), reference, rtol=1e-3, atol=1e-6)
    # textbook trapezoid on a linear net (constant slope): exactly (x - b) * w
    lin = LinearNet(10, seed=4)
    w = lin.linear.weight.detach().double().numpy()[0]
    exact = imp.integrated_gradients(lin, X, n_steps=n, method="riemann_trapezoid")
    np.testing.assert_allclose(exact.local.to_numpy(), (X - X.mean(axis=0)) * w, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("method", ["riemann_left", "riemann_right", "riemann_middle"])
def test_integrated_gradients_other_rules_equal_captum(trained_net, X_test, method):
    from captum.attr import IntegratedGradients
    X = X_test[:30]
    got = imp.integrated_gradients(trained_net, X, n_steps=25, method=method)
    B = np.broadcast_to(X.mean(axis=0), X.shape).copy()
    reference = IntegratedGradients(f64(trained_net)).attribute(
        torch.tensor(X), baselines=torch.tensor(B), method=method, n_steps=25).numpy()
    # Captum places its Riemann points with float32 torch.linspace: agreement to ~1e-7
    np.testing.assert_allclose(got.local.to_numpy(), reference, rtol=1e-6, atol=1e-7)


# ================================================================ permutation
class SklearnNet(RegressorMixin, BaseEstimator):
    """The torch net as a minimal scikit-learn regressor (``fit`` does nothing)."""

    def __init__(self, net=None):
        self.net = net

    def fit(self, X, y):
        return self

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X):
        with torch.no_grad():
            return self.net(torch.as_tensor(np.asarray(X), dtype=torch.float32)).double().numpy()


def test_permutation_agrees_with_sklearn_within_monte_carlo_error(trained_net, X_test, y_test):
    from sklearn.inspection import permutation_importance
    R = 50
    ours = imp.permutation(trained_net, X_test, y_test, n_repeats=R, seed=0)
    sk = permutation_importance(SklearnNet(trained_net), X_test, y_test, scoring="neg_mean_squared_error",
                                n_repeats=R, random_state=0)
    # same quantity (MSE increase), independent random permutations: the two means differ by
    # Monte Carlo error only; its standard error comes from the repeats' spread
    se = np.sqrt(ours.std.to_numpy() ** 2 / R + sk.importances_std ** 2 / R)
    diff = np.abs(ours.values.to_numpy() - sk.importances_mean)
    assert (diff <= 4 * se).all(), pd.DataFrame({"diff": diff, "se": se}, index=NAMES)
    # the spreads agree too (same distribution of a single repeat), and std is np.std's ddof=0
    np.testing.assert_allclose(ours.std.to_numpy(), ours.samples.to_numpy().std(axis=0), rtol=1e-12)
    # (a sample std over R repeats has a relative standard error of about 1/sqrt(2R))
    strong = sk.importances_mean > 1.0
    np.testing.assert_allclose(ours.std.to_numpy()[strong], sk.importances_std[strong], rtol=4 / np.sqrt(R))
    assert ours.samples.shape == (R, 10) and ours.info["fast_path"]


def _hand_permutations(seed, d, n, n_repeats):
    """The helper's documented draw: one generator ``default_rng(seed)``; input by input, in
    order, ``n_repeats`` permutations of the rows (``Generator.permuted`` along the rows of an
    (n_repeats, n) table of row numbers)."""
    rng = np.random.default_rng(seed)
    return [rng.permuted(np.tile(np.arange(n), (n_repeats, 1)), axis=1) for _ in range(d)]


@pytest.mark.parametrize("n_repeats", [1, 3])
def test_permutation_equals_a_hand_calculation_with_the_same_permutations(trained_net, X_test, y_test, n_repeats):
    n = len(X_test)
    perms = _hand_permutations(7, 10, n, n_repeats)
    base = np.mean((outputs(trained_net, X_test) - y_test) ** 2)
    by_hand = np.empty((n_repeats, 10))
    for i in range(10):
        for r in range(n_repeats):
            Xp = X_test.copy()
            Xp[:, i] = X_test[perms[i][r], i]
            by_hand[r, i] = np.mean((outputs(trained_net, Xp) - y_test) ** 2) - base
    for net in (trained_net, Wrapped(trained_net)):
        got = imp.permutation(net, X_test, y_test, n_repeats=n_repeats, seed=7)
        assert got.info["fast_path"] == (net is trained_net)
        assert got.info["baseline_score"] == pytest.approx(base, rel=1e-6)
        # float32 forward passes against a float64 reference
        np.testing.assert_allclose(got.samples.to_numpy(), by_hand, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got.values, by_hand.mean(axis=0), rtol=1e-5, atol=1e-5)


BINARY_SCORES = {  # of y and p = sigmoid(logit), by hand in float64; accuracy is a score (higher is better)
    "mse": lambda y, p: np.mean((p - y) ** 2),
    "log_loss": lambda y, p: -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)),
    "accuracy": lambda y, p: -np.mean((p > 0.5) == y),             # turned into a loss
}


@pytest.mark.parametrize("metric", ["mse", "log_loss", "accuracy"])
def test_permutation_fast_path_equals_generic_path_on_a_binary_model(binary_setup, metric):
    net, X, y = binary_setup
    fast = imp.permutation(net, X, y, n_repeats=3, seed=1, metric=metric)
    generic = imp.permutation(Wrapped(net), X, y, n_repeats=3, seed=1, metric=metric)
    assert fast.info["fast_path"] and not generic.info["fast_path"]
    np.testing.assert_allclose(fast.samples.to_numpy(), generic.samples.to_numpy(), rtol=1e-6, atol=1e-7)
    # both against the hand calculation with the same permutations
    loss = BINARY_SCORES[metric]
    prob = lambda A: 1 / (1 + np.exp(-outputs(net, A)))                # noqa: E731
    base = loss(y, prob(X))
    perms = _hand_permutations(1, 10, len(X), 3)
    by_hand = np.empty((3, 10))
    for i in range(10):
        for r in range(3):
            Xp = X.copy()
            Xp[:, i] = X[perms[i][r], i]
            by_hand[r, i] = loss(y, prob(Xp)) - base
    for result in (fast, generic):                                  # (accuracy is reported as a score)
        assert result.info["baseline_score"] == pytest.approx(abs(base), rel=1e-6)
        np.testing.assert_allclose(result.samples.to_numpy(), by_hand, rtol=1e-5, atol=1e-6)
    assert fast.values.max() > 0.01                                   # the net does use its inputs


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_permutation_fast_path_equals_generic_path_per_activation(activation, X_test, y_test):
    net = random_mlp(10, 20, activation, seed=9)
    y = outputs(net, X_test) + 0.1 * np.random.default_rng(9).normal(size=len(X_test))
    fast = imp.permutation(net, X_test, y, n_repeats=4, seed=2)
    generic = imp.permutation(Wrapped(net), X_test, y, n_repeats=4, seed=2)
    assert fast.info["fast_path"] and not generic.info["fast_path"]
    np.testing.assert_allclose(fast.samples.to_numpy(), generic.samples.to_numpy(), rtol=1e-5, atol=1e-6)


def test_permutation_with_a_callable_loss(binary_setup, trained_net, X_test, y_test):
    """A callable gets predictions (probabilities for a binary model) and is taken as a loss:
    the squared error equals the built-in "mse" (the Brier score for a binary model)."""
    def squared_error(y_true, y_pred):
        return float(np.mean((y_pred - y_true) ** 2))
    for net, X, y in (binary_setup, (trained_net, X_test, y_test)):
        custom = imp.permutation(net, X, y, n_repeats=2, seed=4, metric=squared_error)
        builtin = imp.permutation(net, X, y, n_repeats=2, seed=4, metric="mse")
        assert custom.info["metric"] == "squared_error"
        np.testing.assert_allclose(custom.samples.to_numpy(), builtin.samples.to_numpy(), rtol=1e-6, atol=1e-9)


def test_grouped_permutation_with_singletons_equals_permutation(trained_net, X_test, y_test):
    plain = imp.permutation(trained_net, X_test, y_test, n_repeats=4, seed=3)
    grouped = imp.grouped_permutation(trained_net, X_test, y_test, groups=[[f] for f in NAMES],
                                      n_repeats=4, seed=3)
    assert grouped.feature_names == NAMES
    np.testing.assert_array_equal(grouped.samples.to_numpy(), plain.samples.to_numpy())
    np.testing.assert_array_equal(grouped.values.to_numpy(), plain.values.to_numpy())


def test_grouped_permutation_shuffles_a_group_with_one_row_order(trained_net, X_test, y_test):
    n = len(X_test)
    perms = _hand_permutations(5, 2, n, 1)                    # two groups, one repeat each
    groups = {"x1+x2": ["x1", "x2"], "x3,x4,x5": ["x3", "x4", "x5"]}
    got = imp.grouped_permutation(trained_net, X_test, y_test, groups=groups, n_repeats=1, seed=5)
    base = np.mean((outputs(trained_net, X_test) - y_test) ** 2)
    for k, cols in enumerate([[0, 1], [2, 3, 4]]):
        Xp = X_test.copy()
        Xp[:, cols] = X_test[perms[k][0]][:, cols]
        by_hand = np.mean((outputs(trained_net, Xp) - y_test) ** 2) - base
        assert got.values.iloc[k] == pytest.approx(by_hand, rel=1e-5, abs=1e-5)
    assert list(got.values.index) == list(groups)
    for net in (trained_net, Wrapped(trained_net)):           # the generic path: same numbers
        again = imp.grouped_permutation(net, X_test, y_test, groups=groups, n_repeats=1, seed=5)
        np.testing.assert_allclose(again.values, got.values, rtol=1e-5, atol=1e-6)


def test_conditional_permutation_independent_input_and_exact_duplicate(trained_net):
    X, y = friedman_like(2000, seed=21)                          # ten independent inputs
    plain = imp.permutation(trained_net, X, y, n_repeats=10, seed=0)
    cond = imp.conditional_permutation(trained_net, X, y, n_repeats=10, seed=0)
    # R^2 of each input on the others, by scikit-learn's least squares (with an intercept)
    from sklearn.linear_model import LinearRegression
    r2 = [LinearRegression().fit(np.delete(X, i, axis=1), X[:, i]).score(np.delete(X, i, axis=1), X[:, i])
          for i in range(10)]
    np.testing.assert_allclose(cond.info["r2"], r2, rtol=1e-6, atol=1e-12)
    # an input the others do not explain (R^2 ~ 9/2000): shuffling its residual is almost
    # shuffling the input itself
    assert (cond.info["r2"] < 0.02).all()
    strong = plain.values > 0.5                                   # x1 .. x5
    assert strong.sum() == 5
    np.testing.assert_allclose(cond.values[strong], plain.values[strong], rtol=0.05)
    # an exact duplicate, x10 := x1, and an exact affine copy, x10 := 2 x1 + 3 (the regression
    # has an intercept): the others explain x1 fully, nothing is left to shuffle
    for copy_of_x1 in (X[:, 0], 2 * X[:, 0] + 3):
        Xd = X.copy()
        Xd[:, 9] = copy_of_x1
        dup_plain = imp.permutation(trained_net, Xd, y, n_repeats=5, seed=0)
        dup_cond = imp.conditional_permutation(trained_net, Xd, y, n_repeats=5, seed=0)
        assert dup_cond.info["r2"]["x1"] == pytest.approx(1.0)
        assert abs(dup_cond.values["x1"]) < 1e-6 and abs(dup_cond.values["x10"]) < 1e-6
        assert dup_plain.values["x1"] > 1.0                        # while plain permutation is large
        others = ["x2", "x4", "x5"]                                 # still unexplained by the rest
        np.testing.assert_allclose(dup_cond.values[others], dup_plain.values[others], rtol=0.05)


# ================================================================ Shapley
def _shap_interpreted():
    """shap, with its numba kernels left as plain Python.

    Compiling them costs 10-15 s per test process, more than this whole file; interpreted, the
    same code takes about a second at this size and gives the same numbers.
    """
    import numba
    before = numba.config.DISABLE_JIT
    numba.config.DISABLE_JIT = True
    try:
        with warnings.catch_warnings():                  # shap's colormaps warn about matplotlib
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap
    finally:
        numba.config.DISABLE_JIT = before
    return shap


@pytest.fixture(scope="module")
def shapley_setup(trained_net, X_test):
    """20 rows, 30 background rows, our exact values and shap's exact explainer's."""
    shap = _shap_interpreted()
    rows, background = X_test[:20], X_test[100:130]

    def f(a):
        with torch.no_grad():
            return trained_net(torch.as_tensor(a, dtype=torch.float32)).double().numpy()

    explainer = shap.explainers.Exact(f, shap.maskers.Independent(background, max_samples=len(background)))
    reference = explainer(rows, silent=True)
    ours = imp.shapley(trained_net, rows, background, method="exact")
    return rows, background, ours, reference


def test_shapley_equals_shap_exact_explainer(shapley_setup):
    rows, background, ours, reference = shapley_setup
    assert ours.info["exact"] and ours.info["n_coalitions"] == 2 ** 10 and ours.info["n_background"] == 30
    np.testing.assert_allclose(ours.local.to_numpy(), reference.values, atol=1e-5)
    np.testing.assert_allclose(ours.values, np.abs(reference.values).mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(ours.info["base_value"], np.mean(reference.base_values), atol=1e-5)


def test_shapley_efficiency(shapley_setup, trained_net):
    rows, background, ours, _ = shapley_setup
    gap = outputs(trained_net, rows) - outputs(trained_net, background).mean()
    # float32 forward passes: the values sum to the float64 gap up to float32 rounding ...
    np.testing.assert_allclose(ours.local.to_numpy().sum(axis=1), gap, atol=1e-5)
    # ... and the reported gap is measured against the model's own outputs, not the coalition values
    assert np.abs(ours.info["delta"]).max() < 1e-5
    assert ours.info["base_value"] == pytest.approx(outputs(trained_net, background).mean(), abs=1e-5)


def test_shapley_generic_path_equals_mlp_path(shapley_setup, trained_net):
    rows, background, ours, _ = shapley_setup
    generic = imp.shapley(Wrapped(trained_net), rows, background, method="exact")
    np.testing.assert_allclose(generic.local.to_numpy(), ours.local.to_numpy(), atol=1e-5)
    assert np.abs(generic.info["delta"]).max() < 1e-5


def test_shapley_sampling_converges_to_exact(shapley_setup, trained_net):
    rows, background, ours, _ = shapley_setup
    exact = ours.local.to_numpy()

    def error(n_permutations):
        est = imp.shapley(trained_net, rows[:8], background, method="sampling",
                          n_permutations=n_permutations, seed=1)
        assert not est.info["exact"] and est.info["n_coalitions"] == n_permutations * 11
        assert np.abs(est.info["delta"]).max() < 1e-5             # efficiency holds for every row
        return np.abs(est.local.to_numpy() - exact[:8]).mean()

    few, many = error(8), error(400)
    # Monte Carlo error shrinks like 1/sqrt(P): 50 times more orderings, about 7 times less error
    assert many < few / 3
    assert many < 0.01 * np.abs(exact).mean()


def test_shapley_exact_refuses_and_auto_samples_beyond_twelve_inputs():
    net = random_mlp(13, 4, seed=1)
    X = np.random.default_rng(1).normal(size=(3, 13))
    with pytest.raises(ValueError, match=r"d=13 inputs gives 8,192, too many \(at most 12 inputs\)"):
        imp.shapley(net, X, X, method="exact")
    with pytest.warns(UserWarning, match="13 inputs are too many for exact"):
        auto = imp.shapley(net, X, X, method="auto", n_permutations=6, seed=2)
    sampled = imp.shapley(net, X, X, method="sampling", n_permutations=6, seed=2)
    assert not auto.info["exact"] and auto.info["n_coalitions"] == 6 * 14
    np.testing.assert_array_equal(auto.local.to_numpy(), sampled.local.to_numpy())
    gap = outputs(net, X) - outputs(net, X).mean()
    np.testing.assert_allclose(auto.local.to_numpy().sum(axis=1), gap, atol=1e-5)


def test_shapley_by_hand_on_three_inputs():
    """The Shapley formula with explicit loops over coalitions, on a 3-input net."""
    from itertools import combinations
    from math import factorial
    net = random_mlp(3, 6, "relu", seed=4)
    rng = np.random.default_rng(4)
    X, B = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))

    def v(x, S):
        rows = B.copy()
        rows[:, list(S)] = x[list(S)]
        return outputs(net, rows).mean()

    phi = np.zeros((4, 3))
    for r, x in enumerate(X):
        for i in range(3):
            others = [j for j in range(3) if j != i]
            for size in range(3):
                for S in combinations(others, size):
                    weight = factorial(size) * factorial(3 - size - 1) / factorial(3)
                    phi[r, i] += weight * (v(x, S + (i,)) - v(x, S))
    np.testing.assert_allclose(imp.shapley(net, X, B).local.to_numpy(), phi, atol=1e-5)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_shapley_mlp_path_gives_the_same_bits_on_any_number_of_threads(activation, monkeypatch):
    """The MLP path shares the coalitions out to one Python thread per torch thread (small
    chunks here, so that several threads get work): the same bits as one thread, the same values
    as the generic path, and torch's thread count is left as it was."""
    import helpers._shapley
    net = random_mlp(6, 7, activation, seed=3)
    rng = np.random.default_rng(3)
    X, B = rng.normal(size=(9, 6)), rng.normal(size=(5, 6))
    monkeypatch.setattr(helpers._shapley, "_CHUNK", 64)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = imp.shapley(net, X, B).local.to_numpy()
        torch.set_num_threads(3)
        three = imp.shapley(net, X, B).local.to_numpy()
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(three, one)
    np.testing.assert_allclose(one, imp.shapley(Wrapped(net), X, B).local.to_numpy(), atol=1e-6)


# ================================================================ Lek's profiles
@pytest.mark.parametrize("task", ["regression", "binary"])
def test_lek_profile_by_hand(task):
    net = random_mlp(3, 5, "tanh", task, seed=6)
    X = np.random.default_rng(6).normal(size=(40, 3)) * [1.0, 3.0, 0.5] + [0.0, 1.0, -2.0]
    quantiles, steps = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0), 7
    rows = []
    for i, name in enumerate(["a", "b", "c"]):
        for q in quantiles:
            held = np.quantile(X, q, axis=0)
            for value in np.linspace(X[:, i].min(), X[:, i].max(), steps):
                row = held.copy()
                row[i] = value
                out = outputs(net, row[None])[0]
                rows.append((name, q, value, 1 / (1 + np.exp(-out)) if task == "binary" else out))
    by_hand = pd.DataFrame(rows, columns=["feature", "group", "x", "y"])
    got = imp.lek_profile(net, X, steps=steps, feature_names=["a", "b", "c"])
    assert list(got.columns) == ["feature", "group", "x", "y"] and len(got) == 3 * 6 * 7
    assert got["feature"].tolist() == by_hand["feature"].tolist()
    np.testing.assert_allclose(got["group"], by_hand["group"], rtol=0, atol=0)
    np.testing.assert_allclose(got["x"], by_hand["x"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["y"], by_hand["y"], rtol=1e-5, atol=1e-6)
    # lek_importance: per feature, the range of each group's curve, averaged over the groups
    ranges = by_hand.groupby(["feature", "group"])["y"].agg(lambda s: s.max() - s.min())
    expected = ranges.groupby("feature").mean()
    summary = imp.lek_importance(net, X, steps=steps, feature_names=["a", "b", "c"])
    np.testing.assert_allclose(summary.values[["a", "b", "c"]], expected[["a", "b", "c"]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(summary.info["range_by_group"].to_numpy(),
                               ranges.unstack("feature")[["a", "b", "c"]].to_numpy(), rtol=1e-5, atol=1e-6)


# ================================================================ drop and retrain
ABLATION_KW = {"epochs": 150, "n_hidden": 8}
ABLATION_SEEDS = (0, 1)


@pytest.fixture(scope="module")
def ablation_setup():
    """300 training rows of three inputs, 100 test rows, and the baseline net of each seed
    trained alone with ``train``."""
    X, y = friedman_like(400, seed=8)
    X, y, Xte, yte = X[:300, :3], y[:300], X[300:, :3], y[300:]
    baselines = {s: train(X, y, seed=s, **ABLATION_KW).model for s in ABLATION_SEEDS}
    return X, y, Xte, yte, baselines


def _mse(net, X, y):
    return np.mean((outputs(net, X) - y) ** 2)


@pytest.mark.parametrize("fill, value", [("mean", None), ("constant", 0.7)])
def test_ablation_equals_training_one_net_at_a_time(ablation_setup, fill, value):
    X, y, Xte, yte, baselines = ablation_setup
    kw = {} if value is None else {"value": value}
    got = imp.ablation(X, y, fill=fill, seeds=ABLATION_SEEDS, X_test=Xte, y_test=yte,
                       train_kwargs=ABLATION_KW, **kw)
    c = X.mean(axis=0) if fill == "mean" else np.full(3, value)
    by_hand = np.empty((2, 3))
    for s, seed in enumerate(ABLATION_SEEDS):
        base = _mse(baselines[seed], Xte, yte)
        for i in range(3):
            Xi, Xtei = X.copy(), Xte.copy()
            Xi[:, i], Xtei[:, i] = c[i], c[i]
            by_hand[s, i] = _mse(train(Xi, y, seed=seed, **ABLATION_KW).model, Xtei, yte) - base
    assert got.method == "ablation" and got.info["n_nets"] == 2 + 2 * 3
    np.testing.assert_allclose(got.info["fill_values"], c, rtol=1e-12)
    np.testing.assert_allclose(got.info["baseline_loss"], [_mse(baselines[s], Xte, yte) for s in ABLATION_SEEDS],
                               rtol=1e-5)
    # batched training equals training alone up to float rounding of the batched products
    np.testing.assert_allclose(got.samples.to_numpy(), by_hand, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got.values, by_hand.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got.std, by_hand.std(axis=0, ddof=1), rtol=1e-4, atol=1e-5)
    assert list(got.samples.index) == list(ABLATION_SEEDS)


@pytest.mark.parametrize("fill, task", [("mean", "regression"), ("median", "regression"), ("mean", "binary")])
def test_ablation_without_retraining_uses_the_baseline_net(ablation_setup, fill, task):
    X, y, Xte, yte, baselines = ablation_setup
    if task == "binary":                                          # log-loss of a classifier
        cut = np.median(y)
        y, yte = (y > cut).astype(float), (yte > cut).astype(float)
        baselines = {s: train(X, y, seed=s, task="binary", **ABLATION_KW).model for s in ABLATION_SEEDS}

        def loss(net, A, target):
            p = 1 / (1 + np.exp(-outputs(net, A)))
            return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))
    else:
        loss = _mse
    got = imp.ablation(X, y, fill=fill, seeds=ABLATION_SEEDS, retrain=False, X_test=Xte, y_test=yte,
                       train_kwargs={**ABLATION_KW, "task": task})
    c = np.mean(X, axis=0) if fill == "mean" else np.median(X, axis=0)
    np.testing.assert_allclose(got.info["fill_values"], c, rtol=1e-12)
    by_hand = np.empty((2, 3))
    for s, seed in enumerate(ABLATION_SEEDS):
        for i in range(3):
            Xi = Xte.copy()
            Xi[:, i] = c[i]
            by_hand[s, i] = loss(baselines[seed], Xi, yte) - loss(baselines[seed], Xte, yte)
    assert got.method == "ablation_no_retrain" and got.info["n_nets"] == 2
    assert got.info["metric"] == ("log_loss" if task == "binary" else "mse")
    np.testing.assert_allclose(got.samples.to_numpy(), by_hand, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got.values, by_hand.mean(axis=0), rtol=1e-5, atol=1e-5)


def test_ablation_reuses_given_baselines_and_returns_the_retrained_nets(ablation_setup):
    X, y, Xte, yte, baselines = ablation_setup
    given = [baselines[s] for s in ABLATION_SEEDS]
    got = imp.ablation(X, y, seeds=ABLATION_SEEDS, X_test=Xte, y_test=yte, train_kwargs=ABLATION_KW,
                       models=given)
    assert got.info["n_nets"] == 2 * 3 and got.info["models"] == given       # the baselines are not retrained
    for k, seed in enumerate(ABLATION_SEEDS):
        base = _mse(given[k], Xte, yte)
        assert got.info["baseline_loss"].loc[seed] == pytest.approx(base, rel=1e-6)
        assert len(got.info["retrained"][seed]) == 3
        for i, net in enumerate(got.info["retrained"][seed]):           # each number from its own net
            Xtei = Xte.copy()
            Xtei[:, i] = X[:, i].mean()
            assert got.samples.loc[seed].iloc[i] == pytest.approx(_mse(net, Xtei, yte) - base, rel=1e-5, abs=1e-6)
    still = imp.ablation(X, y, seeds=ABLATION_SEEDS, retrain=False, X_test=Xte, y_test=yte,
                         train_kwargs=ABLATION_KW, models=given)
    assert still.info["n_nets"] == 0 and still.info["retrained"] == {}
    with pytest.raises(ValueError, match="one baseline net per seed"):
        imp.ablation(X, y, seeds=ABLATION_SEEDS, X_test=Xte, y_test=yte, models=given[:1])


# ================================================================ batching
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_results_do_not_depend_on_the_batch_size(activation, monkeypatch):
    """Every batched loop, cut into many small chunks (sizes that do not divide the work),
    gives the numbers of one big batch, on the MLP paths and the generic paths alike."""
    import helpers._gradients
    import helpers._perturbation
    import helpers._shapley
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(37, 5)), rng.normal(size=37)
    net = random_mlp(5, 7, activation, seed=0)

    def everything():
        out = {}
        for path, model in (("mlp", net), ("generic", Wrapped(net))):
            out["shapley", path] = imp.shapley(model, X, X[:11]).local
            out["sampled", path] = imp.shapley(model, X, X[:11], method="sampling", n_permutations=5).local
            out["permutation", path] = imp.permutation(model, X, y, n_repeats=7).samples
            out["grouped", path] = imp.grouped_permutation(model, X, y, groups=[["x1", "x3"], ["x2"]],
                                                           n_repeats=7).samples
            out["ig", path] = imp.integrated_gradients(model, X, n_steps=9).local
            out["gradient", path] = imp.gradient(model, X).local
        return out

    whole = everything()
    monkeypatch.setattr(helpers._shapley, "_CHUNK", 50)
    monkeypatch.setattr(helpers._perturbation, "_BATCH_ELEMENTS", 100)
    monkeypatch.setattr(helpers._gradients, "_MAX_ROWS", 13)
    monkeypatch.setattr(helpers._gradients, "_MLP_CHUNK", 100)
    chunked = everything()
    for key, value in whole.items():
        np.testing.assert_allclose(chunked[key].to_numpy(), value.to_numpy(), rtol=1e-6, atol=1e-7,
                                   err_msg=str(key))
    for kind in ("shapley", "sampled", "permutation", "ig", "gradient"):   # and the two paths agree
        np.testing.assert_allclose(whole[kind, "mlp"].to_numpy(), whole[kind, "generic"].to_numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=kind)


def test_importance_result_helpers():
    rng = np.random.default_rng(1)
    res = imp.permutation(random_mlp(10, 4), rng.normal(size=(30, 10)), rng.normal(size=30), n_repeats=3)
    values = res.values.to_numpy()
    table = res.to_frame()
    assert list(table.columns) == ["method", "feature", "importance", "std"] and len(table) == 10
    np.testing.assert_array_equal(table["importance"], values)
    np.testing.assert_array_equal(table["std"], res.std.to_numpy())
    assert res.ranking() == [NAMES[i] for i in np.argsort(-np.abs(values), kind="stable")]
    unit = res.normalized()
    total = np.abs(values).sum()
    np.testing.assert_allclose(unit.values, values / total)
    np.testing.assert_allclose(unit.samples.to_numpy(), res.samples.to_numpy() / total)
    np.testing.assert_allclose(unit.std, res.std / total)


# ================================================================ bad input
# the smallest options that keep each registered measure quick on 12 rows
_QUICK = {"integrated_gradients": {"n_steps": 4}, "lek_profile": {"steps": 3}}


def _measures_on_data(n_repeats=2):
    """Every measure that takes rows X, as f(model, X, y, **kw): each registered one (read from
    ``imp.REGISTRY``, called through ``imp.compute`` with X as both the training and the held-out
    rows) but those that read only the weights or retrain, plus the functions outside the registry."""
    def registered(name):
        return lambda m, X, y, **kw: imp.compute(name, m, train_X=X, test_X=X, test_y=y, n_repeats=n_repeats,
                                                 **{**_QUICK.get(name, {}), **kw})
    measures = {name: registered(name) for name, spec in imp.REGISTRY.items()
                if spec.rows != "none" and not spec.retrains}
    measures.update({
        "grouped_permutation": lambda m, X, y, **kw: imp.grouped_permutation(
            m, X, y, groups={"g": ["x1"]}, n_repeats=n_repeats, **kw),
        "lek_profile_curves": lambda m, X, y, **kw: imp.lek_profile(m, X, steps=3, **kw),
    })
    return measures


MEASURES_ON_DATA = list(_measures_on_data())


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    return random_mlp(10, 4, seed=0), rng.normal(size=(12, 10)), rng.normal(size=12)


@pytest.mark.parametrize("name", MEASURES_ON_DATA)
def test_bad_data_is_a_clear_value_error(name, small):
    measure = _measures_on_data()[name]
    net, X, y = small
    measure(net, X, y)                                            # the good call works
    with pytest.raises(ValueError, match=r"X must be a 2-D array \(rows x inputs\), got shape \(12,\)"):
        measure(net, X[:, 0], y)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="X holds a missing or infinite value at row 3, column 2"):
        measure(net, bad, y)
    with pytest.raises(ValueError, match="feature_names has 3 names but there are 10 inputs"):
        measure(net, X, y, feature_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="the model has 10 inputs but X has 9 columns"):
        measure(net, X[:, :9], y)
    if name != "weight_sum":                                      # which reads `model.hidden`
        with pytest.raises(ValueError, match="the model cannot take data with 10 columns"):
            measure(Wrapped(nn.Linear(9, 1)), X, y)
        with pytest.raises(ValueError, match=r"one output per row, \(n,\) or \(n, 1\); got shape \(3,\)"):
            measure(nn.Linear(10, 3), X, y)
    with pytest.raises(ValueError, match="model must be a torch.nn.Module, got str"):
        measure("not a net", X, y)


@pytest.mark.parametrize("name", ["permutation", "grouped_permutation", "conditional_permutation"])
def test_bad_permutation_options(name, small):
    net, X, y = small
    with pytest.raises(ValueError, match="n_repeats must be an integer of at least 1, got 0"):
        _measures_on_data(n_repeats=0)[name](net, X, y)
    measure = _measures_on_data()[name]
    with pytest.raises(ValueError, match=r"y must hold one value per row of X \(12\), got shape \(11,\)"):
        measure(net, X, y[:11])
    bad_y = y.copy()
    bad_y[5] = np.inf
    with pytest.raises(ValueError, match="y holds a missing or infinite value at row 5"):
        measure(net, X, bad_y)
    with pytest.raises(ValueError, match="metric='r2' is not one of 'mse', 'log_loss', 'accuracy'"):
        measure(net, X, y, metric="r2")
    with pytest.raises(ValueError, match="metric='accuracy' needs a binary model"):
        measure(net, X, y, metric="accuracy")
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        measure(net, X, y, seed=-1)


def test_bad_groups(small):
    net, X, y = small
    with pytest.raises(ValueError, match=r"group 'g' names 'x11', which is not one of the features"):
        imp.grouped_permutation(net, X, y, groups={"g": ["x1", "x11"]})
    with pytest.raises(ValueError, match="group 'g' must be a non-empty list"):
        imp.grouped_permutation(net, X, y, groups={"g": []})


def test_bad_binary_target(binary_setup):
    net, X, y = binary_setup
    with pytest.raises(ValueError, match="metric='log_loss' needs y of 0s and 1s"):
        imp.permutation(net, X, y + 0.5, metric="log_loss")


def test_bad_integrated_gradients_options(small):
    net, X, _ = small
    with pytest.raises(ValueError, match="method='simpson' is not one of 'gausslegendre'"):
        imp.integrated_gradients(net, X, method="simpson")
    with pytest.raises(ValueError, match=r"baseline must be a number, 10 values \(one per input\) or an "
                                         r"\(12, 10\) array \(one row per row of X\), got shape \(9,\)"):
        imp.integrated_gradients(net, X, baseline=np.zeros(9))
    with pytest.raises(ValueError, match=r"got shape \(11, 10\)"):
        imp.integrated_gradients(net, X, baseline=np.zeros((11, 10)))
    with pytest.raises(ValueError, match="baseline holds a missing or infinite value"):
        imp.integrated_gradients(net, X, baseline=np.full(10, np.nan))
    with pytest.raises(ValueError, match="n_steps must be an integer of at least 1, got 0"):
        imp.integrated_gradients(net, X, n_steps=0)
    with pytest.raises(ValueError, match="n_steps must be an integer of at least 2, got 1"):
        imp.integrated_gradients(net, X, n_steps=1, method="riemann_trapezoid")
    with pytest.raises(ValueError, match="absolute must be True or False"):
        imp.gradient(net, X, absolute="yes")


def test_bad_shapley_options(small):
    net, X, _ = small
    with pytest.raises(ValueError, match="method='kernel' is not one of 'auto', 'exact', 'sampling'"):
        imp.shapley(net, X, method="kernel")
    with pytest.raises(ValueError, match="background has 9 columns but X has 10"):
        imp.shapley(net, X, X[:, :9])
    bad = X.copy()
    bad[1, 4] = np.inf
    with pytest.raises(ValueError, match="background holds a missing or infinite value at row 1, column 4"):
        imp.shapley(net, X, bad)
    with pytest.raises(ValueError, match="n_permutations must be an integer of at least 1, got 0"):
        imp.shapley(net, X, method="sampling", n_permutations=0)


def test_bad_profile_options(small):
    net, X, _ = small
    with pytest.raises(ValueError, match=r"quantiles must lie in \[0, 1\], got 1.5"):
        imp.lek_profile(net, X, quantiles=(0.5, 1.5))
    with pytest.raises(ValueError, match="steps must be an integer of at least 2, got 1"):
        imp.lek_importance(net, X, steps=1)


def test_bad_weight_measure_input():
    net = random_mlp(10, 4)
    for measure in (imp.garson, imp.olden, imp.one_hot_probe, imp.weight_sum):
        with pytest.raises(ValueError, match="feature_names has 2 names but there are 10 inputs"):
            measure(net, feature_names=["a", "b"])
        with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
            measure(np.zeros((10, 4)))
    deep = DeepMLP(10, (6, 4))          # olden multiplies through the layers (test_model_io.py); garson cannot
    with pytest.raises(ValueError, match="needs a one-hidden-layer net"):
        imp.garson(deep)
    with pytest.raises(ValueError, match="needs a `hidden` nn.Linear layer"):
        imp.weight_sum(LinearNet(10))
    with pytest.raises(ValueError, match="garson needs at least one hidden node"):
        imp.garson(from_weights(np.ones((2, 2)), np.zeros(2), np.zeros(2), [0.0]))


def test_bad_ablation_input(small):
    _, X, y = small
    quick = {"train_kwargs": {"epochs": 2, "n_hidden": 2}, "seeds": (0,)}
    with pytest.raises(ValueError, match="fill='zero' is not one of 'mean', 'median', 'constant'"):
        imp.ablation(X, y, fill="zero", **quick)
    with pytest.raises(ValueError, match=r"X must be a 2-D array \(rows x inputs\)"):
        imp.ablation(X[:, 0], y, **quick)
    bad = X.copy()
    bad[0, 9] = np.nan
    with pytest.raises(ValueError, match="X holds a missing or infinite value at row 0, column 9"):
        imp.ablation(bad, y, **quick)
    with pytest.raises(ValueError, match="feature_names has 1 names but there are 10 inputs"):
        imp.ablation(X, y, feature_names=["a"], **quick)
    with pytest.raises(ValueError, match="X_test has 9 columns but X has 10"):
        imp.ablation(X, y, X_test=X[:, :9], y_test=y, **quick)
    with pytest.raises(ValueError, match="train_kwargs must not hold seed"):
        imp.ablation(X, y, seeds=(0,), train_kwargs={"seed": 1})
    with pytest.raises(ValueError, match="seeds must be a non-empty list of integers"):
        imp.ablation(X, y, seeds=[], train_kwargs={"epochs": 2})
    with pytest.raises(ValueError, match=r"value must be a number or one number per input \(10\)"):
        imp.ablation(X, y, fill="constant", value=[1.0, 2.0], **quick)

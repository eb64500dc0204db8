"""The permutation measures on large data: blocks of rows give the numbers of one batch, the core
keeps no full-size copy of ``X`` per input, and the faster pieces compute the same numbers as the
plain formulas they replace (same permutations, same losses).

Small data with the batch and block sizes made tiny, so the whole file takes a few seconds.
"""
import tracemalloc

import numpy as np
import pytest
import torch

import helpers._perturbation as pert
from conftest import Wrapped
from helpers import importance as imp
from helpers.model import MLP


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def correlated(n, d, seed=0):
    """Inputs with some correlation (x2 follows x1) and a target on the first inputs."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 1] += 0.7 * X[:, 0]
    y = np.tanh(X[:, 0]) + X[:, 2] + 0.1 * rng.normal(size=n)
    return X, y


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_blocks_of_rows_give_the_numbers_of_one_batch(activation, monkeypatch):
    """With a tiny batch size the rows are cut into blocks (the last one shorter); every measure,
    on the MLP path and the generic path, gives the numbers of one batch (to float rounding: the
    BLAS may add a block's products in another order)."""
    X, y = correlated(203, 6)
    net = MLP(6, 5, activation, seed=0).eval()

    def everything():
        out = {}
        for path, model in (("mlp", net), ("generic", Wrapped(net))):
            out["plain", path] = imp.permutation(model, X, y, n_repeats=3, seed=1).samples
            out["grouped", path] = imp.grouped_permutation(model, X, y, groups=[["x1", "x2"], ["x4"]],
                                                           n_repeats=3, seed=1).samples
            out["conditional", path] = imp.conditional_permutation(model, X, y, n_repeats=3, seed=1,
                                                                   groups={"a": ["x1", "x2"]}).samples
        return out

    whole = everything()
    monkeypatch.setattr(pert, "_BATCH_ELEMENTS", 64)
    monkeypatch.setattr(pert, "_ROW_ALIGN", 8)
    assert pert._pass_shape(203, 5, 3) == (1, 8) and pert._pass_shape(203, 6, 3) == (1, 8)
    blocked = everything()
    for key, value in whole.items():
        np.testing.assert_allclose(blocked[key].to_numpy(), value.to_numpy(), rtol=1e-6, atol=1e-7,
                                   err_msg=str(key))


def test_pass_shape():
    """All rows and several repeats per pass while they fit; else one repeat and a block of a
    multiple of _ROW_ALIGN rows (at least one multiple), never more rows than there are."""
    budget, align = pert._BATCH_ELEMENTS, pert._ROW_ALIGN
    assert pert._pass_shape(5000, 20, 30) == (budget // 100_000, 5000)
    assert pert._pass_shape(5000, 20, 3) == (3, 5000)
    repeats, rows = pert._pass_shape(10 ** 6, 20, 10)
    assert repeats == 1 and rows % align == 0 and rows * 20 <= budget
    assert pert._pass_shape(10 ** 6, budget, 10) == (1, align)
    assert pert._pass_shape(align + 1, budget, 10) == (1, align)


@pytest.mark.parametrize("fast", [True, False])
def test_the_core_keeps_no_full_size_copy_of_X_per_input(fast):
    """numpy's allocations inside ``_scores`` (tracemalloc sees them) stay far below one copy of
    X: each input's columns are taken on their own, not from a full-size ``base - X``."""
    X, y = correlated(3000, 300)                                    # 7.2 MB
    base, shuf = np.zeros_like(X), X.copy()
    net = MLP(300, 4, seed=0).eval()
    model = net if fast else Wrapped(net)
    name, loss, _ = pert._metric(None, net, y)
    units = [[j] for j in range(300)] + [[0, 1, 2]]
    tracemalloc.start()
    try:
        losses, _, used_fast = pert._scores(model, X, units, base, shuf, 0, 2, loss)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert used_fast == fast and losses.shape == (2, 301)
    assert peak < 0.25 * X.nbytes


def test_unit_permutations_are_the_plain_draws():
    """Drawn into a C-order array: the permutations of ``rng.permuted`` on the broadcast rows,
    and the generator left in the same state."""
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    for n_repeats, n in ((3, 17), (30, 500), (1, 1)):
        got = pert._unit_permutations(a, n_repeats, n)
        want = b.permuted(np.broadcast_to(np.arange(n), (n_repeats, n)), axis=1)
        assert got.flags.c_contiguous and got.shape == want.shape and np.array_equal(got, want)
    assert a.integers(2 ** 62) == b.integers(2 ** 62)


def test_squared_error_is_the_plain_formula_bit_for_bit():
    rng = np.random.default_rng(0)
    y = rng.normal(size=301) * 3
    yt = torch.as_tensor(y, dtype=torch.float64)
    out = torch.as_tensor(rng.normal(size=(7, 301)) * 3, dtype=torch.float32)
    assert np.array_equal(pert._squared_error(out, yt), ((out.double() - yt) ** 2).mean(1).numpy())
    before = out.clone()
    pert._squared_error(out, yt)
    assert torch.equal(out, before)                                  # the outputs are not touched


def test_residuals_from_one_inverse_equal_one_least_squares_solve_per_unit():
    """The conditional split read off the inverse of the correlation matrix equals the OLS fit
    of each unit (a column or a group) on the others with an intercept, to float64 rounding;
    collinear columns take the least-squares route, and give its numbers."""
    from helpers._perturbation import _linear_conditional, _residuals_from_precision

    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 8)) + 5.0
    X[:, 1] = 0.9 * X[:, 0] + 0.2 * X[:, 1]
    units = [[0], [1], [2, 3], [4], [5, 6, 7]]
    got = _residuals_from_precision(X, units)
    for cols in units:
        A = np.column_stack([np.ones(len(X)), np.delete(X, cols, axis=1)])
        coef, *_ = np.linalg.lstsq(A, X[:, cols], rcond=None)
        np.testing.assert_allclose(got[:, cols], X[:, cols] - A @ coef, rtol=0, atol=1e-10)
    collinear = X.copy()
    collinear[:, 7] = collinear[:, 5] + collinear[:, 6]
    assert _residuals_from_precision(collinear, units) is None
    fitted, resid, r2 = _linear_conditional(collinear)
    A = np.column_stack([np.ones(len(X)), collinear[:, :7]])
    coef, *_ = np.linalg.lstsq(A, collinear[:, 7], rcond=None)
    np.testing.assert_allclose(resid[:, 7], collinear[:, 7] - A @ coef, atol=1e-8)
    assert r2[7] == pytest.approx(1.0)

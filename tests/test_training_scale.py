"""Training at scale: the hand-written backward pass, inputs replaced without copies, mini-batches
on large data, and prediction in chunks (speed and memory are measured, never asserted, here)."""
import numpy as np
import pytest
import torch
from torch import nn

import helpers._retrain
import helpers.model
import helpers.training
from helpers import importance as imp
from helpers.model import ACTIVATIONS, predict
from helpers.training import _init_params, _set_gradients, train, train_many
from tests.conftest import friedman_like


def same_nets(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))


@pytest.mark.parametrize("task", ["regression", "binary"])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_hand_written_gradients_equal_autograds_bit_for_bit(activation, task):
    """``train_many`` backpropagates by hand; the gradients are autograd's, to the last bit, which
    is what keeps every trained net (and the course's printed numbers) as they were."""
    m, n, d, h = 3, 57, 4, 6
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(m, n, d, generator=gen)
    Y = torch.randn(m, n, generator=gen)
    if task == "binary":
        Y = (Y > 0).float()
    loss_fn = nn.functional.mse_loss if task == "regression" else nn.functional.binary_cross_entropy_with_logits
    leaves = {k: v.clone().requires_grad_() for k, v in _init_params([0, 1, 2], d, h).items()}
    H = ACTIVATIONS[activation](torch.baddbmm(leaves["b1"].unsqueeze(1), X, leaves["W1"].transpose(1, 2)))
    out = torch.baddbmm(leaves["b2"].unsqueeze(1), H, leaves["W2"].transpose(1, 2)).squeeze(-1)
    loss_fn(out, Y, reduction="none").mean(dim=1).sum().backward()

    params = {k: v.detach().clone() for k, v in leaves.items()}
    H_, out_ = helpers.training._forward_many(params, X, activation)
    _set_gradients(params, X, H_, out_, Y, task, activation, torch.ones(m, 1).expand(m, n) / n,
                   torch.empty(m, n, h))
    for k in params:
        assert torch.equal(params[k].grad, leaves[k].grad), k


@pytest.mark.parametrize("batch_size", [None, 64])
def test_replacing_columns_equals_training_on_copies(batch_size):
    """Full batches: the replaced columns are written into each net's rows, the same bits as
    training on copies. Mini-batches: a seed's nets share their rows and read a replaced column
    through their weights (``_SharedBatches``): equal up to float rounding."""
    X, y = friedman_like(400, seed=2)
    X = X[:, :5]
    mean = X.mean(axis=0)
    replace = [None, ([1], mean[[1]]), ([0, 3], [0.5, -1.0]), ([4], 0.25)]
    seeds = [0, 1, 0, 1]
    copies = []
    for entry in replace:
        Xi = X.copy()
        if entry is not None:
            Xi[:, entry[0]] = entry[1]
        copies.append(Xi)
    kw = {"epochs": 60, "n_hidden": 6, "batch_size": batch_size}
    shared = train_many(X, y, seeds=seeds, replace=replace, **kw)
    stacked = train_many(np.stack(copies), y, seeds=seeds, **kw)
    for a, b in zip(shared, stacked):
        assert a.seed == b.seed and (a.val_rows == b.val_rows).all()
        if batch_size is None:
            assert same_nets(a, b) and a.history.equals(b.history)
        else:
            for p, q in zip(a.model.parameters(), b.model.parameters()):
                torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-5)
            np.testing.assert_allclose(a.history.to_numpy(), b.history.to_numpy(), rtol=1e-5)
    assert not same_nets(shared[0], shared[2])  # each net in the caller's order


@pytest.mark.parametrize("task", ["regression", "binary"])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_shared_batch_gradients_equal_autograds_on_the_replaced_rows(activation, task):
    """``_SharedBatches`` computes a step for S groups of g nets on shared rows, replaced columns
    read through the weights; its gradients are autograd's on each net's own rows (replaced
    columns set), to float rounding."""
    S, g, n, d, h = 2, 3, 40, 5, 4
    m = S * g
    gen = torch.Generator().manual_seed(3)
    X = torch.randn(300, d, generator=gen)
    Y = torch.randn(m, 250, generator=gen)
    if task == "binary":
        Y = (Y > 0).float()
    loss_fn = nn.functional.mse_loss if task == "regression" else nn.functional.binary_cross_entropy_with_logits
    replace = [None, ([1], [0.5]), ([0, 4], [-1.0, 2.0]), ([2], [0.0]), None, ([3], [1.5])]
    replaced = helpers.training._replacements(replace, m, d)
    tr = np.tile(np.arange(250), (m, 1))
    tr[g:] = np.arange(50, 300)  # the second group's rows
    rngs = {0: np.random.default_rng(10), 1: np.random.default_rng(11)}       # each seed's batch generator
    draws = {s: torch.from_numpy(np.random.default_rng(10 + s).integers(0, 250, size=n)) for s in (0, 1)}
    nets = helpers.training._SharedBatches(torch.as_tensor(X), tr, tr[:, :n], Y, Y[:, :n], replaced, h, activation,
                                        task, loss_fn, [0] * g + [1] * g, S, g, n, rngs)
    params = _init_params(range(m), d, h)
    loss = nets.step(params)

    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    rows = torch.stack([torch.as_tensor(tr[i])[draws[i // g]] for i in range(m)])
    Xi = X[rows]                                                       # (m, n, d): each net's own rows
    for i, entry in enumerate(replace):
        if entry is not None:
            Xi[i][:, entry[0]] = torch.as_tensor(entry[1], dtype=torch.float32)
    Yi = Y.gather(1, torch.stack([draws[i // g] for i in range(m)]))
    Hi = ACTIVATIONS[activation](torch.baddbmm(leaves["b1"].unsqueeze(1), Xi, leaves["W1"].transpose(1, 2)))
    out = torch.baddbmm(leaves["b2"].unsqueeze(1), Hi, leaves["W2"].transpose(1, 2)).squeeze(-1)
    want = loss_fn(out, Yi, reduction="none").mean(dim=1)
    want.sum().backward()
    torch.testing.assert_close(loss, want.detach())
    for k in params:
        torch.testing.assert_close(params[k].grad, leaves[k].grad, atol=1e-6, rtol=1e-5, msg=k)


def test_bad_replacements():
    X, y = friedman_like(100, seed=0)
    with pytest.raises(ValueError, match="one entry per seed"):
        train_many(X, y, seeds=[0, 1], replace=[None])
    for bad in (([10], [0.0]), ([1, 1], [0.0, 1.0]), (["a"], [0.0]), ([1], [np.nan]), ([1, 2], [0.0, 1.0, 2.0])):
        with pytest.raises(ValueError, match=r"replace\[0\]|replacement value"):
            train_many(X, y, seeds=[0], replace=[bad], epochs=2)
    with pytest.raises(ValueError, match="batch_size"):
        train(X, y, batch_size=0)
    with pytest.raises(ValueError, match="replace"):
        imp.ablation(X, y, seeds=(0,), train_kwargs={"replace": [None]})


def test_up_to_batch_size_rows_training_is_full_batch_as_before(friedman_data):
    """The course's data (600 training rows here) stays below the mini-batch threshold: the same
    bits with the default batch size, with ``batch_size=None`` and with exactly the split's size."""
    X, y, _, _ = friedman_data
    default = train(X, y, seed=3, epochs=150)
    assert len(default.train_rows) == 600
    for batch_size in (None, 600):
        other = train(X, y, seed=3, epochs=150, batch_size=batch_size)
        assert same_nets(default, other) and default.history.equals(other.history)
    assert not same_nets(default, train(X, y, seed=3, epochs=150, batch_size=599))


def test_mini_batches_on_more_rows_than_the_batch_size():
    X, y = friedman_like(3000, seed=4)
    X_test, y_test = friedman_like(1000, seed=5)
    kw = {"seed": 0, "epochs": 600, "batch_size": 256, "lr": 0.01}
    a, b = train(X, y, **kw), train(X, y, **kw)
    assert same_nets(a, b) and a.history.equals(b.history)               # seeded batches: same bits
    assert len(a.train_rows) == 2400                                    # batches come from the whole split
    assert len(a.val_rows) == 256                                       # early stopping watches a fixed subset
    held_back = np.setdiff1d(np.arange(3000), a.train_rows)
    assert np.isin(a.val_rows, held_back).all() and len(np.unique(a.val_rows)) == 256
    r2 = 1 - np.mean((predict(a.model, X_test) - y_test) ** 2) / np.var(y_test)
    assert r2 > 0.85
    assert not same_nets(a, train(X, y, **{**kw, "seed": 1}))


def test_nets_with_the_same_seed_draw_the_same_batches():
    """A net's batches depend on its seed only: twins in one call are identical, and a net trained
    among others equals the net trained alone up to the float rounding of batched products."""
    X, y = friedman_like(1500, seed=6)
    kw = {"epochs": 150, "batch_size": 128, "n_hidden": 8}
    nets = train_many(X, y, seeds=[0, 0, 1], **kw)
    assert same_nets(nets[0], nets[1]) and nets[0].history.equals(nets[1].history)
    alone = train(X, y, seed=1, **kw)
    assert nets[2].best_epoch == alone.best_epoch
    for p, q in zip(nets[2].model.parameters(), alone.model.parameters()):
        torch.testing.assert_close(p, q, atol=1e-4, rtol=1e-4)


def test_ablation_on_more_rows_than_the_batch_size_equals_its_nets_trained_one_by_one():
    X, y = friedman_like(1200, seed=7)
    X, y, X_test, y_test = X[:900, :4], y[:900], X[900:, :4], y[900:]
    kw = {"epochs": 80, "n_hidden": 6, "batch_size": 200}
    got = imp.ablation(X, y, seeds=(0,), X_test=X_test, y_test=y_test, train_kwargs=kw)
    base = got.info["models"][0]
    mean = X.mean(axis=0)
    for i, net in enumerate(got.info["retrained"][0]):
        Xi, Xi_test = X.copy(), X_test.copy()
        Xi[:, i], Xi_test[:, i] = mean[i], mean[i]
        alone = train(Xi, y, seed=0, **kw).model
        np.testing.assert_allclose(predict(net, Xi_test), predict(alone, Xi_test), rtol=1e-4, atol=1e-3)
        increase = np.mean((predict(net, Xi_test) - y_test) ** 2) - np.mean((predict(base, X_test) - y_test) ** 2)
        assert got.samples.iloc[0, i] == pytest.approx(increase, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_predictions_and_held_out_losses_in_chunks_equal_one_pass(task, monkeypatch):
    X, y = friedman_like(50, seed=8)
    net = helpers.model.MLP(10, 7, task=task, seed=0)
    whole = predict(net, X)
    loss = helpers._retrain._loss(net, X, (y > 0).astype(float) if task == "binary" else y)
    monkeypatch.setattr(helpers.model, "PREDICT_ROWS", 7)
    monkeypatch.setattr(helpers._retrain, "PREDICT_ROWS", 7)
    np.testing.assert_allclose(predict(net, X), whole, rtol=1e-6, atol=1e-7)
    assert predict(net, X[:0]).shape == (0,)
    assert helpers._retrain._loss(net, X, (y > 0).astype(float) if task == "binary" else y) == pytest.approx(loss)

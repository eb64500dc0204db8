"""Derivative-based importance: the input ``gradient`` and ``integrated_gradients``.

Two ways to get the derivatives ``df/dx`` of the raw output (the logit for a binary model):

* for the kit's one-hidden-layer ``MLP`` (tanh, sigmoid or relu), a closed form with two matrix
  products and no autograd: ``f(x) = v . act(W1 x + b1) + b2`` gives
  ``df/dx = W1^T (v * act'(W1 x + b1))``, in float64 (torch's kernels);
* for any other ``torch.nn.Module``, one batched autograd pass (the outputs of all rows summed,
  then one backward), chunked only when the batch would be very large.

Both paths give the same numbers (tests check it); the closed form is just faster. For integrated
gradients the MLP path also uses that the first layer is linear along the straight path from the
baseline ``b`` to ``x``: ``W1 (b + a (x - b)) + b1 = (W1 b + b1) + a W1 (x - b)``, so only the
activation is evaluated at each of the ``n_steps`` points.
"""
from __future__ import annotations

import contextlib
import copy
import functools

import numpy as np
import pandas as pd
import torch
from torch import nn

from helpers._base import (Importance, as_matrix, check_choice, check_inputs, check_positive_int,
                           column_std, forward_fn, frame, one_hidden_layer, series)
from helpers.model import is_plain_mlp

METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle")
# Generic path: at most this many rows (each of d inputs) go through the model at once.
_MAX_ROWS = 2_000_000
# MLP path: hidden pre-activations evaluated per chunk (2**18 float64 numbers = 2 MB, cache-sized).
_MLP_CHUNK = 2 ** 18


# ---------------------------------------------------------------- the closed form for MLP
def _slope_tanh(Z):
    t = np.tanh(Z, out=Z)
    return np.subtract(1.0, np.square(t, out=t), out=t)


def _slope_sigmoid(Z):
    s = np.tanh(np.multiply(Z, 0.5, out=Z), out=Z)          # sigmoid(z) = (1 + tanh(z / 2)) / 2
    return np.multiply(np.subtract(1.0, np.square(s, out=s), out=s), 0.25, out=s)  # s (1 - s)


def _slope_relu(Z):
    return (Z > 0).astype(np.float64)                        # as torch: slope 0 at z = 0


_SLOPES = {"tanh": _slope_tanh, "sigmoid": _slope_sigmoid, "relu": _slope_relu}
# the same slopes on torch tensors, in place (torch's float64 tanh is several times numpy's speed)
_TORCH_SLOPES = {"tanh": lambda Z: torch.tanh_(Z).square_().neg_().add_(1.0),
                 "sigmoid": lambda Z: (lambda s: s.mul_(1.0 - s))(torch.sigmoid_(Z)),
                 "relu": lambda Z: (Z > 0).to(Z.dtype)}
_ACTIVATIONS = {"tanh": np.tanh, "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
                "relu": lambda z: np.maximum(z, 0.0)}


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController  # installed with scikit-learn
    return ThreadpoolController()


def _one_blas_thread():
    """numpy's BLAS on one thread while the closed forms run.

    Their matrices are small, and on a machine with few cores BLAS worker threads started right
    after a torch call fight torch's still-spinning OpenMP threads: a 0.1 ms product then takes
    4-8 ms. One thread avoids that and loses nothing at these sizes.
    """
    try:
        return _blas_controller().limit(limits=1, user_api="blas")
    except Exception:  # noqa: BLE001 - threadpoolctl missing or unable: run as is
        return contextlib.nullcontext()


def _mlp_weights(model: nn.Module):
    """(W1 (h, d), b1, v, b2, activation) of the kit's MLP with its own forward; None otherwise."""
    if is_plain_mlp(model) and model.activation in _SLOPES:
        return (*one_hidden_layer(model), model.activation)
    return None


# ---------------------------------------------------------------- derivatives at the rows
def _input_gradients(model: nn.Module, X: np.ndarray) -> tuple[np.ndarray, str]:
    """(df/dx at every row of X, (n, d) float64; "closed form" or "autograd")."""
    parts = _mlp_weights(model)
    if parts is not None:
        W1, b1, v, _, act = (torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in parts)
        Z = torch.addmm(b1, torch.from_numpy(X), W1.T)          # float64 throughout
        return (_TORCH_SLOPES[act](Z).mul_(v) @ W1).numpy(), "closed form"
    f = forward_fn(model)
    out = np.empty_like(X)
    with torch.enable_grad():
        for start in range(0, len(X), _MAX_ROWS):
            x = torch.tensor(X[start:start + _MAX_ROWS], dtype=torch.float32, requires_grad=True)
            out[start:start + _MAX_ROWS] = torch.autograd.grad(f(x).sum(), x)[0].double().numpy()
    return out, "autograd"


def gradient(model: nn.Module, X, *, absolute: bool = True, feature_names=None, groups=None) -> Importance:
    """Mean absolute input gradient, scaled by each input's spread (saliency).

    ``I_i = sigma_i * mean_rows |df/dx_i(x)|``, where ``f`` is the model's raw output (for a binary
    model the logit, not the probability) and ``sigma_i`` the population standard deviation
    (ddof=0) of column ``i`` of ``X``. A derivative times a standard deviation is the change of the
    output when input ``i`` moves by one typical step, so the values are in the output's units and
    comparable across inputs. With ``absolute=False``: ``sigma_i * mean_rows df/dx_i(x)``, signed.

    All rows go through one batched pass: the closed form ``W1^T (v * act'(W1 x + b1))`` for the
    kit's ``MLP``, one autograd backward of the summed outputs for any other module.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, d) float32 to (n,) or (n, 1).
    X : array-like (n, d)
        The rows at which the derivatives are taken; also gives ``sigma_i``.
    absolute : bool, default True
        Average ``|df/dx_i|`` (True) or the signed ``df/dx_i`` (False) into ``values``.
    feature_names : sequence of str, optional
        Names of the d inputs; default the columns of a DataFrame ``X``, the model's saved names,
        or ``x1 .. xd``.
    groups : mapping of str -> list of str, optional
        Groups of columns reported as one input (e.g. a category's one-hot columns). A group's
        importance is the **sum** of its columns' importances,
        ``I_G = sum_{i in G} sigma_i mean_rows |df/dx_i(x)|`` (signed terms with
        ``absolute=False``), and ``local`` holds the per-row terms whose mean that is,
        ``sum_{i in G} sigma_i |df/dx_i(x)|``: scaled by ``sigma_i``, unlike the ungrouped
        ``local``.

    Returns
    -------
    Importance
        ``method="gradient"``; ``values`` as above; ``local`` the per-row derivatives
        ``df/dx_i`` (n, d), *unscaled* (not multiplied by ``sigma_i``), or with groups the
        scaled per-row group terms (n, groups); ``info["signed"]`` the signed summary
        ``sigma_i * mean df/dx_i`` (summed per group), ``info["sigma"]`` (per column),
        ``info["absolute"]`` and ``info["path"]`` ("closed form" or "autograd"); with groups
        also ``info["groups"]``, ``info["by_column"]`` (the per-column values) and
        ``info["local_by_column"]`` (the unscaled derivatives).

    When it misleads
    ----------------
    A derivative is local: it says how the output moves for a tiny step at each row, not what the
    input contributes over its range. A saturated tanh node has near-zero slope even when its input
    drives the output, and a step function (relu nets are piecewise linear) has slopes that jump.
    Averaging ``|slope|`` hides signs that change across the data; averaging the signed slope
    lets them cancel. Correlated inputs are moved one at a time, off the data. For a binary model
    the slopes are of the logit: large logit slopes where the probability is already 0 or 1 count
    fully. For a one-hot column the derivative is the slope of an infinitesimal step between 0
    and 1, a value no row takes; the group's sum of such slopes describes the net near the data,
    not the effect of switching level, and it grows with the number of levels.

    References
    ----------
    Simonyan, K., Vedaldi, A. & Zisserman, A. (2014). Deep inside convolutional networks:
    visualising image classification models and saliency maps. ICLR workshop, arXiv:1312.6034.
    Kokhlikyan, N. et al. (2020). Captum: a unified and generic model interpretability library for
    PyTorch. arXiv:2009.07896 (``captum.attr.Saliency``, the reference the tests compare with).
    """
    if not isinstance(absolute, (bool, np.bool_)):
        raise ValueError(f"absolute must be True or False, got {absolute!r}")
    given = check_inputs(model, X, feature_names=feature_names, groups=groups)
    Xa, names = given.X, given.names
    grads, path = _input_gradients(model, Xa)
    sigma = column_std(Xa)
    signed = sigma * grads.mean(axis=0)
    values = sigma * np.abs(grads).mean(axis=0) if absolute else signed
    info = {"signed": series(given.sum(signed), given.index()), "sigma": series(sigma, names),
            "absolute": bool(absolute), "path": path}
    if not given.grouped:
        return Importance("gradient", series(values, names), local=frame(grads, names), info=info)
    terms = sigma * (np.abs(grads) if absolute else grads)                 # (n, d), mean over rows = values
    info.update(given.info(), by_column=series(values, names), local_by_column=frame(grads, names))
    return Importance("gradient", series(given.sum(values), given.index()),
                      local=frame(given.sum(terms), given.index()), info=info)


# ---------------------------------------------------------------- integrated gradients
def _quadrature(method: str, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Points ``a_k`` in [0, 1] and weights ``w_k`` with ``int_0^1 g(a) da ~ sum_k w_k g(a_k)``."""
    k = np.arange(n_steps, dtype=np.float64)
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n_steps)
        return 0.5 * (1.0 + nodes), 0.5 * weights
    if method == "riemann_trapezoid":
        weights = np.full(n_steps, 1.0 / (n_steps - 1))
        weights[[0, -1]] /= 2
        return np.linspace(0.0, 1.0, n_steps), weights
    offset = {"riemann_left": 0.0, "riemann_middle": 0.5, "riemann_right": 1.0}[method]
    return (k + offset) / n_steps, np.full(n_steps, 1.0 / n_steps)


def _baseline(baseline, X: np.ndarray, names: list[str]) -> np.ndarray:
    """The baseline as a (d,) or (n, d) float64 array; ValueError for anything else."""
    n, d = X.shape
    if baseline is None:
        return X.mean(axis=0)
    if isinstance(baseline, pd.Series) and set(map(str, baseline.index)) == set(names):
        baseline = baseline.set_axis(list(map(str, baseline.index))).reindex(names)
    if isinstance(baseline, pd.DataFrame):
        baseline = as_matrix(baseline, "baseline")
    if isinstance(baseline, torch.Tensor):
        baseline = baseline.detach().cpu().numpy()
    try:
        b = np.asarray(baseline, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"baseline must be numeric: {err}") from None
    if b.ndim == 0:
        b = np.full(d, float(b))
    elif b.shape == (1, d):
        b = b[0]
    if b.shape not in ((d,), (n, d)):
        raise ValueError(f"baseline must be a number, {d} values (one per input) or an ({n}, {d}) "
                         f"array (one row per row of X), got shape {b.shape}")
    if not np.isfinite(b).all():
        raise ValueError("baseline holds a missing or infinite value")
    return b


def _ig_mlp(parts, X, B, alphas, weights):
    """Attributions, f(X) and f(B) of the MLP, in float64, with no autograd."""
    W1, b1, v, b2, act = parts
    D = X - B
    Zb = np.broadcast_to(B @ W1.T + b1, D.shape[:1] + b1.shape)    # pre-activations at the baseline
    Dz = D @ W1.T                                                   # their change along the path
    n, h = Dz.shape
    K = len(alphas)
    mean_slope = np.empty((n, h))
    rows = max(1, _MLP_CHUNK // (K * h))
    for s in range(0, n, rows):                                     # chunks of rows, for the cache
        Z = alphas[:, None, None] * Dz[None, s:s + rows]            # (K, r, h)
        Z += Zb[None, s:s + rows]
        mean_slope[s:s + rows] = (weights @ _SLOPES[act](Z).reshape(K, -1)).reshape(-1, h)
    attr = D * ((mean_slope * v) @ W1)
    f = _ACTIVATIONS[act]
    return attr, f(X @ W1.T + b1) @ v + b2, f(Zb) @ v + b2


def _double_copy(model: nn.Module, d: int):
    """A float64 copy of the model for tight completeness, or the model itself if it cannot."""
    try:
        copy64 = copy.deepcopy(model).double()
        copy64.requires_grad_(False)
        with torch.no_grad():
            forward_fn(copy64)(torch.zeros(2, d, dtype=torch.float64))
        return copy64, torch.float64
    except Exception:  # noqa: BLE001 - e.g. float32 constants inside forward: stay in float32
        return model, torch.float32


def _ig_autograd(model, X, B, alphas, weights):
    """Attributions, f(X) and f(B) of any module: batched autograd over every path point."""
    n, d = X.shape
    net, dtype = _double_copy(model, d)
    f = forward_fn(net)
    Xt = torch.as_tensor(X, dtype=dtype)
    Bt = torch.as_tensor(np.array(np.broadcast_to(B, X.shape)), dtype=dtype)
    a = torch.as_tensor(alphas, dtype=dtype)[:, None, None]
    w = torch.as_tensor(weights, dtype=dtype)
    K = len(alphas)
    attr = np.empty_like(X)
    rows = max(1, _MAX_ROWS // K)
    with torch.enable_grad():
        for s in range(0, n, rows):                                 # one pass unless n * K > 2e6
            x, b = Xt[s:s + rows], Bt[s:s + rows]
            points = (b + a * (x - b)).reshape(-1, d).requires_grad_(True)   # (K * r, d)
            grads = torch.autograd.grad(f(points).sum(), points)[0].reshape(K, -1, d)
            attr[s:s + rows] = ((x - b) * torch.tensordot(w, grads, dims=1)).double().numpy()
    with torch.no_grad():
        return attr, f(Xt).double().numpy(), f(Bt).double().numpy()


def integrated_gradients(model: nn.Module, X, *, baseline=None, n_steps: int = 50,
                         method: str = "gausslegendre", feature_names=None, groups=None) -> Importance:
    """Integrated gradients: the derivative averaged along the straight path from a baseline.

    For a row ``x`` and baseline ``b``, the attribution of input ``i`` is
    ``A_i(x) = (x_i - b_i) * integral_0^1 df/dx_i(b + a (x - b)) da``, with ``f`` the raw output
    (the logit for a binary model). The integral is approximated with ``n_steps`` points:
    ``sum_k w_k df/dx_i(b + a_k (x - b))``. Completeness: ``sum_i A_i(x) = f(x) - f(b)`` up to the
    quadrature error, reported per row in ``info["delta"]``. ``values`` is ``mean_rows |A_i(x)|``.

    Every (row, step) point goes through one batched pass (chunked when n * n_steps exceeds 2e6),
    in float64: the closed form for the kit's ``MLP``, autograd on a float64 copy otherwise.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, d) float32 to (n,) or (n, 1).
    X : array-like (n, d)
        The rows to explain.
    baseline : None, float, array-like (d,) or (n, d), default None
        The reference input. None: the column means of ``X``. A number: that value for every
        input. (d,): one reference point (a Series indexed by the feature names is aligned by
        name). (n, d): one baseline per row.
    n_steps : int, default 50
        Number of points on each path (at least 2 for "riemann_trapezoid").
    method : {"gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle"}, default "gausslegendre"
        The quadrature rule. Gauss-Legendre is Captum's default and converges fastest for smooth
        nets. "riemann_trapezoid" is the textbook trapezoid rule with weights
        ``1/(n-1)`` (halved at the two ends), which sum to 1; Captum 0.9 weights its trapezoid
        points by ``1/n`` instead, so its trapezoid attributions are ours times ``(n-1)/n``.
    feature_names : sequence of str, optional
        Names of the d inputs; default the columns of a DataFrame ``X``, the model's saved names,
        or ``x1 .. xd``.
    groups : mapping of str -> list of str, optional
        Groups of columns reported as one input. A group's attribution at a row is the **sum** of
        its columns' attributions, ``A_G(x) = sum_{i in G} A_i(x)``: the path is the same, so
        completeness still holds per row, ``sum_G A_G(x) = f(x) - f(b)``; ``values`` is
        ``mean_rows |A_G(x)|`` (the absolute value of the sum, not the sum of absolute values).

    Returns
    -------
    Importance
        ``method="integrated_gradients"``; ``values`` the mean absolute attribution; ``local``
        the per-row attributions (n, d), or (n, groups) with groups (the per-column ones then in
        ``info["local_by_column"]``); ``info["signed"]`` the mean signed attribution,
        ``info["delta"]`` the per-row completeness error ``sum_i A_i - (f(x) - f(b))`` (numpy
        array), ``info["baseline"]`` (a Series, or a DataFrame for a per-row baseline),
        ``info["n_steps"]``, ``info["method"]``, ``info["path"]``.

    When it misleads
    ----------------
    The answer depends on the baseline, and there is no neutral one: from the column means it
    explains the deviation from an average row (which may not be a plausible row); from zeros it
    explains something else. The path crosses regions where there are no data, so the net's
    behaviour there (never checked by training) enters the attributions. Correlated inputs are
    moved together along the path but credited separately. Check ``info["delta"]``: a large
    completeness error means too few steps. For a one-hot group the path from the mean baseline
    passes through fractional levels (a row 30% Gentoo), where no data lie; the group's sum is
    the whole change from the baseline's mix of levels to the row's level, which is sound, but
    how it splits between the levels is not.

    References
    ----------
    Sundararajan, M., Taly, A. & Yan, Q. (2017). Axiomatic attribution for deep networks.
    Proceedings of the 34th ICML, PMLR 70, 3319-3328.
    Kokhlikyan, N. et al. (2020). Captum: a unified and generic model interpretability library for
    PyTorch. arXiv:2009.07896 (``captum.attr.IntegratedGradients``).
    """
    check_choice("method", method, METHODS)
    n_steps = check_positive_int("n_steps", n_steps, 2 if method == "riemann_trapezoid" else 1)
    given = check_inputs(model, X, feature_names=feature_names, groups=groups)
    Xa, names = given.X, given.names
    B = _baseline(baseline, Xa, names)
    alphas, weights = _quadrature(method, n_steps)
    parts = _mlp_weights(model)
    if parts is not None:
        with _one_blas_thread():
            attr, f_x, f_b = _ig_mlp(parts, Xa, B, alphas, weights)
        path = "closed form"
    else:
        attr, f_x, f_b = _ig_autograd(model, Xa, B, alphas, weights)
        path = "autograd"
    delta = attr.sum(axis=1) - (f_x - f_b)
    info = {"delta": delta, "baseline": series(B, names) if B.ndim == 1 else frame(B, names),
            "n_steps": n_steps, "method": method, "path": path}
    if given.grouped:
        info.update(given.info(), local_by_column=frame(attr, names))
        attr = given.sum(attr)                                          # (n, groups)
    index = given.index()
    return Importance("integrated_gradients", series(np.abs(attr).mean(axis=0), index),
                      local=frame(attr, index), info={"signed": series(attr.mean(axis=0), index), **info})

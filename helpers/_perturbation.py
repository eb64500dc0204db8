"""Perturbation measures: how much worse the model does when an input's information is destroyed.

``permutation`` shuffles one column at a time, ``grouped_permutation`` shuffles a group of
columns with one shared row order, ``conditional_permutation`` shuffles only the part of a column
that the other columns do not explain. All three share one core (``_scores``):

* every (input, repeat) pair gets its own row permutation, drawn in a fixed order from
  ``np.random.default_rng(seed)`` (see ``_permutation_stream``), so a seed fixes every number;
* the shuffled copies are evaluated in large batches, never one model call per repeat;
* for the kit's ``MLP`` the first layer is linear, so shuffling column ``i`` moves the hidden
  pre-activations by a rank-one term, ``Z_perm = Z + (x_i[perm] - x_i) w_i^T`` with
  ``Z = X W1^T + b1`` computed once; only the activation and the output layer are evaluated per
  shuffled copy. Any other ``torch.nn.Module`` takes the generic path, which stacks shuffled copies
  of ``X`` and calls the model on big batches. Both paths see the same permutations;
* memory: besides the caller's arrays, ``X`` once in float32 (for the MLP, its hidden
  pre-activations ``Z`` instead), one unit's columns and permutations at a time, and one batch of
  about ``_BATCH_ELEMENTS`` numbers (on many rows, a block of rows): it grows as rows x (inputs +
  hidden units + repeats), never as rows x inputs squared.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from helpers._base import (Importance, as_target, check_choice, check_groups, check_inputs, check_seed,
                           check_positive_int, forward_fn, frame, one_hidden_layer, one_thread, series)
from helpers._gradients import _one_blas_thread
from helpers.model import is_plain_mlp

METRICS = ("mse", "log_loss", "accuracy")
# Elements of one batched pass: hidden units x rows for the MLP path, inputs x rows for the
# generic path. 2**20 float32 numbers are 4 MB: big enough that per-call overhead is small,
# small enough to stay in cache between the steps of one pass.
_BATCH_ELEMENTS = 2 ** 20
# When one copy of the rows is more than a pass, the rows are cut into blocks of a multiple of
# this many rows, so that the memory of a pass stays bounded however many rows there are.
_ROW_ALIGN = 4096


# ---------------------------------------------------------------- shared pieces
def _is_binary(model: nn.Module) -> bool:
    return getattr(model, "task", "regression") == "binary"


def _unit_permutations(rng: np.random.Generator, n_repeats: int, n: int) -> np.ndarray:
    """The next unit's row permutations, (n_repeats, n): ``rng.permuted`` along the rows of
    ``n_repeats`` copies of ``0 .. n-1``. Shuffled in place in a C-order array (``out=``): the
    same draws as into the column-major copy ``permuted`` makes by itself (the rows are shuffled
    one after the other either way), but each row's swaps stay in one stretch of memory, and
    the gathers downstream need C order (along a column-major index they come out transposed,
    six times slower)."""
    perms = np.empty((n_repeats, n), dtype=np.int64)
    return rng.permuted(np.broadcast_to(np.arange(n), (n_repeats, n)), axis=1, out=perms)


def _permutation_stream(rng: np.random.Generator, n_units: int, n_repeats: int, n: int):
    """Row permutations, one (n_repeats, n) array per unit (input or group), in order.

    Drawn unit by unit from ``rng``, so unit ``k`` gets the same permutations whatever the other
    units are: a group of one column equals a plain permutation of that column with the same seed.
    Each unit's draw runs in a background thread while the caller evaluates the previous unit
    (numpy's shuffle releases the GIL, and so does torch's arithmetic): on two cores the drawing
    costs almost nothing, and the draws stay in order, one at a time."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_unit_permutations, rng, n_repeats, n)
        for k in range(n_units):
            current = pending.result()
            if k + 1 < n_units:
                pending = pool.submit(_unit_permutations, rng, n_repeats, n)
            yield current


def _squared_error(pred: torch.Tensor, yt: torch.Tensor) -> np.ndarray:
    """Mean over the rows of ``(pred - y) ** 2`` in float64, (b, n) -> (b,). Computed in place on
    one float64 copy of ``pred``: the numbers of ``((pred.double() - yt) ** 2).mean(1)`` (torch
    squares by one multiplication either way), in half the time: one fresh buffer instead of three
    (a fresh buffer costs a page fault per 4 kB)."""
    err = pred.to(torch.float64, copy=True).sub_(yt)
    return err.mul_(err).mean(1).numpy()


def _metric(metric, model: nn.Module, y: np.ndarray):
    """(name, function of raw outputs (b, n) float tensor -> (b,) float64 array, higher_is_better)."""
    binary = _is_binary(model)
    yt = torch.as_tensor(y, dtype=torch.float64)
    if callable(metric):
        name = getattr(metric, "__name__", "callable")

        def custom(out):
            pred = torch.sigmoid(out.double()) if binary else out.double()
            values = [float(metric(y, p)) for p in pred.numpy()]
            return np.asarray(values, dtype=np.float64)
        return name, custom, False
    if metric is None:
        metric = "log_loss" if binary else "mse"
    check_choice("metric", metric, METRICS)
    if not binary and metric != "mse":
        raise ValueError(f"metric={metric!r} needs a binary model (model.task == 'binary'); "
                         "a regression model takes 'mse' or a callable")
    if binary and metric in ("log_loss", "accuracy") and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"metric={metric!r} needs y of 0s and 1s")
    if metric == "mse":
        if binary:  # the Brier score: squared error of the predicted probability
            return metric, lambda out: _squared_error(torch.sigmoid(out.double()), yt), False
        return metric, lambda out: _squared_error(out, yt), False
    if metric == "log_loss":  # -y log p - (1-y) log(1-p) with p = sigmoid(z), written stably in z
        return metric, lambda out: (nn.functional.softplus(out.double()) - yt * out.double()).mean(1).numpy(), False
    return metric, lambda out: ((out > 0).double() == yt).double().mean(1).numpy(), True


def _folded_layers(model: nn.Module):
    """(in-place activation, W1, b1, v, b2) of a one-hidden-layer MLP, float64, with tanh written
    as ``tanh(z) = 2 sigmoid(2z) - 1`` and the factors folded into the weights: torch's CPU
    sigmoid is about ten times faster than its tanh, and the output is the same function."""
    W1, b1, v, b2 = one_hidden_layer(model)
    if model.activation == "tanh":
        return torch.sigmoid_, 2 * W1, 2 * b1, 2 * v, b2 - v.sum()
    return {"sigmoid": torch.sigmoid_, "relu": torch.relu_}[model.activation], W1, b1, v, b2


def _picked(stream, draws):
    """The draws of ``stream`` at the (ascending) positions ``draws``, in order; the draws in
    between are made (so that the generator's state is as if every one were used) and dropped.
    Keeps no reference to a draw once handed on: on many rows each is large."""
    position = -1
    for want in draws:
        for _ in range(want - position - 1):
            next(stream)
        position = want
        yield next(stream)


def _pass_shape(n: int, width: int, n_repeats: int) -> tuple[int, int]:
    """(repeats, rows) of one batched pass over ``width`` numbers per row, about
    ``_BATCH_ELEMENTS`` in all. All the rows while one copy of them fits (several repeats at
    once when more fit); else one repeat and a block of a multiple of ``_ROW_ALIGN`` rows, so that
    a pass's memory does not grow with the number of rows."""
    if n * width <= _BATCH_ELEMENTS:
        return max(1, min(n_repeats, _BATCH_ELEMENTS // (n * width))), n
    return 1, min(n, max(_ROW_ALIGN, _BATCH_ELEMENTS // width // _ROW_ALIGN * _ROW_ALIGN))


class _Unit:
    """One unit (a column or a group): its column indices, and ``shuf`` and ``base - X`` at them
    as float32 arrays of the unit's own size, (n,) for a column, (n, g) for a group: memory for
    one unit at a time, never a copy of all of ``X`` per unit."""

    def __init__(self, cols, base: np.ndarray, shuf: np.ndarray, X: np.ndarray):
        self.cols = list(cols)
        at = self.cols[0] if len(self.cols) == 1 else self.cols
        self.shuf = torch.as_tensor(shuf[:, at], dtype=torch.float32)
        self.offset = torch.as_tensor(base[:, at] - X[:, at], dtype=torch.float32)

    def change(self, P: torch.Tensor, r0: int, r1: int) -> torch.Tensor:
        """``base + shuf[p] - X`` on the unit's columns at rows r0:r1 of the copies with the
        permutations ``P`` (b, n): (b, r1 - r0), or (b, r1 - r0, g) for a group."""
        rows = P[:, r0:r1]
        # index_select on the flattened indices: three times faster than indexing with a 2-D tensor
        new = self.shuf.index_select(0, rows.reshape(-1)).view(*rows.shape, *self.shuf.shape[1:])
        return new.add_(self.offset[r0:r1])


class _MLPCopies:
    """The outputs of the kit's ``MLP`` on shuffled copies of ``X``, from its weights.

    The first layer is linear, so changing the unit's columns by ``delta`` moves the hidden
    pre-activations by ``delta W1[:, unit]^T`` (rank one for a single column): ``Z = X W1^T + b1``
    is computed once, and each copy costs the activation and the output layer only. Hidden units
    along the middle axis, rows last, (repeats, h, rows): the rows stay contiguous."""

    def __init__(self, model: nn.Module, X: np.ndarray, n_repeats: int):
        f32 = torch.float32
        self.act, W1, b1, v, self.b2 = _folded_layers(model)
        h, n = W1.shape[0], X.shape[0]
        self.step, self.rows = _pass_shape(n, h, n_repeats)
        # Z in float64, then float32, a block of rows at a time (on many rows a float64 copy
        # of all of Z would be the largest array here); numpy's BLAS on one thread (the same
        # numbers): a second BLAS thread would keep spinning after this small product, taking
        # the core that draws the permutations
        self.Zt = torch.empty(h, n, dtype=f32)
        with _one_blas_thread():
            for r0 in range(0, n, self.rows):
                Z = X[r0:r0 + self.rows] @ W1.T
                Z += b1
                self.Zt[:, r0:r0 + self.rows] = torch.from_numpy(Z).T
        self.W1t = torch.as_tensor(W1, dtype=f32)                                # (h, d)
        self.vt = torch.as_tensor(v, dtype=f32)
        # one buffer reused by every pass: fresh large tensors cost a page fault per 4 kB
        self.H = torch.empty(self.step * h * self.rows)

    def baseline(self) -> torch.Tensor:
        return self.vt @ self.act(self.Zt.clone()) + self.b2                     # (n,)

    def outputs(self, unit: _Unit, P: torch.Tensor) -> torch.Tensor:
        """(b, n) outputs on the copies of ``unit`` with the permutations ``P`` (b, n)."""
        (h, n), b = self.Zt.shape, len(P)
        w = self.W1t[:, unit.cols]                                               # (h, g)
        out = torch.empty(b, n)
        for r0 in range(0, n, self.rows):
            r1 = min(n, r0 + self.rows)
            H = self.H[:b * h * (r1 - r0)].view(b, h, r1 - r0)
            delta = unit.change(P, r0, r1)
            if len(unit.cols) == 1:                                              # rank one
                torch.addcmul(self.Zt[:, r0:r1], delta.unsqueeze(1), w, out=H)
            else:                                                                # rank |group|
                torch.matmul(w, delta.transpose(1, 2), out=H).add_(self.Zt[:, r0:r1])
            self.act(H)
            torch.matmul(self.vt, H, out=out[:, r0:r1])           # contiguous: all rows, or b == 1
        return out.add_(self.b2)


class _ModelCopies:
    """The outputs of any model on shuffled copies of ``X``: copies stacked into big batches, one
    model call per pass (over blocks of rows when one copy is more than a pass)."""

    def __init__(self, model: nn.Module, X: np.ndarray, n_repeats: int):
        self.f = forward_fn(model)
        self.Xt = torch.as_tensor(X, dtype=torch.float32)
        n, d = X.shape
        self.step, self.rows = _pass_shape(n, d, n_repeats)
        self.batch = torch.empty(self.step, self.rows, d)

    def baseline(self) -> torch.Tensor:
        n = len(self.Xt)
        return torch.cat([self.f(self.Xt[r0:r0 + self.rows]) for r0 in range(0, n, self.rows)])

    def outputs(self, unit: _Unit, P: torch.Tensor) -> torch.Tensor:
        """(b, n) outputs on the copies of ``unit`` with the permutations ``P`` (b, n)."""
        (n, d), b = self.Xt.shape, len(P)
        out = torch.empty(b, n)
        for r0 in range(0, n, self.rows):
            r1 = min(n, r0 + self.rows)
            X = self.Xt[r0:r1]
            Xs = self.batch[:b, :r1 - r0]
            Xs.copy_(X)                                                          # b copies of the rows
            delta = unit.change(P, r0, r1)
            Xs[:, :, unit.cols] = (delta.unsqueeze(2) if len(unit.cols) == 1 else delta) + X[:, unit.cols]
            out[:, r0:r1] = self.f(Xs.reshape(-1, d)).reshape(b, r1 - r0)
        return out


def _scores(model, X, units, base, shuf, seed, n_repeats, loss, draws=None, with_permutations=False):
    """Loss of the model on every shuffled copy, and on X itself.

    Copy (unit k, repeat r) replaces the columns ``units[k]`` by ``base[t, j] + shuf[p[t], j]``
    at row t, with ``p`` the r-th permutation of draw ``draws[k]`` (default ``k``) from
    ``_permutation_stream(default_rng(seed), ...)``: ``base = 0, shuf = X`` is a plain permutation.
    ``draws`` ascending: a group drawing at its first column's position gets the permutations
    that column gets in ``permutation``, whatever the other groups are.
    ``loss`` is called on the unshuffled outputs (1, n) first, then on each unit's repeats in
    order, in batches (b, n); with ``with_permutations`` as ``loss(outputs, P)``, ``P`` the (b, n)
    permutations of the batch (the verdict's per-row statistics need to know each row's donor).
    Memory: ``X`` once in float32 (the MLP path: its hidden pre-activations), the current unit's
    columns and permutations, and one pass of at most ``_BATCH_ELEMENTS`` numbers (or one copy of
    the rows); nothing grows with the number of inputs times the size of ``X``.
    Returns (losses (n_repeats, n_units), baseline loss, whether the MLP path was used).
    """
    n, n_units = X.shape[0], len(units)
    draws = list(range(n_units)) if draws is None else [int(k) for k in draws]
    if any(b <= a for a, b in zip(draws, draws[1:])) or len(draws) != n_units:
        raise ValueError(f"draws must be {n_units} ascending positions, got {draws}")  # internal misuse
    out = np.empty((n_repeats, n_units))
    fast = is_plain_mlp(model)
    n_draws = draws[-1] + 1 if draws else 0
    stream = _picked(_permutation_stream(np.random.default_rng(seed), n_draws, n_repeats, n), draws)
    # one thread: these are many medium-sized element-wise passes, and on a small machine waking
    # a second thread for each costs more than it gains (measured in bench/speed.py)
    with torch.no_grad(), one_thread():
        copies = (_MLPCopies if fast else _ModelCopies)(model, X, n_repeats)
        baseline = loss(copies.baseline()[None])[0]
        for k, cols in enumerate(units):
            # next(), not zip(): zip would hold the previous unit's permutations while the next
            # are fetched and the ones after started; with the del below, two units' permutations
            # are in memory at a time, not three (on many rows each is large)
            unit, perms_k = _Unit(cols, base, shuf, X), torch.from_numpy(next(stream))
            for start in range(0, n_repeats, copies.step):
                P = perms_k[start:start + copies.step]                           # (b, n)
                outputs = copies.outputs(unit, P)
                out[start:start + len(P), k] = loss(outputs, P) if with_permutations else loss(outputs)
            del unit, perms_k, P
    return out, float(baseline), fast


def _result(method, losses, baseline, higher_is_better, names, info):
    increase = (baseline - losses) if higher_is_better else (losses - baseline)
    samples = frame(increase, names)
    samples.index.name = "repeat"
    return Importance(method, series(increase.mean(axis=0), names), series(increase.std(axis=0), names),
                      samples, None, {"baseline_score": baseline, **info})


def _prepare(model, X, y, n_repeats, metric, feature_names, groups=None):
    given = check_inputs(model, X, feature_names=feature_names, groups=groups)
    ya = as_target(y, len(given.X))
    n_repeats = check_positive_int("n_repeats", n_repeats)
    name, loss, higher = _metric(metric, model, ya)
    return given, ya, n_repeats, name, loss, higher


def _grouped_result(method, losses, baseline, higher, given, info):
    """``_result`` indexed by the groups (or the columns when none were given)."""
    return _result(method, losses, baseline, higher, given.index(), {**info, **given.info()})


# ---------------------------------------------------------------- the measures
def permutation(model: nn.Module, X, y, *, n_repeats: int = 10, seed: int = 0,
                metric: str | Callable | None = None, feature_names: Sequence[str] | None = None,
                groups=None) -> Importance:
    """Permutation importance: how much the loss grows when one input's column is shuffled.

    For input ``i`` and repeat ``r``, the rows of column ``i`` are put in a random order
    ``pi_ir`` (the other columns untouched) and

        importance_ir = L(y, f(X with x_i -> x_i[pi_ir])) - L(y, f(X))

    for a loss ``L`` (for accuracy, a score, the sign is turned: the drop in accuracy), so a bigger
    number means a more important input either way. ``values`` is the mean over repeats.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, d) float32 to (n,) or (n, 1): a prediction, or a logit if
        ``model.task == "binary"``. The kit's ``MLP`` takes a fast exact path (its first layer is
        linear, so a shuffled column moves the hidden pre-activations by a rank-one term).
    X : array or DataFrame (n, d)
        Data to shuffle, preferably held out (not the training rows).
    y : array (n,)
        Target for the rows of ``X``.
    n_repeats : int, default 10
        Shuffles per input; at least 1.
    seed : int, default 0
        Seeds ``np.random.default_rng``; one permutation per (input, repeat) is drawn from it.
    metric : {"mse", "log_loss", "accuracy"} or callable, default None
        None means "mse" for a regression model and "log_loss" for a binary one. "mse" of a binary
        model is the Brier score of ``sigmoid(logit)``; "accuracy" thresholds the probability at
        0.5. A callable ``metric(y_true, y_pred) -> float`` is taken as a loss (smaller is better)
        and gets predictions (probabilities for a binary model); pass the negative of a score.
    feature_names : sequence of str, default None
        Names of the inputs; else the DataFrame's columns, the model's saved names, or x1..xd.
    groups : mapping of str -> list of str, optional
        Groups of columns reported as one input (``helpers._base.check_groups``; columns in no
        group stay on their own). A group's columns are **shuffled together**: one row order per
        repeat for all of them, so each shuffled row keeps a real row's values within the group
        (the one-hot columns of a category stay a valid one-hot row). This is the computation of
        ``grouped_permutation``. A group draws the permutations of its first column, so a group
        of one column gets exactly the numbers ``permutation`` gives that column with the same
        seed, whatever the other groups are.

    Returns
    -------
    Importance
        ``values``: mean increase per input (or group); ``std``: its standard deviation over
        repeats (``np.std``, ddof=0, as scikit-learn); ``samples``: the raw increases,
        n_repeats x d (or x groups); ``info``: ``baseline_score`` (the metric on unshuffled
        ``X``), ``metric``, ``n_repeats``, ``seed``, ``fast_path``, and with groups ``groups``.

    References
    ----------
    Breiman, L. (2001). Random forests. Machine Learning 45, 5-32.
    Fisher, A., Rudin, C. & Dominici, F. (2019). All models are wrong, but many are useful:
    learning a variable's importance by studying an entire class of prediction models
    simultaneously. JMLR 20(177), 1-81.

    When it misleads
    ----------------
    Correlated inputs: shuffling one of two correlated inputs makes rows that never occur in the
    data (a tall person with a tiny shoe size), and the model is judged where it was never
    trained; the number then reflects extrapolation as much as importance. And if the model
    spreads its use over both inputs, each can look less important than the pair. Use
    ``grouped_permutation`` or ``conditional_permutation`` there. On training rows an overfitted
    model makes noise inputs look important: use held-out data. The result is importance *for
    this model*, not for the data-generating process. With groups, the measure answers for the
    group as a whole (see ``grouped_permutation``): a category is important when its level,
    moved to another row, costs accuracy.

    Examples
    --------
    >>> imp = permutation(model, X_test, y_test, n_repeats=30, seed=0)   # doctest: +SKIP
    >>> imp.values.sort_values(ascending=False).head(3)                  # doctest: +SKIP
    """
    given, ya, n_repeats, name, loss, higher = _prepare(model, X, y, n_repeats, metric, feature_names, groups)
    seed = check_seed(seed)
    Xa, units = given.X, list(given.groups.values())
    # np.zeros, not zeros_like: its pages are mapped only when written, and _scores only reads them
    losses, baseline, fast = _scores(model, Xa, units, np.zeros(Xa.shape), Xa, seed, n_repeats, loss,
                                     draws=[cols[0] for cols in units])
    return _grouped_result("permutation", losses, baseline, higher, given,
                           {"metric": name, "n_repeats": n_repeats, "seed": seed, "fast_path": fast})


def grouped_permutation(model: nn.Module, X, y, *, groups, n_repeats: int = 10, seed: int = 0,
                        metric: str | Callable | None = None,
                        feature_names: Sequence[str] | None = None) -> Importance:
    """Grouped permutation importance: shuffle a group of inputs together, one number per group.

    For group ``G`` and repeat ``r`` every column of ``G`` gets the *same* row order ``pi_Gr``,
    so the rows keep their values within the group (the group's inner correlations survive) while
    the group's link to the other inputs and to ``y`` is broken:

        importance_Gr = L(y, f(X with x_G -> x_G[pi_Gr])) - L(y, f(X))

    Parameters
    ----------
    model : torch.nn.Module
        As in ``permutation``.
    X : array or DataFrame (n, d)
    y : array (n,)
    groups : dict of str -> list of str, or list of lists of str
        The groups, by feature name. For a list of lists a group is named by joining its
        features with "+" (``[["x1", "x2"]]`` gives "x1+x2"). Groups may overlap, and only the
        groups given are reported (``permutation(..., groups=...)`` instead reports every column,
        each group once, and needs groups that do not overlap).
    n_repeats : int, default 10
    seed : int, default 0
        Permutations are drawn group by group in order, so a group of one feature gets the same
        permutations as that feature would in ``permutation`` if it held the same position.
    metric : {"mse", "log_loss", "accuracy"} or callable, default None
        As in ``permutation``.
    feature_names : sequence of str, default None

    Returns
    -------
    Importance
        Indexed by group name; ``std``, ``samples`` (n_repeats x groups) and ``info`` as in
        ``permutation``, plus ``info["groups"]`` (group name -> feature names).

    References
    ----------
    Gregorutti, B., Michel, B. & Saint-Pierre, P. (2015). Grouped variable importance with random
    forests and application to multiple functional data analysis. Computational Statistics &
    Data Analysis 90, 15-35.

    When it misleads
    ----------------
    It answers a question about the group, not about its members: a group can be important
    because of one member. Groups must be chosen (for example by clustering the correlation
    matrix); different groupings give different answers. Correlation *between* groups brings
    back the problem of the plain measure.
    """
    given, ya, n_repeats, name, loss, higher = _prepare(model, X, y, n_repeats, metric, feature_names)
    seed = check_seed(seed)
    Xa, names = given.X, given.names
    chosen = check_groups(groups, names, partition=False)
    labels, units = list(chosen), list(chosen.values())
    losses, baseline, fast = _scores(model, Xa, units, np.zeros(Xa.shape), Xa, seed, n_repeats, loss)
    result = _result("grouped_permutation", losses, baseline, higher, labels,
                     {"metric": name, "n_repeats": n_repeats, "seed": seed, "fast_path": fast,
                      "groups": {lab: [names[j] for j in u] for lab, u in zip(labels, units)}})
    result.values.index.name = result.std.index.name = result.samples.columns.name = "group"
    return result


CONDITION_LIMIT = 1e8
"""Largest condition number of the inputs' correlation matrix for which the residuals are read
off its inverse (``_residuals_from_precision``); above it, one least-squares solve per unit."""


def _residuals_from_precision(X: np.ndarray, units) -> np.ndarray | None:
    """The OLS residuals of every unit's columns on the other columns (with an intercept), all
    from one inverse, or None when the columns are too close to collinear for it.

    With ``Xc`` the centred columns and ``P = (Xc^T Xc)^-1``, the residual of the block ``G``
    regressed on the rest is ``Xc P[:, G] P[G, G]^-1`` (the partitioned inverse: the columns of
    ``Xc P`` are orthogonal to every other column, and ``P[G, G]^-1`` rescales them so that the
    block's own coefficient is one). One (n, d) x (d, d) product replaces d least-squares solves of
    (n, d) each, so the cost grows as n d^2 instead of n d^3: at 20,000 rows x 100 inputs, a
    fraction of a second instead of half a minute. The numbers equal ``lstsq``'s to float64
    rounding (about 1e-12 relative); collinear or nearly collinear columns, where the inverse
    loses its digits, take the least-squares route instead.
    """
    Xc = X - X.mean(axis=0)
    gram = Xc.T @ Xc
    scale = np.sqrt(np.diag(gram))
    if not (scale > 0).all():
        return None                                                # a constant column
    corr = gram / np.outer(scale, scale)
    eig = np.linalg.eigvalsh(corr)
    if eig[0] <= 0 or eig[-1] / eig[0] > CONDITION_LIMIT:
        return None
    P = np.linalg.inv(corr) / np.outer(scale, scale)              # (Xc^T Xc)^-1, from the scaled inverse
    XP = Xc @ P
    resid = np.empty_like(X)
    for cols in units:
        block = P[np.ix_(cols, cols)]
        resid[:, cols] = np.linalg.solve(block, XP[:, cols].T).T
    return resid


def _linear_conditional(X: np.ndarray, units=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each unit (a column, or a group of columns that do not overlap): the OLS fit of its
    columns on the other columns with an intercept (one least-squares solve, a right-hand side
    per column of the unit).
    Returns (fitted (n, d), residuals (n, d), R^2 per unit: 1 - the unit's residual sum of
    squares over its total sum of squares, pooled over its columns)."""
    n, d = X.shape
    units = [[i] for i in range(d)] if units is None else units
    resid = _residuals_from_precision(X, units)
    if resid is None:   # (nearly) collinear columns: one least-squares solve per unit
        fitted = np.empty_like(X)
        for cols in units:
            A = np.column_stack([np.ones(n), np.delete(X, cols, axis=1)])
            target = X[:, cols[0]] if len(cols) == 1 else X[:, cols]
            coef, *_ = np.linalg.lstsq(A, target, rcond=None)
            fitted[:, cols] = (A @ coef).reshape(n, len(cols))
        resid = X - fitted
    else:
        fitted = X - resid
    # both sums of squares through one scratch array, squared in place (the numbers of
    # ``(a ** 2).sum(axis=0)``): on large data, two fewer copies of X at once
    scratch = X - X.mean(axis=0)
    total = np.square(scratch, out=scratch).sum(axis=0)
    rss = np.square(resid, out=scratch).sum(axis=0)
    total_u = np.array([total[cols].sum() for cols in units])
    rss_u = np.array([rss[cols].sum() for cols in units])
    r2 = np.where(total_u > 0, 1 - rss_u / np.where(total_u > 0, total_u, 1), 0.0)
    return fitted, resid, r2


def conditional_permutation(model: nn.Module, X, y, *, n_repeats: int = 10, seed: int = 0,
                            metric: str | Callable | None = None,
                            feature_names: Sequence[str] | None = None, groups=None) -> Importance:
    """Conditional permutation importance: shuffle only the part of an input the others do not explain.

    Each input is split by ordinary least squares (with an intercept) on the other inputs, over
    the rows of ``X`` (all inputs from one inverse of their correlation matrix, or one
    ``np.linalg.lstsq`` per input when they are nearly collinear; see ``_residuals_from_precision``):

        x_i = xhat_i + e_i,   xhat_i = a_i + X_{-i} b_i,
        x_i' = xhat_i + e_i[pi_ir],
        importance_ir = L(y, f(X with x_i -> x_i')) - L(y, f(X))

    The shuffled copy keeps what the other inputs say about ``x_i`` and draws the rest from the
    other rows: a draw from the conditional distribution of ``x_i`` given the others when that
    distribution is linear-Gaussian (the idea of Strobl et al. 2008, here with a linear model of
    the dependence). An input whose information the others carry scores near 0: the measure asks
    what the input adds *beyond* the others. For an input unrelated to the others it is close to
    ``permutation``.

    Parameters
    ----------
    model : torch.nn.Module
        As in ``permutation``.
    X : array or DataFrame (n, d)
    y : array (n,)
    n_repeats : int, default 10
    seed : int, default 0
        Permutations are drawn exactly as in ``permutation``.
    metric : {"mse", "log_loss", "accuracy"} or callable, default None
        As in ``permutation``.
    feature_names : sequence of str, default None
    groups : mapping of str -> list of str, optional
        Groups of columns reported as one input. A group's columns are regressed **together** on
        the columns outside the group (one OLS fit, a right-hand side per column),
        ``X_G = XHAT_G + E_G``, and the residual *rows* are shuffled jointly, one row order per
        repeat: ``X_G' = XHAT_G + E_G[pi]``. The group is judged on what it adds beyond the
        other inputs, with its inner structure kept in the residuals. A group of one column is
        exactly the ungrouped measure; groups draw permutations as in ``permutation``.

    Returns
    -------
    Importance
        As ``permutation``, plus ``info["r2"]``: the share of each input's (or group's, pooled
        over its columns) variance that the other inputs explain linearly (near 1: little is
        left to shuffle).

    References
    ----------
    Strobl, C., Boulesteix, A.-L., Kneib, T., Augustin, T. & Zeileis, A. (2008). Conditional
    variable importance for random forests. BMC Bioinformatics 9, 307.
    Fisher, A., Rudin, C. & Dominici, F. (2019), JMLR 20(177): conditional model reliance.

    When it misleads
    ----------------
    It assumes that each input depends on the others linearly, with residuals that do not depend
    on the others (homoscedastic). A nonlinear dependence (x2 = x1 squared) is not removed, and the
    shuffled rows are again off the data. With many inputs and few rows the regression overfits
    and leaves too little to shuffle. And an input that *causes* the target but is copied by
    another input scores near 0: "adds nothing beyond the others" is not "does not matter".
    For a one-hot group the fitted part is a linear-probability prediction of each level, so the
    shuffled rows are no longer 0/1 rows (values between and beyond the levels): an
    approximation, off the data in the way the plain measure is for a skewed input.
    """
    given, ya, n_repeats, name, loss, higher = _prepare(model, X, y, n_repeats, metric, feature_names, groups)
    seed = check_seed(seed)
    Xa, units = given.X, list(given.groups.values())
    fitted, resid, r2 = _linear_conditional(Xa, units)
    losses, baseline, fast = _scores(model, Xa, units, fitted, resid, seed, n_repeats, loss,
                                     draws=[cols[0] for cols in units])
    return _grouped_result("conditional_permutation", losses, baseline, higher, given,
                           {"metric": name, "n_repeats": n_repeats, "seed": seed, "fast_path": fast,
                            "r2": series(r2, given.index()), "conditional": "linear (OLS on the other inputs)"})

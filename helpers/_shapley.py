"""Interventional Shapley values: exact over all 2^d coalitions, or by sampled orderings.

The game, for one row ``x`` and a background sample ``B`` (m rows): the value of a coalition
``S`` of inputs is the model's mean output when the inputs in ``S`` take their values from ``x``
and the others from each background row in turn,

    v_x(S) = (1/m) sum_b f(x_S, b_{-S}).

The Shapley value of input ``i`` is its marginal contribution averaged over coalitions,

    phi_i(x) = sum_{S not containing i} |S|! (d - |S| - 1)! / d! * (v_x(S + i) - v_x(S)),

which, written per coalition, is ``phi = C @ v`` with a fixed (d, 2^d) matrix ``C``: the
coefficient of ``v(S)`` is ``+w(|S| - 1)`` for ``i`` in ``S`` and ``-w(|S|)`` otherwise.

Everything is batched. For the kit's ``MLP`` the first layer is linear, so the hidden
pre-activations of a masked row split into a part from ``x`` and a part from ``b``:
``W1 (x_S + b_{-S}) + b1 = W1 (m_S * x) + (W1 ((1 - m_S) * b) + b1)``. Both parts are computed
once per coalition (2^d x n and 2^d x m small products) and only their sum goes through the
activation. That leaves 2^d x n x m x h activations (2e8 for 10 inputs, 100 rows, 100 background
rows and 20 hidden units), which is the whole cost, so they are done as three passes over one
reused, cache-sized float32 buffer (laid out hidden unit, row, background row): the broadcast sum
of the two parts, the activation in place, and the sum over the background rows. The output
weights are applied after that sum, to 2^d x n x h numbers, in float64. The coalitions are shared
out over torch's threads, one Python thread each (see ``_values_mlp``). No activation is skipped:
only the empty and the full coalition (2 of 2^d) have fewer distinct masked rows, not worth a
special case. Any other module gets the masked rows stacked into large batches.
"""
from __future__ import annotations

import math
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn

from helpers._base import (Importance, as_matrix, check_choice, check_inputs, check_positive_int, check_seed,
                           forward_fn, frame, one_hidden_layer, one_thread, series)
from helpers.model import MLP, is_plain_mlp

METHODS = ("auto", "exact", "sampling")
MAX_EXACT = 12
"""Most players (inputs, or groups of inputs) for exact Shapley values: 2^12 = 4096 coalitions
per row and background row."""
# Numbers in one batched pass. The MLP path streams 2^d n m h activations through a buffer of this
# many float32 (1 MB: it stays in a core's L2 cache, while each torch call is still large enough for
# its per-call overhead not to count); the generic path stacks this many inputs per model call.
_CHUNK = 2 ** 18
# The MLP path's activations, in place on its buffer. tanh stays tanh: torch's vectorised tanh_ is
# faster on CPU than sigmoid_ with tanh folded into it, and has no cancellation from the fold.
_IN_PLACE = {"tanh": torch.tanh_, "sigmoid": torch.sigmoid_, "relu": torch.relu_}


# ---------------------------------------------------------------- coalitions and their weights
def all_coalitions(d: int) -> np.ndarray:
    """Every subset of ``d`` inputs as a boolean mask, (2^d, d); row ``k`` is the binary digits of ``k``."""
    return ((np.arange(2 ** d)[:, None] >> np.arange(d)) & 1).astype(bool)


def shapley_matrix(masks: np.ndarray) -> np.ndarray:
    """The (d, 2^d) matrix ``C`` with ``phi = C @ v`` for the coalitions ``masks`` (all of them).

    ``C[i, S] = w(|S| - 1)`` when ``i`` is in ``S`` and ``-w(|S|)`` when not, with
    ``w(s) = s! (d - s - 1)! / d!``, the Shapley weight of a coalition of size ``s`` joined by one more input.
    """
    d = masks.shape[1]
    w = np.array([math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d) for s in range(d)])
    size = masks.sum(axis=1)
    plus = w[np.clip(size - 1, 0, d - 1)]          # used only where i is in S, so |S| >= 1
    minus = w[np.clip(size, 0, d - 1)]             # used only where i is not in S, so |S| <= d - 1
    return np.where(masks.T, plus[None, :], -minus[None, :])


def _sampled_orderings(d: int, n_permutations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Coalitions along random orderings of the inputs, with antithetic pairs (an ordering and its
    reverse), and the matrix turning their values into Shapley estimates.

    Returns ``masks`` (P (d + 1), d) and ``C`` (d, P (d + 1)): along each ordering the coalitions grow
    from empty to full, and input ``i``'s estimate is the mean over orderings of
    ``v(prefix with i) - v(prefix before i)``.
    """
    rng = np.random.default_rng(seed)
    half = (n_permutations + 1) // 2
    orders = [rng.permutation(d) for _ in range(half)]
    orders = [o for pair in zip(orders, (o[::-1] for o in orders)) for o in pair][:n_permutations]
    P = len(orders)
    masks = np.zeros((P, d + 1, d), dtype=bool)
    C = np.zeros((d, P, d + 1))
    for p, order in enumerate(orders):
        for k, i in enumerate(order):
            masks[p, k + 1:, i] = True              # i joins at step k + 1
            C[i, p, k + 1] += 1.0 / P
            C[i, p, k] -= 1.0 / P
    return masks.reshape(-1, d), C.reshape(d, -1)


# ---------------------------------------------------------------- the value of every coalition
def _mean_outputs(act, W1: torch.Tensor, b1: torch.Tensor, v: torch.Tensor, X: torch.Tensor,
                  B: torch.Tensor, M: torch.Tensor, out: torch.Tensor) -> None:
    """Fill ``out`` (k, n), float64, with ``mean_b v . act(a + q)`` for the k coalitions ``M`` (k, d).

    With ``Wx = W1 * m_S`` (the first layer's columns of the inputs in ``S``), the pre-activation
    of hidden unit ``j`` for row ``x`` and background row ``b`` is ``a[j, x] + q[j, b]``, where
    ``a = Wx X^T`` and ``q = (W1 - Wx) B^T + b1``: two small float64 products per coalition. Then,
    chunk by chunk of coalitions and rows, three passes over one reused float32 buffer laid out
    (coalition, unit, row, background row): the broadcast sum ``a + q``, the activation in place,
    and the sum over the background rows. The output weights ``v`` come last, once per
    (coalition, unit, row) and in float64, instead of once per activation.

    Why this shape: the activations are nearly all the work, so the rest must cost little next
    to them. The buffer, ``_CHUNK`` floats reused from chunk to chunk, stays in cache (a fresh
    large tensor per chunk costs a page fault per 4 kB and goes out to memory); with the
    background rows last, the broadcast sum writes a contiguous run per (unit, row) and the sum
    is a contiguous reduction. A chunk never splits one (unit, row)'s background rows, so the
    numbers do not depend on the chunk size nor on how the coalitions are shared out.
    """
    n, m, h = len(X), len(B), len(b1)
    rows = min(n, max(1, _CHUNK // (h * m)))                         # rows of X per pass
    per_pass = max(1, _CHUNK // (h * m * n)) if rows == n else 1     # coalitions per pass
    # a, q and the sums for this many coalitions at a time, a quarter of the buffer's size: large
    # blocks cost more than they save (fresh memory to fault in, products out of cache)
    per_block = per_pass * max(1, _CHUNK // (4 * per_pass * h * (n + m)))
    buffer = torch.empty(per_pass, h, rows, m)
    sums = torch.empty(min(per_block, len(M)), h, n)                 # sum over b of act(a + q)
    for s in range(0, len(M), per_block):
        Wx = M[s:s + per_block, None, :] * W1                          # (k, h, d)
        a = (Wx @ X.T).float().unsqueeze(3)                             # (k, h, n, 1)
        q = ((W1 - Wx) @ B.T + b1[:, None]).float().unsqueeze(2)        # (k, h, 1, m)
        k = len(a)
        chunks = zip(a.split(per_pass), q.split(per_pass), sums[:k].split(per_pass))
        if rows < n:                                                  # one coalition per pass, split by rows
            chunks = ((a_r, q_c, s_r) for a_c, q_c, s_c in chunks
                      for a_r, s_r in zip(a_c.split(rows, dim=2), s_c.split(rows, dim=2)))
        # each chunk three torch calls and nothing else: between calls a thread holds the GIL,
        # which the other threads wait for
        for a_c, q_c, s_c in chunks:
            H = (buffer if s_c.shape == buffer.shape[:3]                # a last, smaller chunk: the buffer's start
                 else buffer.view(-1)[:s_c.numel() * m].view(*s_c.shape, m))
            torch.add(a_c, q_c, out=H)
            act(H)
            torch.sum(H, dim=3, out=s_c)
        torch.matmul(v, sums[:k].double(), out=out[s:s + k])
    out /= m


def _values_mlp(model: MLP, X: np.ndarray, B: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """v_x(S) for every coalition (rows of ``masks``) and row of ``X``: (n_masks, n), float64.

    ``v_x(S) = mean_b v . act(a + q) + b2`` from ``_mean_outputs``, in parallel by coalitions:
    they are cut into one contiguous share per torch thread, each share computed by a Python
    thread of its own (torch releases the GIL inside its kernels) while torch itself runs on one
    thread. torch's own threading would split every one of the thousands of calls and meet at a
    barrier after each, and a barrier waits for the slower thread: on a machine shared with other
    processes that made the computation several times slower than on one thread, while
    independent shares only ever wait once, at the end. Each coalition's numbers are the same
    whichever thread computes it, so the result does not depend on the thread count.
    """
    W1, b1, v, b2 = one_hidden_layer(model)
    W1, b1, v = torch.as_tensor(W1), torch.as_tensor(b1), torch.as_tensor(v)
    act = _IN_PLACE[model.activation]
    Xt, Bt, M = torch.as_tensor(X), torch.as_tensor(B), torch.as_tensor(masks, dtype=torch.float64)
    n, m, h = len(X), len(B), len(b1)
    out = torch.empty(len(M), n, dtype=torch.float64)
    # one share per thread, but no thread for less than a few chunks of work, nor without a coalition
    workers = max(1, min(torch.get_num_threads(), len(M), len(M) * n * m * h // (4 * _CHUNK)))
    bounds = np.linspace(0, len(M), workers + 1).astype(int)

    def share(i):
        lo, hi = bounds[i], bounds[i + 1]
        with torch.no_grad():                                         # grad mode is per thread
            _mean_outputs(act, W1, b1, v, Xt, Bt, M[lo:hi], out[lo:hi])

    with one_thread():
        if workers == 1:
            share(0)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(share, range(workers)))                 # list() re-raises a worker's error
    return (out + b2).numpy()


def _values_generic(model: nn.Module, X: np.ndarray, B: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """v_x(S) for any module: masked rows stacked into large batches. (n_masks, n), float64."""
    f = forward_fn(model)
    n, d = X.shape
    m = len(B)
    Xt, Bt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(B, dtype=torch.float32)
    M = torch.as_tensor(masks)
    out = np.empty((len(masks), n))
    step = max(1, _CHUNK // (n * m * d))
    with torch.no_grad():
        for s in range(0, len(masks), step):
            Ms = M[s:s + step, None, None, :]                             # (k, 1, 1, d)
            rows = torch.where(Ms, Xt[None, :, None, :], Bt[None, None, :, :])   # (k, n, m, d)
            k = rows.shape[0]
            out[s:s + k] = f(rows.reshape(-1, d)).reshape(k, n, m).mean(dim=2).double().numpy()
    return out


def coalition_values(model: nn.Module, X, background, masks) -> np.ndarray:
    """``v_x(S) = mean_b f(x_S, b_{-S})`` for every coalition (boolean rows of ``masks``) and row
    of ``X``, as an (n_masks, n) array; ``f`` is the raw output (the logit of a binary model)."""
    X, B = np.asarray(X, dtype=np.float64), np.asarray(background, dtype=np.float64)
    masks = np.asarray(masks, dtype=bool)
    if is_plain_mlp(model):
        return _values_mlp(model, X, B, masks)
    return _values_generic(model, X, B, masks)


# ---------------------------------------------------------------- the measure
def shapley(model: nn.Module, X, background=None, *, method: str = "auto", n_background: int = 100,
            n_permutations: int = 64, seed: int = 0, feature_names=None, groups=None) -> Importance:
    """Interventional Shapley values of each row, exact for up to 12 inputs; global = mean |phi|.

    For row ``x``, the value of a coalition ``S`` is ``v_x(S) = mean_b f(x_S, b_{-S})`` over the
    background rows ``b`` (inputs outside ``S`` take the background's values), and

        phi_i(x) = sum_{S not containing i} |S|! (d - |S| - 1)! / d! * (v_x(S + i) - v_x(S)).

    Efficiency: ``sum_i phi_i(x) = f(x) - mean_b f(b)`` for every row; ``info["delta"]`` is the
    gap to the model's own outputs (float32 rounding, about 1e-6, for a correct computation). ``values`` is ``mean_rows |phi_i(x)|``. ``f`` is the raw output, the logit
    for a binary model. Exact means all ``2^d`` coalitions, each evaluated for every row and
    background row in one batched computation (no sampling, no ``d!`` orderings).

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, d) float32 to (n,) or (n, 1). The kit's ``MLP`` takes a faster exact path (its first
        layer is linear: the part of the hidden pre-activation from ``x`` and from ``b`` are computed
        once per coalition).
    X : array-like (n, d)
        The rows to explain.
    background : array-like (m, d), optional
        The rows that stand in for "absent" inputs. Default: ``n_background`` rows of ``X`` drawn
        with ``seed`` (all of ``X`` if it has fewer).
    method : {"auto", "exact", "sampling"}, default "auto"
        "exact" enumerates the ``2^d`` coalitions (d at most 12). "sampling" averages marginal
        contributions over ``n_permutations`` random orderings (antithetic pairs), an unbiased
        estimate whose rows still satisfy efficiency exactly. "auto": exact up to 12 inputs,
        sampling beyond, with a warning that says so.
    n_background : int, default 100
        Background rows drawn from ``X`` when ``background`` is None.
    n_permutations : int, default 64
        Orderings for "sampling".
    seed : int, default 0
        Seeds the background draw and the orderings.
    feature_names : sequence of str, optional
        Names of the d inputs; default the columns of a DataFrame ``X``, the model's saved names,
        or ``x1 .. xd``.
    groups : mapping of str -> list of str, optional
        Groups of columns that play as **one player** (e.g. a category's one-hot columns): a
        coalition holds a group's columns all from ``x`` or all from the background row, so a
        masked row keeps a real row's values within each group (a valid one-hot row). The game
        has g players (the groups, columns in no group being their own), exact over the ``2^g``
        coalitions (g at most 12, else sampled orderings of the groups); efficiency still holds,
        ``sum_G phi_G(x) = f(x) - mean_b f(b)``. Groups of one column give the ungrouped values.

    Returns
    -------
    Importance
        ``method="shapley"``; ``values`` the mean absolute Shapley value; ``local`` the per-row
        values (n, d), or (n, groups); ``info``: ``signed`` (mean phi), ``base_value`` (mean f
        over the background), ``delta`` (per-row efficiency error), ``exact`` (bool),
        ``n_coalitions``, ``n_background``, ``note``, and with groups ``groups``.

    When it misleads
    ----------------
    "Absent" means "replaced by a background row", so with correlated inputs the masked rows mix
    values that never occur together (the same off-data problem as permutation), and the answer
    depends on the background chosen. Credit is shared by a fairness rule: two inputs that carry
    the same information split the credit, so neither looks as important as the pair. An
    interaction's effect is split equally between its inputs, whatever its shape. A group's value
    is not the sum of its columns' ungrouped values (the game changes: a lone one-hot column is
    never moved on its own); grouping correlated inputs is one remedy for the off-data rows.

    References
    ----------
    Shapley, L. S. (1953). A value for n-person games. Contributions to the Theory of Games II, 307-317.
    Lundberg, S. M. & Lee, S.-I. (2017). A unified approach to interpreting model predictions. NeurIPS 30.
    Strumbelj, E. & Kononenko, I. (2014). Explaining prediction models and individual predictions
    with feature contributions. Knowledge and Information Systems 41, 647-665 (the sampling estimate).
    """
    check_choice("method", method, METHODS)
    given = check_inputs(model, X, feature_names=feature_names, groups=groups)
    Xa = given.X
    n, d = Xa.shape
    g = len(given.groups)
    word = "groups of inputs" if given.grouped else "inputs"
    n_permutations = check_positive_int("n_permutations", n_permutations)
    n_background = check_positive_int("n_background", n_background)
    seed = check_seed(seed)
    if background is None:
        rng = np.random.default_rng(seed)
        B = Xa if n <= n_background else Xa[np.sort(rng.choice(n, n_background, replace=False))]
    else:
        B = as_matrix(background, "background")
        if B.shape[1] != d:
            raise ValueError(f"background has {B.shape[1]} columns but X has {d}")
    if method == "exact" and g > MAX_EXACT:
        if given.grouped:
            raise ValueError(f"exact Shapley values need 2^g coalitions: g={g} groups of inputs gives {2 ** g:,}, "
                             f"too many (at most {MAX_EXACT} groups); use method='sampling'")
        raise ValueError(f"exact Shapley values need 2^d coalitions: d={d} inputs gives {2 ** d:,}, "
                         f"too many (at most {MAX_EXACT} inputs); use method='sampling'")
    exact = method == "exact" or (method == "auto" and g <= MAX_EXACT)
    if exact:
        masks = all_coalitions(g)                             # over the players: (2^g, g)
        C = shapley_matrix(masks)
        note = f"exact: all {2 ** g} coalitions, {len(B)} background rows"
    else:
        masks, C = _sampled_orderings(g, n_permutations, seed)
        note = (f"sampled: {g} {word} are too many for exact Shapley values (2^{g} coalitions), so they are "
                f"estimated from {n_permutations} random orderings; expect some Monte Carlo noise")
        if method == "auto":
            warnings.warn(f"shapley: {note}", UserWarning, stacklevel=2)
    if given.grouped:                                         # a player's mask covers its columns
        masks_cols = (masks.astype(np.float64) @ given.membership().T) > 0   # (n_masks, d)
    else:
        masks_cols = masks
    values = coalition_values(model, Xa, B, masks_cols)      # (n_masks, n), one batched pass
    phi = (C @ values).T                                      # (n, g)
    # efficiency checked against the model itself, not against the coalition values phi came from
    f = forward_fn(model)
    with torch.no_grad():
        f_x = f(torch.as_tensor(Xa, dtype=torch.float32)).double().numpy()
        base = f(torch.as_tensor(B, dtype=torch.float32)).double().numpy().mean()
    delta = phi.sum(axis=1) - (f_x - base)
    index = given.index()
    return Importance("shapley", series(np.abs(phi).mean(axis=0), index), local=frame(phi, index),
                      info={"signed": series(phi.mean(axis=0), index), "base_value": float(base),
                            "delta": delta, "exact": bool(exact), "n_coalitions": int(len(masks)),
                            "n_background": int(len(B)), "note": note, **given.info()})

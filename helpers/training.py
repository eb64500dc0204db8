"""Training the kit's nets: ``train`` fits one ``MLP``; ``train_many`` fits many nets of the same
shape (other seeds, other data such as one input replaced by its mean) in one batched
computation; ``train_module`` fits any module (a ``DeepMLP``) with mini-batch Adam.

``train`` *is* ``train_many`` with one net, so the two agree by construction, and a net trained
in a batch equals the same net trained alone up to float rounding of the batched matrix
products. Over a long training those last-digit differences can grow (seen: held-out losses 0.5%
apart after 1000 epochs at lr 0.01), as between any two machines; the same call always gives the
same bits.

Training, in brief: inputs are expected standardised (the data step's job, see
``helpers.data.standardize``); a regression target is standardised inside training and the
scale folded back into the output layer, so the returned model predicts in the target's units.
Full-batch Adam (mini-batches of ``BATCH_SIZE`` rows on larger data), a seeded validation split,
early stopping that keeps the weights of the best validation epoch. Everything random takes
``seed``; training runs on one CPU thread so that the same data and seed give the same bits
whatever the machine's thread settings. These names are importable from ``helpers.model`` too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from helpers._base import check_choice, one_thread
from helpers.model import ACTIVATIONS, MLP, TASKS


@dataclass
class TrainResult:
    """What ``train`` returns: the fitted ``model`` and its ``history``.

    ``history`` has one row per epoch run: ``epoch``, ``train_loss``, ``val_loss`` (mean squared
    error in the target's units for a regression, log-loss for a binary task). ``best_epoch`` is the
    epoch whose weights were kept; ``train_rows`` and ``val_rows`` index the rows of ``X`` used for
    fitting and for early stopping (on large data, a fixed subset of the validation split: see
    ``train_many``). With mini-batches, ``train_loss`` is the loss on the epoch's batch.
    """
    model: MLP
    history: pd.DataFrame
    best_epoch: int
    seed: int
    train_rows: np.ndarray = field(repr=False)
    val_rows: np.ndarray = field(repr=False)


class Adam:
    """Adam with L2 weight decay, exactly as ``torch.optim.Adam`` computes it on the CPU (the
    operations of its single-tensor path in the same order, so the same bits; each applied to all
    parameters in one ``torch._foreach_`` call).

    Written out because creating any ``torch.optim`` optimizer imports ``torch._dynamo``, which
    costs about two seconds at the start of every process: every notebook, every report run.
    ``tests/test_model.py`` checks it against ``torch.optim.Adam`` bit for bit.
    """

    def __init__(self, params, *, lr: float = 1e-3, weight_decay: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, self.weight_decay, self.eps = float(lr), float(weight_decay), float(eps)
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.exp_avg = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.steps = 0

    def zero_grad(self, set_to_none: bool = True):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.steps += 1
        step = float(self.steps)
        step_size = self.lr / (1 - self.beta1 ** step)
        bias_correction2_sqrt = (1 - self.beta2 ** step) ** 0.5
        live = [(p, m, v) for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq) if p.grad is not None]
        if not live:
            return
        params, exp_avg, exp_avg_sq = (list(t) for t in zip(*live))
        grads = [p.grad for p in params]
        # on the CPU each _foreach_ operation applies the single-tensor one to every parameter in
        # turn, with one Python call for all of them: the same bits, less overhead per step
        if self.weight_decay != 0:
            grads = torch._foreach_add(grads, params, alpha=self.weight_decay)
        torch._foreach_lerp_(exp_avg, grads, 1 - self.beta1)
        torch._foreach_mul_(exp_avg_sq, self.beta2)
        torch._foreach_addcmul_(exp_avg_sq, grads, grads, value=1 - self.beta2)
        denom = torch._foreach_sqrt(exp_avg_sq)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, exp_avg, denom, value=-step_size)


def _as_float_array(name, a, ndim):
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric: {err}") from None
    if arr.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds a missing or infinite value")
    return arr


def _init_params(seeds, n_inputs, n_hidden):
    """PyTorch's default nn.Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), one
    generator per seed, so a net's start depends on its seed only."""
    params = {"W1": [], "b1": [], "W2": [], "b2": []}
    for seed in seeds:
        g = torch.Generator().manual_seed(int(seed))
        b_in, b_hid = 1 / np.sqrt(n_inputs), 1 / np.sqrt(n_hidden)
        params["W1"].append((torch.rand(n_hidden, n_inputs, generator=g, dtype=torch.float64) * 2 - 1) * b_in)
        params["b1"].append((torch.rand(n_hidden, generator=g, dtype=torch.float64) * 2 - 1) * b_in)
        params["W2"].append((torch.rand(1, n_hidden, generator=g, dtype=torch.float64) * 2 - 1) * b_hid)
        params["b2"].append((torch.rand(1, generator=g, dtype=torch.float64) * 2 - 1) * b_hid)
    return {k: torch.stack(v).float() for k, v in params.items()}


BATCH_SIZE = 4096
"""Default ``batch_size`` of ``train``: a training split of more rows is fitted in mini-batches."""

def _split_rows(n, seed, val_fraction):
    rng = np.random.default_rng(int(seed))
    order = rng.permutation(n)
    n_val = int(round(val_fraction * n))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


# each activation in place, and its backward step: grad * act'(z) computed from the output act(z),
# written over grad, with the operation autograd uses for it
_ACTIVATE = {"tanh": torch.tanh_, "sigmoid": torch.sigmoid_, "relu": torch.relu_}
_ACTIVATION_GRAD = {
    "tanh": lambda grad, out: torch.ops.aten.tanh_backward.grad_input(grad, out, grad_input=grad),
    "sigmoid": lambda grad, out: torch.ops.aten.sigmoid_backward.grad_input(grad, out, grad_input=grad),
    "relu": lambda grad, out: torch.ops.aten.threshold_backward.grad_input(grad, out, 0, grad_input=grad)}


def _forward_many(params, X, activation, H=None, out=None):
    """m nets at once: X (m, n, d) -> hidden activations H (m, n, h) and outputs (m, n). ``H`` and
    ``out`` (m, n, 1), if given, are written into instead of new memory."""
    H = torch.baddbmm(params["b1"].unsqueeze(1), X, params["W1"].transpose(1, 2), out=H)
    _ACTIVATE[activation](H)
    out = torch.baddbmm(params["b2"].unsqueeze(1), H, params["W2"].transpose(1, 2), out=out)
    return H, out.squeeze(-1)


def _set_gradients(params, X, H, out, Y, task, activation, per_row, G):
    """Backpropagation by hand: each net's gradient of its mean loss over the rows, into ``p.grad``.

    With Z = X W1^T + b1, H = act(Z), out = H W2^T + b2 and L the mean loss over the n rows:
    g = dL/d out = 2 (out - y) / n for the squared error, (sigmoid(out) - y) / n for the log-loss;
    dL/dW2 = H^T g, dL/db2 = sum g; dL/dZ = act'(Z) * (g W2); dL/dW1 = X^T dL/dZ, dL/db1 = sum dL/dZ.

    These are the operations autograd runs for ``loss(out, Y).mean(dim=1).sum().backward()``, in
    its order and with its kernels, so the same bits (``tests/test_training_scale.py`` checks it),
    without recording a graph or taking new memory for the large arrays: a small net's step takes
    about half the time. ``per_row`` is 1 / n, (m, n); ``G`` an (m, n, h) buffer.
    """
    if task == "regression":
        g = torch.sub(out, Y).mul_(2).mul_(per_row)
    else:
        g = torch.sigmoid(out).sub_(Y).mul_(per_row)
    g = g.unsqueeze(-1)                                                    # (m, n, 1)
    params["b2"].grad = g.sum(1, keepdim=True).squeeze(1)
    params["W2"].grad = torch.bmm(H.transpose(1, 2), g).transpose(1, 2)
    dZ = _ACTIVATION_GRAD[activation](torch.bmm(g, params["W2"], out=G), H)
    params["b1"].grad = dZ.sum(1, keepdim=True).squeeze(1)
    params["W1"].grad = torch.bmm(X.transpose(1, 2), dZ).transpose(1, 2)


def _replacements(replace, m, d):
    """``replace`` (per net: None or (columns, values)) as three flat tensors, one entry per replaced
    (net, column): the net, the column and the value; None when no net has a column replaced."""
    if replace is None:
        return None
    if isinstance(replace, (str, bytes)) or len(replace) != m:
        raise ValueError(f"replace must hold one entry per seed ({m}): None or (columns, values)")
    nets, cols, values = [], [], []
    for i, entry in enumerate(replace):
        if entry is None:
            continue
        try:
            c, v = entry
            if not np.size(c):
                continue
            c = np.atleast_1d(np.asarray(c))
            v = np.broadcast_to(_as_float_array("a replacement value", v, (0, 1)), c.shape)
        except (TypeError, ValueError) as err:
            raise ValueError(f"replace[{i}] must be None or (columns, values): {err}") from None
        if c.dtype.kind not in "iu" or not ((c >= 0) & (c < d)).all() or len(set(c.tolist())) < len(c):
            raise ValueError(f"replace[{i}] names columns {c.tolist()}, not distinct column numbers 0 .. {d - 1}")
        nets += [i] * len(c)
        cols += c.tolist()
        values += v.tolist()
    if not nets:
        return None
    return torch.as_tensor(nets), torch.as_tensor(cols), torch.as_tensor(values, dtype=torch.float32)


def _gather(X, rows, replaced, out=None):
    """Each net's rows of X as one (m, k, d) float32 tensor, its replaced columns set to their values.

    ``X`` is (n, d), shared by the nets, or (m, n, d); ``rows`` (m, k) holds each net's row numbers;
    ``replaced`` is what ``_replacements`` returns; ``out``, if given, an (m, k, d) tensor to fill."""
    m, k = rows.shape
    if X.dim() == 3:  # net i's row r is row i * n + r of the nets' data stacked
        X, rows = X.reshape(-1, X.shape[-1]), rows + X.shape[1] * torch.arange(m).unsqueeze(1)
    batch = torch.index_select(X, 0, rows.reshape(-1), out=None if out is None else out.view(m * k, -1))
    batch = batch.view(m, k, -1)
    if replaced is not None:
        nets, cols, values = replaced
        batch.transpose(1, 2)[nets, cols] = values.unsqueeze(1)
    return batch


def _shared_groups(seeds, X, sampled):
    """How mini-batch training shares rows between nets: ``(order, S, g)`` when each of the S
    seeds appears g > 1 times and the nets share one X (drop-and-retrain: a baseline and its
    drop-one nets per seed), ``order`` putting each seed's nets side by side; None otherwise,
    each net then drawing its own rows (which, for a repeated seed, are the same rows)."""
    if not sampled or X.ndim != 2:
        return None
    distinct = list(dict.fromkeys(seeds))
    g = len(seeds) // len(distinct)
    if g < 2 or any(seeds.count(s) != g for s in distinct):
        return None
    order = sorted(range(len(seeds)), key=lambda i: distinct.index(seeds[i]))
    return order, len(distinct), g


class _FullBatch:
    """Each step on every training row of each net: the nets' rows gathered once, replaced columns
    written in, one batched product per layer (``_forward_many``, ``_set_gradients``); the same
    bits as ever, which the course's printed numbers rest on."""

    def __init__(self, Xt, tr, va, Ytr, Yva, replaced, n_hidden, activation, task, loss_fn):
        self.X, self.Y = _gather(Xt, torch.as_tensor(tr), replaced), Ytr
        self.Xva, self.Yva = _gather(Xt, torch.as_tensor(va), replaced), Yva
        self.activation, self.task, self.loss_fn = activation, task, loss_fn
        # memory for the passes, allocated once and written anew each epoch (fresh memory of
        # tens of megabytes costs more to get than the arithmetic done in it)
        m, rows = self.X.shape[:2]
        self.H, self.out, self.G = (torch.empty(m, rows, n_hidden), torch.empty(m, rows, 1),
                                    torch.empty(m, rows, n_hidden))
        self.H_va, self.out_va = torch.empty(m, self.Xva.shape[1], n_hidden), torch.empty(m, self.Xva.shape[1], 1)
        self.per_row = torch.ones(m, 1).expand(m, rows) / rows  # d mean / d row, as autograd computes it

    def step(self, params):
        """Each net's training loss; its gradients into ``p.grad``."""
        _, out = _forward_many(params, self.X, self.activation, self.H, self.out)
        loss = self.loss_fn(out, self.Y, reduction="none").mean(dim=1)
        _set_gradients(params, self.X, self.H, out, self.Y, self.task, self.activation, self.per_row, self.G)
        return loss

    def validate(self, params):
        _, out = _forward_many(params, self.Xva, self.activation, self.H_va, self.out_va)
        return self.loss_fn(out, self.Yva, reduction="none").mean(dim=1)


class _SharedBatches:
    """Each step on ``batch_size`` rows drawn per seed, shared by the seed's g nets (nets ordered
    by ``_shared_groups``; g = 1 when nets do not share).

    The g nets of a group see the same rows, so their first layers are one matrix product,
    (g h, d + 1) x (d + 1, b) with a row of ones for the biases, instead of g small ones, and
    the batch is gathered once per seed, not once per net. The hidden values are laid out
    (net, unit, row), so the output layer, its gradient and the first layer's gradient are
    batched products too, with no transposed copies. A replaced column is not written into the
    rows: net i's first layer reads W_i X^T with its replaced columns' weights zeroed, plus
    W_i c_i in its bias (c_i: the replacement values, 0 elsewhere), which is W_i X_i^T for the
    X_i with those columns set; in the gradient the replaced columns' weights get
    c * sum(dL/dZ), their gradient on X_i. Drop-and-retrain on 100 inputs with 4096-row
    batches: about 70 ms a step on one thread instead of 250.
    """

    def __init__(self, Xt, tr, va, Ytr, Yva, replaced, n_hidden, activation, task, loss_fn,
                 seeds, S, g, batch_size, rngs):
        m, d = len(seeds), Xt.shape[-1]
        self.S, self.g, self.h, self.d = S, g, n_hidden, d
        self.Xt, self.tr, self.Ytr, self.Yva = Xt, torch.as_tensor(tr[::g]), Ytr, Yva
        self.seeds, self.rngs, self.batch_size = seeds[::g], rngs, batch_size  # rngs: seed -> its batches' generator
        self.activation, self.task, self.loss_fn = activation, task, loss_fn
        self.keep = self.fill = None
        if replaced is not None:  # per net: 0 at a replaced column, else 1; its value there, else 0
            nets, cols, values = replaced
            self.keep, self.fill = torch.ones(m, 1, d), torch.zeros(m, d)
            self.keep[nets, 0, cols] = 0.0
            self.fill[nets, cols] = values
        # the rows with a column of ones, and memory for the passes, allocated once
        self.X = torch.ones(S, batch_size, d + 1)
        self.Xva = torch.ones(S, va.shape[1], d + 1)
        self.Xva[..., :d] = _gather(Xt, torch.as_tensor(va[::g]), None)
        self.H, self.G = torch.empty(S, g * n_hidden, batch_size), torch.empty(S, g * n_hidden, batch_size)
        self.H_va = torch.empty(S, g * n_hidden, va.shape[1])

    def _forward(self, params, X, H):
        """The nets' outputs (m, rows) on their group's rows X (S, rows, d + 1); hidden values
        into H (S, g h, rows)."""
        W1, b1 = params["W1"], params["b1"]
        if self.keep is not None:
            b1 = b1 + torch.bmm(W1, self.fill.unsqueeze(-1)).squeeze(-1)
            W1 = W1 * self.keep
        m, rows = len(W1), X.shape[1]
        W = torch.cat((W1, b1.unsqueeze(-1)), dim=-1).view(self.S, self.g * self.h, self.d + 1)
        _ACTIVATE[self.activation](torch.bmm(W, X.transpose(1, 2), out=H))
        return torch.baddbmm(params["b2"].unsqueeze(-1), params["W2"], H.view(m, self.h, rows)).view(m, rows)

    def step(self, params):
        h, b, d = self.h, self.batch_size, self.d
        n_tr = self.tr.shape[1]  # one draw per distinct seed: nets of one seed see the same rows
        draws = {s: torch.from_numpy(rng.integers(0, n_tr, size=b)) for s, rng in self.rngs.items()}
        pos = torch.stack([draws[s] for s in self.seeds])                           # (S, b)
        self.X[..., :d] = _gather(self.Xt, self.tr.gather(1, pos), None)
        Y = self.Ytr.gather(1, pos.repeat_interleave(self.g, dim=0))
        out = self._forward(params, self.X, self.H)
        m = len(out)
        loss = self.loss_fn(out, Y, reduction="none").mean(dim=1)
        # dL/d out per row, for the mean loss over the batch (see _set_gradients for the rest)
        grad = (out - Y).mul_(2 / b) if self.task == "regression" else torch.sigmoid(out).sub_(Y).div_(b)
        H = self.H.view(m, h, b)
        params["b2"].grad = grad.sum(1, keepdim=True)
        params["W2"].grad = torch.bmm(H, grad.unsqueeze(-1)).view(m, 1, h)
        dZ = torch.mul(params["W2"].view(m, h, 1), grad.view(m, 1, b), out=self.G.view(m, h, b))
        _ACTIVATION_GRAD[self.activation](dZ, H)
        dW = torch.bmm(self.G, self.X).view(m, h, d + 1)    # the column of ones gives the biases'
        db1, dW1 = dW[..., d], dW[..., :d]
        if self.keep is not None:  # a replaced column's value is c, not its rows' values
            dW1 = dW1 * self.keep + db1.unsqueeze(-1) * self.fill.unsqueeze(1)
        params["b1"].grad, params["W1"].grad = db1.contiguous(), dW1.contiguous()
        return loss

    def validate(self, params):
        out = self._forward(params, self.Xva, self.H_va)
        return self.loss_fn(out, self.Yva, reduction="none").mean(dim=1)


def train_many(X, y, *, seeds: Sequence[int], replace: Sequence | None = None, n_hidden: int = 20,
               activation: str = "tanh", task: str = "regression", epochs: int = 3000, lr: float = 0.003,
               weight_decay: float = 1e-3, val_fraction: float = 0.2, patience: int = 200,
               early_stopping: bool = True, batch_size: int | None = BATCH_SIZE,
               progress: bool = False) -> list[TrainResult]:
    """Train m nets of the same shape in one batched computation; see ``train`` for the options.

    ``X`` is (n, d), shared by all nets, or (m, n, d), one data set per net; ``y`` is (n,) or
    (m, n). ``seeds`` has one seed per net: it sets the net's initial weights, its validation
    split and its mini-batches. Nets that stop early keep their best weights while the others go on.

    ``replace`` has one entry per net: None, or ``(columns, values)``: that net sees ``X`` with
    those columns (indices) set to those constants (one value, or one per column), in its
    training and its validation rows. This is drop-and-retrain's "input i replaced by its mean"
    without a copy of the data per net: the nets share the one ``X``, and the columns are set in
    each (m, rows, d) float32 batch as it is built.

    Mini-batches. An epoch is one Adam step. While a net's training split has at most
    ``batch_size`` rows (data of up to 5120 rows at the default ``val_fraction``: all the
    course's), the step uses all of them: full-batch Adam, the same bits as ever. With more rows,
    each step uses ``b = batch_size`` rows drawn at random, with replacement, from the training
    split by a generator seeded with the net's seed (nets with the same seed draw the same rows:
    a baseline and its drop-one nets see the same batches), and early stopping watches the loss
    on a fixed random subset of ``batch_size`` validation rows, drawn once. An epoch then costs
    O(m b d n_hidden) time and the training O(n d + m b d) memory, whatever n, where full batches
    cost O(m n d n_hidden) per epoch and held a float32 copy of the rows per net (a 100 000-row
    net with 100 inputs: 8 s instead of 68 s). The default 4096 keeps the bits of the course's
    data and costs little fit: at 100 000 rows the held-out R^2 was 0.953-0.954 against 0.954
    full-batch with 10 inputs, 0.942-0.946 against 0.950 with 100 (1024-row batches: 0.91-0.94).

    Pitfall: mini-batch Adam is noisier. The training loss in ``history`` is that of the step's
    batch, so it jumps from epoch to epoch; the weights jitter about the optimum (less as ``b``
    grows, more as ``lr`` grows), so the validation loss jitters too, improvements become rare
    sooner and early stopping stops earlier than with full batches. The validation subset's loss
    is off the full split's by a relative error of about sqrt(2 / b), 2% at 4096 rows, but the same
    rows are used every epoch, so the choice of the best epoch is not made noisier by it.
    ``val_rows`` then lists that subset. ``batch_size=None`` always uses every row.
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    check_choice("task", task, TASKS)
    seeds = [int(s) for s in seeds]
    m = len(seeds)
    if m < 1:
        raise ValueError("seeds must name at least one seed")
    X = _as_float_array("X", X, (2, 3))
    y = _as_float_array("y", y, (1, 2))
    if (X.ndim == 3 and X.shape[0] != m) or (y.ndim == 2 and y.shape[0] != m):
        raise ValueError(f"X and y must hold one data set per seed ({m}), got "
                         f"{X.shape[0] if X.ndim == 3 else 'one'} and {y.shape[0] if y.ndim == 2 else 'one'}")
    n, d = X.shape[-2:]
    if y.shape[-1] != n:
        raise ValueError(f"X has {n} rows but y has {y.shape[-1]}")
    for name, value in (("epochs", epochs), ("patience", patience), ("n_hidden", n_hidden)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool)
                                   or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if task == "binary" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("a binary task needs a target of 0s and 1s")
    if n < 10:
        raise ValueError(f"training needs at least 10 rows, got {n}")
    replaced = _replacements(replace, m, d)
    sampled = batch_size is not None and n - int(round(val_fraction * n)) > batch_size  # see _split_rows
    shared = _shared_groups(seeds, X, sampled)
    order = list(range(m))
    if shared is not None:  # each seed's nets side by side; back in the caller's order at the end
        order = shared[0]
        seeds = [seeds[i] for i in order]
        y = y if y.ndim == 1 else y[order]
        replaced = _replacements(None if replace is None else [replace[i] for i in order], m, d)

    splits = [_split_rows(n, s, val_fraction) for s in seeds]
    tr = np.stack([t for t, _ in splits])
    va = np.stack([v for _, v in splits])
    n_va = va.shape[1]
    # mini-batches: one generator per seed (apart from the split's), first the validation subset, then the batches
    batches = {s: np.random.default_rng([s, 1]) for s in seeds}
    if batch_size is not None and n_va > batch_size:
        chosen = {s: np.sort(rng.choice(n_va, size=batch_size, replace=False)) for s, rng in batches.items()}
        va = np.take_along_axis(va, np.stack([chosen[s] for s in seeds]), axis=1)
    ytr = y[tr] if y.ndim == 1 else np.take_along_axis(y, tr, axis=1)
    yva = y[va] if y.ndim == 1 else np.take_along_axis(y, va, axis=1)
    if task == "regression":  # train on a standardised target; fold the scale back at the end
        y_mean = ytr.mean(axis=1, keepdims=True)
        y_std = ytr.std(axis=1, keepdims=True)
        y_std[y_std == 0] = 1.0
    else:
        y_mean, y_std = np.zeros((m, 1)), np.ones((m, 1))
    Ytr = torch.as_tensor((ytr - y_mean) / y_std, dtype=torch.float32)
    Yva = torch.as_tensor((yva - y_mean) / y_std, dtype=torch.float32)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    loss_fn = (nn.functional.mse_loss if task == "regression"
               else nn.functional.binary_cross_entropy_with_logits)
    loss_scale = torch.as_tensor(y_std[:, 0] ** 2 if task == "regression" else np.ones(m), dtype=torch.float32)
    if sampled:
        S, g = (m, 1) if shared is None else shared[1:]
        nets = _SharedBatches(Xt, tr, va, Ytr, Yva, replaced, n_hidden, activation, task, loss_fn,
                              seeds, S, g, batch_size, batches)
    else:
        nets = _FullBatch(Xt, tr, va, Ytr, Yva, replaced, n_hidden, activation, task, loss_fn)

    with one_thread():
        params = _init_params(seeds, d, n_hidden)
        best = {k: v.clone() for k, v in params.items()}
        opt = Adam(params.values(), lr=lr, weight_decay=weight_decay)
        best_val = torch.full((m,), float("inf"))
        best_epoch = torch.zeros(m, dtype=torch.long)
        waited = torch.zeros(m, dtype=torch.long)
        active = torch.ones(m, dtype=torch.bool)
        last_epoch = torch.full((m,), epochs, dtype=torch.long)
        losses = torch.empty(epochs, 2, m)  # per epoch, the training and the validation loss of each net
        bar = tqdm(total=epochs, desc="training", unit="epoch", disable=not progress)
        for epoch in range(1, epochs + 1):
            per_net = nets.step(params)
            opt.step()
            val = nets.validate(params)
            torch.stack((per_net, val), out=losses[epoch - 1])
            improved = active & (val < best_val)
            if improved.any():  # keep the weights of the nets that improved
                for k, p in params.items():
                    best[k] = torch.where(improved.view(-1, *([1] * (p.dim() - 1))), p, best[k])
                best_val = torch.where(improved, val, best_val)
                best_epoch.masked_fill_(improved, epoch)
            waited.add_(1).masked_fill_(improved, 0)
            if early_stopping:
                stopping = active & (waited >= patience)
                last_epoch.masked_fill_(stopping, epoch)
                active &= ~stopping
            bar.update(1)
            if not active.any():
                break
        bar.close()
        if not early_stopping:  # keep the last weights, whatever the validation loss did
            best = {k: v.clone() for k, v in params.items()}
            best_epoch[:] = epoch

    losses = (losses[:epoch] * loss_scale).double().numpy()  # in the target's units
    results = []
    for i, seed in enumerate(seeds):
        model = MLP(d, n_hidden, activation, task)
        with torch.no_grad():
            scale, shift = float(y_std[i, 0]), float(y_mean[i, 0])
            model.hidden.weight.copy_(best["W1"][i])
            model.hidden.bias.copy_(best["b1"][i])
            model.output.weight.copy_(best["W2"][i] * scale)
            model.output.bias.copy_(best["b2"][i] * scale + shift)
        stop = int(last_epoch[i])
        history = pd.DataFrame({"epoch": np.arange(1, stop + 1),
                                "train_loss": losses[:stop, 0, i], "val_loss": losses[:stop, 1, i]})
        results.append(TrainResult(model.eval(), history, int(best_epoch[i]), seed, tr[i], va[i]))
    back = np.argsort(order)  # the caller's order
    return [results[i] for i in back]


def train(X, y, *, n_hidden: int = 20, activation: str = "tanh", task: str = "regression",
          epochs: int = 3000, lr: float = 0.003, weight_decay: float = 1e-3,
          val_fraction: float = 0.2, patience: int = 200, early_stopping: bool = True, seed: int = 0,
          batch_size: int | None = BATCH_SIZE, progress: bool = False) -> TrainResult:
    """Train one ``MLP(d, n_hidden, activation)`` on standardised inputs ``X`` (n, d) and target ``y``.

    Parameters
    ----------
    X : array (n, d)
        Inputs, standardised by the data step (``helpers.data.standardize``).
    y : array (n,)
        Target: any real numbers for ``task="regression"``, 0/1 for ``task="binary"``.
    n_hidden : int, default 20
    activation : {"tanh", "sigmoid", "relu"}, default "tanh"
    task : {"regression", "binary"}, default "regression"
        Regression minimises mean squared error; binary minimises log-loss on a logit output.
    epochs : int, default 3000
        Most Adam steps (full-batch up to ``batch_size`` training rows); early stopping usually
        ends sooner.
    lr : float, default 0.003
        Adam's learning rate.
    weight_decay : float, default 1e-3
        L2 penalty (Adam's ``weight_decay``), the classic regulariser. The light default, with
        early stopping, lifts the held-out fit (friedman1: R^2 about 0.93 over seeds instead of
        0.88-0.93); set 0 to see an unregularised net.
    val_fraction : float, default 0.2
        Share of rows held back, chosen with ``seed``, to decide when to stop.
    patience : int, default 200
        Stop when the validation loss has not improved for this many epochs; the weights of
        the best validation epoch are kept.
    early_stopping : bool, default True
        False: train all ``epochs`` and keep the *last* weights (the validation loss is still
        recorded): the way to get an overfitted net for the lesson that sensitivity is not
        importance.
    seed : int, default 0
        Sets the initial weights, the validation split and the mini-batches. Same data, same
        seed: same bits.
    batch_size : int or None, default 4096 (``BATCH_SIZE``)
        Up to this many training rows, each step uses them all (full batch). Beyond, each step
        uses ``batch_size`` rows drawn at random and early stopping watches ``batch_size``
        validation rows, so an epoch costs the same at a million rows as at ten thousand; the
        price is a noisier descent (see ``train_many``). None: always the full batch.
    progress : bool, default False
        Show a progress bar (tqdm).

    Returns
    -------
    TrainResult
        ``.model`` (an ``MLP`` in eval mode, predicting in the target's units), ``.history``
        (train and validation loss per epoch), ``.best_epoch``.
    """
    return train_many(X, y, seeds=[seed], n_hidden=n_hidden, activation=activation, task=task,
                      epochs=epochs, lr=lr, weight_decay=weight_decay, val_fraction=val_fraction,
                      patience=patience, early_stopping=early_stopping, batch_size=batch_size,
                      progress=progress)[0]


def train_module(model: nn.Module, X, y, *, epochs: int = 300, lr: float = 0.01,
                 weight_decay: float = 0.0, batch_size: int = 128, seed: int = 0) -> pd.DataFrame:
    """Train any module (for example a ``DeepMLP``) with mini-batch Adam, in place.

    For models that ``train_many`` cannot batch. Seeded shuffling; returns the training loss
    per epoch. The task (mean squared error or log-loss) is read from ``model.task``. Unlike
    ``train``, it fits ``y`` as given: standardise a regression target yourself (a target with
    mean 152, as diabetes', otherwise takes many epochs just to find its level).
    """
    X = torch.as_tensor(_as_float_array("X", X, (2,)), dtype=torch.float32)
    y = torch.as_tensor(_as_float_array("y", y, (1,)), dtype=torch.float32)
    loss_fn = (nn.functional.binary_cross_entropy_with_logits
               if getattr(model, "task", "regression") == "binary" else nn.functional.mse_loss)
    g = torch.Generator().manual_seed(int(seed))
    opt = Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    with one_thread():
        model.train()
        for _ in range(epochs):
            order = torch.randperm(len(X), generator=g)
            total = 0.0
            for start in range(0, len(X), batch_size):
                rows = order[start:start + batch_size]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(X[rows]), y[rows])
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(rows)
            losses.append(total / len(X))
        model.eval()
    return pd.DataFrame({"epoch": np.arange(1, epochs + 1), "train_loss": losses})

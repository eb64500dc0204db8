"""Drop and retrain (ablation): replace an input by a constant, train again, see how much worse it gets.

Every net of the experiment, the baseline net of each seed and one net per (input, seed) with
that input replaced, is trained in one batched computation (``helpers.training.train_many``), so
``d`` inputs x ``k`` seeds cost about as much as a few single trainings, and each net equals the
net ``train`` would give on the same data and seed up to float rounding (which a long training
can amplify to a fraction of a percent of the loss). The nets share the one copy of the training
rows: each sees its input replaced as its batches are built (``train_many(..., replace=...)``), so
memory does not grow with the number of inputs times the rows.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from helpers._base import (Importance, as_matrix, as_target, check_choice, check_inputs, check_model,
                           forward_fn, frame, series)
from helpers._perturbation import _metric
from helpers.model import PREDICT_ROWS, TASKS
from helpers.training import train_many

FILLS = ("mean", "median", "constant")


def _fill_values(X: np.ndarray, fill: str, value) -> np.ndarray:
    """The value each input is replaced by: its mean or median over the training rows, or ``value``."""
    if fill == "mean":
        return X.mean(axis=0)
    if fill == "median":
        return np.median(X, axis=0)
    try:
        v = np.broadcast_to(np.asarray(value, dtype=np.float64), (X.shape[1],)).copy()
    except (TypeError, ValueError):
        raise ValueError(f"value must be a number or one number per input ({X.shape[1]}), got {value!r}") from None
    if not np.isfinite(v).all():
        raise ValueError(f"value must be finite, got {value!r}")
    return v


def _loss(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """The model's default loss on (X, y), as permutation importance computes it: mean squared
    error for a regression, log-loss for a binary model. The outputs are computed
    ``PREDICT_ROWS`` rows at a time, so a large held-out set needs no more memory than that."""
    _, loss, _ = _metric(None, model, y)
    f = forward_fn(model)
    chunks = (torch.as_tensor(X[start:start + PREDICT_ROWS], dtype=torch.float32)
              for start in range(0, max(len(X), 1), PREDICT_ROWS))
    with torch.no_grad():
        return float(loss(torch.cat([f(x) for x in chunks])[None])[0])


def _replaced(X: np.ndarray, cols, fill_values: np.ndarray) -> np.ndarray:
    """X with the columns ``cols`` (a list of indices) set to their fill values."""
    out = X.copy()
    out[:, cols] = fill_values[cols]
    return out


def ablation(X, y, *, fill: str = "mean", value=0.0, seeds: Sequence[int] = (0, 1, 2),
             retrain: bool = True, X_test=None, y_test=None, test_size: float = 0.25,
             train_kwargs: dict | None = None, models=None, feature_names=None, groups=None) -> Importance:
    """Drop and retrain: the held-out loss increase when an input is replaced by a constant and
    the net is trained again.

    For each seed ``s`` a baseline net ``f_s`` is trained on the data, and for each input ``i`` a
    net ``f_{s,i}`` is trained with the same seed on the data whose column ``i`` is replaced by a
    constant ``c_i`` (its training mean, median, or a given value). Then

        importance_{i,s} = L(y_test, f_{s,i}(X_test with x_i -> c_i)) - L(y_test, f_s(X_test)),

    with ``L`` the mean squared error (regression) or log-loss (binary). ``values`` is the mean
    over seeds. With ``retrain=False`` the baseline net itself is fed the replaced column (no new
    training): the contrast that shows what retraining changes.

    Parameters
    ----------
    X : array-like (n, d)
        Training inputs, standardised by the data step.
    y : array-like (n,)
        Training target.
    fill : {"mean", "median", "constant"}, default "mean"
        What replaces the input: its mean or median over the training rows, or ``value``.
    value : float or array-like (d,), default 0.0
        The constant for ``fill="constant"`` (one for all inputs, or one per input).
    seeds : sequence of int, default (0, 1, 2)
        One baseline net and one net per input for each seed; the spread over seeds is ``std``.
    retrain : bool, default True
        False: replace the input in the baseline nets' held-out data without training again.
    X_test, y_test : array-like, optional
        Held-out rows for the losses. Default: ``test_size`` of the rows, split off with seed 0
        (the nets train on the rest).
    test_size : float, default 0.25
        The held-out share when ``X_test`` is not given.
    train_kwargs : dict, optional
        Options for the training (see ``helpers.model.train``: ``n_hidden``, ``activation``,
        ``task``, ``epochs``, ``lr``, ``weight_decay``, ``patience``, ``batch_size`` ...); not
        ``seed``. On large data (more than ``batch_size`` training rows, 4096 by default) each net
        trains in mini-batches: an epoch costs the same at a million rows as at ten thousand.
    models : sequence of nn.Module, optional
        The baseline nets, one per seed, already trained on these training rows with these seeds
        and ``train_kwargs`` (for example ``info["models"]`` of an earlier call, or the nets a
        report trained): they are used as they are instead of being trained again. Nets trained
        otherwise make the comparison unfair: the increase then mixes in their difference.
    feature_names : sequence of str, optional
        Names of the d inputs; default the columns of a DataFrame ``X``, or ``x1 .. xd``.
    groups : mapping of str -> list of str, optional
        Groups of columns dropped **together** (each column set to its own fill value, in the
        training and the held-out rows) with one net retrained per group and seed, so
        ``importance_{G,s} = L(y_test, f_{s,G}(X_test with x_G -> c_G)) - L(y_test, f_s(X_test))``.
        For a one-hot category this drops the variable, not one level. Columns in no group are
        dropped alone.

    Returns
    -------
    Importance
        ``method="ablation"`` (``"ablation_no_retrain"`` with ``retrain=False``); ``values`` the
        mean loss increase, per input or group; ``std`` its standard deviation over seeds
        (ddof=1; 0 for one seed); ``samples`` one row per seed; ``info``: ``baseline_loss`` and
        ``loss`` per seed, ``fill``, ``fill_values`` (per column), ``retrain``, ``n_nets`` (nets
        trained here), ``models`` (the baseline nets), ``retrained`` (seed -> the nets trained
        without each input or group, in order; empty with ``retrain=False``) and with groups
        ``groups``.

    When it misleads
    ----------------
    Two correlated inputs cover for each other: without one, the retrained net reads the other,
    the loss barely moves, and *neither* looks important although together they are essential.
    The answer is about the data (is the input's information needed at all?), not about the net
    at hand, and retraining noise (a different seed gives a different net) can swamp small
    effects, which is why several seeds and their spread are reported. Replacing by a constant
    other than the mean (``fill="constant"``, value 0 on raw inputs) also shifts the other
    hidden units' operating point. It costs one training per input (or group) and seed. Filling
    a one-hot group with its means gives every row the same fractional mix of levels: the
    variable is gone, as intended, but the net sees a row no data hold (harmless once retrained,
    which is the point of retraining; with ``retrain=False`` it is off the data).

    References
    ----------
    Gevrey, M., Dimopoulos, I. & Lek, S. (2003). Review and comparison of methods to study the
    contribution of variables in artificial neural network models. Ecological Modelling 160, 249-264.
    Hooker, G., Mentch, L. & Zhou, S. (2021). Unrestricted permutation forces extrapolation:
    variable importance requires at least one more model, or there is no free variable importance.
    Statistics and Computing 31, 82.
    """
    check_choice("fill", fill, FILLS)
    if not isinstance(retrain, (bool, np.bool_)):
        raise ValueError(f"retrain must be True or False, got {retrain!r}")
    given = check_inputs(None, X, feature_names=feature_names, groups=groups)
    Xa, names, units = given.X, given.names, list(given.groups.values())
    n, d = Xa.shape
    g = len(units)
    ya = as_target(y, n)
    if isinstance(seeds, (int, np.integer)) or not len(seeds):
        raise ValueError(f"seeds must be a non-empty list of integers, got {seeds!r}")
    seeds = [int(s) for s in seeds]
    kwargs = dict(train_kwargs or {})
    if "seed" in kwargs or "seeds" in kwargs:
        raise ValueError("train_kwargs must not hold seed: give the seeds with seeds=")
    if "replace" in kwargs:
        raise ValueError("train_kwargs must not hold replace: ablation sets the replaced columns itself")
    task = kwargs.get("task", "regression")
    check_choice("task", task, TASKS)
    if X_test is None:
        if y_test is not None:
            raise ValueError("y_test given without X_test")
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must lie strictly between 0 and 1, got {test_size!r}")
        order = np.random.default_rng(0).permutation(n)
        n_test = max(1, int(round(test_size * n)))
        test, fit = np.sort(order[:n_test]), np.sort(order[n_test:])
        Xtr, ytr, Xte, yte = Xa[fit], ya[fit], Xa[test], ya[test]
    else:
        Xtr, ytr = Xa, ya
        Xte = as_matrix(X_test, "X_test")
        if Xte.shape[1] != d:
            raise ValueError(f"X_test has {Xte.shape[1]} columns but X has {d}")
        if y_test is None:
            raise ValueError("X_test given without y_test")
        yte = as_target(y_test, len(Xte), "y_test")
    fill_values = _fill_values(Xtr, fill, value)

    if models is not None:
        baselines = list(models)
        if len(baselines) != len(seeds):
            raise ValueError(f"models must hold one baseline net per seed ({len(seeds)}), got {len(baselines)}")
        for m in baselines:
            check_model(m, d)
    # the nets to train, in one batched call on the one Xtr: the baselines (unless given), then,
    # for each seed, one net per input (or group) with its columns replaced by their fill values
    replace, net_seeds = ([], []) if models is not None else ([None] * len(seeds), list(seeds))
    if retrain:
        replace += [(cols, fill_values[cols]) for _ in seeds for cols in units]
        net_seeds += [s for s in seeds for _ in units]
    trained = ([r.model for r in train_many(Xtr, ytr, seeds=net_seeds, replace=replace, **kwargs)]
               if net_seeds else [])
    if models is None:
        baselines, trained = trained[:len(seeds)], trained[len(seeds):]
    retrained = {s: trained[k * g:(k + 1) * g] for k, s in enumerate(seeds)} if retrain else {}
    base_loss = np.array([_loss(m, Xte, yte) for m in baselines])
    loss = np.empty((len(seeds), g))
    for i, cols in enumerate(units):
        Xte_i = _replaced(Xte, cols, fill_values)  # one copy of the held-out rows at a time
        for k, s in enumerate(seeds):
            model = retrained[s][i] if retrain else baselines[k]
            loss[k, i] = _loss(model, Xte_i, yte)
    increase = loss - base_loss[:, None]
    index = given.index()
    samples = frame(increase, index)
    samples.index = pd.Index(seeds, name="seed")
    std = samples.std(ddof=1) if len(seeds) > 1 else pd.Series(0.0, index=samples.columns)
    return Importance("ablation" if retrain else "ablation_no_retrain",
                      series(increase.mean(axis=0), index), series(std.to_numpy(), index), samples, None,
                      {"baseline_loss": pd.Series(base_loss, index=pd.Index(seeds, name="seed")),
                       "loss": frame(loss, index).set_index(pd.Index(seeds, name="seed")),
                       "fill": fill, "fill_values": series(fill_values, names), "retrain": bool(retrain),
                       "n_nets": len(net_seeds), "models": baselines, "retrained": retrained,
                       "metric": "log_loss" if task == "binary" else "mse", **given.info()})

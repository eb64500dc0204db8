"""Lek's profile method: sweep one input over its range while the others are held fixed.

``lek_profile`` gives the curves (a long table ``feature, group, x, y``), as R's NeuralNetTools
``lekprofile`` with its default ``group_vals`` (quantiles); ``lek_importance`` summarises each
input's curves by their range. The whole grid, d inputs x len(quantiles) groups x steps points,
goes through the model in one forward pass.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from helpers._base import Importance, check_inputs, check_positive_int, forward_fn, series

QUANTILES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
LEK_DECLINES = ("a profile sweeps one column from its minimum to its maximum with the others held; a group "
                "of columns has no such sweep (the one-hot columns of a category swept one at a time give "
                "rows with no level or two levels, which no data hold)")


def _check_quantiles(quantiles) -> np.ndarray:
    try:
        q = np.atleast_1d(np.asarray(quantiles, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"quantiles must be numbers in [0, 1], got {quantiles!r}") from None
    if q.ndim != 1 or len(q) == 0:
        raise ValueError(f"quantiles must be a non-empty list of numbers in [0, 1], got {quantiles!r}")
    bad = q[~((q >= 0) & (q <= 1))]
    if len(bad):
        raise ValueError(f"quantiles must lie in [0, 1], got {float(bad[0])!r}")
    if len(np.unique(q)) != len(q):
        raise ValueError(f"quantiles holds a value twice: {list(q)}")
    return q


def _profiles(model: nn.Module, X, quantiles, steps, feature_names, groups=None, measure="lek_profile"):
    """(names, q (g,), sweep (d, steps), y (d, g, steps), info) for ``lek_profile`` and
    ``lek_importance``; a group of several columns is declined (``GroupsNotSupported``), groups of
    one column rename the inputs."""
    given = check_inputs(model, X, feature_names=feature_names, groups=groups)
    given.decline(measure, LEK_DECLINES)
    Xa = given.X
    n, d = Xa.shape
    names = given.index()                               # singletons only: in the columns' order
    q = _check_quantiles(quantiles)
    steps = check_positive_int("steps", steps, 2)
    sweep = np.linspace(Xa.min(axis=0), Xa.max(axis=0), steps, axis=1)     # (d, steps), R's seq()
    held = np.quantile(Xa, q, axis=0)                                       # (g, d), R's type 7
    grid = np.broadcast_to(held[None, :, None, :], (d, len(q), steps, d)).copy()
    idx = np.arange(d)
    grid[idx, :, :, idx] = sweep[:, None, :]           # in block i, column i runs over its range
    with torch.no_grad():
        out = forward_fn(model)(torch.as_tensor(grid.reshape(-1, d), dtype=torch.float32))
        if getattr(model, "task", "regression") == "binary":
            out = torch.sigmoid(out)
    return names, q, sweep, out.double().numpy().reshape(d, len(q), steps), given.info()


def _long_table(names, q, sweep, y) -> pd.DataFrame:
    d, g, steps = y.shape
    return pd.DataFrame({"feature": np.repeat(np.asarray(names, dtype=object), g * steps),
                         "group": np.tile(np.repeat(q, steps), d),
                         "x": np.broadcast_to(sweep[:, None, :], y.shape).ravel(),
                         "y": y.ravel()})


def lek_profile(model: nn.Module, X, *, quantiles: Sequence[float] = QUANTILES, steps: int = 100,
                feature_names=None, groups=None) -> pd.DataFrame:
    """Lek's profiles: the model's response as one input sweeps its range, the others held fixed.

    For each input ``i`` and each quantile ``q``: input ``i`` takes ``steps`` evenly spaced values
    from its minimum to its maximum in ``X``, and every other input ``j`` is held at its ``q``-th
    quantile in ``X`` (numpy's default linear interpolation, which is R's type 7). The response
    ``y`` is the model's prediction: the output for a regression, the probability (sigmoid of the
    logit) for a binary model. This is R NeuralNetTools' ``lekprofile`` with its default
    ``group_vals = seq(0, 1, by = 0.2)``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, d) float32 to (n,) or (n, 1); ``model.task == "binary"`` gives probabilities.
    X : array-like (n, d)
        The data that set each input's range and the held values.
    quantiles : sequence of float in [0, 1], default (0, .2, .4, .6, .8, 1)
        One group of curves per quantile.
    steps : int, default 100
        Points per curve (at least 2).
    feature_names : sequence of str, optional
        Names of the d inputs; default the columns of a DataFrame ``X``, the model's saved names,
        or ``x1 .. xd``.
    groups : mapping of str -> list of str, optional
        Groups of columns. Lek's method **declines** a group of more than one column
        (``GroupsNotSupported``, a ``ValueError``): see "When it misleads". Groups of one column
        only rename the inputs.

    Returns
    -------
    pandas.DataFrame
        ``d * len(quantiles) * steps`` rows, columns ``feature`` (the swept input), ``group``
        (the quantile, a float such as 0.2), ``x`` (the swept input's value) and ``y`` (the
        response), ordered by feature, then group, then x.

    When it misleads
    ----------------
    The held rows (every input at its 20% quantile, say) are artificial: with correlated inputs
    they may lie far from any real row, where the net was never trained. The curves show one
    input at a time, so an interaction appears only as curves that differ between groups, and
    the groups hold all other inputs at the *same* quantile, a small corner of the input space.
    A group of columns has no profile: sweeping one one-hot column of a category from 0 to 1
    with the others held at a quantile makes rows with no level or two levels, and sweeping them
    together is not a change of level either, so the measure declines groups.

    References
    ----------
    Lek, S., Delacoste, M., Baran, P., Dimopoulos, I., Lauga, J. & Aulagnier, S. (1996).
    Application of neural networks to modelling nonlinear relationships in ecology.
    Ecological Modelling 90, 39-52.
    Beck, M. W. (2018). NeuralNetTools: Visualization and analysis tools for neural networks.
    Journal of Statistical Software 85(11), 1-20.
    """
    return _long_table(*_profiles(model, X, quantiles, steps, feature_names, groups)[:4])


def lek_importance(model: nn.Module, X, *, quantiles: Sequence[float] = QUANTILES, steps: int = 100,
                   feature_names=None, groups=None) -> Importance:
    """Lek's profiles summarised: the range of each input's response, averaged over the groups.

    ``I_i = mean_q (max_x y_iq(x) - min_x y_iq(x))``, where ``y_iq`` is the profile of input ``i``
    with the other inputs held at their ``q``-th quantile (see ``lek_profile``). The values are in
    the response's units (a probability for a binary model).

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, d) float32 to (n,) or (n, 1).
    X : array-like (n, d)
        The data that set each input's range and the held values.
    quantiles : sequence of float in [0, 1], default (0, .2, .4, .6, .8, 1)
    steps : int, default 100
    feature_names : sequence of str, optional
    groups : mapping of str -> list of str, optional
        As in ``lek_profile``: a group of more than one column is declined
        (``GroupsNotSupported``, naming the measure ``lek_profile`` and the group).

    Returns
    -------
    Importance
        ``method="lek_profile"``; ``values`` the mean range; ``local`` None;
        ``info["profile"]`` the long table of ``lek_profile``, ``info["range_by_group"]`` the
        ranges, one row per group and one column per input.

    When it misleads
    ----------------
    As ``lek_profile``: the held rows are artificial, and the range over the input's full span is
    driven by its extremes (one outlier stretches the sweep). A range does not see a response that
    goes up and down again (a U-shape and a straight line of the same range score the same).

    References
    ----------
    Lek, S. et al. (1996), Ecological Modelling 90, 39-52; Gevrey, M., Dimopoulos, I. & Lek, S.
    (2003). Review and comparison of methods to study the contribution of variables in
    artificial neural network models. Ecological Modelling 160, 249-264.
    """
    names, q, sweep, y, group_info = _profiles(model, X, quantiles, steps, feature_names, groups)
    ranges = np.ptp(y, axis=2)                                              # (d, g)
    by_group = pd.DataFrame(ranges.T, index=pd.Index(q, name="group"),
                            columns=pd.Index(names, name="feature"))
    return Importance("lek_profile", series(ranges.mean(axis=1), names),
                      info={"profile": _long_table(names, q, sweep, y), "range_by_group": by_group,
                            "quantiles": list(q), "steps": int(steps), **group_info})

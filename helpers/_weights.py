"""Importance read from the weights alone: ``weight_sum``, ``garson``, ``olden``, ``one_hot_probe``.

These measures never look at the data's outputs; they do arithmetic on the weights. They are fast
and easy to compute by hand, which is why they are taught first, and each misleads in its own way
(see each function's "When it misleads").

Notation for a one-hidden-layer net ``f(x) = v . act(W1 x + b1) + b2``: ``w_ih = W1[h, i]`` is the
weight from input ``i`` to hidden node ``h`` (``model.hidden.weight`` is ``W1``, shape (h, d)), and
``v_h`` the weight from hidden node ``h`` to the output (``model.output.weight[0]``). A deeper net
``W_L act(... act(W_1 x + b_1) ...) + b_L`` has the weight matrices ``W_1`` (h_1, d) to ``W_L`` (1, h_{L-1}).

Which nets each reads (``helpers._base.first_linear`` and ``linear_chain``): ``weight_sum`` any net
whose first layer is an ``nn.Linear`` (the kit's nets, an ``nn.Sequential`` starting with one, a
TorchScript net whose first parameter is a Linear weight); ``olden`` any chain of Linear layers with
elementwise activations between them (the kit's ``MLP`` and ``DeepMLP``, such an ``nn.Sequential`` or
its TorchScript); ``garson`` such a chain with exactly one hidden layer; ``one_hot_probe`` any module
whose number of inputs it can tell. ``why_not_<measure>(model)`` gives the reason a measure does not
apply to a model (None when it does), the sentence the measure raises, so a report can skip it first.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from helpers._base import (Importance, check_inputs, check_model, column_std, first_layer, first_linear,
                           forward_fn, is_linear, linear_chain, series)

OLDEN_DECLINES = ("olden's number is a signed slope at one point; summed over a group's columns it is the "
                  "slope of moving every column up at once, which for the levels of a category (only one "
                  "of which can be 1) describes no possible change")
PROBE_DECLINES = ("the probe's input e_i sets one column to 1; a group has no single such input (setting every "
                  "level of a category to 1 is not a possible row)")


# ---------------------------------------------------------------- which nets each measure reads
def why_not_weight_sum(model) -> str | None:
    """Why ``weight_sum`` cannot read ``model`` (a sentence), or None when it can: it needs the
    layer every input enters first to be an ``nn.Linear`` (``helpers._base.first_linear``)."""
    layer, reason = first_linear(model)
    if layer is None:
        return ("weight_sum reads the first layer's weights: the model needs a `hidden` nn.Linear layer, or "
                f"to be an nn.Sequential (or a TorchScript net) whose first layer is an nn.Linear; {reason}")
    return None


def why_not_olden(model) -> str | None:
    """Why ``olden`` cannot read ``model``, or None: it needs a chain of Linear layers with
    elementwise activations between them (``helpers._base.linear_chain``)."""
    _, reason = linear_chain(model)
    if reason is not None:
        return ("olden multiplies the weight matrices of a chain of Linear layers (the kit's MLP or DeepMLP, "
                f"or an nn.Sequential of Linear layers and activations, or its TorchScript); {reason}")
    return None


def why_not_garson(model) -> str | None:
    """Why ``garson`` cannot read ``model``, or None: Garson's algorithm is defined for a chain of
    two Linear layers (one hidden layer) only."""
    layers, reason = linear_chain(model)
    if reason is not None:
        return ("garson needs a one-hidden-layer net (two Linear layers with an activation between them); "
                f"{reason}")
    if len(layers) != 2:
        sizes = "-".join(str(n) for n in [layers[0].weight.shape[1]] + [m.weight.shape[0] for m in layers])
        return (f"garson needs a one-hidden-layer net: Garson's algorithm shares each hidden node's weight among "
                f"the inputs, which is defined for one hidden layer only, and this {sizes} net has "
                f"{len(layers) - 1} hidden layers")
    return None


def why_not_one_hot_probe(model) -> str | None:
    """Why ``one_hot_probe`` cannot run on ``model``, or None: it needs the number of inputs
    (``model.n_inputs`` or the first Linear layer's)."""
    if not isinstance(model, nn.Module):
        return f"one_hot_probe needs a torch.nn.Module, got {type(model).__name__}"
    try:
        _n_inputs(model)
    except ValueError as err:
        return str(err)
    return None


def _applies(reason: str | None) -> None:
    if reason is not None:
        raise ValueError(reason)


def _chain_weights(model) -> list[np.ndarray]:
    """The weight matrices W_1 (h_1, d) .. W_L (1, h_{L-1}) of a chain of Linear layers, float64."""
    layers, _ = linear_chain(model)
    return [layer.weight.detach().double().numpy() for layer in layers]


def weight_sum(model: nn.Module, X=None, *, feature_names=None, groups=None) -> Importance:
    """Sum of the absolute first-layer weights leaving each input, scaled by the input's spread.

    ``I_i = sigma_i * sum_j |w_ij|``, where ``w_ij`` is the weight from input ``i`` to hidden node
    ``j`` in the first layer (``model.hidden.weight``, shape (n_hidden, d)) and ``sigma_i`` the
    population standard deviation (ddof=0) of column ``i`` of ``X``. Without ``X`` it is the plain
    ``sum_j |w_ij|``. A weight times a standard deviation is the change of a hidden pre-activation
    when the input moves by one typical step, so the scaled sums are comparable across inputs.

    Parameters
    ----------
    model : torch.nn.Module
        Any net whose first layer is an ``nn.Linear``: an ``MLP`` or a ``DeepMLP`` (``model.hidden``),
        an ``nn.Sequential`` starting with a Linear layer, or a TorchScript net whose first parameter
        is a Linear layer's weight (``why_not_weight_sum`` says when it is not).
    X : array-like (n, d) or None, default None
        Data whose column standard deviations scale the sums. None: no scaling.
    feature_names : sequence of str, optional
        Names of the d inputs; default the columns of a DataFrame ``X``, the model's saved names,
        or ``x1 .. xd``.
    groups : mapping of str -> list of str, optional
        Groups of columns reported as one input (``helpers._base.check_groups``), e.g. the one-hot
        columns of a category. A group's importance is the **sum** over its columns,
        ``I_G = sum_{i in G} sigma_i sum_j |w_ij|``: the total first-layer weight leaving the group,
        each column scaled by its spread.

    Returns
    -------
    Importance
        ``method="weight_sum"``; ``values`` the (scaled) sums, per input or per group;
        ``info["sigma"]`` the Series of ``sigma_i`` (None without ``X``) and
        ``info["abs_weight_sum"]`` the unscaled sums, per column; with groups also
        ``info["groups"]`` and ``info["by_column"]`` (the per-column values).

    When it misleads
    ----------------
    It reads only the first layer: whatever the later layers do with a hidden node (amplify it,
    cancel it, ignore it through a zero output weight) does not count. And on inputs that are
    not standardised, raw weights mislead: an input measured in grams needs weights 1000 times
    smaller than the same input in kilograms, which is why ``sigma_i`` multiplies the sum. It
    says nothing about the sign or the shape of an input's effect. For a group, the sum grows
    with the number of columns: a category with many levels collects more weight than one with
    two, whatever it does (a one-hot column's ``sigma_i`` is ``sqrt(p_i (1 - p_i))`` before
    standardising, small for a rare level, which tempers this but does not remove it).

    References
    ----------
    Gevrey, M., Dimopoulos, I. & Lek, S. (2003). Review and comparison of methods to study the
    contribution of variables in artificial neural network models. Ecological Modelling 160,
    249-264.
    """
    check_model(model)
    _applies(why_not_weight_sum(model))
    W = first_layer(model)                                   # (h, d)
    given = check_inputs(model, X, feature_names=feature_names, groups=groups, d=W.shape[1],
                         call_model=X is not None)
    names = given.names
    sigma = None if given.X is None else column_std(given.X)
    total = np.abs(W).sum(axis=0)
    values = total if sigma is None else sigma * total
    info = {"sigma": None if sigma is None else series(sigma, names), "abs_weight_sum": series(total, names)}
    if given.grouped:
        info.update(given.info(), by_column=series(values, names))
    return Importance("weight_sum", series(given.sum(values), given.index()), info=info)


def garson(model: nn.Module, *, feature_names=None, groups=None) -> Importance:
    """Garson's (1991) algorithm, as R's NeuralNetTools ``garson()`` computes it.

    Biases are dropped. For each hidden node ``h``, the contribution of input ``i`` through it is
    ``c_ih = |w_ih| * |v_h|``; it is shared out within the node, ``r_ih = c_ih / sum_i c_ih``; the
    shares are summed over the nodes, ``S_i = sum_h r_ih``; and the result is normalised,
    ``I_i = S_i / sum_i S_i``. The values are positive and sum to 1.

    Note that ``|v_h|`` appears in the numerator and the denominator of ``r_ih`` and cancels:
    ``r_ih = |w_ih| / sum_i |w_ih|``. Garson's importance therefore does **not** depend on the
    hidden-to-output weights at all (scale them, flip their signs: same result). A hidden node
    whose ``c_ih`` are all zero (``v_h = 0`` or no input weights) is left out; NeuralNetTools
    would give NaN there.

    Parameters
    ----------
    model : torch.nn.Module
        A one-hidden-layer net with one output: an ``MLP``, or an ``nn.Sequential`` (or its
        TorchScript) of two Linear layers with an activation between them. Garson's algorithm is
        defined for one hidden layer only: a deeper net is a ``ValueError`` naming why
        (``why_not_garson``).
    feature_names : sequence of str, optional
        Names of the inputs; default the model's saved names or ``x1 .. xd``.
    groups : mapping of str -> list of str, optional
        Groups of columns reported as one input. A group's share is the **sum** of its columns'
        shares, ``I_G = sum_{i in G} I_i``: the share of the first-layer weight that leaves the
        group (the shares of the groups still sum to 1).

    Returns
    -------
    Importance
        ``method="garson"``; ``values`` the normalised shares ``I_i`` (summing to 1), per input
        or per group; with groups ``info["groups"]`` and ``info["by_column"]``.

    When it misleads
    ----------------
    It has no sign, ignores the output weights (see above) and the biases, and so cannot see
    that two hidden nodes cancel each other at the output. It ignores the data entirely: an
    input with large weights but almost no spread in the data still looks important. Olden,
    Joy & Death (2004) found it the least accurate of the common methods on simulated data.
    A group's share grows with its number of columns, as for ``weight_sum``.

    References
    ----------
    Garson, G. D. (1991). Interpreting neural-network connection weights. AI Expert 6(4), 46-51.
    Goh, A. T. C. (1995). Back-propagation neural networks for modeling complex systems.
    Artificial Intelligence in Engineering 9(3), 143-151.
    Beck, M. W. (2018). NeuralNetTools: Visualization and analysis tools for neural networks.
    Journal of Statistical Software 85(11), 1-20.
    """
    check_model(model)
    _applies(why_not_garson(model))
    W1, V = _chain_weights(model)                            # W1 (h, d), V (1, h)
    v = V[0]
    given = check_inputs(model, feature_names=feature_names, groups=groups, d=W1.shape[1], call_model=False)
    c = np.abs(W1) * np.abs(v)[:, None]                      # c[h, i] = |w_ih| |v_h|
    node_total = c.sum(axis=1, keepdims=True)
    r = np.divide(c, node_total, out=np.zeros_like(c), where=node_total > 0)
    S = r.sum(axis=0)
    if S.sum() == 0:
        raise ValueError("garson needs at least one hidden node with a nonzero input weight "
                         "and a nonzero output weight; every product |w_ih| |v_h| is zero")
    shares = S / S.sum()
    info = {**given.info(), "by_column": series(shares, given.names)} if given.grouped else {}
    return Importance("garson", series(given.sum(shares), given.index()), info=info)


def olden(model: nn.Module, *, feature_names=None, groups=None) -> Importance:
    """Olden & Jackson's (2002) connection-weight importance: ``I_i = sum_j w_ij * v_j``.

    The product of the input-to-hidden and hidden-to-output weights, summed over the hidden nodes,
    with its sign: positive when the paths from input ``i`` push the output up overall. For a net
    whose activation is the identity, this is exactly the slope of the output in input ``i``;
    for tanh it is the slope at x = 0 of the net *with its biases removed* (tanh'(0) = 1; for the
    sigmoid a quarter of it). It is not the slope of the net itself at any one point in general:
    with more hidden nodes than inputs no input puts every hidden pre-activation at 0 (chapter 2).

    With several hidden layers, the sum runs over every path from input ``i`` to the output of the
    product of the weights along it, which is the product of the weight matrices:
    ``I = W_L @ ... @ W_2 @ W_1`` (one row, one number per input), with ``W_l`` the (out, in) weight
    matrix of layer ``l``; for one hidden layer ``I = v @ W1``, Olden's own formula. No activation
    slopes enter (as in the one-layer formula), so it is again the net's slope in input ``i`` when
    every activation is the identity, or, for tanh, the slope at x = 0 of the net without biases.

    Parameters
    ----------
    model : torch.nn.Module
        A chain of Linear layers with elementwise activations between them and one output: an
        ``MLP``, a ``DeepMLP``, or an ``nn.Sequential`` of Linear layers and activations (or its
        TorchScript). ``why_not_olden`` says when a model is not.
    feature_names : sequence of str, optional
        Names of the inputs; default the model's saved names or ``x1 .. xd``.
    groups : mapping of str -> list of str, optional
        Groups of columns. Olden **declines** a group of more than one column
        (``GroupsNotSupported``, a ``ValueError``): see "When it misleads". Groups of one column
        only rename (and order) the inputs.

    Returns
    -------
    Importance
        ``method="olden"``; ``values`` the signed sums (rank them by absolute value);
        ``info["hidden_layers"]`` the number of hidden layers multiplied through.

    When it misleads
    ----------------
    It ignores the biases and the activation's curvature: a hidden node that the data drive into
    saturation (where tanh is flat) still counts with its full weight, and the slope it describes
    holds near one point, not over the data. With several hidden layers this grows worse: a ReLU
    node that is off for every row still passes its paths' products on, and the products of many
    weights can cancel or swell in ways no row of data shows. Like every weight measure it ignores
    the inputs' scales, so inputs must be standardised before the values are compared. A group has
    no Olden number: the signed sum over a category's one-hot columns is the slope of turning every
    level on at once (not a possible row), and summing absolute values would no longer be Olden's
    signed measure; the measure declines rather than give a number that means nothing.

    References
    ----------
    Olden, J. D. & Jackson, D. A. (2002). Illuminating the "black box": a randomization approach
    for understanding variable contributions in artificial neural networks. Ecological Modelling
    154, 135-150 (the one-hidden-layer formula).
    Olden, J. D., Joy, M. K. & Death, R. G. (2004). An accurate comparison of methods for
    quantifying variable importance in artificial neural networks using simulated data.
    Ecological Modelling 178, 389-397.
    Beck, M. W. (2018). NeuralNetTools: Visualization and analysis tools for neural networks.
    Journal of Statistical Software 85(11), 1-20 (its ``olden()`` multiplies the weight matrices
    of every hidden layer in turn: the extension used here).
    """
    check_model(model)
    _applies(why_not_olden(model))
    weights = _chain_weights(model)                          # W_1 (h1, d) ... W_L (1, h_{L-1})
    given = check_inputs(model, feature_names=feature_names, groups=groups, d=weights[0].shape[1],
                         call_model=False)
    given.decline("olden", OLDEN_DECLINES)
    product = weights[-1][0]                                 # v: (h_{L-1},)
    for W in reversed(weights[:-1]):
        product = product @ W                                # ... (d,) at the end; v @ W1 for one layer
    return Importance("olden", series(given.sum(product), given.index()),
                      info={**given.info(), "hidden_layers": len(weights) - 1})


def _n_inputs(model: nn.Module) -> int:
    """Number of inputs: ``model.n_inputs``, else the first layer's (``first_linear``), else the
    inputs of the first Linear layer among its modules."""
    n = getattr(model, "n_inputs", None)
    if n is not None:
        return int(n)
    layer, _ = first_linear(model)
    if layer is not None:
        return int(layer.weight.shape[1])
    for layer in model.modules():
        if is_linear(layer):
            return int(layer.weight.shape[1])
    raise ValueError("one_hot_probe cannot tell the model's number of inputs: it has no "
                     "`n_inputs` attribute and no nn.Linear layer")


def one_hot_probe(model: nn.Module, *, feature_names=None, groups=None) -> Importance:
    """The output of the bias-free net for each unit vector: ``I_i = f_0(e_i)``.

    ``f_0`` is the net with every ``nn.Linear`` bias set to 0 (on a copy; the model given is not
    changed) and ``e_i`` the input that is 1 at input ``i`` and 0 elsewhere. The values are signed
    raw outputs (the logit for a binary model). ``info["f0_at_zero"]`` holds ``f_0(0)``, which is
    not 0 for a sigmoid hidden layer.

    Parameters
    ----------
    model : torch.nn.Module
        Any module whose biases sit in ``nn.Linear`` layers (biases of other layers are kept),
        TorchScript nets included (their Linear layers are found by ``helpers._base.is_linear``).
    feature_names : sequence of str, optional
        Names of the inputs; default the model's saved names or ``x1 .. xd``.
    groups : mapping of str -> list of str, optional
        Groups of columns. The probe **declines** a group of more than one column
        (``GroupsNotSupported``): there is no single unit vector for a group (turning on every
        level of a category is not a possible row). Groups of one column only rename the inputs.

    Returns
    -------
    Importance
        ``method="one_hot_probe"``; ``values`` the signed outputs ``f_0(e_i)``;
        ``info["signed"] = True``, ``info["f0_at_zero"]`` and ``info["note"]``.

    When it misleads
    ----------------
    A lightbulb in a labyrinth: it lights one arbitrary spot and calls that the map. The point
    ``e_i`` is a single input value (1, with every other input at 0) that may lie nowhere near the
    data; it ignores the data's scale and spread (1 may be tiny or huge for input ``i``), how
    inputs vary together, the operating point that the biases set (removing them moves every
    hidden node to another part of its curve), and that the response is nonlinear: the output at
    ``e_i`` says little about the output anywhere else. It is in the course as the tempting
    shortcut to be argued against.

    References
    ----------
    Gevrey, M., Dimopoulos, I. & Lek, S. (2003). Review and comparison of methods to study the
    contribution of variables in artificial neural network models. Ecological Modelling 160,
    249-264 (for the sensible alternatives).
    """
    check_model(model)
    _applies(why_not_one_hot_probe(model))
    given = check_inputs(model, feature_names=feature_names, groups=groups, d=_n_inputs(model))
    given.decline("one_hot_probe", PROBE_DECLINES)
    d = given.d
    probe = copy.deepcopy(model)
    with torch.no_grad():
        for layer in probe.modules():
            if is_linear(layer) and getattr(layer, "bias", None) is not None:
                layer.bias.zero_()
        f0 = forward_fn(probe)
        out = f0(torch.eye(d)).double().numpy()
        at_zero = float(f0(torch.zeros(1, d))[0])
    return Importance("one_hot_probe", series(given.sum(out), given.index()),
                      info={**given.info(), "signed": True, "f0_at_zero": at_zero,
                            "note": "signed raw output (logit for a binary model) of the net with "
                                    "all nn.Linear biases set to 0, at each unit vector e_i"})

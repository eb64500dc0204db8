"""What every importance measure shares: the ``Importance`` result and input validation.

Measures live in small modules (``_weights``, ``_gradients``, ``_perturbation``, ``_shapley``,
``_retrain``, ``_profile``) and are all re-exported by ``helpers.importance``.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from helpers.csvfile import did_you_mean


@dataclass
class Importance:
    """The result of one importance measure.

    Attributes
    ----------
    method : str
        The measure's name, e.g. ``"gradient"``.
    values : pandas.Series
        One number per input, indexed by feature name: the global importance.
    std : pandas.Series or None
        Spread of ``values`` over repeats or seeds (standard deviation), where there is one.
    samples : pandas.DataFrame or None
        The raw repeats (one row per repeat or seed, one column per feature), so that a plot can
        show error bars without recomputing.
    local : pandas.DataFrame or None
        Per-row attributions, (n, d), where the measure has them.
    info : dict
        Anything else worth keeping: the signed mean, the baseline, the options used.
    """
    method: str
    values: pd.Series
    std: pd.Series | None = None
    samples: pd.DataFrame | None = None
    local: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return list(self.values.index)

    def to_frame(self) -> pd.DataFrame:
        """A tidy table: one row per feature with ``method, feature, importance, std``."""
        std = self.std.reindex(self.values.index) if self.std is not None else np.nan
        return pd.DataFrame({"method": self.method, "feature": self.values.index,
                             "importance": self.values.to_numpy(dtype=float),
                             "std": np.asarray(std, dtype=float) * np.ones(len(self.values))})

    def ranking(self) -> list[str]:
        """Feature names from most to least important (by absolute value)."""
        return list(self.values.abs().sort_values(ascending=False, kind="stable").index)

    def normalized(self) -> "Importance":
        """The same measure scaled so that the absolute values sum to 1 (for comparing measures)."""
        total = float(self.values.abs().sum())
        scale = 1.0 / total if total > 0 else 1.0
        return Importance(self.method, self.values * scale,
                          None if self.std is None else self.std * scale,
                          None if self.samples is None else self.samples * scale,
                          None if self.local is None else self.local * scale, dict(self.info))

    def __repr__(self) -> str:
        table = self.to_frame().drop(columns="method").set_index("feature")
        if self.std is None:
            table = table.drop(columns="std")
        return f"Importance({self.method!r})\n{table.round(4).to_string()}"

    def _repr_html_(self) -> str:
        table = self.to_frame().drop(columns="method").set_index("feature")
        if self.std is None:
            table = table.drop(columns="std")
        return f"<b>Importance: {self.method}</b>" + table.round(4).to_html()


# ---------------------------------------------------------------- validation
def as_matrix(X, name: str = "X") -> np.ndarray:
    """X as a finite (n, d) float64 array; a clear ValueError otherwise."""
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    if isinstance(X, pd.DataFrame):
        bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if bad:
            raise ValueError(f"{name} column {bad[0]!r} is not numeric")
        X = X.to_numpy()
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric: {err}") from None
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows x inputs), got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if not np.isfinite(arr).all():
        row, col = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} holds a missing or infinite value at row {row}, column {col}")
    return arr


def as_target(y, n: int, name: str = "y") -> np.ndarray:
    if isinstance(y, (pd.Series, pd.DataFrame)):
        y = y.to_numpy()
    arr = np.asarray(y, dtype=np.float64).reshape(-1) if np.ndim(y) <= 2 else None
    if arr is None or arr.shape != (n,):
        raise ValueError(f"{name} must hold one value per row of X ({n}), got shape {np.shape(y)}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds a missing or infinite value at row {int(np.argmax(~np.isfinite(arr)))}")
    return arr


def resolve_names(feature_names, d: int, X=None, model=None) -> list[str]:
    """Feature names: given ones, else a DataFrame's columns, else the model's saved names, else x1..xd."""
    if feature_names is None and isinstance(X, pd.DataFrame):
        feature_names = list(X.columns)
    if feature_names is None and model is not None:
        feature_names = getattr(model, "meta", {}).get("feature_names")
    if feature_names is None:
        return [f"x{i + 1}" for i in range(d)]
    names = [str(f) for f in feature_names]
    if len(names) != d:
        raise ValueError(f"feature_names has {len(names)} names but there are {d} inputs")
    if len(set(names)) != len(names):
        raise ValueError("feature_names holds a name twice")
    return names


class GroupsNotSupported(ValueError):
    """A measure declines a group of several columns: one number for it would mean nothing.

    A ``ValueError`` (so existing ``except ValueError`` still catches it) that keeps what a report
    needs to skip the measure with a note: ``measure`` (its name), ``group`` (the first group of
    more than one column), ``columns`` (that group's columns) and ``reason`` (why, in a sentence).
    ``helpers.importance.REGISTRY[name].group_rule == "declines"`` says the same before any work.
    """

    def __init__(self, measure: str, group: str, columns: Sequence[str], reason: str):
        self.measure, self.group, self.columns, self.reason = measure, group, list(columns), reason
        super().__init__(f"{measure} does not support groups of columns: the group {group!r} holds "
                         f"{len(self.columns)} columns ({', '.join(map(repr, self.columns))}); {reason}")


def check_groups(groups, feature_names: Sequence[str], *, partition: bool = True) -> dict[str, list[int]]:
    """The groups of input columns, checked: group name -> the column indices, in feature order.

    Parameters
    ----------
    groups : mapping of str -> list of str, list of lists of str, or None
        The groups, by column name: ``{"species": ["species=Chinstrap", "species=Gentoo"]}``. A
        single string stands for a group of that one column. In a list of lists a group is named
        by joining its columns with "+" (``[["x1", "x2"]]`` gives "x1+x2"). None: every column is
        its own group, named after it.
    feature_names : sequence of str
        The names of the columns, in the order of the data's columns.
    partition : bool, default True
        True (what every measure uses): the groups must not share a column; a column in no group
        becomes a group of its own (named after it); and the groups come in the order of their
        first column. False (``grouped_permutation``): exactly the groups given, in the order
        given, which may overlap.

    Returns
    -------
    dict of str -> list of int
        Group name -> the positions of its columns in ``feature_names``, ascending.

    Raises
    ------
    ValueError
        A column name that is not one of ``feature_names`` (with a did-you-mean), an empty group,
        a column named twice in a group, a column in two groups (with ``partition``), two groups
        with one name, or a group named like a column that it does not hold.
    """
    names = [str(f) for f in feature_names]
    position = {f: j for j, f in enumerate(names)}
    if groups is None:
        return {f: [j] for j, f in enumerate(names)}
    if isinstance(groups, Mapping):
        items = [(str(k), v) for k, v in groups.items()]
    elif isinstance(groups, (list, tuple)):
        items = []
        for g in groups:
            if isinstance(g, str) or not isinstance(g, (list, tuple)):
                raise ValueError(f"groups must be a dict of name -> list of features or a list of lists, got element {g!r}")
            items.append(("+".join(map(str, g)), g))
    else:
        raise ValueError(f"groups must be a dict or a list of lists of feature names, got {type(groups).__name__}")
    if not items and not partition:
        raise ValueError("groups is empty: name at least one group")
    labels, units, owner = [], [], {}
    for label, members in items:
        if isinstance(members, str):
            members = [members]
        if not isinstance(members, (list, tuple)) or not members:
            raise ValueError(f"group {label!r} must be a non-empty list of feature names, got {members!r}")
        unknown = [str(m) for m in members if str(m) not in position]
        if unknown:
            shown = names if len(names) <= 20 else names[:20] + ["..."]
            raise ValueError(f"group {label!r} names {unknown[0]!r}, which is not one of the features "
                             f"{shown}{did_you_mean(unknown[0], names)}")
        cols = [position[str(m)] for m in members]
        if len(set(cols)) != len(cols):
            raise ValueError(f"group {label!r} names a feature twice: {list(members)!r}")
        if label in labels:
            raise ValueError(f"two groups are called {label!r}")
        if partition:
            for j in cols:
                if j in owner:
                    raise ValueError(f"column {names[j]!r} is in two groups, {owner[j]!r} and {label!r}: "
                                     "a column may belong to one group only")
                owner[j] = label
        labels.append(label)
        units.append(sorted(cols) if partition else cols)
    if not partition:
        return dict(zip(labels, units))
    given = dict(zip(labels, units))
    out: dict[str, list[int]] = {}
    for j, f in enumerate(names):
        if j in owner:
            if owner[j] not in out:
                out[owner[j]] = given[owner[j]]
            continue
        if f in given:
            raise ValueError(f"group {f!r} is named like the column {f!r} but does not hold it: "
                             "rename the group or put the column in it")
        out[f] = [j]
    return out


@dataclass(frozen=True)
class Inputs:
    """What the shared input check gives a measure: the data matrix (or None), the column names,
    and the groups (name -> column indices; every column its own group when none were given).

    ``grouped`` is True when the caller gave groups; then a measure's result is indexed by the
    group names and ``info["groups"]`` names each group's columns.
    """
    X: np.ndarray | None
    names: list
    groups: dict
    grouped: bool

    @property
    def labels(self) -> list[str]:
        return list(self.groups)

    @property
    def d(self) -> int:
        return len(self.names)

    def membership(self) -> np.ndarray:
        """The (d, g) 0/1 matrix: ``M[j, k] = 1`` when column ``j`` is in group ``k``."""
        M = np.zeros((self.d, len(self.groups)))
        for k, cols in enumerate(self.groups.values()):
            M[cols, k] = 1.0
        return M

    def sum(self, values: np.ndarray) -> np.ndarray:
        """``values`` (..., d) summed over each group's columns: (..., g). One matrix product."""
        if not self.grouped:
            return values
        return np.asarray(values, dtype=np.float64) @ self.membership()

    def columns(self) -> dict[str, list[str]]:
        """Group name -> its column names (for ``info["groups"]``)."""
        return {g: [self.names[j] for j in cols] for g, cols in self.groups.items()}

    def index(self) -> list[str]:
        """The names a result is indexed by: the group names, or the column names."""
        return self.labels if self.grouped else list(self.names)

    def widest(self) -> tuple[str, list[str]] | None:
        """The first group of more than one column (name, column names), or None."""
        for g, cols in self.groups.items():
            if len(cols) > 1:
                return g, [self.names[j] for j in cols]
        return None

    def decline(self, measure: str, reason: str) -> None:
        """Raise ``GroupsNotSupported`` if any group holds more than one column."""
        wide = self.widest()
        if wide is not None:
            raise GroupsNotSupported(measure, wide[0], wide[1], reason)

    def info(self) -> dict:
        """``{"groups": ...}`` when groups were given, else nothing: merged into a result's info."""
        return {"groups": self.columns()} if self.grouped else {}


def check_inputs(model, X=None, *, feature_names=None, groups=None, d: int | None = None,
                 X_name: str = "X", call_model: bool = True) -> Inputs:
    """The one input check every measure starts with: the model, the matrix, the names, the groups.

    In order: ``model`` is a ``torch.nn.Module`` (skipped when None: ``ablation`` has no model);
    ``X`` is a finite (n, d) numeric matrix (``as_matrix``; None for the weight measures, which
    then need ``d``); the model takes d columns and gives one output per row (``check_model``,
    skipped with ``call_model=False``); ``feature_names`` (``resolve_names``); and ``groups``
    (``check_groups``, a partition of the columns).
    """
    if model is not None:
        check_model(model)
    Xa = None
    if X is not None:
        Xa = as_matrix(X, X_name)
        d = Xa.shape[1]
    if d is None:
        raise ValueError("check_inputs needs X or the number of inputs d")
    if model is not None and call_model:
        check_model(model, d)
    names = resolve_names(feature_names, d, X=X, model=model)
    return Inputs(Xa, names, check_groups(groups, names), groups is not None)


def check_model(model, d: int | None = None) -> nn.Module:
    """A torch module mapping (n, d) float32 to (n,) or (n, 1); a clear ValueError otherwise."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    n_inputs = getattr(model, "n_inputs", None)
    if n_inputs is None and isinstance(getattr(model, "hidden", None), nn.Linear):
        n_inputs = model.hidden.in_features
    if d is not None and n_inputs is not None and n_inputs != d:
        raise ValueError(f"the model has {n_inputs} inputs but X has {d} columns")
    if d is not None:
        with torch.no_grad():
            try:
                out = model(torch.zeros(2, d))
            except Exception as err:  # noqa: BLE001 - a model that cannot take the data
                raise ValueError(f"the model cannot take data with {d} columns: {err}") from None
        if tuple(out.shape) not in ((2,), (2, 1)):
            raise ValueError(f"the model must give one output per row, (n,) or (n, 1); got shape {tuple(out.shape)[1:]} per batch")
    return model


def forward_fn(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """The model as a function of a float32 (n, d) tensor giving (n,): its raw output
    (the logit for a binary model)."""
    return lambda x: model(x).reshape(x.shape[0])


# ---------------------------------------------------------------- reading a net's layers
ELEMENTWISE = frozenset({
    "Tanh", "Sigmoid", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
    "Softplus", "Softsign", "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid", "Tanhshrink", "Identity",
    "Dropout", "AlphaDropout"})
"""Modules (by class name) that act on each number alone, or not at all in eval mode: between two
``nn.Linear`` layers of an ``nn.Sequential`` they keep it a chain of Linear layers."""


def layer_kind(module: nn.Module) -> str:
    """A module's class name: ``type(module).__name__``, or for a TorchScript module the name of the
    class it was compiled from (``original_name``: "Linear", "Sequential", "ReLU" ...)."""
    if isinstance(module, torch.jit.ScriptModule):
        return str(getattr(module, "original_name", type(module).__name__))
    return type(module).__name__


def is_linear(module) -> bool:
    """An ``nn.Linear``, or a TorchScript module compiled from one (with a 2-D ``weight``)."""
    if isinstance(module, nn.Linear):
        return True
    return (isinstance(module, torch.jit.ScriptModule) and layer_kind(module) == "Linear"
            and isinstance(getattr(module, "weight", None), torch.Tensor) and module.weight.dim() == 2)


def _is_sequential(module) -> bool:
    """An ``nn.Sequential`` computing Sequential's own forward (not a subclass that changes it), or a
    TorchScript module compiled from one: its children are applied in order, one after the other."""
    if isinstance(module, torch.jit.ScriptModule):
        return layer_kind(module) == "Sequential"
    return isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward


def _flat_sequence(module) -> list:
    """The children of a (possibly nested) Sequential, in the order they are applied."""
    out = []
    for child in module.children():
        out.extend(_flat_sequence(child) if _is_sequential(child) else [child])
    return out


def linear_chain(model) -> tuple[list, str | None]:
    """The ``nn.Linear`` layers a net applies one after the other, first to last, with only
    elementwise activations between them: ``(layers, None)``, or ``([], reason)`` when they cannot
    be read.

    Readable: the kit's ``MLP`` and ``DeepMLP`` (``hidden``, the ``deeper`` layers, ``output``; also
    traced to TorchScript) and an ``nn.Sequential`` (or a TorchScript net compiled from one) of Linear layers and elementwise
    modules (``ELEMENTWISE``). Each layer must take the previous one's outputs and the last must give
    one output. A module with any other structure has no order of layers that can be read from it
    (its ``forward`` may use them in any order): the reason says so.
    """
    if not isinstance(model, nn.Module):
        return [], f"it is not a torch.nn.Module but {type(model).__name__}"
    hidden, output = getattr(model, "hidden", None), getattr(model, "output", None)
    kit_net = (not isinstance(model, torch.jit.ScriptModule)
               or layer_kind(model) in ("MLP", "DeepMLP"))    # a TorchScript of the kit's own nets too
    if kit_net and is_linear(hidden) and is_linear(output):
        deeper = getattr(model, "deeper", None)
        layers = [hidden, *(list(deeper.children()) if isinstance(deeper, nn.Module) else []), output]
    elif _is_sequential(model):
        steps = _flat_sequence(model)
        other = [layer_kind(m) for m in steps if not is_linear(m) and layer_kind(m) not in ELEMENTWISE]
        if other:
            return [], (f"its layers include {other[0]}, which is neither a Linear layer nor an elementwise "
                        "activation")
        layers = [m for m in steps if is_linear(m)]
        if not layers:
            return [], "it has no Linear layer"
    else:
        return [], (f"it is a {layer_kind(model)}, not the kit's MLP or DeepMLP nor an nn.Sequential (or a "
                    "TorchScript net compiled from one), so the order in which it uses its layers cannot be read")
    for before, after in zip(layers, layers[1:]):
        if after.weight.shape[1] != before.weight.shape[0]:
            return [], (f"a Linear layer with {after.weight.shape[1]} inputs follows one with "
                        f"{before.weight.shape[0]} outputs")
    if layers[-1].weight.shape[0] != 1:
        return [], f"its last Linear layer has {layers[-1].weight.shape[0]} outputs, not one"
    return layers, None


def first_linear(model) -> tuple[nn.Module | None, str | None]:
    """The layer each input enters first, when it is an ``nn.Linear``: ``(layer, None)``, or
    ``(None, reason)``.

    Found as: ``model.hidden`` (the kit's nets); the first module of an ``nn.Sequential`` (or of a
    TorchScript net compiled from one); for any other TorchScript net, the Linear layer that owns its
    first parameter (a TorchScript file keeps no Python class; a module registers its layers in the
    order it uses them, as ``nn.Sequential`` does, nearly always). A plain Python module with another
    structure is not guessed at: its ``forward`` may use its layers in any order.
    """
    if not isinstance(model, nn.Module):
        return None, f"it is not a torch.nn.Module but {type(model).__name__}"
    hidden = getattr(model, "hidden", None)
    if isinstance(hidden, nn.Linear):
        return hidden, None
    if _is_sequential(model):
        steps = _flat_sequence(model)
        if steps and is_linear(steps[0]):
            return steps[0], None
        return None, f"its first layer is {layer_kind(steps[0]) if steps else 'missing'}, not a Linear layer"
    if isinstance(model, torch.jit.ScriptModule):
        first = next(iter(model.state_dict()), None)
        if first is not None and first.endswith("weight"):
            owner = first.rpartition(".")[0]
            layer = dict(model.named_modules()).get(owner)   # (get_submodule is refused on ScriptModules)
            if layer is not None and is_linear(layer):
                return layer, None
        return None, f"its first parameter ({first or 'none'}) is not the weight of a Linear layer"
    return None, f"{layer_kind(model)} is neither"


def first_layer(model: nn.Module) -> np.ndarray:
    """The first layer's weights as (n_hidden, n_inputs), float64 (see ``first_linear``)."""
    layer, reason = first_linear(model)
    if layer is None:
        raise ValueError("this measure reads the first layer's weights: the model needs a `hidden` nn.Linear "
                         "layer, or to be an nn.Sequential (or a TorchScript net) whose first layer is an "
                         f"nn.Linear; {reason}")
    return layer.weight.detach().double().numpy()


def one_hidden_layer(model: nn.Module) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(W1 (h, d), b1 (h,), v (h,), b2) of a one-hidden-layer net; ValueError for any other."""
    hidden, output = getattr(model, "hidden", None), getattr(model, "output", None)
    if not (isinstance(hidden, nn.Linear) and isinstance(output, nn.Linear)) or len(getattr(model, "deeper", [])):
        raise ValueError("this measure needs a one-hidden-layer net with `hidden` and `output` nn.Linear layers")
    if output.out_features != 1 or output.in_features != hidden.out_features:
        raise ValueError("this measure needs one output fed by the hidden layer")
    return (hidden.weight.detach().double().numpy(), hidden.bias.detach().double().numpy(),
            output.weight.detach().double().numpy()[0], float(output.bias.detach()[0]))


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {value!r}")
    return int(value)


def check_seed(seed, name: str = "seed") -> int:
    """A seed for numpy's or torch's generators: a non-negative integer (not a bool)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {seed!r}")
    return int(seed)


def check_choice(name: str, value, choices: Sequence):
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(map(repr, choices))}")
    return value


def series(values, names, name=None) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=pd.Index(names, name="feature"), name=name)


def frame(values, names) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(values, dtype=float), columns=pd.Index(names, name="feature"))


def column_std(X: np.ndarray) -> np.ndarray:
    """sigma_i: the population standard deviation of each input over the rows given."""
    return X.std(axis=0)


@contextlib.contextmanager
def one_thread():
    """Torch on one thread inside the block (its setting restored after): training and the
    batched measures split their work themselves, or are too small to gain from threads, and one
    thread keeps their bits independent of the machine's thread settings."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)

"""Loading what a user brings: a trained network in any of the formats below, each told from the
file's own content (never from its name alone), and saving the kit's own format.

- "kit": a file written by ``save`` (``helpers.model.save``): a torch file whose dict says
  ``format: FORMAT``; loaded as the ``MLP`` it holds, with its input names and standardisation.
- "state dict": ``torch.save(net.state_dict(), path)`` of the kit's ``MLP`` or ``DeepMLP`` (keys
  ``hidden.weight ... output.bias``, and ``deeper.0.weight ...``); loaded as that net.
- "Sequential state dict": the state dict of an ``nn.Sequential`` of Linear layers with activations
  between them (keys ``0.weight, 0.bias, 2.weight, 2.bias, ...``, any depth, possibly under one
  prefix such as ``net.``); loaded as an ``MLP`` (one hidden layer) or a ``DeepMLP`` (more), the
  activation given by the caller.
- "TorchScript": ``torch.jit.script(m).save(path)`` or ``torch.jit.trace(m, x).save(path)``, any
  architecture: a zip holding ``<archive>/code/...`` and ``constants.pkl`` (a ``torch.save`` zip
  holds ``data.pkl`` and tensors only); loaded with ``torch.jit.load``.
- "npz": ``np.savez(path, W1=..., b1=..., ..., Wk=..., bk=...)`` in scikit-learn's and Keras's
  (in, out) layout, optionally with ``mean`` and ``std`` of the inputs the model was trained on and
  ``feature_names``: a zip of ``.npy`` arrays; loaded as an ``MLP`` or a ``DeepMLP``.

A file that is a pickled Python object (``torch.save(model)`` of a whole module) is refused
without unpickling anything: ``torch.load(..., weights_only=True)`` declines it, and the message
names the two lines that convert the model into a format above. A model file is never unpickled
(the unsafe, unpickling mode is never used); the classes a pickle would build are named by reading its opcodes
(``pickletools``), which runs none of them. A TorchScript archive is run by torch's TorchScript
interpreter (``torch.jit.load``), not by Python's unpickler.

Before anything is allocated, what a file claims is checked: the layer sizes must be integers from 1
to ``MAX_LAYER_SIZE`` that chain (each layer takes the previous one's outputs, the last gives one
output), at most ``MAX_LAYERS`` layers and ``MAX_PARAMETERS`` weights in all, finite floats; an
``.npz``'s shapes are read from its arrays' headers before their data, and a zip's unpacked size
from its directory. A bad file is a ``ValueError`` naming the file and what is wrong.

``read_model`` returns a ``BroughtModel``: the module and what a report says about it (its format,
layer sizes, activation, task, the inputs' scaling and where it came from, the input names, a
description in plain words). ``load`` returns the module alone (``helpers.model.load``).
"""
from __future__ import annotations

import pickle
import pickletools
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from helpers._base import ELEMENTWISE, check_choice, first_linear, layer_kind, linear_chain
from helpers.model import ACTIVATIONS, TASKS, DeepMLP, MLP

FORMAT = "input-importance-kit/mlp/1"
"""The ``format`` field of a file written by ``save``."""
FORMATS = ("kit", "state dict", "Sequential state dict", "TorchScript", "npz")
"""The formats ``read_model`` reads, by the name ``BroughtModel.format`` carries."""
MAX_LAYER_SIZE = 100_000
"""The most inputs, and the most nodes in a layer, a loaded model may have: a file that claims more is
refused before anything is allocated."""
MAX_LAYERS = 100
"""The most Linear layers a weight file may describe."""
MAX_PARAMETERS = 50_000_000
"""The most weights (and biases) a weight file may describe, 200 MB as float32."""
MAX_UNPACKED_BYTES = 2 * 1024 ** 3
"""The most bytes a zip-based model file (torch, TorchScript, .npz) may unpack to."""
CONVERT = ('torch.jit.script(model).save("net.pt")', 'torch.save(model.state_dict(), "net.pt")')
"""The one line that turns a trained torch module into a file the kit reads: TorchScript (any
architecture), or its weights (an nn.Sequential of Linear layers and activations, or the kit's nets)."""

_STATE_KEYS = ("hidden.weight", "hidden.bias", "output.weight", "output.bias")
_TORCH_ACTIVATIONS = {"Tanh": "tanh", "Sigmoid": "sigmoid", "ReLU": "relu"}
_SKLEARN_ACTIVATIONS = {"tanh": "tanh", "logistic": "sigmoid", "relu": "relu"}
_SEQUENTIAL_KEY = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<index>\d+)\.(?P<kind>weight|bias)$")
_NPZ_KEY = re.compile(r"^(?P<kind>[Wb])(?P<index>\d+)$")
_NPZ_EXTRAS = ("mean", "std", "feature_names")


@dataclass
class BroughtModel:
    """A model read from a file, with what a report says about it.

    Attributes
    ----------
    model : torch.nn.Module
        In eval mode, mapping (n, d) float32 to (n,) or (n, 1): the prediction for a regression, the
        logit of class 1 for a binary task. ``model.task`` is set when the task is known.
    format : str
        One of ``FORMATS``: "kit", "state dict", "Sequential state dict", "TorchScript", "npz".
    layers : list of int or None
        The layer sizes from the inputs to the output, e.g. ``[12, 32, 16, 1]``; None when they
        cannot be read (a TorchScript net that is not a chain of Linear layers).
    activation : str or None
        The hidden layers' activation: stored in a kit file, given (``activation=``) for a weight
        file, read from a TorchScript ``nn.Sequential`` when all its activations are one kind; None
        when unknown.
    task : {"regression", "binary"} or None
        Stored in a kit file, else the ``task`` given; None when unknown.
    scaler : helpers.data.Standardizer or None
        The standardisation of the inputs the model was trained on, when the file carries it.
    scaling_source : str or None
        Where ``scaler`` came from: "saved with the model" or "the .npz's mean and std"; None
        without one.
    feature_names : list of str or None
        The input names the file carries.
    description : str
        The model in plain words: "a 12-32-16-1 TorchScript net", "a 10-20-1 tanh net saved by the kit".
    path : pathlib.Path or None
        The file read.
    """
    model: nn.Module
    format: str
    layers: list | None
    activation: str | None
    task: str | None
    scaler: object | None = None
    scaling_source: str | None = None
    feature_names: list | None = None
    description: str = ""
    path: Path | None = field(default=None, repr=False)

    @property
    def n_inputs(self) -> int | None:
        """The number of inputs, where known."""
        return self.layers[0] if self.layers else getattr(self.model, "n_inputs", None)

    @property
    def hidden_layers(self) -> int | None:
        """The number of hidden layers, where known."""
        return None if self.layers is None else len(self.layers) - 2


# ---------------------------------------------------------------- reading
def read_model(path, *, n_inputs: int | None = None, activation: str = "tanh",
               task: str | None = None) -> BroughtModel:
    """Read a trained network from ``path``, in any format of ``FORMATS``, told from the file itself.

    Parameters
    ----------
    path : str or pathlib.Path
        The model file.
    n_inputs : int, optional
        The number of columns of the data the model will see. A model with another number of inputs
        is a ``ValueError``; for a TorchScript net, a forward pass on a row of zeros with this many
        columns must work and give one output per row.
    activation : {"tanh", "sigmoid", "relu"}, default "tanh"
        The hidden layers' activation for a file of weights only (a state dict, a Sequential state
        dict, an ``.npz``); a kit file and a TorchScript net carry their own.
    task : {"regression", "binary"}, optional
        The task of a model whose file does not say (every format but the kit's); None: unknown
        (the model then predicts as a regression, ``model.task`` unset for TorchScript).

    Returns
    -------
    BroughtModel
        The module in eval mode and what is known about it.

    Raises
    ------
    ValueError
        A missing file; a file in no format above (naming what it holds); a pickled module (naming
        the formats and the line that converts); sizes that do not fit a net or exceed the limits;
        a model with another number of inputs than ``n_inputs``, or not one output per row.

    Examples
    --------
    >>> torch.jit.script(net).save("net.pt")                               # doctest: +SKIP
    >>> read_model("net.pt", n_inputs=12).description                      # doctest: +SKIP
    'a 12-32-16-1 TorchScript net'
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"model file {str(path)!r} does not exist" if not path.exists()
                         else f"model file {str(path)!r} is not a file")
    check_choice("activation", activation, tuple(ACTIVATIONS))
    if task is not None:
        check_choice("task", task, TASKS)
    if n_inputs is not None and (isinstance(n_inputs, bool) or not isinstance(n_inputs, (int, np.integer))
                                 or n_inputs < 1):
        raise ValueError(f"n_inputs must be a positive integer, got {n_inputs!r}")
    kind = _file_kind(path)
    if kind == "npz":
        brought = _read_npz(path, activation, task)
    elif kind == "TorchScript":
        brought = _read_torchscript(path, n_inputs, task)
    else:
        brought = _read_torch(path, activation, task)
    brought.path = path
    model = brought.model
    found = brought.n_inputs
    if n_inputs is not None and found is not None and found != n_inputs:
        raise ValueError(f"the model in {path.name} has {found} inputs but the data has {n_inputs}")
    if task is not None and brought.task is None:
        brought.task = task
    if brought.task is not None and getattr(model, "task", None) != brought.task:
        model.task = brought.task
    meta = getattr(model, "meta", None)
    if isinstance(meta, dict):  # the kit's nets: what load() callers read
        if brought.scaler is not None:
            meta["standardizer"] = brought.scaler.to_dict()
        if brought.feature_names is not None:
            meta["feature_names"] = list(brought.feature_names)
    model.eval()
    return brought


def load(path, *, n_inputs: int | None = None, activation: str | None = None,
         task: str | None = None) -> nn.Module:
    """Load a model from a file in any format ``read_model`` reads; the module alone.

    The kit's own nets come back as ``MLP`` or ``DeepMLP`` with ``meta`` holding what the file
    carries (``feature_names``, ``standardizer``); a TorchScript net as its TorchScript module. For a
    file of weights only give ``activation`` (default "tanh") and ``task`` (default: a regression).
    See ``read_model`` for the formats, the checks and the errors.
    """
    return read_model(path, n_inputs=n_inputs, activation=activation or "tanh", task=task).model


def _file_kind(path: Path) -> str:
    """"npz", "TorchScript" or "torch" (a file for ``torch.load``: a torch zip, a legacy torch file,
    or not a model at all), from the file's content. A zip's names are read, nothing in it is run."""
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".npz":
            raise ValueError(f"{path.name} is not a .npz archive (np.savez writes a zip file of arrays)")
        return "torch"
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as err:
        raise ValueError(f"{path.name} is not a readable zip archive: {err}") from None
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValueError(f"{path.name} unpacks to {unpacked} bytes, more than the {MAX_UNPACKED_BYTES} a "
                         "model file may hold")
    names = [info.filename for info in infos]
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    parts = [n.split("/") for n in names]
    # names are "<archive>/...": a TorchScript archive has "<archive>/code/..." and "<archive>/constants.pkl"
    if any("code" in p[1:-1] or p[-1] == "constants.pkl" for p in parts):
        return "TorchScript"
    if path.suffix.lower() == ".npz":
        raise ValueError(f"{path.name} is a zip archive but not of .npy arrays (it holds {names[:5]}); "
                         "write one with np.savez(path, W1=..., b1=..., ...)")
    return "torch"


# ---------------------------------------------------------------- torch.save files
def _read_torch(path: Path, activation: str, task: str | None) -> BroughtModel:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's restricted unpickler stopped at a class or function it does not build: a pickled object
        if "unsupported global" in str(err).lower() or _pickled_classes(path):
            raise ValueError(_pickled_module_message(path)) from None
        raise ValueError(f"{path.name} is not a model saved by torch: {_first_line(err)}") from None
    except Exception as err:  # noqa: BLE001 - any unreadable file gets the same clear message
        raise ValueError(f"{path.name} is not a model saved by torch: {_first_line(err)}") from None
    where = path.name
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        model = _kit_model(obj, where)
        meta = model.meta
        scaler, source = None, None
        if meta.get("standardizer") is not None:
            from helpers.data import Standardizer
            try:
                scaler = Standardizer.from_dict(meta["standardizer"])
            except ValueError as err:
                raise ValueError(f"{where}: the saved standardizer is not usable: {err}") from None
            if len(scaler.mean_) != model.n_inputs:
                raise ValueError(f"{where}: the saved standardizer has {len(scaler.mean_)} columns for a model "
                                 f"with {model.n_inputs} inputs")
            source = "saved with the model"
        names = meta.get("feature_names")
        layers = [model.n_inputs, model.n_hidden, 1]
        return BroughtModel(model, "kit", layers, model.activation, model.task, scaler, source,
                            None if names is None else [str(n) for n in names],
                            f"a {_sizes(layers)} {model.activation} net saved by the kit")
    if not isinstance(obj, dict):
        raise ValueError(f"{where} holds a {type(obj).__name__}, not a model: {_formats_text()}")
    keys = [str(k) for k in obj]
    if set(_STATE_KEYS) <= set(keys) and not any(k.startswith("deeper.") for k in keys):
        n_in, n_hid = _state_sizes(obj, where)
        model = MLP(n_in, n_hid, activation, task or "regression", seed=0)
        model.load_state_dict(obj)
        layers = [n_in, n_hid, 1]
        return BroughtModel(model, "state dict", layers, activation, task, None, None, None,
                            f"a {_sizes(layers)} {activation} net from a state dict")
    if {"hidden.weight", "output.weight"} <= set(keys):
        return _read_deep_state(obj, where, activation, task)
    if keys and all(_SEQUENTIAL_KEY.match(k) for k in keys):
        return _read_sequential_state(obj, where, activation, task)
    raise ValueError(f"{where} is neither a saved kit model nor a state dict of MLP "
                     f"(expected keys hidden.weight, hidden.bias, output.weight, output.bias, or an "
                     f"nn.Sequential's 0.weight, 0.bias, 2.weight, ...; got {keys[:8]}). {_formats_text()}")


def _first_line(err: Exception) -> str:
    """The informative line of an error: torch's restricted unpickler puts it after its advice."""
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    for k, line in enumerate(lines):
        if "WeightsUnpickler error:" in line:
            rest = line.split("WeightsUnpickler error:", 1)[1].strip() or (lines[k + 1] if k + 1 < len(lines) else "")
            return rest[:300]
    if lines and "TorchScript interpreter" in lines[0]:  # the cause is the traceback's last error line
        causes = [line for line in lines if re.match(r"^\w*(Error|Exception): ", line)]
        if causes:
            return causes[-1][:300]
    return lines[0][:300] if lines else type(err).__name__


def _formats_text() -> str:
    return ("The kit reads: TorchScript (any architecture: " + CONVERT[0] + "); a state dict of an "
            "nn.Sequential of Linear layers and activations, or of the kit's MLP (" + CONVERT[1] + ", with "
            "`activation`); a file saved by helpers.model.save; or a .npz of weights W1, b1, ..., Wk, bk "
            "in the (in, out) layout of scikit-learn and Keras.")


def _pickled_classes(path: Path) -> list[str]:
    """The classes and functions a torch zip's pickle would look up, read from its opcodes
    (``pickletools.genops`` parses, it runs nothing); empty when they cannot be read."""
    found: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
            if name is None:
                return found
            data = archive.read(name)
        strings: list[str] = []
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name in ("GLOBAL", "INST"):
                found.append(str(arg).replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
    except Exception:  # noqa: BLE001 - only for the message: a file we cannot parse names nothing
        return found
    plain = ("torch._utils.", "collections.OrderedDict", "torch.FloatStorage", "torch.DoubleStorage",
             "torch.LongStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.IntStorage",
             "torch.storage.", "torch._tensor.", "torch.Size", "builtins.set", "__builtin__.set")
    seen = []
    for name in found:
        if not name.startswith(plain) and name not in seen:
            seen.append(name)
    return seen


def _pickled_module_message(path: Path) -> str:
    classes = _pickled_classes(path)
    what = f" ({', '.join(classes[:3])}{', ...' if len(classes) > 3 else ''})" if classes else ""
    return (f"{path.name} holds a pickled Python object{what}, as torch.save(model) writes for a whole module; "
            "the kit never unpickles a model file, since unpickling can run any code. Convert it once, where "
            f"the model was trained, with `{CONVERT[0]}` (any architecture) or `{CONVERT[1]}` (an "
            "nn.Sequential of Linear layers and activations), then give that file. " + _formats_text())


# ---------------------------------------------------------------- checks before allocating
def _check_size(where: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= MAX_LAYER_SIZE:
        raise ValueError(f"{where}: {name} must be an integer from 1 to {MAX_LAYER_SIZE}, got {value!r}")
    return int(value)


def _chain_sizes(where: str, layers: Sequence[tuple[str, tuple, str, tuple]], *, layout: str) -> list[int]:
    """The sizes ``[n_inputs, h_1, ..., 1]`` of a chain of layers, from their stored shapes only.

    ``layers`` holds ``(weight name, weight shape, bias name, bias shape)`` per layer, first to
    last, as stored: ``layout="torch"`` weights are (out, in), ``layout="npz"`` (in, out) (the last
    may be (in,), its bias () or (1,)). Nothing is allocated: sizes are checked against the limits
    and against each other, and a ``ValueError`` names the file and the array.
    """
    if not layers:
        raise ValueError(f"{where}: no layer of weights found")
    if len(layers) > MAX_LAYERS:
        raise ValueError(f"{where}: {len(layers)} layers, more than the {MAX_LAYERS} a model may have")
    npz = layout == "npz"
    sizes: list[int] = []
    total = 0
    for k, (w_name, w_shape, b_name, b_shape) in enumerate(layers):
        last = k == len(layers) - 1
        w_shape, b_shape = tuple(w_shape), tuple(b_shape)
        if npz and last and len(w_shape) == 1:
            w_shape = (w_shape[0], 1)
        if len(w_shape) != 2:
            want = "(n_in, n_out)" if npz else "(n_out, n_in)"
            raise ValueError(f"{where}: {w_name} must be 2-D {want}, got shape {tuple(w_shape)}")
        n_in, n_out = (w_shape[0], w_shape[1]) if npz else (w_shape[1], w_shape[0])
        side_in, side_out = ("rows", "columns") if npz else ("columns", "rows")
        if k == 0:
            sizes.append(_check_size(where, f"the number of inputs ({w_name}'s {side_in})", n_in))
        elif n_in != sizes[-1]:
            before = layers[k - 1][0]
            raise ValueError(f"{where}: {w_name} {tuple(w_shape)} takes {n_in} inputs but {before} gives "
                             f"{sizes[-1]} outputs: the layers do not chain")
        sizes.append(_check_size(where, f"the size of layer {k + 1} ({w_name}'s {side_out})", n_out))
        allowed = [(sizes[-1],)] + ([(), (1,)] if npz and last else [])
        if b_shape not in allowed:
            raise ValueError(f"{where}: {b_name} has shape {b_shape} but {w_name} {tuple(w_shape)} needs "
                             f"{sizes[-1]} biases, shape {(sizes[-1],)}")
        total += sizes[-2] * sizes[-1] + sizes[-1]
    if total > MAX_PARAMETERS:
        raise ValueError(f"{where}: {total} weights, more than the {MAX_PARAMETERS} a model may have")
    if sizes[-1] != 1:
        raise ValueError(f"{where}: the last layer ({layers[-1][0]}) has {sizes[-1]} outputs; the kit explains "
                         "nets with one output (the prediction, or the logit of class 1 for a binary task)")
    return sizes


def _check_tensors(where: str, state: dict, keys: Sequence[str]) -> None:
    for key in keys:
        value = state[key]
        if not (isinstance(value, torch.Tensor) and value.is_floating_point()):
            what = f"a tensor of {value.dtype}" if isinstance(value, torch.Tensor) else type(value).__name__
            raise ValueError(f"{where}: {key} must be a tensor of floats, got {what}")


def _check_finite(where: str, arrays) -> None:
    for a in arrays:
        finite = torch.isfinite(a).all() if isinstance(a, torch.Tensor) else np.isfinite(a).all()
        if not bool(finite):
            raise ValueError(f"{where}: the weights hold a missing or infinite value")


def _check_keys(where: str, state, keys, expected: str) -> None:
    """A ValueError naming the missing and the unexpected keys when ``state`` holds other keys
    than ``keys`` (``expected`` says what the weights of that net are)."""
    missing = [k for k in keys if k not in state]
    extra = [str(k) for k in state if k not in keys]
    if missing or extra:
        found = ([f"missing {missing[:8]}"] if missing else []) + ([f"unexpected {extra[:8]}"] if extra else [])
        raise ValueError(f"{where}: the weights of {expected}; {', '.join(found)}")


def _state_sizes(state, where: str) -> tuple[int, int]:
    """``(n_inputs, n_hidden)`` of an ``MLP`` state dict, once its four tensors are checked to be
    finite floats that fit one ``n_inputs``-``n_hidden``-1 net (nothing is allocated)."""
    if not isinstance(state, dict):
        raise ValueError(f"{where}: state_dict must be a dict of tensors, got {type(state).__name__}")
    _check_keys(where, state, _STATE_KEYS, f"an MLP are exactly {', '.join(_STATE_KEYS)}")
    _check_tensors(where, state, _STATE_KEYS)
    shape = tuple(state["hidden.weight"].shape)
    if len(shape) != 2:
        raise ValueError(f"{where}: hidden.weight must be 2-D (n_hidden, n_inputs), got shape {shape}")
    n_hidden = _check_size(where, "the hidden layer's size (hidden.weight's rows)", shape[0])
    n_inputs = _check_size(where, "the number of inputs (hidden.weight's columns)", shape[1])
    expected = {"hidden.bias": (n_hidden,), "output.weight": (1, n_hidden), "output.bias": (1,)}
    wrong = [f"{k} {tuple(state[k].shape)} (expected {want})" for k, want in expected.items()
             if tuple(state[k].shape) != want]
    if wrong:
        raise ValueError(f"{where}: the weights do not fit one {n_inputs}-{n_hidden}-1 net "
                         f"(hidden.weight {shape}): {'; '.join(wrong)}")
    _check_finite(where, [state[k] for k in _STATE_KEYS])
    return n_inputs, n_hidden


def _kit_model(obj: dict, where: str) -> MLP:
    """The ``MLP`` of a file saved by ``save``, after checking every stored field: the sizes it
    claims are checked, and compared with its tensors, before any net is built."""
    missing = [k for k in ("n_inputs", "n_hidden", "activation", "task", "state_dict") if k not in obj]
    if missing:
        raise ValueError(f"{where}: a saved kit model needs the fields {missing}")
    n_inputs = _check_size(where, "n_inputs", obj["n_inputs"])
    n_hidden = _check_size(where, "n_hidden", obj["n_hidden"])
    for name, choices in (("activation", tuple(ACTIVATIONS)), ("task", TASKS)):
        if obj[name] not in choices:
            raise ValueError(f"{where}: {name} {obj[name]!r} is not one of {', '.join(map(repr, choices))}")
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise ValueError(f"{where}: meta must be a dict, got {type(meta).__name__}")
    sizes = _state_sizes(obj["state_dict"], where)
    if sizes != (n_inputs, n_hidden):
        raise ValueError(f"{where}: the file says n_inputs={n_inputs}, n_hidden={n_hidden}, but its weights "
                         f"are for {sizes[0]} inputs and {sizes[1]} hidden nodes")
    model = MLP(n_inputs, n_hidden, obj["activation"], obj["task"], seed=0)
    model.load_state_dict(obj["state_dict"])
    model.meta = dict(meta)
    return model


# ---------------------------------------------------------------- nets of any depth from weights
def _build(weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor], activation: str,
           task: str) -> MLP | DeepMLP:
    """The kit's net holding these checked (out, in) weights and biases: an ``MLP`` for one hidden
    layer, a ``DeepMLP`` for more (first layer ``hidden``, then ``deeper[0..]``, last ``output``)."""
    sizes = [int(weights[0].shape[1])] + [int(w.shape[0]) for w in weights]
    if len(weights) == 2:
        model = MLP(sizes[0], sizes[1], activation, task, seed=0)
        names = ["hidden", "output"]
    else:
        model = DeepMLP(sizes[0], sizes[1:-1], activation, task, seed=0)
        names = ["hidden"] + [f"deeper.{i}" for i in range(len(weights) - 2)] + ["output"]
    state = {}
    for name, w, b in zip(names, weights, biases):
        state[f"{name}.weight"] = w.detach().to(torch.float32).reshape(w.shape[0], -1).clone()
        state[f"{name}.bias"] = b.detach().to(torch.float32).reshape(-1).clone()
    model.load_state_dict(state)
    return model.eval()


def _read_deep_state(state: dict, where: str, activation: str, task: str | None) -> BroughtModel:
    """A ``DeepMLP``'s state dict: hidden.*, deeper.0.* ... deeper.k.*, output.*."""
    deeper = sorted({int(m.group(1)) for k in state if (m := re.match(r"^deeper\.(\d+)\.weight$", str(k)))})
    if deeper != list(range(len(deeper))):
        raise ValueError(f"{where}: the deeper layers are numbered {deeper}; a DeepMLP numbers them 0, 1, 2, ...")
    names = ["hidden"] + [f"deeper.{i}" for i in deeper] + ["output"]
    keys = [f"{n}.{kind}" for n in names for kind in ("weight", "bias")]
    _check_keys(where, state, keys, "a DeepMLP are hidden.*, deeper.0.* ..., output.*")
    _check_tensors(where, state, keys)
    layers = _chain_sizes(where, [(f"{n}.weight", state[f"{n}.weight"].shape, f"{n}.bias", state[f"{n}.bias"].shape)
                                  for n in names], layout="torch")
    _check_finite(where, [state[k] for k in keys])
    model = _build([state[f"{n}.weight"] for n in names], [state[f"{n}.bias"] for n in names], activation,
                   task or "regression")
    return BroughtModel(model, "state dict", layers, activation, task, None, None, None,
                        f"a {_sizes(layers)} {activation} net from a state dict")


def _read_sequential_state(state: dict, where: str, activation: str, task: str | None) -> BroughtModel:
    """The state dict of an ``nn.Sequential`` of Linear layers (keys ``0.weight, 0.bias, 2.weight ...``,
    possibly under one prefix such as ``net.``): the Linear layers in the order of their indices."""
    parsed = [(_SEQUENTIAL_KEY.match(str(k)), k) for k in state]
    prefixes = sorted({m.group("prefix") for m, _ in parsed})
    if len(prefixes) > 1:
        raise ValueError(f"{where}: the keys come from several modules ({', '.join(repr(p) for p in prefixes)}); "
                         "an nn.Sequential's state dict has keys 0.weight, 0.bias, 2.weight, ...")
    prefix = prefixes[0]
    by_index: dict[int, dict] = {}
    for m, key in parsed:
        by_index.setdefault(int(m.group("index")), {})[m.group("kind")] = key
    indices = sorted(by_index)
    for i in indices:
        if "weight" not in by_index[i] or "bias" not in by_index[i]:
            have = next(iter(by_index[i]))
            want = "bias" if have == "weight" else "weight"
            raise ValueError(f"{where}: {prefix}{i}.{have} has no {prefix}{i}.{want}: each Linear layer needs a "
                             "weight and a bias")
    keys = [by_index[i][kind] for i in indices for kind in ("weight", "bias")]
    _check_tensors(where, state, keys)
    for i in indices:
        if state[by_index[i]["weight"]].dim() != 2:
            raise ValueError(f"{where}: {prefix}{i}.weight has shape {tuple(state[by_index[i]['weight']].shape)}: "
                             "only Linear layers (2-D weights) with activations between them can be read")
    if len(indices) < 2:
        raise ValueError(f"{where}: one Linear layer ({prefix}{indices[0]}) is a linear model, not a net with a "
                         "hidden layer")
    layers = _chain_sizes(where, [(f"{prefix}{i}.weight", state[by_index[i]["weight"]].shape,
                                   f"{prefix}{i}.bias", state[by_index[i]["bias"]].shape) for i in indices],
                          layout="torch")
    _check_finite(where, [state[k] for k in keys])
    model = _build([state[by_index[i]["weight"]] for i in indices], [state[by_index[i]["bias"]] for i in indices],
                   activation, task or "regression")
    return BroughtModel(model, "Sequential state dict", layers, activation, task, None, None, None,
                        f"a {_sizes(layers)} {activation} net from an nn.Sequential state dict")


def _npy_header(archive: zipfile.ZipFile, name: str) -> tuple[tuple, np.dtype]:
    """(shape, dtype) of one array of an .npz, read from its header (its data is not read)."""
    with archive.open(name) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            shape, _, dtype = np.lib.format._read_array_header(fp, version)  # noqa: SLF001 - version 3.0
    return tuple(shape), np.dtype(dtype)


def _read_npz(path: Path, activation: str, task: str | None) -> BroughtModel:
    where = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            headers = {n[:-4]: _npy_header(archive, n) for n in archive.namelist()}
    except ValueError as err:
        raise ValueError(f"{where}: an array's header cannot be read: {err}") from None
    n_layers = sum(1 for k in headers if (m := _NPZ_KEY.match(k)) and m.group("kind") == "W")
    wanted = [f"{kind}{i}" for i in range(1, max(n_layers, 2) + 1) for kind in ("W", "b")]
    missing = [k for k in wanted if k not in headers]
    if missing:
        raise ValueError(f"{where} lacks the arrays {missing}; it holds {sorted(headers)} (a net of k layers needs "
                         "W1, b1, ..., Wk, bk)")
    extra = [k for k in headers if k not in wanted and k not in _NPZ_EXTRAS]
    if extra:
        raise ValueError(f"{where}: unexpected arrays {extra[:8]}; a weight file holds W1, b1, ..., Wk, bk and "
                         f"optionally {', '.join(_NPZ_EXTRAS)}")
    order = [(f"W{i}", f"b{i}") for i in range(1, n_layers + 1)]
    for name in [k for pair in order for k in pair] + [k for k in ("mean", "std") if k in headers]:
        shape, dtype = headers[name]
        if dtype.kind not in "fiu":
            raise ValueError(f"{where}: {name} must hold numbers, got dtype {dtype}")
    layers = _chain_sizes(where, [(w, headers[w][0], b, headers[b][0]) for w, b in order], layout="npz")
    d = layers[0]
    for name in ("mean", "std"):
        if name in headers and headers[name][0] not in ((d,), (1, d)):
            raise ValueError(f"{where}: {name} has shape {headers[name][0]}; it must hold one value per input ({d})")
    if "feature_names" in headers:
        shape, dtype = headers["feature_names"]
        if dtype.kind != "U" or shape != (d,):
            raise ValueError(f"{where}: feature_names must be {d} strings (one per input), got shape {shape}, "
                             f"dtype {dtype}")
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: np.asarray(f[k]) for k in headers}
    _check_finite(where, [arrays[k].astype(np.float64) for pair in order for k in pair])
    weights_t = [torch.from_numpy(np.ascontiguousarray(arrays[w].astype(np.float32).reshape(layers[k], -1).T))
                 for k, (w, _) in enumerate(order)]
    biases_t = [torch.from_numpy(arrays[b].astype(np.float32).reshape(-1)) for _, b in order]
    model = _build(weights_t, biases_t, activation, task or "regression")
    scaler, source = None, None
    if "mean" in arrays or "std" in arrays:
        if not ("mean" in arrays and "std" in arrays):
            raise ValueError(f"{where}: has {'mean' if 'mean' in arrays else 'std'} without "
                             f"{'std' if 'mean' in arrays else 'mean'}: the inputs' scaling needs both")
        from helpers.data import Standardizer
        try:
            scaler = Standardizer.from_dict({"mean": arrays["mean"].reshape(-1), "scale": arrays["std"].reshape(-1)})
        except ValueError as err:
            raise ValueError(f"{where}: mean and std are not a usable scaling: {err}") from None
        if not np.isfinite(scaler.mean_).all():
            raise ValueError(f"{where}: mean holds a missing or infinite value")
        source = "the .npz's mean and std"
    names = None if "feature_names" not in arrays else [str(n) for n in arrays["feature_names"]]
    return BroughtModel(model, "npz", layers, activation, task, scaler, source, names,
                        f"a {_sizes(layers)} {activation} net from .npz weights")


# ---------------------------------------------------------------- TorchScript
def _read_torchscript(path: Path, n_inputs: int | None, task: str | None) -> BroughtModel:
    where = path.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.9+: "torch.jit.load is deprecated"
            model = torch.jit.load(str(path), map_location="cpu")
    except Exception as err:  # noqa: BLE001 - a broken archive gets a clear message
        raise ValueError(f"{where} looks like a TorchScript archive but cannot be loaded: {_first_line(err)}") from None
    model.eval()
    # A brought net is explained, never trained: fixed weights. (A copy of a TorchScript module whose
    # weights require grad has non-leaf weights, and converting that copy, as the float64 paths of the
    # measures do, makes torch warn.)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    chain, _ = linear_chain(model)
    layers = None
    if chain:
        layers = [int(chain[0].weight.shape[1])] + [int(layer.weight.shape[0]) for layer in chain]
    first, _ = first_linear(model)
    found = layers[0] if layers else (int(first.weight.shape[1]) if first is not None else None)
    if n_inputs is not None and found is not None and found != n_inputs:
        raise ValueError(f"the model in {where} has {found} inputs but the data has {n_inputs}")
    d = n_inputs if n_inputs is not None else found
    if d is not None:
        _check_forward(model, d, where)
        try:
            model.n_inputs = int(d)
        except Exception:  # noqa: BLE001 - a module that refuses new attributes: measures read its layers
            pass
    activation = _script_activation(model) if chain else None
    shape = f"{_sizes(layers)} " if layers else ""
    inputs = f" with {d} inputs" if layers is None and d is not None else ""
    return BroughtModel(model, "TorchScript", layers, activation, task, None, None, None,
                        f"a {shape}TorchScript net{inputs}")


def _check_forward(model: nn.Module, d: int, where: str) -> None:
    """A forward pass on two rows of zeros with ``d`` columns must work and give one output per row."""
    try:
        with torch.no_grad():
            out = model(torch.zeros(2, d))
    except Exception as err:  # noqa: BLE001 - whatever the module raises, one clear message
        raise ValueError(f"the model in {where} cannot take rows of {d} columns: {_first_line(err)}") from None
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"the model in {where} returns a {type(out).__name__}, not a tensor of predictions")
    if tuple(out.shape) not in ((2,), (2, 1)):
        per_row = tuple(out.shape)[1:] if out.dim() >= 1 and out.shape[0] == 2 else tuple(out.shape)
        raise ValueError(f"the model in {where} takes {d} columns but returns outputs of shape {per_row} per row "
                         f"(for 2 rows: {tuple(out.shape)}); the kit needs one output per row, (n,) or (n, 1): "
                         "the prediction, or the logit of class 1")
    if not out.is_floating_point():
        raise ValueError(f"the model in {where} returns {out.dtype} outputs, not floats")


def _script_activation(model: nn.Module) -> str | None:
    """The one activation of a TorchScript ``nn.Sequential`` ("tanh", "relu", ...), None when mixed."""
    kinds = {layer_kind(m) for m in model.modules() if layer_kind(m) in ELEMENTWISE
             and layer_kind(m) not in ("Identity", "Dropout", "AlphaDropout")}
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    return _TORCH_ACTIVATIONS.get(kind, kind.lower())


def _sizes(layers: Sequence[int]) -> str:
    return "-".join(str(n) for n in layers)


# ---------------------------------------------------------------- from arrays and scikit-learn
def from_layers(weights: Sequence, biases: Sequence, *, activation: str = "tanh",
                task: str = "regression") -> MLP | DeepMLP:
    """The kit's net from plain weights in scikit-learn's and Keras's (in, out) layout.

    Parameters
    ----------
    weights : sequence of array-like
        ``W1`` (n_inputs, h_1), ``W2`` (h_1, h_2), ..., ``Wk`` (h_{k-1}, 1) or (h_{k-1},): a
        scikit-learn MLP's ``coefs_``, or the kernels of a Keras stack of ``Dense`` layers.
    biases : sequence of array-like
        ``b1`` (h_1,) ... ``bk`` (1,) or a scalar: ``intercepts_``, or the Dense layers' biases.
    activation : {"tanh", "sigmoid", "relu"}, default "tanh"
        Of every hidden layer.
    task : {"regression", "binary"}, default "regression"

    Returns
    -------
    MLP or DeepMLP
        An ``MLP`` for one hidden layer (two weight matrices), a ``DeepMLP`` for more; in eval mode.
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    check_choice("task", task, TASKS)
    if len(weights) != len(biases):
        raise ValueError(f"{len(weights)} weight matrices but {len(biases)} bias vectors")
    if len(weights) < 2:
        raise ValueError(f"a net needs at least two layers of weights (one hidden layer), got {len(weights)}")
    Ws = [np.asarray(w, dtype=np.float32) for w in weights]
    bs = [np.asarray(b, dtype=np.float32) for b in biases]
    names = [(f"W{k + 1}", f"b{k + 1}") for k in range(len(Ws))]
    sizes = _chain_sizes("the weights", [(w, W.shape, b, B.shape) for (w, b), W, B in zip(names, Ws, bs)],
                         layout="npz")
    _check_finite("the weights", Ws + bs)
    return _build([torch.from_numpy(np.ascontiguousarray(W.reshape(sizes[k], -1).T)) for k, W in enumerate(Ws)],
                  [torch.from_numpy(B.reshape(-1).copy()) for B in bs], activation, task)


def from_weights(W1, b1, W2, b2, *, activation: str = "tanh", task: str = "regression") -> MLP:
    """An ``MLP`` from plain weights in scikit-learn's layout: ``W1`` (n_inputs, n_hidden),
    ``b1`` (n_hidden,), ``W2`` (n_hidden, 1) or (n_hidden,), ``b2`` (1,) or a scalar. For more
    hidden layers see ``from_layers``."""
    W1, b1 = np.asarray(W1, dtype=np.float32), np.asarray(b1, dtype=np.float32).reshape(-1)
    W2, b2 = np.asarray(W2, dtype=np.float32).reshape(-1), np.asarray(b2, dtype=np.float32).reshape(-1)
    if W1.ndim != 2:
        raise ValueError(f"W1 must be (n_inputs, n_hidden), got shape {W1.shape}")
    d, h = W1.shape
    if b1.shape != (h,) or W2.shape != (h,) or b2.shape != (1,):
        raise ValueError(f"weights do not fit one {d}-{h}-1 net: b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape}")
    return from_layers([W1, W2], [b1, b2], activation=activation, task=task)


def from_sklearn(estimator) -> MLP | DeepMLP:
    """The kit's net with the weights of a fitted scikit-learn ``MLPRegressor`` (one output) or
    binary ``MLPClassifier``, with any number of hidden layers (activation tanh, logistic or relu).

    One hidden layer gives an ``MLP``, more a ``DeepMLP``; a classifier gives ``task="binary"`` (the
    net's output is the logit, so ``helpers.model.predict`` equals ``predict_proba[:, 1]``). To
    save one for the report, ``np.savez("net.npz", **{f"W{k+1}": W for k, W in
    enumerate(est.coefs_)}, **{f"b{k+1}": b for k, b in enumerate(est.intercepts_)})``.
    """
    coefs = getattr(estimator, "coefs_", None)
    if coefs is None:
        raise ValueError("the estimator is not fitted (it has no coefs_)")
    name = getattr(estimator, "activation", None)
    if name not in _SKLEARN_ACTIVATIONS:
        raise ValueError(f"activation={name!r} has no counterpart in the kit's nets "
                         f"({', '.join(map(repr, _SKLEARN_ACTIVATIONS))})")
    out = getattr(estimator, "out_activation_", "identity")
    if out not in ("identity", "logistic") or coefs[-1].shape[1] != 1:
        raise ValueError(f"only one output is supported (a regression, or a binary classifier), got layers "
                         f"{[c.shape for c in coefs]} with output activation {out!r}")
    return from_layers(list(coefs), list(estimator.intercepts_), activation=_SKLEARN_ACTIVATIONS[name],
                       task="binary" if out == "logistic" else "regression")


# ---------------------------------------------------------------- saving
def save(model: MLP, path, *, feature_names=None, standardizer=None, target_name=None) -> Path:
    """Save a trained ``MLP`` with what is needed to use it again: its shape, activation, task,
    the input names and the inputs' standardisation (a ``helpers.data.Standardizer``, or its
    ``to_dict()``: ``{"mean": [...], "scale": [...]}``, one value per input). ``load`` and
    ``read_model`` read it back (format "kit")."""
    if not isinstance(model, MLP):
        raise ValueError(f"save takes an MLP, got {type(model).__name__}")
    meta = dict(model.meta)
    if feature_names is not None:
        meta["feature_names"] = [str(f) for f in feature_names]
    if standardizer is not None:
        from helpers.data import Standardizer
        scaler = standardizer if hasattr(standardizer, "to_dict") else Standardizer.from_dict(dict(standardizer))
        if len(scaler.to_dict()["mean"]) != model.n_inputs:
            raise ValueError(f"the standardizer has {len(scaler.to_dict()['mean'])} columns for a model with "
                             f"{model.n_inputs} inputs")
        meta["standardizer"] = scaler.to_dict()
    if target_name is not None:
        meta["target_name"] = str(target_name)
    names = meta.get("feature_names")
    if names is not None and len(names) != model.n_inputs:
        raise ValueError(f"{len(names)} feature names for a model with {model.n_inputs} inputs")
    path = Path(path)
    torch.save({"format": FORMAT, "n_inputs": model.n_inputs, "n_hidden": model.n_hidden,
                "activation": model.activation, "task": model.task, "meta": meta,
                "state_dict": model.state_dict()}, path)
    return path

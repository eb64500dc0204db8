"""The network: an n_inputs-n_hidden-1 MLP (and the deeper DeepMLP), its predictions and score.

Training lives in ``helpers.training`` (``train``, ``train_many``, ``train_module``, ``TrainResult``,
``Adam``, ``BATCH_SIZE``); saving and loading (``save``, ``load``, ``read_model``, ``from_weights``,
``from_layers``, ``from_sklearn``) in ``helpers.model_io``. Both are importable from here too
(``from helpers.model import train, load``), as they always were.
"""
from __future__ import annotations

import contextlib
from typing import Sequence

import numpy as np
import torch
from torch import nn

from helpers._base import check_choice, check_seed

ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}
TASKS = ("regression", "binary")


@contextlib.contextmanager
def _seeded(seed):
    """Initial weights drawn from ``seed`` without touching torch's global generator; with
    ``seed=None``, from the global generator as torch does."""
    if seed is None:
        yield
        return
    seed = check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class MLP(nn.Module):
    """A one-hidden-layer perceptron, ``n_inputs -> n_hidden -> 1``.

    ``hidden`` is the first layer (``nn.Linear(n_inputs, n_hidden)``), ``activation`` its
    nonlinearity ("tanh", "sigmoid" or "relu"), ``output`` the last layer
    (``nn.Linear(n_hidden, 1)``). The forward pass maps (n, n_inputs) to (n,): the prediction
    for a regression, the logit for a binary task. A 10-20-1 net has 10*20 + 20 + 20 + 1 = 241
    parameters. ``meta`` carries what ``save`` stores beside the weights (feature names,
    the inputs' standardisation). ``seed`` fixes the initial weights (PyTorch's default
    initialisation); ``train`` draws its own from its seed.
    """

    def __init__(self, n_inputs: int, n_hidden: int = 20, activation: str = "tanh",
                 task: str = "regression", seed: int | None = None):
        super().__init__()
        for name, value in (("n_inputs", n_inputs), ("n_hidden", n_hidden)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        check_choice("activation", activation, tuple(ACTIVATIONS))
        check_choice("task", task, TASKS)
        with _seeded(seed):
            self.hidden = nn.Linear(int(n_inputs), int(n_hidden))
            self.output = nn.Linear(int(n_hidden), 1)
        self.activation = activation
        self.task = task
        self.meta: dict = {}

    @property
    def n_inputs(self) -> int:
        return self.hidden.in_features

    @property
    def n_hidden(self) -> int:
        return self.hidden.out_features

    def hidden_activations(self, x: torch.Tensor) -> torch.Tensor:
        return ACTIVATIONS[self.activation](self.hidden(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.n_inputs:
            raise ValueError(f"the model has {self.n_inputs} inputs but the data has {x.shape[-1]} columns")
        return self.output(self.hidden_activations(x)).squeeze(-1)

    def extra_repr(self) -> str:
        return f"activation={self.activation!r}, task={self.task!r}"


def is_plain_mlp(model) -> bool:
    """True for the kit's one-hidden-layer ``MLP`` computing its own forward pass (not a subclass
    that changes it): the measures may then use closed forms on its weights instead of autograd
    or repeated calls."""
    return (isinstance(model, MLP) and type(model).forward is MLP.forward
            and type(model).hidden_activations is MLP.hidden_activations)


class DeepMLP(nn.Module):
    """A perceptron with several hidden layers, for the chapters on deep nets.

    ``hidden`` is still the first layer, so first-layer measures (``weight_sum``) apply, but
    only the first layer's weights are tied to one input each. ``seed`` fixes the initial
    weights without touching torch's global random generator.
    """

    def __init__(self, n_inputs: int, hidden_sizes: Sequence[int] = (64, 32),
                 activation: str = "relu", task: str = "regression", seed: int | None = None):
        super().__init__()
        check_choice("activation", activation, tuple(ACTIVATIONS))
        check_choice("task", task, TASKS)
        if not hidden_sizes:
            raise ValueError("hidden_sizes must name at least one layer")
        sizes = [("n_inputs", n_inputs)] + [(f"hidden_sizes[{k}]", h) for k, h in enumerate(hidden_sizes)]
        for name, value in sizes:
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        hidden_sizes = [int(h) for h in hidden_sizes]
        with _seeded(seed):
            self.hidden = nn.Linear(int(n_inputs), hidden_sizes[0])
            self.deeper = nn.ModuleList(nn.Linear(a, b) for a, b in zip(hidden_sizes, hidden_sizes[1:]))
            self.output = nn.Linear(hidden_sizes[-1], 1)
        self.activation = activation
        self.task = task
        self.meta: dict = {}

    @property
    def n_inputs(self) -> int:
        return self.hidden.in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.n_inputs:
            raise ValueError(f"the model has {self.n_inputs} inputs but the data has {x.shape[-1]} columns")
        act = ACTIVATIONS[self.activation]
        h = act(self.hidden(x))
        for layer in self.deeper:
            h = act(layer(h))
        return self.output(h).squeeze(-1)


PREDICT_ROWS = 65536
"""Rows per forward pass in ``predict`` (and in drop-and-retrain's held-out losses): bounds the
memory on large data. Fewer rows than this are done in one pass, as always."""


def predict(model: nn.Module, X) -> np.ndarray:
    """The model's prediction for each row: the target's units for a regression, the
    probability of class 1 for a binary model (``model.task == "binary"``)."""
    X = np.asarray(X)
    chunks = (torch.as_tensor(X[start:start + PREDICT_ROWS], dtype=torch.float32)
              for start in range(0, max(len(X), 1), PREDICT_ROWS))  # bounded memory on large data
    with torch.no_grad():
        out = torch.cat([model(x).reshape(len(x)) for x in chunks])
        if getattr(model, "task", "regression") == "binary":
            out = torch.sigmoid(out)
    return out.numpy().astype(np.float64)


def score(model: nn.Module, X, y) -> float:
    """How well the model fits the rows (X, y): R^2 for a regression,
    ``1 - sum (y - f(x))^2 / sum (y - mean y)^2``; accuracy for a binary model (the share of rows
    whose predicted probability is on the right side of 0.5)."""
    pred, y = predict(model, X), np.asarray(y, dtype=np.float64)
    if getattr(model, "task", "regression") == "binary":
        return float(np.mean((pred > 0.5) == (y > 0.5)))
    return float(1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


# ---------------------------------------------------------------- saving and loading
# Loading what a user brings (every format, its checks) and the kit's own file format live in
# helpers.model_io; these names stay importable from here, as always (``from helpers.model import load``).
_MOVED_TO_TRAINING = ("train", "train_many", "train_module", "TrainResult", "Adam", "BATCH_SIZE")
_MOVED_TO_MODEL_IO = ("load", "save", "read_model", "from_weights", "from_layers", "from_sklearn", "FORMAT",
                      "MAX_LAYER_SIZE", "BroughtModel")


def __getattr__(name):
    """``helpers.model.train`` and ``helpers.model.load`` (the names in ``_MOVED_TO_TRAINING`` and
    ``_MOVED_TO_MODEL_IO``) are ``helpers.training``'s and ``helpers.model_io``'s, imported on first use
    (both build on this module, so neither can be imported at its top)."""
    if name in _MOVED_TO_TRAINING:
        from helpers import training
        return getattr(training, name)
    if name in _MOVED_TO_MODEL_IO:
        from helpers import model_io
        return getattr(model_io, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def as_estimator(model: nn.Module):
    """The trained net as a fitted scikit-learn estimator, for scikit-learn's tools
    (``sklearn.inspection.permutation_importance``, ``cross_val_score`` on fixed weights ...).

    A regression model becomes a regressor whose ``predict`` is ``helpers.model.predict``; a binary
    model (``model.task == "binary"``) a classifier with ``classes_ = [0, 1]``, ``predict_proba`` and
    ``predict`` (probability above 0.5). ``fit`` does nothing: the weights stay as they are.
    """
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

    class _Fixed(BaseEstimator):
        """Already fitted: ``fit`` keeps the net's weights as they are."""

        def __init__(self, net=None):
            self.net = net

        def fit(self, X, y=None):
            return self

        def __sklearn_is_fitted__(self):
            return True

    class _Regressor(RegressorMixin, _Fixed):
        def predict(self, X):
            return predict(self.net, X)

    class _Classifier(ClassifierMixin, _Fixed):
        classes_ = np.array([0.0, 1.0])

        def predict_proba(self, X):
            p = predict(self.net, X)
            return np.column_stack([1 - p, p])

        def predict(self, X):
            return (predict(self.net, X) > 0.5).astype(np.float64)

    if not isinstance(model, nn.Module):
        raise ValueError(f"as_estimator takes a torch.nn.Module, got {type(model).__name__}")
    return (_Classifier if getattr(model, "task", "regression") == "binary" else _Regressor)(model)

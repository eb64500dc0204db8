"""Every importance measure, one function each, all returning an ``Importance``; and the registry
that declares each measure once.

Same shape throughout: ``measure(model, X, y?, *, options, feature_names=None, groups=None) -> Importance``
(``ablation`` retrains and so takes data, not a model). Each function's docstring gives its
formula, its reference, when it misleads, and what it does with a group of columns.

| measure | what it reads |
| --- | --- |
| ``weight_sum``, ``garson``, ``olden``, ``one_hot_probe`` | the weights |
| ``gradient``, ``integrated_gradients`` | derivatives over the data |
| ``permutation``, ``grouped_permutation``, ``conditional_permutation`` | held-out loss, inputs shuffled |
| ``shapley`` | exact interventional Shapley values |
| ``lek_profile``, ``lek_importance`` | the response swept along each input |
| ``ablation`` | a net retrained without the input |

``REGISTRY`` holds one ``Measure`` per name (what it needs, which rows it reads, how it treats a
group of columns, its default options); ``MEASURES`` is the tuple of its names, and
``compute(name, model, ...)`` computes any of them from one uniform call. The report, the batch,
the parameter checks and the tests read these; nothing else lists the measures.

Groups: with ``groups={"species": ["species=Chinstrap", "species=Gentoo"], ...}`` every measure
reports one number per original variable. How each does it is its ``group_rule``:

- ``"native"``: the group is handled as one input by the method itself (shuffled together,
  one Shapley player, dropped together);
- ``"sum"``: the group's number is the sum of its columns' (a row's attributions for integrated
  gradients, so completeness still holds);
- ``"declines"``: a group of more than one column raises ``GroupsNotSupported`` (a
  ``ValueError``), because one number for it would mean nothing; ``Measure.supports(groups)``
  says so before any work, and ``group_note`` says why.

Models: the measures that read the data (gradients, permutations, Shapley values, Lek profiles) run
on any ``torch.nn.Module`` mapping (n, d) to (n,) or (n, 1), TorchScript nets included. The weight
measures read particular layers (``weight_sum`` a first Linear layer, ``olden`` a chain of Linear
layers, ``garson`` one hidden layer): ``Measure.not_applicable(model)`` (or
``not_applicable(name, model)``) gives the one-line reason a measure cannot judge a model, or None,
before any work, so a report can skip it with that note.
"""
from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np
from torch import nn

from helpers.csvfile import did_you_mean
from helpers._base import GroupsNotSupported, Importance, check_groups, check_positive_int  # noqa: F401
from helpers._weights import weight_sum, garson, olden, one_hot_probe  # noqa: F401
from helpers._weights import why_not_garson, why_not_olden, why_not_one_hot_probe, why_not_weight_sum
from helpers._gradients import gradient, integrated_gradients  # noqa: F401
from helpers._perturbation import permutation, grouped_permutation, conditional_permutation  # noqa: F401
from helpers._shapley import shapley  # noqa: F401
from helpers._profile import lek_profile, lek_importance  # noqa: F401
from helpers._retrain import ablation  # noqa: F401

NEEDS = ("weights", "rows", "rows and target", "training")
"""What a measure needs: the weights only; rows of data; rows and their target; or training data
to retrain nets (which then says nothing about a model a user brought)."""
ROWS = ("none", "training", "held-out", "held-out sample", "training and held-out")
"""Which rows ``compute`` gives a measure: none; the training rows (``weight_sum``, for each
column's spread); the held-out rows; the first ``n_explain`` held-out rows (the costly per-row
measures); training rows to retrain on and held-out rows to score (``ablation``)."""
GROUP_RULES = ("native", "sum", "declines")
READS = ("weights", "slopes", "output", "loss", "conditional loss")
"""What a measure's number is made of (``Measure.reads``)."""
SHARED_OPTIONS = ("n_repeats", "n_explain")
"""Options ``compute`` accepts for every measure and passes on only to those that take them, so a
report can give the same run-wide options to each measure."""
# compute fills these from its own arguments; they are not options
_DATA_PARAMETERS = frozenset({"model", "X", "y", "feature_names", "groups", "seed", "X_test", "y_test", "models"})


@dataclass(frozen=True)
class Measure:
    """One importance measure, declared once.

    Attributes
    ----------
    name : str
        The name, as ``Importance.method`` carries it.
    function : callable
        The function computing it (``lek_profile``'s is ``lek_importance``).
    needs : {"weights", "rows", "rows and target", "training"}
        What it needs (see ``NEEDS``).
    rows : {"none", "training", "held-out", "held-out sample", "training and held-out"}
        Which rows ``compute`` gives it (see ``ROWS``).
    group_rule : {"native", "sum", "declines"}
        How it treats a group of columns (see the module's docstring).
    group_note : str
        What a group's number means, or why the measure declines groups (a sentence a report can show).
    defaults : mapping
        The options ``compute`` uses unless told otherwise (``n_repeats``, ``n_explain``, ...).
    by_default : bool
        Whether a report computes it unless told otherwise (the one-hot probe is asked for by name).
    summary : str
        What it measures, in a line.
    why_not : callable or None
        ``why_not(model) -> str | None``: the reason the measure cannot judge ``model`` (the
        sentence its function would raise), or None when it can. None: it runs on any module.
    reads : {"weights", "slopes", "output", "loss", "conditional loss"}
        What the number is made of (the verdict says from it why a measure may disagree with its
        ranking): the weights; the slopes of the output (steep where an overfitted net fits
        noise); the output; the held-out loss with an input shuffled; the held-out loss with only
        what the other inputs do not explain taken away (as the verdict judges correlated inputs).
    """
    name: str
    function: Callable
    needs: str
    rows: str
    group_rule: str
    group_note: str
    defaults: Mapping = field(default_factory=dict)
    by_default: bool = True
    summary: str = ""
    why_not: Callable | None = None
    reads: str = "output"

    def __post_init__(self):
        for attribute, value, choices in (("needs", self.needs, NEEDS), ("rows", self.rows, ROWS),
                                          ("group_rule", self.group_rule, GROUP_RULES), ("reads", self.reads, READS)):
            if value not in choices:
                raise ValueError(f"Measure {self.name!r}: {attribute}={value!r} is not one of {choices}")
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))

    @property
    def held_out(self) -> bool:
        """Whether it reads held-out rows."""
        return "held-out" in self.rows

    @property
    def needs_target(self) -> bool:
        return self.needs in ("rows and target", "training")

    @property
    def retrains(self) -> bool:
        """Whether it trains new nets (so it cannot judge a model that a user brought)."""
        return self.needs == "training"

    @property
    def options(self) -> tuple[str, ...]:
        """The options ``compute`` takes for this measure: the function's own (not the data) and
        ``n_explain`` for the measures that read a sample of the held-out rows."""
        own = [p for p in inspect.signature(self.function).parameters if p not in _DATA_PARAMETERS]
        return tuple(own + (["n_explain"] if self.rows == "held-out sample" else []))

    def supports(self, groups) -> bool:
        """False when the measure declines ``groups`` (a mapping name -> column names, or a list of
        lists): it has the rule "declines" and some group holds more than one column. A cheap look,
        no validation (the measure's own check names any bad group)."""
        if groups is None or self.group_rule != "declines":
            return True
        members = groups.values() if isinstance(groups, Mapping) else groups
        return all(isinstance(cols, str) or len(cols) <= 1 for cols in members)

    def not_applicable(self, model) -> str | None:
        """Why the measure cannot judge ``model``, in one sentence a report can show; None when it can.

        Cheap (it reads the model's layers, runs nothing). The weight measures need particular
        layers (``why_not``); the others take any ``torch.nn.Module``. A measure that retrains
        (``ablation``) judges new nets, not ``model``, and is never refused here.
        """
        if self.retrains:
            return None
        if not isinstance(model, nn.Module):
            return f"{self.name} needs a torch.nn.Module, got {type(model).__name__}"
        return None if self.why_not is None else self.why_not(model)


def _measures(*items: Measure) -> Mapping[str, Measure]:
    return MappingProxyType({m.name: m for m in items})


REGISTRY: Mapping[str, Measure] = _measures(
    Measure("weight_sum", weight_sum, "weights", "training", "sum",
            "the sum over the group's columns of sigma_i * sum_j |w_ij| (it grows with the number of columns)",
            summary="first-layer weights leaving each input, scaled by its spread", why_not=why_not_weight_sum, reads="weights"),
    Measure("garson", garson, "weights", "none", "sum",
            "the sum of the group's columns' shares (the shares still sum to 1)",
            summary="Garson's shares of the first-layer weights", why_not=why_not_garson,
            reads="weights"),
    Measure("olden", olden, "weights", "none", "declines",
            "declines a group of several columns: a signed slope summed over a category's levels "
            "describes no possible change, so there is no Olden number for a variable",
            summary="Olden's signed connection weights", why_not=why_not_olden, reads="weights"),
    Measure("one_hot_probe", one_hot_probe, "weights", "none", "declines",
            "declines a group of several columns: there is no single unit vector for a group",
            by_default=False, summary="the bias-free net's output at each unit vector (shown to mislead)",
            why_not=why_not_one_hot_probe, reads="weights"),
    Measure("gradient", gradient, "rows", "held-out", "sum",
            "the sum over the group's columns of sigma_i * mean |df/dx_i|",
            summary="mean absolute input gradient, scaled by each input's spread",
            reads="slopes"),
    Measure("integrated_gradients", integrated_gradients, "rows", "held-out sample", "sum",
            "the group's attributions summed per row, then mean |sum|; completeness still holds per row",
            defaults={"n_explain": 100}, summary="path-integrated gradients from the training mean",
            reads="slopes"),
    Measure("permutation", permutation, "rows and target", "held-out", "native",
            "the group's columns shuffled together, one row order per repeat",
            defaults={"n_repeats": 10}, summary="held-out loss increase when an input is shuffled",
            reads="loss"),
    Measure("conditional_permutation", conditional_permutation, "rows and target", "held-out", "native",
            "the group's columns regressed together on the others, the residual rows shuffled jointly",
            defaults={"n_repeats": 10}, summary="permutation of what the other inputs do not explain",
            reads="conditional loss"),
    Measure("shapley", shapley, "rows", "held-out sample", "native",
            "the group is one player: exact over 2^(number of groups) coalitions; efficiency holds",
            defaults={"n_explain": 100, "n_background": 100}, summary="mean |interventional Shapley value|"),
    Measure("lek_profile", lek_importance, "rows", "held-out", "declines",
            "declines a group of several columns: a profile sweeps one column, and a category's "
            "columns swept one at a time give rows with no level or two",
            summary="range of the response along each input (Lek's profiles)",
            reads="slopes"),
    Measure("ablation", ablation, "training", "training and held-out", "native",
            "the group's columns dropped (filled) together, one net retrained per group and seed",
            defaults={"seeds": (0, 1, 2)}, summary="held-out loss increase of a net retrained without the input",
            reads="conditional loss"),
)
"""Every measure, once, by name, in the order the report shows them."""

MEASURES = tuple(REGISTRY)
"""Every measure by the name its ``Importance.method`` carries (``lek_profile`` is ``lek_importance``'s)."""


def measure(name: str) -> Measure:
    """The registered ``Measure`` called ``name``; a ValueError with a did-you-mean otherwise."""
    if name not in REGISTRY:
        raise ValueError(f"name={name!r} is not a measure{did_you_mean(str(name), MEASURES)} "
                         f"(the kit's measures: {', '.join(MEASURES)})")
    return REGISTRY[name]


def not_applicable(name: str, model) -> str | None:
    """Why the measure ``name`` cannot judge ``model`` (one sentence), or None when it can:
    ``measure(name).not_applicable(model)``.

    Examples
    --------
    >>> reason = not_applicable("garson", deep_net)                        # doctest: +SKIP
    >>> reason                                                             # doctest: +SKIP
    'garson needs a one-hidden-layer net: ... this 12-32-16-1 net has 2 hidden layers'
    """
    return measure(name).not_applicable(model)


def _need(value, what: str, name: str):
    if value is None:
        raise ValueError(f"{name} needs {what}: pass {what}=...")
    return value


def compute(name: str, model=None, *, train_X=None, train_y=None, test_X=None, test_y=None,
            feature_names=None, groups=None, seed: int = 0, **options) -> Importance:
    """Any registered measure from one uniform call: the data of a run in, an ``Importance`` out.

    Each measure gets the rows its ``Measure.rows`` names, with ``feature_names``, ``groups`` and
    its options (``Measure.defaults`` overridden by ``options``):

    - ``weight_sum``: ``(model, train_X)``, the training rows' spread scaling the weights (no
      ``train_X``: unscaled);
    - ``garson``, ``olden``, ``one_hot_probe``: ``(model)``;
    - ``gradient``, ``lek_profile`` (``lek_importance``): ``(model, test_X)``;
    - ``integrated_gradients``: ``(model, test_X[:n_explain], baseline=train_X.mean(axis=0))``;
    - ``permutation``, ``conditional_permutation``: ``(model, test_X, test_y, n_repeats=, seed=)``;
    - ``shapley``: ``(model, test_X[:n_explain], n_background=, seed=)``, the background drawn
      from those rows; its warning that it sampled (more than 12 players) is silenced, the note
      being in ``info["note"]``;
    - ``ablation``: ``(train_X, train_y, X_test=test_X, y_test=test_y, seeds=, models=)``:
      ``model`` is the baseline nets (a net or a list of them, one per seed, trained on
      ``train_X`` with ``train_kwargs``), or None to train them too. With nets given and no
      ``seeds``, the seeds are ``seed, seed + 1, ...``, one per net (how a report numbers its nets).

    Parameters
    ----------
    name : str
        A name in ``MEASURES``.
    model : torch.nn.Module, sequence of them (ablation), or None (ablation)
        The net to explain.
    train_X, train_y : array-like, optional
        The training rows (in the model's input space) and their target.
    test_X, test_y : array-like, optional
        The held-out rows and their target.
    feature_names : sequence of str, optional
        The names of the columns.
    groups : mapping of str -> list of str, optional
        Groups of columns to report as one input each (see ``helpers._base.check_groups``). A
        measure whose ``group_rule`` is "declines" raises ``GroupsNotSupported`` for a group of
        several columns; check ``REGISTRY[name].supports(groups)`` first to skip it with its
        ``group_note``.
    seed : int, default 0
        For the measures that draw at random (``permutation``, ``conditional_permutation``,
        ``shapley``) and the default seeds of ``ablation`` with given nets.
    **options
        The measure's own options (``Measure.options``: e.g. ``metric``, ``n_steps``,
        ``n_permutations``, ``quantiles``, ``fill``, ``train_kwargs``), and ``n_explain`` (rows
        explained by the per-row measures). ``n_repeats`` and ``n_explain`` may be given to every
        measure (``SHARED_OPTIONS``): a measure that does not use them ignores them. Any other
        option a measure does not take is a ValueError.

    Returns
    -------
    Importance
        What the measure's function returns.

    Examples
    --------
    >>> for name in MEASURES:                                              # doctest: +SKIP
    ...     if REGISTRY[name].supports(data.groups):
    ...         results[name] = compute(name, net, train_X=Xtr, train_y=ytr, test_X=Xte, test_y=yte,
    ...                                 feature_names=names, groups=data.groups, n_repeats=10)
    """
    spec = measure(name)
    allowed = spec.options
    unknown = [k for k in options if k not in allowed and k not in SHARED_OPTIONS]
    if unknown:
        raise ValueError(f"{name} takes no option {unknown[0]!r}{did_you_mean(unknown[0], allowed)} "
                         f"(its options: {', '.join(allowed) or 'none'})")
    opts = {**spec.defaults, **{k: v for k, v in options.items() if k in allowed}}
    common = {"feature_names": feature_names, "groups": groups}
    f = spec.function
    if spec.retrains:
        models = None
        if model is not None:
            models = list(model) if isinstance(model, (list, tuple)) else [model]
            if "seeds" not in options:
                opts["seeds"] = tuple(range(seed, seed + len(models)))
        return f(_need(train_X, "train_X", name), _need(train_y, "train_y", name), X_test=test_X, y_test=test_y,
                 models=models, **common, **opts)
    if model is None:
        raise ValueError(f"{name} needs a model: pass the net to explain")
    if "seed" in inspect.signature(f).parameters:
        opts["seed"] = seed
    if spec.rows == "none":
        return f(model, **common, **opts)
    if spec.rows == "training":
        return f(model, train_X, **common, **opts)
    X = _need(test_X, "test_X", name)
    if spec.rows == "held-out sample":
        n_explain = check_positive_int("n_explain", opts.pop("n_explain"))
        X = X[:n_explain]
    if name == "integrated_gradients" and "baseline" not in opts:
        opts["baseline"] = np.asarray(_need(train_X, "train_X", name), dtype=np.float64).mean(axis=0)
    if spec.needs_target:
        return f(model, X, _need(test_y, "test_y", name), **common, **opts)
    if name == "shapley":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the sampling note is in info["note"]
            return f(model, X, **common, **opts)
    return f(model, X, **common, **opts)

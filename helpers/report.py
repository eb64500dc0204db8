"""The pieces of the one-page report (``notebooks/report.ipynb``), kept here so that they are
tested like the rest of the kit and the notebook stays a readable page.

- ``check_measures``: the requested measure names, checked.
- ``prepare_model``: train the nets of a run (one per seed, in one batched computation) or load
  the model a user brings, with the inputs the model expects.
- ``compute_measures``: every requested measure on every net, combined over seeds.
- ``fit_table``, ``caveats``: how well the nets fit, and plain-language warnings that fire when
  they apply.
- ``importance_table``, ``agreement_table``: the tidy tables a batch collects.
- ``judge``, ``answer``, ``ranked_table``: the verdict (``helpers.verdict``) and the answer in
  plain words that opens the report.
- ``escape_markdown``, ``markdown_code``, ``describe_data``: whatever a user gives (file and
  column names, the target, messages) put into the page's Markdown as text, never markup.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from helpers import evaluate
from helpers import importance as imp
from helpers.data import Dataset, Standardizer, did_you_mean, standardize
from helpers.model import score
from helpers.training import train_many

DEFAULT_MEASURES = tuple(name for name, spec in imp.REGISTRY.items() if spec.by_default)
"""What a report computes unless told otherwise: every registered measure but the one-hot probe,
which the course shows to mislead (ask for it by name)."""

CORRELATION_LIMIT = 0.8
SCALE_RATIO_LIMIT = 100.0

_MARKDOWN_PUNCTUATION = re.compile(r"([!-%'-/:-@\[-`{-~])")
"""Every ASCII punctuation character (the ones CommonMark lets a backslash escape) but ``&``."""


def escape_markdown(text) -> str:
    r"""``text`` as Markdown that renders as exactly that text: no HTML, link, image, emphasis,
    code span, math, heading, list or table can come out of it.

    Every ASCII punctuation character but ``&`` gets a backslash, which CommonMark (and mistune,
    which nbconvert uses, and Jupyter's renderer) turns back into the literal character: ``<``
    cannot open a tag, ``[`` a link, ``*`` or ``_`` emphasis, a backtick a code span, ``$`` math.
    ``&`` becomes the entity ``&amp;``, so that a name holding ``&lt;`` shows ``&lt;`` (mistune
    decodes entities in the text after an emphasis once more, where ``\&lt\;`` would show ``<``).
    Each line break becomes a Markdown hard line break, so the text stays inline (one paragraph,
    one list item); white space at the ends of each line, and blank lines, are dropped.

    Use it for every user-given string (a file or column name, the target, a warning's message)
    put into Markdown, and never put the result inside backticks: a code span takes backslashes
    literally. For code formatting, use ``markdown_code``.

    Parameters
    ----------
    text : object
        Anything; ``str(text)`` is escaped.

    Returns
    -------
    str
        Inline Markdown; plain words and digits come back unchanged.

    Examples
    --------
    >>> escape_markdown("<img src=x onerror=alert(1)>")
    '\\<img src\\=x onerror\\=alert\\(1\\)\\>'
    >>> escape_markdown("x1 and x2")
    'x1 and x2'
    """
    lines = [line.strip() for line in str(text).splitlines()]
    escaped = [_MARKDOWN_PUNCTUATION.sub(r"\\\1", line).replace("&", "&amp;") for line in lines if line]
    return "\\\n".join(escaped)  # a backslash at the end of a line: a hard line break


def markdown_code(text) -> str:
    """``text`` in code type (``<code>``), as Markdown that renders as exactly that text.

    Markdown's backticks cannot hold any string safely (backslashes do nothing inside them), so
    the text goes, escaped by ``escape_markdown``, between ``<code>`` tags.
    """
    return f"<code>{escape_markdown(text)}</code>"


def describe_data(data: Dataset, notes: Sequence = ()) -> str:
    """The report's paragraph on the data, as Markdown: the name, the description, the size, the
    target and task, and ``notes`` (say the messages of the warnings raised while loading), every
    user-given string escaped."""
    description, facts = data.description, (f"\n\n{data.n} rows, {data.d} inputs, target "
                                            f"{markdown_code(data.target_name)} ({data.task}).")
    if description.startswith(f"{data.name}: "):  # a CSV's own description: its name, size and target
        description, facts = description[len(data.name) + 2:], ""
    text = f"**{escape_markdown(data.name)}**: {escape_markdown(description)}{facts}"
    return text + "".join(f"\n\n*Note:* {escape_markdown(note)}" for note in notes)


def check_measures(measures) -> list[str]:
    """The measure names as a list; a ValueError naming any unknown one."""
    if isinstance(measures, str):
        measures = [measures]
    try:
        names = [str(m) for m in measures]
    except TypeError:
        raise ValueError(f"measures must be a list of measure names, got {measures!r}") from None
    if not names:
        raise ValueError(f"measures is empty; choose from {', '.join(imp.MEASURES)}")
    unknown = [m for m in names if m not in imp.MEASURES]
    if unknown:
        raise ValueError(f"measures names an unknown measure {unknown[0]!r}{did_you_mean(unknown[0], imp.MEASURES)} "
                         f"(the kit's measures: {', '.join(imp.MEASURES)})")
    return list(dict.fromkeys(names))


@dataclass
class Fitted:
    """The nets of a run and the data as they see it.

    ``models`` one per seed (or the one model brought), ``train``/``test`` the data in the
    models' input space (standardised unless a brought model takes raw inputs), ``histories``
    the training curves (empty for a brought model), ``brought`` whether the model was loaded,
    ``train_kwargs`` the options the nets were trained with (what drop-and-retrain trains with too),
    ``model_text`` the model in plain words ("2 12-20-1 tanh nets trained by the kit", "your
    12-32-16-1 TorchScript net"), ``held_out`` where the held-out rows come from, ``note`` how the
    inputs were scaled and why, ``retrain_shape`` for a brought net of one hidden layer whose
    activation is known, the kit's training options for a net of its shape (drop-and-retrain),
    ``layers`` a brought net's layer sizes where known (inputs, hidden..., outputs).
    """
    models: list
    seeds: list
    train: Dataset
    test: Dataset
    histories: list = field(default_factory=list)
    best_epochs: list = field(default_factory=list)
    brought: bool = False
    scaler: Standardizer | None = None
    note: str = ""
    train_kwargs: dict = field(default_factory=dict)
    model_text: str = ""
    held_out: str = ""
    user_held_out: bool = False
    retrain_shape: dict | None = None
    layers: list | None = None


def load_data(dataset, *, target="", task="", n_samples=0, seed=0, features=(), exclude=(), categorical=(),
              groups=None, missing="drop", positive="", sep="", decimal="") -> Dataset:
    """The report's data step: ``load_dataset`` with the report's parameters, where ``""``, ``0``
    and empty lists mean "not given" (as in the notebook's parameters cell). The batch calls it too,
    to check a brought model against the data before any run (``check_model``)."""
    from helpers.data import load_dataset

    return load_dataset(dataset, target=target or None, task=task or None, n_samples=n_samples or None, seed=seed,
                        features=features or None, exclude=exclude or None, categorical=categorical or None,
                        groups=groups or None, missing=missing, positive=positive or None, sep=sep or None,
                        decimal=decimal or None)


def _held_out(data: Dataset, *, seed: int, test_size: float, test_data: str, test_options: dict | None,
              held_out_rows: int) -> tuple[Dataset, Dataset, str]:
    """(rows to learn from, held-out rows, where the held-out rows come from), as ``prepare_model`` says."""
    from helpers.data import with_held_out

    if test_data:
        train_raw, test_raw = with_held_out(data, test_data, **(test_options or {}))
        held_out = f"the {test_raw.n} rows of your file {Path(test_data).name}"
    else:
        train_raw, test_raw = data.split(test_size=test_size, seed=seed)
        held_out = f"{test_raw.n} rows held out at random (seed {seed})"
    if held_out_rows and test_raw.n > held_out_rows:
        keep = np.sort(np.random.default_rng(seed).choice(test_raw.n, held_out_rows, replace=False))
        held_out = f"{held_out_rows:,} rows drawn at random (seed {seed}) from {held_out}"
        test_raw = test_raw.subset(keep)
    return train_raw, test_raw, held_out


def _read_brought(model_path: str, data: Dataset, train_raw: Dataset, activation: str):
    """The model at ``model_path``, checked against the data: as many inputs as the training rows
    have columns (a category's levels as those rows encode them), the same task, the same input
    names when the file carries them."""
    from helpers.model_io import read_model

    brought = read_model(model_path, n_inputs=train_raw.d, activation=activation, task=data.task)
    name = Path(model_path).name
    if brought.task is not None and brought.task != data.task:
        raise ValueError(f"the model in {name} is for a {brought.task} task but the data's target is {data.task}")
    if brought.feature_names is not None and list(brought.feature_names) != train_raw.feature_names:
        raise ValueError(f"the model in {name} was saved with the inputs {list(brought.feature_names)}, "
                         f"but the data has {train_raw.feature_names}")
    return brought


def check_model(data: Dataset, model_path: str, *, seed: int = 0, activation: str = "tanh",
                test_data: str = "", test_options: dict | None = None, test_size: float = 0.25) -> None:
    """Raise the ``ValueError`` that ``prepare_model`` would raise for this model, held-out file and
    data (a file in no known format, a pickled module, another number of inputs, another task,
    other input names; a held-out file without the data's columns), without training or computing
    anything: the batch calls it before any run."""
    train_raw, _, _ = _held_out(data, seed=seed, test_size=test_size, test_data=test_data,
                                test_options=test_options, held_out_rows=0)
    _read_brought(model_path, data, train_raw, activation)


def prepare_model(data: Dataset, *, seed: int = 0, seeds: int = 1, test_size: float = 0.25,
                  model_path: str = "", model_inputs: str = "standardized", activation: str = "tanh",
                  train_kwargs: dict | None = None, test_data: str = "",
                  test_options: dict | None = None, held_out_rows: int = 0) -> Fitted:
    """Split the data, and either train ``seeds`` nets (seeds ``seed .. seed + seeds - 1``, inputs
    standardised with the training rows' statistics) or load the model at ``model_path``.

    The held-out rows are the user's own file ``test_data`` when given (read like the data, with
    ``test_options``: ``missing``, ``positive``, ``sep``, ``decimal``; every row of ``data`` is
    then a training row), else a seeded random ``test_size`` share of ``data``. With
    ``held_out_rows`` (0: no limit), at most that many of them are kept, drawn at random with
    ``seed``: every held-out number (the fit, the measures, the verdict) is then computed on that
    sample, so the time of a report stops growing with the data, and each interval of the verdict,
    built from the rows' own spread, includes the sampling (on 20,000 rows it is narrow).

    A brought model takes standardised inputs when its file carries a standardisation (a model saved
    by ``helpers.model.save``, an ``.npz`` with ``mean`` and ``std``) or when
    ``model_inputs="standardized"``, and the raw columns when ``model_inputs="raw"``.
    """
    if model_inputs not in ("standardized", "raw"):
        raise ValueError(f"model_inputs must be 'standardized' or 'raw', got {model_inputs!r}")
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"seeds (the number of nets) must be a positive integer, got {seeds!r}")
    train_raw, test_raw, held_out = _held_out(data, seed=seed, test_size=test_size, test_data=test_data,
                                              test_options=test_options, held_out_rows=held_out_rows)
    if model_path:
        brought = _read_brought(model_path, data, train_raw, activation)
        name = Path(model_path).name
        if brought.scaler is not None:
            scaler = brought.scaler
            train = dataclasses.replace(train_raw, X=scaler.transform(train_raw.X))
            test = dataclasses.replace(test_raw, X=scaler.transform(test_raw.X))
            source = brought.scaling_source or "saved with the model"
            note = (f"inputs scaled with {source}" if source.startswith("the ") else
                    f"inputs scaled with the mean and standard deviation {source}")
        elif model_inputs == "standardized":
            train, test, scaler = standardize(train_raw, test_raw)
            note = ("inputs standardised with the mean and standard deviation of the rows the report learns "
                    "from (model_inputs='standardized'; give the model's own as mean and std in an .npz, or "
                    "model_inputs='raw')")
        else:
            train, test, scaler = train_raw, test_raw, None
            note = "the model takes the raw inputs (model_inputs='raw')"
        described = re.sub(r"^(a|an) ", "", brought.description)
        layers = brought.layers or []
        shape = ({**(train_kwargs or {}), "n_hidden": layers[1], "activation": brought.activation}
                 if len(layers) == 3 and brought.activation in ("tanh", "sigmoid", "relu") else None)
        return Fitted([brought.model], [seed], train, test, brought=True, scaler=scaler, note=note,
                      model_text=f"your {described} ({name})", held_out=held_out, user_held_out=bool(test_data),
                      retrain_shape=shape, layers=brought.layers)
    train, test, scaler = standardize(train_raw, test_raw)
    kwargs = {"activation": activation, **(train_kwargs or {}), "task": data.task}
    run_seeds = list(range(seed, seed + seeds))
    results = train_many(train.X, train.y, seeds=run_seeds, **kwargs)
    shape = f"{train.d}-{kwargs.get('n_hidden', 20)}-1 {activation}"
    text = (f"{len(run_seeds)} {shape} nets trained by the kit, seeds {', '.join(map(str, run_seeds))}"
            if len(run_seeds) > 1 else f"a {shape} net trained by the kit, seed {run_seeds[0]}")
    return Fitted([r.model for r in results], run_seeds, train, test,
                  [r.history for r in results], [r.best_epoch for r in results], scaler=scaler,
                  note="inputs standardised with the training rows' mean and standard deviation",
                  train_kwargs=kwargs, model_text=text, held_out=held_out, user_held_out=bool(test_data))


def describe_model(fitted: Fitted) -> str:
    """The report's sentence on the model, as Markdown (names escaped): what it is, the rows it
    learnt from, how its inputs were scaled, and where the held-out rows come from."""
    text = fitted.model_text[:1].upper() + fitted.model_text[1:]
    rows = "" if fitted.brought else f", on {fitted.train.n} rows"
    out = (f"{escape_markdown(text)}{rows}; {escape_markdown(fitted.note)}. "
           f"Held out: {escape_markdown(fitted.held_out)}.")
    if fitted.brought and not fitted.user_held_out:
        out += (" **Warning:** these rows were drawn at random from the data you gave, and may include rows your "
                "model was trained on: its held-out fit and every held-out number (permutation, the verdict) may "
                "then look better than they are. Give the rows it never saw as test_data.")
    return out


def fit_caption(fitted: Fitted, fit: pd.DataFrame) -> str:
    """The sentence above the fit table: which rows each column is computed on."""
    first = ("the rows of your data file (which the report does not know your model was trained on)"
             if fitted.brought else "the rows it learnt from")
    return (f"Fit ({fit.attrs['score']}) on {first} and on the held-out rows, and beside it the held-out fit of a "
            "linear model and of a constant:")


def fit_table(fitted: Fitted) -> pd.DataFrame:
    """One row per net: the training and held-out score (R^2 for a regression, accuracy for a
    binary task) and, for trained nets, the epoch kept by early stopping."""
    task = fitted.train.task
    rows = []
    for k, (model, seed) in enumerate(zip(fitted.models, fitted.seeds)):
        row = {"seed": seed, "train": score(model, fitted.train.X, fitted.train.y),
               "held_out": score(model, fitted.test.X, fitted.test.y)}
        if fitted.best_epochs:
            row["best_epoch"] = fitted.best_epochs[k]
        rows.append(row)
    table = pd.DataFrame(rows).set_index("seed")
    table.attrs["score"] = "accuracy" if task == "binary" else "R^2"
    return table


def compute_measures(measures: Sequence[str], fitted: Fitted, *, n_repeats: int = 10,
                     n_explain: int = 100) -> tuple[dict, list[str]]:
    """Every requested measure on every net of the run, through the registry (``imp.compute``);
    with several nets, the mean over them with their spread (``helpers.evaluate.combine_seeds``).

    Importance is per original variable: the data's ``groups`` (a categorical input's levels, the
    user's groups) go to every measure, and a measure that has no meaning for a group of columns
    (``Measure.group_rule == "declines"``) is skipped with a note saying why.

    Returns ``(results, notes)``: measure name -> ``Importance``, and notes on what was skipped or
    approximated, as plain text (``escape_markdown`` them for a Markdown page). Permutation-type
    measures and Shapley values use held-out rows; gradients too; weight measures read the weights
    (``weight_sum`` scaled by the training rows' spread).
    """
    results, notes = {}, []
    train, test = fitted.train, fitted.test
    groups = train.groups
    data = dict(train_X=train.X, train_y=train.y, test_X=test.X, test_y=test.y,
                feature_names=train.feature_names, groups=groups)
    for name in check_measures(measures):
        spec = imp.REGISTRY[name]
        if not spec.supports(groups):
            notes.append(f"{name} was skipped: it {spec.group_note}")
            continue
        why_not = spec.not_applicable(fitted.models[0])
        if why_not:
            notes.append(f"{name} was skipped: {why_not}")
            continue
        if spec.retrains:
            if fitted.brought:
                shape = fitted.retrain_shape
                if shape is None:
                    layers = fitted.layers or []
                    why = (f"your model has {len(layers) - 2} hidden layers" if len(layers) > 3
                           else "the kit does not know your model's shape or activation")
                    notes.append(f"{name} (drop and retrain) was skipped: it trains new nets, and the kit trains "
                                 f"nets of one hidden layer with a tanh, sigmoid or relu activation only; {why}")
                    continue
                # the kit's own net of the brought model's shape, trained with and without each input
                notes.append(f"{name} (drop and retrain) trained the kit's own {train.d}-{shape['n_hidden']}-1 "
                             f"{shape['activation']} nets, of your model's shape, with and without each input: "
                             "it speaks of the data, not of your model's weights")
                results[name] = imp.compute(name, None, **data, seeds=fitted.seeds,
                                            train_kwargs={**shape, "task": train.task})
                continue
            # the run's nets are the baselines, trained with the same options: only the nets
            # without each input are trained here
            results[name] = imp.compute(name, fitted.models, **data, seeds=fitted.seeds,
                                        train_kwargs=fitted.train_kwargs)
            continue
        per_net = [imp.compute(name, model, **data, seed=seed, n_repeats=n_repeats, n_explain=n_explain)
                   for model, seed in zip(fitted.models, fitted.seeds)]
        if not per_net[0].info.get("exact", True) and per_net[0].info.get("note"):
            notes.append(f"{name}: {per_net[0].info['note']}")
        results[name] = per_net[0] if len(per_net) == 1 else evaluate.combine_seeds(per_net, method=name)
    return results, notes


def judge(fitted: Fitted, *, n_repeats: int = 10, seed: int = 0):
    """The run's verdict (``helpers.verdict.decide``): every net of the run on the held-out rows,
    per original variable, with the training rows for the linear model and the constant one."""
    from helpers import verdict

    train, test = fitted.train, fitted.test
    return verdict.decide(fitted.models, test.X, test.y, task=train.task, feature_names=train.feature_names,
                          groups=train.groups, X_train=train.X, y_train=train.y, n_repeats=n_repeats, seed=seed)


def answer(verdict) -> str:
    """The answer that opens the report, as Markdown (names escaped): the verdict in plain words,
    the warnings that change how to read it, and how it was decided."""
    # the summary already opens with the learned-nothing sentence: the other flags as warnings
    flags = [f"**Warning:** {escape_markdown(reason)}" for key, reason in verdict.flags.items()
             if key != "learned_nothing"]
    how = (f"Decided from the held-out loss increase when each input is shuffled: an input **matters** "
           f"when, with {verdict.level:.0%} confidence, shuffling it costs more than "
           f"{verdict.threshold_share:.0%} of the held-out loss; it **does not matter** when its whole "
           f"interval lies within {verdict.threshold_share:.0%} of the loss either way; otherwise it is "
           f"**unclear**.")
    return "\n\n".join([f"### {escape_markdown(verdict.summary())}", *flags, how])


def ranked_table(verdict, results: dict) -> pd.DataFrame:
    """The one ranked table: inputs in rows, the verdict, its interval, and the consensus rank of
    the other measures (each input's median rank over them)."""
    from helpers.verdict import consensus

    table = verdict.table.set_index("feature")[["verdict", "importance", "low", "high", "rank", "group", "note"]]
    table["group"] = table["group"].str.replace("+", " + ", regex=False)  # a long group wraps on the page
    if results:
        ranks = consensus(results, verdict).set_index("feature")["consensus_rank"]
        table.insert(5, "consensus_rank", ranks.reindex(table.index))
    return table.sort_values("rank")


def fit_summary(verdict) -> pd.DataFrame:
    """The run's fit as ``fit.csv`` holds it (the batch's index reads it): one row per model
    (``net``, ``linear``, ``constant``) with ``metric`` (R^2 or accuracy), ``held_out`` (the score
    on the held-out rows), ``loss`` (their mean loss), ``train`` (the nets' score on their training
    rows) and ``flag``: on the net's row, ``learned nothing`` or ``worse than linear`` when the
    verdict raised that caveat, else empty."""
    fit = verdict.fit
    flag = "learned nothing" if verdict.learned_nothing else "worse than linear" if verdict.worse_than_linear else ""
    return pd.DataFrame({"model": fit.index.astype(str), "metric": fit.attrs["score"],
                         "held_out": fit["score"].to_numpy(), "loss": fit["loss"].to_numpy(),
                         "train": fit["train_score"].to_numpy(),
                         "flag": [flag if name == "net" else "" for name in fit.index]})


def importance_table(results: dict) -> pd.DataFrame:
    """The tidy table of a run: ``method, feature, importance, std`` (std empty where a measure
    has no spread), one row per measure and input."""
    frames = [r.to_frame().assign(method=name) for name, r in results.items()]
    if not frames:
        return pd.DataFrame(columns=["method", "feature", "importance", "std"])
    return pd.concat(frames, ignore_index=True)[["method", "feature", "importance", "std"]]


def agreement_table(results: dict, truth: pd.Series | None) -> pd.DataFrame | None:
    """Agreement of every measure with the known truth (``helpers.evaluate.agreement``), one row
    per measure; None when the data set has no truth."""
    if truth is None or not results:
        return None
    rows = [{"method": name, **evaluate.agreement(r, truth)} for name, r in results.items()]
    return pd.DataFrame(rows)


def correlated_pairs(X, names, limit: float = CORRELATION_LIMIT, groups: dict | None = None) -> list[tuple[str, str, float]]:
    """Pairs of inputs whose absolute Pearson correlation is at least ``limit``, strongest first.
    Two columns of one variable (``groups``: a category's levels, which exclude each other) are
    not a pair: they are judged together already."""
    X = np.asarray(X, dtype=float)
    std = X.std(axis=0)
    keep = std > 0
    corr = np.full((X.shape[1], X.shape[1]), np.nan)
    if keep.sum() > 1:
        corr[np.ix_(keep, keep)] = np.corrcoef(X[:, keep], rowvar=False)
    variable = {column: name for name, columns in (groups or {}).items() for column in columns}
    pairs = [(names[i], names[j], float(corr[i, j])) for i in range(len(names)) for j in range(i + 1, len(names))
             if np.isfinite(corr[i, j]) and abs(corr[i, j]) >= limit
             and variable.get(names[i], names[i]) != variable.get(names[j], names[j])]
    return sorted(pairs, key=lambda p: -abs(p[2]))


def caveats(data: Dataset, fitted: Fitted, fit: pd.DataFrame, results: dict) -> list[str]:
    """Plain-language warnings that apply to this run (an empty list when none does), each as
    Markdown in which the input names are escaped (``escape_markdown``): ready for the page."""
    out = []
    md = escape_markdown
    pairs = correlated_pairs(fitted.train.X, fitted.train.feature_names, groups=fitted.train.groups)
    if pairs:
        listed = ", ".join(f"{md(a)} and {md(b)} (r = {r:.2f})" for a, b, r in pairs[:4])
        out.append(f"Strongly correlated inputs: {listed}{' and more' if len(pairs) > 4 else ''}. Each can stand "
                   "in for the other: drop-and-retrain and permutation may call both unimportant, or split the "
                   "credit; read their importance as a group (grouped or conditional permutation, chapter 7).")
    score = fit.attrs.get("score", "R^2")
    gap = float((fit["train"] - fit["held_out"]).mean())
    if gap > 0.1 and not fitted.brought:  # a brought model's training rows are not the report's
        out.append(f"The nets fit the training rows much better than the held-out rows ({score} "
                   f"{fit['train'].mean():.2f} vs {fit['held_out'].mean():.2f}): they may have learnt noise. "
                   "Measures that read the net (weights, gradients) can then credit noise inputs; trust the "
                   "held-out measures (permutation) more, and consider more data or more regularisation (chapter 8).")
    if float(fit["held_out"].mean()) < (0.6 if data.task == "binary" else 0.2):
        out.append(f"The held-out fit is poor ({score} {fit['held_out'].mean():.2f}): importance of a model that "
                   "predicts badly says little about the data.")
    std = data.X.std(axis=0)
    positive = std[std > 0]
    # different scales only matter to a model given its inputs raw: the kit standardises them, and a
    # brought model with its own scaling gets that
    if fitted.scaler is None and len(positive) > 1 and positive.max() / positive.min() > SCALE_RATIO_LIMIT:
        big, small = data.feature_names[int(np.argmax(std))], data.feature_names[int(np.argmin(np.where(std > 0, std, np.inf)))]
        out.append(f"The raw inputs are on very different scales ({md(big)} varies {positive.max() / positive.min():,.0f} "
                   f"times more than {md(small)}), and the model takes them raw: compare weight-based measures only "
                   "after scaling by each input's spread (weight_sum does) and prefer the measures that read the "
                   "output (chapter 2).")
    constant = [f for f, s in zip(data.feature_names, std) if s == 0]
    if constant:
        out.append(f"Constant inputs ({', '.join(map(md, constant))}): their importance is zero by definition.")
    if data.n < 200:
        out.append(f"Only {data.n} rows: importance estimates vary with the split and the seed; ask for several "
                   "seeds (parameter seeds) and look at the intervals.")
    if data.task == "binary" and any(m in results for m in ("gradient", "integrated_gradients", "shapley")):
        out.append("Binary target: gradients, integrated gradients and Shapley values describe the logit (log-odds), "
                   "not the probability; permutation uses the log-loss.")
    players = len(fitted.train.groups or fitted.train.feature_names)
    if players > 12 and "shapley" in results:
        out.append(f"{players} inputs: Shapley values were estimated from sampled orderings, not all 2^{players} coalitions.")
    return out

"""The kit's figures. Each function draws on an ``ax`` (made when not given) and returns it,
so a notebook can combine them; none calls ``plt.show``.

``setup()`` sets the style once: small figures at a modest dpi, so that notebooks committed with
their outputs stay light in git.
"""
from __future__ import annotations

import math
from typing import Sequence

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import seaborn as sns

from helpers._base import Importance

DPI = 72
ANNOTATION_PT = 8
"""The smallest text a figure holds (heatmap annotations), in points."""
MIN_TEXT_PX = 11
"""Heatmap annotations are at least this many pixels high on the page (their size in points x
dpi / 72): digits are about 0.73 of the font size, so about 8 px high. At the figures' 72 dpi,
8 pt would be 8 px and its digits 6 px: ``annotation_pt`` raises the size to match the dpi."""
MAX_BARS = 40
"""More bars than this in one chart and ``importance_bars`` draws one facet per measure."""


def setup(dpi: int = DPI, *, math: bool = True) -> None:
    """Seaborn's white grid, small fonts, modest dpi (for inline figures and saved ones).

    ``math=False`` draws every label as plain text (``text.parse_math`` off): for a report, whose
    labels are the user's column names, where a name such as ``cost $`` or ``$\\foo{$`` would
    otherwise be read as mathtext and fail or change. The course keeps its math labels."""
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.9)
    matplotlib.rcParams.update({"figure.dpi": dpi, "savefig.dpi": dpi, "figure.figsize": (6, 3.2),
                                "axes.titlesize": "medium", "figure.autolayout": True,
                                "text.parse_math": bool(math)})


def annotation_pt(dpi: float | None = None) -> int:
    """The font size, in points, of heatmap annotations on a figure of ``dpi`` (default: the
    figures' dpi, ``rcParams["figure.dpi"]``): ``ANNOTATION_PT`` or more, and ``MIN_TEXT_PX``
    pixels or more on the page (11 pt at 72 dpi, 8 pt at 100 dpi).

    Examples
    --------
    >>> annotation_pt(72), annotation_pt(100)
    (11, 8)
    """
    dpi = float(dpi or matplotlib.rcParams["figure.dpi"])
    return max(ANNOTATION_PT, math.ceil(MIN_TEXT_PX * 72 / dpi - 1e-9))


def rotate_labels(labels, rotation: float = 45) -> None:
    """Rotate tick labels so that each ends at its tick (``ha="right"``, ``rotation_mode="anchor"``):
    a centred rotated label runs over its neighbours' ones."""
    matplotlib.artist.setp(labels, rotation=rotation, ha="right", rotation_mode="anchor")


def _fit_annotations(ax, n_rows: int, n_cols: int) -> bool:
    """Whether each annotation of a heatmap of ``n_rows`` x ``n_cols`` cells fits in its cell, as
    the figure is laid out (once, without rendering). When one does not, the annotations are removed
    and a colourbar gives the scale instead; returns whether they were kept."""
    texts = list(ax.texts)
    if not texts:
        return False
    fig = ax.figure
    fig.draw_without_rendering()  # laid out (its layout engine run) as it will be drawn
    box = ax.get_window_extent()
    cell_w, cell_h = box.width / n_cols, box.height / n_rows
    extents = [t.get_window_extent() for t in texts]
    if all(e.width <= 0.9 * cell_w and e.height <= 0.9 * cell_h for e in extents):
        return True
    for t in texts:
        t.remove()
    fig.colorbar(ax.collections[0], ax=ax, fraction=0.05, pad=0.02)
    return False


def _label_inches(names) -> float:
    """The room, in inches, that a heatmap's row labels take (their longest), at least 0.6: a
    figure widened by it keeps its cells (and the numbers in them) the same size."""
    longest = max((len(str(name)) for name in names), default=0)
    return max(0.6, 0.075 * longest * matplotlib.rcParams["font.size"] / 10.8)


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def importance_bars(importance: Importance | Sequence[Importance], *, normalize: bool = False,
                    ax=None, title: str | None = None, truth: pd.Series | None = None):
    """Bars of one or several measures, with error bars (one std) where a measure has a spread.

    Several measures are drawn side by side per feature; ``normalize`` scales each so that its
    absolute values sum to 1. ``truth`` (normalised the same way) is drawn as black ticks. The
    legend sits beside the axes, off the bars. With more than ``MAX_BARS`` bars (and no ``ax``
    given), each measure gets a facet of its own, one above the other; the axes are then returned
    as an array.
    """
    items = [importance] if isinstance(importance, Importance) else list(importance)
    if not items:
        raise ValueError("importance_bars needs at least one Importance")
    if normalize:
        items = [i.normalized() for i in items]
    features = items[0].feature_names
    if ax is None and len(items) > 1 and len(items) * len(features) > MAX_BARS:
        width = max(5, 0.45 * len(features))
        fig, axes = plt.subplots(len(items), 1, figsize=(width, 1.9 * len(items)), sharex=True)
        for k, (item, sub) in enumerate(zip(items, axes)):
            _bars(sub, [item], features, normalize, truth, colours=[sns.color_palette("deep", len(items))[k]],
                  show_ticks=k == len(items) - 1)
            sub.set_title(item.method, fontsize="small", loc="left")
        if title:
            fig.suptitle(title, fontsize="medium")
        return axes
    ax = _ax(ax, (max(5, 0.55 * len(features) * max(1, len(items) ** 0.5)) + 1.5, 3.2))
    _bars(ax, items, features, normalize, truth, colours=sns.color_palette("deep", len(items)))
    if title:
        ax.set_title(title)
    return ax


def _bars(ax, items, features, normalize, truth, *, colours, show_ticks: bool = True):
    width = 0.8 / len(items)
    x = np.arange(len(features))
    for k, (item, colour) in enumerate(zip(items, colours)):
        values = item.values.reindex(features).to_numpy(dtype=float)
        err = None if item.std is None else item.std.reindex(features).to_numpy(dtype=float)
        ax.bar(x - 0.4 + width * (k + 0.5), values, width, yerr=err, color=colour,
               label=item.method, capsize=2 if err is not None else 0, error_kw={"lw": 0.8})
    if truth is not None:
        t = truth.reindex(features).abs().astype(float)
        t = t / t.sum() if normalize and t.sum() > 0 else t
        ax.scatter(x, t.to_numpy(), marker="_", s=300, color="black", zorder=3, label="truth")
    if show_ticks:
        ax.set_xticks(x, features)
        if len(features) > 8 or max(len(str(f)) for f in features) > 8:  # many, or long: they would meet
            rotate_labels(ax.get_xticklabels())
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_ylabel("importance" + (" (normalised)" if normalize else ""))
    if len(items) > 1 or truth is not None:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
                  title="measure", title_fontsize="small")


def compare_measures(importances: Sequence[Importance], *, ax=None, title: str | None = None,
                     truth: pd.Series | None = None):
    """A heatmap, features x measures, each measure normalised (absolute values summing to 1),
    so that measures on different scales can be read side by side. Of more than ``MAX_BARS``
    inputs, the ones with the largest mean share over the measures are drawn, most important at
    the top, and the title says how many of how many (a 100-row heatmap is unreadable).

    Up to 15 inputs, each cell shows its number (``annotation_pt``: at least ``MIN_TEXT_PX``
    pixels on the page); when the numbers would not fit their cells (a small ``ax``), or past 15
    inputs, a colourbar gives the scale instead. Long input names widen the figure, not the cells."""
    table = pd.DataFrame({i.method: i.normalized().values.abs() for i in importances})
    if truth is not None:
        t = truth.reindex(table.index).abs().astype(float)
        table.insert(0, "truth", t / t.sum() if t.sum() > 0 else t)
    shown = table
    if len(table) > MAX_BARS:
        shown = table.loc[table.mean(axis=1).sort_values(ascending=False).index[:MAX_BARS]]
    ax = _ax(ax, (1.0 + _label_inches(shown.index) + 0.9 * shown.shape[1], 1.8 + 0.34 * shown.shape[0]))
    annotate = shown.shape[0] <= 15
    sns.heatmap(shown, annot=annotate, fmt=".2f", cmap="Blues", cbar=not annotate, ax=ax,
                annot_kws={"fontsize": annotation_pt(ax.figure.dpi)}, yticklabels=True)
    rotate_labels(ax.get_xticklabels(), 35)
    ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
    ax.set_ylabel("")
    # on one line over a heatmap wider than the line, else on two
    default = "importance by measure" + (" " if shown.shape[1] >= 4 else "\n") + "(each column sums to 1)"
    if len(shown) < len(table):
        default += f"\nthe {len(shown)} of {len(table)} inputs with the largest mean share"
    ax.set_title(title or default)
    if annotate:
        _fit_annotations(ax, *shown.shape)
    return ax


def correlation_heatmap(X, feature_names: Sequence[str], *, ax=None, title: str = "correlation between inputs"):
    """Pearson correlations between inputs, annotated when there are few (up to 12, and when the
    numbers fit their cells; else a colourbar). The figure grows with the inputs up to about 10
    inches, plus room for long names; beyond ``MAX_BARS`` inputs the tick labels are thinned
    (seaborn keeps those that do not overlap)."""
    corr = pd.DataFrame(np.asarray(X), columns=list(feature_names)).corr()
    d = len(feature_names)
    side = min(d, MAX_BARS // 2)
    labels_in = _label_inches(feature_names if d <= MAX_BARS else [])
    ax = _ax(ax, (0.8 + labels_in + 0.48 * side, 0.5 + labels_in + 0.44 * side))
    labels = True if d <= MAX_BARS else "auto"
    sns.heatmap(corr, vmin=-1, vmax=1, center=0, cmap="vlag", annot=d <= 12, fmt=".1f",
                annot_kws={"fontsize": annotation_pt(ax.figure.dpi)}, square=True, cbar=d > 12, ax=ax,
                xticklabels=labels, yticklabels=labels)
    matplotlib.artist.setp(ax.get_yticklabels(), rotation=0)  # seaborn turns them upright: names read across
    ax.set_title(title)
    if d <= 12:
        _fit_annotations(ax, d, d)
    return ax


def _plain_log_labels(axis) -> None:
    """Tick labels of a log axis as plain numbers (0.01, 0.1, 1, 10), not matplotlib's mathtext
    ``10^{-2}``, which reads as raw ``$\\mathdefault{10^{-2}}$`` where math is off (a report's
    ``plots.setup(math=False)``); the 2, 3, ... between them too when the axis spans less than a
    decade, where the powers of ten alone would leave it unlabelled."""
    plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_formatter(plain)
    low, high = sorted(axis.get_view_interval())
    few = low > 0 and high / low < 10
    axis.set_minor_formatter(plain if few else matplotlib.ticker.NullFormatter())


def loss_curves(history: pd.DataFrame, *, ax=None, best_epoch: int | None = None, log: bool = True):
    """Training and validation loss per epoch, with the kept (best) epoch marked."""
    ax = _ax(ax, (5, 3))
    ax.plot(history["epoch"], history["train_loss"], label="training")
    ax.plot(history["epoch"], history["val_loss"], label="validation")
    if best_epoch:
        ax.axvline(best_epoch, color="grey", ls="--", lw=0.8, label=f"kept: epoch {best_epoch}")
    if log:
        ax.set_yscale("log")
        _plain_log_labels(ax.yaxis)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(fontsize="small", title="loss on the rows for", title_fontsize="small")
    return ax


def network_diagram(model, *, feature_names: Sequence[str] | None = None, ax=None,
                    max_width: float = 4.0, title: str | None = None, per_layer: bool = True):
    """The one-hidden-layer net as a diagram: line width ~ |weight|, colour = sign
    (red positive, blue negative); input nodes on the left, the output on the right.

    With ``per_layer`` (the default) each layer's widths are scaled to its own largest weight:
    ``train`` folds the target's scale into the output weights, which would otherwise dwarf the
    input weights. ``per_layer=False`` uses one scale for both layers."""
    W1 = model.hidden.weight.detach().numpy()
    v = model.output.weight.detach().numpy()[0]
    h, d = W1.shape
    names = list(feature_names) if feature_names is not None else [f"x{i + 1}" for i in range(d)]
    ax = _ax(ax, (6, 0.28 * max(d, h) + 1))
    y_in, y_hid = np.linspace(1, 0, d), np.linspace(1, 0, h)
    if per_layer:
        scale_in, scale_out = (max_width / max(np.abs(w).max(), 1e-12) for w in (W1, v))
    else:
        scale_in = scale_out = max_width / max(np.abs(W1).max(), np.abs(v).max(), 1e-12)
    for j in range(h):
        for i in range(d):
            w = W1[j, i]
            ax.plot([0, 1], [y_in[i], y_hid[j]], color="tab:red" if w > 0 else "tab:blue",
                    lw=abs(w) * scale_in, alpha=0.6, solid_capstyle="round")
        ax.plot([1, 2], [y_hid[j], 0.5], color="tab:red" if v[j] > 0 else "tab:blue",
                lw=abs(v[j]) * scale_out, alpha=0.6)
    ax.scatter(np.zeros(d), y_in, s=60, color="white", edgecolor="black", zorder=3)
    ax.scatter(np.ones(h), y_hid, s=40, color="lightgrey", edgecolor="black", zorder=3)
    ax.scatter([2], [0.5], s=80, color="white", edgecolor="black", zorder=3)
    for i, name in enumerate(names):
        ax.text(-0.08, y_in[i], name, ha="right", va="center", fontsize=8)
    ax.text(2.08, 0.5, "output", ha="left", va="center", fontsize=8)
    ax.set_xlim(-0.6, 2.5)
    ax.axis("off")
    ax.set_title(title or ("line width ~ |weight|" + (" (each layer to its own scale)" if per_layer else "")
                           + "; red positive, blue negative"))
    return ax


def _dots_per_feature(ax, table: pd.DataFrame, *, seed: int, jitter: float, size: float, alpha: float):
    """One row of dots per column of ``table`` (feature ``k`` at height ``k``), each dot jittered
    vertically with a seeded generator, so the picture is the same on every run; a line at 0."""
    rng = np.random.default_rng(seed)
    features = list(table.columns)
    for k, (name, colour) in enumerate(zip(features, sns.color_palette("deep", len(features)))):
        values = table[name].to_numpy(dtype=float)
        ax.scatter(values, k + rng.uniform(-jitter, jitter, len(values)), s=size, alpha=alpha, color=colour, lw=0)
    ax.set_yticks(range(len(features)), features)
    ax.axvline(0, color="grey", lw=0.6)


def local_strip(importance: Importance, *, ax=None, max_rows: int = 300, seed: int = 0,
                xlabel: str = "per-row value"):
    """The per-row values (``importance.local``) of each input as a strip plot: the distribution
    behind a global number (one dot per row, a random subset of ``max_rows`` rows, and a small
    vertical jitter; both drawn with ``seed``)."""
    if importance.local is None:
        raise ValueError(f"{importance.method} has no per-row values to plot")
    local = importance.local
    if len(local) > max_rows:
        local = local.sample(max_rows, random_state=seed)
    ax = _ax(ax, (6, 0.3 * local.shape[1] + 1))
    _dots_per_feature(ax, local, seed=seed, jitter=0.25, size=5, alpha=0.5)
    ax.set_ylim(local.shape[1] - 0.5, -0.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title(importance.method)
    return ax


def profile_plot(profile: pd.DataFrame, *, features: Sequence[str] | None = None, col_wrap: int = 5,
                 height: float = 1.8):
    """Lek's profiles: the response along each input, one line per group (the quantile at
    which the other inputs are held). Returns the seaborn FacetGrid."""
    data = profile if features is None else profile[profile["feature"].isin(features)]
    grid = sns.relplot(data=data, x="x", y="y", hue="group", col="feature", kind="line",
                       col_wrap=min(col_wrap, data["feature"].nunique()), height=height,
                       aspect=1.1, facet_kws={"sharex": False}, palette="viridis")
    grid.set_titles("{col_name}")
    return grid


def interval_plot(table: pd.DataFrame, *, x: str = "value", y: str = "feature", hue: str = "method",
                  ax=None, title: str | None = None):
    """Points with intervals from a tidy table holding ``x``, ``y``, ``hue`` and ``lower``/``upper``."""
    ax = _ax(ax, (6, 0.3 * table[y].nunique() + 1.2))
    groups = list(dict.fromkeys(table[hue]))
    colours = sns.color_palette("deep", len(groups))
    ys = {name: k for k, name in enumerate(dict.fromkeys(table[y]))}
    for g, (name, colour) in enumerate(zip(groups, colours)):
        part = table[table[hue] == name]
        offset = (g - (len(groups) - 1) / 2) * 0.8 / max(len(groups), 1)
        pos = np.array([ys[v] for v in part[y]]) + offset
        ax.errorbar(part[x], pos, xerr=[part[x] - part["lower"], part["upper"] - part[x]],
                    fmt="o", ms=3, color=colour, label=name, capsize=2, lw=0.8)
    ax.set_yticks(range(len(ys)), list(ys))
    ax.invert_yaxis()
    ax.legend(fontsize="small", title=hue, title_fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def samples_plot(importance: Importance, *, ax=None, title: str | None = None,
                 xlabel: str | None = None, seed: int = 0):
    """The raw repeats behind a measure (``importance.samples``: one row per repeat or seed):
    one dot per repeat for each input, a black tick at the mean and a line of one std either side.

    For measures whose value is an average of noisy repeats (``permutation``) or of nets retrained
    with several seeds (``ablation``, ``combine_seeds``): the picture shows how far a single repeat
    can stray from the mean, which error bars alone hide. The vertical jitter of the dots is
    seeded (``seed``), so the figure is the same on every run.
    """
    if importance.samples is None:
        raise ValueError(f"{importance.method} has no raw repeats (samples) to plot")
    samples = importance.samples
    ax = _ax(ax, (6, 0.3 * samples.shape[1] + 1.2))
    _dots_per_feature(ax, samples, seed=seed, jitter=0.18, size=9, alpha=0.6)
    mean, std = samples.mean(axis=0), samples.std(axis=0, ddof=0)
    for k, name in enumerate(samples.columns):
        ax.plot([mean[name] - std[name], mean[name] + std[name]], [k, k], color="black", lw=1)
        ax.scatter([mean[name]], [k], marker="|", s=220, color="black", zorder=3)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel or f"{importance.method}: one dot per {samples.index.name or 'repeat'}")
    ax.set_title(title or f"{importance.method}: {len(samples)} {samples.index.name or 'repeat'}s "
                          "(black: mean and one std)")
    return ax


def image_maps(maps, *, titles: Sequence[str] | None = None, shape: tuple[int, int] = (8, 8),
               signed: bool | None = None, ncols: int | None = None, size: float = 1.5,
               suptitle: str | None = None, colorbar: bool = True):
    """Per-input values drawn as small images, one panel per map: for inputs that are pixels
    (the 8x8 digits of chapter 11: the images themselves, importance maps, attributions).

    ``maps`` is a sequence of arrays or Series of ``shape[0] * shape[1]`` values in row-major
    order (pixel ``r * shape[1] + c`` at row ``r``, column ``c``), or a dict ``title -> values``.
    A map with negative values (or every map, with ``signed=True``) is drawn on a diverging scale
    centred on 0 and symmetric per panel (red positive, blue negative); the others in greys from 0
    (white) to their own maximum (black). Each panel is scaled on its own, so compare patterns,
    not shades, across panels: each panel's colourbar (``colorbar=True``) gives its own scale.
    Returns the flat array of the image axes.
    """
    if isinstance(maps, dict):
        titles, maps = list(maps), list(maps.values())
    maps = [np.asarray(m, dtype=float).reshape(-1) for m in maps]
    if not maps:
        raise ValueError("image_maps needs at least one map")
    size_needed = shape[0] * shape[1]
    for k, m in enumerate(maps):
        if m.size != size_needed:
            raise ValueError(f"map {k} has {m.size} values; shape {shape} needs {size_needed}")
    if titles is not None and len(titles) != len(maps):
        raise ValueError(f"{len(titles)} titles for {len(maps)} maps")
    ncols = min(len(maps), ncols or len(maps))
    nrows = int(np.ceil(len(maps) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.3 if suptitle else 0)),
                             squeeze=False)
    axes = axes.ravel()
    for k, (ax, m) in enumerate(zip(axes, maps)):
        img = m.reshape(shape)
        diverging = signed if signed is not None else bool((img < 0).any())
        top = float(np.abs(img).max()) or 1.0
        if diverging:
            image = ax.imshow(img, cmap="RdBu_r", vmin=-top, vmax=top)
        else:
            image = ax.imshow(img, cmap="Greys", vmin=0, vmax=top)
        if colorbar:
            bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
            bar.ax.tick_params(labelsize=6, length=2)
            bar.locator = matplotlib.ticker.MaxNLocator(3)
            bar.formatter = matplotlib.ticker.FormatStrFormatter("%.2g")
            bar.update_ticks()
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if titles is not None:
            ax.set_title(titles[k], fontsize=8)
    for ax in axes[len(maps):]:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    return axes

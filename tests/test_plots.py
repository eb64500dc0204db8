"""The kit's figures stay readable at their size: heatmap numbers at 8 pt or more and 8 px high on
the page, inside their cells, rotated labels that end at their ticks, legends beside the bars, one
facet per measure past 40 bars, and heatmaps of many inputs that keep a readable size."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers import plots  # noqa: E402
from helpers._base import Importance  # noqa: E402


def _measure(method, n, seed=0):
    values = np.random.default_rng(seed).random(n)
    names = [f"x{j}" for j in range(n)]
    return Importance(method, pd.Series(values, index=names), pd.Series(values / 10, index=names))


@pytest.fixture(autouse=True)
def _close():
    plots.setup()
    yield
    plt.close("all")


def test_few_bars_share_one_chart_with_the_legend_off_the_bars():
    ax = plots.importance_bars([_measure("a", 8), _measure("b", 8, 1)])
    assert len(ax.patches) == 16
    legend = ax.get_legend()
    fig = ax.figure
    fig.canvas.draw()
    box, axes_box = legend.get_window_extent(), ax.get_window_extent()
    assert box.x0 >= axes_box.x1 - 1, "the legend sits beside the axes"


def test_more_than_40_bars_get_one_facet_per_measure():
    axes = plots.importance_bars([_measure("a", 30), _measure("b", 30, 1)])
    assert len(axes) == 2 and [ax.get_title(loc="left") for ax in axes] == ["a", "b"]
    assert all(len(ax.patches) == 30 for ax in axes)


def test_a_heatmap_of_100_inputs_shows_the_40_largest_and_says_so():
    items = [_measure("a", 100), _measure("b", 100, 1)]
    ax = plots.compare_measures(items)
    shown = [t.get_text() for t in ax.get_yticklabels()]
    mean = pd.DataFrame({i.method: i.normalized().values.abs() for i in items}).mean(axis=1)
    assert shown == list(mean.sort_values(ascending=False).index[:plots.MAX_BARS])
    assert "the 40 of 100 inputs with the largest mean share" in ax.get_title()
    assert ax.figure.get_size_inches()[1] < 16


def _pixels(text):
    """A text's font size and the height of its digits, in pixels on the page (points x dpi / 72;
    a digit's height measured on the glyph's outline, "1": no overshoot)."""
    from matplotlib.textpath import TextPath

    per_point = text.figure.dpi / 72
    digit = TextPath((0, 0), "1", prop=text.get_fontproperties()).get_extents().height
    return text.get_fontsize() * per_point, digit * per_point


def _heatmaps():
    X = np.random.default_rng(0).normal(size=(50, 6))
    yield plots.compare_measures([_measure("a", 10), _measure("b", 10, 1)])
    yield plots.correlation_heatmap(X, [f"x{j}" for j in range(6)])


@pytest.mark.parametrize("dpi", [plots.DPI, 100])
def test_heatmap_digits_are_at_least_8_px_high_on_the_page(dpi):
    """The issue's complaint: 8 pt at 72 dpi is 8 px, its digits 6 px high. At the figures' dpi
    (and at another), the numbers in a heatmap are at least 8 pt, 11 px, and their digits 8 px."""
    plots.setup(dpi=dpi)
    for ax in _heatmaps():
        assert ax.texts
        for text in ax.texts:
            font_px, digit_px = _pixels(text)
            assert text.get_fontsize() >= plots.ANNOTATION_PT >= 8
            assert font_px >= plots.MIN_TEXT_PX >= 11 and digit_px >= 8, (dpi, font_px, digit_px)


@pytest.mark.parametrize("n_features, n_measures", [(2, 1), (5, 4), (10, 5), (15, 11)])
def test_heatmap_numbers_fit_their_cells(n_features, n_measures):
    ax = plots.compare_measures([_measure(f"measure_{k}", n_features, k) for k in range(n_measures)])
    _assert_inside_cells(ax, n_features, n_measures)
    plt.close("all")
    for d in (2, 7, 12):
        X = np.random.default_rng(d).normal(size=(60, d))
        ax = plots.correlation_heatmap(X - X.mean(axis=0) * 3, [f"feature_{j}" for j in range(d)])
        _assert_inside_cells(ax, d, d)
        plt.close("all")


def _assert_inside_cells(ax, n_rows, n_cols):
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    assert len(ax.texts) == n_rows * n_cols
    for text in ax.texts:
        extent = text.get_window_extent(renderer)
        assert extent.width < box.width / n_cols and extent.height < box.height / n_rows, text.get_text()


def test_long_input_names_leave_the_numbers_room():
    """A long input name (a one-hot column, a clinical variable) widens the figure, not the
    cells: the numbers are still drawn, inside their cells."""
    names = ["lin", "<img src=x onerror=alert(1)>", "copy_of_lin", "region=north"] + [f"x{j}" for j in range(8)]
    values = pd.Series(np.linspace(1, 2, 12), index=names)
    ax = plots.compare_measures([Importance("permutation", values, None), Importance("gradient", values, None)])
    _assert_inside_cells(ax, 12, 2)
    X = np.random.default_rng(0).normal(size=(80, 12))
    ax = plots.correlation_heatmap(X, names)
    _assert_inside_cells(ax, 12, 12)


def test_a_heatmap_too_small_for_its_numbers_shows_a_colourbar_instead():
    """Drawn on a small axes given by the caller, the numbers would not fit their cells: the
    heatmap drops them and keeps its scale in a colourbar."""
    fig, ax = plt.subplots(figsize=(2.2, 1.6))
    plots.compare_measures([_measure(f"m{k}", 8, k) for k in range(5)], ax=ax)
    assert len(ax.texts) == 0 and len(fig.axes) == 2
    fig, ax = plt.subplots(figsize=(2.2, 1.6))
    plots.correlation_heatmap(np.random.default_rng(0).normal(size=(50, 9)), [f"x{j}" for j in range(9)], ax=ax)
    assert len(ax.texts) == 0 and len(fig.axes) == 2
    ax = plots.compare_measures([_measure("a", 20), _measure("b", 20, 1)])  # too many rows to annotate
    assert len(ax.texts) == 0 and len(ax.figure.axes) == 2


def _assert_labels_end_at_their_ticks(ax):
    """Rotated labels anchored at their right end, on their tick: a centred one runs over the
    labels beside it. (The rotated box of a label reaches right of its tick by at most the
    height of its text.)"""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
    assert labels
    ticks = ax.transData.transform(np.column_stack([ax.get_xticks(), np.zeros(len(ax.get_xticks()))]))[:, 0]
    for label, tick in zip(labels, ticks):
        assert label.get_rotation() > 0
        assert label.get_horizontalalignment() == "right" and label.get_rotation_mode() == "anchor"
        reach = label.get_fontsize() * fig.dpi / 72
        assert label.get_window_extent(renderer).x1 <= tick + reach, label.get_text()


def test_rotated_tick_labels_end_at_their_ticks():
    names = [f"a_rather_long_input_name_{j}" if j % 3 == 0 else f"x{j}" for j in range(12)]
    values = pd.Series(np.linspace(1, 2, 12), index=names)
    ax = plots.importance_bars([Importance("a", values, None), Importance("b", values[::-1].reindex(names), None)])
    _assert_labels_end_at_their_ticks(ax)
    ax = plots.compare_measures([Importance(m, values, None) for m in ("permutation", "integrated_gradients")])
    _assert_labels_end_at_their_ticks(ax)


def test_a_correlation_heatmap_of_100_inputs_keeps_a_readable_size():
    X = np.random.default_rng(0).normal(size=(200, 100))
    ax = plots.correlation_heatmap(X, [f"x{j}" for j in range(100)])
    width, height = ax.figure.get_size_inches()
    assert width <= 12 and height <= 12
    assert 0 < len(ax.get_yticklabels()) < 100, "the labels are thinned"
    few = plots.correlation_heatmap(X[:, :8], [f"x{j}" for j in range(8)])
    assert len(few.get_yticklabels()) == 8


def test_image_maps_give_each_panel_its_own_colourbar():
    """Each panel is scaled on its own: its colourbar says what its shades mean (signed maps on a
    scale symmetric about 0)."""
    pixels = np.arange(64.0)
    axes = plots.image_maps([pixels, pixels - 32], titles=["plain", "signed"])
    fig = axes[0].figure
    bars = [ax for ax in fig.axes if ax not in list(axes)]
    assert len(bars) == 2
    assert bars[0].get_ylim() == pytest.approx((0, 63))
    assert bars[1].get_ylim() == pytest.approx((-32, 32))
    plt.close(fig)
    axes = plots.image_maps([pixels], colorbar=False)
    assert len(axes[0].figure.axes) == 1


def test_legends_say_what_their_entries_are():
    ax = plots.importance_bars([_measure("a", 5), _measure("b", 5, 1)])
    assert ax.get_legend().get_title().get_text() == "measure"
    history = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [3.0, 2.0, 1.5], "val_loss": [3.1, 2.5, 2.4]})
    ax = plots.loss_curves(history, best_epoch=3)
    assert ax.get_legend().get_title().get_text() == "loss on the rows for"
    table = pd.DataFrame({"feature": ["x1", "x2"], "value": [1.0, 2.0], "lower": [0.5, 1.5], "upper": [1.5, 2.5],
                          "method": ["permutation", "permutation"]})
    ax = plots.interval_plot(table)
    assert ax.get_legend().get_title().get_text() == "method"


def test_six_long_names_do_not_run_into_each_other():
    """Six inputs with long names (fewer than the 8 from which bars always tilt their labels):
    no two tick labels overlap."""
    names = ["bill_length_mm", "flipper_length_mm", "<img src=x onerror=alert(1)>", "species", "island", "sex"]
    values = pd.Series(np.linspace(1, 2, 6), index=names)
    ax = plots.importance_bars([Importance("a", values, values / 10), Importance("b", values[::-1], None)])
    ax.figure.canvas.draw()
    labels = ax.get_xticklabels()
    angle = labels[0].get_rotation()
    assert all(label.get_rotation() == angle for label in labels)
    if angle == 0:  # upright: their boxes must not meet
        boxes = [label.get_window_extent() for label in labels]
        assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:])), "two tick labels overlap"
    else:  # parallel slanted strips: apart by the tick spacing times sin(angle), at least a line high
        ticks = ax.transData.transform([(x, 0) for x in ax.get_xticks()])[:, 0]
        height = labels[0].get_fontsize() * ax.figure.dpi / 72
        assert np.diff(ticks).min() * np.sin(np.radians(angle)) >= height


def test_a_log_axis_reads_as_plain_numbers_with_math_off():
    """The report draws labels as plain text (math off): a log axis must not show raw mathtext
    such as '$\\mathdefault{10^{1}}$'."""
    plots.setup(math=False)
    history = pd.DataFrame({"epoch": np.arange(1, 101), "train_loss": np.geomspace(30, 0.05, 100),
                            "val_loss": np.geomspace(31, 0.08, 100)})
    ax = plots.loss_curves(history, best_epoch=80)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() + ax.get_yticklabels(minor=True) if t.get_text()]
    assert labels and not any("$" in t or "mathdefault" in t for t in labels), labels
    assert "1" in labels and "10" in labels
    narrow = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [0.9, 0.5, 0.3], "val_loss": [0.95, 0.6, 0.4]})
    ax = plots.loss_curves(narrow)
    ax.figure.canvas.draw()
    assert any(t.get_text() for t in ax.get_yticklabels(minor=True)), "an axis within a decade gets labels"

"""The kit's figures stay readable at their size: heatmap text at 8 pt or more, legends beside the
bars, one facet per measure past 40 bars, and heatmaps of many inputs that keep a readable size."""
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


def test_heatmap_text_is_at_least_8_pt():
    ax = plots.compare_measures([_measure("a", 10), _measure("b", 10, 1)])
    sizes = [t.get_fontsize() for t in ax.texts]
    assert sizes and min(sizes) >= plots.ANNOTATION_PT >= 8
    ax = plots.correlation_heatmap(np.random.default_rng(0).normal(size=(50, 6)), [f"x{j}" for j in range(6)])
    assert ax.texts and min(t.get_fontsize() for t in ax.texts) >= 8


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

"""Chapter 7's slider (helpers.correlated_demo): its callback over the slider's whole range, the
figure it draws, and the committed chapter, which must store no widget state."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from conftest import KIT_ROOT  # noqa: E402
from helpers import correlated_demo as demo  # noqa: E402

CHAPTER = KIT_ROOT / "notebooks" / "07_correlated_inputs.ipynb"


@pytest.fixture(scope="module")
def tables():
    """The numbers behind every position of the slider (small nets: about a second each)."""
    return {rho: demo.measures(rho) for rho in demo.RHOS}


def test_the_grid_shows_values_of_the_slider():
    assert set(demo.GRID) <= set(demo.RHOS)
    assert demo.RHOS == tuple(sorted(demo.RHOS)) and demo.RHOS[0] == 0 and demo.RHOS[-1] < 1


def test_numbers_are_finite_and_shaped(tables):
    for rho, t in tables.items():
        assert list(t.index) == list(demo.MEASURES) and list(t.columns) == list(demo.SHOWN), rho
        assert np.isfinite(t.to_numpy()).all(), rho


def test_the_pair_shuffled_together_does_not_depend_on_rho(tables):
    """Shuffled together, the pair keeps its rows on the data: about 2 * 3^2 * Var(x1) whatever rho."""
    pair = np.array([t.loc["permutation", demo.PAIR] for t in tables.values()])
    assert pair.max() < 1.1 * pair.min(), pair
    assert 12 < pair.mean() < 24, pair


def test_the_pair_is_worth_at_least_its_members(tables):
    """Without both inputs a net loses at least what it loses without either, and so does the
    conditional measure; a member shuffled alone may exceed the pair (off-data rows), so plain
    permutation is not held to this."""
    for rho, t in tables.items():
        for m in ("conditional permutation", "drop and retrain"):
            members = t.loc[m, ["x1", "x2"]].max()
            assert t.loc[m, demo.PAIR] > members - 0.05 * t.loc[m, demo.PAIR], (rho, m, t.loc[m].to_dict())


def test_permutation_type_numbers_are_twice_drop_and_retrain(tables):
    """2 beta^2 Var against beta^2 Var (Hooker, Mentch & Zhou 2021), for the pair, the independent
    x3, and x1's conditional number wherever dropping x1 costs enough to be measured."""
    for rho, t in tables.items():
        drop = t.loc["drop and retrain"]
        for col in (demo.PAIR, "x3"):
            for m in ("permutation", "conditional permutation"):
                assert 1.6 < t.loc[m, col] / drop[col] < 2.4, (rho, m, col, t[col].to_dict())
        if drop["x1"] > 0.5:
            assert 1.6 < t.loc["conditional permutation", "x1"] / drop["x1"] < 2.4, (rho, t["x1"].to_dict())


def test_correlation_hides_x1_from_the_measures_that_ask_what_it_adds(tables):
    low, high = tables[demo.RHOS[0]], tables[demo.RHOS[-1]]
    # independent inputs: conditional permutation is plain permutation
    assert abs(low.loc["conditional permutation", "x1"] / low.loc["permutation", "x1"] - 1) < 0.1
    # a near-copy: x1 adds little beyond x2, while plain permutation still calls it important
    for m in ("conditional permutation", "drop and retrain"):
        assert high.loc[m, "x1"] < 0.05 * low.loc[m, "x1"], m
    assert high.loc["permutation", "x1"] > 0.5 * low.loc["permutation", "x1"]
    # x2, which y never uses, is never worth much, and the control x3 does not move with rho
    for t in tables.values():
        assert (t["x2"].abs() < 0.05 * t[demo.PAIR]).all()
    x3 = np.array([t.loc["drop and retrain", "x3"] for t in tables.values()])
    assert x3.max() < 1.15 * x3.min()


def test_panel_draws_the_data_and_the_measures(tables):
    fig, numbers = demo.panel(0.9)
    try:
        assert numbers.equals(tables[0.9])
        data_ax, bars_ax = fig.axes
        assert (data_ax.get_xlabel(), data_ax.get_ylabel()) == ("x1", "x2")
        assert "0.9" in data_ax.get_title() and "0.9" in bars_ax.get_title()
        assert bars_ax.get_ylabel() == "held-out MSE increase"
        assert len(bars_ax.patches) == len(demo.MEASURES) * len(demo.SHOWN)
        heights = {}
        for container in bars_ax.containers:
            heights[container.get_label()] = [p.get_height() for p in container.patches]
        assert np.allclose(heights["2 x drop and retrain"], 2 * numbers.loc["drop and retrain"].to_numpy())
        legend = fig.legends[0]
        assert legend.get_title().get_text() == "measure (held-out MSE increase)"
        assert len(legend.get_texts()) == len(demo.MEASURES)
    finally:
        plt.close(fig)


def test_grid_is_the_same_panels_side_by_side(tables):
    fig, numbers = demo.grid()
    try:
        assert len(fig.axes) == 2 * len(demo.GRID)
        assert list(numbers.index.names) == ["rho", "measure"]
        for rho in demo.GRID:
            assert numbers.loc[rho].equals(tables[rho])
        assert fig.legends and fig.legends[0].get_title().get_text().startswith("measure")
    finally:
        plt.close(fig)


def test_results_are_cached_and_callers_get_copies(tables):
    first = demo.measures(0.5)
    first.iloc[0, 0] = -1.0
    assert demo.measures(0.5).equals(tables[0.5])


@pytest.mark.parametrize("bad", [1.0, -1.0, 1.5, "high", None])
def test_bad_rho_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="rho"):
        demo.measures(bad)


def test_slider_covers_its_values():
    widgets = pytest.importorskip("ipywidgets")
    control = demo.slider(value=0.9)
    try:
        assert isinstance(control, widgets.interactive)
        (slider,) = [w for w in control.children if isinstance(w, widgets.SelectionSlider)]
        assert tuple(slider.options) == demo.RHOS and slider.value == 0.9
        assert slider.continuous_update is False
    finally:
        for widget in (*control.children, control):
            widget.close()
        plt.close("all")
    with pytest.raises(ValueError, match="value"):
        demo.slider(value=0.3)


def test_committed_chapter_stores_no_widget_state():
    """DESIGN.md: committed notebooks store no widget state; a page shows a static figure beside
    the slider. A refresh (nbclient) records widgets' state: strip it before committing."""
    nb = nbformat.read(CHAPTER, as_version=4)
    assert "widgets" not in nb.metadata
    slider_cells = [c for c in nb.cells if c.cell_type == "code" and "correlated_demo.slider(" in c.source]
    grid_cells = [c for c in nb.cells if c.cell_type == "code" and "correlated_demo.grid(" in c.source]
    assert len(slider_cells) == 1 and grid_cells
    for cell in slider_cells:
        assert "nbval-ignore-output" in cell.metadata.get("tags", [])
        for out in cell.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in out.get("data", {})
    assert any("image/png" in out.get("data", {}) for c in grid_cells for out in c.get("outputs", []))

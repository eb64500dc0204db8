"""The in-place refresh of a committed notebook (``python -m helpers.course --refresh``). The course
site itself is tested in tests/test_course_site.py."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers import course


def _chapter(path, title, code, solution="print('solved')"):
    params = new_code_cell("dataset = 'friedman1'  # the data\nseed = 0  # the seed")
    params.metadata["tags"] = ["parameters"]
    sol = new_code_cell(f"# Solution to exercise 1\n{solution}")
    sol.metadata["tags"] = ["solution"]
    nb = new_notebook(cells=[new_markdown_cell(f"# {title}"), params, new_code_cell(code),
                             new_markdown_cell("## Exercises\n1. Try it."), sol],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, path)


def test_refresh_executes_in_place_and_collapses_solutions(tmp_path):
    path = tmp_path / "01_first.ipynb"
    _chapter(path, "1. A first chapter", "import os\nprint(os.getcwd())")
    import os
    before = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MPLBACKEND")}
    seconds = course.refresh(path, timeout=120)
    assert seconds > 0
    assert {k: os.environ.get(k) for k in before} == before  # the kernel's settings did not leak into this process
    nb = nbformat.read(path, as_version=4)
    printed = nb.cells[2].outputs[0].text
    assert printed.strip() == "." and str(tmp_path) not in printed  # ran in its folder; the path scrubbed
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]
    assert nb.cells[4].metadata["jupyter"]["source_hidden"] is True


def test_refresh_stores_no_widget_state(tmp_path):
    """A slider's cell keeps its text, not its widget view, and the notebook no widget state
    (DESIGN.md: committed notebooks store no widget state)."""
    path = tmp_path / "01_first.ipynb"
    _chapter(path, "1. A first chapter", "import ipywidgets\nipywidgets.IntSlider(value=3)")
    course.refresh(path, timeout=120)
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    outputs = nb.cells[2].outputs
    assert outputs and all(course.WIDGET_VIEW not in o.get("data", {}) for o in outputs)
    assert "IntSlider" in outputs[0]["data"]["text/plain"]

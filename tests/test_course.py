"""The course site builder (``python -m helpers.course``) on two tiny chapters, one of them broken,
and the in-place refresh of a committed notebook."""
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


def test_site_has_a_map_pages_and_folded_solutions(tmp_path):
    src = tmp_path / "notebooks"
    src.mkdir()
    _chapter(src / "01_first.ipynb", "1. A first chapter", "print(6 * 7)")
    _chapter(src / "02_broken.ipynb", "2. A broken chapter", "raise ValueError('column x3 is bad')")
    (src / "report.ipynb").write_text("{}")  # not a chapter: left out of the map
    out = tmp_path / "site"
    status = course.main(["--out", str(out), "--notebooks", str(src), "--jobs", "1"])
    assert status == 1  # one chapter failed, the other was still built
    index = (out / "index.html").read_text()
    assert '<a href="01_first.html">1. A first chapter</a>' in index
    assert "02_broken.html" in index and "failed: ValueError: column x3 is bad" in index
    assert "report" not in index.split("<ul>")[1]
    page = (out / "01_first.html").read_text()
    assert "42" in page and "<details class=\"kit-solution\"><summary>Show the solution</summary>" in page
    assert page.index("Show the solution") < page.index("solved")
    assert str(tmp_path) not in page and str(tmp_path) not in index


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

"""The committed notebooks: the course's conventions, and every chapter run with other parameters.

nbval (``--nbval`` in pyproject.toml) re-runs each committed notebook and compares its outputs;
these tests check what nbval does not: that each chapter is committed executed and clean, has a
``parameters`` cell and exercises with solutions, and runs without edits on another data set and
seed (``dataset="diabetes", seed=1``), as a teacher or papermill would run it.
"""
import re

import nbformat
import pytest

from conftest import KIT_ROOT
from helpers.notebook_runner import SOLUTION_TAG, execute, notebook_parameters

NOTEBOOKS = KIT_ROOT / "notebooks"
CHAPTERS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
ALL = CHAPTERS + [NOTEBOOKS / "report.ipynb"]
MACHINE_PATHS = re.compile(r"(/work/|/root/|/home/|/tmp/|/private/var/|[A-Z]:\\\\Users)")
MAX_BYTES = 1_500_000


def test_the_course_has_its_thirteen_chapters():
    assert [p.name[:2] for p in CHAPTERS] == [f"{i:02d}" for i in range(1, 14)], [p.name for p in CHAPTERS]


def _outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from cell.get("outputs", [])


def _text(output) -> str:
    parts = [output.get("text", "")]
    for key in ("text/plain", "text/html", "text/markdown"):
        parts.append(output.get("data", {}).get(key, ""))
    parts += output.get("traceback", [])
    return "".join(p if isinstance(p, str) else "".join(p) for p in parts)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_committed_executed_clean_and_light(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code if c.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: not executed top to bottom once: {counts}"
    for out in _outputs(nb):
        assert out.output_type != "error", f"{path.name}: a cell failed: {out.get('ename')}: {out.get('evalue')}"
        assert not (out.output_type == "stream" and out.name == "stderr"), \
            f"{path.name}: a cell wrote to stderr (a warning?): {out.text[:200]}"
        assert not MACHINE_PATHS.search(_text(out)), f"{path.name}: an output names a machine path"
    images = sum("image/png" in out.get("data", {}) for out in _outputs(nb))
    assert images >= 2, f"{path.name}: {images} figures; a chapter shows its points in figures"
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size:,} bytes: figures too heavy"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_structure(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    number = int(path.name[:2])
    assert first.cell_type == "markdown" and re.match(rf"#\s+{number}\.\s+\S", first.source), \
        f"{path.name}: the first cell must be the title '# {number}. ...'"
    params = notebook_parameters(path)
    assert {"dataset", "seed"} <= set(params), f"{path.name}: parameters are {list(params)}"
    for name, param in params.items():
        assert param.help, f"{path.name}: parameter {name} has no comment saying what it does"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"^##\s+Exercises", markdown, re.M), f"{path.name}: no '## Exercises' section"
    summary = re.search(r"^##\s+Summary", markdown, re.M)
    assert summary and summary.start() < re.search(r"^##\s+Exercises", markdown, re.M).start(), \
        f"{path.name}: a '## Summary' section comes before the exercises"
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and re.match(r"##\s+References", last.source), \
        f"{path.name}: the last cell is '## References' (book/bibliography.md's wording)"
    cited = re.findall(r"^- (.+)$", last.source, re.M)
    bibliography = (KIT_ROOT / "book" / "bibliography.md").read_text(encoding="utf-8")
    assert cited and all(entry in bibliography for entry in cited), \
        f"{path.name}: a reference not worded as in book/bibliography.md: " \
        f"{[e for e in cited if e not in bibliography][:1]}"
    solutions = [c for c in nb.cells if SOLUTION_TAG in c.metadata.get("tags", [])]
    assert len(solutions) >= 2, f"{path.name}: {len(solutions)} solution cells; 2-3 exercises need solutions"
    for cell in solutions:
        assert cell.cell_type == "code" and cell.source.lstrip().startswith("# Solution to exercise"), \
            f"{path.name}: a solution cell must be code starting with '# Solution to exercise N'"
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, \
            f"{path.name}: solution cells are collapsed in Jupyter (run `make notebooks`)"
    asserts = sum(bool(re.search(r"^\s*assert\b", c.source, re.M)) for c in nb.cells if c.cell_type == "code")
    assert asserts >= 1, f"{path.name}: no from-scratch computation checked against the helpers"


OTHER_RUN = {"13_your_network_your_data.ipynb": {"run_the_batch": False}}
"""Per chapter, parameters added to the other-data run: chapter 13's batch section starts a report
in a kernel of its own, which nbval runs on the committed chapter and test_batch on every path."""


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_runs_on_other_data_and_seed(path, tmp_path):
    """A teacher changes the parameters: the diabetes data and another seed, no edits."""
    result = execute(path, tmp_path / path.name,
                     parameters={"dataset": "diabetes", "seed": 1, **OTHER_RUN.get(path.name, {})},
                     cwd=NOTEBOOKS, timeout=300)
    assert result.ok, f"{path.name} with dataset='diabetes', seed=1: {result.error}"


def test_report_parameters_cover_what_a_batch_varies():
    params = notebook_parameters(NOTEBOOKS / "report.ipynb")
    assert {"dataset", "target", "task", "seed", "n_hidden", "epochs", "measures", "model"} <= set(params)
    assert list in params["measures"].types

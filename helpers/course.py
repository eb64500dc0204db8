"""The course as a web site: ``python -m helpers.course --out site``; and ``--refresh``.

The site is built by Sphinx with myst-nb and sphinx-book-theme from ``book/`` (the configuration,
``conf.py``, and the site's own pages: the course map, the "which measure when" chart, the glossary
and the bibliography) and every chapter ``notebooks/NN_*.ipynb``, shown with its **stored
outputs**: nothing is executed, so a build takes seconds (the committed chapters are executed
already; ``--refresh`` below re-executes them). The pages and copies of the chapters are gathered
in a temporary source folder; in the copies, cells tagged ``solution`` get myst-nb's ``hide-cell``
tag, so that they fold behind "Show the solution" (the committed notebooks are never modified, and
each chapter's download button serves the committed notebook). Nothing on any page loads from the
network: MathJax, the theme's scripts, styles and fonts are served from the site itself.

The site is written to a temporary folder and moves to ``--out`` only when Sphinx succeeded; an
earlier site there is replaced, anything else is left alone (exit status 2). Sphinx's warnings (a
broken link, a bad directive in a chapter) are printed, and make the exit status 1, with the site
written all the same.

``python -m helpers.course --refresh [NOTEBOOK ...]`` is for the kit's authors: it re-executes the
committed notebooks *in place* (all of ``notebooks/*.ipynb`` by default), so that their stored
outputs, which nbval compares and the site shows, match the code. It runs on two threads (``make
test`` on one, so that nbval checks that outputs do not depend on the thread count) and scrubs
machine paths from the outputs.
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from helpers.notebook_runner import KIT_ROOT, SOLUTION_TAG, execute, scrub_text

NOTEBOOKS = KIT_ROOT / "notebooks"
BOOK = KIT_ROOT / "book"
CHAPTER = re.compile(r"^(\d\d)_.+\.ipynb$")
CHAPTERS_DIR = "chapters"
"""The chapters' folder inside the site (``chapters/03_gradients.html``)."""
SOLUTION_LINE = re.compile(r"\s*#\s*Solution to exercise\s+(\w+)", re.IGNORECASE)
SITE_PACKAGES = ("sphinx", "myst_nb", "sphinx_book_theme", "sphinx-mathjax-offline")
"""What the build imports (the ``course`` extra of pyproject.toml)."""
_BOOK_IGNORE = shutil.ignore_patterns("conf.py", "_static", "_templates", "__pycache__", "_build",
                                      ".ipynb_checkpoints", "*.pyc")


def chapters(folder=NOTEBOOKS) -> list[Path]:
    """The chapter notebooks ``NN_*.ipynb`` of ``folder``, in order."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if CHAPTER.match(p.name))


def fold_solutions(nb):
    """Tag the notebook's ``solution`` cells ``hide-cell``, so that myst-nb folds each one, code and
    output, behind "Show the solution to exercise N" (N from the cell's first line, ``# Solution to
    exercise N``; plain "Show the solution" without it). Returns the notebook, changed in place."""
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if SOLUTION_TAG not in tags:
            continue
        if "hide-cell" not in tags:
            cell.metadata["tags"] = tags + ["hide-cell"]
        number = SOLUTION_LINE.match(cell.source)
        which = f" to exercise {number.group(1)}" if number else ""
        cell.metadata["mystnb"] = {**cell.metadata.get("mystnb", {}),
                                   "code_prompt_show": f"Show the solution{which}",
                                   "code_prompt_hide": f"Hide the solution{which}"}
    return nb


def stage(source, *, notebooks=NOTEBOOKS, book=BOOK) -> list[Path]:
    """Gather the site's sources in the folder ``source``: the pages of ``book`` and a copy of
    every chapter of ``notebooks`` (solutions folded) in ``source/chapters``. Returns the chapters."""
    source = Path(source)
    shutil.copytree(book, source, ignore=_BOOK_IGNORE, dirs_exist_ok=True)
    found = chapters(notebooks)
    (source / CHAPTERS_DIR).mkdir(exist_ok=True)
    for notebook in found:
        nb = nbformat.read(notebook, as_version=4)
        nbformat.write(fold_solutions(nb), source / CHAPTERS_DIR / notebook.name)
    return found


@dataclass
class Site:
    """What ``build_site`` made: the site's ``index`` page, the ``chapters`` it holds, Sphinx's
    ``warnings`` (one line each, empty when clean), and the build's ``seconds``."""
    index: Path
    chapters: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


class SiteError(RuntimeError):
    """The site could not be built (Sphinx failed, or ``out`` holds something else)."""


def _is_ours(out: Path) -> bool:
    """``out`` may be replaced: missing, empty, or a site built before (Sphinx's ``.buildinfo``)."""
    return not out.exists() or (out.is_dir() and (not any(out.iterdir()) or (out / ".buildinfo").is_file()))


def build_site(out, *, notebooks=NOTEBOOKS, book=BOOK, timeout: float = 600) -> Site:
    """Build the course site into the folder ``out`` (its ``index.html`` is the course map).

    Parameters
    ----------
    out : str or Path
        The site's folder. A site built there before is replaced; a folder holding anything else
        is refused (``SiteError``), and so is a failed build (``out`` is then left as it was).
    notebooks : str or Path, default the kit's ``notebooks/``
        Where the chapters ``NN_*.ipynb`` are (with their stored outputs).
    book : str or Path, default the kit's ``book/``
        The configuration (``conf.py``, ``_static/``) and the site's own pages.
    timeout : float, default 600
        Seconds the build may take.

    Returns
    -------
    Site

    Raises
    ------
    SiteError
        Sphinx or the packages it needs are missing, Sphinx failed, or ``out`` is not a site.
    subprocess.TimeoutExpired
        The build took longer than ``timeout``.
    """
    out, book, notebooks = Path(out).resolve(), Path(book).resolve(), Path(notebooks).resolve()
    missing = [name for name in SITE_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise SiteError(f"the course site needs {', '.join(missing)}: pip install -e '.[course]' "
                        "(make course installs it)")
    if not _is_ours(out):
        raise SiteError(f"{out.name}/ holds files that are not a course site built by this command; "
                        "remove it or choose another --out")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course-site-") as tmp:
        tmp = Path(tmp)
        # myst-nb writes the notebooks' images beside the output folder (html/../jupyter_execute):
        # inside tmp, where the whole build lives until it succeeded
        source, html, warnings_file = tmp / "source", tmp / "html", tmp / "warnings.txt"
        found = stage(source, notebooks=notebooks, book=book)
        command = [sys.executable, "-m", "sphinx", "--builder", "html", "--quiet", "--no-color",
                   "--fresh-env", "--conf-dir", str(book), "--doctree-dir", str(tmp / "doctrees"),
                   "--warning-file", str(warnings_file), str(source), str(html)]
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=tmp)
        names = [(str(source / CHAPTERS_DIR), notebooks.name), (str(source), book.name), (str(tmp), "")]

        def tidy(text):
            for long, short in names:
                text = text.replace(long, short)
            return scrub_text(text)

        if run.returncode != 0 or not (html / "index.html").is_file():
            raise SiteError(tidy(f"sphinx failed (exit {run.returncode}):\n{run.stderr.strip() or run.stdout.strip()}"))
        warnings = [tidy(line) for line in warnings_file.read_text(encoding="utf-8").splitlines()
                    if line.strip()] if warnings_file.is_file() else []
        for notebook in found:  # the download button serves the committed notebook, not the staged copy
            shutil.copyfile(notebook, html / "_sources" / CHAPTERS_DIR / notebook.name)
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(html), str(out))
    return Site(index=out / "index.html", chapters=found, warnings=warnings,
                seconds=round(time.perf_counter() - start, 2))


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def refresh(notebook, timeout: float = 600) -> float:
    """Execute a committed notebook in place, in its own folder, and return the seconds it took.

    Every cell runs (nbclient, the ``python3`` kernel, two threads); outputs are replaced, machine
    paths scrubbed, per-cell timing metadata dropped, solution cells (tagged ``solution``) marked
    collapsed for Jupyter, and widgets' state dropped (the notebook's ``widgets`` metadata and each
    output's widget view, keeping its text): a committed notebook stores no widget state, the page
    shows a static figure beside a slider. Raises the notebook's error if a cell fails (nothing is
    written).
    """
    notebook = Path(notebook).resolve()
    # two threads here, one in `make test`: nbval then checks on every run that the printed
    # numbers do not depend on the thread count
    result = execute(notebook, None, cwd=notebook.parent, timeout=timeout,
                     env={"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"})
    if not result.ok:
        raise RuntimeError(f"{notebook.name}: {result.error}")
    nb, duration = result.notebook, result.duration
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if SOLUTION_TAG in cell.metadata.get("tags", []):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs if o.output_type != "display_data" or o.get("data")]
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, notebook)
    return duration


def main(argv=None) -> int:
    """The command line; returns 0 when the site was built cleanly, 1 when Sphinx warned (the site
    is written all the same), 2 when nothing was built."""
    parser = argparse.ArgumentParser(prog="python -m helpers.course",
                                     description="Build the course web site (Sphinx + myst-nb) from book/ and the "
                                                 "chapters notebooks/NN_*.ipynb, with their stored outputs.")
    parser.add_argument("--out", default="site", help="the site's folder (default: site); index.html is the course map")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS), help=argparse.SUPPRESS)
    parser.add_argument("--book", default=str(BOOK), help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds the build (or, with --refresh, each notebook) may take (default 600)")
    parser.add_argument("--refresh", nargs="*", metavar="NOTEBOOK", default=None,
                        help="re-execute committed notebooks in place (default: every notebooks/*.ipynb) "
                             "instead of building the site")
    args = parser.parse_args(argv)
    if args.refresh is not None:
        targets = [Path(p) for p in args.refresh] or sorted(Path(args.notebooks).glob("*.ipynb"))
        for nb in targets:
            print(f"refreshed {nb.name} ({refresh(nb, args.timeout):.1f} s)", flush=True)
        return 0
    if not chapters(args.notebooks):
        print(f"error: no chapter notebooks NN_*.ipynb in {Path(args.notebooks).name}/", file=sys.stderr)
        return 2
    try:
        site = build_site(args.out, notebooks=args.notebooks, book=args.book, timeout=args.timeout)
    except (SiteError, subprocess.TimeoutExpired) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for line in site.warnings:
        print(f"warning: {line}", file=sys.stderr)
    index = site.index
    try:
        index = index.relative_to(Path.cwd())
    except ValueError:
        pass
    state = f", {len(site.warnings)} warning(s)" if site.warnings else ""
    print(f"course site: {len(site.chapters)} chapters in {site.seconds:.1f} s{state} -> open {index}")
    return 1 if site.warnings else 0


if __name__ == "__main__":
    sys.exit(main())

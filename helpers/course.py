"""Render the course as a small web site: ``python -m helpers.course --out site [--jobs N]``.

Every chapter ``notebooks/NN_*.ipynb`` is executed with papermill (a copy in a temporary folder;
the committed notebooks are never modified) and written as one HTML page with its code shown.
``site/index.html`` is the course map: one line per chapter, its title taken from the notebook's
first markdown heading, linked to its page. A chapter that fails still gets its page (up to the
failing cell) and a line on the map saying so; the command then exits with status 1, after
building every other chapter.

``python -m helpers.course --refresh [NOTEBOOK ...]`` is for the kit's authors: it re-executes the
committed notebooks *in place* (all of ``notebooks/*.ipynb`` by default), so that their stored
outputs, which nbval compares and the web shows, match the code. It runs on two threads (``make
test`` on one, so that nbval checks that outputs do not depend on the thread count) and scrubs
machine paths from the outputs.
"""
from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat

from helpers.notebook_runner import (KIT_ROOT, SOLUTION_TAG, execute, first_heading, one_thread_unless_set,
                                     scrub_text, to_html)

NOTEBOOKS = KIT_ROOT / "notebooks"
CHAPTER = re.compile(r"^(\d\d)_.+\.ipynb$")


def chapters(folder=NOTEBOOKS) -> list[Path]:
    """The chapter notebooks ``NN_*.ipynb`` of ``folder``, in order."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if CHAPTER.match(p.name))


def build_chapter(notebook: str, out: str, timeout: float = 600) -> dict:
    """Execute one chapter in a temporary copy of the notebooks folder and write its page.

    Returns ``{"name", "title", "page", "ok", "error", "duration"}``; never raises.
    """
    notebook, out = Path(notebook), Path(out)
    page = notebook.with_suffix(".html").name
    record = {"name": notebook.name, "title": notebook.stem, "page": page, "ok": False,
              "error": None, "duration": 0.0}
    start = time.perf_counter()
    try:
        title = first_heading(nbformat.read(notebook, as_version=4))
        record["title"] = title or notebook.stem
        with tempfile.TemporaryDirectory(prefix="course-") as tmp:
            # the chapter runs beside copies of its sibling files (small data, images), as in notebooks/
            work = Path(tmp) / "notebooks"
            shutil.copytree(notebook.parent, work, ignore=shutil.ignore_patterns(
                ".ipynb_checkpoints", "__pycache__", "*.html"))
            data = notebook.parent.parent / "data"
            if data.is_dir():  # "../data/..." from a chapter still finds the kit's data
                (Path(tmp) / "data").symlink_to(data.resolve(), target_is_directory=True)
            result = execute(work / notebook.name, Path(tmp) / notebook.name, cwd=work, timeout=timeout,
                             env=one_thread_unless_set())
            if result.notebook is not None:
                to_html(result.notebook, out / page, exclude_input=False, offline=False, title=record["title"])
        record.update(ok=result.ok, error=result.error)
    except Exception as err:  # noqa: BLE001 - one broken chapter must not stop the others
        record["error"] = scrub_text(f"{type(err).__name__}: {err}".splitlines()[0])
    record["duration"] = round(time.perf_counter() - start, 2)
    return record


def refresh(notebook, timeout: float = 600) -> float:
    """Execute a committed notebook in place, in its own folder, and return the seconds it took.

    Every cell runs (nbclient, the ``python3`` kernel, two threads); outputs are replaced, machine
    paths scrubbed, per-cell timing metadata dropped, and solution cells (tagged ``solution``) are
    marked collapsed for Jupyter. Raises the notebook's error if a cell fails (nothing is written).
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
    nb.metadata.pop("papermill", None)
    nbformat.write(nb, notebook)
    return duration


def write_map(out: Path, records: list[dict]) -> Path:
    """Write ``out/index.html``: the course map, one line per chapter."""
    esc = html.escape
    lines = []
    for rec in records:
        number = str(int(rec["name"][:2]))
        title = rec["title"].replace("$", "")
        text = title if re.match(r"^(\d+|chapter)\b", title, re.IGNORECASE) else f"{number}. {title}"
        state = "" if rec["ok"] else f" <span class=\"failed\">(failed: {esc(rec['error'] or 'unknown error')})</span>"
        lines.append(f"<li><a href=\"{esc(rec['page'])}\">{esc(text)}</a>{state}</li>")
    page = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Which inputs of a neural network matter? The course</title>\n<style>\n"
            "body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2em auto; max-width: 46em;"
            " padding: 0 1em; color: #222; line-height: 1.5; }\n"
            "h1 { font-size: 1.5em; } ul { list-style: none; padding-left: 0; } li { margin: 0.3em 0; } .failed { color: #c62828; }\n"
            "</style>\n</head>\n<body>\n<main>\n"
            "<h1>Which inputs of a neural network matter?</h1>\n"
            "<p>A course in notebooks: a network with 10 inputs, one hidden layer of 20 nodes and one output; "
            "every common answer to \"which inputs matter?\", how each is computed, when to trust it and when it "
            "misleads. Each chapter runs on its own in Jupyter; these pages are the chapters executed.</p>\n"
            "<ul>\n" + "\n".join(lines) + "\n</ul>\n</main>\n</body>\n</html>\n")
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def main(argv=None) -> int:
    """The command line; returns 0 when every chapter ran, 1 when any failed."""
    parser = argparse.ArgumentParser(prog="python -m helpers.course",
                                     description="Execute every chapter notebooks/NN_*.ipynb and write "
                                                 "the course as HTML pages with a course map (index.html).")
    parser.add_argument("--out", default="site", help="output folder (default: site)")
    parser.add_argument("--jobs", type=int, default=None, help="chapters at once (default: the number of cores)")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS), help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=600, help="seconds a chapter may run (default 600)")
    parser.add_argument("--refresh", nargs="*", metavar="NOTEBOOK", default=None,
                        help="re-execute committed notebooks in place (default: every notebooks/*.ipynb) "
                             "instead of building the site")
    args = parser.parse_args(argv)
    if args.refresh is not None:
        targets = [Path(p) for p in args.refresh] or sorted(Path(args.notebooks).glob("*.ipynb"))
        for nb in targets:
            print(f"refreshed {nb.name} ({refresh(nb, args.timeout):.1f} s)", flush=True)
        return 0
    found = chapters(args.notebooks)
    if not found:
        print(f"error: no chapter notebooks NN_*.ipynb in {Path(args.notebooks).name}/", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = min(args.jobs or os.cpu_count() or 1, len(found))
    print(f"{len(found)} chapters, {jobs} at a time -> {out}", flush=True)
    records = {}

    def report(rec):
        records[rec["name"]] = rec
        line = f"{'ok' if rec['ok'] else 'failed':<7} {rec['name']} ({rec['duration']:.1f} s)"
        print(line + ("" if rec["ok"] else f": {rec['error']}"), flush=True)

    if jobs == 1:
        for nb in found:
            report(build_chapter(str(nb), str(out), args.timeout))
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:  # each chapter runs in a kernel of its own
            futures = [pool.submit(build_chapter, str(nb), str(out), args.timeout) for nb in found]
            for future in as_completed(futures):
                report(future.result())
    ordered = [records[nb.name] for nb in found]
    index = write_map(out, ordered)
    failed = [r for r in ordered if not r["ok"]]
    print(f"{len(ordered) - len(failed)} ok, {len(failed)} failed -> {index}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

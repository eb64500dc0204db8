"""How long each chapter of the course takes to run top to bottom (goal: under 20 s each).

Run with ``make bench`` or ``python bench/chapter_time.py --out bench/RESULTS.md``. Each chapter
``notebooks/NN_*.ipynb`` is executed once with ``helpers.notebook_runner.execute`` (a fresh
kernel, one thread, as ``make test`` runs it; the output goes to a temporary folder, the
committed notebook is untouched), one chapter at a time. The time is the run's own: kernel start,
imports and every cell. Timings are measured here, never asserted in tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
from pathlib import Path

from results_file import finish

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.notebook_runner import execute  # noqa: E402

GOAL = 20.0
"""Seconds a chapter may take on a quiet machine."""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/RESULTS.md", help="the Markdown file to update")
    args = parser.parse_args(argv)
    notebooks = ROOT / "notebooks"
    rows, ok = [], True
    for chapter in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        with tempfile.TemporaryDirectory(prefix="kit-chapter-") as tmp:
            result = execute(chapter, Path(tmp) / chapter.name, cwd=notebooks, timeout=600,
                             env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
        met = result.ok and result.duration <= GOAL
        ok &= met
        rows.append(f"| {chapter.stem} | {'ok' if result.ok else 'failed'} | {result.duration:.1f} s "
                    f"| {'' if met else 'over'} |")
        print(rows[-1], flush=True)
    lines = [f"Measured {dt.date.today()} on {platform.machine()}, Python {platform.python_version()}: "
             "`python bench/chapter_time.py`. Each chapter executed top to bottom in a fresh kernel on one "
             "thread (as `make test` runs it), one at a time; the time includes the kernel's start.", "",
             "| chapter | status | time | goal 20 s |", "| --- | --- | ---: | --- |", *rows, "",
             f"Goals {'all met' if ok else 'NOT all met'}."]
    return finish(args.out, "chapters", lines, "Time of each chapter (`make bench`)", ok)


if __name__ == "__main__":
    sys.exit(main())

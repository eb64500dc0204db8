"""Reports on the data analysts have: one report run through the batch at 1e4, 1e6 rows x 10 inputs
and 1e5 rows x 100 inputs, its time and its peak memory.

Run with ``make bench`` (or ``python bench/scale.py --out bench/RESULTS.md``); it takes a few
minutes. Each size gets a CSV written to a temporary folder (a friedman1 target on the first five
inputs, the others noise; not timed), then ``python -m helpers.batch`` runs the report notebook on
it, one kernel, with the report's default measures and options. The time is the run's own (kernel
start, imports, reading the CSV, training, every measure, the verdict, the HTML page) as the batch
records it; the peak memory is the largest resident set of any process of the batch (the kernel),
read with ``getrusage(RUSAGE_CHILDREN)`` in a fresh wrapper process per size. Timings are never
asserted in tests: this file is where they are measured.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from results_file import finish  # noqa: E402  (bench/, the script's own folder)

from helpers.data import friedman1_signal  # noqa: E402

KIT = Path(__file__).resolve().parent.parent
SIZES = [(10_000, 10, None), (1_000_000, 10, (90, 2.0)), (100_000, 100, (180, 3.0))]
"""(rows, inputs, goal): goal is (seconds, GB) for the whole run, None for the reference size."""
GROWTH = 4.0
"""Goal: the run at 1e6 rows takes at most this many times the run at 1e4 rows (10 inputs)."""

# the wrapper: runs the batch, then prints the peak resident set of its descendants (kB on Linux)
_WRAPPER = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
print("PEAK_KB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "RC", done.returncode)
"""


def write_csv(path: Path, n: int, d: int, seed: int = 0) -> None:
    """``n`` rows of ``d`` uniform inputs and ``y = friedman1(x1..x5) + N(0, 1)``, in chunks."""
    rng = np.random.default_rng(seed)
    names = [f"x{j + 1}" for j in range(d)]
    with open(path, "w") as fh:
        fh.write(",".join(names + ["y"]) + "\n")
        for start in range(0, n, 200_000):
            m = min(200_000, n - start)
            X = rng.uniform(size=(m, d))
            y = friedman1_signal(X[:, :5]) + rng.normal(size=m)
            frame = pd.DataFrame(X, columns=names).assign(y=y)
            frame.to_csv(fh, header=False, index=False, float_format="%.6g")


def run_one(folder: Path, n: int, d: int) -> dict:
    data = folder / f"data_{n}x{d}.csv"
    write_csv(data, n, d)
    config = folder / f"scale_{n}x{d}.yaml"
    config.write_text(f"notebook: {KIT / 'notebooks' / 'report.ipynb'}\n"
                      f"parameters:\n  target: y\nruns:\n  - {{dataset: {data}}}\n")
    out = folder / f"out_{n}x{d}"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _WRAPPER, sys.executable, "-m", "helpers.batch", str(config),
                           "--out", str(out), "--jobs", "1", "--run-timeout", "1800"],
                          cwd=KIT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak_kb = rc = None
    for line in done.stdout.splitlines():
        if line.startswith("PEAK_KB"):
            _, peak_kb, _, rc = line.split()
    statuses = [json.loads(p.read_text()) for p in out.glob("runs/*/status.json")]
    status = statuses[0] if statuses else {"status": "missing", "duration": None}
    print(f"{n:>9,} x {d:<3} {status['status']:8s} run {status.get('duration') or float('nan'):7.1f} s, "
          f"batch {wall:6.1f} s, peak {int(peak_kb or 0) / 1e6:5.2f} GB", flush=True)
    if status["status"] != "ok":
        print(done.stdout[-2000:], done.stderr[-2000:], status.get("error"), sep="\n", file=sys.stderr)
    return {"n": n, "d": d, "status": status["status"], "run": status.get("duration"), "batch": wall,
            "peak_gb": int(peak_kb or 0) / 1e6, "rc": rc}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/RESULTS.md", help="the Markdown file to update")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kit-scale-") as tmp:
        for n, d, _ in SIZES:
            rows.append(run_one(Path(tmp), n, d))
    ok = True
    lines = [f"Measured {dt.date.today()} on {platform.machine()}, Python {platform.python_version()}: "
             "`python bench/scale.py`. One report run through the batch (`--jobs 1`, one kernel) on a CSV of "
             "uniform inputs with a friedman1 target on the first five; the report's default measures and "
             "options (held-out numbers on at most 20,000 held-out rows, `held_out_rows`). Run time as the "
             "batch records it (kernel start to HTML page, reading the CSV included); peak memory: the largest "
             "resident set of any process of the batch.", "",
             "| data | status | run time | goal | peak memory | goal |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for row, (_, _, goal) in zip(rows, SIZES):
        met = row["status"] == "ok" and (goal is None or (row["run"] <= goal[0] and row["peak_gb"] <= goal[1]))
        ok &= met
        lines.append(f"| {row['n']:,} rows x {row['d']} inputs | {row['status']} | {row['run'] or float('nan'):.1f} s "
                     f"| {'' if goal is None else f'<= {goal[0]} s'} | {row['peak_gb']:.2f} GB "
                     f"| {'' if goal is None else f'<= {goal[1]:g} GB'} |")
    small, big = rows[0]["run"], rows[1]["run"]
    growth = big / small if small and big else float("nan")
    ok &= growth <= GROWTH
    lines += ["", f"Growth: the run at 1,000,000 rows takes {growth:.1f}x the run at 10,000 rows "
              f"(goal: at most {GROWTH:g}x). Goals {'all met' if ok else 'NOT all met'}."]
    return finish(args.out, "scale", lines, "Reports on large data (`make bench`)", ok)


if __name__ == "__main__":
    sys.exit(main())

"""How long the default batch (what ``make report`` runs) and a single report take.

Run with ``make bench`` (after ``bench/speed.py``) or ``python bench/report_time.py --out bench/RESULTS.md``.
The default batch (params/default.yaml) is run into a temporary folder with ``--force`` and one job per
core; the table gives the batch's wall time and each run's time (kernel start and imports included).
Timings are measured here, never asserted in tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import write_section

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/RESULTS.md", help="the Markdown file to update")
    parser.add_argument("--config", default=str(ROOT / "params" / "default.yaml"))
    args = parser.parse_args(argv)
    jobs = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="kit-bench-") as tmp:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "helpers.batch", args.config, "--out", tmp, "--force",
                               "--jobs", str(jobs)], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - start
        runs = []
        for status in sorted(Path(tmp, "runs").glob("*/status.json")):
            info = json.loads(status.read_text())
            runs.append((info["run_id"], info["status"], info["duration"]))
    print(done.stdout[-2000:], file=sys.stderr)
    lines = [f"Measured {dt.date.today()} on {platform.machine()} with {jobs} cores, Python "
             f"{platform.python_version()}: `python -m helpers.batch {Path(args.config).name} --jobs {jobs}` "
             f"(the default batch of `make report`, after setup).", "",
             f"**Whole batch: {wall:.0f} s** for {len(runs)} runs (goal: under 120 s). "
             f"Exit status {done.returncode}.", "",
             "| run | status | time (kernel start, imports, training, every measure, HTML) |",
             "| --- | --- | ---: |"]
    lines += [f"| {run_id} | {status} | {duration:.1f} s |" for run_id, status, duration in runs]
    if runs:
        lines += ["", f"Slowest single run {max(r[2] for r in runs):.1f} s (goal: under 20 s)."]
    block = write_section(args.out, "report", "\n".join(lines), "Time of the reports (`make bench`)")
    print(block)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())

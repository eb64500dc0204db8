"""Tools for the batch runner's tests: a tiny notebook that behaves like a report without the cost
of one (it reads a CSV, may sleep, fail or ignore interrupts, writes importance.csv), configs, and
watching processes.

The tiny notebook starts in a second or two, so the tests of interrupts, time limits, resume and
locks exercise the runner itself; the report notebook's own batch is ``conftest.small_batch``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

KIT_ROOT = Path(__file__).resolve().parent.parent

TINY_SOURCE = """\
import signal
import time
import pandas as pd
if deaf:  # as a kernel deep in compiled code (training a net) is: an interrupt does not stop it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
time.sleep(seconds)
if fail:
    raise ValueError(f"asked to fail: {fail}")
frame = pd.read_csv(dataset) if dataset else pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 4.0]})
table = pd.DataFrame({"method": "mean", "feature": frame.columns, "importance": frame.mean().to_numpy(), "std": 0.0})
if model:
    table["importance"] += len(open(model, "rb").read())
table.to_csv("importance.csv", index=False)
print(table.round(3).to_string())
"""


def tiny_notebook(folder: Path) -> Path:
    """Write the tiny notebook into ``folder`` and return its path."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A tiny report"),
        nbformat.v4.new_code_cell('dataset = ""  # a CSV file (empty: a built-in table)\nmodel = ""  # a file it also reads\n'
                                  "seconds = 0.0  # how long it sleeps\nfail = \"\"  # a message to fail with\n"
                                  "deaf = False  # ignore interrupts (SIGINT)",
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(TINY_SOURCE),
    ]
    path = Path(folder) / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def write_config(folder: Path, body: str, name: str = "batch.yaml") -> Path:
    """A config beside the tiny notebook (which it names); ``body`` holds its other keys."""
    tiny_notebook(folder)
    (folder / "data.csv").write_text("a,b\n1,2\n3,4\n")
    path = Path(folder) / name
    path.write_text("notebook: tiny.ipynb\n" + body)
    return path


def start_batch(config: Path, out: Path, *extra, session: bool = False) -> subprocess.Popen:
    """``python -m helpers.batch`` in the background, as a user starts it (its output is a pipe,
    not a terminal). ``session=True`` starts it in a session and process group of its own, as a
    terminal starts a command, so that a test can signal the whole group (``os.killpg``) as
    Ctrl-C in the terminal does."""
    return subprocess.Popen([sys.executable, "-m", "helpers.batch", str(config), "--out", str(out), *extra],
                            cwd=KIT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=session)


def descendants(pid: int) -> list[int]:
    """The pids of every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kernels_of(pid: int) -> list[int]:
    """The Jupyter kernels started below ``pid``."""
    found = []
    for child in descendants(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as handle:
                if b"ipykernel_launcher" in handle.read():
                    found.append(child)
        except OSError:
            continue
    return found


def wait_for(condition, timeout: float, step: float = 0.2):
    """Poll ``condition()`` until it returns something true or ``timeout`` seconds pass; returns
    its last value."""
    end = time.monotonic() + timeout
    value = condition()
    while not value and time.monotonic() < end:
        time.sleep(step)
        value = condition()
    return value

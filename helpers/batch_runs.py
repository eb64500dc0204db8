"""The runs of a batch: one self-contained task per run, and the pools that execute them.

A ``Task`` carries everything a run needs — the notebook's bytes, the bytes of every file it reads
(the data CSV, a brought model) and its parameters — so that it runs the same way in a thread of
this process or on a Dask worker on another machine, with no shared disk. ``run_task`` executes it
in a fresh temporary folder (through the kit's one notebook engine, ``notebook_runner.execute``)
and returns the run's files as bytes; the batch then writes them into ``--out`` atomically.

``pool`` gives a ``concurrent.futures`` executor and a stop flag: threads of this process by
default (each run's kernel is a process of its own, so threads suffice, and no worker process can
outlive the batch), or a Dask cluster's executor (``Client.get_executor``). Both take the same
``run_task``: one code path.

``fingerprint`` is what makes resuming honest: content hashes of the notebook, the kit's own code
and every file a run reads, recorded in ``status.json``; a run is done only when they still match.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from helpers.notebook_runner import KIT_ROOT, execute, one_thread_unless_set, scrub_text, to_html

KIT_PACKAGE = KIT_ROOT / "helpers"
INPUTS = "inputs"
"""The folder of a run's work directory that holds the files it reads (not returned as output)."""
RESULT_FILE = "importance.csv"
"""The file a successful report run writes; a run without it failed."""


# ---------------------------------------------------------------- content hashes
def file_hash(path) -> str:
    """The SHA-256 of a file's bytes (read in blocks: data files can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def kit_hash(package: Path = KIT_PACKAGE) -> str:
    """One SHA-256 over the kit's own code: every file of the ``helpers`` package, by relative
    path and content (caches excluded). A change to any helper makes earlier runs stale."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(package).rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts and p.suffix != ".pyc"):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def fingerprint(notebook: Path, files: dict[str, Path], kit: str) -> dict:
    """What a run's result depends on, besides its parameters: ``{"notebook": hash, "kit": hash,
    "files": {parameter: hash}}`` for the files its parameters name."""
    return {"notebook": file_hash(notebook), "kit": kit,
            "files": {key: file_hash(path) for key, path in sorted(files.items())}}


# ---------------------------------------------------------------- one run
@dataclass
class Task:
    """Everything one run needs, as plain data (it may travel to another machine).

    Attributes
    ----------
    run_id : str
    notebook_name : str
        The notebook's file name; the executed copy keeps it.
    notebook : bytes
    inputs : dict
        Relative path in the run's folder (``inputs/dataset/data.csv``) -> the file's bytes.
    notebook_params : dict
        The parameters as the notebook receives them (file parameters point into ``inputs/``).
    timeout : float
        Seconds the run may take.
    env : dict
        Environment variables for the kernel (one thread each, unless the user set more).
    kit : str
        The client's ``kit_hash``: a worker whose kit differs says so instead of running other code.
    title : str
        The report page's title.
    params : dict
        The parameters as the config gives them, for the error page.
    """
    run_id: str
    notebook_name: str
    notebook: bytes
    inputs: dict = field(default_factory=dict)
    notebook_params: dict = field(default_factory=dict)
    timeout: float = 3600.0
    env: dict = field(default_factory=one_thread_unless_set)
    kit: str = ""
    title: str = ""
    params: dict = field(default_factory=dict)


def run_task(task: Task, stop=None) -> dict:
    """Run one report in a fresh temporary folder; never raises.

    Parameters
    ----------
    task : Task
    stop : object with ``is_set()``, optional
        When set, the run's kernel is killed and the run ends as ``"stopped"``.

    Returns
    -------
    dict
        ``run_id``, ``status`` (``"ok"``, ``"failed"`` or ``"stopped"``), ``error`` (one line or
        None), ``kind`` (why it failed, see ``notebook_runner.Execution``), ``duration`` (s) and
        ``files``: the run's output files, name -> bytes (the executed notebook, ``report.html``,
        the CSVs the notebook wrote).
    """
    start = time.perf_counter()
    result = {"run_id": task.run_id, "status": "failed", "error": None, "kind": None, "duration": 0.0,
              "files": {}}
    try:
        if stop is not None:  # a distributed.Event finds its client here, in the task's thread
            getattr(stop, "client", None)
        local_kit = kit_hash()
        if task.kit and task.kit != local_kit:
            result.update(kind="error", error=f"this machine's helpers package differs from the batch's "
                                              f"(kit {local_kit[:12]} here, {task.kit[:12]} in the batch): "
                                              "install the same version of the kit on every worker")
            return result
        with tempfile.TemporaryDirectory(prefix="kit-run-") as tmp:
            work = Path(tmp) / "run"
            for relative, content in task.inputs.items():
                target = work / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            work.mkdir(exist_ok=True)
            source = Path(tmp) / "source" / task.notebook_name
            source.parent.mkdir()
            source.write_bytes(task.notebook)
            executed = work / task.notebook_name
            run = execute(source, executed, parameters=task.notebook_params, cwd=work, timeout=task.timeout,
                          env=task.env, stop=stop, scrub=[(tmp, "<tmp>")])
            error, kind = run.error, run.kind
            if run.kind == "stopped":
                result.update(status="stopped", error=error, kind=kind)
                return result
            if error is None and not (work / RESULT_FILE).is_file():
                error, kind = f"the notebook {task.notebook_name} wrote no {RESULT_FILE}", "error"
            if error is None:
                to_html(run.notebook, work / "report.html", exclude_input=True, title=task.title)
            else:
                from helpers.batch_pages import error_page, hint_for

                (work / "report.html").write_text(
                    error_page(run_id=task.run_id, error=error, params=task.params, hint=hint_for(error),
                               notebook_name=task.notebook_name, title=task.title), encoding="utf-8")
            result["files"] = {p.name: p.read_bytes() for p in sorted(work.iterdir()) if p.is_file()}
            result.update(status="ok" if error is None else "failed", error=error, kind=kind)
    except Exception as err:  # noqa: BLE001 - a run that cannot even start is reported, not raised
        result.update(status="failed", kind="error", error=scrub_text(f"{type(err).__name__}: {err}".splitlines()[0]))
    finally:
        result["duration"] = round(time.perf_counter() - start, 2)
    return result


# ---------------------------------------------------------------- writing a run into --out
def write_run(runs_dir: Path, result: dict, status: dict) -> None:
    """Write a finished run's files and ``status.json`` into ``runs_dir/<run-id>``: first into a
    hidden temporary folder, then renamed into place, so that a reader (or an interrupted batch)
    never sees half a run."""
    import json

    run_id = result["run_id"]
    final = runs_dir / run_id
    tmp = runs_dir / f".{run_id}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, content in result["files"].items():
        (tmp / name).write_bytes(content)
    (tmp / "status.json").write_text(json.dumps(status, indent=2) + "\n", encoding="utf-8")
    old = runs_dir / f".{run_id}.old-{os.getpid()}"
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def remove_leftovers(runs_dir: Path) -> list[str]:
    """Remove the hidden folders an interrupted or killed batch left in ``runs_dir`` (call it while
    holding the output folder's lock: no other batch is writing there)."""
    removed = []
    if runs_dir.is_dir():
        for leftover in runs_dir.glob(".*"):
            if leftover.is_dir() and (".tmp-" in leftover.name or ".old-" in leftover.name):
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(leftover.name)
    return removed


# ---------------------------------------------------------------- pools
@contextlib.contextmanager
def pool(jobs: int, *, scheduler: str | None = None, cluster: str | None = None):
    """An executor and its stop flag, as ``(executor, stop, where)``.

    Without ``scheduler`` or ``cluster``: ``jobs`` threads of this process (each run's kernel is
    its own process). With ``scheduler`` (``tcp://host:port``): the executor of a Dask client
    connected to it. With ``cluster="local"``: a Dask ``LocalCluster`` of ``jobs`` worker
    processes with one thread each, started here and closed on exit. ``stop`` is a
    ``threading.Event`` or a ``distributed.Event``; setting it makes every running task kill its
    kernel and return.
    """
    if scheduler is None and cluster is None:
        from concurrent.futures import ThreadPoolExecutor

        executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="run")
        try:
            yield executor, threading.Event(), f"{jobs} at a time"
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        return
    import dask
    from distributed import Client, Event, LocalCluster

    with contextlib.ExitStack() as stack:
        if cluster is not None:
            if cluster != "local":
                raise ValueError(f"--cluster takes 'local', got {cluster!r}")
            # a worker lost mid-run fails that run (the batch says so) rather than rerunning it elsewhere
            stack.enter_context(dask.config.set({"distributed.scheduler.allowed-failures": 0,
                                                 "distributed.worker.daemon": False}))
            local = stack.enter_context(LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                     dashboard_address=None, silence_logs=50))
            client = stack.enter_context(Client(local))
            where = f"a local Dask cluster of {jobs} workers"
        else:
            client = stack.enter_context(Client(scheduler, timeout="15s"))
            where = f"the Dask scheduler at {scheduler}"
        stop = Event(f"input-importance-stop-{uuid.uuid4().hex}", client=client)
        executor = client.get_executor(pure=False)
        try:
            yield executor, stop, where
        finally:
            executor.shutdown(wait=False)

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

``fingerprint`` is what makes resuming honest: content hashes of the notebook, the kit (its code
and the data files its built-in data sets read) and every file a run reads, recorded in
``status.json``; a run is done only when they still match.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from helpers.data import DATA_DIR
from helpers.notebook_runner import KIT_ROOT, _is_set, execute, one_thread_unless_set, scrub_text, to_html

KIT_PACKAGE = KIT_ROOT / "helpers"
KIT_DATA = DATA_DIR
"""The kit's shipped data files: the built-in data sets read them (``diabetes`` reads
``data/diabetes.csv``), so they belong to the kit as much as its code does."""
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


def kit_hash(package: Path | None = None, data: Path | None = None) -> str:
    """One SHA-256 over the kit: every file of the ``helpers`` package and of its ``data`` folder
    (which the built-in data sets read), by relative path and content; caches and hidden files (an
    editor's swap file) excluded. A change to any helper or shipped data file makes earlier runs
    stale, and a Dask worker whose kit differs says so.

    Parameters
    ----------
    package, data : Path, optional
        The folders to hash; default ``KIT_PACKAGE`` and ``KIT_DATA`` (a missing data folder counts
        as empty).
    """
    digest = hashlib.sha256()
    for label, folder in (("helpers", KIT_PACKAGE if package is None else package),
                          ("data", KIT_DATA if data is None else data)):
        folder = Path(folder)
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if (not path.is_file() or path.suffix == ".pyc"
                    or any(part == "__pycache__" or part.startswith(".") for part in relative.parts)):
                continue
            digest.update(f"{label}/{relative.as_posix()}".encode() + b"\0")
            digest.update(file_hash(path).encode())
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


class TaskGone:
    """A stop flag for a run on a Dask worker: set once the worker no longer wants the task's
    result, that is once its future is cancelled or released (the scheduler releases every task
    of a client that is gone, a killed batch's included) or the worker itself is closing.

    A worker cannot interrupt the thread that runs a task, so without this flag a run whose batch
    was killed would keep its kernel busy to the end (up to ``--run-timeout``). Make it in the
    task's own thread (``here``), where the worker and the task's key are known; ``is_set`` may be
    read from any thread (``notebook_runner``'s watch polls it).
    """

    def __init__(self, worker, key):
        self.worker, self.key = worker, key

    @classmethod
    def here(cls) -> "TaskGone | None":
        """The flag of the Dask task this thread runs, or None outside a Dask worker's task."""
        if "distributed" not in sys.modules:  # not on a Dask worker: nothing to import
            return None
        from distributed.worker import get_worker, thread_state

        try:
            return cls(get_worker(), thread_state.key)
        except (ValueError, AttributeError):
            return None

    def is_set(self) -> bool:
        task = self.worker.state.tasks.get(self.key)
        if task is None or task.state in ("cancelled", "released", "forgotten"):
            return True
        return getattr(self.worker.status, "name", "running") in ("closing", "closed", "failed")


class AnyOf:
    """A stop flag set when any of ``flags`` is (None entries are ignored); a flag that cannot be
    read counts as not set."""

    def __init__(self, *flags):
        self.flags = [flag for flag in flags if flag is not None]

    def is_set(self) -> bool:
        return any(_is_set(flag) for flag in self.flags)


def run_task(task: Task, stop=None) -> dict:
    """Run one report in a fresh temporary folder; never raises.

    Parameters
    ----------
    task : Task
    stop : object with ``is_set()``, optional
        When set, the run's kernel is killed and the run ends as ``"stopped"``. On a Dask worker the
        run also stops once its task is cancelled or released (``TaskGone``).

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
        gone = TaskGone.here()  # on a Dask worker: stop also once nobody wants the result any more
        if gone is not None:
            stop = AnyOf(stop, gone)
        local_kit = kit_hash() if task.kit else ""
        if task.kit and task.kit != local_kit:
            result.update(kind="error", error=f"this machine's kit (its helpers package or data files) differs "
                                              f"from the batch's (kit {local_kit[:12]} here, {task.kit[:12]} in "
                                              "the batch): install the same version of the kit on every worker")
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

    hush = _Hush(("distributed", "tornado"))
    with contextlib.ExitStack() as stack:
        stack.callback(hush.off)  # the last thing on the way out
        if cluster is not None:
            if cluster != "local":
                raise ValueError(f"--cluster takes 'local', got {cluster!r}")
            # a worker lost mid-run fails that run (the batch says so) rather than rerunning it elsewhere
            stack.enter_context(dask.config.set({"distributed.scheduler.allowed-failures": 0,
                                                 "distributed.worker.daemon": False}))
            # no dashboard; the scheduler's small HTTP server on a free local port, not on 8787 (which
            # another Dask scheduler may hold: a warning on stderr). The workers ignore SIGINT from
            # their start, and so does a worker that its nanny restarts (the preload).
            with _children_ignore_sigint():
                local = stack.enter_context(LocalCluster(
                    n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, silence_logs=logging.CRITICAL,
                    preload=[_IGNORE_SIGINT]))
            client = stack.enter_context(Client(local))
            where = f"a local Dask cluster of {jobs} workers"
        else:
            client = stack.enter_context(Client(scheduler, timeout="15s"))
            where = f"the Dask scheduler at {scheduler}"
        stop = Event(f"input-importance-stop-{uuid.uuid4().hex}", client=client)
        executor = client.get_executor(pure=False)
        stack.callback(hush.on)  # the first thing on the way out: closing comms is not news
        try:
            yield executor, stop, where
        finally:
            executor.shutdown(wait=False)


_IGNORE_SIGINT = "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)"
"""A Dask preload (the text of a module) that makes a worker process ignore SIGINT."""


@contextlib.contextmanager
def _children_ignore_sigint():
    """Processes started in this block ignore SIGINT, from their first instruction on.

    A terminal's Ctrl-C goes to its whole process group: the batch and the ``LocalCluster``'s
    worker processes alike. The batch stops the runs itself (cancels the queued ones, stops the
    kernels, closes the cluster); a worker that took the SIGINT too would die with a traceback
    and leave the scheduler writing to closed comms. An ignored signal stays ignored across
    ``fork`` and ``exec`` (and then neither Python nor asyncio installs a handler of its own), so
    SIGINT is ignored here while the workers start, then the batch's handler is back. Only from the
    main thread (the only one that may set handlers); a Ctrl-C in the second or so of the cluster's
    start is lost.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


class _Hush:
    """Drop every log record of the named loggers (and the loggers below them) between ``on``
    and ``off``: Dask's shutdown chatter ("Closed comm ... while trying to write", a cancelled
    task's comm errors) is no news to someone who has just stopped or finished the batch."""

    def __init__(self, names):
        self.names, self.loggers = tuple(names), []

    @staticmethod
    def _drop(record) -> bool:
        return False

    def on(self) -> None:
        below = [name for name in list(logging.root.manager.loggerDict)
                 if any(name.startswith(n + ".") for n in self.names)]
        for name in dict.fromkeys([*self.names, *below]):
            logger = logging.getLogger(name)
            logger.addFilter(self._drop)
            self.loggers.append(logger)

    def off(self) -> None:
        for logger in self.loggers:
            logger.removeFilter(self._drop)
        self.loggers = []

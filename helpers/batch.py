"""Run the report notebook over a grid of settings: ``python -m helpers.batch CONFIG.yaml --out DIR``.

A config (YAML) names the notebook, the parameters shared by every run, a grid whose cartesian
product gives one run each, and explicit runs added to the grid's::

    notebook: ../notebooks/report.ipynb   # optional; the kit's report notebook by default
    parameters:                           # shared by every run
      epochs: 300
    grid:                                 # the cartesian product: one run each
      dataset: [friedman1, diabetes]
      seed: [0, 1, 2]
    runs:                                 # optional explicit runs
      - {dataset: ../data/example.csv, target: y}

Relative paths (``notebook``, ``model``, ``test_data``, and ``dataset`` when it names a file)
resolve against the config file's folder. Everything is checked before anything runs, and every
problem is reported at once (exit status 2), each naming its key: an unknown parameter (compared
with the notebook's ``parameters`` cell), a value of the wrong type, and, for a notebook that
checks its values with the kit's rules (the report does), any value those rules refuse
(``helpers.parameters``: the same definition the notebook applies), a missing data or model file
named as written and as resolved.

Where the runs go: threads of this process by default (``--jobs`` at once; each run's kernel is a
process of its own), a Dask cluster with ``--scheduler tcp://HOST:PORT``, or a ``LocalCluster``
started here with ``--cluster local``. Each run is a self-contained task (``batch_runs.Task``:
the notebook and every file it reads travel with it), so workers need no shared disk; its files
come back and are written here.

Output, in ``DIR``:

- ``runs/<run-id>/``: the executed notebook, ``report.html`` (code hidden; for a failed run, a
  short page saying what failed and what to try, the traceback staying in the notebook),
  ``importance.csv``, ``agreement.csv`` where the data has a known truth, ``params.json`` and
  ``status.json`` (ok or failed, the error, its kind, the duration, and the content hashes the
  run depended on). A run is written in a hidden temporary folder and renamed into place when
  complete, so an interrupted batch never leaves a half-written run that looks finished.
- ``summary.csv``: one row per run x measure x feature, with the run's parameters as columns.
- ``agreement.csv``: each run's agreement with the truth, where known.
- ``index.html``: one self-contained page (``helpers.batch_pages``).

A second call skips a run only when it is really done: same parameters, status ok, its result
files all there, and the same content hashes of the notebook, the kit (its code and the data files
of the built-in sets) and every file it reads (``--force`` runs everything again). One batch at a time writes to a folder (a lock; a second
one exits 2 naming the first one's pid). Ctrl-C or SIGTERM cancels the queued runs, stops the
running kernels, writes ``index.html`` and ``summary.csv`` for what finished and exits 130. Each
run has a time limit (``--run-timeout``). Exit status: 0 when every run succeeded, 1 when any
failed (the others still finish), 2 for a bad config or output folder, 130 when interrupted.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import itertools
import json
import math
import os
import re
import signal
import sys
import threading
import time
import warnings
from concurrent.futures import as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path

from helpers.batch_pages import error_page, hint_for, write_outputs
from helpers.batch_runs import INPUTS, Task, fingerprint, kit_hash, pool, remove_leftovers, run_task, write_run
from helpers.data import did_you_mean
from helpers.notebook_runner import KIT_ROOT, Parameter, notebook_parameters, scrub_text

DEFAULT_NOTEBOOK = KIT_ROOT / "notebooks" / "report.ipynb"
TOP_LEVEL_KEYS = ("notebook", "parameters", "grid", "runs")
PATH_KEYS = ("dataset", "model", "test_data")
"""Parameters whose value may be a file, resolved against the config's folder: ``model`` and
``test_data`` when not empty, ``dataset`` when it names an existing file or ends in ``.csv``."""
REQUIRED_FILES = ("report.html", "importance.csv", "params.json")
"""The files of a finished run (besides the executed notebook): without any of them it is not done."""
RUN_TIMEOUT = 3 * 3600.0
"""Seconds one run may take unless ``--run-timeout`` says otherwise: generous (a report takes
seconds to minutes), but a run stuck for hours is stopped and said so."""
LOCK_FILE = ".batch.lock"


class ConfigError(ValueError):
    """A config that cannot run; each message names the offending key (``problems``: all of them)."""

    def __init__(self, message: str = "", problems: list[str] | None = None):
        self.problems = list(problems) if problems else [message]
        super().__init__(message or "\n".join(self.problems))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return f"{len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)


@dataclass
class Run:
    """One planned run.

    Attributes
    ----------
    run_id : str
        Its folder's name, readable from the parameters (``dataset-friedman1_seed-0``).
    params : dict
        The parameters as the config gives them (shared parameters, then the grid's or the
        run's own values); what ``params.json`` holds and the resume check compares.
    notebook_params : dict
        The same with file paths made relative to the run's folder, as the notebook receives them.
    id_keys : list of str
        The keys the id is built from.
    files : dict
        The files the run reads, by parameter, resolved (``run_files``).
    fingerprint : dict
        Content hashes of the notebook, the kit and those files (``batch_runs.fingerprint``).
    """
    run_id: str
    params: dict
    notebook_params: dict = field(default_factory=dict)
    id_keys: list = field(default_factory=list)
    files: dict = field(default_factory=dict)
    fingerprint: dict = field(default_factory=dict)


@dataclass
class Plan:
    """A checked config: the notebook, the folder relative paths start from, and the runs."""
    notebook: Path
    config_dir: Path
    runs: list
    notebook_params: dict


# ---------------------------------------------------------------- the config
def _describe(value) -> str:
    return "None" if value is None else type(value).__name__


def _check_values(where: str, values, accepted: dict[str, Parameter], notebook: Path,
                  problems: list[str], rules: bool, config_dir: Path) -> None:
    """Append to ``problems`` every problem of one section's values: an unknown name (against the
    notebook's parameters cell), a value of the wrong type, and, for a notebook that checks its
    parameters with the kit's rules, a value those rules refuse (``helpers.parameters``, the one
    definition the notebook itself applies), files resolved against the config's folder."""
    if not isinstance(values, dict):
        problems.append(f"{where} must be a mapping of parameter names to values, got {_describe(values)}")
        return
    for key, value in values.items():
        if key not in accepted:
            problems.append(f"{where}: unknown parameter {key!r}{did_you_mean(str(key), accepted)} "
                            f"({notebook.name} takes: {', '.join(accepted)})")
            continue
        param = accepted[key]
        if not param.accepts(value):
            problems.append(f"{where}.{key} must be {param.type_text()} (like the notebook's default "
                            f"{param.default!r}), got {_describe(value)} {value!r}")
        elif rules:
            from helpers.parameters import check_report_parameters

            problems.extend(f"{where}.{problem}" for problem in
                            check_report_parameters({key: value}, base_dir=config_dir))


def uses_kit_rules(notebook: Path) -> bool:
    """Whether a notebook checks its parameters with the kit's rules (calls
    ``validate_report_parameters``): then the batch applies the same rules before anything runs."""
    import nbformat

    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception:  # noqa: BLE001 - notebook_parameters has said what is wrong with it
        return False
    return any(c.cell_type == "code" and "validate_report_parameters(" in c.source for c in nb.cells)


def _is_path_value(key: str, value, config_dir: Path) -> bool:
    if not isinstance(value, str) or not value:
        return False
    if key in ("model", "test_data"):
        return True
    if key == "dataset":
        return value.lower().endswith(".csv") or (config_dir / value).is_file()
    return False


def _short(key: str, value, config_dir: Path) -> str:
    if _is_path_value(key, value, config_dir):
        return Path(value).stem
    if isinstance(value, (list, tuple)):
        return "+".join(_short(key, v, config_dir) for v in value) or "none"
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _sanitize(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-_")
    return text or "run"


def _digest(params: dict) -> str:
    return hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:6]


def _assign_ids(runs: list[Run], config_dir: Path) -> None:
    for run in runs:
        parts = [f"{k}-{_short(k, run.params[k], config_dir)}" for k in run.id_keys if k in run.params]
        run_id = _sanitize("_".join(parts)) if parts else "run"
        run.run_id = run_id if len(run_id) <= 80 else f"{run_id[:72].rstrip('._-')}_{_digest(run.params)}"
    by_id: dict[str, list[Run]] = {}
    for run in runs:
        by_id.setdefault(run.run_id, []).append(run)
    for same in by_id.values():
        if len(same) > 1:
            for run in same:
                run.run_id = f"{run.run_id}_{_digest(run.params)}"


def load_config(path) -> Plan:
    """Read and check a batch config; every run's parameters and id.

    Parameters
    ----------
    path : str or Path
        The YAML config.

    Returns
    -------
    Plan
        The notebook, the config's folder and the runs, in order (the grid's, then the explicit runs).

    Raises
    ------
    ConfigError
        Every problem at once (``.problems``), each naming the offending key: a file that is not
        a YAML mapping, an unknown top-level key, a missing notebook, an unknown parameter, a
        value of the wrong type or one the report's rules refuse (``helpers.parameters``: an
        unknown activation, epochs out of range, a data or model file that does not exist, named
        as written and as resolved), an empty grid.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{path.name} is not valid YAML: {' '.join(str(err).split())}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path.name} must be a mapping with the keys {', '.join(TOP_LEVEL_KEYS)}; "
                          f"got {_describe(config)}")
    unknown = [k for k in config if k not in TOP_LEVEL_KEYS]
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} at the top of {path.name}"
                          f"{did_you_mean(str(unknown[0]), TOP_LEVEL_KEYS)} "
                          f"(allowed: {', '.join(TOP_LEVEL_KEYS)})")
    config_dir = path.resolve().parent

    notebook = config.get("notebook")
    if notebook is None:
        notebook = DEFAULT_NOTEBOOK
    elif not isinstance(notebook, str) or not notebook:
        raise ConfigError(f"notebook must be a path to a notebook, got {_describe(notebook)} {notebook!r}")
    else:
        notebook = (config_dir / notebook).resolve()
    if not notebook.is_file():
        raise ConfigError(f"notebook {config.get('notebook', str(notebook))!r} does not exist")
    try:
        accepted = notebook_parameters(notebook)
    except ValueError as err:
        raise ConfigError(f"notebook: {err}") from None

    rules = uses_kit_rules(notebook)
    problems: list[str] = []

    def check(where, values):
        _check_values(where, values, accepted, notebook, problems, rules, config_dir)

    shared = config.get("parameters") or {}
    check("parameters", shared)
    if not isinstance(shared, dict):
        shared = {}

    runs: list[Run] = []
    has_grid = "grid" in config
    grid = config.get("grid")
    if has_grid:
        if not isinstance(grid, dict):
            problems.append(f"grid must be a mapping of parameter names to lists of values, got {_describe(grid)}")
        elif not grid:
            problems.append("grid is empty: give each key a list of values, or drop the key grid")
        else:
            for key, values in grid.items():
                if not isinstance(values, list):
                    problems.append(f"grid.{key} must be a list of values, got {_describe(values)} {values!r}")
                elif not values:
                    problems.append(f"grid.{key} is empty: give it at least one value")
                else:
                    for value in values:
                        check("grid", {key: value})
            if all(isinstance(v, list) and v for v in grid.values()):
                keys = list(grid)
                for combo in itertools.product(*(grid[k] for k in keys)):
                    runs.append(Run("", {**shared, **dict(zip(keys, combo))}, id_keys=keys))

    explicit = config.get("runs")
    if explicit is not None:
        if not isinstance(explicit, list):
            problems.append(f"runs must be a list of mappings, got {_describe(explicit)}")
        elif not explicit and not has_grid:
            problems.append("runs is empty: give at least one run")
        else:
            for i, spec in enumerate(explicit):
                check(f"runs[{i}]", spec)
                if isinstance(spec, dict):
                    runs.append(Run("", {**shared, **spec}, id_keys=list(spec)))
    if not has_grid and explicit is None:
        runs.append(Run("", dict(shared), id_keys=list(shared)[:3]))
    unique, seen = [], set()
    for run in runs:  # the same parameters twice are one run
        key = json.dumps(run.params, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            unique.append(run)
    _assign_ids(unique, config_dir)
    if rules:  # every problem at once: the files too, for the runs whose values they read are valid
        problems += _data_problems(unique, config_dir, {name: par.default for name, par in accepted.items()})
    if problems:
        raise ConfigError(problems=list(dict.fromkeys(problems)))
    return Plan(notebook, config_dir, unique, accepted)


DATA_KEYS = ("dataset", "target", "task", "n_samples", "seed", "features", "exclude", "categorical", "groups",
             "missing", "positive", "sep", "decimal")
"""The report's parameters that say which rows and columns a run reads (``report.load_data``)."""


def _data_problems(runs: list[Run], config_dir: Path, defaults: dict) -> list[str]:
    """What is wrong between each run's parameters and its files, before anything runs.

    A CSV's header is checked against the run's names (``csvfile.check_columns``: the target,
    ``features``, ``exclude``, ``categorical``, ``groups``, with a did-you-mean; a separator that
    does not fit): the first line only, whatever the file's size; its cells are the run's to read.
    A brought model is checked against the data the way the run will read both
    (``report.load_data``, ``report.check_model``), training and computing nothing: a file in no
    known format, a pickled module, another number of inputs than the data has columns, another
    task. Each data set is read once per set of reading options."""
    from helpers.csvfile import check_columns
    from helpers.parameters import check_report_parameters

    problems, datasets = [], {}
    for run in runs:
        used = {k: v for k, v in run.params.items() if k in (*DATA_KEYS, "model", "test_data", "activation")}
        if check_report_parameters(used, base_dir=config_dir):
            continue  # a value these checks read (or a file) is wrong: said already, key by key
        p = {**defaults, **run.params}
        files = {key: str(path) for key, path in run_files(run, config_dir).items()}
        try:
            if "dataset" in files:
                check_columns(files["dataset"], target=p.get("target") or None, features=p.get("features") or None,
                              exclude=p.get("exclude") or None, categorical=p.get("categorical") or None,
                              groups=p.get("groups") or None, sep=p.get("sep") or None)
            if "model" in files:
                from helpers import report  # torch: only for a config that brings a model

                data_args = {**{k: p[k] for k in DATA_KEYS if k in p}, **({"dataset": files["dataset"]}
                                                                         if "dataset" in files else {})}
                if "dataset" in files and not p.get("n_samples"):
                    data_args.pop("seed", None)  # a whole CSV file reads the same whatever the seed
                key = json.dumps(data_args, sort_keys=True, default=str)
                if key not in datasets:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # the run shows the data's warnings on its page
                        datasets[key] = report.load_data(**data_args)
                options = {k: p[k] or None for k in ("positive", "sep", "decimal") if k in p}
                report.check_model(datasets[key], files["model"], seed=p.get("seed", 0),
                                   activation=p.get("activation", "tanh"), test_data=files.get("test_data", ""),
                                   test_options={"missing": p.get("missing", "drop"), **options})
        except (ValueError, OSError, TypeError) as err:
            problems.append(f"run {run.run_id}: {scrub_text(str(err))}")
    return list(dict.fromkeys(problems))


def run_files(run: Run, config_dir: Path) -> dict[str, Path]:
    """The files a run reads, by parameter (``dataset``, ``model``, ``test_data``), resolved
    against the config's folder."""
    return {key: (config_dir / value).resolve() for key, value in run.params.items()
            if key in PATH_KEYS and _is_path_value(key, value, config_dir)}


def _notebook_params(run: Run, files: dict[str, Path]) -> dict:
    """The run's parameters as the notebook receives them: each file parameter names the copy that
    travels with the task (``inputs/<parameter>/<file name>``), so that a run reads the same bytes
    on any machine and no absolute path reaches its outputs."""
    params = dict(run.params)
    for key, path in files.items():
        params[key] = f"{INPUTS}/{key}/{path.name}"
    return params


# ---------------------------------------------------------------- resume
def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_done(run_dir: Path, params: dict, fingerprint: dict, notebook_name: str = "report.ipynb") -> bool:
    """Whether ``run_dir`` holds a finished run of these parameters whose result still holds: its
    status is ok, its ``status.json`` records the same content hashes of the notebook, the kit's
    code and every file the run reads (``batch_runs.fingerprint``), and its result files are all
    there."""
    status = _read_json(run_dir / "status.json")
    return (isinstance(status, dict) and status.get("status") == "ok"
            and status.get("fingerprint") == fingerprint
            and _read_json(run_dir / "params.json") == json.loads(json.dumps(params, default=str))
            and all((run_dir / name).is_file() for name in (*REQUIRED_FILES, notebook_name)))


# ---------------------------------------------------------------- the batch
class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a batch; ``statuses`` holds every run's status (``"interrupted"``
    for the runs that did not finish)."""

    def __init__(self, statuses: list[dict]):
        super().__init__("interrupted")
        self.statuses = statuses


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _outcome(future, run: Run) -> dict:
    """A finished future's result; a task that raised (a Dask worker lost mid-run, a cancelled
    task) is a failed run with a message."""
    try:
        return future.result()
    except Exception as err:  # noqa: BLE001 - whatever happened to one run, the others go on
        name = type(err).__name__
        why = ("the Dask worker running it was lost" if name in ("KilledWorker", "CommClosedError", "FutureCancelledError")
               else "it could not be run")
        return {"run_id": run.run_id, "status": "failed", "kind": "lost", "duration": 0.0, "files": {},
                "error": scrub_text(f"{why} ({name}: {_first_line(err)})")}


def _first_line(err) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else ""


def run_batch(plan: Plan, out, *, jobs: int | None = None, force: bool = False, timeout: float = RUN_TIMEOUT,
              scheduler: str | None = None, cluster: str | None = None, echo=None,
              progress: bool | None = None) -> list[dict]:
    """Run every run of ``plan`` not already done; returns one status per run, in plan order.

    Runs go to ``batch_runs.pool``: threads here, or a Dask cluster (``scheduler``, ``cluster``).
    Each finished run is written into ``out/runs/<run-id>`` at once, atomically. Raises
    ``Interrupted`` on Ctrl-C or SIGTERM, after cancelling the queued runs and stopping the
    running kernels; the runs that finished are kept.
    """
    echo = echo or functools.partial(print, flush=True)  # one whole line per run, also into a log file
    out = Path(out)
    runs_dir = out / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    kit = kit_hash()
    statuses: dict[str, dict] = {}
    todo: list[Run] = []
    for run in plan.runs:
        files = run_files(run, plan.config_dir)
        run.fingerprint = fingerprint(plan.notebook, files, kit)
        if not force and is_done(runs_dir / run.run_id, run.params, run.fingerprint, plan.notebook.name):
            statuses[run.run_id] = {**_read_json(runs_dir / run.run_id / "status.json"), "skipped": True}
            echo(f"skipped  {run.run_id} (done before; --force runs it again)")
            continue
        run.notebook_params = _notebook_params(run, files)
        run.files = files
        todo.append(run)
    if not todo:
        return [statuses[run.run_id] for run in plan.runs]

    from tqdm.auto import tqdm

    show_bar = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(todo), desc="runs", unit="run", file=sys.stderr, dynamic_ncols=True, disable=not show_bar)
    say = bar.write if show_bar else echo
    notebook = plan.notebook.read_bytes()
    contents: dict[Path, bytes] = {}
    distributed = scheduler is not None or cluster is not None

    def task_of(run: Run) -> Task:
        inputs = {}
        for key, path in run.files.items():
            if path not in contents:
                contents[path] = path.read_bytes()
            inputs[f"{INPUTS}/{key}/{path.name}"] = contents[path]
        # on a cluster, a worker with other code than this kit's says so (here it is the same code)
        return Task(run.run_id, plan.notebook.name, notebook, inputs, run.notebook_params, timeout=timeout,
                    kit=kit if distributed else "", title=f"Report: {run.run_id}", params=run.params)

    def finish(run: Run, result: dict) -> None:
        status = {"run_id": run.run_id, "status": "ok" if result["status"] == "ok" else "failed",
                  "error": result.get("error"), "kind": result.get("kind"), "duration": result.get("duration", 0.0),
                  "fingerprint": run.fingerprint}
        if status["status"] != "ok":
            status["hint"] = hint_for(status["error"] or "")
        files = dict(result.get("files") or {})
        files["params.json"] = (json.dumps(run.params, indent=2, default=str) + "\n").encode()
        if "report.html" not in files:  # it failed before its notebook could run
            files["report.html"] = error_page(
                run_id=run.run_id, error=status["error"] or "unknown error", params=run.params, hint=status.get("hint"),
                notebook_name=plan.notebook.name if plan.notebook.name in files else None).encode()
        try:
            write_run(runs_dir, {**result, "files": files}, status)
        except OSError as err:
            status.update(status="failed", error=f"could not write the run's folder: {err.strerror or err}")
        statuses[run.run_id] = status
        line = f"{status['status']:<8} {run.run_id} ({status['duration']:.1f} s)"
        say(line + (f": {status['error']}" if status["status"] != "ok" else ""))
        bar.update(1)

    try:
        with pool(min(jobs, len(todo)), scheduler=scheduler, cluster=cluster) as (executor, stop, _where):
            futures = {executor.submit(run_task, task_of(run), stop): run for run in todo}
            try:
                for future in as_completed(futures):
                    finish(futures[future], _outcome(future, futures[future]))
            except KeyboardInterrupt:
                for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not break the cleanup
                    with contextlib.suppress(ValueError):
                        signal.signal(signum, signal.SIG_IGN)
                for future in futures:
                    future.cancel()
                with contextlib.suppress(Exception):
                    stop.set()
                wait(list(futures), timeout=60)
                for future, run in futures.items():
                    if run.run_id in statuses or not future.done() or future.cancelled():
                        continue
                    result = _outcome(future, run)
                    if result["status"] in ("ok", "failed") and result.get("kind") != "lost":
                        finish(run, result)  # it finished before it could be stopped: keep it
                for run in todo:
                    statuses.setdefault(run.run_id, {"run_id": run.run_id, "status": "interrupted", "duration": None,
                                                     "error": "not finished: the batch was interrupted"})
                raise Interrupted([statuses[run.run_id] for run in plan.runs]) from None
    finally:
        bar.close()
    return [statuses[run.run_id] for run in plan.runs]


# ---------------------------------------------------------------- the output folder
class OutputBusy(RuntimeError):
    """Another batch holds the output folder's lock."""


@contextlib.contextmanager
def output_folder(out: Path):
    """Create ``out`` if needed and hold its lock for the block: a second batch writing to the same
    folder stops at once (``OutputBusy`` naming the first one's pid) instead of racing on renames.
    Leftovers of an interrupted or killed batch (hidden temporary folders and files) are removed
    once the lock is held."""
    import fcntl

    if out.exists() and not out.is_dir():
        raise OSError(f"--out {str(out)!r} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(f"--out {str(out)!r} cannot be created: {err.strerror or err}") from None
    try:
        handle = open(out / LOCK_FILE, "a+", encoding="utf-8")
    except OSError as err:
        raise OSError(f"--out {str(out)!r} is not writable: {err.strerror or err}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            raise OutputBusy(f"another batch (pid {pid}) is writing to {str(out)!r}; wait for it to finish, "
                             "or give another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        remove_leftovers(out / "runs")
        for leftover in out.glob(".*.tmp-*"):
            with contextlib.suppress(OSError):
                leftover.unlink()
        try:
            yield out
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------- the command
def main(argv=None) -> int:
    """The command line; returns the exit status (0 all ok, 1 a run failed, 2 a bad config or
    output folder, 130 interrupted)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)  # a scheduler's or `timeout`'s SIGTERM: as Ctrl-C
    try:
        return _main(argv)
    except KeyboardInterrupt:  # before any run started: nothing to keep
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("interrupted before any run started", file=sys.stderr, flush=True)
        return 130


def _main(argv) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.batch",
        description="Run the report notebook once per parameter set of a config; write one HTML "
                    "report per run, DIR/summary.csv and DIR/index.html.")
    parser.add_argument("config", help="the batch config (YAML)")
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="runs at once, one kernel each (default: the number of cores; with "
                             "--cluster local, the number of Dask workers)")
    parser.add_argument("--force", action="store_true", help="run again the runs already done")
    parser.add_argument("--run-timeout", type=float, default=RUN_TIMEOUT, metavar="S",
                        help=f"seconds one run may take (default {RUN_TIMEOUT:g})")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on an existing Dask cluster: the address of its scheduler")
    where.add_argument("--cluster", choices=["local"],
                       help="start a Dask LocalCluster here (one worker process per job)")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    if not (args.run_timeout > 0 and math.isfinite(args.run_timeout)):
        print(f"error: --run-timeout must be a positive number of seconds, got {args.run_timeout:g}", file=sys.stderr)
        return 2
    if not args.out.strip():
        print("error: --out must name a folder (it is empty)", file=sys.stderr)
        return 2
    try:
        plan = load_config(args.config)
    except ConfigError as err:
        print(f"error in {Path(args.config).name}: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    jobs = args.jobs or os.cpu_count() or 1
    try:
        with output_folder(out):
            where = (f"on the Dask scheduler at {args.scheduler}" if args.scheduler else
                     f"on a local Dask cluster of {jobs} workers" if args.cluster else
                     f"{min(jobs, len(plan.runs))} at a time")
            print(f"{len(plan.runs)} run{'s' if len(plan.runs) != 1 else ''} of {plan.notebook.name} "
                  f"from {Path(args.config).name}, {where} -> {out}", flush=True)
            start = time.perf_counter()
            title = f"Batch report: {Path(args.config).name}"
            try:
                statuses = run_batch(plan, out, jobs=jobs, force=args.force, timeout=args.run_timeout,
                                     scheduler=args.scheduler, cluster=args.cluster)
            except Interrupted as stopped:
                write_outputs(plan, out, stopped.statuses, title=title)
                done = sum(s["status"] in ("ok", "failed") for s in stopped.statuses)
                print(f"interrupted: {done} of {len(stopped.statuses)} runs finished and are kept in "
                      f"{out / 'index.html'}; the same command goes on from there", file=sys.stderr, flush=True)
                return 130
            index = write_outputs(plan, out, statuses, title=title)
    except (OutputBusy, OSError, ValueError) as err:  # a folder, a scheduler that cannot be reached
        print(f"error: {_first_line(err)}", file=sys.stderr)
        return 2
    failed = [s for s in statuses if s["status"] != "ok"]
    skipped = sum(bool(s.get("skipped")) for s in statuses)
    print(f"{len(statuses) - len(failed)} ok, {len(failed)} failed"
          + (f" ({skipped} skipped, done before)" if skipped else "")
          + f" in {time.perf_counter() - start:.0f} s -> {index}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

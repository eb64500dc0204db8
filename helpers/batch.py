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

Relative paths (``notebook``, ``model``, and ``dataset`` when it names a file) resolve against
the config file's folder. Everything is checked before anything runs: an unknown parameter
(compared with the notebook's ``parameters`` cell), a value of the wrong type, an empty grid, a
missing notebook give exit status 2 and a message naming the key.

Output, in ``DIR``:

- ``runs/<run-id>/``: the executed notebook, ``report.html`` (code hidden), ``importance.csv``
  (method, feature, importance, std), ``agreement.csv`` where the data has a known truth,
  ``params.json`` and ``status.json`` (ok or failed, the error's last line, the duration). A run
  is written in a hidden temporary folder and renamed into place when complete, so an
  interrupted batch never leaves a half-written run that looks finished.
- ``summary.csv``: one row per run x measure x feature, with the run's parameters as columns.
- ``agreement.csv``: each run's agreement with the truth, where known.
- ``index.html``: one self-contained page: the runs (parameters, status, time, link), failed
  runs with their message, and figures comparing the runs.

A second call skips the runs whose parameters are unchanged and whose status is ok (``--force``
runs them again). Exit status: 0 when every run succeeded, 1 when any failed (the others still
finish), 2 for a bad config.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import html
import io
import itertools
import json
import math
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from helpers.data import did_you_mean
from helpers.notebook_runner import (KIT_ROOT, Parameter, execute, notebook_parameters, one_thread_unless_set,
                                     scrub_text, to_html)

DEFAULT_NOTEBOOK = KIT_ROOT / "notebooks" / "report.ipynb"
TOP_LEVEL_KEYS = ("notebook", "parameters", "grid", "runs")
PATH_KEYS = ("dataset", "model")
"""Parameters whose value may be a file, resolved against the config's folder: ``model`` when
not empty, ``dataset`` when it names an existing file or ends in ``.csv``."""
RESULT_FILES = ("importance.csv", "agreement.csv")


class ConfigError(ValueError):
    """A config that cannot run; the message names the offending key."""


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
    """
    run_id: str
    params: dict
    notebook_params: dict = field(default_factory=dict)
    id_keys: list = field(default_factory=list)


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


def _check_values(where: str, values: dict, accepted: dict[str, Parameter], notebook: Path) -> None:
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a mapping of parameter names to values, got {_describe(values)}")
    for key, value in values.items():
        if key not in accepted:
            raise ConfigError(f"unknown parameter {key!r} in {where}{did_you_mean(str(key), accepted)} "
                              f"({notebook.name} takes: {', '.join(accepted)})")
        param = accepted[key]
        if not param.accepts(value):
            raise ConfigError(f"{where}.{key} must be {param.type_text()} (like the notebook's default "
                              f"{param.default!r}), got {_describe(value)} {value!r}")
        if key == "measures":
            _check_measure_names(where, value)


def _check_measure_names(where: str, value) -> None:
    """The kit's measure names only (the report's own check), so that a typo stops the batch
    before anything runs."""
    from helpers.report import check_measures

    try:
        check_measures(value)
    except ValueError as err:
        raise ConfigError(f"{where}.{err}") from None


def _is_path_value(key: str, value, config_dir: Path) -> bool:
    if not isinstance(value, str) or not value:
        return False
    if key == "model":
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
        A message naming the offending key: a file that is not a YAML mapping, an unknown
        top-level key, a missing notebook, an unknown parameter, a value of the wrong type, an
        empty grid.
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

    shared = config.get("parameters") or {}
    _check_values("parameters", shared, accepted, notebook)

    runs: list[Run] = []
    has_grid = "grid" in config
    grid = config.get("grid")
    if has_grid:
        if not isinstance(grid, dict):
            raise ConfigError(f"grid must be a mapping of parameter names to lists of values, got {_describe(grid)}")
        if not grid:
            raise ConfigError("grid is empty: give each key a list of values, or drop the key grid")
        for key, values in grid.items():
            if not isinstance(values, list):
                raise ConfigError(f"grid.{key} must be a list of values, got {_describe(values)} {values!r}")
            if not values:
                raise ConfigError(f"grid.{key} is empty: give it at least one value")
            for value in values:
                _check_values("grid", {key: value}, accepted, notebook)
        keys = list(grid)
        for combo in itertools.product(*(grid[k] for k in keys)):
            runs.append(Run("", {**shared, **dict(zip(keys, combo))}, id_keys=keys))

    explicit = config.get("runs")
    if explicit is not None:
        if not isinstance(explicit, list):
            raise ConfigError(f"runs must be a list of mappings, got {_describe(explicit)}")
        if not explicit and not has_grid:
            raise ConfigError("runs is empty: give at least one run")
        for i, spec in enumerate(explicit):
            if not isinstance(spec, dict):
                raise ConfigError(f"runs[{i}] must be a mapping of parameter names to values, got {_describe(spec)}")
            _check_values(f"runs[{i}]", spec, accepted, notebook)
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
    return Plan(notebook, config_dir, unique, accepted)


def _notebook_params(run: Run, config_dir: Path, runs_dir: Path) -> dict:
    """The run's parameters with file paths relative to its folder (``runs_dir/<run-id>``): the
    notebook runs there, and no absolute path reaches its outputs."""
    params = {}
    for key, value in run.params.items():
        if key in PATH_KEYS and _is_path_value(key, value, config_dir):
            target = (config_dir / value).resolve()
            try:
                value = os.path.relpath(target, (runs_dir / run.run_id).resolve())
            except ValueError:  # another drive (Windows): an absolute path is the only way
                value = str(target)
        params[key] = value
    return params


# ---------------------------------------------------------------- one run
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(runs_dir: Path, run_id: str) -> None:
    """Remove what an interrupted batch left of this run (hidden temporary folders of dead processes)."""
    for leftover in runs_dir.glob(f".{run_id}.*-*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if leftover.is_dir() and (not pid.isdigit() or not _pid_alive(int(pid))):
            shutil.rmtree(leftover, ignore_errors=True)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_done(run_dir: Path, params: dict) -> bool:
    """Whether a finished run with the same parameters and status ok is in ``run_dir``."""
    status = _read_json(run_dir / "status.json")
    return (isinstance(status, dict) and status.get("status") == "ok"
            and _read_json(run_dir / "params.json") == json.loads(json.dumps(params, default=str))
            and (run_dir / "report.html").is_file())


def run_one(task: dict) -> dict:
    """Run the notebook once in a temporary folder and rename it into place; never raises.

    ``task`` holds ``notebook``, ``runs_dir``, ``run_id``, ``params``, ``notebook_params``,
    ``timeout`` and ``scrub`` (extra paths to hide). Returns the run's status (what
    ``status.json`` holds).
    """
    runs_dir, run_id = Path(task["runs_dir"]), task["run_id"]
    final = runs_dir / run_id
    tmp = runs_dir / f".{run_id}.tmp-{os.getpid()}"
    start = time.perf_counter()
    status: dict[str, Any] = {"run_id": run_id, "status": "failed", "error": None, "duration": 0.0}
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "params.json").write_text(json.dumps(task["params"], indent=2, default=str) + "\n", encoding="utf-8")
        notebook = Path(task["notebook"])
        executed = tmp / notebook.name
        scrub = [tuple(p) for p in task.get("scrub", [])]
        result = execute(notebook, executed, parameters=task["notebook_params"], cwd=tmp,  # one kernel per core
                         timeout=task.get("timeout", 600), scrub=scrub, env=one_thread_unless_set())
        error = result.error
        if result.notebook is not None:
            to_html(result.notebook, tmp / "report.html", exclude_input=True, offline=True,
                    title=f"Report: {run_id}")
        if error is None and not (tmp / "importance.csv").is_file():
            error = f"the notebook {notebook.name} wrote no importance.csv"
        status.update(status="ok" if error is None else "failed", error=error)
    except Exception as err:  # noqa: BLE001 - a run that cannot even start is reported, not raised
        status["error"] = scrub_text(f"{type(err).__name__}: {err}".splitlines()[0])
    status["duration"] = round(time.perf_counter() - start, 2)
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "status.json").write_text(json.dumps(status, indent=2) + "\n", encoding="utf-8")
        old = runs_dir / f".{run_id}.old-{os.getpid()}"
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as err:
        status.update(status="failed", error=f"could not write the run's folder: {err.strerror}")
    return status


# ---------------------------------------------------------------- the batch
def run_batch(plan: Plan, out, *, jobs: int | None = None, force: bool = False,
              timeout: float = 600, echo=print) -> list[dict]:
    """Run every run of ``plan`` not already done; returns one status per run, in plan order."""
    from tqdm.auto import tqdm

    out = Path(out)
    runs_dir = out / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    scrub = [(str(plan.config_dir), "<config>"), (str(out.resolve()), "<out>")]
    statuses: dict[str, dict] = {}
    todo = []
    for run in plan.runs:
        run.notebook_params = _notebook_params(run, plan.config_dir, runs_dir)
        if not force and is_done(runs_dir / run.run_id, run.params):
            statuses[run.run_id] = {**_read_json(runs_dir / run.run_id / "status.json"), "skipped": True}
            echo(f"skipped  {run.run_id} (done before; --force runs it again)")
            continue
        _remove_stale(runs_dir, run.run_id)
        todo.append({"notebook": str(plan.notebook), "runs_dir": str(runs_dir), "run_id": run.run_id,
                     "params": run.params, "notebook_params": run.notebook_params,
                     "timeout": timeout, "scrub": scrub})

    def report(status):
        statuses[status["run_id"]] = status
        line = f"{status['status']:<8} {status['run_id']} ({status['duration']:.1f} s)"
        if status["status"] != "ok":
            line += f": {status['error']}"
        bar.write(line)
        bar.update(1)

    if todo:
        bar = tqdm(total=len(todo), desc="runs", unit="run", file=sys.stderr, dynamic_ncols=True)
        try:
            if jobs == 1 or len(todo) == 1:
                for task in todo:  # the kernel is a process of its own already
                    report(run_one(task))
            else:
                with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=get_context("spawn")) as pool:
                    futures = [pool.submit(run_one, task) for task in todo]
                    for future in as_completed(futures):
                        report(future.result())
        finally:
            bar.close()
    return [statuses[run.run_id] for run in plan.runs]


# ---------------------------------------------------------------- summary
def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


def collect(plan: Plan, out: Path, statuses: list[dict]):
    """The tidy tables of the batch: (summary, agreement, runs table) as pandas DataFrames."""
    import pandas as pd

    param_keys = list(dict.fromkeys(k for run in plan.runs for k in run.params))
    frames, agreements, rows = [], [], []
    for run, status in zip(plan.runs, statuses):
        base = {"run_id": run.run_id, "status": status["status"],
                **{k: _cell(run.params.get(k)) for k in param_keys}}
        rows.append({**base, "duration": status.get("duration"), "error": status.get("error") or "",
                     "skipped": bool(status.get("skipped"))})
        run_dir = out / "runs" / run.run_id
        table = None
        if status["status"] == "ok" and (run_dir / "importance.csv").is_file():
            table = pd.read_csv(run_dir / "importance.csv")
        if table is None or table.empty:
            table = pd.DataFrame({"method": [None], "feature": [None], "importance": [math.nan], "std": [math.nan]})
        frames.append(table.assign(**base)[list(base) + [c for c in table.columns if c not in base]])
        if status["status"] == "ok" and (run_dir / "agreement.csv").is_file():
            agreements.append(pd.read_csv(run_dir / "agreement.csv").assign(**base))
    summary = pd.concat(frames, ignore_index=True)
    agreement = pd.concat(agreements, ignore_index=True) if agreements else None
    if agreement is not None:
        agreement = agreement[list(base) + [c for c in agreement.columns if c not in base]]
    return summary, agreement, pd.DataFrame(rows), param_keys


def _group_keys(plan: Plan, param_keys: list[str]) -> list[str]:
    """The parameters that vary between runs, other than the seed: one figure per combination."""
    varying = []
    for key in param_keys:
        values = {json.dumps(run.params.get(key), sort_keys=True, default=str) for run in plan.runs}
        if len(values) > 1 and key != "seed":
            varying.append(key)
    return varying


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figures(summary, agreement, groups: list[str]) -> list[tuple[str, str]]:
    """(caption, base64 PNG) pairs: each group's normalised importance by feature and measure
    with error bars over its runs, and agreement with the truth by measure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", font_scale=0.85)
    figures = []
    ok = summary[(summary["status"] == "ok") & summary["method"].notna()].copy()
    if not ok.empty:
        total = ok.groupby(["run_id", "method"])["importance"].transform(lambda s: s.abs().sum())
        ok["normalised"] = ok["importance"].abs() / total.where(total > 0, 1.0)
        ok["group"] = ok[groups].astype(str).agg(", ".join, axis=1) if groups else "all runs"
        for label, part in list(ok.groupby("group", sort=False))[:12]:
            features = list(dict.fromkeys(part["feature"]))
            methods = list(dict.fromkeys(part["method"]))
            n_runs = part["run_id"].nunique()
            width = min(16, max(6, 0.35 * len(features) * max(1, len(methods)) ** 0.6 + 2))
            fig, ax = plt.subplots(figsize=(width, 3.4))
            sns.barplot(data=part, x="feature", y="normalised", hue="method", order=features,
                        hue_order=methods, errorbar=("sd" if n_runs > 1 else None), capsize=0.1,
                        err_kws={"linewidth": 0.8}, ax=ax)
            ax.set_ylabel("importance (each measure sums to 1)")
            ax.set_xlabel("")
            ax.tick_params(axis="x", rotation=45 if len(features) > 10 else 0)
            ax.legend(fontsize="x-small", ncol=min(5, len(methods)), loc="upper right")
            ax.set_title(f"{label}: mean over {n_runs} run{'s' if n_runs > 1 else ''}"
                         + (" (bars: one standard deviation)" if n_runs > 1 else ""))
            figures.append((f"Importance by input and measure: {label}", _png(fig)))
    if agreement is not None and not agreement.empty and "spearman" in agreement:
        agree = agreement.copy()
        agree["group"] = agree[groups].astype(str).agg(", ".join, axis=1) if groups else "all runs"
        methods = list(dict.fromkeys(agree["method"]))
        fig, ax = plt.subplots(figsize=(min(14, max(6, 0.8 * len(methods) + 2)), 3.4))
        sns.barplot(data=agree, x="method", y="spearman", hue="group", order=methods,
                    errorbar="sd", capsize=0.1, err_kws={"linewidth": 0.8}, ax=ax)
        ax.set_ylim(-1, 1.05)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_ylabel("Spearman correlation with the truth")
        ax.set_xlabel("")
        ax.tick_params(axis="x", rotation=30)
        ax.legend(fontsize="x-small", title=None)
        ax.set_title("agreement with the true importance (mean over runs, bars: one standard deviation)")
        figures.append(("Agreement with the truth, where the data set has one", _png(fig)))
    return figures


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 70em;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fff0f0; }
.ok { color: #1a7f37; font-weight: 600; } .failed { color: #c62828; font-weight: 600; }
.message { font-family: ui-monospace, monospace; font-size: 0.85em; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; }
.note { color: #555; font-size: 0.9em; }
"""


def write_index(out: Path, runs_table, agreement, figures, param_keys: list[str], title: str) -> Path:
    """Write ``out/index.html``: one self-contained page (styles inline, figures as data URIs)."""
    esc = html.escape
    n_failed = int((runs_table["status"] != "ok").sum())
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
             f"<h1>{esc(title)}</h1>\n"
             f"<p>{len(runs_table)} runs: {len(runs_table) - n_failed} ok, {n_failed} failed. "
             f"Every number is in <a href=\"summary.csv\">summary.csv</a> (one row per run, measure and input)"
             + (", agreement with the truth in <a href=\"agreement.csv\">agreement.csv</a>" if agreement is not None else "")
             + ".</p>\n"]
    if n_failed:
        parts.append("<h2 id=\"failed\">Failed runs</h2>\n<ul>\n")
        for _, row in runs_table[runs_table["status"] != "ok"].iterrows():
            parts.append(f"<li><a href=\"runs/{esc(row['run_id'])}/report.html\">{esc(row['run_id'])}</a>: "
                         f"<span class=\"message\">{esc(str(row['error']))}</span></li>\n")
        parts.append("</ul>\n")
    parts.append("<h2 id=\"runs\">Runs</h2>\n<table>\n<thead><tr><th>run</th>"
                 + "".join(f"<th>{esc(k)}</th>" for k in param_keys)
                 + "<th>status</th><th>time (s)</th><th>message</th></tr></thead>\n<tbody>\n")
    for _, row in runs_table.iterrows():
        ok = row["status"] == "ok"
        duration = row["duration"]
        time_text = "" if duration is None or (isinstance(duration, float) and math.isnan(duration)) else f"{float(duration):.1f}"
        note = "skipped: done before" if row["skipped"] else ""
        parts.append(f"<tr class=\"{'ok' if ok else 'failed'}\"><td><a href=\"runs/{esc(row['run_id'])}/report.html\">"
                     f"{esc(row['run_id'])}</a></td>"
                     + "".join(f"<td>{esc(str(row[k]))}</td>" for k in param_keys)
                     + f"<td class=\"{'ok' if ok else 'failed'}\">{esc(row['status'])}</td>"
                     f"<td class=\"num\">{time_text}</td>"
                     f"<td class=\"message\">{esc(str(row['error']) or note)}</td></tr>\n")
    parts.append("</tbody>\n</table>\n")
    if figures:
        parts.append("<h2 id=\"figures\">Comparison across runs</h2>\n"
                     "<p class=\"note\">Each measure is scaled so that its absolute values sum to 1 in "
                     "every run; bars are the mean over the runs that share the other settings, error bars "
                     "one standard deviation over them (over seeds, in the default batch).</p>\n")
        for caption, png in figures:
            parts.append(f"<figure><img src=\"data:image/png;base64,{png}\" alt=\"{esc(caption)}\">"
                         f"<figcaption>{esc(caption)}</figcaption></figure>\n")
    if agreement is not None and "spearman" in agreement:
        cols = [c for c in ("spearman", "kendall", "topk_recall") if c in agreement]
        table = agreement.groupby("method", sort=False)[cols].agg(["mean", "std"])
        parts.append("<h2 id=\"agreement\">Agreement with the truth (mean and standard deviation over runs)</h2>\n<table>\n"
                     "<thead><tr><th>measure</th>" + "".join(f"<th>{esc(c)}</th>" for c in cols)
                     + "<th>runs</th></tr></thead>\n<tbody>\n")
        counts = agreement.groupby("method", sort=False).size()
        for method, row in table.iterrows():
            cells = "".join(f"<td class=\"num\">{_pm(row[(c, 'mean')], row[(c, 'std')])}</td>" for c in cols)
            parts.append(f"<tr><td>{esc(str(method))}</td>{cells}<td class=\"num\">{int(counts[method])}</td></tr>\n")
        parts.append("</tbody>\n</table>\n")
    parts.append("</main>\n</body>\n</html>\n")
    path = out / "index.html"
    _write_atomically(path, scrub_text("".join(parts)))
    return path


def _write_atomically(path: Path, text: str) -> None:
    """Write a file under a temporary name and rename it: a reader sees the old or the new file,
    never half of one."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _pm(mean, std) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return ""
    return f"{mean:.2f}" + ("" if std is None or math.isnan(std) else f" &plusmn; {std:.2f}")


def write_outputs(plan: Plan, out, statuses: list[dict], title: str) -> Path:
    """Write ``summary.csv``, ``agreement.csv`` and ``index.html`` for the runs of ``plan``."""
    out = Path(out)
    summary, agreement, runs_table, param_keys = collect(plan, out, statuses)
    _write_atomically(out / "summary.csv", summary.to_csv(index=False))
    if agreement is not None:
        _write_atomically(out / "agreement.csv", agreement.to_csv(index=False))
    elif (out / "agreement.csv").exists():
        (out / "agreement.csv").unlink()
    figures = _figures(summary, agreement, _group_keys(plan, param_keys))
    return write_index(out, runs_table, agreement, figures, param_keys, title)


# ---------------------------------------------------------------- the command
def main(argv=None) -> int:
    """The command line; returns the exit status (0 all ok, 1 a run failed, 2 a bad config)."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.batch",
        description="Run the report notebook once per parameter set of a config; write one HTML "
                    "report per run, DIR/summary.csv and DIR/index.html.")
    parser.add_argument("config", help="the batch config (YAML)")
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="runs at once, one kernel each (default: the number of cores)")
    parser.add_argument("--force", action="store_true", help="run again the runs already done")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a notebook cell may run (default 600)")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        plan = load_config(args.config)
    except ConfigError as err:
        print(f"error in {Path(args.config).name}: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    jobs = args.jobs or os.cpu_count() or 1
    print(f"{len(plan.runs)} run{'s' if len(plan.runs) != 1 else ''} of {plan.notebook.name} "
          f"from {Path(args.config).name}, {min(jobs, len(plan.runs))} at a time -> {out}", flush=True)
    start = time.perf_counter()
    try:
        statuses = run_batch(plan, out, jobs=jobs, force=args.force, timeout=args.timeout)
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept; the next call goes on from there", file=sys.stderr)
        return 130
    index = write_outputs(plan, out, statuses, title=f"Batch report: {Path(args.config).name}")
    failed = [s for s in statuses if s["status"] != "ok"]
    skipped = sum(bool(s.get("skipped")) for s in statuses)
    print(f"{len(statuses) - len(failed)} ok, {len(failed)} failed"
          + (f" ({skipped} skipped, done before)" if skipped else "")
          + f" in {time.perf_counter() - start:.0f} s -> {index}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

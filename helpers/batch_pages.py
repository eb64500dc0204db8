"""The batch's web pages and tables: ``index.html``, ``summary.csv``, ``agreement.csv``, and the
short page of a failed run.

Every page is rendered from a Jinja2 template with autoescape on, so that whatever a user gives
(a run id, a parameter value, an error message, a feature or measure name, the config's name)
reaches the page as text, never as markup; links to runs are built from URL-quoted path
segments. Machine paths are replaced by their labels (``<kit>``, ``<tmp>``, ...) in each value
*before* it is escaped, so a label shows as text too. The pages are self-contained and offline:
styles inline, figures as data URIs, no script, and a Content-Security-Policy that allows
nothing else.

- ``collect(plan, out, statuses)``: the tidy tables of a batch.
- ``write_outputs(plan, out, statuses, title)``: ``summary.csv``, ``agreement.csv`` and ``index.html``.
- ``write_index(out, runs_table, agreement, figures, param_keys, title, defaults=...)``: the index
  page alone (``defaults``: the notebook's, shown where a run leaves a parameter unset).
- ``error_page(run_id=..., error=..., params=...)``: the page of a failed run (what failed, its
  parameters, what to try, a link to the executed notebook with the full traceback).
- ``hint_for(error)``: what to try for a few kinds of error, or None.

``plan`` is duck-typed: anything with ``.runs``, each run having ``.run_id`` (str) and
``.params`` (dict), and optionally ``.notebook_params`` (name -> ``Parameter``,
as ``batch.load_config`` gives them: the notebook's defaults). A status is a dict with ``status`` (``"ok"``, ``"failed"`` or
``"interrupted"``: stopped by Ctrl-C, not done), and optionally ``error``, ``hint``,
``duration`` and ``skipped``.
"""
from __future__ import annotations

import base64
import io
import json
import math
import os
import re
from pathlib import Path
from urllib.parse import quote

from helpers.notebook_runner import scrub_text

PAGE = "report.html"
"""A run's page in its folder: the report of a run that finished, the error page of one that failed."""
STATUSES = ("ok", "failed", "interrupted")
"""The statuses a run can have, in the order the index counts them."""


FOLD_AT = 160
"""A failed run's message longer than this (or of several lines) is folded on the index: its
first characters show, the whole message opens on a click."""


# ---------------------------------------------------------------- the tables
def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


def collect(plan, out: Path, statuses: list[dict]):
    """The tidy tables of a batch.

    Parameters
    ----------
    plan : object with ``.runs``
        Each run has ``.run_id`` and ``.params``.
    out : Path
        The batch's folder; each run's tables are read from ``out/runs/<run-id>/``.
    statuses : list of dict
        One per run, in the order of ``plan.runs``.

    Returns
    -------
    summary : DataFrame
        One row per run x measure x feature (``run_id``, ``status``, the parameters, then the
        columns of ``importance.csv``); a run that is not ok has one row with empty values.
    agreement : DataFrame or None
        Each ok run's ``agreement.csv`` with the run's columns, None when no run has one.
    runs : DataFrame
        One row per run: ``run_id``, ``status``, the parameters, ``duration``, ``error``,
        ``skipped``, ``hint``, ``matters`` (the inputs its verdict says matter) and ``fit`` (its
        held-out fit beside a linear model's, from ``fit.csv``).
    param_keys : list of str
        Every parameter of any run, in order of appearance.
    """
    import pandas as pd

    out = Path(out)
    param_keys = list(dict.fromkeys(k for run in plan.runs for k in run.params))
    frames, agreements, rows = [], [], []
    base: dict = {}
    for run, status in zip(plan.runs, statuses):
        base = {"run_id": run.run_id, "status": status["status"],
                **{k: _cell(run.params.get(k)) for k in param_keys}}
        run_dir = out / "runs" / run.run_id
        rows.append({**base, "duration": status.get("duration"), "error": status.get("error") or "",
                     "skipped": bool(status.get("skipped")), "hint": status.get("hint") or "",
                     "matters": _matters(run_dir) if status["status"] == "ok" else "",
                     "fit": _fit(run_dir) if status["status"] == "ok" else ""})
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


def _matters(run_dir: Path) -> str:
    """The inputs a run's verdict (``verdict.csv``) says matter, most important first, then the
    correlated groups that matter only together (``groups.csv``: "a+b together"); "" when it has
    no verdict, "none" when nothing matters."""
    import pandas as pd

    path = run_dir / "verdict.csv"
    if not path.is_file():
        return ""
    table = pd.read_csv(path, keep_default_na=False)
    names = table[table["verdict"] == "matters"].sort_values("rank")["feature"].astype(str).tolist()
    if (run_dir / "groups.csv").is_file():
        groups = pd.read_csv(run_dir / "groups.csv", keep_default_na=False)
        together = groups["together_only"].astype(str).str.lower() == "true"
        names += [f"{group} together" for group in groups.loc[together, "group"].astype(str)]
    return ", ".join(names) if names else "none"


def _fit(run_dir: Path) -> str:
    """A run's held-out fit in words, from its ``fit.csv``: the net's score beside the linear
    model's (``R^2 0.46 (linear 0.48)``), and the verdict's flag when it raised one ("learned
    nothing", "worse than linear"); "" when the run wrote no fit."""
    import pandas as pd

    path = run_dir / "fit.csv"
    if not path.is_file():
        return ""
    table = pd.read_csv(path, keep_default_na=False).set_index("model")
    if "net" not in table.index:
        return ""
    net = table.loc["net"]
    text = f"{net['metric']} {float(net['held_out']):.2f}"
    if "linear" in table.index and str(table.loc["linear", "held_out"]) != "":
        text += f" (linear {float(table.loc['linear', 'held_out']):.2f})"
    return f"{text}: {net['flag']}" if str(net.get("flag", "")) else text


def collect_verdicts(plan, out: Path, statuses: list[dict]):
    """Every ok run's ``verdict.csv`` with the run's id, status and parameters as columns (one row
    per run x input), or None when no run has one."""
    import pandas as pd

    param_keys = list(dict.fromkeys(k for run in plan.runs for k in run.params))
    frames = []
    for run, status in zip(plan.runs, statuses):
        path = Path(out) / "runs" / run.run_id / "verdict.csv"
        if status["status"] == "ok" and path.is_file():
            base = {"run_id": run.run_id, "status": status["status"],
                    **{k: _cell(run.params.get(k)) for k in param_keys}}
            table = pd.read_csv(path, keep_default_na=False)
            frames.append(table.assign(**base)[list(base) + list(table.columns)])
    return pd.concat(frames, ignore_index=True) if frames else None


def _group_keys(plan, param_keys: list[str]) -> list[str]:
    """The parameters that vary between runs, other than the seed: one figure per combination."""
    varying = []
    for key in param_keys:
        values = {json.dumps(run.params.get(key), sort_keys=True, default=str) for run in plan.runs}
        if len(values) > 1 and key != "seed":
            varying.append(key)
    return varying


# ---------------------------------------------------------------- the figures
def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


PATH_KEYS = ("dataset", "model", "test_data")
"""Parameters whose value may be a file: a chart's title shows such a file by its name."""


def _shown(key: str, value: str) -> str:
    """A parameter's value as a chart's title shows it: a file path by its file name
    (``data/clinical/visits.csv`` -> ``visits.csv``), anything else as it is."""
    if key in PATH_KEYS and ("/" in value or "\\" in value):
        return re.split(r"[/\\]", value.rstrip("/\\"))[-1] or value
    return value


def _labels(table, groups: list[str], defaults: dict | None = None):
    """Each row's group in words: ``dataset friedman1, seeds 3`` (each varying parameter's name
    and value, a file by its name). A parameter a run leaves unset shows the notebook's default
    (from ``defaults``) marked "(default)", or is left out when there is none; "defaults" when
    nothing is left."""
    if not groups:
        return "all runs"
    defaults = defaults or {}

    def words(row) -> str:
        parts = []
        for key in groups:
            given = str(row[key]) not in ("", "nan", "None")
            value = str(row[key]) if given else _cell(defaults.get(key))
            if value:
                parts.append(f"{key} {_shown(key, value)}" + ("" if given else " (default)"))
        return scrub_text(", ".join(parts)) or "defaults"

    return table[groups].astype(str).apply(words, axis=1)


def _wrap(text: str, width_in: float) -> str:
    """A chart's title broken into lines that fit a figure ``width_in`` inches wide."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width=max(30, int(width_in * 11)), break_long_words=True))


def _importance_figure(sns, label: str, part):
    """One group's normalised importance by input and measure, error bars over its runs. Up to
    ``MAX_BARS`` bars share one chart; beyond, each measure gets a facet of its own, and of more
    than ``MAX_BARS`` inputs the ones with the largest mean share are drawn (the title says so)."""
    from matplotlib.figure import Figure

    from helpers.plots import MAX_BARS, rotate_labels  # shared with the report's figures

    features = list(dict.fromkeys(part["feature"]))
    methods = list(dict.fromkeys(part["method"]))
    n_runs = part["run_id"].nunique()
    spread = " (bars: one standard deviation)" if n_runs > 1 else ""
    title = f"{label}: mean over {n_runs} run{'s' if n_runs > 1 else ''}{spread}"
    if len(features) > MAX_BARS:
        top = part.groupby("feature", sort=False)["normalised"].mean().nlargest(MAX_BARS).index
        features = [f for f in features if f in set(top)]
        part = part[part["feature"].isin(features)]
        title += f"; the {MAX_BARS} inputs with the largest mean share"
    bar_options = {"x": "feature", "y": "normalised", "order": features, "capsize": 0.1,
                   "errorbar": ("sd" if n_runs > 1 else None), "err_kws": {"linewidth": 0.8}}
    rotation = 45 if len(features) > 10 or len(features) * max(map(len, map(str, features))) > 40 else 0
    if len(features) * len(methods) <= MAX_BARS:
        width = min(16, max(6, 0.35 * len(features) * max(1, len(methods)) ** 0.6 + 2))
        fig = Figure(figsize=(width, 3.4))
        ax = fig.subplots()
        sns.barplot(data=part, hue="method", hue_order=methods, ax=ax, **bar_options)
        ax.set_ylabel("importance (each measure sums to 1)")
        ax.set_xlabel("")
        if rotation:
            rotate_labels(ax.get_xticklabels(), rotation)
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
                  title="measure", title_fontsize="x-small")
        ax.set_title(_wrap(title, width))
    else:
        columns = 2 if len(methods) > 3 else 1
        rows = -(-len(methods) // columns)
        width = min(16, max(6, columns * (0.3 * len(features) + 1.5)))
        rotation = max(rotation, 45 if len(features) > 20 else 0)
        labels = 0.06 * max(map(len, map(str, features))) if rotation else 0.3  # inches under the bottom row
        fig = Figure(figsize=(width, 1.7 * rows + 0.8 + labels), layout="constrained")
        axes = fig.subplots(rows, columns, sharex=True, squeeze=False)
        colours = sns.color_palette("deep", len(methods))
        for k, ax in enumerate(axes.flat):
            if k >= len(methods):
                ax.set_visible(False)
                continue
            sns.barplot(data=part[part["method"] == methods[k]], color=colours[k], ax=ax, **bar_options)
            ax.set_title(methods[k], fontsize="small", loc="left")
            ax.set_ylabel("share" if k % columns == 0 else "")
            ax.set_xlabel("")
            # the inputs' names under the lowest chart of each column only: rows of rotated names
            # between the charts would run into the charts below them
            ax.tick_params(axis="x", labelbottom=k + columns >= len(methods))
        if rotation:  # once every chart is drawn: each ends its names at their ticks
            for ax in axes.flat:
                rotate_labels(ax.get_xticklabels(), rotation)
        fig.suptitle(_wrap(title + "; each measure sums to 1", width), fontsize="medium")
    return f"Importance by input and measure: {label}", fig


def _figures(summary, agreement, groups: list[str], defaults: dict | None = None) -> list[tuple[str, str]]:
    """(caption, base64 PNG) pairs: each group's normalised importance by feature and measure
    with error bars over its runs, and agreement with the truth by measure. A group is named by
    its parameters in words (``_labels``; ``defaults``: the notebook's, for the runs that leave a
    parameter unset).

    Labels are drawn as plain text (``text.parse_math`` off): a feature named ``$x$`` or with
    one stray ``$`` is its own name, not a formula, and cannot break the figure. The figures are
    drawn without pyplot, in style contexts that end with them: a caller's backend, style and open
    figures (a notebook that runs a batch in its own process) are left as they were."""
    import matplotlib
    import seaborn as sns
    from matplotlib.figure import Figure

    from helpers.plots import rotate_labels

    figures = []
    with (matplotlib.rc_context({"text.parse_math": False}), sns.axes_style("whitegrid"),
          sns.plotting_context(font_scale=0.85)):
        ok = summary[(summary["status"] == "ok") & summary["method"].notna()].copy()
        if not ok.empty:
            total = ok.groupby(["run_id", "method"])["importance"].transform(lambda s: s.abs().sum())
            ok["normalised"] = ok["importance"].abs() / total.where(total > 0, 1.0)
            ok["group"] = _labels(ok, groups, defaults)
            for label, part in list(ok.groupby("group", sort=False))[:12]:
                caption, fig = _importance_figure(sns, label, part)
                figures.append((caption, _png(fig)))
        if agreement is not None and not agreement.empty and "spearman" in agreement:
            agree = agreement.copy()
            agree["group"] = _labels(agree, groups, defaults)
            methods = list(dict.fromkeys(agree["method"]))
            width = min(14, max(6, 0.8 * len(methods) + 2))
            fig = Figure(figsize=(width, 3.4))
            ax = fig.subplots()
            sns.barplot(data=agree, x="method", y="spearman", hue="group", order=methods,
                        errorbar="sd", capsize=0.1, err_kws={"linewidth": 0.8}, ax=ax)
            ax.set_ylim(-1, 1.05)
            ax.axhline(0, color="grey", lw=0.6)
            ax.set_ylabel("Spearman correlation with the truth")
            ax.set_xlabel("")
            rotate_labels(ax.get_xticklabels(), 30)
            ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
                      title="runs with" if groups else None, title_fontsize="x-small")
            ax.set_title(_wrap("agreement with the true importance (mean over runs, bars: one standard deviation)",
                               width))
            figures.append(("Agreement with the truth, where the data set has one", _png(fig)))
    return figures


# ---------------------------------------------------------------- the templates
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 70em;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
.scroll { overflow-x: auto; max-width: 100%; }  /* a wide table scrolls, the page does not */
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
#runs-table td { overflow-wrap: anywhere; }  /* a long id, path or name wraps instead of widening the table */
#runs-table td.param { max-width: 14em; } #runs-table td.run { max-width: 18em; }
#runs-table td.status, #runs-table td.num { white-space: nowrap; }
.default { color: #777; font-size: 0.85em; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fff0f0; } tr.interrupted td { background: #fff8e6; }
td.ok { color: #1a7f37; font-weight: 600; } td.failed { color: #c62828; font-weight: 600; }
td.interrupted { color: #8a5a00; font-weight: 600; }
.message { font-family: ui-monospace, monospace; font-size: 0.85em; white-space: pre-wrap; overflow-wrap: anywhere; }
li .hint { font-size: 0.9em; }
details summary { cursor: pointer; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; }
.note { color: #555; font-size: 0.9em; }
nav { font-size: 0.9em; }
pre.message { background: #fff0f0; border-left: 4px solid #c62828; padding: 0.6em 0.8em; margin: 0.5em 0; }
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
"""Nothing but inline styles and data-URI images: no script runs, nothing is fetched."""

_BASE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<main>
{% block body %}{% endblock %}
</main>
</body>
</html>
"""

_INDEX = """{% extends "base.html.j2" %}
{% macro run_link(run) -%}
{% if run.href %}<a href="{{ run.href }}">{{ run.run_id }}</a>{% else %}{{ run.run_id }}{% endif %}
{%- endmacro %}
{% block body %}
<h1>{{ title }}</h1>
<p>{{ runs|length }} run{{ "s" if runs|length != 1 else "" }}: {{ counts|join(", ") }}.
Every number is in <a href="summary.csv">summary.csv</a> (one row per run, measure and input)
{%- if has_verdicts %}, every verdict in <a href="verdict.csv">verdict.csv</a> (one row per run and input){% endif %}
{%- if has_agreement %}, agreement with the truth in <a href="agreement.csv">agreement.csv</a>{% endif %}.</p>
{% if failed %}
<h2 id="failed">Failed runs</h2>
<ul>
{% for run in failed %}
<li>{{ run_link(run) }}: {% if run.error|length > fold_at or "\n" in run.error -%}
<details><summary><span class="message">{{ run.error.splitlines()[0][:fold_at] }}…</span></summary><span class="message">{{ run.error }}</span></details>
{%- else %}<span class="message">{{ run.error }}</span>{% endif %}
{%- if run.hint %}<br><span class="hint">What to try: {{ run.hint }}</span>{% endif %}</li>
{% endfor %}
</ul>
{% endif %}
{% if interrupted %}
<h2 id="interrupted">Interrupted runs</h2>
<p>Stopped before they finished (Ctrl-C or SIGTERM): not done; the next call of the batch runs them.</p>
<ul>
{% for run in interrupted %}
<li>{{ run_link(run) }}</li>
{% endfor %}
</ul>
{% endif %}
<h2 id="runs">Runs</h2>
{% if shared %}<p class="note">Every run: {% for key, value in shared %}{{ key }} <code>{{ value }}</code>{{ "; " if not loop.last else "." }}{% endfor %}</p>{% endif %}
<div class="scroll" id="runs-table"><table>
<thead><tr><th>run</th><th>status</th><th>time (s)</th><th>held-out fit</th><th>inputs that matter</th>{% for key in param_keys %}<th>{{ key }}</th>{% endfor %}<th>message</th></tr></thead>
<tbody>
{% for run in runs %}
<tr class="{{ run.css }}"><td class="run">{{ run_link(run) }}</td><td class="status {{ run.css }}">{{ run.status }}</td><td class="num">{{ run.time }}</td><td>{{ run.fit }}</td><td>{{ run.matters }}</td>
{%- for cell in run.cells %}<td class="param">{{ cell.text }}{% if cell.default %} <span class="default">(default)</span>{% endif %}</td>{% endfor -%}
{%- if run.css == "failed" %}<td class="message"><a href="#failed">the message is above</a></td>{% else %}<td class="message">{{ run.message }}</td>{% endif %}</tr>
{% endfor %}
</tbody>
</table></div>
{% if figures %}
<h2 id="figures">Comparison across runs</h2>
<p class="note">Each measure is scaled so that its absolute values sum to 1 in every run; bars are the mean
over the runs that share the other settings, error bars one standard deviation over them (over seeds, in
the default batch).</p>
{% for figure in figures %}
<figure><img src="{{ figure.src }}" alt="{{ figure.caption }}"><figcaption>{{ figure.caption }}</figcaption></figure>
{% endfor %}
{% endif %}
{% if agreement_rows %}
<h2 id="agreement">Agreement with the truth (mean and standard deviation over runs)</h2>
<table>
<thead><tr><th>measure</th>{% for column in agreement_columns %}<th>{{ column }}</th>{% endfor %}<th>runs</th></tr></thead>
<tbody>
{% for row in agreement_rows %}
<tr><td>{{ row.method }}</td>{% for cell in row.cells %}<td class="num">{{ cell }}</td>{% endfor %}<td class="num">{{ row.runs }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}
{% endblock %}
"""

_ERROR = """{% extends "base.html.j2" %}
{% block body %}
<nav><a href="../../index.html">&larr; All runs</a></nav>
<h1>This run failed</h1>
<p>Run <strong>{{ run_id }}</strong> stopped with an error; it has no report.</p>
<h2 id="what-failed">What failed</h2>
<pre class="message">{{ error }}</pre>
<h2 id="what-to-try">What to try</h2>
<p class="hint">{{ hint or "Check the data file and the parameters below." }}</p>
{% if notebook_name %}
<p>The full traceback is in the executed notebook
<a href="{{ notebook_href }}">{{ notebook_name }}</a> beside this page (open it in Jupyter).</p>
{% else %}
<p>The run stopped before its notebook ran: there is no executed notebook.</p>
{% endif %}
<h2 id="parameters">Parameters</h2>
{% if params %}
<table>
<thead><tr><th>parameter</th><th>value</th></tr></thead>
<tbody>
{% for key, value in params %}
<tr><td>{{ key }}</td><td>{{ value }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>None: the notebook's defaults.</p>
{% endif %}
<p><a href="../../index.html">Back to all runs</a></p>
{% endblock %}
"""


class _DataURI(str):
    """A figure's ``data:image/png;base64,...`` source: shown as it is (still escaped), not
    searched for machine paths, whose pattern base64 text can contain by chance."""


_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _finalize(value):
    """Each value a template prints, before it is escaped: machine paths replaced by their labels
    (so that a label such as ``<kit>`` is escaped like the rest), None printed as nothing."""
    from markupsafe import Markup

    if value is None:
        return ""
    if isinstance(value, Markup):  # a macro's output: built from values already scrubbed and escaped
        return value
    if isinstance(value, _DataURI):
        return str(value)
    if isinstance(value, str):
        return scrub_text(value)
    return value


_ENV = None


def _env():
    global _ENV
    if _ENV is None:
        from jinja2 import DictLoader, Environment, StrictUndefined

        _ENV = Environment(loader=DictLoader({"base.html.j2": _BASE, "index.html.j2": _INDEX,
                                              "error.html.j2": _ERROR}),
                           autoescape=True, undefined=StrictUndefined, finalize=_finalize,
                           trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return _ENV


def _render(template: str, **context) -> str:
    from markupsafe import Markup

    # the module's own style sheet, inserted as it is: inside <style> an entity is not decoded,
    # so an escaped quote would break the rule it is in
    return _env().get_template(template).render(css=Markup(_CSS), csp=_CSP, **context)


def _segment(text: str) -> str:
    """``text`` as one URL path segment: every character that is not a letter, digit or
    ``_.-~`` percent-encoded, so that no id can become a scheme, a query or another folder."""
    return quote(str(text), safe="")


# ---------------------------------------------------------------- the index
def _pm(mean, std) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return ""
    return f"{mean:.2f}" + ("" if std is None or math.isnan(std) else f" \u00b1 {std:.2f}")


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def write_index(out: Path, runs_table, agreement, figures, param_keys: list[str], title: str, *,
                defaults: dict | None = None) -> Path:
    """Write ``out/index.html``: one self-contained page (styles inline, figures as data URIs).

    Parameters
    ----------
    out : Path
        The batch's folder.
    runs_table : DataFrame
        One row per run, as ``collect`` returns it (``run_id``, ``status``, the parameters,
        ``duration``, ``error``, ``skipped``, and optionally ``hint``).
    agreement : DataFrame or None
        The runs' agreement with the truth, as ``collect`` returns it.
    figures : list of (str, str)
        (caption, base64 PNG) pairs, as ``_figures`` returns them.
    param_keys : list of str
        The parameters shown as columns.
    title : str
        The page's title and heading.
    defaults : dict, optional
        The notebook's default value of each parameter: a run that leaves a shown parameter
        unset has its default in that cell, marked "(default)", instead of an empty cell.

    Returns
    -------
    Path
        ``out/index.html``, written atomically.

    Notes
    -----
    The runs table puts what a reader looks for first (the run, its status and time, its held-out
    fit, the inputs that matter) before the parameters that differ between runs; long values wrap
    (parameter cells have a maximum width), so that the table fits the page.

    A run links to ``runs/<run-id>/report.html`` when that page exists (the report of a finished
    run, the error page of a failed one); an interrupted run has no page unless an earlier call
    left one.
    """
    out = Path(out)
    records = runs_table.to_dict("records")
    # the table shows what differs between runs; what every run shares is said once above it
    varying = [k for k in param_keys if len({_cell(r.get(k)) for r in records}) > 1] if len(records) > 1 else []
    shared = [(k, _cell(records[0].get(k))) for k in param_keys if k not in varying and records
              and _cell(records[0].get(k)) != ""]
    param_keys = varying
    defaults = defaults or {}

    def param_cell(key, value) -> dict:
        text = _cell(value) if not _is_missing(value) else ""
        if text == "" and key in defaults:
            return {"text": _cell(defaults[key]), "default": True}
        return {"text": text, "default": False}

    runs = []
    for row in records:
        status = str(row["status"])
        run_id = str(row["run_id"])
        has_page = (out / "runs" / run_id / PAGE).is_file()
        duration = row.get("duration")
        error = "" if _is_missing(row.get("error")) else str(row.get("error"))
        hint = "" if _is_missing(row.get("hint")) else str(row.get("hint"))
        if status == "interrupted":
            message = error or "not done: stopped before it finished"
        elif status == "ok" and not _is_missing(row.get("skipped")) and bool(row.get("skipped")):
            message = "skipped: done before"
        else:
            message = error
        runs.append({"run_id": run_id, "status": status, "error": error, "hint": hint, "message": message,
                     "href": f"runs/{_segment(run_id)}/{PAGE}" if has_page else "",
                     "css": status if status in STATUSES else "failed",
                     "cells": [param_cell(k, row.get(k)) for k in param_keys],
                     "matters": "" if _is_missing(row.get("matters")) else str(row.get("matters")),
                     "fit": "" if _is_missing(row.get("fit")) else str(row.get("fit")),
                     "time": "" if _is_missing(duration) else f"{float(duration):.1f}"})
    known = [f"{sum(r['status'] == s for r in runs)} {s}" for s in STATUSES
             if s != "interrupted" or any(r["status"] == s for r in runs)]
    others = list(dict.fromkeys(r["status"] for r in runs if r["status"] not in STATUSES))
    counts = known + [f"{sum(r['status'] == s for r in runs)} {s}" for s in others]

    agreement_columns, agreement_rows = [], []
    if agreement is not None and "spearman" in agreement:
        agreement_columns = [c for c in ("spearman", "kendall", "topk_recall") if c in agreement]
        table = agreement.groupby("method", sort=False)[agreement_columns].agg(["mean", "std"])
        sizes = agreement.groupby("method", sort=False).size()
        for method, row in table.iterrows():
            agreement_rows.append({"method": str(method), "runs": int(sizes[method]),
                                   "cells": [_pm(row[(c, "mean")], row[(c, "std")]) for c in agreement_columns]})

    shown = [{"caption": caption, "src": _DataURI(f"data:image/png;base64,{png}")}
             for caption, png in figures if isinstance(png, str) and _B64.fullmatch(png)]
    page = _render("index.html.j2", title=title, runs=runs, counts=counts, param_keys=list(param_keys), shared=shared,
                   failed=[r for r in runs if r["css"] == "failed"],
                   interrupted=[r for r in runs if r["status"] == "interrupted"],
                   has_agreement=agreement is not None, figures=shown,
                   has_verdicts=(out / "verdict.csv").is_file(), fold_at=FOLD_AT,
                   agreement_columns=agreement_columns, agreement_rows=agreement_rows)
    path = out / "index.html"
    _write_atomically(path, page)
    return path


def _write_atomically(path: Path, text: str) -> None:
    """Write a file under a temporary name and rename it: a reader sees the old or the new file,
    never half of one."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_outputs(plan, out, statuses: list[dict], title: str) -> Path:
    """Write ``summary.csv``, ``verdict.csv`` and ``agreement.csv`` (each removed when no run has
    one) and ``index.html`` for the runs of ``plan``; returns the index's path."""
    out = Path(out)
    summary, agreement, runs_table, param_keys = collect(plan, out, statuses)
    _write_atomically(out / "summary.csv", summary.to_csv(index=False))
    verdicts = collect_verdicts(plan, out, statuses)
    if verdicts is not None:
        _write_atomically(out / "verdict.csv", verdicts.to_csv(index=False))
    elif (out / "verdict.csv").exists():
        (out / "verdict.csv").unlink()
    if agreement is not None:
        _write_atomically(out / "agreement.csv", agreement.to_csv(index=False))
    elif (out / "agreement.csv").exists():
        (out / "agreement.csv").unlink()
    defaults = _defaults(plan)
    figures = _figures(summary, agreement, _group_keys(plan, param_keys), defaults)
    return write_index(out, runs_table, agreement, figures, param_keys, title, defaults=defaults)


def _defaults(plan) -> dict:
    """The notebook's default value of each parameter, from ``plan.notebook_params`` (name ->
    ``Parameter``) when the plan has them, else nothing."""
    return {name: getattr(par, "default", par) for name, par in (getattr(plan, "notebook_params", None) or {}).items()}


# ---------------------------------------------------------------- a failed run
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*File \"|^-{10,}$|^\s*Cell In\[", re.M)


def _message(error) -> str:
    """The error as the page shows it: without terminal colours, and only the last line of a
    traceback (the page points to the notebook for the rest)."""
    text = _ANSI.sub("", "" if error is None else str(error)).strip()
    if _TRACEBACK.search(text):
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        text = lines[-1] if lines else ""
    return text or "unknown error"


_HINTS = (
    (re.compile(r"took longer than|CellTimeoutError|TimeoutError|timed out", re.I),
     "The run took longer than {limit}: raise --run-timeout, or lower epochs or n_samples."),
    (re.compile(r"DeadKernelError|kernel died|MemoryError|out of memory|Unable to allocate", re.I),
     "The kernel ran out of memory or died: use fewer rows (n_samples) or fewer measures."),
    (re.compile(r"FileNotFoundError|no such file", re.I),
     "Check the file's path: a relative path in a config starts from the config file's folder."),
    (re.compile(r"^ValueError\b.*(\bcolumns?\b|\brows?\b|\bCSV\b|\.csv\b|\btarget\b)", re.I | re.S),
     "Fix the named column or row in the CSV file (rows count from 1 after the header), or remove "
     "that column from the file, or set target to the right column."),
)
_LIMIT = re.compile(r"took longer than\s*(\d+(?:\.\d+)?)\s*s\b|after\s*(\d+(?:\.\d+)?)\s*seconds", re.I)


def hint_for(error: str | None) -> str | None:
    """What to try for an error, by its kind, or None when there is nothing better to say than
    "check the data file and the parameters".

    Parameters
    ----------
    error : str or None
        The run's error, one line such as ``ValueError: column 'flow', row 8: 'oops' is not a number``.

    Returns
    -------
    str or None
        A timeout: raise ``--run-timeout`` or lower ``epochs`` / ``n_samples``. A dead kernel or
        a MemoryError: fewer rows or measures. A missing file: the path rule. A ValueError about
        the data (a column, a row, the CSV, the target): fix the named cell or leave the column out.

    Examples
    --------
    >>> hint_for("TimeoutError: the run took longer than 600 s")
    'The run took longer than 600 s: raise --run-timeout, or lower epochs or n_samples.'
    >>> hint_for("KeyError: 'x'") is None
    True
    """
    text = _message(error) if error else ""
    for pattern, hint in _HINTS:
        if pattern.search(text):
            if "{limit}" in hint:
                found = _LIMIT.search(text)
                limit = f"{next(g for g in found.groups() if g)} s" if found else "its time limit"
                hint = hint.format(limit=limit)
            return hint
    return None


def error_page(*, run_id: str, error: str, params: dict, hint: str | None = None,
               notebook_name: str | None = "report.ipynb", title: str | None = None) -> str:
    """The page of a failed run: a short, self-contained, offline HTML page.

    It says that the run failed, what failed (the error's message as text, the last line when
    given a whole traceback), what to try (``hint``, or a generic line), where the full traceback
    is (the executed notebook beside the page, linked), the run's parameters, and links back to
    ``../../index.html``. Every value is escaped: text, never markup.

    Parameters
    ----------
    run_id : str
        The run's id (its folder's name).
    error : str
        The error, for example ``ValueError: column 'flow', row 8: 'oops' is not a number``.
    params : dict
        The run's parameters, shown as a table.
    hint : str, optional
        What to try; default: "Check the data file and the parameters below." (``hint_for``
        gives one by the kind of error).
    notebook_name : str or None, default "report.ipynb"
        The executed notebook's file name, in the same folder as the page; None when the run
        stopped before the notebook ran (the page then says there is no executed notebook).
    title : str, optional
        The page's title; default ``"Run failed: <run_id>"``.

    Returns
    -------
    str
        The page.
    """
    rows = [(str(key), _cell(value)) for key, value in (params or {}).items()]
    return _render("error.html.j2", title=title if title is not None else f"Run failed: {run_id}",
                   run_id=str(run_id), error=_message(error), hint=hint or "", params=rows,
                   notebook_name=str(notebook_name or ""), notebook_href=_segment(notebook_name or ""))

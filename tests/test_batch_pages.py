"""The batch's pages (helpers.batch_pages) without running a notebook: a fake plan, small
``importance.csv`` files in ``out/runs/<id>/``, and the pages parsed with ``html.parser``.

Whatever a user gives (run ids, parameter values, error messages, feature and measure names)
must reach a page as text: every page is parsed, and must hold no script or svg element, no
``on*`` attribute and no ``javascript:`` link, while the hostile strings are there as data.
``test_the_check_catches_an_unescaped_page`` shows that the check fails on a page that does not
escape.
"""
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import pandas as pd
import pytest

from helpers.batch_pages import error_page, hint_for, write_outputs
from helpers.notebook_runner import KIT_ROOT

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = "<svg onload=alert(1)>"
JS = "javascript:alert(1)"
HOSTILE = (SCRIPT, IMG, SVG, JS)

FEATURES = ["x1", SCRIPT, IMG, "$\\frac$"]  # the last: a label matplotlib would parse as a formula
METHODS = ["gradient", SVG]
DATA_ERROR = "ValueError: column 'flow', row 8: 'oops' is not a number"


class Page(HTMLParser):
    """A parsed page: its text, its table rows, its links, and what would run as markup."""

    FORBIDDEN = {"script", "svg", "math", "iframe", "object", "embed", "base", "form"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.problems, self.chunks, self.rows, self.links, self.tags = [], [], [], [], []
        self._row = self._cell = self._link = None
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in self.FORBIDDEN:
            self.problems.append(f"a <{tag}> element")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"an {name} attribute on <{tag}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value.startswith(("javascript:", "vbscript:")):
                self.problems.append(f"{name}={value!r} on <{tag}>")
            if tag == "a" and name == "href" and value.startswith("data:"):
                self.problems.append(f"a data: link {value[:30]!r}")
        if tag == "img" and not (dict(attrs).get("src") or "").startswith("data:image/png;base64,"):
            self.problems.append(f"an <img> that is not one of the page's figures: {dict(attrs).get('src')!r}")
        if tag == "link" or (tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh"):
            self.problems.append(f"a <{tag}> that loads or goes elsewhere")
        if tag == "tr":
            self._row = []
            self.rows.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._row.append(self._cell)
        elif tag == "a":
            self._link = (dict(attrs).get("href"), [])
            self.links.append(self._link)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "a":
            self._link = None

    def handle_data(self, data):
        self.chunks.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._link is not None:
            self._link[1].append(data)

    def table(self) -> list[list[str]]:
        return [["".join(cell) for cell in row] for row in self.rows]

    def hrefs(self) -> dict[str, str]:
        """Link text -> href."""
        return {"".join(text): href for href, text in self.links}


def assert_text_not_markup(html: str, strings=HOSTILE) -> Page:
    page = Page(html)
    assert page.problems == [], page.problems
    for text in strings:
        assert text in page.text, f"{text!r} is not on the page as text"
    return page


# ---------------------------------------------------------------- the check itself
def test_the_check_catches_an_unescaped_page():
    """The same strings pasted into a page without escaping: the check finds each of them."""
    raw = (f"<html><head><title>{SCRIPT}</title></head><body><h1>{SCRIPT}</h1><table><tr><td>{IMG}</td>"
           f"<td>{SVG}</td></tr></table><a href=\"{JS}\">notebook</a></body></html>")
    problems = Page(raw).problems
    assert any("<script>" in p for p in problems)
    assert any("onerror" in p for p in problems)
    assert any("<svg>" in p for p in problems) and any("onload" in p for p in problems)
    assert any("javascript:" in p for p in problems)
    with pytest.raises(AssertionError):
        assert_text_not_markup(raw)


# ---------------------------------------------------------------- a batch's folder
def _importance(run_dir: Path, scale: float) -> None:
    rows = [{"method": m, "feature": f, "importance": scale * (j + 1) * (i + 1), "std": 0.1}
            for i, m in enumerate(METHODS) for j, f in enumerate(FEATURES)]
    pd.DataFrame(rows).to_csv(run_dir / "importance.csv", index=False)
    pd.DataFrame({"method": METHODS, "spearman": [0.8, 0.4 * scale], "kendall": [0.6, 0.3]}).to_csv(
        run_dir / "agreement.csv", index=False)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Six runs: two ok (one skipped), two failed (one with its error page, one that never
    started), two interrupted (one with a page an earlier call left). Hostile strings in run
    ids, parameter values, the error, the hint, feature and measure names and the title."""
    out = tmp_path_factory.mktemp("batch") / "out"
    run = SimpleNamespace
    runs = [run(run_id="dataset-friedman1_seed-0", params={"dataset": "friedman1", "seed": 0, "note": SVG}),
            run(run_id=IMG, params={"dataset": "friedman1", "seed": 1, "note": JS}),
            run(run_id=JS, params={"dataset": "bad.csv", "seed": 0, "note": SCRIPT,
                                   "measures": ["gradient", IMG]}),
            run(run_id=SCRIPT, params={"dataset": "friedman1", "seed": 2, "note": "n"}),
            run(run_id="dataset-friedman1_seed-3", params={"dataset": "friedman1", "seed": 3, "note": "n"}),
            run(run_id="dataset-friedman1_seed-4", params={"dataset": "friedman1", "seed": 4, "note": "n"})]
    error = f"ValueError: column {IMG!r}, row 8: {SCRIPT!r} is not a number"
    statuses = [{"status": "ok", "duration": 3.21},
                {"status": "ok", "duration": 2.0, "skipped": True},
                {"status": "failed", "duration": 1.0, "error": error, "hint": f"{hint_for(error)} {SVG}"},
                {"status": "failed", "duration": 0.0, "error": f"RuntimeError: could not start {SVG}"},
                {"status": "interrupted", "duration": None},
                {"status": "interrupted", "duration": 4.0}]
    for r, scale, flag in ((runs[0], 1.0, ""), (runs[1], 1.5, "learned nothing")):
        (out / "runs" / r.run_id).mkdir(parents=True)
        _importance(out / "runs" / r.run_id, scale)
        pd.DataFrame({"model": ["net", "linear", "constant"], "metric": "R^2", "held_out": [0.9 / scale, 0.5, 0.0],
                      "loss": [1.0, 2.0, 4.0], "train": [0.95, None, None], "flag": [flag, "", ""]}).to_csv(
            out / "runs" / r.run_id / "fit.csv", index=False)
        (out / "runs" / r.run_id / "report.html").write_text("<!DOCTYPE html><title>report</title>")
    failed_dir = out / "runs" / JS
    failed_dir.mkdir(parents=True)
    (failed_dir / "report.html").write_text(error_page(run_id=JS, error=error, params=runs[2].params,
                                                       hint=statuses[2]["hint"]))
    left = out / "runs" / "dataset-friedman1_seed-4"
    left.mkdir(parents=True)
    (left / "report.html").write_text("<!DOCTYPE html><title>an earlier report</title>")
    plan = SimpleNamespace(runs=runs)
    index = write_outputs(plan, out, statuses, title=f"Batch report: {SCRIPT}")
    return SimpleNamespace(out=out, plan=plan, statuses=statuses, index=index, error=error,
                           html=index.read_text(encoding="utf-8"))


def test_index_lists_every_run_with_its_status_and_link(batch):
    page = Page(batch.html)
    rows = {row[0]: row for row in page.table()[1:] if row}
    header = page.table()[0]
    status_col = header.index("status")
    expected = {"dataset-friedman1_seed-0": "ok", IMG: "ok", JS: "failed", SCRIPT: "failed",
                "dataset-friedman1_seed-3": "interrupted", "dataset-friedman1_seed-4": "interrupted"}
    assert {run_id: rows[run_id][status_col] for run_id in expected} == expected
    # what a reader looks for first, then the parameters that differ between runs
    assert header[:5] == ["run", "status", "time (s)", "held-out fit", "inputs that matter"]
    assert header[5:8] == ["dataset", "seed", "note"] and header[-1] == "message"
    assert rows[IMG][header.index("message")] == "skipped: done before"
    assert rows["dataset-friedman1_seed-0"][header.index("time (s)")] == "3.2"

    links = page.hrefs()
    assert links["dataset-friedman1_seed-0"] == "runs/dataset-friedman1_seed-0/report.html"
    assert links[IMG] == "runs/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/report.html"
    assert links[JS] == "runs/javascript%3Aalert%281%29/report.html"  # the error page: a path, not a scheme
    assert links["dataset-friedman1_seed-4"] == "runs/dataset-friedman1_seed-4/report.html"  # left by an earlier call
    assert SCRIPT not in links and "dataset-friedman1_seed-3" not in links  # no page: no link
    for href in links.values():  # every link resolves to a file in the folder
        if href.startswith("runs/"):
            assert (batch.out / unquote(href)).is_file(), href


def test_a_wide_runs_table_scrolls_inside_the_page(batch):
    """Many parameters and long messages make the runs table wider than a laptop's window: it
    scrolls in its own box (overflow-x: auto) instead of being cut off at the page's edge."""
    box = re.search(r'<div class="scroll" id="runs-table">\s*<table>(.*?)</table>\s*</div>', batch.html, re.S)
    assert box and "<th>run</th>" in box.group(1)
    assert re.search(r"\.scroll \{ overflow-x: auto;", batch.html)


def test_index_shows_each_runs_fit_beside_the_linear_model(batch):
    """The held-out fit of each finished run (from its fit.csv), with the linear model's beside it
    and the verdict's flag; nothing for a run that did not finish."""
    page = Page(batch.html)
    header = page.table()[0]
    rows = {row[0]: row for row in page.table()[1:] if row}
    column = header.index("held-out fit")
    assert rows["dataset-friedman1_seed-0"][column] == "R^2 0.90 (linear 0.50)"
    assert rows[IMG][column] == "R^2 0.60 (linear 0.50): learned nothing"
    assert rows[JS][column] == "" and rows["dataset-friedman1_seed-3"][column] == ""


def test_a_long_message_is_folded_and_kept_whole(tmp_path):
    """A failed run's message of many lines or characters opens folded (its first characters
    show) and is on the page whole, as text."""
    from helpers.batch_pages import FOLD_AT

    long = "ValueError: the config has 12 errors:\n" + "\n".join(
        f"  - key {k}: {SCRIPT} is not allowed, and here is why at some length" for k in range(12))
    run = SimpleNamespace(run_id="r", params={"seed": 0})
    html = write_outputs(SimpleNamespace(runs=[run]), tmp_path, [{"status": "failed", "error": long}],
                         title="t").read_text()
    page = assert_text_not_markup(html, [SCRIPT])
    assert page.tags.count("details") == 1 and page.tags.count("summary") == 1
    assert " ".join(long.split()) in " ".join(page.text.split())
    summary = html[html.index("<summary>"):html.index("</summary>")]
    assert "key 3" not in summary and len(Page(summary).text) <= FOLD_AT + 1
    (tmp_path / "short").mkdir()
    short = write_outputs(SimpleNamespace(runs=[run]), tmp_path / "short",
                          [{"status": "failed", "error": "ValueError: one line"}], title="t").read_text()
    assert "<details>" not in short


def test_a_chart_of_more_than_40_bars_gets_a_facet_per_measure():
    """100 inputs x 3 measures: one facet per measure, the 40 inputs with the largest mean share
    drawn (the title says so); 4 inputs x 3 measures stay in one chart."""
    import seaborn as sns

    from helpers.batch_pages import _importance_figure
    from helpers.plots import MAX_BARS

    def part(n_features):
        rows = [{"run_id": "r", "method": m, "feature": f"x{j}", "normalised": (j + 1) / n_features}
                for m in ("gradient", "permutation", "shapley") for j in range(n_features)]
        return pd.DataFrame(rows)
    _, fig = _importance_figure(sns, "all runs", part(100))
    assert len(fig.axes) == 3
    drawn = [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    assert len(drawn) == MAX_BARS and "x99" in drawn and "x0" not in drawn
    assert "the 40 inputs with the largest mean share" in fig._suptitle.get_text()
    _, fig = _importance_figure(sns, "all runs", part(4))
    assert len(fig.axes) == 1 and len(fig.axes[0].patches) >= 12


def test_drawing_the_index_leaves_the_callers_plotting_alone(tmp_path):
    """A notebook that runs a batch in its own process (chapter 13) keeps its backend, its style
    and its open figures: the index's figures are drawn without pyplot, in contexts that end."""
    import matplotlib
    import matplotlib.pyplot as plt

    from helpers.batch_pages import _figures

    plt.figure()
    before = (matplotlib.get_backend(), dict(matplotlib.rcParams), plt.get_fignums())
    summary = pd.DataFrame({"run_id": ["a", "a", "b", "b"], "status": "ok", "method": "gradient",
                            "feature": ["x1", "x2", "x1", "x2"], "importance": [1.0, 2.0, 1.5, 2.5],
                            "seed": [0, 0, 1, 1]})
    agreement = pd.DataFrame({"run_id": ["a", "b"], "method": "gradient", "spearman": [0.5, 0.7], "seed": [0, 1]})
    assert len(_figures(summary, agreement, ["seed"])) == 3
    after = (matplotlib.get_backend(), dict(matplotlib.rcParams), plt.get_fignums())
    assert after == before
    plt.close("all")


def test_index_counts_ok_failed_and_interrupted(batch):
    page = Page(batch.html)
    assert "6 runs: 2 ok, 2 failed, 2 interrupted." in " ".join(page.text.split())
    text = " ".join(page.text.split())
    assert "Failed runs" in text and "Interrupted runs" in text
    assert f"What to try: {hint_for(batch.error)} {SVG}" in text  # the hint beside the failed run's message


def test_hostile_strings_reach_the_index_as_text(batch):
    page = assert_text_not_markup(batch.html)
    assert f"Batch report: {SCRIPT}" in page.text  # the title
    assert batch.error in page.text  # the message
    assert f"RuntimeError: could not start {SVG}" in page.text
    assert f"gradient,{IMG}" in page.text  # a list-valued parameter
    assert SVG in [row[0] for row in page.table()]  # a measure name in the agreement table
    assert page.tags.count("img") == 3  # one figure per group (note differs) and the agreement figure


def test_summary_has_one_row_per_run_measure_and_feature(batch):
    summary = pd.read_csv(batch.out / "summary.csv", keep_default_na=False, na_values=[""])
    ok = summary[summary["status"] == "ok"]
    assert ok.groupby("run_id").size().to_dict() == {"dataset-friedman1_seed-0": 8, IMG: 8}
    assert set(zip(ok["method"], ok["feature"])) == {(m, f) for m in METHODS for f in FEATURES}  # verbatim
    not_done = summary[summary["status"] != "ok"]
    assert sorted(not_done["run_id"]) == sorted([JS, SCRIPT, "dataset-friedman1_seed-3", "dataset-friedman1_seed-4"])
    assert not_done["method"].isna().all() and not_done["importance"].isna().all()
    assert list(summary.columns[:6]) == ["run_id", "status", "dataset", "seed", "note", "measures"]
    agreement = pd.read_csv(batch.out / "agreement.csv")
    assert len(agreement) == 2 * len(METHODS) and set(agreement["run_id"]) == {"dataset-friedman1_seed-0", IMG}


def test_no_agreement_file_when_no_run_has_one(tmp_path):
    out = tmp_path / "out"
    (out / "runs" / "a").mkdir(parents=True)
    pd.DataFrame({"method": ["gradient"], "feature": ["x1"], "importance": [1.0], "std": [0.0]}).to_csv(
        out / "runs" / "a" / "importance.csv", index=False)
    (out / "agreement.csv").write_text("stale\n")
    plan = SimpleNamespace(runs=[SimpleNamespace(run_id="a", params={"seed": 0})])
    html = write_outputs(plan, out, [{"status": "ok", "duration": 1.0}], title="t").read_text()
    assert not (out / "agreement.csv").exists()
    page = assert_text_not_markup(html, strings=())
    assert "1 run: 1 ok, 0 failed." in " ".join(page.text.split())
    assert "agreement.csv" not in page.hrefs().values()


def test_machine_paths_become_labels_shown_as_text(tmp_path):
    """A path of this machine in a message becomes its label (``<kit>``), and the label is text."""
    out = tmp_path / "out"
    out.mkdir()
    plan = SimpleNamespace(runs=[SimpleNamespace(run_id="a", params={"dataset": str(KIT_ROOT / "data" / "x.csv")})])
    error = f"ValueError: no such file: '{KIT_ROOT / 'data' / 'x.csv'}'"
    html = write_outputs(plan, out, [{"status": "failed", "error": error}], title="t").read_text()
    page = assert_text_not_markup(html, strings=("ValueError: no such file: '<kit>/data/x.csv'",))
    assert "kit" not in page.tags and str(KIT_ROOT) not in html


# ---------------------------------------------------------------- the error page
PARAMS = {"dataset": "bad.csv", "target": "y", "epochs": 150, "measures": ["weight_sum", "gradient"]}


def test_error_page_says_what_failed_and_what_to_try():
    html = error_page(run_id="dataset-bad_target-y", error=DATA_ERROR, params=PARAMS, hint=hint_for(DATA_ERROR))
    page = assert_text_not_markup(html, strings=("This run failed", DATA_ERROR, hint_for(DATA_ERROR)))
    assert ["dataset", "bad.csv"] in page.table() and ["epochs", "150"] in page.table()
    assert ["measures", "weight_sum,gradient"] in page.table()
    text = " ".join(page.text.split())
    assert "The full traceback is in the executed notebook report.ipynb beside this page" in text
    assert page.hrefs()["report.ipynb"] == "report.ipynb"
    assert "../../index.html" in page.hrefs().values()
    assert "Traceback" not in html and 'File "' not in html and "helpers" not in html
    assert "<title>Run failed: dataset-bad_target-y</title>" in html


def test_error_page_without_a_hint_says_what_to_check():
    page = Page(error_page(run_id="r", error="KeyError: 'x'", params={}, notebook_name="my report.ipynb"))
    text = " ".join(page.text.split())
    assert "Check the data file and the parameters" in text
    assert page.hrefs()["my report.ipynb"] == "my%20report.ipynb"
    assert "the notebook's defaults" in text  # no parameters


def test_error_page_shows_the_last_line_of_a_traceback():
    traceback = ("\x1b[0;31m---------------------------------------------------------------------------\x1b[0m\n"
                 "Traceback (most recent call last)\n"
                 '  File "/work/main/helpers/data.py", line 663, in read_csv\n'
                 "    raise ValueError(...)\n"
                 f"{DATA_ERROR}\n")
    html = error_page(run_id="r", error=traceback, params=PARAMS)
    page = assert_text_not_markup(html, strings=(DATA_ERROR,))
    assert "Traceback" not in page.text and "data.py" not in page.text and "\x1b" not in html


def test_hostile_strings_reach_the_error_page_as_text():
    error = f"ValueError: column {IMG!r}, row 8: {SCRIPT!r} is not a number"
    html = error_page(run_id=SCRIPT, error=error, params={SVG: JS, "note": SCRIPT, "list": [IMG, SVG]},
                      hint=f"try {SVG}", notebook_name=JS, title=f"Run failed: {IMG}")
    page = assert_text_not_markup(html)
    assert error in page.text and f"try {SVG}" in page.text and f"Run failed: {IMG}" in page.text
    assert [SVG, JS] in page.table() and ["list", f"{IMG},{SVG}"] in page.table()
    assert page.hrefs()[JS] == "javascript%3Aalert%281%29"  # a file beside the page, not a scheme


def test_error_page_of_a_run_that_never_reached_its_notebook():
    page = Page(error_page(run_id="r", error="RuntimeError: the kit differs", params=PARAMS, notebook_name=None))
    assert "there is no executed notebook" in " ".join(page.text.split())
    assert set(page.hrefs().values()) == {"../../index.html"}


def test_the_style_sheet_is_not_escaped(batch):
    """Inside <style> an entity is not decoded: an escaped quote would drop the font rule."""
    from helpers.batch_pages import _CSS
    for html in (batch.html, error_page(run_id="r", error="e", params={})):
        style = html[html.index("<style>") + len("<style>"):html.index("</style>")]
        assert style == _CSS and "&#" not in style and "&quot;" not in style


def test_figure_captions_name_the_varying_values(batch):
    captions = [text for text in Page(batch.html).text.split("\n") if text.startswith("Importance by input")]
    assert captions == [f"Importance by input and measure: dataset friedman1, note {SVG}",
                        f"Importance by input and measure: dataset friedman1, note {JS}"]


def test_pages_are_offline_and_run_no_script(batch):
    for html in (batch.html, (batch.out / "runs" / JS / "report.html").read_text()):
        page = Page(html)
        assert page.problems == [] and "script" not in page.tags and "link" not in page.tags
        assert "http://" not in html and "https://" not in html and "@import" not in html
        assert "Content-Security-Policy" in html and "default-src &#39;none&#39;" in html


# ---------------------------------------------------------------- hints
@pytest.mark.parametrize("error, expected", [
    (DATA_ERROR, "Fix the named column or row in the CSV file"),
    ("ValueError: data/x.csv: the target column 'z' is not in the file; the columns are: a, b", "CSV file"),
    ("TimeoutError: the run took longer than 600 s", "took longer than 600 s: raise --run-timeout, or lower epochs or n_samples"),
    ("CellTimeoutError: A cell timed out while it was being executed, after 30 seconds.", "took longer than 30 s"),
    ("DeadKernelError: Kernel died", "fewer rows (n_samples) or fewer measures"),
    ("MemoryError: Unable to allocate 8.00 GiB for an array", "fewer rows (n_samples) or fewer measures"),
    ("ValueError: no such file: 'data/missing.csv'", "relative path in a config starts from the config file's folder"),
    ("KeyError: 'x'", None),
    ("ValueError: seed must be a non-negative integer, got -1", None),
    ("", None),
    (None, None),
])
def test_hint_by_kind_of_error(error, expected):
    hint = hint_for(error)
    if expected is None:
        assert hint is None
    else:
        assert hint is not None and expected in hint, hint


def test_the_index_names_groups_that_matter_only_together(tmp_path):
    """Correlated inputs that each can stand in for the other are 'unclear' alone; the run's
    groups.csv says the group matters, and the index says so instead of 'none'."""
    from helpers.batch_pages import _matters

    pd.DataFrame({"feature": ["x1", "x2", "x3"], "verdict": ["unclear", "unclear", "does not matter"],
                  "importance": [0.1, 0.1, 0.0], "low": [-0.1, -0.1, -0.01], "high": [0.3, 0.3, 0.01],
                  "rank": [1, 2, 3], "group": ["x1+x2", "x1+x2", ""]}).to_csv(tmp_path / "verdict.csv", index=False)
    assert _matters(tmp_path) == "none"
    pd.DataFrame({"group": ["x1+x2"], "verdict": ["matters"], "importance": [2.0], "low": [1.5], "high": [2.5],
                  "together_only": [True]}).to_csv(tmp_path / "groups.csv", index=False)
    assert _matters(tmp_path) == "x1+x2 together"


# ---------------------------------------------------------------- readable at the page's size
LONG_PATH = "/srv/projects/clinical_trial_2026/cleaned_and_merged_measurements_v3.csv"  # 70 characters
LONG_TARGET = "disease_progression_one_year_after_baseline"
LONG_FEATURES = ["lin", "quad", "ia", "ib", "noise1", IMG, "copy_of_lin", "dupA", "dupB", "region"]


def _finished_run(run_dir: Path, features, methods=("permutation", "gradient")) -> None:
    """A run folder as the report leaves it: importance, fit and verdict."""
    run_dir.mkdir(parents=True)
    rows = [{"method": m, "feature": f, "importance": (j + 1) * (i + 1), "std": 0.1}
            for i, m in enumerate(methods) for j, f in enumerate(features)]
    pd.DataFrame(rows).to_csv(run_dir / "importance.csv", index=False)
    pd.DataFrame({"model": ["net", "linear", "constant"], "metric": "R^2", "held_out": [0.79, 0.57, 0.0],
                  "loss": [1.0, 2.0, 4.0], "train": [0.9, None, None], "flag": ["", "", ""]}).to_csv(
        run_dir / "fit.csv", index=False)
    pd.DataFrame({"feature": features, "verdict": ["matters"] * 3 + ["does not matter"] * (len(features) - 3),
                  "importance": 1.0, "low": 0.5, "high": 1.5, "rank": range(1, len(features) + 1),
                  "group": ""}).to_csv(run_dir / "verdict.csv", index=False)
    (run_dir / "report.html").write_text("<!DOCTYPE html><title>report</title>")


@pytest.fixture(scope="module")
def wide_batch(tmp_path_factory):
    """The audit's batch (a grid of seeds, then two explicit runs, one with a 70-character data
    path and a long target name), with the notebook's defaults known, as ``batch.load_config``
    gives them."""
    out = tmp_path_factory.mktemp("wide") / "out"
    shared = {"measures": ["permutation", "gradient"], "epochs": 200}
    runs = [SimpleNamespace(run_id="seed-0", params={**shared, "seed": 0}),
            SimpleNamespace(run_id="seed-1", params={**shared, "seed": 1}),
            SimpleNamespace(run_id="dataset-cleaned_and_merged_measurements_v3_target-disease_progress_60918b",
                            params={**shared, "dataset": LONG_PATH, "target": LONG_TARGET}),
            SimpleNamespace(run_id="dataset-diabetes", params={**shared, "dataset": "diabetes"})]
    for run in runs:
        _finished_run(out / "runs" / run.run_id, LONG_FEATURES if "target" in run.params else ["x1", "x2", "x3", "x4"])
    defaults = {"dataset": "friedman1", "target": "", "seed": 0, "epochs": 3000}
    plan = SimpleNamespace(runs=runs, notebook_params={k: SimpleNamespace(default=v) for k, v in defaults.items()})
    statuses = [{"status": "ok", "duration": 19.5 + k} for k in range(len(runs))]
    index = write_outputs(plan, out, statuses, title="Batch report: b3.yaml")
    return SimpleNamespace(out=out, index=index, html=index.read_text(encoding="utf-8"))


def test_a_run_that_leaves_a_parameter_unset_shows_its_default(wide_batch):
    """Grid runs that do not set the dataset show the notebook's default, marked as such,
    instead of an empty cell; a default that is empty (target) says "(default)"."""
    page = Page(wide_batch.html)
    header = page.table()[0]
    rows = {row[0]: row for row in page.table()[1:] if row}
    assert rows["seed-0"][header.index("dataset")] == "friedman1 (default)"
    assert rows["seed-0"][header.index("target")] == " (default)"
    assert rows["dataset-diabetes"][header.index("dataset")] == "diabetes"
    assert rows["dataset-diabetes"][header.index("seed")] == "0 (default)"
    assert "epochs" not in header  # shared by every run: said once above the table


def test_long_cells_wrap_so_the_runs_table_fits(wide_batch):
    """A long path, target or run id wraps (overflow-wrap: anywhere; a maximum width on parameter
    cells) instead of pushing status, fit and verdict off the page."""
    from helpers.batch_pages import _CSS

    assert re.search(r"#runs-table td \{ overflow-wrap: anywhere;", _CSS)
    assert re.search(r"#runs-table td\.param \{ max-width: \d+em;", _CSS)
    cells = re.findall(r'<td class="param">', wide_batch.html)
    assert len(cells) == 4 * 3  # dataset, target, seed in each of the four runs


def test_chart_titles_read_as_words():
    """A group of runs is named by its parameters and values, a file by its name."""
    from helpers.batch_pages import _labels

    table = pd.DataFrame({"dataset": ["friedman1", LONG_PATH, "", "C:\\data\\visits.csv"], "seeds": ["3", "", "", "2"],
                          "target": ["", LONG_TARGET, "", "y"]})
    assert list(_labels(table, ["dataset", "seeds", "target"])) == [
        "dataset friedman1, seeds 3", f"dataset cleaned_and_merged_measurements_v3.csv, target {LONG_TARGET}",
        "defaults", "dataset visits.csv, seeds 2, target y"]
    assert list(_labels(table, ["dataset", "seeds", "target"], {"dataset": "friedman1", "seeds": 1}))[2] == \
        "dataset friedman1 (default), seeds 1 (default)"  # not "n_samples 0" as if someone had asked for it
    assert _labels(table, []) == "all runs"


def test_the_index_charts_name_their_runs_in_words(wide_batch):
    captions = [text for text in Page(wide_batch.html).text.split("\n") if text.startswith("Importance by input")]
    assert captions == ["Importance by input and measure: dataset friedman1 (default)",
                        "Importance by input and measure: dataset cleaned_and_merged_measurements_v3.csv, "
                        f"target {LONG_TARGET}",
                        "Importance by input and measure: dataset diabetes"]
    assert "/srv/projects" not in " ".join(captions)


def _drawn(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    return fig.canvas.get_renderer()


@pytest.mark.parametrize("n_methods", [2, 6])
def test_rotated_input_names_end_at_their_ticks(n_methods):
    """The audit's inputs under one chart (2 measures) and under facets (6): names rotated about
    their right end, which sits on the tick, so that no name runs over the next one."""
    import numpy as np
    import seaborn as sns

    from helpers.batch_pages import _importance_figure

    methods = ["weight_sum", "garson", "olden", "gradient", "permutation", "shapley"][:n_methods]
    part = pd.DataFrame([{"run_id": "r", "method": m, "feature": f, "normalised": (j + 1) / 55}
                         for m in methods for j, f in enumerate(LONG_FEATURES)])
    _, fig = _importance_figure(sns, "dataset known.csv, target y", part)
    renderer = _drawn(fig)
    checked = 0
    for ax in fig.axes:
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        if not ax.get_visible() or not ax.xaxis.get_tick_params()["labelbottom"]:
            continue
        ticks = ax.transData.transform(np.column_stack([ax.get_xticks(), np.zeros(len(ax.get_xticks()))]))[:, 0]
        for label, tick in zip(labels, ticks):
            assert label.get_rotation() > 0
            assert label.get_horizontalalignment() == "right" and label.get_rotation_mode() == "anchor"
            reach = label.get_fontsize() * fig.dpi / 72  # a rotated box passes its anchor by its text's height
            assert label.get_window_extent(renderer).x1 <= tick + reach, label.get_text()
            checked += 1
    assert checked >= len(LONG_FEATURES)


def test_the_runs_table_fits_a_laptop_window(wide_batch, tmp_path):
    """In a real browser 1280 px wide: the runs table is no wider than the page (nothing scrolled
    out of sight) and the columns a reader looks for come before the parameters."""
    import json
    import subprocess

    from test_browser import FLAGS, find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (tests/setup_browser.sh)")
    probe = """<script>
window.addEventListener("load", function () {
  var box = document.getElementById("runs-table");
  var heads = Array.prototype.map.call(box.querySelectorAll("th"), function (th) {
    return [th.textContent, Math.round(th.getBoundingClientRect().right)]; });
  var out = document.createElement("pre");
  out.id = "layout";
  out.textContent = JSON.stringify({scroll: box.scrollWidth, client: box.clientWidth,
                                    width: window.innerWidth, heads: heads});
  document.body.appendChild(out);
});
</script>"""
    html = wide_batch.html.replace("<head>", "<head>" + probe, 1).replace(
        "default-src &#39;none&#39;", "default-src &#39;none&#39;; script-src &#39;unsafe-inline&#39;")
    page = wide_batch.out / ".layout-probe.html"
    page.write_text(html, encoding="utf-8")
    try:
        run = subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900",
                              "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    finally:
        page.unlink()
    found = re.search(r'<pre id="layout">(.*?)</pre>', run.stdout, re.S)
    assert found, run.stderr[-2000:]
    layout = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert layout["scroll"] <= layout["client"] + 1, layout
    heads = dict(layout["heads"])
    for column in ("status", "time (s)", "held-out fit", "inputs that matter", "message"):
        assert heads[column] <= layout["width"], (column, layout)

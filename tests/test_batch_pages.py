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
    assert header[1:4] == ["dataset", "seed", "note"]
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
    assert captions == [f"Importance by input and measure: friedman1, {SVG}",
                        f"Importance by input and measure: friedman1, {JS}"]


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

"""Whatever a user gives (column names, file names, the target, messages) reaches a page as text,
never markup: the escaping of helpers.report, and a hostile CSV run through the batch end to end.

Pages are *parsed* (``html.parser``), not searched for strings: a page is safe when it has no
element a browser would run, and the hostile names are there as the reader's text.
"""
import dataclasses
import json
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from conftest import KIT_ROOT, run_batch_command
from helpers import report

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "[click](javascript:alert(1))",
    "<javascript:alert(1)>",
    "![x](/etc/passwd)",
    "**bold** and _under_ and *star*",
    "`code` and ``two``",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "AT&T, &amp; and &#60;",
    "a \\<b\\> with backslashes \\",
    "$x<y$ and $$<b>$$ and \\(x\\)",
    "https://example.com and www.example.com",
    "# heading",
    "1. item",
    "- item",
    "> quote",
    "| a | b |",
    "~~struck~~",
    "x1_thousands",
    "    indented",
]
RUNNABLE = {"script", "svg", "iframe", "object", "embed", "math", "img", "a", "base", "form", "meta", "link"}


class Page(HTMLParser):
    """The elements of an HTML page (tag, attributes), the text of its scripts, and its text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements, self.scripts, self.texts = [], [], []
        self._in = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._in and self._in[-1] == "script":
            self.scripts.append(data)
        elif not self._in:
            self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def unsafe(self) -> list[str]:
        """What in the page could run: a script that alerts, an ``on*`` handler, an element that
        embeds active content, a ``javascript:`` address. Empty for a safe page."""
        found = [f"<script> {s[:60]!r}" for s in self.scripts if "alert" in s]
        for tag, attrs in self.elements:
            found += [f"<{tag} {k}=...>" for k in attrs if k.lower().startswith("on")]
            if tag in ("svg", "iframe", "object", "embed"):
                found.append(f"<{tag}>")
            for key in ("href", "src", "action", "formaction", "xlink:href"):
                value = "".join((attrs.get(key) or "").split()).lower()
                if value.startswith(("javascript:", "vbscript:")):
                    found.append(f"<{tag} {key}={value[:40]}>")
        return found


# ------------------------------------------------------------------ the escaping function
@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_that_text_and_no_element(text):
    page = Page(markdown2html_mistune(report.escape_markdown(text)))
    assert [tag for tag, _ in page.elements] == ["p"], page.elements
    assert page.text.strip() == text.strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_is_inert_inside_the_reports_markdown(text):
    """Inside emphasis, a list item and after a prefix, as the report uses it."""
    safe = report.escape_markdown(text)
    source = f"**{safe}**: {safe}\n\n- {safe}\n- *Note:* {safe}"
    page = Page(markdown2html_mistune(source))
    assert not page.unsafe()
    assert {tag for tag, _ in page.elements} <= {"p", "strong", "em", "ul", "li"}, page.elements
    assert page.text.count(text.strip()) == 4


def test_markdown_code_is_inert_code():
    for text in HOSTILE:
        page = Page(markdown2html_mistune(f"target {report.markdown_code(text)} (regression)"))
        assert [tag for tag, _ in page.elements] == ["p", "code"], (text, page.elements)
        assert text.strip() in page.text
    assert markdown2html_mistune(report.markdown_code("y")).strip() == "<p><code>y</code></p>"


def test_line_breaks_stay_in_one_paragraph_and_plain_text_is_unchanged():
    page = Page(markdown2html_mistune("*Note:* " + report.escape_markdown("bad values:\n\n  column 'x'\r\n# row 3")))
    assert [tag for tag, _ in page.elements] == ["p", "em", "br", "br"], page.elements
    assert report.escape_markdown("x1 and x2 are 10 inputs") == "x1 and x2 are 10 inputs"
    assert report.escape_markdown("") == "" and report.escape_markdown(3) == "3"


def test_caveats_escape_the_names_they_list():
    rng = np.random.default_rng(0)
    x = rng.normal(size=150)
    names = ["<script>alert(1)</script>", "<svg onload=alert(1)>", "[x](javascript:alert(1))"]
    frame = pd.DataFrame({names[0]: x, names[1]: x + 0.01 * rng.normal(size=150),
                          names[2]: 1000 * rng.normal(size=150), "y": x})
    from helpers.data import Dataset
    data = Dataset(frame[names].to_numpy(), frame["y"].to_numpy(), names, "y", "regression", None, "", "hostile")
    fitted = report.prepare_model(data, seed=0, train_kwargs={"epochs": 20})
    fitted = dataclasses.replace(fitted, scaler=None, brought=True)  # a model given raw inputs: the scales caveat too
    found = report.caveats(data, fitted, report.fit_table(fitted), {})
    page = Page(markdown2html_mistune("\n".join(f"- {c}" for c in found)))
    assert not page.unsafe() and {tag for tag, _ in page.elements} <= {"ul", "li", "p"}
    for name in names:
        assert name in page.text


# ------------------------------------------------------------------ a hostile CSV through the batch
HOSTILE_FILE = "<img src=x onerror=alert(1)>.csv"
HOSTILE_COLUMNS = ["<script>alert(1)</script>", "<svg onload=alert(1)>", "[x](javascript:alert(1))",
                   "cost $\\foo{$"]  # the last: matplotlib's mathtext would fail on it
HOSTILE_TARGET = "<img src=x onerror=alert(2)>"
HOSTILE_MODEL = "<svg onload=alert(3)> [m](javascript:alert(3)).npz"
HOSTILE_TEST = "<iframe src=javascript:alert(4)>.csv"

HOSTILE_BATCH = """\
notebook: {notebook}
parameters:
  epochs: 50
  measures: [weight_sum, permutation]
runs:
  - {{dataset: {dataset}, target: {target}}}
  - {{dataset: {dataset}, target: {target}, model: {model}, model_inputs: raw}}
  - {{dataset: {dataset}, target: {target}, test_data: {test}}}
"""


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    """The batch run on a CSV whose file, columns and target are named like markup: one run trains
    the nets, one brings a model from a file named like markup, one gives held-out rows in a file
    named like markup that lacks the target (it fails in its run, with a message that names the file
    and lists its columns: the batch checks the data's header before any run, the held-out file's
    cells are the run's to read). Returns ``(out, result, runs)``,
    ``runs`` the run folders by kind: "trained", "brought", "failed"."""
    folder = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    # the first two inputs nearly equal and the third on a large scale: the caveats name them
    frame = pd.DataFrame({HOSTILE_COLUMNS[0]: x[:, 0], HOSTILE_COLUMNS[1]: x[:, 0] + 0.05 * x[:, 1],
                          HOSTILE_COLUMNS[2]: 1000 * x[:, 2], HOSTILE_COLUMNS[3]: rng.normal(size=120)}).round(4)
    frame[HOSTILE_TARGET] = (2 * x[:, 0] + 0.001 * frame[HOSTILE_COLUMNS[2]] + 0.1 * rng.normal(size=120)).round(4)
    frame.to_csv(folder / HOSTILE_FILE, index=False)
    frame.drop(columns=HOSTILE_TARGET).to_csv(folder / HOSTILE_TEST, index=False)
    np.savez(folder / HOSTILE_MODEL, W1=rng.normal(size=(4, 4)), b1=np.zeros(4), W2=rng.normal(size=(4, 1)),
             b2=np.zeros(1))
    config = folder / "hostile.yaml"
    quoted = {key: json.dumps(str(value)) for key, value in
              {"notebook": KIT_ROOT / "notebooks" / "report.ipynb", "dataset": HOSTILE_FILE,
               "target": HOSTILE_TARGET, "model": HOSTILE_MODEL, "test": HOSTILE_TEST}.items()}
    config.write_text(HOSTILE_BATCH.format(**quoted))
    result = run_batch_command(config, folder / "out")
    runs = {}
    for params in (folder / "out").glob("runs/*/params.json"):
        given = json.loads(params.read_text())
        kind = "brought" if given.get("model") else "failed" if given.get("test_data") else "trained"
        runs[kind] = params.parent
    return folder / "out", result, runs


def test_a_hostile_csv_reaches_every_page_as_text(hostile_batch):
    out, result, runs = hostile_batch
    reports = sorted(out.glob("runs/*/report.html"))
    assert len(reports) == 3 and (out / "index.html").is_file(), result.stdout + result.stderr
    for path in [*reports, out / "index.html"]:
        page = Page(path.read_text(encoding="utf-8"))
        assert not page.unsafe(), f"{path.relative_to(out)}: {page.unsafe()}"
    # the names are on the pages, as text
    trained = Page((runs["trained"] / "report.html").read_text(encoding="utf-8"))
    for name in [HOSTILE_FILE, *HOSTILE_COLUMNS, HOSTILE_TARGET]:
        assert name in trained.text, f"{name!r} is not in the report's text"
    brought = Page((runs["brought"] / "report.html").read_text(encoding="utf-8"))
    assert "Your 4-4-1 tanh net" in brought.text and f"({HOSTILE_MODEL})" in brought.text
    failed = Page((runs["failed"] / "report.html").read_text(encoding="utf-8"))
    assert HOSTILE_TEST in failed.text and HOSTILE_COLUMNS[0] in failed.text, failed.text
    assert HOSTILE_TEST in Page((out / "index.html").read_text(encoding="utf-8")).text
    status = {kind: json.loads((run / "status.json").read_text())["status"] for kind, run in runs.items()}
    assert status["failed"] == "failed", status
    if status["trained"] == "ok":  # the caveats list the names too
        assert f"Strongly correlated inputs: {HOSTILE_COLUMNS[0]} and {HOSTILE_COLUMNS[1]}" in trained.text
    if status["brought"] == "ok":  # the model takes the raw inputs: the scales caveat names them
        assert f"({HOSTILE_COLUMNS[2]} varies" in brought.text

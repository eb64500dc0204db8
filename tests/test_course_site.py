"""The course web site (``python -m helpers.course --out DIR``: Sphinx + myst-nb from book/ and the
chapters' stored outputs).

Most tests build the real book's configuration and pages on a folder of two tiny chapters made
here (a few seconds): one with a formula and a rare word, one with a solution cell. They check the
pages as files (the sidebar, the download link, the folded solution, no network URL), then open
them in headless Chromium with the network cut off (the formula must be typeset by the site's own
MathJax, the search page must find the word). The last test builds the real course, every chapter.
"""
import base64
import html as html_module
import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers import course
from test_browser import CHECK, FLAGS, chromium  # noqa: F401 (chromium: the fixture that skips without it)

WORD = "quokkaphobia"  # in the first chapter only: the search must find it there
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2271b"
    "b50000000049454e44ae426082")).decode()
# any http(s) or protocol-relative URL that a tag would load (a plain <a href> is a link, not a load)
NETWORK_TAG = re.compile(r"<(?:script|link|img|iframe|source|audio|video|embed|object)\b[^>]*?"
                         r"\b(?:src|href|data|srcset)\s*=\s*[\"']?\s*(?:https?:)?//", re.I)
NETWORK_CSS = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"'])\s*(?:https?:)?//", re.I)


def _notebook(path, cells):
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, path)


def _code(source, *outputs, tags=()):
    cell = new_code_cell(source, execution_count=1, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def make_chapters(folder: Path) -> Path:
    """Two tiny chapters with stored outputs, and a notebook that is not a chapter."""
    folder.mkdir(parents=True)
    _notebook(folder / "01_first.ipynb", [
        new_markdown_cell(f"# 1. A first chapter\n\nThe growth is $\\beta^2$ per unit, and {WORD} is the word.\n\n"
                          "## A section\n\nMore prose."),
        _code("dataset = 'friedman1'  # the data\nseed = 0  # the seed", tags=["parameters"]),
        # never executed: the site shows what the notebook stored
        _code("raise SystemExit(1)", new_output("stream", name="stdout", text="the stored output\n")),
        _code("plt.show()", new_output("display_data", data={"image/png": PIXEL, "text/plain": "<Figure>"})),
    ])
    _notebook(folder / "02_second.ipynb", [
        new_markdown_cell("# 2. A second chapter\n\n## Exercises\n\n1. Square it."),
        _code("# Solution to exercise 1\nprint(7 ** 2)", new_output("stream", name="stdout", text="solved: 49\n"),
              tags=["solution"]),
    ])
    _notebook(folder / "report.ipynb", [new_markdown_cell("# The report, not a chapter")])
    return folder


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    notebooks = make_chapters(root / "notebooks")
    out = root / "site"
    status = course.main(["--out", str(out), "--notebooks", str(notebooks)])
    return out, notebooks, status


def _pages(site: Path):
    return sorted(site.rglob("*.html"))


def test_the_site_builds_cleanly_from_the_stored_outputs(tiny_site):
    site, notebooks, status = tiny_site
    assert status == 0  # built, and Sphinx did not warn
    assert (site / "index.html").is_file() and (site / "search.html").is_file()
    first = (site / "chapters" / "01_first.html").read_text(encoding="utf-8")
    assert "the stored output" in first and "Traceback" not in first
    assert "<h1>1. A first chapter" in first and "<title>1. A first chapter" in first
    assert re.search(r'<img[^>]+src="\.\./_images/[^"]+\.png"', first)  # the stored figure is served from the site
    assert not (site / "chapters" / "report.html").exists()  # only NN_*.ipynb are chapters
    for page in _pages(site):
        assert str(notebooks.parent) not in page.read_text(encoding="utf-8"), page.name  # no machine path


def sidebar(site: Path, page: str) -> set[str]:
    """The pages the navigation sidebar of ``page`` links to, as paths within the site."""
    html = (site / page).read_text(encoding="utf-8")
    start = html.index('<nav class="bd-links bd-docs-nav"')
    nav = html[start:html.index("</nav>", start)]
    here = (site / page).parent
    return {page if href.startswith("#") else (here / href).resolve().relative_to(site.resolve()).as_posix()
            for href in re.findall(r'href="([^"]*)"', nav)}


def test_every_page_has_the_sidebar_and_its_contents(tiny_site):
    site, _, _ = tiny_site
    pages = ["index.html", "chapters/01_first.html", "chapters/02_second.html", "which_measure_when.html",
             "glossary.html", "bibliography.html"]
    for page in pages:
        assert sidebar(site, page) == set(pages), page
    first = (site / "chapters" / "01_first.html").read_text(encoding="utf-8")
    assert re.search(r'<nav id="pst-page-toc-nav" class="page-toc"[^>]*>\s*<ul[^>]*>\s*<li[^>]*><a [^>]*href="#a-section"', first)  # per-page contents


def test_the_course_map_links_the_chapters_there_are(tiny_site):
    site, _, _ = tiny_site
    index = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<a class="reference internal" href="chapters/01_first.html"><span class="doc">'
                     r'The question and the network</span></a>', index)
    assert 'href="chapters/02_second.html"><span class="doc">Weights</span>' in index
    # a chapter the map names but this folder lacks is plain text, not a broken link
    assert '<span class="chapter-missing">Your network, your data</span>' in index
    for page in ("glossary.html", "which_measure_when.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert 'href="chapters/01_first.html"' in html or "chapter-missing" in html


def test_each_chapter_offers_its_committed_notebook_for_download(tiny_site):
    site, notebooks, _ = tiny_site
    for name in ("01_first", "02_second"):
        html = (site / "chapters" / f"{name}.html").read_text(encoding="utf-8")
        assert f'href="../_sources/chapters/{name}.ipynb"' in html
        served = site / "_sources" / "chapters" / f"{name}.ipynb"
        assert served.read_bytes() == (notebooks / f"{name}.ipynb").read_bytes()  # not the staged copy


def test_solutions_are_folded(tiny_site):
    site, _, _ = tiny_site
    html = (site / "chapters" / "02_second.html").read_text(encoding="utf-8")
    fold = re.search(r"<details[^>]*>(.*?)</details>", html, re.S)
    assert fold, "the solution is not folded"
    assert "Show the solution to exercise 1" in fold.group(1)
    assert "solved: 49" in fold.group(1) and "Solution to exercise 1" in fold.group(1)  # code and output inside
    assert "solved: 49" not in html.replace(fold.group(0), "")


def test_nothing_loads_from_the_network(tiny_site):
    site, _, _ = tiny_site
    for page in _pages(site):
        html = page.read_text(encoding="utf-8")
        assert not NETWORK_TAG.search(html), f"{page.name}: {NETWORK_TAG.search(html).group(0)}"
    for sheet in site.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        assert not NETWORK_CSS.search(text), f"{sheet.name}: {NETWORK_CSS.search(text).group(0)}"
    first = (site / "chapters" / "01_first.html").read_text(encoding="utf-8")
    mathjax = re.search(r'<script[^>]*src="([^"]*mathjax[^"]*)"', first)
    assert mathjax and (site / "chapters" / mathjax.group(1)).resolve().is_file()  # MathJax from the site


def test_a_folder_that_is_not_a_site_is_left_alone(tmp_path, capsys):
    notebooks = make_chapters(tmp_path / "notebooks")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert course.main(["--out", str(out), "--notebooks", str(notebooks)]) == 2
    assert "not a course site" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"


# ---------------------------------------------------------------- in a browser, offline
# Any request that leaves the machine fails: no name resolves, and every proxied request goes to a
# closed local port. file:// pages are not affected.
OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
           "--proxy-bypass-list=<-loopback>"]


def render(chromium, page: Path, profile: Path, query: str = ""):
    """Open ``page`` (a copy beside it, with the kit's load check at the top of its <head>) offline,
    and return the DOM after the scripts ran, and what the check found."""
    html = page.read_text(encoding="utf-8")
    head = re.search(r"<head[^>]*>", html, re.I)
    probe = page.with_name(f".browser-check-{page.name}")
    probe.write_text(html[:head.end()] + CHECK + html[head.end():], encoding="utf-8")
    try:
        run = subprocess.run([chromium, *FLAGS, *OFFLINE, f"--user-data-dir={profile}", "--dump-dom",
                              probe.as_uri() + query], capture_output=True, text=True, timeout=120)
    finally:
        probe.unlink()
    found = re.search(r'<pre id="kit-browser-check"[^>]*>(.*?)</pre>', run.stdout, re.S)
    assert found, f"the check did not run in {page.name}; chromium said:\n{run.stderr[-2000:]}"
    return run.stdout, json.loads(html_module.unescape(found.group(1)))


def test_formulas_render_offline(chromium, tiny_site, tmp_path):
    site, _, _ = tiny_site
    dom, check = render(chromium, site / "chapters" / "01_first.html", tmp_path / "profile")
    assert check["problems"] == [], check["problems"]  # nothing failed to load, no script error
    assert check["bad"] == [] and check["images"] >= 1
    assert re.search(r"<mjx-container[^>]*>.*?<mjx-math", dom, re.S), "MathJax did not typeset the formula"
    assert "\\beta^2" not in dom  # no raw TeX left on the page


def test_search_finds_the_chapter_offline(chromium, tiny_site, tmp_path):
    site, _, _ = tiny_site
    dom, check = render(chromium, site / "search.html", tmp_path / "profile", query=f"?q={WORD}")
    assert check["problems"] == [], check["problems"]
    results = dom[dom.index('id="search-results"'):]
    assert re.search(r'href="[^"]*chapters/01_first\.html', results), "the search did not list the chapter"
    assert not re.search(r'href="[^"]*chapters/02_second\.html', results)


# ---------------------------------------------------------------- the real course
def test_the_real_course_builds_every_chapter(tmp_path):
    site = course.build_site(tmp_path / "site")
    assert site.warnings == [], "\n".join(site.warnings)
    chapters = course.chapters()
    assert len(site.chapters) == len(chapters) >= 11
    index = site.index.read_text(encoding="utf-8")
    for notebook in chapters:
        assert f'href="chapters/{notebook.stem}.html"' in index, f"{notebook.name} is not on the course map"
        assert (site.index.parent / "chapters" / f"{notebook.stem}.html").is_file()
        assert (site.index.parent / "_sources" / "chapters" / notebook.name).is_file()
    for page in ("glossary.html", "which_measure_when.html", "bibliography.html"):
        assert (site.index.parent / page).is_file()
    for page in _pages(site.index.parent):
        html = page.read_text(encoding="utf-8")
        assert not NETWORK_TAG.search(html), f"{page.name}: {NETWORK_TAG.search(html).group(0)}"

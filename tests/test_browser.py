"""The batch's pages in a real browser: headless Chromium opens index.html and one run's report,
every image must decode and nothing may be logged as an error.

No webdriver: a copy of the page, beside it, gets a small script at the very top of its <head>
that records console errors, uncaught exceptions and resources that fail to load, and at the
load event checks every <img> (loaded, ``naturalWidth > 0``: a corrupt image has width 0) and
writes what it found into the page. ``chromium --headless --dump-dom`` prints the page afterwards. Chromium
comes from Debian's ``chromium`` package (``tests/setup_browser.sh``); without it the test skips.
"""
import json
import re
import shutil
import subprocess

import pytest

CHECK = """<script>
(function () {
  var problems = [];
  var original = console.error;
  console.error = function () {
    problems.push("console.error: " + Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) {
      problems.push("failed to load <" + t.tagName.toLowerCase() + "> " + String(t.src || t.href).slice(0, 80));
    } else {
      problems.push("uncaught: " + e.message);
    }
  }, true);
  window.addEventListener("unhandledrejection", function (e) { problems.push("unhandled rejection: " + e.reason); });
  window.addEventListener("load", function () {
    // at the load event every <img> has been fetched and decoded or has failed: a broken one has
    // naturalWidth 0. Written synchronously, so the result is in the DOM whenever Chromium dumps it.
    var images = Array.prototype.slice.call(document.images);
    var bad = images.filter(function (img) { return !(img.complete && img.naturalWidth > 0); })
                    .map(function (img) { return (img.alt || "image") + " " + String(img.src).slice(0, 60); });
    var out = document.createElement("pre");
    out.id = "kit-browser-check";
    out.textContent = JSON.stringify({images: images.length, bad: bad, problems: problems});
    document.body.appendChild(out);
  });
})();
</script>"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if path is None:
        reason = ("chromium is not installed: `make test` installs Debian's chromium through "
                  "tests/setup_browser.sh when the user is root; else `apt-get install chromium`")
        print(f"\nSKIPPED browser test: {reason}")
        pytest.skip(reason)
    return path


def check_page(chromium, page, profile):
    """Load ``page`` (a copy with the check script) and return the check's findings and the
    console lines Chromium logged."""
    html = page.read_text(encoding="utf-8")
    head = re.search(r"<head[^>]*>", html, re.I)
    assert head, f"{page.name} has no <head>"
    probe = page.with_name(f".browser-check-{page.name}")
    probe.write_text(html[:head.end()] + CHECK + html[head.end():], encoding="utf-8")
    try:
        run = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", probe.as_uri()],
                             capture_output=True, text=True, timeout=120)
    finally:
        probe.unlink()
    found = re.search(r'<pre id="kit-browser-check">(.*?)</pre>', run.stdout, re.S)
    assert found, f"the check did not run in {page.name}; chromium said:\n{run.stderr[-2000:]}"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln and re.search(r"Uncaught|Error", ln)]
    return result, console


def test_the_check_catches_a_broken_page(chromium, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body>'
                    '<img alt="fine" src="data:image/gif;base64,R0lGODlhAQABAAAAACwAAAAAAQABAAACAkQBADs=">'
                    '<img alt="corrupt" src="data:image/png;base64,AAAA">'
                    '<script>console.error("boom")</script></body></html>')
    result, _ = check_page(chromium, page, tmp_path / "profile")
    assert result["images"] == 2
    assert len(result["bad"]) == 1 and result["bad"][0].startswith("corrupt")
    assert any("boom" in p for p in result["problems"])


def test_index_and_a_report_render_cleanly(chromium, small_batch, tmp_path):
    pages = [small_batch.out / "index.html",
             small_batch.out / "runs" / "dataset-friedman1_seed-0" / "report.html"]
    for page in pages:
        result, console = check_page(chromium, page, tmp_path / "profile")
        assert result["images"] >= 2, f"{page.name}: expected figures, found {result['images']} images"
        assert result["bad"] == [], f"{page.name}: images that do not decode: {result['bad']}"
        assert result["problems"] == [], f"{page.name}: {result['problems']}"
        assert console == [], f"{page.name}: {console}"

"""Sphinx configuration of the course site (Sphinx + myst-nb + sphinx-book-theme).

Build it with ``python -m helpers.course --out site`` (``make course``): that command gathers this
folder's pages and copies of the chapters ``notebooks/NN_*.ipynb`` into one source folder (the
copies get the ``hide-cell`` tag on their ``solution`` cells) and runs Sphinx with this
configuration. The chapters are shown with their stored outputs; nothing is executed, and nothing
on any page loads from the network: MathJax is served from the site itself.
"""
from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import ReferenceRole

project = "Which inputs of a neural network matter?"
author = "the kit's authors"
copyright = "the kit's authors; the code is BSD-3-Clause"

extensions = [
    "myst_nb",                  # reads the chapters (.ipynb) and the pages (.md, MyST Markdown)
    "sphinx-mathjax-offline",   # serves MathJax from _static/mathjax instead of a CDN
]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_static_path = ["_static"]
html_css_files = ["course.css"]

# --- the notebooks: stored outputs, never re-executed ------------------------------------------------
nb_execution_mode = "off"
nb_merge_streams = True
nb_ipywidgets_js = {}           # no widget scripts from a CDN, even for a notebook that kept widget state
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# a chapter that steps from "#" to "###" reads fine; the lint would only make `make course` fail
suppress_warnings = ["myst.header"]

# --- the theme -----------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Which inputs matter?"
html_copy_source = True         # the theme's download button serves the notebook from _sources/
html_sourcelink_suffix = ""     # ... as .ipynb, not .ipynb.txt
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
    # pydata-sphinx-theme adds a second search box in a top bar unless this is said explicitly
    "navbar_persistent": [],
    "footer_content_items": ["copyright.html"],
}
# light unless the reader switches: the figures are drawn on white (and an unset mode makes the
# theme log an error on a reader's first visit)
html_context = {"default_mode": "light"}
html_show_sphinx = False
# the search lists pages by title: a summary would be fetched from each page, which a browser
# refuses for a site opened from disk (file://), the way an offline reader opens it
html_show_search_summary = False
html_show_sourcelink = False
html_permalinks_icon = "#"

# --- {chapter}`N` and {chapter}`text <N>`: a link to chapter N, or plain text while it is missing ----
CHAPTER_DOC = re.compile(r"^chapters/(\d\d)_")


class ChapterRole(ReferenceRole):
    """``{chapter}`3``` links to the chapter page ``chapters/03_*`` with its title as the text;
    ``{chapter}`chapter 3 <3>``` with the given text. A chapter that is not in this build (a
    folder of other notebooks, a chapter still being written) is shown as plain text, not a
    broken link."""

    def run(self):
        if not self.target.isdigit():
            message = self.inliner.reporter.error(f"{{chapter}}: {self.target!r} is not a chapter number",
                                                  line=self.lineno)
            return [self.inliner.problematic(self.rawtext, self.rawtext, message)], [message]
        number = int(self.target)
        docs = sorted(d for d in self.env.found_docs
                      if (m := CHAPTER_DOC.match(d)) and int(m.group(1)) == number)
        if not docs:
            text = self.title if self.has_explicit_title else f"Chapter {number}"
            return [nodes.inline(self.rawtext, text, classes=["chapter-missing"])], []
        ref = addnodes.pending_xref(self.rawtext, refdomain="std", reftype="doc", reftarget="/" + docs[0],
                                    refexplicit=self.has_explicit_title, refwarn=True,
                                    refdoc=self.env.docname)
        ref += nodes.inline(self.rawtext, self.title if self.has_explicit_title else docs[0],
                            classes=["xref", "std", "std-doc"])
        return [ref], []


# --- MathJax from the site itself -------------------------------------------------------------------
# sphinx-mathjax-offline copies MathJax 3 (every combined build, 24 MB) to _static/mathjax and points
# mathjax_path at its tex-chtml.js, which loads what else it needs (extensions, fonts, the menu's
# accessibility parts) from the folders beside it. The other combined builds are never loaded.
UNUSED_MATHJAX = re.compile(r"^(tex-(mml-)?(chtml|svg)(-full)?(-speech)?|mml-(chtml|svg)|node-main|latest)\.js$")


def prune_mathjax(app, exception):
    folder = Path(app.outdir) / "_static" / "mathjax"
    if exception is not None or not folder.is_dir():
        return
    keep = Path(app.config.mathjax_path).name
    for path in folder.glob("*.js"):
        if path.name != keep and UNUSED_MATHJAX.match(path.name):
            path.unlink()


def setup(app):
    app.add_role("chapter", ChapterRole())
    app.connect("build-finished", prune_mathjax, priority=900)  # after sphinx-mathjax-offline's copy
    return {"parallel_read_safe": True, "parallel_write_safe": True}

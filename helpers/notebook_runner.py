"""Run a notebook and turn it into a web page: the machinery shared by the batch runner
(``helpers.batch``) and the course site (``helpers.course``).

- ``notebook_parameters`` reads a notebook's ``parameters`` cell (names, defaults, accepted
  types), so that a batch config can be checked before anything runs.
- ``execute`` runs a notebook (papermill's parameterisation, nbclient's execution) in a given
  working directory, on the ``python3`` kernel, within a time limit for the whole run, and says
  whether it succeeded and, if not, why, as structure (``kind``, ``ename``, ``evalue``) and as one
  line (``ValueError: column 'x3' ...``). The kernel gets its own environment, working directory
  and stderr; the calling process's are never touched, so runs can go on side by side in threads
  (a Dask worker's included), and ``stop`` kills a run's kernel from another thread.
- ``to_html`` converts an executed notebook to one HTML page (nbconvert, lab template), with
  the code hidden for reports, images embedded (they are base64 in the outputs already), and no
  script loaded from the web, so that a page reads offline.
- ``scrub_paths`` replaces this machine's absolute paths (the kit's folder, the virtual
  environment, the home and temporary folders) in a notebook's outputs and metadata with short
  placeholders, so that no page or executed notebook names the machine it ran on.
"""
from __future__ import annotations

import ast
import asyncio
import atexit
import contextlib
import logging
import os
import re
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import nbformat

KERNEL = "python3"
"""The Jupyter kernel every notebook runs on (the kit's virtual environment registers it)."""

KIT_ROOT = Path(__file__).resolve().parent.parent
"""The kit's folder: the one holding ``helpers/`` and ``notebooks/``."""

_TYPE_NAMES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "tuple": list,
               "dict": dict, "None": type(None), "NoneType": type(None)}


# ---------------------------------------------------------------- parameters
@dataclass
class Parameter:
    """One entry of a notebook's ``parameters`` cell.

    Attributes
    ----------
    name : str
    default : object
        The default value (a Python literal), or the default's source text when it is not a literal.
    types : tuple of type
        The types a value may have: from a ``# type: int|list`` comment or an annotation when the
        cell gives one, else the default's type (``int`` also accepts nothing else; ``float``
        also accepts ``int``). Empty when anything goes (a default of ``None`` without a type).
    help : str
        The rest of the line's comment.
    """
    name: str
    default: Any
    types: tuple = ()
    help: str = ""

    def accepts(self, value) -> bool:
        """Whether ``value`` has one of the accepted types (``int`` counts as ``float``;
        ``bool`` is not an ``int`` here)."""
        if not self.types:
            return True
        for kind in self.types:
            if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
                return True
            if kind is int and isinstance(value, bool):
                continue
            if isinstance(value, kind):
                return True
        return False

    def type_text(self) -> str:
        return " or ".join("None" if t is type(None) else t.__name__ for t in self.types) or "any"


def _parse_types(type_name: str, default) -> tuple:
    text = (type_name or "None").replace("Optional[", "None|").replace("Union[", "")
    names = [n.strip(" []") for n in re.split(r"[|,]", text) if n.strip(" []")]
    if type_name and type_name != "None":
        kinds = tuple(dict.fromkeys(_TYPE_NAMES[n] for n in names if n in _TYPE_NAMES))
        if kinds:
            return kinds
    if default is None:
        return ()
    return (list,) if isinstance(default, tuple) else (type(default),)


def notebook_parameters(path) -> dict[str, Parameter]:
    """The parameters a notebook takes, read from its cell tagged ``parameters``.

    Parameters
    ----------
    path : str or Path
        The notebook.

    Returns
    -------
    dict
        Parameter name -> ``Parameter`` (default, accepted types, help), in the cell's order.

    Raises
    ------
    ValueError
        When the file does not exist, is not a notebook, or has no cell tagged ``parameters``.
    """
    import papermill

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"notebook {str(path)!r} does not exist")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file gets the same clear message
        raise ValueError(f"{path.name} is not a readable notebook: {_last_line(str(err))}") from None
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        raise ValueError(f"{path.name} has no cell tagged 'parameters'")
    with _quiet_papermill():
        found = papermill.inspect_notebook(str(path))
    params = {}
    for name, info in found.items():
        try:
            default = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            default = info["default"]
        params[name] = Parameter(name, default, _parse_types(info.get("inferred_type_name"), default),
                                 info.get("help", ""))
    return params


@contextlib.contextmanager
def _quiet_papermill():
    logger = logging.getLogger("papermill")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# ---------------------------------------------------------------- execution
@dataclass
class Execution:
    """What ``execute`` returns: the outcome kept as structure until a page is drawn.

    Attributes
    ----------
    ok : bool
        True when every cell ran without an exception.
    error : str or None
        One line for a person: the notebook's exception (``ValueError: column 'x3' ...``), or why the
        run did not finish (``took longer than 600 s``, ``the kernel died``), when ``ok`` is False.
    duration : float
        Wall time in seconds.
    notebook : nbformat.NotebookNode or None
        The executed notebook (outputs up to the failing cell, whose traceback it keeps), None when
        it could not even be read.
    kind : str or None
        Why it failed: ``"cell"`` (a cell raised), ``"timeout"`` (the run's time limit),
        ``"kernel"`` (the kernel died or did not start), ``"stopped"`` (``stop`` was set), or
        ``"error"`` (anything else).
    ename, evalue : str or None
        The exception's name and full message, for a cell that raised.
    """
    ok: bool
    error: str | None
    duration: float
    notebook: Any = field(default=None, repr=False)
    kind: str | None = None
    ename: str | None = None
    evalue: str | None = None


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in re.sub(r"\x1b\[[0-9;]*m", "", str(text)).splitlines() if ln.strip()]
    return lines[-1] if lines else str(text).strip()


def _one_line(message: str, limit: int = 600) -> str:
    """An exception's whole message on one line (a data check may list several bad cells)."""
    text = " ".join(ln.strip() for ln in re.sub(r"\x1b\[[0-9;]*m", "", str(message)).splitlines() if ln.strip())
    return text if len(text) <= limit else text[:limit - 3] + "..."


INLINE_FIGURES = "module://matplotlib_inline.backend_inline"

_QUIET = logging.getLogger("helpers.notebook_runner.quiet")
_QUIET.setLevel(logging.CRITICAL)  # nbclient's and jupyter_client's chatter stays out of the terminal


def kernel_env(**variables) -> dict:
    """The environment of a kernel: this process's, figures inline, plus ``variables`` (a value of
    None leaves that variable as it is). This process's own ``os.environ`` is never changed."""
    env = {**os.environ, "MPLBACKEND": INLINE_FIGURES}
    env.update({k: str(v) for k, v in variables.items() if v is not None})
    return env


def one_thread_unless_set() -> dict:
    """``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` of 1 for kernels that run side by side, one
    per core, unless the user has set them."""
    return {k: os.environ.get(k, "1") for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}


class _Watch:
    """A thread that kills the run's kernel when ``stop`` is set or the time limit is well past
    (a kernel that hangs outside a cell), so that the executing thread returns at once."""

    def __init__(self, client, stop, deadline: float, grace: float = 15.0):
        self.client, self.stop, self.deadline, self.grace = client, stop, deadline, grace
        self.stopped = self.expired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kernel-watch", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()

    def _run(self):
        while not self._done.wait(0.2):
            stop = self.stop is not None and _is_set(self.stop)
            if stop or time.monotonic() > self.deadline + self.grace:
                self.stopped, self.expired = stop, not stop
                self.kill()
                return

    def kill(self):
        process = getattr(getattr(getattr(self.client, "km", None), "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the kernel leads its own session
            except OSError:
                process.kill()


def _run_on_own_loop(make_coroutine):
    """Run ``make_coroutine()`` to the end on an event loop of its own (``asyncio.run``), which then
    cancels and awaits whatever tasks it left pending, and closes.

    nbclient leaves its output poller pending when a cell times out (it cancels it only for other
    errors); on the thread's shared loop that task lived on until garbage collection printed
    "Task was destroyed but it is pending!" on stderr, once per timed-out run. In the main thread,
    the SIGINT and SIGTERM handlers are restored afterwards (nbclient adds its own to the loop,
    and closing a loop resets them). A thread that already runs a loop (a Jupyter kernel's) hands
    the work to a thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="notebook") as one:
            return one.submit(_run_on_own_loop, make_coroutine).result()
    main = threading.current_thread() is threading.main_thread()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        return asyncio.run(make_coroutine())
    finally:
        for signum, handler in handlers.items():
            if handler is not None and signal.getsignal(signum) is not handler:
                signal.signal(signum, handler)


def execute(notebook, output=None, *, parameters: Mapping | None = None, cwd=None, timeout: float = 600,
            kernel: str = KERNEL, scrub: Sequence[tuple[str, str]] | None = None,
            env: Mapping | None = None, stop=None) -> Execution:
    """Run a notebook: papermill's parameterisation, executed by nbclient.

    The one engine of the kit: the batch runner (also inside a Dask worker's thread), the course
    site and the tests run notebooks through it. The kernel gets its own working directory,
    environment and stderr; this process's ``os.environ``, working directory and file
    descriptors are not touched, so several runs can go on at once in threads.

    Parameters
    ----------
    notebook : str or Path
        The notebook to run; it is not modified.
    output : str or Path, optional
        Where to write the executed notebook (written also when a cell fails, with its traceback).
    parameters : mapping, optional
        Values injected after the ``parameters`` cell (papermill's ``injected-parameters`` cell).
    cwd : str or Path, optional
        The kernel's working directory (where the notebook writes its files); default: the
        notebook's folder.
    timeout : float, default 600
        Seconds the whole run may take; a run that takes longer fails with ``kind="timeout"``.
    kernel : str, default "python3"
    scrub : sequence of (path, label), optional
        Extra absolute paths to replace in the executed notebook, beside the defaults of
        ``scrub_paths``; ``cwd`` always becomes ``"."``.
    env : mapping, optional
        Environment variables for the kernel, on top of this process's (``kernel_env``).
    stop : object with ``is_set()``, optional
        A ``threading.Event`` or a ``distributed.Event``: when it is set, the kernel is killed and
        the run ends with ``kind="stopped"``.

    Returns
    -------
    Execution
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = Path(notebook).resolve()
    cwd = Path(cwd).resolve() if cwd is not None else notebook.parent
    start = time.monotonic()
    deadline = start + float(timeout)
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as err:  # noqa: BLE001 - an unreadable notebook is reported, not raised
        return Execution(False, f"{notebook.name} is not a readable notebook: {_last_line(str(err))}",
                         time.monotonic() - start, None, kind="error")
    if parameters:
        from papermill.parameterize import parameterize_notebook

        for cell in nb.cells:  # what papermill's own loader prepares: tags on every cell, its metadata
            cell.metadata.setdefault("tags", [])
        nb.metadata.setdefault("papermill", {})
        with _quiet_papermill():
            nb = parameterize_notebook(nb, dict(parameters), kernel_name=kernel)
    client = NotebookClient(nb, kernel_name=kernel, resources={"metadata": {"path": str(cwd)}},
                            timeout=float(timeout), timeout_func=lambda cell: max(1.0, deadline - time.monotonic()),
                            startup_timeout=min(120.0, float(timeout)), log=_QUIET)
    error = kind = ename = evalue = None
    with tempfile.TemporaryFile() as kernel_stderr, _Watch(client, stop, deadline) as watch:
        try:
            _run_on_own_loop(lambda: client.async_execute(env=kernel_env(**(env or {})), stdout=kernel_stderr,
                                                          stderr=kernel_stderr))
        except CellExecutionError as err:
            kind, ename, evalue = "cell", err.ename, err.evalue
            error = f"{err.ename}: {_one_line(err.evalue)}" if err.evalue else err.ename
        except CellTimeoutError:
            kind, error = "timeout", f"took longer than {float(timeout):g} s"
        except Exception as err:  # noqa: BLE001 - a dead kernel, a kernel that never started: report it
            if watch.stopped or (stop is not None and _is_set(stop)):
                kind, error = "stopped", "stopped before it finished"
            elif watch.expired or time.monotonic() > deadline:
                kind, error = "timeout", f"took longer than {float(timeout):g} s"
            elif isinstance(err, DeadKernelError):
                kernel_stderr.seek(0)
                said = _last_line(kernel_stderr.read()[-4000:].decode("utf-8", "replace"))
                kind, error = "kernel", "the kernel died (out of memory?)" + (f": {said}" if said else "")
            else:
                kind, error = "kernel", f"{type(err).__name__}: {_last_line(str(err))}"
        finally:  # a kernel that failed to start leaves nbclient's exit hook behind, which then fails
            atexit.unregister(client._cleanup_kernel)
    duration = time.monotonic() - start
    replacements = [(str(cwd), ".")] + list(scrub or [])
    scrub_paths(nb, replacements)
    if output is not None:
        nbformat.write(nb, Path(output))
    if error is not None:
        error = scrub_text(error, replacements)
        evalue = scrub_text(evalue, replacements) if evalue else evalue
    return Execution(error is None, error, duration, nb, kind=kind, ename=ename, evalue=evalue)


def _is_set(flag) -> bool:
    """Whether a stop flag is set; a flag that cannot be read (a lost scheduler) is not set."""
    try:
        return bool(flag.is_set())
    except Exception:  # noqa: BLE001
        return False


# ---------------------------------------------------------------- machine paths
def default_replacements() -> list[tuple[str, str]]:
    """This machine's folders that must not appear in a page, with their placeholders."""
    pairs = [(str(KIT_ROOT), "<kit>"), (sys.prefix, "<venv>"), (sys.base_prefix, "<python>"),
             (tempfile.gettempdir(), "<tmp>"), (str(Path.home()), "~")]
    return [(p, label) for p, label in pairs if p and p not in ("/", ".")]


def scrub_text(text: str, replacements: Sequence[tuple[str, str]] = ()) -> str:
    """``text`` with every absolute path of ``replacements`` (and of ``default_replacements``)
    replaced by its label; the longest paths first, so that a folder inside another keeps its
    own label."""
    pairs = sorted(list(replacements) + default_replacements(), key=lambda p: -len(p[0]))
    for path, label in pairs:
        for variant in dict.fromkeys((path, os.path.realpath(path))):
            if variant and variant != "/":
                text = re.sub(re.escape(variant) + r"(?![\w.-])", lambda _m: label, text)
    return text


def scrub_paths(nb, replacements: Sequence[tuple[str, str]] = ()):
    """Replace absolute paths in a notebook's outputs (text, tracebacks, HTML) and in
    papermill's metadata, in place; returns the notebook."""
    def clean(value):
        if isinstance(value, str):
            return scrub_text(value, replacements)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return type(value)({k: clean(v) for k, v in value.items()})
        return value

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = clean(out["text"])
            if "traceback" in out:
                out["traceback"] = clean(out["traceback"])
                out["evalue"] = clean(out.get("evalue", ""))
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in out.get("data", {}):
                    out["data"][mime] = clean(out["data"][mime])
    if "papermill" in nb.metadata:
        nb.metadata["papermill"] = clean(nb.metadata["papermill"])
    return nb


# ---------------------------------------------------------------- HTML
SOLUTION_TAG = "solution"
"""Cells tagged so hold an exercise's solution: collapsed in Jupyter (``jupyter.source_hidden``)
and behind a "Show the solution" fold on the web page."""

# A page loads no script from the web (no require.js, MathJax or mermaid), and solutions fold
# away behind <details>.
_PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block any_cell scoped -%}
{%- if 'solution' in cell.metadata.get('tags', []) -%}
<details class="kit-solution"><summary>Show the solution</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{%- endblock any_cell -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def to_html(nb, output=None, *, exclude_input: bool = False, title: str | None = None) -> str:
    """An executed notebook as one self-contained HTML page (nbconvert's lab template): a run's report.

    Parameters
    ----------
    nb : NotebookNode or str or Path
        The executed notebook, or its file.
    output : str or Path, optional
        Where to write the page; the HTML is returned either way.
    exclude_input : bool, default False
        Hide the code (and the input prompts), as reports do.
    title : str, optional
        The page's title; default: the notebook's first heading, else its file name.

    The page loads no script from the web (no require.js, MathJax or mermaid); cells tagged
    ``solution`` are folded behind "Show the solution". (The course's pages are built by Sphinx:
    ``helpers.course``.)

    Returns
    -------
    str
        The page.
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(Path(nb), as_version=4)
    nb = nbformat.from_dict(nb)  # a copy: the caller's notebook keeps its metadata
    nb.metadata["title"] = title or first_heading(nb) or "notebook"
    options = dict(template_name="lab", exclude_input=exclude_input, exclude_input_prompt=exclude_input,
                   exclude_output_prompt=exclude_input, embed_images=True,
                   extra_loaders=[DictLoader({"kit_page.html.j2": _PAGE_TEMPLATE})],
                   template_file="kit_page.html.j2")
    exporter = HTMLExporter(**options)
    body, _ = exporter.from_notebook_node(nb)
    body = scrub_text(body)
    if output is not None:
        Path(output).write_text(body, encoding="utf-8")
    return body


def first_heading(nb) -> str | None:
    """The text of the notebook's first markdown heading (``# ...``), or None."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"^\s*#{1,6}\s+(.*\S)", line)
            if match:
                return match.group(1).strip()
    return None

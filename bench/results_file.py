"""bench/RESULTS.md is written by several benchmarks, each owning one section between its own
markers (``<!-- name:start -->`` ... ``<!-- name:end -->``); ``write_section`` replaces a section in
place, or appends it under its heading the first time, and leaves the others as they are."""
from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of the section ``name``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(path, name: str, body: str, heading: str) -> str:
    """Put ``body`` between the markers of section ``name`` in ``path``; returns the block written."""
    start, end = markers(name)
    block = f"{start}\n{body}\n{end}"
    path = Path(path)
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n"
    path.write_text(text)
    return block


def finish(path, name: str, lines: list[str], heading: str, ok: bool) -> int:
    """Write a benchmark's lines as section ``name``, print them, and return its exit status
    (0 when its goals are met, 1 when not)."""
    print(write_section(path, name, "\n".join(lines), heading))
    return 0 if ok else 1

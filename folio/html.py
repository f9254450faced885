"""Small lxml helpers shared by the book model and the editions."""
from __future__ import annotations

import re
from typing import Callable
from urllib.parse import unquote

import lxml.html
from lxml import etree



def parse_fragment(markup: str) -> lxml.html.HtmlElement:
    """Parse HTML into a <div> wrapper, whatever the markup's top level holds."""
    return lxml.html.fragment_fromstring(markup or "", create_parent="div")


def inner_html(element) -> str:
    """The element's content (text and children) as HTML, without its own tag."""
    parts = [escape_text(element.text or "")]
    parts += [lxml.html.tostring(child, encoding="unicode") for child in element]
    return "".join(parts)


def inner_xhtml(element) -> str:
    """The element's content as well-formed XHTML, for the EPUB."""
    parts = [escape_text(element.text or "")]
    parts += [etree.tostring(child, encoding="unicode", method="xml") for child in element]
    return "".join(parts)


def to_xhtml(markup: str) -> str:
    return inner_xhtml(parse_fragment(markup))


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_of(element) -> str:
    """The words of an element as a reader sees them: a formula's TeX source (MathML's
    <annotation>, for machines) is not among them."""
    return " ".join("".join(_seen_text(element)).split())


def _seen_text(element):
    yield element.text or ""
    for child in element:
        if not (isinstance(child.tag, str) and child.tag.rpartition("}")[2] in ("annotation", "annotation-xml")):
            yield from _seen_text(child)
        yield child.tail or ""


def link(href: str, text: str, **attributes: str) -> str:
    """`<a href=...>text</a>` built as an element, so no value can break out of it."""
    anchor = lxml.html.Element("a", href=href, **attributes)
    anchor.text = text
    return lxml.html.tostring(anchor, encoding="unicode")


def relink_tree(tree, href_for: Callable[[str], str]):
    """Rewrite every in-book link `#id` in `tree` with `href_for(id)`; other links stay.
    pandoc and lxml's HTML writer percent-encode non-ASCII fragments; ids are not, so
    the fragment is decoded first (an EPUB checker compares them byte for byte)."""
    for anchor in tree.iter("a"):
        href = anchor.get("href") or ""
        if href.startswith("#") and len(href) > 1:
            anchor.set("href", href_for(unquote(href[1:])))
    return tree


LINK_TARGET = re.compile(r'href="#([^"]+)"')


def linked_anchors(markup: str) -> set[str]:
    """The ids the links of pandoc's HTML lead to. A pattern is enough: pandoc writes a
    quote in text as `&quot;`, so a code sample that shows `href="#x"` is not read."""
    return {unquote(anchor) for anchor in LINK_TARGET.findall(markup)}


def relink(markup: str, href_for: Callable[[str], str]) -> str:
    """`relink_tree` for markup, for editions that write HTML."""
    if 'href="#' not in markup:
        return markup
    return inner_html(relink_tree(parse_fragment(markup), href_for))


def file_names(chapter_ids, reserved: set[str], suffix: str) -> dict[str, str]:
    """One file name per chapter id, none of them one of the edition's own files and no
    two alike, even on a file system that ignores case ('Index' and 'index')."""
    taken = {name.lower() for name in reserved}
    names = {}
    for chapter_id in chapter_ids:
        stem, n = chapter_id, 1
        while stem.lower() in taken:
            n += 1
            stem = f"{chapter_id}-chapter" if n == 2 else f"{chapter_id}-chapter-{n - 1}"
        taken.add(stem.lower())
        names[chapter_id] = stem + suffix
    return names


CODE_HANG = 8   # characters a turned-over line of code hangs past its own indentation (PEP 8: past the next level)
CODE_HANG_MOST = 8   # characters of indentation past which it hangs no further: at most 16 in all


def code_lines(tree) -> None:
    """Each line of a code block a box of its own (`.code-line`), whose part turned over
    for want of width hangs past the line's own indentation: set from the margin, it
    would read as a line of the program. The EPUB, the site and the PDF's text wrap code
    so (a phone's screen and an e-reader's page are as narrow as a book's); the PDF's
    notes set their code inline, as before, and a table's cell is too narrow to hang in.
    Each line still ends in its newline, so that text read without the stylesheet (a
    reader's plain view, the conservation check) keeps its lines; an empty line is that
    newline alone, one line high. pandoc's highlighted lines are already a span each
    (numbered lines count them): they take the class. A block whose line runs across
    an element is left as it is."""
    for pre in list(tree.iter("pre")):
        if any(ancestor.tag in ("td", "th") for ancestor in pre.iterancestors()):
            continue
        holder = pre[0] if len(pre) == 1 and pre[0].tag == "code" and not (pre.text or "").strip() else pre
        lines = _lines_of(holder)
        if lines is None or not any(lines):
            continue
        holder.text = None
        for number, line in enumerate(lines, 1):
            text = "".join(item if isinstance(item, str) else "".join(item.itertext()) for item in line)
            indent = len(text) - len(text.lstrip(" \t")) if text.strip() else 0
            indent = len(text[:indent].expandtabs(8))
            if len(line) == 1 and not isinstance(line[0], str) and line[0].tag == "span":
                span = line[0]
                span.set("class", " ".join([*(span.get("class") or "").split(), "code-line"]))
            else:
                span = lxml.html.Element("span", {"class": "code-line"})
                for item in line:
                    _append_text(span, item) if isinstance(item, str) else span.append(item)
            if number < len(lines) or not text:
                _append_text(span, "\n")   # the line's own end (inside its box: no line more)
            hang = min(indent, CODE_HANG_MOST) + CODE_HANG
            span.set("style", f"padding-left: {hang}ch; text-indent: -{hang}ch")
            holder.append(span)


def _append_text(element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def _lines_of(holder) -> list[list] | None:
    """The content of a code block cut at its newlines: per line, its text and
    elements; None if a newline falls inside an element, or it holds a comment."""
    lines: list[list] = [[]]

    def add(text: str | None) -> None:
        for number, part in enumerate((text or "").split("\n")):
            if number:
                lines.append([])
            if part:
                lines[-1].append(part)
    for child in list(holder):
        if not isinstance(child.tag, str) or "\n" in "".join(child.itertext()):
            return None
    text = holder.text or ""
    add(text[1:] if text.startswith("\n") else text)   # HTML: a newline just after <pre> is not shown
    for child in list(holder):
        tail, child.tail = child.tail, None
        lines[-1].append(child)
        add(tail)
    if len(lines) > 1 and not lines[-1]:
        lines.pop()   # the newline that ends the last line
    return lines

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

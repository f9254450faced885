"""SVG images from an untrusted manuscript, made safe to copy into every edition.

An SVG file is a document, not a picture: it can run scripts, load other files and
URLs (images, stylesheets, fonts, other SVGs), and declare entities that read local
files when expanded. `clean_svg` keeps what draws the picture (shapes, text, paint,
gradients, filters, references inside the file) and removes everything that reaches
outside it, saying what it removed.
"""
from __future__ import annotations

import re

from lxml import etree

SVG = "http://www.w3.org/2000/svg"
XML = "http://www.w3.org/XML/1998/namespace"
XLINK = "http://www.w3.org/1999/xlink"
# Markup languages a browser or an EPUB reader would bring to life inside an SVG.
ACTIVE_NAMESPACES = {
    "http://www.w3.org/1999/xhtml": "XHTML",
    "http://www.w3.org/1998/Math/MathML": "MathML",
    "http://www.w3.org/2001/XInclude": "XInclude",
    "http://www.w3.org/1999/XSL/Transform": "XSLT",
    "http://www.w3.org/2001/xml-events": "XML Events",
}
# Elements removed wherever they are (any namespace): they run code or embed documents.
ALWAYS_REMOVED = {"script", "foreignobject", "iframe", "handler", "listener", "object", "embed",
                  "frame", "frameset", "applet", "prefetch", "animation", "video", "audio"}
# Elements whose only point is the resource they reference: without it they go too.
# Others that reference something (gradients, patterns, filters, text paths, links)
# keep their own content and lose only the reference.
REFERENCING = {"image", "use", "feimage", "tref", "mpath", "cursor", "font-face-uri", "glyphref",
               "altglyph", "color-profile", "animate", "animatemotion", "animatetransform",
               "animatecolor", "set"}
ANIMATIONS = {"animate", "animatemotion", "animatetransform", "animatecolor", "set"}
REFERENCE_ATTRIBUTES = {"href", "src"}
SAFE_DATA = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[a-z0-9+/=\s]*", re.I)
URL_SPACE = " \t\n\r\f"
CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(.))", re.S)
# CSS that loads something without `url(`, or runs code in old engines.
CSS_LOADERS = re.compile(r"@import|image-set\(|(?<![a-z-])image\(|cross-fade\(|(?<![a-z-])src\(|"
                         r"expression\(|-moz-binding|behavior\s*:")
CSS_URL = re.compile(r"url\(\s*(['\"]?)\s*(.)?", re.S)


def _short(value: str, limit: int = 60) -> str:
    """A hostile value, fit to quote in one line of a diagnostic."""
    value = re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()
    return value if len(value) <= limit else value[:limit - 1] + "…"


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _named(element) -> str:
    return f"<{_local(element.tag)[:40]}>"


def _css_decoded(text: str) -> str:
    """CSS text with escapes undone and lower-cased, as a CSS parser would read names:
    `u\\72l(` and `@\\69mport` are `url(` and `@import`."""
    def unescape(match):
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return "" if match.group(2) == "\n" else match.group(2)
    return CSS_ESCAPE.sub(unescape, text).lower()


def reaches_outside(css: str) -> bool:
    """Whether CSS (a stylesheet, a style attribute or a presentation attribute's value)
    refers to anything but a fragment of the same file: `url(` to something other
    than `#id`, `@import`, `image-set(` and the like."""
    text = _css_decoded(css)
    if CSS_LOADERS.search(text):
        return True
    return any(match.group(2) != "#" for match in CSS_URL.finditer(text))


def _safe_reference(value: str) -> bool:
    """A reference that stays in the file (`#id`) or carries its image (a base64 PNG,
    JPEG, GIF or WebP `data:` URL)."""
    value = value.strip(URL_SPACE)
    return value.startswith("#") or SAFE_DATA.fullmatch(value) is not None


def _remove(element) -> None:
    """Remove an element and what it holds, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _entities(root) -> dict[str, str]:
    """Internal entities whose text is plain (no markup, no further references)."""
    dtd = root.getroottree().docinfo.internalDTD
    plain = {}
    if dtd is not None:
        for entity in dtd.iterentities():
            content = entity.content
            if entity.system_url is None and content is not None and not re.search(r"[<&%]", content):
                plain[entity.name] = content
    return plain


def clean_svg(data: bytes) -> tuple[bytes, list[str]]:
    """The SVG without anything that runs or reaches outside it, and what was removed.

    Raises ValueError with a short reason if `data` is not a well-formed SVG document.
    The result is UTF-8 with an XML declaration and no DOCTYPE, so no entity can be
    expanded by whatever reads it later.
    """
    if not isinstance(data, (bytes, bytearray)) or not data.strip():
        raise ValueError("the file is empty")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             dtd_validation=False, attribute_defaults=False, remove_blank_text=False)
    try:
        root = etree.fromstring(bytes(data), parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML: {_short(exc.msg or str(exc), 100)}") from None
    if root is None or root.tag != f"{{{SVG}}}svg":
        found = _local(root.tag) if root is not None else "nothing"
        raise ValueError(f"the root element is <{_short(found, 40)}>, not an SVG <svg>")

    removed: list[str] = []
    plain_entities = _entities(root)
    dtd = root.getroottree().docinfo.internalDTD
    for entity in dtd.iterentities() if dtd is not None else ():
        if entity.system_url is not None:
            removed.append(f"DOCTYPE declaring external entity '{_short(entity.name, 40)}' "
                           f"({_short(entity.system_url)})")
    # What precedes or follows the root element (an xml-stylesheet instruction loads a
    # stylesheet) is left out, as is the DOCTYPE: only the root element is written.
    for node in [*root.itersiblings(preceding=True), *root.itersiblings()]:
        if isinstance(node, etree._ProcessingInstruction):
            removed.append(f"processing instruction <?{_short(node.target, 30)}?>")

    # Entity references: a plain internal one becomes its text, any other one goes.
    for entity in [node for node in root.iter() if isinstance(node, etree._Entity)]:
        name = entity.text.strip("&;")
        replacement = plain_entities.get(name)
        if replacement is None:
            removed.append(f"entity reference &{_short(name, 40)};")
        parent, text = entity.getparent(), (replacement or "") + (entity.tail or "")
        previous = entity.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        parent.remove(entity)

    # Processing instructions (an xml-stylesheet one loads a stylesheet).
    for pi in [node for node in root.iter() if isinstance(node, etree._ProcessingInstruction)]:
        removed.append(f"processing instruction <?{_short(pi.target, 30)}?>")
        _remove(pi)

    # Elements that run code, embed documents, or are markup of another language.
    for element in list(root.iter(tag=etree.Element)):
        if not _in_tree(element, root):
            continue
        namespace = etree.QName(element).namespace
        name = _local(element.tag).lower()
        if name in ALWAYS_REMOVED:
            removed.append(f"{_named(element)} element")
            _remove(element)
        elif namespace in ACTIVE_NAMESPACES:
            removed.append(f"{ACTIVE_NAMESPACES[namespace]} element {_named(element)}")
            _remove(element)

    for element in list(root.iter(tag=etree.Element)):
        if not _in_tree(element, root):
            continue
        name = _local(element.tag).lower()
        # Animations that retarget a reference, or set an event handler.
        if name in ANIMATIONS:
            target = (element.get("attributeName") or "").strip().rsplit(":", 1)[-1].lower()
            if target in REFERENCE_ATTRIBUTES or target.startswith("on") or target == "style":
                removed.append(f"{_named(element)} animating '{_short(target, 30)}'")
                _remove(element)
                continue
        # Stylesheets that load something.
        if name == "style":
            if reaches_outside("".join(element.itertext())):
                removed.append("<style> element loading something from outside the image")
                _remove(element)
                continue
        dropped = False
        for attribute, value in list(element.attrib.items()):
            local = _local(attribute).lower()
            if local.startswith("on"):
                removed.append(f"event handler {_short(local, 30)} on {_named(element)}")
                del element.attrib[attribute]
            elif attribute == f"{{{XML}}}base":
                removed.append(f"xml:base on {_named(element)}")
                del element.attrib[attribute]
            elif local in REFERENCE_ATTRIBUTES:
                if _safe_reference(value):
                    continue
                if name in REFERENCING:
                    removed.append(f"{_named(element)} referring to '{_short(value)}'")
                    _remove(element)
                    dropped = True
                    break
                removed.append(f"reference '{_short(value)}' on {_named(element)}")
                del element.attrib[attribute]
            elif reaches_outside(value):
                removed.append(f"{_short(local, 30)}='{_short(value)}' on {_named(element)}")
                del element.attrib[attribute]
        if dropped:
            continue
        # An attribute value read while entities were declared may still hold one:
        # setting it again stores plain text.
        for attribute, value in list(element.attrib.items()):
            element.set(attribute, value)

    if drawn_elements(root) > MAX_DRAWN_ELEMENTS:
        raise ValueError(f"its <use> elements copy each other into over {MAX_DRAWN_ELEMENTS:,} elements")
    text = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return text, removed


MAX_DRAWN_ELEMENTS = 1_000_000   # a drawing's elements once every <use> has copied its target


def drawn_elements(root) -> int:
    """How many elements the SVG draws, each <use> counted as a copy of what it names:
    eleven levels of ten <use>s of the level below are 2 KB to read and 10^11 to draw,
    which would hold the layout (and a reader's browser) for hours. Counted with each
    id's size kept, so the count is cheap; it stops once over the limit."""
    ids = {element.get("id"): element for element in root.iter(tag=etree.Element) if element.get("id")}
    sizes: dict = {}

    def size(element, within: frozenset) -> int:
        if element in sizes:
            return sizes[element]
        total = 1
        if _local(element.tag).lower() == "use":
            link = element.get(f"{{{XLINK}}}href") or element.get("href") or ""
            target = ids.get(link[1:]) if link.startswith("#") else None
            if target is not None and target not in within:
                total += size(target, within | {element})
        for child in element.iterchildren(tag=etree.Element):
            if total > MAX_DRAWN_ELEMENTS:
                break
            total += size(child, within | {element})
        sizes[element] = total
        return total
    try:
        return size(root, frozenset())
    except RecursionError:   # a chain of <use>s too long to follow is too long to draw
        return MAX_DRAWN_ELEMENTS + 1


def _in_tree(element, root) -> bool:
    """Whether `element` is still under `root` (an ancestor may have been removed)."""
    while element is not None:
        if element is root:
            return True
        element = element.getparent()
    return False

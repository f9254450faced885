"""Index marks kept out of the layout's markup, found again in the laid-out text.

An index mark is a span with an id around the words it marks (index.py). WeasyPrint
sets a line as one box per inline element and measures each box again at every
break it tries: taking the bundled book's marks out of spans cut its chapters'
rendering by 38 %. The layout's markup leaves them out (`lift`):
each mark is kept as the count of letters and digits before it in its passage (a
stamped block, pagemap.stamp) or its note. Once the chapter is laid out, the text
boxes are counted through in the same way (`locate`), and the mark goes to the box
holding its next letter: its page for the index and the glossary, its place for the
named destination the index links to (`add_destinations`).

Counting letters and digits only makes the two counts agree whatever the layout did
to spaces, hyphens and soft hyphens; generated text (note calls, list markers) is
not counted on either side, and a passage whose laid-out letters do not add up to
its markup's (text hidden by the stylesheet, a table header repeated on each page)
places none of its marks. A passage holding an image, a formula or a form control
before a mark keeps that mark as a span, and so does a mark whose letter is not the
one found where it was counted: the chapter is then laid out again with its spans
(layout.py), never given a wrong page.
"""
from __future__ import annotations

from dataclasses import dataclass

from .index import MARK
from .pagemap import STAMP

# Content whose text WeasyPrint does not set as text boxes, or sets otherwise.
OPAQUE = {"math", "svg", "img", "object", "iframe", "video", "audio", "canvas", "select", "textarea",
          "input", "button", "annotation", "annotation-xml"}
PX_TO_PT = 0.75


@dataclass(frozen=True)
class Mark:
    id: str
    domain: tuple      # ("passage", stamp) or ("note", note id)
    offset: int        # letters and digits of the domain before the mark
    letter: str        # the next one, lower case; "" at the domain's end
    total: int         # letters and digits of the whole domain


def _alnum(text: str | None) -> str:
    return "".join(c for c in text if c.isalnum()) if text else ""


def _own_domain(element) -> tuple | None:
    stamp = element.get(STAMP)
    if stamp is not None:
        return ("passage", stamp)
    if "fn" in (element.get("class") or "").split() and element.get("id"):
        return ("note", element.get("id"))
    return None


def _is_mark(element) -> bool:
    return element.tag == "span" and "ix" in (element.get("class") or "").split() \
        and (element.get("id") or "").startswith(MARK)


def _placeable(element) -> bool:
    """A mark its next letter places: one that starts with a letter or digit, or an
    empty one (a range's start, whose place is the word after it). A mark on `:=`
    or a star at a page's foot would take the page of the next word."""
    text = "".join(element.itertext()).strip()
    return not text or text[0].isalnum()


def lift(tree) -> list[Mark]:
    """Take the index marks out of a chapter's tree (their text stays), and say where
    each was. A mark outside any passage or note, after an image or formula in its
    passage, or whose text starts with neither a letter nor a digit, stays in the
    tree."""
    pieces: dict[tuple, list[str]] = {}
    counted: dict[tuple, int] = {}
    opaque: set[tuple] = set()
    found: list[tuple] = []   # (element, domain, offset)

    def add(domain, text) -> None:
        letters = _alnum(text)
        if letters:
            pieces.setdefault(domain, []).append(letters)
            counted[domain] = counted.get(domain, 0) + len(letters)

    def visit(element, domain) -> None:
        domain = _own_domain(element) or domain
        if _is_mark(element) and domain is not None and domain not in opaque and _placeable(element):
            found.append((element, domain, counted.get(domain, 0)))
        if element.tag in OPAQUE:
            opaque.add(domain)
            return
        add(domain, element.text)
        for child in element:
            if isinstance(child.tag, str):
                visit(child, domain)
            add(domain, child.tail)

    visit(tree, None)
    joined = {domain: "".join(found_in) for domain, found_in in pieces.items()}
    marks = []
    for element, domain, offset in found:
        letters = joined.get(domain, "")
        marks.append(Mark(element.get("id"), domain, offset, letters[offset].lower() if offset < len(letters) else "",
                          len(letters)))
        element.drop_tag()
    return marks


def locate(document, marks: list[Mark]) -> dict[str, tuple[int, float, float]] | None:
    """Each mark's (page, x, y) in CSS pixels, from the laid-out text boxes; None if a
    mark is not found with its letter (the chapter is then set with its spans)."""
    from weasyprint.formatting_structure.boxes import TextBox
    wanted: dict[tuple, list[Mark]] = {}
    for mark in sorted(marks, key=lambda m: m.offset, reverse=True):
        wanted.setdefault(mark.domain, []).append(mark)   # the next one to find last
    counted: dict[tuple, int] = {}
    last_box: dict[tuple, tuple] = {}
    where: dict[str, tuple[int, float, float]] = {}
    wrong = False

    def walk(box, domain, page: int) -> None:
        nonlocal wrong
        if "::" in (box.element_tag or ""):   # generated: a note call or marker, a ::before
            return
        element = box.element
        if element is not None:
            domain = _own_domain(element) or domain
        if isinstance(box, TextBox):
            if domain is None:
                return
            letters = _alnum(box.text)
            at = counted.get(domain, 0)
            pending = wanted.get(domain)
            while pending and pending[-1].offset < at + len(letters):
                mark = pending.pop()
                if letters[mark.offset - at].lower() != mark.letter:   # pending: offsets from `at` on
                    wrong = True
                where[mark.id] = (page, box.position_x, box.position_y)
            counted[domain] = at + len(letters)
            last_box[domain] = (page, box.position_x, box.position_y)
            return
        for child in getattr(box, "children", ()):
            walk(child, domain, page)

    for number, page in enumerate(document.pages):
        walk(page._page_box, None, number)
    for domain, pending in wanted.items():   # marks at their passage's very end
        for mark in pending:
            if mark.letter or domain not in last_box or mark.offset != counted.get(domain):
                return None
            where[mark.id] = last_box[domain]
    # Every letter counted in the markup was laid out, once: nothing hidden, repeated
    # (a table's header on each page) or generated shifted the count.
    if any(counted.get(mark.domain) != mark.total for mark in marks):
        return None
    return None if wrong else where


def add_destinations(document, pdf, where: dict[str, tuple[int, float, float]]) -> None:
    """A WeasyPrint finisher's part: the marks' named destinations, put among those
    WeasyPrint wrote for the elements with ids, the name tree kept in order."""
    import pydyf
    if not where:
        return
    names = pdf.catalog.setdefault("Names", pydyf.Dictionary())
    dests = names.setdefault("Dests", pydyf.Dictionary({"Names": pydyf.Array()}))
    flat = list(dests["Names"])
    pairs = [(flat[i].string, flat[i + 1]) for i in range(0, len(flat) - 1, 2)]
    for name, (page, x, y) in where.items():
        height = document.pages[page].height
        pairs.append((name, pydyf.Array([pdf.page_references[page], "/XYZ", x * PX_TO_PT,
                                         (height - y) * PX_TO_PT, 0])))
    dests["Names"] = pydyf.Array([item for name, dest in sorted(pairs, key=lambda pair: pair[0])
                                  for item in (pydyf.String(name), dest)])

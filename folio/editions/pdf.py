"""Turn the `Book` into PDF with WeasyPrint: a screen edition and a print edition.

Both come from one template and one stylesheet; `PageSettings` holds what differs
(bleed, crop marks, link colour, tagging). Footnotes become CSS `float: footnote`
spans so they sit at the foot of the page where they are called.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import sys
import time
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lxml.html

from .. import backmatter, conservation, fonts, hyphenation, index, locators, marks, pagemap, press, setting, stitch
from .. import furniture as page_furniture
from ..backmatter import page_ranges
from ..book import Book, Chapter
from ..diagnostics import BuildError, Diagnostic, Reporter, error
from ..check import to_points
from ..html import code_lines, inner_html, linked_anchors, parse_fragment, text_of
from ..paths import COVER_RECORD, LAID_OUT_SUMMARY, PRESS_PLAN, PRINT_BESIDE, PRINT_BESIDE_RECORD, STITCH_RECORD
from ..render import atomic_path, render, stylesheet

LENGTH = re.compile(r"^\d+(\.\d+)?(in|mm|cm|pt)$")
# A note floats from inside the paragraph that calls it, so it may hold no element an
# HTML parser takes for a block: one closes the <p> around the note, and the rest of
# the note is printed in the body (pandoc's `[^2]:` with an indented code block did).
# These are every element of transforms.HTML_ELEMENTS that the HTML parser does not
# keep inside a <p>, or keeps only inside a table; each becomes a <span> with the class
# `fn-TAG`, which pdf.css sets as a block, a list item or a table part again.
NOTE_BLOCKS = frozenset("""address article aside blockquote details div dl dd dt figcaption figure footer
    h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary ul
    table caption colgroup col thead tbody tfoot tr td th""".split())


@dataclass(frozen=True)
class PageSettings:
    width: str = "6in"
    height: str = "9in"
    bleed: str = "0in"
    crop_marks: bool = False
    for_print: bool = False
    target: str | None = None      # press.TARGETS: the service the print file is made for
    paper: str = "white"
    # The text block: margins in points (top, bottom, inner, outer).
    margins: tuple[float, float, float, float] = (52, 61, 59, 45)

    @property
    def suffix(self) -> str:
        return "-print" if self.for_print else ""

    @property
    def tallest_image(self) -> float:
        """The height in points an image may take: the text block's, less room for a
        chapter's opening (its drop and title, some 150 pt) and a caption's lines, so a
        figure fits on the page its chapter opens on. A taller one is scaled down whole,
        not cut at the page's foot."""
        from ..check import to_points
        return max(to_points(self.height) - self.margins[0] - self.margins[1] - 180, 72.0)


# A page smaller than a playing card or larger than a broadsheet is a typo, and a tiny
# one multiplies the page count without end ('1pt 1pt' made 916 pages of 11).
TRIM_RANGE = (144.0, 1728.0)   # 2 in to 24 in, each side
MAX_BLEED = 36.0               # 0.5 in
# An index mark's anchor (index.py) is a named destination of the PDF only if a link
# leads to it: the index links to one mark per page, and a 1,700-page book has 20,000
# marks nothing links to, some 60 MB of the stitch's memory.
INDEX_MARK_PREFIXES = (index.MARK,)


def settings_from(manuscript, for_print: bool, crop_marks: bool | None = None) -> PageSettings:
    """Trim size, bleed and crop marks from the manuscript metadata, checked."""
    metadata = manuscript.metadata
    trim = str(metadata.get("trim-size") or "6in 9in").split()
    bleed = str(metadata.get("bleed") or "0.125in")
    for key, values in (("trim-size", trim), ("bleed", [bleed])):
        for value in values:
            if not LENGTH.match(value):
                raise error("FOLIO040", f"{key} '{value}' is not a length folio understands", *manuscript.where(key),
                            fix="write lengths like 6in, 152mm or 432pt; trim-size as 'WIDTH HEIGHT'")
    if len(trim) != 2:
        raise error("FOLIO040", "trim-size needs a width and a height", *manuscript.where("trim-size"),
                    fix="write e.g. 'trim-size: 6in 9in'")
    if not all(TRIM_RANGE[0] <= to_points(v) <= TRIM_RANGE[1] for v in trim):
        raise error("FOLIO040", f"trim-size '{' '.join(trim)}' is outside 2in to 24in",
                    *manuscript.where("trim-size"), fix="write the page size of the printed book, e.g. '6in 9in' or '148mm 210mm'")
    if to_points(bleed) > MAX_BLEED:
        raise error("FOLIO040", f"bleed '{bleed}' is over 0.5in", *manuscript.where("bleed"),
                    fix="printers ask for 0.125in (3mm)")
    marks = bool(metadata.get("crop-marks", False)) if crop_marks is None else crop_marks
    target, paper = _print_target(manuscript, trim)
    if target is not None:
        bleed = f"{press.TARGETS[target].bleed}in"
        if marks and for_print and not press.TARGETS[target].marks:
            # Marks widen the page past the trim and bleed, the one size the service takes.
            raise error("FOLIO043", f"{press.TARGETS[target].title} takes pages without crop marks",
                        *manuscript.where("crop-marks" if crop_marks is None else "print"),
                        fix="remove crop-marks (and --crop-marks): the service trims to the TrimBox")
    return PageSettings(trim[0], trim[1], bleed if for_print else "0in", marks and for_print, for_print,
                        target=target, paper=paper)


def _print_target(manuscript, trim: list[str]) -> tuple[str | None, str]:
    """The `print:` service and `paper:`, checked against the service's rules."""
    metadata = manuscript.metadata
    name = metadata.get("print")
    paper = str(metadata.get("paper") or "white").strip().lower()
    if name in (None, "", False):
        return None, paper
    name = str(name).strip().lower()
    if name not in press.TARGETS:
        raise error("FOLIO043", f"print: '{str(metadata.get('print'))[:60]}' is not a service folio knows",
                    *manuscript.where("print"), fix=f"write one of {', '.join(press.TARGETS)}")
    target = press.TARGETS[name]
    if paper not in target.papers:
        raise error("FOLIO043", f"paper: '{paper[:40]}' is not one {target.title} offers", *manuscript.where("paper"),
                    fix=f"write one of {', '.join(target.papers)}")
    width, height = (to_points(v) / press.INCH for v in trim)
    if target.trims and not any(abs(width - w) < 0.011 and abs(height - h) < 0.011 for w, h in target.trims):
        sizes = ", ".join(f"{w}×{h}" for w, h in target.trims)
        raise error("FOLIO043", f"{target.title} does not print a {width:g} × {height:g} in book",
                    *manuscript.where("trim-size"), fix=f"choose a trim size it prints (inches): {sizes}")
    return name, paper


def _inline_blocks(note) -> None:
    """A note's blocks as spans, so the note can float from inside a paragraph.

    The line breaks pandoc writes between blocks go: inside a footnote WeasyPrint (v70)
    sets each as an empty line (measured), so a list's items stood a line apart."""
    blocks = set(note.iter(*NOTE_BLOCKS))
    verbatim = {e for pre in note.iter("pre") for e in pre.iter()}
    for element in note.iter():
        if len(element) and element[0] in blocks and not (element.text or "").strip():
            element.text = None
        if element in blocks and element not in verbatim:   # `<dd>\nText\n</dd>`
            element.text = (element.text or "").lstrip() or None
            if len(element):
                element[-1].tail = (element[-1].tail or "").rstrip() or None
            else:
                element.text = (element.text or "").rstrip() or None
        if element is not note and (element in blocks or element.getnext() in blocks) \
                and not (element.tail or "").strip():
            element.tail = None
    for element in list(note.iter()):
        if element in blocks:
            element.set("class", (element.get("class", "") + f" fn-{element.tag}").strip())
            element.tag = "span"


def _unlinked(markup: str) -> str:
    """A heading as copied into the contents (and from there into bookmarks): its text
    and emphasis, without links (a link inside the contents' own link would split the
    entry in two and point nowhere), note calls or ids (the heading keeps those)."""
    import markupsafe
    tree = parse_fragment(markup)
    for call in list(tree.find_class("footnote-ref")):
        call.drop_tree()
    for element in list(tree.iter()):
        if not isinstance(element.tag, str):
            continue
        if element is not tree:
            element.attrib.pop("id", None)
        if element.tag == "a":
            element.drop_tag()
    return markupsafe.Markup(inner_html(tree).strip())


def _describe_figures(tree) -> None:
    """An image that stands alone in a captioned figure, with no alternative text of its
    own (pandoc writes none for a PDF figure), is described by its caption: the tagged
    screen PDF must give every image one."""
    for figure in tree.iter("figure"):
        caption = figure.find("figcaption")
        images = list(figure.iter("img"))
        if caption is None or len(images) != 1 or (images[0].get("alt") or "").strip():
            continue
        beside = (figure.text or "") + "".join(
            ("" if child is caption else "".join(child.itertext())) + (child.tail or "") for child in figure)
        said = parse_fragment(inner_html(caption))
        for call in list(said.find_class("footnote-ref")):
            call.drop_tree()
        if text_of(said) and not beside.strip():
            images[0].set("alt", text_of(said))


def _roman(number: int) -> str:
    numerals = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
    out = ""
    for value, letters in numerals:
        while number >= value:
            out, number = out + letters, number - value
    return out or str(number)


def _alpha(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(97 + rest) + letters
    return letters or str(number)


LIST_STYLES = {"1": str, "a": _alpha, "A": lambda n: _alpha(n).upper(), "i": _roman, "I": lambda n: _roman(n).upper()}
DELIMITED = {"oneparen": "{})", "twoparens": "({})"}


def number_lists(tree) -> None:
    """WeasyPrint ignores `start`, `type` and `value` on lists (measured, v70), so a
    list that starts at (2) or counts in roman numerals would print 1., 2.: the PDF
    edition writes each item's marker itself."""
    for ol in tree.iter("ol"):
        if ol.get("class") or not (ol.get("start") or ol.get("type") or ol.get("data-delim")):
            continue   # plain 1. 2. 3.: the stylesheet's own counter is right
        style = LIST_STYLES.get(ol.get("type", "1"), str)
        pattern = DELIMITED.get(ol.get("data-delim", ""), "{}.")
        number = int(ol.get("start", "1")) if (ol.get("start") or "").lstrip("-").isdigit() else 1
        ol.set("class", "numbered")
        markers = []
        for item in [child for child in ol if child.tag == "li"]:
            if (item.get("value") or "").isdigit():
                number = int(item.get("value"))
            marker = lxml.html.Element("span", {"class": "li-marker"})
            marker.text = pattern.format(style(number))
            holder = item[0] if len(item) and item[0].tag == "p" and not (item.text or "").strip() else item
            marker.tail, holder.text = holder.text, ""
            holder.insert(0, marker)
            markers.append(marker)
            number += 1
        _room_for_markers(ol, markers)


MARKER_GAP = 0.2   # em between a list's marker and its item (pdf.css: the marker's padding)


def _room_for_markers(ol, markers) -> None:
    """A list indented enough for its widest marker: pdf.css leaves 1.4 em (1.2 em in a
    note), and "(viii)" is 2.3 em wide, which hung 9 pt into the margin. The list and
    its markers are widened together, the markers still set flush right."""
    if not markers:
        return
    in_note = any("fn" in (a.get("class") or "").split() for a in ol.iterancestors("span"))
    room = max(_ems(marker.text) for marker in markers) + MARKER_GAP + 0.1
    if room <= (1.2 if in_note else 1.4):
        return
    ol.set("style", f"margin-left: {room:.2f}em")
    for marker in markers:
        marker.set("style", f"width: {room - MARKER_GAP:.2f}em; margin-left: -{room:.2f}em")


@lru_cache(maxsize=1)
def _advances() -> tuple[dict, int]:
    from fontTools.ttLib import TTFont
    regular = next(p for p in fonts.font_files() if p.name == "SourceSerifPro-Regular.ttf")
    font = TTFont(str(regular), lazy=True)
    metrics, widths = font["hmtx"], {}
    for code, glyph in font.getBestCmap().items():
        widths[chr(code)] = metrics[glyph][0]
    return widths, font["head"].unitsPerEm


def _ems(text: str) -> float:
    """The text's width in ems in the body face (a character it lacks counted wide)."""
    widths, units = _advances()
    return sum(widths.get(char, 0.7 * units) for char in text) / units


MATH_SIZE = 10.5   # pt: the body type (pdf.css), so math sits in the line at the text's size
MATHML = "http://www.w3.org/1998/Math/MathML"


def _math_image(math) -> tuple[str, float, float, float] | None:
    """MathML typeset as SVG by ziamath (pure Python, STIX Two Math): the SVG and its
    width, height and depth below the baseline, in points. None if it cannot."""
    import ziamath
    from lxml import etree
    markup = lxml.html.tostring(math, encoding="unicode", with_tail=False)
    if "xmlns" not in math.attrib:
        markup = markup.replace("<math", f'<math xmlns="{MATHML}"', 1)
    try:
        element = etree.fromstring(markup)
    except etree.XMLSyntaxError:
        return None
    for annotation in list(element.iter(f"{{{MATHML}}}annotation", f"{{{MATHML}}}annotation-xml")):
        annotation.getparent().remove(annotation)
    for semantics in list(element.iter(f"{{{MATHML}}}semantics")):   # ziamath knows no <semantics>
        holder, at = semantics.getparent(), semantics.getparent().index(semantics)
        holder[at:at + 1] = list(semantics)
    try:
        svg = ziamath.Math(etree.tostring(element, encoding="unicode"), size=MATH_SIZE).svg()
    except Exception:   # ziamath's own limits: the plain reading stays
        return None
    box = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"', svg)
    if box is None:
        return None
    _, top, width, height = (float(v) for v in box.groups())
    return svg, width, height, top + height


def typeset_math(tree, ink=None) -> list[str]:
    """WeasyPrint has no math layout: each formula becomes an SVG image, with its TeX
    (or its text) as the alternative a screen reader and the text layer get.
    Returns the formulas left as plain text."""
    import base64
    left = []
    for math in list(tree.iter("math")):
        tex = next((a.text for a in math.iter("annotation") if a.get("encoding") == "application/x-tex"), None)
        made = _math_image(math)
        if made is None:
            left.append(tex or " ".join(math.itertext()))
            continue
        svg, width, height, depth = made
        if ink is not None:
            svg = ink(svg)
        image = lxml.html.Element("img", {
            "class": "math", "alt": (tex or " ".join(math.itertext())).strip(),
            "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"),
            "style": f"width: {width:.2f}pt; height: {height:.2f}pt; vertical-align: {-depth:.2f}pt"})
        if math.get("display") == "block":
            holder = lxml.html.Element("span", {"class": "math-display"})
            holder.append(image)
            image = holder
        image.tail = math.tail
        math.getparent().replace(math, image)
    return left


def call_anchor(note_id: str) -> str:
    """The id left where a note is called (`fncall-…` for `fn-…`)."""
    return "fncall-" + note_id.removeprefix("fn-")


def _float_notes(tree, chapter: Chapter) -> list:
    """Each note call becomes its note, floated to the foot of the page."""
    notes = {note.id: note for note in chapter.notes}
    floated = []
    for ref in list(tree.find_class("footnote-ref")):
        note = notes.get(ref.get("href", "#")[1:])
        if note is None:
            continue
        span = parse_fragment(note.html)
        _describe_figures(span)
        span.tag = "span"
        span.attrib.update({"class": "fn", "id": note.id, "data-n": str(note.number)})
        span.tail = ref.tail
        ref.getparent().replace(ref, span)
        # An anchor where the text calls the note: `check` finds the call's page in the
        # PDF's named destinations, beside the note's own (`fn-…`).
        span.addprevious(lxml.html.Element("span", {"id": call_anchor(note.id), "class": "fn-call-anchor"}))
        floated.append(span)
    return floated


def _captions_above(tree) -> None:
    """A table's caption becomes a paragraph just above it, as wide as the text."""
    for table in list(tree.iter("table")):
        caption = table.find("caption")
        parent = table.getparent()
        if caption is None or parent is None or parent.get("class", "").startswith("fn"):
            continue
        caption.tag = "p"
        caption.set("class", "table-caption")
        table.remove(caption)
        caption.tail = None
        parent.insert(parent.index(table), caption)


def chapter_title(chapter: Chapter, own: set[str] | None = None) -> str:
    """The chapter's title as its opening page sets it: a note it calls is set at the
    foot of that page (the running heads take the title's plain text). With `own`
    (the ids of its part of the layout), links elsewhere lead out of the part."""
    long_run = hyphenation.has_long_run(chapter.title_html)
    if "footnote-ref" not in chapter.title_html and "href" not in chapter.title_html and not long_run:
        return chapter.title_html
    tree = parse_fragment(chapter.title_html)
    for span in _float_notes(tree, chapter):
        _inline_blocks(span)
    if own is not None:
        _outward_links([tree], own | {e.get("id") for e in tree.iter() if e.get("id")})
    if long_run:
        hyphenation.open_long_runs(tree)
    return inner_html(tree)


@dataclass
class Lifted:
    """What the layout's markup leaves out and the layout puts back, to spare
    WeasyPrint inline elements: the words kept from breaking, for its hyphenation
    dictionary (hyphenation.installed), and the index marks, found again in the
    laid-out text (marks.py)."""
    kept: dict = field(default_factory=dict)
    marks: list = field(default_factory=list)
    lift_marks: bool = True   # False: the marks stay spans (marks.locate could not place them all)
    runs: list = field(default_factory=list)   # runs of page numbers: the index's, the glossary's (locators.py)
    lift_locators: bool = True   # False: a link per number (locators.locate could not find them all)


def chapter_body(chapter: Chapter, book: Book, corrections=None, folio_of: dict | None = None,
                 lifted: Lifted | None = None) -> tuple[str, set[str]]:
    """The chapter as the PDF sets it, and the ids it holds; `folio_of` (anchor ->
    folio) gives the glossary and the index their page numbers. Given `lifted`, the
    words kept from breaking and the index marks go there rather than into spans."""
    locate = Pages(folio_of).locate if folio_of is not None else None
    tree = parse_fragment(backmatter.chapter_html(book, chapter, locate))
    pagemap.stamp(tree)   # so the EPUB learns where each print page begins
    if corrections:       # what the first layout showed (setting.py)
        setting.apply(tree, chapter.id, corrections)
    _describe_figures(tree)
    # A heading's bookmark without a note's number, and with a formula as text (typeset as an image below).
    for heading in tree.iter("h2", "h3", "h4", "h5", "h6"):
        if heading.find_class("footnote-ref") or heading.find(".//math") is not None:
            heading.set("data-bookmark", text_of(parse_fragment(_unlinked(inner_html(heading)))))
    # Notes go in first, so that their lists are numbered and their math typeset too.
    floated = _float_notes(tree, chapter)
    for span in floated:
        if corrections and span.get("id") in corrections.inline_notes:
            call = lxml.html.Element("sup", {"class": "fn-call-inline"})
            call.text = span.get("data-n")
            span.addprevious(call)
            span.set("class", "fn fn-set-inline")
    number_lists(tree)
    _captions_above(tree)
    typeset_math(tree, press.black_svg)   # math is set in the text's ink
    for span in floated:
        _inline_blocks(span)
    code_lines(tree)   # the notes' code is inline by now, and kept as it was
    _page_numbers(tree, folio_of or {})
    if chapter.role == "index":
        _unwrap_index_spans(tree)
    # Last: the corrections find words as written. A long run first: hyphenation.apply
    # would cut it at the names and capitals inside it ("QUJDREVGR" in base64).
    hyphenation.open_long_runs(tree)
    whole = hyphenation.apply(tree, book.meta.lang, book.meta.hyphenation, dictionary=lifted is not None)
    if lifted is not None:
        lifted.kept.update(whole)
        lifted.marks.extend(marks.lift(tree) if lifted.lift_marks else ())
    for img in tree.iter("img"):
        if img.get("src", "") in book.assets:   # served from the Book by the fetcher
            img.set("src", "folio-asset:" + img.get("src"))
    title = parse_fragment(chapter.title_html)
    own = {e.get("id") for t in (tree, title) for e in t.iter() if e.get("id")} | {chapter.id}
    _outward_links([tree], own)
    if chapter.role in ("index", "glossary") and lifted is not None and lifted.lift_locators:
        lifted.runs.extend(locators.lift(tree, start=len(lifted.runs)))
    return inner_html(tree), own


def _unwrap_index_spans(tree) -> None:
    """The index's entries without the spans that only name their parts (for the
    EPUB's and the site's styles and semantics): each inline element is one more box
    that WeasyPrint lays out at every line break it tries, and an index is mostly
    short lines of links. At 1× the bundled book, its index took 1.40 s to lay out
    and write with them and 1.17 s without. A work's title keeps its span (italic)."""
    for name in ("index-locators", "index-see", "index-term"):
        for span in tree.find_class(name):
            if span.tag == "span" and "work" not in (span.get("class") or "").split():
                span.drop_tag()


def _page_numbers(tree, folio_of: dict) -> None:
    """A glossary entry's "used on pages" links: each the folio of its passage, a page
    named once."""
    shown: dict = {}
    for link in list(tree.find_class("locator")):
        folio = folio_of.get(link.get("href", "#")[1:])
        link.set("class", "page-number")
        link.text = str(folio or "")
        holder = link.getparent()
        named = shown.setdefault(holder, set())
        if folio is not None and folio in named:
            link.getprevious().tail = link.tail   # the link before it: the same page, already shown
            holder.remove(link)
            continue
        named.add(folio)
    for holder, named in shown.items():   # two uses on one page: "Used on page 12", not "pages"
        classes = (holder.get("class") or "").split()
        if "gloss-used" in classes and len(named) == 1 and "gloss-used-once" not in classes:
            holder.set("class", " ".join(classes + ["gloss-used-once"]))


def _outward_links(trees, own: set[str]) -> None:
    """A link to an anchor in another part of the layout (layout.py) becomes a
    `folio-dest:` URI, which stitching turns into a link to the anchor's named
    destination (WeasyPrint drops a link to an anchor its document lacks). Only real
    <a href> elements are touched, never text that shows markup."""
    for tree in trees:
        for link in tree.iter("a"):
            href = link.get("href") or ""
            if href.startswith("#") and href[1:] not in own:
                link.set("href", stitch.DEST + href[1:])


def unit_html(book: Book, settings: PageSettings, chapters: list[Chapter], corrections=None,
              folio_of: dict | None = None, front_matter: bool = False, inline_css: bool = True,
              lifted: Lifted | None = None) -> str:
    """One unit of the layout (layout.py): the front matter, whose contents list
    `chapters` at their folios, or chapters. `lifted` (one chapter only: a word kept
    in one chapter may be free in the next) gathers what chapter_body leaves out of
    the markup."""
    bodies = []
    for chapter in ([] if front_matter else chapters):
        body, own = chapter_body(chapter, book, corrections, folio_of, lifted if len(chapters) == 1 else None)
        bodies.append((chapter, chapter_title(chapter, own), body))
    return render("pdf/book.html", book=book, meta=book.meta, settings=settings, fonts=fonts, unlinked=_unlinked,
                    chapters=chapters, bodies=bodies, front_matter=front_matter,
                    folio_of={k: str(v) for k, v in (folio_of or {}).items()} if front_matter else {},
                    font_faces=fonts.font_faces_css(), page_css=unit_css(book, settings) if inline_css else "",
                    css=stylesheet("pdf.css", book.meta.dir) if inline_css else "")


def unit_css(book: Book, settings: PageSettings) -> str:
    """The stylesheet of every unit: parsed once per process when units are laid out
    (layout.py), not once per chapter."""
    return render("pdf/page.css", settings=settings, said=book.meta.words)


class Pages:
    """Folios of anchors (from the layout), and the index's locators made of them."""

    def __init__(self, folio_of: dict[str, int] | None, first_body: int = 0):
        self.folio_of = folio_of or {}
        self.first_body = first_body   # the page of folio 1

    def folio(self, anchor: str) -> int | None:
        return self.folio_of.get(anchor)

    def locate(self, entry) -> str:
        singles, ranges = [], []
        for occurrence in entry.occurrences:
            start = self.folio(occurrence.anchor)
            if start is None:
                continue
            end = self.folio(occurrence.end) if occurrence.end else None
            if end is not None and end > start:
                ranges.append((start, end, occurrence.anchor))
            else:
                singles.append((start, occurrence.anchor))
        return page_ranges(singles, ranges)


CORRECTION_ROUNDS = 2


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def library_messages():
    """What WeasyPrint says while it lays out and writes the book, kept rather than
    printed (`ERROR:weasyprint:...` on the terminal means nothing to an author):
    `build` says each as a folio warning. The root logger is held too, in place of
    its handlers: ziamath and ziafont log there, and their first `logging.debug`
    gives an unconfigured root logger a handler that prints every later line raw."""
    kept = _Kept()
    weasyprint, root = logging.getLogger("weasyprint"), logging.getLogger()
    level, propagate, handlers = weasyprint.level, weasyprint.propagate, list(root.handlers)
    weasyprint.setLevel(logging.WARNING)
    weasyprint.propagate = False
    weasyprint.addHandler(kept)
    root.handlers = [kept]
    try:
        yield kept.records
    finally:
        root.handlers = handlers
        weasyprint.removeHandler(kept)
        weasyprint.setLevel(level)
        weasyprint.propagate = propagate


NO_ALT = re.compile(r'Image "(?:folio-asset:)?(.*)" has no required alt description')
NO_ANCHOR = re.compile(r"target points to undefined anchor (.*)|No anchor #(.*) for internal URI reference")


def _chapter_html(book: Book) -> list[str]:
    return [chapter.html + "".join(note.html for note in chapter.notes) for chapter in book.chapters]


def _linked(book: Book) -> set[str]:
    """The ids the author's text (chapters and notes) links to."""
    return {anchor for html in _chapter_html(book) for anchor in linked_anchors(html)}


def diagnose(record: logging.LogRecord, book: Book, refused: list[str], linked: set[str]) -> Diagnostic | None:
    """A folio warning (FOLIO041) for one thing WeasyPrint said; None for what folio
    reports itself (a URL the fetcher refused is FOLIO032, a link of the author's to
    an id nowhere in the book FOLIO026; `linked`: the ids the author's text links to)."""
    said = record.getMessage()
    if "folio refuses to read" in said or any(url in said for url in refused):
        return None
    if match := NO_ALT.search(said):
        name = match.group(1)
        where = next((c.title for c, html in zip(book.chapters, _chapter_html(book)) if name and name in html), "")
        return Diagnostic("FOLIO041", f"an image{f' in {where!r}' if where else ''} has no alternative text, "
                                      f"which the tagged screen PDF needs ({name[:120]})",
                          fix="describe the image: ![what it shows](file), or give its figure a caption")
    if match := NO_ANCHOR.search(said):
        anchor = match.group(1) or match.group(2) or ""   # `#x`, or a token: ('string', '#x')
        anchor = (re.findall(r"'([^']*)'", anchor) or [anchor])[-1].lstrip("#")
        if anchor in linked:
            return None   # the author's own link: the book step said so (FOLIO026), with its line
        return Diagnostic("FOLIO041", f"the PDF links to '{anchor[:120]}', which is nowhere in the book",
                          fix="link to a heading or an element with that id, or remove the link")
    source = "WeasyPrint" if record.name.startswith("weasyprint") else (
        "the math typesetter" if re.search(r"zia(math|font)", record.pathname or "") else record.name)
    return Diagnostic("FOLIO041", f"{source} said, laying out the PDF: {' '.join(said.split())[:300]}")


NO_GLYPH = re.compile(r'\.notdef glyph rendered for Unicode string unsupported by fonts: "(.+?)" \(U\+[0-9A-F]+\)')


def _unprinted_place(characters: list[str], manuscript_root: Path) -> tuple[Path | None, int | None]:
    from ..diagnostics import line_of
    from ..manuscript import find_source
    try:
        source = find_source(manuscript_root)
        text = source.read_text(encoding="utf-8")
    except Exception:   # noqa: BLE001 - the place is a help, not the message
        return None, None
    at = min((i for i in (text.find(c) for c in characters) if i >= 0), default=-1)
    return source, line_of(text, at) if at >= 0 else None


def _unprintable(characters: list[str], manuscript_root: Path) -> Diagnostic:
    """One warning for every character no installed font has (WeasyPrint says each one
    once per layout process, as an empty box drawn): which, and where the first is."""
    source, line = _unprinted_place(characters, manuscript_root)
    shown = ", ".join(f"{c} (U+{ord(c):04X})" for c in characters[:12]) + (
        f" and {len(characters) - 12} more" if len(characters) > 12 else "")
    return Diagnostic("FOLIO039", f"no installed font has {len(characters)} character(s) the book uses, which the "
                                  f"PDF prints as empty boxes: {shown}", source, line,
                      fix="install a font that has them (on Debian, fonts-noto-core; for Chinese and Japanese "
                          "fonts-noto-cjk), or replace them")


def layout_dir(out: Path, slug: str) -> Path:
    """The layout both PDF editions are made from: each unit's PDF and record, the
    page furniture, and the stitched book (`book.pdf`, `book.json`)."""
    return out / ".folio" / slug / "layout"


def _furniture(laid, book: Book) -> list[tuple[str, str, str]]:
    """(kind, folio, running head) of every page: "foot" sets the folio at the foot
    (front matter, a chapter's opening page), "head" at the top with the running head
    (the book's title on a left-hand page, the chapter's on a right-hand one), "none"
    nothing (display pages, blank pages)."""
    pages = [("none", "", "")] * laid.total
    for unit, start in zip(laid.units, laid.starts):
        record = unit.record
        for number in range(record.pages):
            at = start + number
            if record.blank[number]:
                continue
            if unit.is_front:
                if record.kinds[number] == "front":
                    pages[at] = ("foot", _roman(at + 1), "")
                continue
            folio = str(at - laid.first_body + 1)
            if number == 0:
                pages[at] = ("foot", folio, "")
            else:
                chapter = unit.chapters[0]
                pages[at] = ("head", folio, book.meta.title if at % 2 else (chapter.title or book.meta.title))
    return pages


@dataclass
class LaidOutBook:
    """The layout step's result before its units are stitched: all the stitch needs,
    and nothing of the `Book` (which the step lets go of first, see pipeline.py)."""
    folder: Path
    parts: list          # (unit PDF, first page in the book)
    furniture: Path
    wanted: list         # each page: furniture drawn over it
    summary: dict        # book.json: pages, text, where each page begins, what setting left wrong
    linked: set          # anchors the author's own text links to (their faults are said by the book step)
    summary_file: Path | None = None   # loaded: where the whole summary is
    unit_texts: list = field(default_factory=list)   # (layout hash, laid-out text) of each unit, not saved

    def in_use(self) -> set[str]:
        """The layout folder's files this book still uses."""
        return {name for path, _ in self.parts for name in (path.name, path.with_suffix(".json").name)} \
            | {self.furniture.name, "book.pdf", "book.json", "laid-out.json", LAID_OUT_SUMMARY, STITCH_RECORD,
               conservation.LAID_OUT_RECORD}

    def save(self, path: Path) -> None:
        """`path`, and the summary beside it: the stitch copies the summary into
        `book.json` unread (at 50x its text alone is 5 MB, some 20 MB parsed)."""
        summary = json.dumps(self.summary, ensure_ascii=False)
        with atomic_path(path.with_name(LAID_OUT_SUMMARY)) as temporary:
            temporary.write_text(summary, encoding="utf-8")
        data = {"folder": str(self.folder), "parts": [[str(p), start] for p, start in self.parts],
                "furniture": str(self.furniture), "wanted": self.wanted, "linked": sorted(self.linked),
                "pages": {key: self.summary[key] for key in ("total", "first_body")},
                "summary": hashlib.sha256(summary.encode("utf-8")).hexdigest()}   # so the step sees it change
        with atomic_path(path) as temporary:
            temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "LaidOutBook":
        """What the stitch needs: the summary is left on disk but for its page counts."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(Path(data["folder"]), [(Path(p), start) for p, start in data["parts"]], Path(data["furniture"]),
                   data["wanted"], data["pages"], set(data["linked"]), path.with_name(LAID_OUT_SUMMARY))


def lay_out_book(book: Book, out: Path, manuscript_root: Path, settings: PageSettings, jobs: int = 1,
                 reporter: Reporter | None = None) -> LaidOutBook:
    """The layout step but its last act: the book laid out chapter by chapter
    (layout.py), its folios and running heads set as furniture, what the layout said
    reported. `stitch_book` then makes the one tagged PDF both editions are cut from."""
    from .. import layout
    reporter = reporter or Reporter()
    folder = layout_dir(out, book.meta.slug)
    started = time.perf_counter()
    laid = layout.lay_out(book, settings, manuscript_root, folder, jobs, _say_layout)
    pages = _furniture(laid, book)
    environment = layout.environment_digest(settings)
    furniture = folder / f"furniture-{stitch.furniture_digest(pages, environment + book.meta.lang + book.meta.dir)}.pdf"
    if not furniture.is_file():
        with library_messages():
            with atomic_path(furniture) as temporary:
                page_furniture.lay_out(pages, book.meta, settings, temporary)
    page_of = laid.page_of()
    firsts = {}
    for unit, start in zip(laid.units[1:], laid.starts[1:]):
        for number, first in unit.record.firsts.items():
            firsts[start + int(number)] = first
    late_notes, hyphen_runs, loose_lines, said, refused = [], [], [], [], []
    for unit, start in zip(laid.units, laid.starts):
        record = unit.record
        late_notes += [[note, start + call, start + set_on] for note, call, set_on in record.late_notes]
        hyphen_runs += [[start + page, text] for page, text in record.hyphen_runs]
        loose_lines += [[start + page, text, ems] for page, text, ems in record.loose_lines]
        said += record.said
        refused += record.refused
    summary = {"total": laid.total, "first_body": laid.first_body, "text": " ".join(u.record.text for u in laid.units),
               "last_blank": _last_page_blank(laid, pages),
               "firsts": {str(k): v for k, v in sorted(firsts.items())},
               "anchors": {a: str(p - laid.first_body + 1) for a, p in page_of.items()
                           if a.startswith(index.MARK) and p >= laid.first_body},
               "late_notes": late_notes, "hyphen_runs": hyphen_runs, "loose_lines": loose_lines}
    for note, call, set_on in late_notes:
        number = next((n.number for c in book.chapters for n in c.notes if n.id == note), note)
        reporter.warn(Diagnostic("FOLIO045", f"note {number} is set on page {set_on + 1} of the PDF, after its call "
                                             f"on page {call + 1}, even after its paragraph was moved",
                                 fix="shorten the note, or move its call earlier in the paragraph"))
    for url in dict.fromkeys(refused):
        reporter.warn(Diagnostic("FOLIO032", f"the PDF did not load {url[:200]}: folio reads nothing outside the book"))
    linked = _linked(book)
    unprintable: dict[str, None] = {}
    for name, pathname, message in said:
        if missing := NO_GLYPH.search(message):
            unprintable[missing.group(1)] = None
            continue
        diagnostic = diagnose(_Said(name, pathname, message), book, refused, linked)
        if diagnostic is not None:
            reporter.warn(diagnostic)
    if unprintable:
        reporter.warn(_unprintable(list(unprintable), manuscript_root))
    _say_layout(f"{laid.total} pages, {laid.laid_out} of {len(laid.units)} parts laid out "
                f"({time.perf_counter() - started:.1f}s)")
    return LaidOutBook(folder, [(laid.pdf(u), start) for u, start in zip(laid.units, laid.starts)], furniture,
                       [kind != "none" for kind, _, _ in pages], summary, linked,
                       unit_texts=[(u.digest, u.record.text) for u in laid.units])


def _last_page_blank(laid, pages: list) -> bool:
    """The book's last page draws nothing, as press.is_blank finds it in the print file
    (press.pages_to_add counts on it): no furniture over it, nothing on its layout."""
    import pikepdf
    if not laid.units or pages[-1][0] != "none":
        return False
    with pikepdf.open(laid.pdf(laid.units[-1])) as last:
        return press.is_blank(last.pages[-1])


def _say_layout(message: str) -> None:
    print(f"  ...   layout {message}", file=sys.stderr, flush=True)


def stitch_book(laid: LaidOutBook, reporter: Reporter | None = None) -> Path:
    """The stitch step: the units and their furniture stitched into `book.pdf`, with
    `book.json` beside it; layouts no longer the book's removed. `book.pdf` is the
    screen edition (tasks.make_screen_edition copies it); the print edition is cut from it by a
    step of its own (`build`)."""
    reporter = reporter or Reporter()
    started = time.perf_counter()
    folder = laid.folder
    previous = None
    try:   # the last stitch's record: an edit's stitch patches that book (stitch._patched)
        was = json.loads((folder / STITCH_RECORD).read_text(encoding="utf-8"))
        previous = (folder / "book.pdf", was) if isinstance(was, dict) else None
    except (OSError, ValueError, RecursionError):
        pass
    _forget_print_beside(folder.parent)
    plan = _kept_plan(folder.parent) if previous is not None else None
    child: list = []
    try:
        with atomic_path(folder / "book.pdf") as temporary:
            dangling, record = stitch.stitch(
                laid.parts, laid.furniture, laid.wanted, temporary, INDEX_MARK_PREFIXES, previous,
                laid.summary["first_body"],
                beside=(lambda book, *boxes: child.append(_cut_print_beside(book, plan, boxes, folder.parent)))
                if plan is not None and plan.first_body == laid.summary["first_body"] else None)
    finally:
        made = _join_print_beside(child[0]) if child else None
    if made is not None and "patched" in record:
        _sign_print_beside(folder.parent, record["book"], plan, made)
    with atomic_path(folder / STITCH_RECORD) as temporary:
        temporary.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    with atomic_path(folder / "book.json") as temporary:
        if laid.summary_file is not None:
            shutil.copyfile(laid.summary_file, temporary)
        else:
            temporary.write_text(json.dumps(laid.summary, ensure_ascii=False), encoding="utf-8")
    in_use = laid.in_use()
    for old in folder.iterdir():   # layouts of chapters that are no longer the book's
        if old.name not in in_use and old.suffix in (".pdf", ".json", ".tmp"):
            old.unlink(missing_ok=True)
    how = f"{record['patched']} of {len(laid.parts)} parts put in place" if "patched" in record \
        else f"{len(laid.parts)} parts"
    print(f"  ...   stitch {laid.summary['total']} pages of {how} ({time.perf_counter() - started:.1f}s)",
          file=sys.stderr, flush=True)
    for anchor in dangling:
        if anchor not in laid.linked:
            reporter.warn(Diagnostic("FOLIO041", f"the PDF links to '{anchor[:120]}', which is nowhere in the book",
                                     fix="link to a heading or an element with that id, or remove the link"))
    return folder / "book.pdf"


def _kept_plan(state: Path) -> "press.Plan | None":
    try:
        return press.Plan.read(json.loads((state / PRESS_PLAN).read_text(encoding="utf-8")))
    except (OSError, ValueError, RecursionError):
        return None


def _forget_print_beside(state: Path) -> None:
    """The print file cut beside the last stitch and its record, and what a child
    stopped while writing it left (its temporary files)."""
    for path in [state / PRINT_BESIDE_RECORD, state / PRINT_BESIDE, *state.glob(f".{PRINT_BESIDE}.*"),
                 *state.glob(f".pikepdf*{PRINT_BESIDE}*")]:
        path.unlink(missing_ok=True)


def _cut_print_beside(book, plan: "press.Plan", boxes: tuple, state: Path) -> tuple[int, int] | None:
    """After an edit the print step waits for the stitch, then opens, cuts and writes the
    whole book again. A forked process cuts the print file from the patched book in
    memory, with the last print's plan, while the stitch writes the screen book; the
    print step takes the file if nothing else changed (`_take_print_beside`). Only a
    patch does this: a whole stitch holds the whole book, and two would not fit the
    memory a long book's cold build is allowed. Returns (process, pipe) to join, or
    None where the system gives no process (a process limit, no memory to fork): the
    print step then cuts the file as it always could."""
    import os
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:   # the child: nothing of the parent's is flushed or cleaned up on exit
        code = 1
        try:
            os.close(read)
            added = plan.cut(book, boxes)
            with atomic_path(state / PRINT_BESIDE) as temporary:
                press.save(book, temporary, press.TARGETS.get(plan.target or ""))
                digest = stitch._file_digest(temporary)   # what this child wrote, whatever is there later
            os.write(write, f"{added} {digest}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _join_print_beside(child: tuple[int, int] | None) -> tuple[int, str] | None:
    """(the blank pages the child added, the hash of the file it wrote), or None if it
    failed or never started."""
    import os
    if child is None:
        return None
    pid, read = child
    try:
        with os.fdopen(read, "rb") as pipe:
            said = pipe.read(200).decode("ascii", "replace").split()
    finally:
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or len(said) != 2 or not said[0].isdigit():
        return None
    return int(said[0]), said[1]


def _sign_print_beside(state: Path, book_digest: str, plan: "press.Plan", made: tuple[int, str]) -> None:
    """The record of the file cut beside the stitch, signed as the build state is."""
    from .. import state as signing
    added, digest = made
    signing.save({"book": book_digest, "file": digest, "plan": asdict(plan), "added": added},
                 state / PRINT_BESIDE_RECORD)


def _take_print_beside(state: Path, book_pdf: Path, plan: "press.Plan", temporary: Path) -> int | None:
    """The print file an edit's stitch cut beside its save, moved to `temporary`, if it
    was cut from this very `book_pdf` with this plan: the blank pages it added. None
    otherwise, and the print step cuts the file itself."""
    import os
    import stat
    from .. import state as signing
    try:
        record = signing.load(state / PRINT_BESIDE_RECORD)   # refused unless folio signed it
        cut = state / PRINT_BESIDE
        if (not isinstance(record, dict) or not stat.S_ISREG(cut.lstat().st_mode)   # a file, not a link elsewhere
                or record.get("plan") != asdict(plan) or record.get("book") != stitch._file_digest(book_pdf)
                or record.get("file") != stitch._file_digest(cut) or type(record.get("added")) is not int):
            return None
        os.replace(cut, temporary)
        return record["added"]
    except (BuildError, OSError, ValueError, RecursionError, AttributeError):
        return None
    finally:
        _forget_print_beside(state)


@dataclass
class _Said:
    """A log record WeasyPrint wrote in a unit's process, as `diagnose` reads it."""
    name: str
    pathname: str
    message: str

    def getMessage(self) -> str:
        return self.message


def _print_boxes(folder: Path) -> tuple[list, list]:
    """The print boxes the stitch kept (stitch._to_screen) for the book's pages."""
    summary = json.loads((folder / "book.json").read_text(encoding="utf-8"))
    try:
        record = json.loads((folder / STITCH_RECORD).read_text(encoding="utf-8"))
        boxes = record["box_sets"], record["page_boxes"]
    except (OSError, ValueError, RecursionError, KeyError, TypeError):
        boxes = None
    if boxes is None or not stitch.sound_boxes(*boxes, summary["total"]):
        raise error("FOLIO070", "the stitched book's record is missing or damaged", folder / STITCH_RECORD,
                    fix="run 'python3 build.py clean' and build again")
    return boxes


def build(book: Book, out: Path, settings: PageSettings, reporter: Reporter | None = None) -> Path:
    """Write one PDF edition, cut from the book's layout (lay_out_book): the screen
    edition at the trim, with links, bookmarks and tags; the print edition as its
    service takes it (press.py). Its cover and page list are the cover step's
    (`cover_and_pages`), made beside the stitch from the layout alone: the print file
    must have the pages they were made for."""
    reporter = reporter or Reporter()
    icc = _icc_profile(settings)
    folder = layout_dir(out, book.meta.slug)
    summary = json.loads((folder / "book.json").read_text(encoding="utf-8"))
    total, first_body = summary["total"], summary["first_body"]
    target = out / f"{book.meta.slug}{settings.suffix}.pdf"
    with atomic_path(target) as temporary:
        if settings.for_print:   # read from the stitched book, written once, as the service takes it
            plan = press.Plan(to_points(settings.bleed), settings.target, settings.crop_marks, book.meta.title,
                              book.meta.modified, first_body, icc is not None)
            added = _take_print_beside(folder.parent, folder / "book.pdf", plan, temporary)
            if added is None:
                added = press.finish(folder / "book.pdf", temporary, plan, _print_boxes(folder))
            else:
                print("  ...   print cut beside the stitch", file=sys.stderr, flush=True)
            pages = pagemap.PrintPages.load(pagemap.path(out, book.meta.slug))
            if pages is None or pages.pages != total + added:
                raise error("FOLIO070", f"the print file has {total + added} pages, its cover and page list were "
                                        f"made for {pages.pages if pages else 'none'}",
                            pagemap.path(out, book.meta.slug), fix="run 'python3 build.py clean' and build again")
            with atomic_path(folder.parent / PRESS_PLAN) as kept:
                kept.write_text(json.dumps(asdict(plan)), encoding="utf-8")
        else:
            shutil.copyfile(folder / "book.pdf", temporary)
    return target


def _icc_profile(settings: PageSettings) -> Path | None:
    icc = press.find_icc_profile() if settings.target else None
    if settings.target and icc is None:
        raise error("FOLIO042", f"the print file for {press.TARGETS[settings.target].title} needs a CMYK ICC profile "
                                "for its PDF/X output intent, and none is installed",
                    fix="install Ghostscript's profiles (Debian: sudo apt-get install libgs10-common), "
                        "or remove 'print:' for a print file without one")
    return icc


def cover_and_pages(book: Book, out: Path, settings: PageSettings, reporter: Reporter | None = None,
                    where=None) -> pagemap.PrintPages:
    """The cover step: the print edition's wrap (its spine from the final page count)
    and where each of its pages begins (pagemap.py, for the EPUB's page list and for
    `check`), from the layout's summary alone, so that both are made while the stitch
    runs and the EPUB need not wait for the print file."""
    from .. import cover
    reporter = reporter or Reporter()
    icc = _icc_profile(settings)
    summary = json.loads((layout_dir(out, book.meta.slug) / LAID_OUT_SUMMARY).read_text(encoding="utf-8"))
    total, first_body = summary["total"], summary["first_body"]
    added = 0
    if settings.target:   # press.press adds these to the print file
        added = press.pages_to_add(press.TARGETS[settings.target], total, to_points(settings.width) / 72,
                                   to_points(settings.height) / 72, summary["last_blank"])

    def cover_warning(code: str, key: str, said: str, fix: str) -> None:
        reporter.warn(Diagnostic(code, said, *(where(key) if where else ()), fix=fix))
    with library_messages():
        wrap = cover.wrap_pdf(book, settings, total + added, out / f"{book.meta.slug}-cover.pdf", icc, cover_warning,
                              out / ".folio" / book.meta.slug / COVER_RECORD)
    edition = book.meta.words["print_edition"].format(width=settings.width, height=settings.height)
    firsts = {int(k): pagemap.PageStart(**v) for k, v in summary["firsts"].items()}
    found = pagemap.assemble(firsts, first_body, total + added, f"{book.meta.title}. {edition}", summary["anchors"])
    found.late_notes = [[note, call + 1, set_on + 1] for note, call, set_on in summary["late_notes"]]
    found.hyphen_runs = [[page + 1, text] for page, text in summary["hyphen_runs"]]
    found.loose_lines = [[page + 1, text, ems] for page, text, ems in summary["loose_lines"]]
    found.cover = {"width": wrap.width, "trim_width": wrap.trim_width, "trim_height": wrap.trim_height,
                   "spine": wrap.spine, "bleed": wrap.bleed}
    return found

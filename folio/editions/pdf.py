"""Turn the `Book` into PDF with WeasyPrint: a screen edition and a print edition.

Both come from one template and one stylesheet; `PageSettings` holds what differs
(bleed, crop marks, link colour, tagging). Footnotes become CSS `float: footnote`
spans so they sit at the foot of the page where they are called.
"""
from __future__ import annotations

import logging
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from weasyprint import HTML

from .. import backmatter, fonts, pagemap, press, setting
from ..backmatter import page_ranges
from ..book import Book, Chapter
from ..diagnostics import Diagnostic, Reporter, error
from ..check import to_points
from ..html import inner_html, parse_fragment, text_of
from ..render import ROOT, STYLES, atomic_path, render, stylesheet
from ..safety import make_fetcher

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


# A page smaller than a playing card or larger than a broadsheet is a typo, and a tiny
# one multiplies the page count without end ('1pt 1pt' made 916 pages of 11).
TRIM_RANGE = (144.0, 1728.0)   # 2 in to 24 in, each side
MAX_BLEED = 36.0               # 0.5 in


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
        for item in [child for child in ol if child.tag == "li"]:
            if (item.get("value") or "").isdigit():
                number = int(item.get("value"))
            marker = lxml.html.Element("span", {"class": "li-marker"})
            marker.text = pattern.format(style(number))
            holder = item[0] if len(item) and item[0].tag == "p" and not (item.text or "").strip() else item
            marker.tail, holder.text = holder.text, ""
            holder.insert(0, marker)
            number += 1


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


def chapter_title(chapter: Chapter) -> str:
    """The chapter's title as its opening page sets it: a note it calls is set at the
    foot of that page (the running heads take the title's plain text)."""
    if "footnote-ref" not in chapter.title_html:
        return chapter.title_html
    tree = parse_fragment(chapter.title_html)
    for span in _float_notes(tree, chapter):
        _inline_blocks(span)
    return inner_html(tree)


def chapter_body(chapter: Chapter, book: Book, locate=None, for_print: bool = False, corrections=None) -> str:
    tree = parse_fragment(backmatter.chapter_html(book, chapter, locate))
    pagemap.stamp(tree)   # so the EPUB learns where each print page begins
    if corrections:       # what the first layout showed (setting.py)
        setting.apply(tree, chapter.id, corrections)
    _describe_figures(tree)
    for heading in tree.iter("h2", "h3", "h4", "h5", "h6"):   # its bookmark without the note's number
        if heading.find_class("footnote-ref"):
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
    typeset_math(tree, press.black_svg if for_print else None)
    for span in floated:
        _inline_blocks(span)
    for link in tree.find_class("locator"):
        link.text = ""
        link.set("class", "page-ref")
    for img in tree.iter("img"):
        if img.get("src", "") in book.assets:   # served from the Book by the fetcher
            img.set("src", "folio-asset:" + img.get("src"))
    return inner_html(tree)


def document_html(book: Book, settings: PageSettings, chapters: list[Chapter], locate=None,
                  first_folio: int | None = None, front_matter: bool = True, corrections=None) -> str:
    return render("pdf/book.html", book=book, meta=book.meta, settings=settings, fonts=fonts, unlinked=_unlinked,
                  chapters=[(chapter, chapter_title(chapter),
                             chapter_body(chapter, book, locate, settings.for_print, corrections))
                            for chapter in chapters],
                  front_matter=front_matter, first_folio=first_folio, font_faces=fonts.font_faces_css(),
                  page_css=render("pdf/page.css", settings=settings, said=book.meta.words), css=stylesheet("pdf.css"))


class Pages:
    """Page numbers of the laid-out main document, read from WeasyPrint's anchors."""

    def __init__(self, document, book: Book):
        # An element split over pages is anchored on each of them: keep its first page.
        self.index_of: dict[str, int] = {}
        for i, page in enumerate(document.pages):
            for anchor in page.anchors:
                self.index_of.setdefault(anchor, i)
        first = next((c.id for c in book.chapters if c.id in self.index_of), None)
        self.first_body = self.index_of.get(first, 0)

    def folio(self, anchor: str) -> int | None:
        i = self.index_of.get(anchor)
        return None if i is None else i - self.first_body + 1

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


def layout(book: Book, settings: PageSettings, manuscript_root: Path):
    """Lay the book out; where the pages need a typesetter's correction (a note set
    after its call's page, a third hyphen in a row: setting.py), lay it out again with
    the corrections. With an index, lay out only the index again, with the page
    numbers now known, and put its pages where the empty index stood.

    (WeasyPrint's target-counter() cannot collapse repeated pages into ranges: the
    index's second pass costs only its own pages.) Returns the document, the fetcher
    and what was still wrong (setting.Report)."""
    # Nothing of the manuscript folder is read here: its images come from the Book.
    assets = press.print_assets(book.assets) if settings.for_print else book.assets
    fetcher = make_fetcher((STYLES, fonts.FONT_DIR, ROOT / "templates"), assets)
    base = str(manuscript_root) + "/"
    chapter_ids = {c.id for c in book.chapters}
    corrections = setting.Corrections()
    document = HTML(string=document_html(book, settings, list(book.chapters)), base_url=base,
                    url_fetcher=fetcher).render()
    found, report = setting.read(document, chapter_ids)
    for _ in range(CORRECTION_ROUNDS):
        before = corrections.size()
        corrections.merge(found)
        if not found or corrections.size() == before:
            break
        progress(settings, "setting again: " + ", ".join(filter(None, [
            f"{len(report.late_notes)} notes after their call's page" if report.late_notes else "",
            f"{len(report.hyphen_runs)} third hyphens in a row" if report.hyphen_runs else "",
            f"{len(report.leaf_turns)} words split over a leaf turn" if report.leaf_turns else "",
            f"{len(report.tall_notes)} notes taller than a page" if report.tall_notes else ""])))
        document = HTML(string=document_html(book, settings, list(book.chapters), corrections=corrections),
                        base_url=base, url_fetcher=fetcher).render()
        found, report = setting.read(document, chapter_ids)
    index = next((c for c in book.chapters if c.role == "index"), None)
    if index is None:
        return document, fetcher, report
    pages = Pages(document, book)
    start = pages.index_of[index.id]
    index_document = HTML(string=document_html(book, settings, [index], pages.locate, pages.folio(index.id),
                                               front_matter=False),
                          base_url=base, url_fetcher=fetcher).render()
    return document.copy(document.pages[:start] + index_document.pages), fetcher, report


def progress(settings: PageSettings, message: str) -> None:
    """Layout is the long step: say where it is."""
    print(f"  ...   {'print' if settings.for_print else 'pdf':6} {message}", file=sys.stderr, flush=True)


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


def diagnose(record: logging.LogRecord, book: Book, refused: list[str]) -> Diagnostic | None:
    """A folio warning (FOLIO041) for one thing WeasyPrint said; None for what folio
    reports itself (a URL the fetcher refused is FOLIO032)."""
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
        if any(f'href="#{anchor}"' in html for html in _chapter_html(book)):
            return None   # the author's own link: the book step said so (FOLIO026), with its line
        return Diagnostic("FOLIO041", f"the PDF links to '{anchor[:120]}', which is nowhere in the book",
                          fix="link to a heading or an element with that id, or remove the link")
    source = "WeasyPrint" if record.name.startswith("weasyprint") else (
        "the math typesetter" if re.search(r"zia(math|font)", record.pathname or "") else record.name)
    return Diagnostic("FOLIO041", f"{source} said, laying out the PDF: {' '.join(said.split())[:300]}")


def print_pages(document, book: Book, settings: PageSettings, pages: Pages, total: int) -> pagemap.PrintPages:
    """Where each page of this layout begins, and the page of each index anchor; pages
    the print file gained at the end (press.py) are blank, where the last one began."""
    anchors = {anchor: str(folio) for anchor in pages.index_of if anchor.startswith("ix-")
               and (folio := pages.folio(anchor)) is not None and folio > 0}
    edition = book.meta.words["print_edition"].format(width=settings.width, height=settings.height)
    source = f"{book.meta.title}. {edition}"
    found = pagemap.read_layout(document, {c.id for c in book.chapters}, pages.first_body, source, anchors)
    if found.starts and total > len(document.pages):
        last = found.starts[-1]
        found.starts += [pagemap.PageStart(str(n - pages.first_body + 1), last.chapter, last.passage, last.words,
                                           last.offset) for n in range(len(document.pages), total)]
    return found


def build(book: Book, out: Path, manuscript_root: Path, settings: PageSettings, show_text=None,
          reporter: Reporter | None = None, show_pages=None, where=None) -> Path:
    """Lay out and write the PDF; `show_text` receives the laid-out text (conservation.py),
    `show_pages` where each page begins (pagemap.py). Warnings go to `reporter` (one
    that only prints them if none is given)."""
    reporter = reporter or Reporter()
    icc = press.find_icc_profile() if settings.target else None
    if settings.target and icc is None:
        raise error("FOLIO042", f"the print file for {press.TARGETS[settings.target].title} needs a CMYK ICC profile "
                                "for its PDF/X output intent, and none is installed",
                    fix="install Ghostscript's profiles (Debian: sudo apt-get install libgs10-common), "
                        "or remove 'print:' for a print file without one")
    started = time.perf_counter()
    progress(settings, "laying out pages")
    with library_messages() as said:
        document, fetcher, report = layout(book, settings, manuscript_root)
        progress(settings, f"{len(document.pages)} pages laid out ({time.perf_counter() - started:.1f}s); "
                           "writing PDF")
        target = out / f"{book.meta.slug}{settings.suffix}.pdf"
        pages, added = Pages(document, book), 0
        with atomic_path(target) as temporary:
            document.write_pdf(temporary, pdf_variant=None if settings.for_print else "pdf/ua-1",
                               pdf_identifier=book.meta.identifier.encode("utf-8")[:32],
                               custom_metadata=False)
            if settings.for_print:
                added = press.finish(temporary, to_points(settings.bleed), press.TARGETS.get(settings.target or ""),
                                     settings.crop_marks, book.meta.title, icc, book.meta.modified, pages.first_body)
            else:
                press.label_screen_edition(temporary, pages.first_body)
        wrap = None
        if settings.for_print:   # the cover, whose spine needs the final page count
            from .. import cover

            def too_long(said: str) -> None:
                reporter.warn(Diagnostic("FOLIO046", said, *(where("description") if where else ()),
                                         fix="shorten the description to what a back cover holds "
                                             "(about 1,000 characters at this trim size)"))
            wrap = cover.wrap_pdf(book, settings, len(document.pages) + added,
                                  out / f"{book.meta.slug}-cover.pdf", icc, too_long)
        if show_text is not None:
            from ..conservation import pdf_text
            show_text(pdf_text(document))
        if show_pages is not None:
            found = print_pages(document, book, settings, pages, len(document.pages) + added)
            found.late_notes = [[note, call + 1, set_on + 1] for note, call, set_on in report.late_notes]
            found.hyphen_runs = [[page + 1, text] for page, text in report.hyphen_runs]
            if wrap is not None:
                found.cover = {"width": wrap.width, "trim_width": wrap.trim_width, "trim_height": wrap.trim_height,
                               "spine": wrap.spine, "bleed": wrap.bleed}
            show_pages(found)
    for note, call, set_on in report.late_notes:
        number = next((n.number for c in book.chapters for n in c.notes if n.id == note), note)
        reporter.warn(Diagnostic("FOLIO045", f"note {number} is set on page {set_on + 1} of the "
                                             f"{'print' if settings.for_print else 'screen'} PDF, after its call on "
                                             f"page {call + 1}, even after its paragraph was moved",
                                 fix="shorten the note, or move its call earlier in the paragraph"))
    for url in dict.fromkeys(fetcher.refused):   # after writing too: images inside SVGs load then
        reporter.warn(Diagnostic("FOLIO032", f"the PDF did not load {url[:200]}: folio reads nothing outside the book"))
    for record in said:
        diagnostic = diagnose(record, book, fetcher.refused)
        if diagnostic is not None:
            reporter.warn(diagnostic)
    return target

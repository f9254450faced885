"""Turn the `Book` into PDF with WeasyPrint: a screen edition and a print edition.

Both come from one template and one stylesheet; `PageSettings` holds what differs
(bleed, crop marks, link colour, tagging). Footnotes become CSS `float: footnote`
spans so they sit at the foot of the page where they are called.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from weasyprint import HTML

from .. import fonts
from ..book import Book, Chapter
from ..diagnostics import error
from ..html import inner_html, parse_fragment
from ..render import ROOT, STYLES, atomic_path, render, stylesheet
from ..safety import make_fetcher

LENGTH = re.compile(r"^\d+(\.\d+)?(in|mm|cm|pt)$")
NOTE_BLOCKS = ("p", "div", "ul", "ol", "li", "blockquote")


@dataclass(frozen=True)
class PageSettings:
    width: str = "6in"
    height: str = "9in"
    bleed: str = "0in"
    crop_marks: bool = False
    for_print: bool = False

    @property
    def suffix(self) -> str:
        return "-print" if self.for_print else ""


def settings_from(metadata: dict, for_print: bool, crop_marks: bool | None = None) -> PageSettings:
    """Trim size, bleed and crop marks from the manuscript metadata, checked."""
    trim = str(metadata.get("trim-size") or "6in 9in").split()
    bleed = str(metadata.get("bleed") or "0.125in")
    for value in [*trim, bleed]:
        if not LENGTH.match(value):
            raise error("FOLIO040", f"'{value}' is not a length folio understands",
                        fix="write lengths like 6in, 152mm or 432pt; trim-size as 'WIDTH HEIGHT'")
    if len(trim) != 2:
        raise error("FOLIO040", "trim-size needs a width and a height", fix="write e.g. 'trim-size: 6in 9in'")
    marks = bool(metadata.get("crop-marks", False)) if crop_marks is None else crop_marks
    return PageSettings(trim[0], trim[1], bleed if for_print else "0in", marks and for_print, for_print)


def _inline_note(note_html: str) -> str:
    """A note's blocks as spans, so the note can float from inside a paragraph."""
    tree = parse_fragment(note_html)
    for element in tree.iter(*NOTE_BLOCKS):
        element.set("class", (element.get("class", "") + f" fn-{element.tag}").strip())
        element.tag = "span"
    return inner_html(tree)


def chapter_body(chapter: Chapter, book: Book) -> str:
    tree = parse_fragment(chapter.html)
    notes = {note.id: note for note in chapter.notes}
    for ref in list(tree.find_class("footnote-ref")):
        note = notes[ref.get("href", "#")[1:]]
        span = parse_fragment(f'<span class="fn" id="{note.id}" data-n="{note.number}">'
                              f"{_inline_note(note.html)}</span>")[0]
        span.tail = ref.tail
        ref.getparent().replace(ref, span)
    for img in tree.iter("img"):
        source = book.assets.get(img.get("src", ""))
        if source is not None:
            img.set("src", Path(source).as_uri())
    return inner_html(tree)


def document_html(book: Book, settings: PageSettings) -> str:
    chapters = [(chapter, chapter_body(chapter, book)) for chapter in book.chapters]
    return render("pdf/book.html", book=book, meta=book.meta, chapters=chapters, settings=settings,
                  fonts=fonts, font_faces=fonts.font_faces_css(),
                  page_css=render("pdf/page.css", settings=settings), css=stylesheet("pdf.css"))


def layout(book: Book, settings: PageSettings, manuscript_root: Path):
    """Lay the book out once; the caller writes the PDF from the result."""
    fetcher = make_fetcher((manuscript_root, STYLES, fonts.FONT_DIR, ROOT / "templates"))
    html = HTML(string=document_html(book, settings), base_url=str(manuscript_root) + "/",
                url_fetcher=fetcher)
    document = html.render()
    return document, fetcher


def build(book: Book, out: Path, manuscript_root: Path, settings: PageSettings) -> Path:
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document, fetcher = layout(book, settings, manuscript_root)
    target = out / f"{book.meta.slug}{settings.suffix}.pdf"
    with atomic_path(target) as temporary:
        document.write_pdf(temporary, pdf_variant=None if settings.for_print else "pdf/ua-1",
                           pdf_identifier=book.meta.identifier.encode("utf-8")[:32],
                           custom_metadata=False)
    return target

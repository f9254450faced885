"""Turn the `Book` into an EPUB 3 package that epubcheck passes without a warning.

folio writes the package itself rather than through pandoc's EPUB writer, so every
edition shares one pandoc run and the EPUB gets what reading systems use: footnotes
as `aside epub:type="footnote"` (popup notes in Apple Books and Kobo), ARIA roles
beside `epub:type` (Ace asks for both), landmarks and accessibility metadata.
"""
from __future__ import annotations

import mimetypes
import re
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from .. import backmatter, cover, hyphenation, labels, pagemap
from ..book import Book, Chapter
from ..pagemap import PrintPages
from ..html import code_lines, file_names, inner_xhtml, parse_fragment, relink_tree
from ..render import atomic_path, render, stylesheet

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp"}
ROLES = {"chapter": ("chapter", "doc-chapter"), "part": ("part", "doc-part"), "appendix": ("appendix", "doc-appendix"),
         "bibliography": ("bibliography", "doc-bibliography"),
         "glossary": ("glossary", "doc-glossary"), "index": ("index", "doc-index")}
W3CDTF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Document:
    """One XHTML file of the package, with what the nav and spine need to know."""
    filename: str
    chapter: Chapter
    body: str
    notes: tuple[tuple[str, str], ...]   # (note id, XHTML with its number and back link)
    opening_pages: tuple[tuple[str, str], ...] = ()   # (id, label) of print pages that begin with its title
    pages: tuple[tuple[str, str], ...] = ()           # (id, label) of every print page begun in it


RESERVED = {"nav", "cover", "title", "content", "folio"}   # the package's own files


def file_names_of(book: Book) -> dict[str, str]:
    return file_names([c.id for c in book.chapters], RESERVED | {"images"}, ".xhtml")


def _xhtml_notes(book: Book, chapter: Chapter, href) -> tuple[tuple[str, str], ...]:
    notes = []
    for note in chapter.notes:
        tree = relink_tree(parse_fragment(note.html), href)
        back = lxml.html.Element("a", href=f"#{note.ref_id}", role="doc-backlink")
        back.text = f"{note.number}."
        back.tail = " "
        first = tree[0] if len(tree) and tree[0].tag == "p" else tree
        back.tail += first.text or ""
        first.text = ""
        first.insert(0, back)
        hyphenation.mark_long_runs(tree)
        notes.append((note.id, inner_xhtml(tree)))
    return tuple(notes)


def _locators(book: Book, pages: PrintPages | None):
    if pages is None or not pages.anchors:
        return lambda entry: backmatter.place_locators(book, entry)
    return lambda entry: backmatter.print_locators(book, entry, pages.anchors)


def _page_breaks(tree, chapter: Chapter, pages: PrintPages | None) -> tuple[list, list]:
    """Page-break markers where the print edition's pages begin: (id, label) of those
    set in the text, and of those that begin with the chapter's title."""
    if pages is None:
        return [], []
    taken = {element.get("id") for element in tree.xpath("//*[@id]")} | {chapter.id, f"{chapter.id}-title"}
    opening, inside = [], []
    for start in pages.in_chapter(chapter.id):
        element_id = f"page-{start.label}"
        while element_id in taken:
            element_id += "-p"
        taken.add(element_id)
        found = tree.xpath(f'//*[@{pagemap.STAMP}="{start.passage}"]') if start.passage is not None else []
        if not found:
            opening.append((element_id, start.label))
            continue
        pagemap.place(found[0], start.words, start.offset, pagemap.marker(start.label, element_id))
        inside.append((element_id, start.label))
    return opening, inside


def _xhtml_body(book: Book, chapter: Chapter, href, pages: PrintPages | None = None):
    """The chapter's XHTML body, and the print pages that begin in it (opening, inside)."""
    html = backmatter.chapter_html(book, chapter, _locators(book, pages))
    tree = parse_fragment(html)
    pagemap.stamp(tree)
    tree = relink_tree(tree, href)
    for ref in tree.find_class("footnote-ref"):
        ref.set("epub:type", "noteref")
    for link in tree.find_class("glossterm"):   # the ARIA role too: an epub:type alone is read by no screen reader
        link.set("epub:type", "glossref")
        link.set("role", "doc-glossref")
    opening, inside = _page_breaks(tree, chapter, pages)
    pagemap.unstamp(tree)
    # Neutral back matter carries its EPUB semantics as data-epub-type (valid HTML).
    for element in tree.xpath("//*[@data-epub-type]"):
        element.set("epub:type", element.attrib.pop("data-epub-type"))
    for element in tree.xpath("//*[@lang]"):   # a passage the author marked as French, IPA…
        element.set(XML_LANG, element.get("lang"))
    for table in list(tree.iter("table")):   # a wide table scrolls instead of being clipped; focusable,
        holder = lxml.html.Element("div", {"class": "table-scroll", "tabindex": "0"})   # so a keyboard can scroll it
        table.addprevious(holder)
        holder.append(table)
    code_lines(tree)   # a long line of code wraps, hanging, rather than running off the page
    hyphenation.mark_long_runs(tree)
    return inner_xhtml(tree), tuple(opening), tuple(inside)


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def accessibility(book: Book, docs) -> dict:
    """The package's accessibility metadata, from what this book holds (not a fixed list)."""
    bodies = "".join(doc.body + "".join(html for _, html in doc.notes) for doc in docs)
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if "<img" in bodies:
        features.append("alternativeText")
    if "<math" in bodies:
        features.append("MathML")
    if any(c.role == "index" for c in book.chapters):   # (schema.org has no term for a glossary)
        features.append("index")
    if any(doc.pages for doc in docs):
        features.append("printPageNumbers")
    chapters = sum(1 for c in book.chapters if c.role in ("chapter", "appendix"))
    said = labels.words(book.meta.lang)
    phrase = said["a11y"]
    parts = [phrase["chapters"][chapters != 1].format(count=chapters), phrase["toc"]]
    if any(c.notes for c in book.chapters):
        parts.append(phrase["notes"])
    if "<img" in bodies:
        parts.append(phrase["images"])
    if "<math" in bodies:
        parts.append(phrase["math"])
    if any(doc.pages for doc in docs):
        parts.append(phrase["pages"])
    parts += [phrase[c.role] for c in book.chapters if c.role in ("glossary", "bibliography", "index")]
    summary = phrase["summary"].format(parts=labels.listed(parts, said))
    # Said in the book's language, or in English where folio has no words for it.
    spoken = labels.table_of(book.meta.lang)
    primary = (book.meta.lang or "en").replace("_", "-").split("-")[0].lower()
    summary_lang = "" if spoken != "en" or primary == "en" else "en"
    return {"features": features, "summary": summary, "summary_lang": summary_lang, "visual": "<img" in bodies}


def ncx_points(book: Book, docs) -> list[dict]:
    """EPUB 2's table of contents (toc.ncx), for reading systems that know no nav: the
    same entries as the nav, numbered in reading order."""
    order, points = 0, []
    for doc in docs:
        order += 1
        number = f"{doc.chapter.number}. " if doc.chapter.number_apart else ""
        point = {"order": order, "label": number + (doc.chapter.title or book.meta.title), "src": doc.filename,
                 "children": []}
        for heading in doc.chapter.headings:
            if heading.level == 2:
                order += 1
                point["children"].append({"order": order, "label": heading.text,
                                          "src": f"{doc.filename}#{heading.id}"})
        points.append(point)
    return points


def file_as(name: str) -> str:
    """'Ada Keeper' as a catalogue files it: 'Keeper, Ada'. A name that does not look
    like a person's (one word, 'The … editors', a lower-case word) stays as written."""
    words = name.split()
    if len(words) < 2 or words[0].lower() in ("the", "a", "an") or not all(w[:1].isupper() for w in words):
        return name
    return f"{words[-1]}, {' '.join(words[:-1])}"


def documents(book: Book, pages: PrintPages | None = None) -> list[Document]:
    result, names = [], file_names_of(book)
    for chapter in book.chapters:
        href = book.linker(chapter.id, names.__getitem__)
        body, opening, inside = _xhtml_body(book, chapter, href, pages)
        result.append(Document(names[chapter.id], chapter, body, _xhtml_notes(book, chapter, href),
                               opening, opening + inside))
    return result


def page_list(docs: list[Document]) -> list[tuple[str, str]]:
    """(label, href) of every print page, in page order."""
    found = [(label, f"{doc.filename}#{element_id}") for doc in docs for element_id, label in doc.pages]
    return sorted(found, key=lambda page: int(page[0]) if page[0].isdigit() else 0)


def cover_lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [text]


def build(book: Book, out: Path, pages: PrintPages | None = None) -> Path:
    """The EPUB; with the print edition's `pages`, a page-list and print-page locators."""
    meta = book.meta
    docs = documents(book, pages)
    images = {name: MEDIA_TYPES.get(Path(name).suffix.lower()) or mimetypes.guess_type(name)[0]
              for name in book.shown_assets}
    view = dict(book=book, meta=meta, docs=docs, roles=ROLES, images=images,
                dc_date=meta.date if W3CDTF.match(meta.date) else "", a11y=accessibility(book, docs),
                file_as=file_as, subjects=meta.subjects, page_list=page_list(docs),
                page_source=pages.source if pages else "")
    files = {
        "META-INF/container.xml": render("epub/container.xml"),
        "OEBPS/content.opf": render("epub/package.opf", **view),
        "OEBPS/nav.xhtml": render("epub/nav.xhtml", **view),
        "OEBPS/toc.ncx": render("epub/toc.ncx", ncx=ncx_points(book, docs), **view),
        "OEBPS/cover.xhtml": render("epub/cover.xhtml", **view),
        "OEBPS/title.xhtml": render("epub/title.xhtml", **view),
        "OEBPS/folio.css": stylesheet("epub.css", book.meta.dir),
    }
    for doc in docs:
        files[f"OEBPS/{doc.filename}"] = render("epub/chapter.xhtml", doc=doc, **view)
    # The cover as a JPEG: the image calibre, Kindle conversion and stores look for.
    wrap = out / f"{meta.slug}-cover.pdf"
    if pages is not None and pages.cover and wrap.is_file():   # the printed book's front cover
        g = pages.cover
        cover_jpeg = cover.front_jpeg(wrap, g["spine"], g["bleed"], (g["trim_width"], g["trim_height"]))
    else:
        cover_jpeg = cover.raster(render("epub/cover.svg", title_lines=cover_lines(meta.title, 16),
                                         subtitle_lines=cover_lines(meta.subtitle, 30), **view))
    target = out / f"{meta.slug}.epub"
    stamp = tuple(int(part) for part in re.findall(r"\d+", meta.modified)[:6])
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
    with atomic_path(target) as temporary:
        with zipfile.ZipFile(temporary, "w") as package:
            def add(name: str, data: bytes, method=zipfile.ZIP_DEFLATED) -> None:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = method
                info.external_attr = 0o644 << 16
                package.writestr(info, data)
            # OCF 3.3 §4.3: the mimetype file comes first, stored uncompressed.
            add("mimetype", b"application/epub+zip", zipfile.ZIP_STORED)
            for name in sorted(files):
                add(name, files[name].encode("utf-8"))
            add("OEBPS/cover.jpg", cover_jpeg, zipfile.ZIP_STORED)
            for name in sorted(book.shown_assets):
                add(f"OEBPS/{name}", book.assets[name])
    return target


def text(epub: Path) -> str:
    """The text of every document in the package, for the conservation check."""
    from ..conservation import html_text
    with zipfile.ZipFile(epub) as package:
        return " ".join(html_text(package.read(name).decode("utf-8")) for name in sorted(package.namelist())
                        if name.endswith(".xhtml"))

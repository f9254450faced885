"""The one parsed `Book` every edition reads.

pandoc's single HTML output is parsed once, passed through the transforms, and cut
into chapters with their notes; the bibliography becomes back matter. Editions never
parse Markdown: they read this value.
"""
from __future__ import annotations

import datetime as dt
import functools
import html as html_text
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote

import lxml.etree
import lxml.html
from html import escape as html_escape, unescape as html_unescape

from . import ast, bounds, csl, labels, pandoc, transforms
from .diagnostics import BuildError, Diagnostic, Reporter, error, line_of
from .html import inner_html, parse_fragment, text_of
from . import backmatter, dictionary, index
from .dictionary import Entry
from .index import IndexGroup, Marks
from .manuscript import Manuscript, bibliography_entries, bibliography_keys, composed, direction_of
from .sandbox import Limits


@dataclass(frozen=True)
class Heading:
    id: str
    level: int      # 2 for a section, 3 for a subsection
    html: str
    text: str


@dataclass(frozen=True)
class Note:
    id: str         # unique in the book: "fn-<chapter>-<n>" (book.py renames pandoc's fnN)
    number: int     # numbered anew in each chapter
    html: str       # block HTML of the note's content

    @property
    def ref_id(self) -> str:
        """The id of the note's call in the text (pandoc writes fnN and fnrefN)."""
        return "fnref" + self.id[2:]


@dataclass(frozen=True)
class Chapter:
    id: str
    role: str       # "chapter", "part" (a part's title page, ast.mark_parts), "appendix", "bibliography",
    #                 "glossary" or "index"
    title_html: str
    title: str
    number: int | str | None   # 3, or an appendix's letter
    html: str       # the chapter's body without its heading
    headings: tuple[Heading, ...] = ()
    notes: tuple[Note, ...] = ()
    untitled: bool = False     # titled by its label alone ("Chapter 2"): the label is not printed twice

    @property
    def number_apart(self) -> bool:
        """Whether the number is printed beside the title (an untitled chapter's title is its label)."""
        return self.number is not None and not self.untitled

    @property
    def is_back_matter(self) -> bool:
        return self.role not in ("chapter", "part")

    def label(self, said: dict) -> str:
        """What stands over the title: "Chapter 3", "Appendix B" (labels.py), or nothing."""
        return chapter_label(said, self.role, self.number)

    @property
    def toc_html(self) -> str:
        """The title as copied into contents, pagers and the nav: no note calls, no
        links (a link inside a contents link), no ids."""
        return _title_copy(self.title_html)


def chapter_label(said: dict, role: str, number: int | str | None) -> str:
    """The words over a chapter's title, also the index's context for its places."""
    return f"{said['appendix' if role == 'appendix' else 'chapter']} {number}" if number is not None else ""


@dataclass(frozen=True)
class Metadata:
    title: str
    title_html: str
    subtitle: str
    subtitle_html: str
    creators: tuple[tuple[str, str], ...]   # (role, name): ("author", "…"), ("editor", "…")
    lang: str
    date: str
    publisher: str
    edition: str
    rights_html: str
    credit_html: str
    dedication_html: str
    description: str
    identifier: str
    slug: str
    modified: str    # ISO timestamp: SOURCE_DATE_EPOCH, else the metadata date
    subjects: tuple[str, ...] = ()   # `subject` or `keywords`: the EPUB's dc:subject
    site_url: str = ""    # `site-url`: where the HTML edition is published (sitemap, canonical links)
    isbn: str = ""        # the print edition's ISBN-13, hyphenated (978-0-…)
    isbn_epub: str = ""   # the EPUB's own ISBN, when it has one (then its identifier too)
    hyphenation: tuple[str, ...] = ()   # the author's hyphenation exceptions ("Trot-sky-ism"), hyphenation.py
    cover_image: str = ""   # `cover-image:` the finished front cover's asset name (Book.assets), cover.py
    cover_size: tuple[int, int] = (0, 0)   # its pixels
    dir: str = "ltr"   # "rtl" for Arabic, Hebrew…: the writing direction of every edition

    @property
    def date_text(self) -> str:
        """'25 November 2026' (or '25. November 2026', '25 novembre 2026') for an ISO
        date in a language folio knows; otherwise as written."""
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", self.date)
        if not match:
            return self.date
        year, month, day = (int(g) for g in match.groups())
        months = self.words["months"].split()
        return self.words["date"].format(day=day, month=months[month - 1], year=year) if 1 <= month <= 12 \
            else self.date

    @property
    def words(self) -> dict:
        """The words the book prints around its structure, in its language (labels.py)."""
        return labels.words(self.lang)

    @property
    def byline(self) -> str:
        names = [name for role, name in self.creators]
        return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


@dataclass(frozen=True)
class Place:
    """Where an index anchor sits, for editions that label locators by place."""
    chapter_id: str
    label: str      # the section heading, or the chapter title
    context: str    # "Chapter 3: Title", for a tooltip


@dataclass(frozen=True)
class Book:
    meta: Metadata
    chapters: tuple[Chapter, ...]
    assets: dict = field(default_factory=dict)          # output name -> the image's bytes
    style_name: str = csl.DEFAULT_STYLE
    note_style: bool = False
    owners: dict = field(default_factory=dict)          # element id -> chapter id
    entries: tuple[Entry, ...] = ()                     # the dictionary
    index: tuple[IndexGroup, ...] = ()
    places: dict = field(default_factory=dict)          # index anchor -> Place
    passages: tuple = ()                                # what every edition must show (conservation.py)

    def for_print(self) -> "Book":
        """What the print edition's step reads: the metadata and the cover art, not the
        text (the print edition is cut from the laid-out book, and a long book's whole
        `Book` takes 0.3 s to load)."""
        cover = {name: data for name, data in self.assets.items() if name == self.meta.cover_image}
        return replace(self, chapters=(), assets=cover, owners={}, entries=(), index=(), places={}, passages=())

    @property
    def shown_assets(self) -> dict:
        """The images the text shows: the cover art reaches the EPUB and the site only as
        the front panel cut from the print cover (cover.front_jpeg)."""
        return {name: data for name, data in self.assets.items() if name != self.meta.cover_image}

    def linker(self, current: str, file_of):
        """For editions split into files: an in-book `#id` as seen from chapter `current`,
        with `file_of(chapter_id)` naming the file that holds a chapter."""
        def href(element_id: str) -> str:
            owner = self.owners.get(element_id)
            return f"#{element_id}" if owner in (None, current) else f"{file_of(owner)}#{element_id}"
        return href


def _person(value) -> str:
    """A name as templates write people: `Jane Doe`, `{name: Jane Doe, email: …}`,
    pandoc-scholar's `{Jane Doe: {institute: …}}`, or CSL's `{given: Jane, family: Doe}`.
    Only the name is printed: an email or ORCID beside it is not for the title page."""
    if not isinstance(value, dict):
        return str(value).strip()
    for key in ("name", "literal"):
        if isinstance(value.get(key), (str, int)):
            return str(value[key]).strip()
    if "family" in value or "given" in value:
        return " ".join(str(value[k]) for k in ("given", "family") if value.get(k)).strip()
    if len(value) == 1:
        (name, details), = value.items()
        if details is None or isinstance(details, (dict, list)):
            return str(name).strip()
    return ""


def _as_list(value) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [name for name in map(_person, values) if name]


def _typeset(html: str) -> str:
    """A field as pandoc set it (Markdown read, entities decoded, O'Brien's apostrophe
    curled), as plain text."""
    return " ".join(text_of(lxml.html.fragment_fromstring(html or "", create_parent="div")).split())


def _names(value, html: str) -> list[str]:
    """The names of `author:` or `editor:` as pandoc set them (`_typeset`), one per
    `<span>` of the template; a name written as a map (`{name: …}`, CSL's given and
    family) pandoc does not set, and _person reads it."""
    values = [] if value is None else value if isinstance(value, list) else [value]
    holder = lxml.html.fragment_fromstring(html or "", create_parent="div")
    shown = [" ".join(text_of(span).split()) for span in holder.findall("span")]
    names = []
    for i, one in enumerate(values):
        name = shown[i] if not isinstance(one, dict) and len(shown) == len(values) else _person(one)
        if name:
            names.append(name)
    return names


def _site_url(value) -> str:
    """An https address ending in '/', or nothing: it is written into links and the sitemap."""
    text = str(value or "").strip()
    if not re.fullmatch(r"https?://[^\s\"'<>]+", text):
        return ""
    return text if text.endswith("/") else text + "/"


def _modified(date: str) -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    else:
        try:
            moment = dt.datetime.fromisoformat(date[:10]).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            moment = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_metadata(manuscript: Manuscript, rendered: dict[str, str]) -> Metadata:
    m = manuscript.metadata
    creators = tuple([("author", n) for n in _names(m.get("author"), rendered["author"])] +
                     [("editor", n) for n in _names(m.get("editor"), rendered["editor"])])
    date = str(m.get("date") or "")
    title_text = text_of(lxml.html.fragment_fromstring(rendered["title"] or "x", create_parent="div"))
    identifier = str(m.get("identifier") or "")
    if not identifier:
        import uuid
        # A stable identifier derived from the title, so rebuilds are byte-identical.
        names = "|".join(name for _, name in creators)
        identifier = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'folio:{title_text}|{names}|{date}')}"
    subtitle_html = rendered["subtitle"]
    isbn, isbn_epub = _isbns(manuscript)
    if isbn_epub:   # the EPUB is its own edition: its ISBN is its identifier
        identifier = f"urn:isbn:{isbn_epub.replace('-', '')}"
    return Metadata(
        title=title_text, title_html=rendered["title"],
        subtitle=text_of(lxml.html.fragment_fromstring(subtitle_html or "", create_parent="div")),
        subtitle_html=subtitle_html, creators=creators,
        lang=str(m.get("lang") or "en"), dir=direction_of(m), date=date,
        publisher=_typeset(rendered["publisher"]) or str(m.get("publisher") or "").strip(), edition=str(m.get("edition") or ""),
        rights_html=rendered["rights"], credit_html=rendered["credit"],
        dedication_html=rendered["dedication"], description=text_of(
            lxml.html.fragment_fromstring(rendered["description"] or "", create_parent="div")),
        identifier=identifier, slug=manuscript.slug, isbn=isbn, isbn_epub=isbn_epub,
        modified=_modified(date), subjects=tuple(_as_list(m.get("subject") or m.get("keywords"))),
        site_url=_site_url(m.get("site-url")), hyphenation=_hyphenation(manuscript))


def cover_image(manuscript: Manuscript) -> tuple[str, bytes, tuple[int, int]] | None:
    """`cover-image: front.jpg`: the finished front cover, a JPEG or PNG in the
    manuscript folder, read once (like every image) under the image limits."""
    import hashlib
    from .safety import is_regular_file, local_path
    value = manuscript.metadata.get("cover-image")
    if value in (None, ""):
        return None
    where = manuscript.where("cover-image")
    fix = "put the front cover (JPEG or PNG, 300 ppi at the trim size plus bleed) in the manuscript folder " \
          "and give its path relative to it: 'cover-image: images/front.jpg'"
    path = local_path(str(value), manuscript.root) if isinstance(value, str) else None
    if path is None or not is_regular_file(path):
        raise error("FOLIO048", f"cover-image: '{str(value)[:60]}' is not a file in the manuscript folder",
                    *where, fix=fix)
    if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
        raise error("FOLIO048", f"cover-image: '{str(value)[:60]}' is not a JPEG or PNG image", *where, fix=fix)
    size = bounds.check_image(path, where[0], where[1])
    data = path.resolve().read_bytes()
    suffix = ".png" if path.suffix.lower() == ".png" else ".jpg"
    return f"images/cover-{hashlib.sha256(data).hexdigest()[:12]}{suffix}", data, tuple(size)


def _hyphenation(manuscript: Manuscript) -> tuple[str, ...]:
    """`hyphenation: [Trot-sky-ism, Bolshevik]`: words and where they may break."""
    from . import hyphenation
    value = manuscript.metadata.get("hyphenation")
    if value in (None, ""):
        return ()
    entries = value if isinstance(value, list) else [value]
    wrong = [entry for entry in entries if not hyphenation.is_entry(entry)]
    if wrong:
        raise error("FOLIO047", f"hyphenation: '{str(wrong[0])[:40]}' is not a word with its break points",
                    *manuscript.where("hyphenation"),
                    fix="list words of letters, with a hyphen where each may break: "
                        "'hyphenation: [Trot-sky-ism, Bolshevik]' (no hyphen: never broken)")
    return tuple(entry.strip() for entry in entries)


def _isbns(manuscript: Manuscript) -> tuple[str, str]:
    """`isbn: 978…` (the print edition's), or `isbn: {print: …, epub: …}`, each checked
    (length, check digit) by python-stdnum and written as ISBN-13 with its hyphens."""
    from stdnum import isbn as isbn_numbers
    from stdnum.exceptions import ValidationError
    value = manuscript.metadata.get("isbn")
    if value in (None, ""):
        return "", ""
    given = value if isinstance(value, dict) else {"print": value}
    unknown = [str(k) for k in given if str(k) not in ("print", "epub")]
    if unknown:
        raise error("FOLIO044", f"isbn: '{unknown[0][:40]}' is not an edition", *manuscript.where("isbn"),
                    fix="write 'isbn: 978…' for the print edition, or 'isbn: {print: 978…, epub: 978…}'")
    found = {}
    for edition, number in given.items():
        try:
            checked = isbn_numbers.validate(str(number))
        except ValidationError as exc:
            raise error("FOLIO044", f"the {edition} ISBN '{str(number)[:40]}' is not valid: {exc}",
                        *manuscript.where("isbn"),
                        fix="copy the ISBN from the agency that issued it; the last digit is a check digit") from None
        found[str(edition)] = isbn_numbers.format(isbn_numbers.to_isbn13(checked))
    return found.get("print", ""), found.get("epub", "")


def _extract_notes(body) -> dict[str, str]:
    """pandoc's end-of-document notes, by id, without their back links."""
    notes = {}
    # pandoc's own notes section is the last with this role; an author's section that
    # happens to be called "Footnotes" has the same id but is a chapter.
    sections = [s for s in body.iter("section") if s.get("role") == "doc-endnotes"]
    if not sections:
        return notes
    section = sections[-1]
    for item in section.iter("li"):
        for back in item.find_class("footnote-back"):
            back.drop_tree()
        notes[item.get("id")] = inner_html(item).strip()
    section.drop_tree()
    return notes


def _notes_by_chapter(body, notes: dict[str, str], level: int) -> dict[str, str]:
    """pandoc numbers notes through the book (fn1, fn2, …); they are renamed
    `fn-<chapter>-<n>`, counted within their chapter, so that a note added in one
    chapter renames none in another and the other chapters' cached layouts stay good
    (layout.py). The call's id follows (Note.call_id)."""
    import hashlib
    taken = {element.get("id") for element in body.iter() if element.get("id")}
    renamed: dict[str, str] = {}
    chapters = [s for s in body.iter("section") if f"level{level}" in (s.get("class") or "").split()]
    for chapter in chapters + [body]:
        tag = hashlib.sha1((chapter.get("id") or "").encode("utf-8")).hexdigest()[:6]
        count = 0
        for call in chapter.iter("a"):
            old = (call.get("href") or "")[1:]
            if "footnote-ref" not in (call.get("class") or "").split() or old not in notes or old in renamed:
                continue
            count += 1
            new = f"fn-{tag}-{count}"
            while new in taken or "fnref" + new[2:] in taken or "fncall" + new[2:] in taken:
                count += 1
                new = f"fn-{tag}-{count}"
            taken.add(new)
            renamed[old] = new
            call.set("href", "#" + new)
            if call.get("id") == "fnref" + old[2:]:
                call.set("id", "fnref" + new[2:])
    return {renamed.get(key, key): html for key, html in notes.items()}


def _chapter_level(body) -> int:
    levels = [int(s.get("class", "").split("level")[1][0]) for s in body.iter("section")
              if "level" in s.get("class", "")]
    return min(levels) if levels else 1


def _headings(section, level: int) -> tuple[Heading, ...]:
    found = []
    for sub in section.iter("section"):
        classes = sub.get("class", "")
        for depth in (level + 1, level + 2):
            if f"level{depth}" in classes.split():
                heading = sub.find(f"h{depth}")
                if heading is not None and sub.get("id"):
                    title_html = inner_html(heading)   # its note calls are not its words (the contents, the nav)
                    found.append(Heading(sub.get("id"), depth - level + 1, title_html, text_of(
                        lxml.html.fragment_fromstring(_title_copy(title_html), create_parent="span"))))
    return tuple(found)


def _cut_chapters(body, level: int, notes: dict[str, str], places: dict, warn=None, said: dict | None = None):
    """The chapters (level-1 sections, or the top level used), with their notes and the
    places of their index anchors; and the bibliography div, taken out for the back matter."""
    said = said or labels.words("en")
    chapters: list[Chapter] = []
    number = appendices = 0
    refs = body.find(".//div[@id='refs']")
    if refs is not None:
        holder = refs.getparent()
        refs.drop_tree()
        # The author's own `# References` (or pandoc's reference-section-title) heads a
        # section left empty: folio sets the bibliography as back matter under that title.
        if holder is not None and holder.tag == "section" and not any(
                child.tag not in ("h1", "h2", "h3") for child in holder):
            heading = next(iter(holder), None)
            if heading is not None and text_of(heading):
                refs.set("data-title", text_of(heading))
            # Where the author put it, before the appendices say, it stays: before the
            # chapter that follows (else it closes the book).
            follows = holder.getnext()
            while follows is not None and not (follows.tag == "section" and follows.get("id")):
                follows = follows.getnext()
            if follows is not None and holder.getparent() is body:
                refs.set("data-before", follows.get("id"))
            holder.drop_tree()
    loose = [child for child in body if not (child.tag == "section" and f"level{level}" in child.get("class", ""))]
    if any(text_of(el) or el.tag in ("img", "figure") for el in loose):
        if warn is not None:
            first = next((text_of(el) for el in loose if text_of(el)), "")
            warn(first[:30], "text before the first chapter heading opens the book without a title")
        used = {el.get("id") for el in body.iter() if isinstance(el.tag, str) and el.get("id")}
        wrapper = lxml.html.Element("section", id=_free_id("opening", used))
        for el in loose:
            wrapper.append(el)
        body.insert(0, wrapper)
    section_tags = (f"h{level + 1}", f"h{level + 2}")
    for section in [s for s in body if s.tag == "section"]:
        heading = section.find(f"h{level}")
        title_html, title, headed = ("", "", heading is not None)
        chapter_notes = _number_notes(section, notes)   # a note called from the title is the first
        if heading is not None:
            # An anchor in the heading (an index mark) stays, empty, at the chapter's start;
            # the title is copied into contents and running heads, so it carries no ids.
            for marked in [el for el in heading.iter() if el is not heading and el.get("id")]:
                section.insert(0, lxml.html.Element("span", {"id": marked.attrib.pop("id"), "class": "ix"}))
            title_html = inner_html(heading)
            title = text_of(lxml.html.fragment_fromstring(_title_copy(title_html), create_parent="span"))
            heading.drop_tree()
        classes = section.get("class", "").split()
        unnumbered = "unnumbered" in classes or not (title or headed)
        role = "part" if "part" in classes else "appendix" if ast.APPENDIX in classes else "chapter"
        printed = None   # the number the chapter prints: 3, or B for the second appendix (ast.number_labels)
        if not unnumbered and role == "appendix":
            appendices += 1
            printed = ast.appendix_letter(appendices)
        elif not unnumbered:
            number += 1
            printed = number
        untitled = printed is not None and not title and "<img" not in title_html
        if untitled:   # `#` alone: a chapter with only its number, as a novel's (ast.empty_headings)
            title = chapter_label(said, role, printed)
            title_html = html_text.escape(title)
        context = f"{chapter_label(said, role, printed)}: {title}" if printed and not untitled else title
        current = title
        for element in section.iter():
            if element.tag in section_tags:
                current = text_of(element)
                continue
            classes = element.get("class")
            if classes and "ix" in classes.split() and element.get("id"):
                places[element.get("id")] = Place(section.get("id") or "", current or title, context)
        for note in chapter_notes:   # a mark of the dictionary's (class "ix") or the author's ("index ix")
            for element in parse_fragment(note.html).iter() if ' id="' in note.html else ():
                if "ix" in (element.get("class") or "").split() and element.get("id"):
                    places[element.get("id")] = Place(section.get("id") or "", f"{said['note']} {note.number}",
                                                      context)
        chapters.append(Chapter(
            id=section.get("id") or f"chapter-{len(chapters) + 1}",
            role=role, title_html=title_html, title=title, number=printed, untitled=untitled,
            # (the blank lines before a section's end depend on what follows the chapter)
            html=_one_newline_before_section_ends(inner_html(section).strip()),
            headings=_headings(section, level), notes=chapter_notes))
    return chapters, refs


def _one_newline_before_section_ends(html: str) -> str:
    """Any run of white space before a `</section>` made one newline (what follows a
    chapter decides those blanks, and a chapter's HTML must not depend on it); a split
    rather than a search with lookahead, which tried every space of a long book."""
    pieces = html.split("</section>")
    return "</section>".join([piece.rstrip() + "\n" if piece[-1:].isspace() else piece for piece in pieces[:-1]]
                             + pieces[-1:])


@functools.lru_cache(maxsize=4096)   # every site page's nav copies every title
def _title_copy(title_html: str) -> str:
    if not title_html:
        return ""
    holder = lxml.html.fragment_fromstring(title_html, create_parent="span")
    for call in holder.find_class("footnote-ref"):
        call.drop_tree()
    for link in list(holder.iter("a")):
        link.drop_tag()
    for element in holder.iter():
        element.attrib.pop("id", None)
    return inner_html(holder)


def _number_notes(tree, notes: dict[str, str]) -> tuple[Note, ...]:
    """The notes called in `tree`, numbered from 1 in the order of their calls. A link
    that only looks like a call (raw HTML with class footnote-ref) is not one."""
    found = []
    for ref in tree.find_class("footnote-ref"):
        note_id = ref.get("href", "#")[1:]
        if ref.tag != "a" or note_id not in notes:
            ref.set("class", " ".join(c for c in ref.get("class", "").split() if c != "footnote-ref"))
            continue
        found.append(Note(note_id, len(found) + 1, notes[note_id]))
        sup = ref.find("sup")
        (sup if sup is not None else ref).text = str(len(found))
    return tuple(found)


def _bibliography(refs, refs_title: str) -> list[Chapter]:
    if refs is not None:
        refs.attrib.pop("data-before", None)
        refs_title = refs.attrib.pop("data-title", None) or refs_title
        return [Chapter(id="bibliography", role="bibliography", title_html=html_escape(refs_title),
                                title=refs_title, number=None,
                                html=lxml.html.tostring(refs, encoding="unicode"))]
    return []


def _owners(chapters: list[Chapter]) -> dict[str, str]:
    owners = {}
    for chapter in chapters:
        owners[chapter.id] = chapter.id
        for element_id in re.findall(r'\bid="([^"]+)"', chapter.html):
            owners.setdefault(element_id, chapter.id)
        for note in chapter.notes:
            owners[note.id] = chapter.id
            for element_id in re.findall(r'\bid="([^"]+)"', note.html):
                owners.setdefault(element_id, chapter.id)
    return owners


def _report_duplicate_entries(manuscript: Manuscript, reporter: Reporter) -> None:
    """A key written twice is two sources with one name: pandoc keeps the last, in
    silence (BibTeX the first), so a citation may print the wrong one. Said at the
    entry pandoc uses, naming the other."""
    places: dict[str, list] = {}
    for path in manuscript.bibliography:
        for key, line in bibliography_entries(path):
            places.setdefault(key, []).append((path, line))
    for key, found in places.items():
        if len(found) > 1:
            *others, (path, line) = found
            where = ", ".join(f"{p.name}:{n}" for p, n in others)
            reporter.warn(Diagnostic("FOLIO038", f"bibliography entry '{key}' is written {len(found)} times "
                                     f"(also at {where}); pandoc uses this one, the last", path, line,
                                     fix=f"give each source its own key, or remove the copies of '{key}'"))


def _report_unused_references(manuscript: Manuscript, body, reporter: Reporter) -> None:
    """A bibliography entry the text never cites is probably a mistake: say so."""
    cited = {key for el in body.iter() if el.get("data-cites") for key in el.get("data-cites").split()}
    nocite = manuscript.metadata.get("nocite")
    if nocite:
        return
    for path in manuscript.bibliography:
        for key, line in bibliography_keys(path).items():
            if key not in cited:
                reporter.warn(Diagnostic("FOLIO025", f"bibliography entry '{key}' is never cited", path, line,
                                         fix=f"cite it with [@{key}] or remove it from {path.name}"))


def _definitions_markdown(entries: tuple[Entry, ...]) -> str:
    """The dictionary's definitions as fenced divs, for the one pandoc run."""
    blocks = ["::: {#folio-definitions}"]
    for entry in entries:
        for i, definition in enumerate(entry.definitions):
            blocks.append(f"::: {{#folio-def-{entry.key}-{i}}}\n{definition.markdown}\n:::")
    blocks.append(":::")
    return "\n\n".join(blocks) + "\n"


def _with_definitions(body, entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    holder = body.find(".//div[@id='folio-definitions']")
    if holder is None:
        return entries
    rendered = {div.get("id"): inner_html(div).strip() for div in holder.iter("div")}
    holder.drop_tree()
    return tuple(replace(entry, definitions=tuple(
        replace(d, html=rendered.get(f"folio-def-{entry.key}-{i}", "")) for i, d in enumerate(entry.definitions)))
        for entry in entries)


def _report_unfound(entries: tuple[Entry, ...], marks: Marks, manuscript: Manuscript, reporter: Reporter) -> None:
    found = {path[0].lower() for path in marks.found}
    unfound = [entry for entry in entries if entry.headword.lower() not in found and not entry.see]
    for entry in unfound[:UNFOUND_SAID]:
        reporter.warn(Diagnostic("FOLIO057", f"dictionary entry '{entry.headword}' never occurs in the text",
                                 manuscript.dictionary, entry.line,
                                 fix="add the form the text uses to its variants, or remove the entry"))
    if len(unfound) > UNFOUND_SAID:   # a dictionary made for another book: said once, not 35,000 times
        reporter.warn(Diagnostic("FOLIO057", f"{len(unfound) - UNFOUND_SAID} more dictionary entries never occur "
                                 "in the text", manuscript.dictionary, unfound[UNFOUND_SAID].line,
                                 fix="is this the book's dictionary? Remove the entries it does not use"))


UNFOUND_SAID = 20   # FOLIO057s said one by one; the rest are counted


def _free_id(wanted: str, taken: set[str]) -> str:
    """The back matter's id, unless the author already used it for something else."""
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    taken.add(candidate)
    return candidate


# Every in-book link's target in serialized HTML (lxml quotes a value holding `"` with
# `'`), and words that only look like one (a code sample's `href="#x"`): the links are
# told apart only where a target is unknown.
_IN_BOOK_HREF = re.compile(r"""href=(?:"#([^"]*)"|'#([^']*)')""")


def _known_target(target: str, owners: dict) -> bool:
    return target in owners or target.startswith(("gl-", "ixe-"))


def _report_dead_links(chapters, owners: dict, manuscript: Manuscript, reporter: Reporter) -> None:
    """An in-book link `[text](#id)` whose id exists nowhere would lead the reader nowhere.
    A fragment is parsed only if something in it that looks like such a link names no
    known target: re-parsing every chapter was a tenth of assembling a long book."""
    for chapter in chapters:
        for html in (chapter.html, *(note.html for note in chapter.notes)):
            if all(_known_target(unquote(html_unescape(double or single)), owners)
                   for double, single in _IN_BOOK_HREF.findall(html)):
                continue
            # The links themselves, not text that shows markup (a code sample's `href="#x"`).
            hrefs = (a.get("href") or "" for a in parse_fragment(html).iter("a"))
            for target in (unquote(href[1:]) for href in hrefs if href.startswith("#") and len(href) > 1):
                if not _known_target(target, owners):
                    line = manuscript.text.find(f"#{target}")
                    reporter.warn(Diagnostic("FOLIO026", f"link to '#{target}', which is no heading or anchor",
                                             manuscript.source, manuscript.text.count("\n", 0, line) + 1 if line >= 0 else None,
                                             fix="point the link at an existing {#id}, or add that id"))


class _Held(Reporter):
    """Warnings kept, not said, until the whole read confirms the splice they came from."""

    def warn(self, diagnostic: Diagnostic) -> None:
        if diagnostic not in self.warnings:
            self.warnings.append(diagnostic)


def assemble(manuscript: Manuscript, reporter: Reporter, limits: Limits = Limits(),
             citeproc_record: Path | None = None, whole=None, meanwhile=None, writers: int = 1) -> Book:
    """Run pandoc once and turn its output into the `Book`; `citeproc_record` keeps the
    rendered citations for the next build (citations.py). A `Book` made from a spliced
    read (reading.py) is returned, and its warnings said, only once pandoc's whole read
    confirms the splice; otherwise it is made again from the whole read (`whole`).
    `meanwhile(book)` is given that `Book` while the whole read is awaited (the book
    step seals it for saving then): it must keep nothing of it if it is not returned.
    `writers`: pandoc runs that may write the HTML at once (writing.py)."""
    entries = dictionary.load(manuscript.dictionary) if manuscript.dictionary else ()
    definitions = _definitions_markdown(entries) if entries else ""
    # Before pandoc: markup it would take minutes or gigabytes to read is refused here.
    bounds.check_markdown(manuscript.text, manuscript.source)
    if definitions:
        bounds.check_markdown(definitions, manuscript.dictionary)
    output = pandoc.run(manuscript, definitions, limits, citeproc_record, whole, writers)
    if output.whole is None:
        return _assemble(manuscript, reporter, output, entries)
    held = _Held()
    try:
        book = _assemble(manuscript, held, output, entries)
    except BuildError:
        if output.confirmed():
            raise
        return assemble(manuscript, reporter, limits, citeproc_record, output.whole, meanwhile, writers)
    except Exception:   # a fault of folio's: the whole read is not left running
        output.whole.settle()
        raise
    if meanwhile is not None:
        meanwhile(book)
    if not output.confirmed():
        if meanwhile is not None:
            meanwhile(None)   # let go of what it made of the splice's Book
        del book
        return assemble(manuscript, reporter, limits, citeproc_record, output.whole, meanwhile, writers)
    for diagnostic in held.warnings:
        reporter.warn(diagnostic)
    return book


def _plain_html_parser():
    """lxml.html's parser with every element an `HtmlElement`, chosen in C: lxml.html's
    own lookup (form elements get classes of their own) is a Python call each time an
    element is reached, a tenth of assembling a long book."""
    parser = lxml.html.HTMLParser(huge_tree=True)
    parser.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
    return parser


def _assemble(manuscript: Manuscript, reporter: Reporter, output, entries) -> Book:
    """The `Book` from pandoc's output."""
    for diagnostic in output.diagnostics:
        reporter.warn(diagnostic)
    # huge_tree: libxml2 would otherwise cut a text node over 10 MB without a word.
    # In composed form (NFC): a manuscript typed with combining accents finds its
    # dictionary's terms, hyphenates and sorts as one typed with composed letters.
    document = lxml.html.document_fromstring(composed(output.html), parser=_plain_html_parser())
    bounds.check_tree(document, manuscript.source)
    context = transforms.Context(manuscript, reporter)
    for step in transforms.PASSES:   # over everything pandoc wrote: text, metadata, definitions
        step(document, context)
    wrappers = list(document.iter("folio-meta", "folio-body"))
    if len(wrappers) != 10 or any(w.getparent() is None or w.getparent().tag != "body" for w in wrappers):
        # The AST pass leaves no raw markup that can do this; should one slip through,
        # stop rather than publish a book whose parts have moved.
        raise error("FOLIO035", "raw HTML in the manuscript broke the document's structure", manuscript.source,
                    fix="look for raw HTML elements that are opened and not closed")
    rendered = {el.get("name"): inner_html(el).strip() for el in document.iter("folio-meta")}
    body = next(document.iter("folio-body"))
    entries = _with_definitions(body, entries)
    _report_duplicate_entries(manuscript, reporter)
    _report_unused_references(manuscript, body, reporter)
    level = _chapter_level(body)
    marks = Marks()
    for _empty in index.mark_explicit(body, marks, entries):
        at = re.search(r"\[\s*\]\{[^}]*\bindex\b|index=[\"']\s*[\"']", manuscript.text)
        reporter.warn(Diagnostic("FOLIO058", "an index mark names no entry; it is left out", manuscript.source,
                                 line_of(manuscript.text, at.start()) if at else None,
                                 fix="put the entry's words in the brackets, or give index=\"Entry\""))
    index.mark_dictionary_terms(body, entries, marks)
    marks.name_by_chapter(body, level)
    used_at = index.link_glossary_terms(body, entries, level)
    transforms.reachable_captions(body, None)   # a caption hidden as its image's alt may hold a term's link now
    _report_unfound(entries, marks, manuscript, reporter)
    notes = _notes_by_chapter(body, _extract_notes(body), level)
    said = labels.words(str(manuscript.metadata.get("lang") or "en"))
    refs_title = str(manuscript.metadata.get("reference-section-title") or said["bibliography"])
    places: dict = {}
    def warn(needle: str, message: str) -> None:
        at = manuscript.text.find(needle) if needle else -1
        reporter.warn(Diagnostic("FOLIO027", message, manuscript.source,
                                 line_of(manuscript.text, at) if at >= 0 else None,
                                 fix="give it a heading ('# Preface {.unnumbered}'), or move it into a chapter"))
    chapters, refs = _cut_chapters(body, level, notes, places, warn, said)
    if not chapters:
        raise error("FOLIO024", "the manuscript has no text", manuscript.source, fix="write at least one chapter")
    groups = index.collect(marks, entries)
    back = []
    if any(e.in_glossary for e in entries):
        used = {key: [(anchor, places[anchor].context) for anchor in anchors if anchor in places]
                for key, anchors in used_at.items()}
        indexed = {e.key for g in groups for e in g.entries}
        glossary = lxml.html.fragment_fromstring(backmatter.glossary_html(entries, used, indexed, said),
                                                 create_parent="div")
        glossary_notes = _number_notes(glossary, notes)   # a definition may have a note or a note-style citation
        back.append(Chapter(id="glossary", role="glossary", title_html=html_escape(said["glossary"]),
                            title=said["glossary"], number=None,
                            html=inner_html(glossary).strip(), notes=glossary_notes))
    before = refs.get("data-before") if refs is not None else None
    placed = next((i for i, c in enumerate(chapters) if before and c.id == before), None)
    if placed is None:
        back += _bibliography(refs, refs_title)
    if groups:
        back.append(Chapter(id="book-index", role="index", title_html=html_escape(said["index"]), title=said["index"],
                            number=None, html=""))
    taken = {c.id for c in chapters} | {i for c in chapters for i in re.findall(r'\bid="([^"]+)"', c.html)}
    if placed is not None:   # the author's place for it, among the chapters
        bibliography = _bibliography(refs, refs_title)
        back = bibliography + back
    back = [replace(c, id=_free_id(c.id, taken)) for c in back]
    if placed is not None:
        chapters = chapters[:placed] + back[:1] + chapters[placed:] + back[1:]
    else:
        chapters = chapters + back
    owners = _owners(chapters)
    index_id = next((c.id for c in back if c.role == "index"), "")
    owners.update({f"ixe-{e.key}": index_id for g in groups for e in g.entries})
    _report_dead_links(chapters, owners, manuscript, reporter)
    meta = read_metadata(manuscript, rendered)
    if str(manuscript.metadata.get("site-url") or "").strip() and not meta.site_url:
        reporter.warn(Diagnostic("FOLIO049", "site-url is not an http(s) address; the site is written without it "
                                 "(no sitemap, no canonical links)", *manuscript.where("site-url"),
                                 fix="give the address the site is published at: 'site-url: https://example.org/book/'"))
    assets = dict(context.assets)
    cover = cover_image(manuscript)
    if cover is not None:
        name, data, size = cover
        assets[name] = data
        meta = replace(meta, cover_image=name, cover_size=size)
    return Book(meta, tuple(chapters), assets,
                manuscript.style_name, csl.is_note_style(manuscript.style), owners,
                entries, groups, places, output.passages)

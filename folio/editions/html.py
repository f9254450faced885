"""Turn the `Book` into a static site: one page per chapter, contents, search, downloads.

Every page works opened from disk: links are relative, and search reads its index
from a script file rather than fetching JSON (which browsers refuse on file: URLs).
"""
from __future__ import annotations

import hashlib
import json
import re
from html import escape, unescape
import shutil
from dataclasses import dataclass
from pathlib import Path

import lxml.etree
import lxml.html
import markupsafe

from ..book import Book, Chapter
from .. import backmatter, fonts, hyphenation
from ..html import code_lines, file_names, inner_html, parse_fragment, relink, text_of
from ..paths import STAGED_SITE
from ..render import STYLES, atomic_dir, render, stylesheet


@dataclass(frozen=True)
class Page:
    filename: str
    title: str
    chapter: Chapter | None


# The site's own files: a chapter never takes one of these names.
RESERVED = {"index", "search", "search-index", "site", "folio", "fonts", "images", "downloads", "404", "favicon",
            "cover", "sitemap"}


# The contents every page of the site repeats (templates/html/base.html), found by its
# place in the page, outside the author's text: read once, on the home page, by the
# conservation check.
REPEATED_CONTENTS = '/html/body/div[@class="layout"]/nav[@id="site-toc"]'


def page_names(book: Book) -> dict[str, str]:
    return file_names([c.id for c in book.chapters], RESERVED, ".html")


def popover_texts(book: Book) -> dict[str, str]:
    """Each dictionary entry's first definition as plain text (read once per build)."""
    return {e.key: text_of(parse_fragment(e.definitions[0].html)) for e in book.entries if e.definitions}


def with_popovers(html: str, definitions: dict[str, str]) -> str:
    """Each glossary link in the text shows its definition (`popover_texts`) on hover or focus."""
    if "glossterm" not in html:
        return html
    tree = parse_fragment(html)
    for link in tree.find_class("glossterm"):
        key = link.get("href", "")[len("#gl-"):]
        text = definitions.get(key, "")
        if text:
            pop = parse_fragment("<span class='gloss-pop' role='tooltip' hidden></span>")[0]   # out of the text flow
            pop.text = text if len(text) < 240 else text[:text.rfind(" ", 0, 240)] + " …"
            pop.set("id", "pop-" + link.getparent().get("id", key))
            link.set("aria-describedby", pop.get("id"))
            link.addnext(pop)
    return inner_html(tree)


HEADINGS = ("h2", "h3", "h4")


def _heading_copy(heading) -> lxml.html.HtmlElement:
    """A heading's content as copied into the section list and a link's name: no note
    calls or definitions shown beside it, no links (a link inside a link), no ids."""
    holder = parse_fragment(inner_html(heading))
    for dropped in holder.xpath('.//*[@role="tooltip"] | .//*[contains(concat(" ", @class, " "), " footnote-ref ")]'):
        dropped.drop_tree()
    for link in list(holder.iter("a")):
        link.drop_tag()
    for element in holder.iter():
        for name in ("id", "aria-describedby", "aria-labelledby"):
            element.attrib.pop(name, None)
    return holder


def _target_of(heading) -> str | None:
    """The id a heading's self-link names: its section's, when the heading opens one
    (pandoc puts the id there, and the A–Z bars link sections), else its own."""
    parent = heading.getparent()
    if parent is not None and parent.tag == "section" and parent.get("id") and next(
            (child for child in parent if isinstance(child.tag, str) and child.tag in HEADINGS), None) is heading:
        return parent.get("id")
    return heading.get("id")


def _runs_marked(html: str) -> str:
    """A note's markup with its long runs marked (hyphenation.mark_long_runs)."""
    if not hyphenation.has_long_run(re.sub(r"<[^>]*>", "", html)):
        return html
    tree = parse_fragment(html)
    hyphenation.mark_long_runs(tree)
    return inner_html(tree)


def with_heading_links(html: str, said: dict) -> tuple[str, list[dict]]:
    """Each h2–h4 with an id is followed by a link to itself, shown on hover or focus
    (its glyph is drawn by CSS, so it is not in the text, the search index or a copy);
    the heading and its link share a wrapper, so the link is not part of the heading's
    name. Also the h2 and h3 sections, nested, for the list beside the text; and, in
    the same pass over the page, each table wrapped to scroll sideways: a register map of
    twelve columns would otherwise run past a phone's screen, its last columns cut."""
    tree = parse_fragment(html)
    for table in list(tree.iter("table")):   # focusable, so a keyboard can scroll it
        holder = lxml.html.Element("div", {"class": "table-scroll", "tabindex": "0"})
        table.addprevious(holder)
        holder.tail, table.tail = table.tail, None
        holder.append(table)
    code_lines(tree)   # a long line of code wraps, hanging, rather than running past the screen
    hyphenation.mark_long_runs(tree)
    sections: list[dict] = []
    for heading in [h for h in tree.iter(*HEADINGS)]:
        target, parent = _target_of(heading), heading.getparent()
        if not target or parent is None or parent.tag in ("hgroup", "summary", "legend", "a", "button"):
            continue
        copy = _heading_copy(heading)
        title = text_of(copy)
        if not title:
            continue
        wrapper = lxml.html.Element("div", {"class": f"heading heading-{heading.tag[1]}"})
        heading.addprevious(wrapper)
        wrapper.tail, heading.tail = heading.tail, None
        wrapper.append(heading)
        wrapper.append(lxml.html.Element("a", {"class": "heading-anchor", "href": "#" + target,
                                               "aria-label": said["section_link"].format(title=title)}))
        if heading.tag in ("h2", "h3"):
            entry = {"id": target, "html": inner_html(copy), "children": []}
            if heading.tag == "h3" and sections:
                sections[-1]["children"].append(entry)
            else:
                sections.append(entry)
    return inner_html(tree), sections


def _count(sections: list[dict]) -> int:
    return sum(1 + len(section["children"]) for section in sections)


PASSAGES = {"p", "li", "dt", "dd", "td", "th", "figcaption", "caption", "pre", "h2", "h3", "h4", "h5", "h6"}
# An element's words as a reader searches them: a note call (the 3 after "1860.") is not one.
_WORDS_NOT_CALLS = lxml.etree.XPath('.//text()[not(ancestor::*[contains(concat(" ", @class, " "), " footnote-ref ")])]')


def _words(element) -> str:
    return " ".join("".join(_WORDS_NOT_CALLS(element)).split())


def search_records(book: Book) -> list[dict]:
    """One record per passage (paragraph, list item, cell, heading…): the nearest anchor
    at or before it, its chapter and section, and its plain text."""
    records, names = [], page_names(book)
    for chapter in book.chapters:
        tree = parse_fragment(chapter.html)
        anchor, section = chapter.id, chapter.title
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            if element.get("id") and element.tag in ("section", "h2", "h3", "h4", "h5", "h6", "div", "figure"):
                anchor = element.get("id")
            if element.tag in ("h2", "h3"):
                section = _words(element)
            if element.tag not in PASSAGES or any(inner.tag in PASSAGES for inner in element.iterdescendants()
                                                  if isinstance(inner.tag, str)):
                continue
            text = _words(element)
            if not text:
                continue
            inner = next((e.get("id") for e in element.iter() if isinstance(e.tag, str) and e.get("id")), None)
            place = chapter.title if section == chapter.title else f"{chapter.title} › {section}"
            record = {"href": f"{names[chapter.id]}#{inner or anchor}", "title": place, "text": text}
            # The index entries the author marked here ([his notes]{index="Lenin’s Testament"},
            # or a ::: {index=…} range around it) find the passage too.
            spans = [e for e in element.iter() if isinstance(e.tag, str) and e.get("data-index")]
            marked = [e.get("data-index") for e in spans]
            # a range counts once, on its first passage
            marked += [a.get("data-index") for a in element.iterancestors() if a.get("data-index")
                       and next((p for p in a.iter(*PASSAGES)), None) is element]
            terms = [", ".join(part.strip() for part in path.split("!")) for path in dict.fromkeys(marked)]
            if terms:
                record["terms"] = "; ".join(terms)
                words = " ".join(text_of(spans[0]).split()) if spans else ""
                record["at"] = max(text.find(words), 0) if words else 0
            records.append(record)
    return records


def search_variants(book: Book) -> list[list[str]]:
    """The dictionary's headwords with their variants: searching one form finds all."""
    return [[form.lower() for form in (entry.headword, *entry.variants)]
            for entry in book.entries if entry.variants]


def pages_of(book: Book) -> list[Page]:
    names = page_names(book)
    return [Page(names[c.id], c.title, c) for c in book.chapters]


def _letters(html: str) -> list[tuple[str, str]]:
    """The glossary's or the index's letter groups, for the A–Z bar: (#id, letter)."""
    tree = parse_fragment(html)
    return [(f"#{section.get('id')}", text_of(section.find("h2")))
            for section in tree.iter("section") if section.get("id") and section.find("h2") is not None
            and section.get("class", "").split()[0] in ("gloss-group", "index-group")]


def _description(chapter: Chapter) -> str:
    """A chapter's description for search engines and link previews: its opening words."""
    tree = parse_fragment(chapter.html)
    first = next((text_of(p) for p in tree.iter("p") if len(text_of(p)) > 40), "")
    return first if len(first) <= 160 else first[:first.rfind(" ", 0, 157)] + " …"


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{max(1, round(size / 1024))} KB"


def _pages(pdf: Path) -> int | None:
    import re
    import subprocess
    tool = shutil.which("pdfinfo")
    if tool is None:
        return None
    done = subprocess.run([tool, str(pdf)], capture_output=True, text=True)
    found = re.search(r"^Pages:\s+(\d+)", done.stdout, re.M)
    return int(found.group(1)) if found else None


# The other editions the site carries (book.meta.words key, file name after the slug).
EDITIONS = (("pdf_screen", ".pdf"), ("pdf_print", "-print.pdf"), ("epub", ".epub"))
FACTS = "FOLIO-EDITION-FACTS-{}"   # on the staged pages, where an edition's size and pages go


def staged_dir(out: Path, slug: str) -> Path:
    """The site as the `site` step makes it, before the other editions join it."""
    return out / ".folio" / slug / "site"


def _planned_downloads(book: Book) -> tuple[list[tuple[str, str, str]], list[dict]]:
    """The downloads every page lists (label, href, what it is, its facts still a
    token), and what `publish` needs to fill the facts in without the `Book`. A token
    carries a hash of the book's text, so no text of the author's can be one."""
    said, shown, plan = book.meta.words, [], []
    seal = hashlib.sha256("".join(c.html for c in book.chapters).encode("utf-8")).hexdigest()[:16]
    for number, (key, suffix) in enumerate(EDITIONS):
        name, token = f"{book.meta.slug}{suffix}", FACTS.format(f"{number}-{seal}")
        shown.append((said[key][0], f"downloads/{name}", f"{said[key][1]} ({token})"))
        plan.append({"file": name, "token": token, "paged": suffix.endswith(".pdf"), "pages": said["pages"]})
    return shown, plan


class SiteContents:
    """The site's contents, on every page the same list but for the page it is on: made
    once a build, and marked for each page. Rendered on each page, the 50x book's 504
    entries on each of its 508 pages were the most of the site step's time."""

    def __init__(self, pages: list):
        self.items = render("html/contents.html", pages=pages)

    def on(self, page) -> markupsafe.Markup:
        if page is None:
            return markupsafe.Markup(self.items)
        href = markupsafe.escape(page.filename)   # as the template wrote it
        return markupsafe.Markup(self.items.replace(f'<a href="{href}">', f'<a href="{href}" aria-current="page">', 1))


def build(book: Book, out: Path) -> Path:
    """The `site` step: every page of the site, staged (`staged_dir`). It needs no other
    edition, so it is made while the PDFs are laid out; `publish` then adds them."""
    target = staged_dir(out, book.meta.slug)
    pages = pages_of(book)
    downloads, plan = _planned_downloads(book)
    common = dict(book=book, meta=book.meta, pages=pages, downloads=downloads, cover="cover.jpg",
                  site_url=book.meta.site_url, description="", page_url="", contents=SiteContents(pages))
    with atomic_dir(target) as site:
        _write_pages(book, site, pages, common)
        # The book's own face, so the site reads like the book; cut to what the site shows,
        # and to the word for pages the facts will print (their digits and units are
        # among the characters a reader types, which are always kept). Gathered a page
        # at a time: the whole site as one string took 150 MB at 50x.
        shown, with_facts = set("".join(step["pages"] for step in plan)), []
        for page in [*site.glob("*.html"), site / "search-index.js"]:
            text = page.read_text(encoding="utf-8")
            shown.update(unescape(text))
            if FACTS.format("") in text:
                with_facts.append(page.name)
        (site / "downloads.json").write_text(json.dumps({"editions": plan, "pages": with_facts},
                                                        ensure_ascii=False), encoding="utf-8")
        (site / "fonts").mkdir()
        fonts.web_subsets("".join(sorted(shown)), site / "fonts", out / ".folio" / book.meta.slug / "web-fonts")
        # Last, what the html step depends on: it changes whenever any staged file does.
        files = {str(path.relative_to(site)): hashlib.sha256(path.read_bytes()).hexdigest()
                 for path in sorted(site.rglob("*")) if path.is_file()}
        (site / STAGED_SITE).write_text(json.dumps(files, indent=0), encoding="utf-8")
    return target / STAGED_SITE


def publish(out: Path, slug: str) -> Path:
    """The `html` step: the staged site with the other editions as downloads, their
    sizes and pages on the home page, and the EPUB's cover as the site's social image."""
    from ..diagnostics import error
    staged = staged_dir(out, slug)
    notes = json.loads((staged / "downloads.json").read_text(encoding="utf-8"))
    target = out / "html"
    with atomic_dir(target) as site:
        own = {"downloads.json", STAGED_SITE}   # the step's notes, at the top only (an asset may share a name)
        shutil.copytree(staged, site, dirs_exist_ok=True,
                        ignore=lambda folder, names: [n for n in names if Path(folder) == staged and n in own])
        (site / "downloads").mkdir()
        facts = {}
        for step in notes["editions"]:
            source = out / step["file"]
            if not source.is_file():
                raise error("FOLIO099", f"the site lists {step['file']}, which was not built",
                            fix="build every edition: python3 build.py")
            shutil.copyfile(source, site / "downloads" / source.name)
            known = [_size(source)]
            pages = _pages(source) if step["paged"] else None
            if pages:
                known.append(step["pages"].format(count=pages))
            facts[step["token"]] = escape(", ".join(known))
        # Wherever the templates print an edition's facts (the home page's list of
        # downloads, or any other place a customised template puts them).
        for name in notes["pages"]:
            text = (site / name).read_text(encoding="utf-8")
            for token, known in facts.items():
                text = text.replace(token, known)
            (site / name).write_text(text, encoding="utf-8")
        import zipfile
        with zipfile.ZipFile(out / f"{slug}.epub") as package:   # the EPUB's cover is the social image
            (site / "cover.jpg").write_bytes(package.read("OEBPS/cover.jpg"))
    return target / "index.html"


def _write_pages(book: Book, site: Path, pages: list, common: dict) -> None:
    names = page_names(book)
    initial = next((ch for ch in book.meta.title if ch.isalnum()), "F").upper()
    (site / "favicon.svg").write_text(render("html/favicon.svg", initial=initial), encoding="utf-8")
    (site / "404.html").write_text(render("html/404.html", page=None, **common), encoding="utf-8")
    (site / "index.html").write_text(render("html/home.html", page=None, **{**common, "page_url": ""}),
                                     encoding="utf-8")
    definitions = popover_texts(book)
    for position, page in enumerate(pages):
        chapter = page.chapter
        link = book.linker(chapter.id, names.__getitem__)
        notes = [(note, _runs_marked(relink(note.html, link))) for note in chapter.notes]
        body = with_popovers(backmatter.chapter_html(book, chapter, lambda e: backmatter.place_locators(book, e)),
                             definitions)
        letters = _letters(body) if chapter.role in ("glossary", "index") else []
        body, sections = with_heading_links(relink(body, link), book.meta.words)
        html = render("html/chapter.html", page=page, chapter=chapter, body=body,
                      notes=notes, previous=pages[position - 1] if position else None,
                      next=pages[position + 1] if position + 1 < len(pages) else None,
                      letters=letters,
                      # a page with an A–Z bar has its own list; one section needs none
                      sections=sections if _count(sections) >= 2 and not letters else [],
                      **{**common, "description": _description(chapter), "page_url": page.filename})
        (site / page.filename).write_text(html, encoding="utf-8")
    (site / "search.html").write_text(render("html/search.html", page=None, **common), encoding="utf-8")
    if book.meta.site_url:   # only a published site has addresses to list
        (site / "sitemap.xml").write_text(render("html/sitemap.xml", site_url=book.meta.site_url,
                                                 files=["index.html"] + [p.filename for p in pages]),
                                          encoding="utf-8")
    (site / "search-index.js").write_text(
        "window.FOLIO_SEARCH = " + json.dumps(search_records(book), ensure_ascii=False) + ";\n"
        "window.FOLIO_VARIANTS = " + json.dumps(search_variants(book), ensure_ascii=False) + ";\n",
        encoding="utf-8")
    (site / "folio.css").write_text(stylesheet("html.css", book.meta.dir), encoding="utf-8")
    shutil.copyfile(STYLES / "search.js", site / "search.js")
    shutil.copyfile(STYLES / "site.js", site / "site.js")
    for name, data in book.shown_assets.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)

"""What readers who do not see the page get: DAISY Ace (axe-core and the EPUB
accessibility rules, in Debian's Chromium) finds nothing in the bundled book or in any
book of the corpus, and the EPUB declares a raster cover reading systems can show."""
from __future__ import annotations

import zipfile

import pytest

from conftest import BOOKS
from folio import check

CASES = sorted(p.parent.name for p in BOOKS.glob("*/shows.yaml"))


def test_ace_finds_nothing_in_the_bundled_book(bundled):
    epub = next(bundled.glob("*.epub"))
    assert check.ace(epub) == []


@pytest.mark.parametrize("case", CASES)
def test_ace_finds_nothing_in_a_corpus_book(case, built):
    out, result = built(case)
    assert result.returncode == 0, result.stderr
    assert check.ace(next(out.glob("*.epub"))) == []


def test_the_cover_is_a_jpeg_reading_systems_find(bundled):
    """calibre and Kindle conversion take a cover only from a raster `cover-image`
    (or EPUB 2's `<meta name="cover">`); an SVG cover is no cover to them."""
    with zipfile.ZipFile(next(bundled.glob("*.epub"))) as package:
        opf = package.read("OEBPS/content.opf").decode("utf-8")
        jpeg = package.read("OEBPS/cover.jpg")
    assert '<item id="cover-image" href="cover.jpg" media-type="image/jpeg" properties="cover-image"/>' in opf
    assert '<meta name="cover" content="cover-image"/>' in opf
    assert jpeg[:3] == b"\xff\xd8\xff"
    from io import BytesIO
    from PIL import Image
    assert Image.open(BytesIO(jpeg)).size == (1600, 2400)


def _opf(out) -> str:
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        return package.read("OEBPS/content.opf").decode("utf-8")


def test_accessibility_metadata_says_what_the_book_holds(bundled, built):
    """conformsTo, and features and a summary derived from the book: MathML only where
    there is math, alternative text only where there are images, an index only with one."""
    book = _opf(bundled)
    assert "<meta property=\"dcterms:conformsTo\">EPUB Accessibility 1.1 - WCAG 2.2 Level AA</meta>" in book
    assert ">index</meta>" in book and ">MathML</meta>" not in book
    assert "footnotes linked both ways" in book and "an index" in book
    math, _ = built("math")
    assert ">MathML</meta>" in _opf(math) and ">index</meta>" not in _opf(math)
    tiny, _ = built("tiny")
    assert ">alternativeText</meta>" in _opf(tiny) and "schema:accessMode\">visual" in _opf(tiny)


def test_epub_marks_languages_and_lets_tables_scroll(tmp_path):
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text(
        "---\ntitle: Tongues\nauthor: Ada Keeper\nsubject: [Lighthouses, Languages]\n---\n\n# One\n\n"
        "The keepers said [bonsoir]{lang=fr} at dusk.\n\n| A | B |\n|---|---|\n| 1 | 2 |\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_build("--manuscript", str(book), "--out", str(out)).returncode == 0
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        page = package.read("OEBPS/one.xhtml").decode("utf-8")
        opf = package.read("OEBPS/content.opf").decode("utf-8")
    assert 'lang="fr" xml:lang="fr"' in page
    assert '<div class="table-scroll" tabindex="0"><table>' in page   # focusable: a keyboard scrolls it (axe)
    assert '<meta refines="#creator1" property="file-as">Keeper, Ada</meta>' in opf
    assert "<dc:subject>Lighthouses</dc:subject>" in opf and "<dc:subject>Languages</dc:subject>" in opf
    assert check.epubcheck(next(out.glob("*.epub"))) == []


def test_older_readers_get_a_toc_ncx_with_escaped_titles(tmp_path):
    """EPUB 2 reading systems read toc.ncx; a chapter title with markup characters is
    text there, as everywhere (the template escapes it)."""
    from conftest import run_build
    from lxml import etree
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Tom & Jerry, 1 < 2\n---\n\n# Salt & <b>pepper</b>\n\n"
                                  "Text.\n\n## A section\n\nMore.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_build("--manuscript", str(book), "--out", str(out)).returncode == 0
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        ncx = etree.fromstring(package.read("OEBPS/toc.ncx"))
        opf = package.read("OEBPS/content.opf").decode("utf-8")
    names = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
    assert ncx.findtext("n:docTitle/n:text", namespaces=names) == "Tom & Jerry, 1 < 2"
    labels = [t.text for t in ncx.iterfind(".//n:navLabel/n:text", names)]
    assert labels[:2] == ["1. Salt & pepper", "A section"]
    assert [int(p.get("playOrder")) for p in ncx.iterfind(".//n:navPoint", names)] == [1, 2]
    assert '<spine toc="ncx">' in opf


PAGE_TYPES = ("index.html", "introduction.html", "glossary.html", "book-index.html", "bibliography.html",
              "search.html?q=permanent+revolution", "404.html")


def test_axe_finds_nothing_on_any_page_of_the_site(bundled):
    """axe-core in Chromium, on every kind of page, at 1280 and 390 px, light and dark."""
    from browser import Browser
    browser = Browser()
    found = {}
    try:
        for width in (1280, 390):
            for scheme in ("light", "dark"):
                for page in PAGE_TYPES:
                    tab = browser.open("about:blank")
                    browser.emulate(tab, width, scheme)
                    name, _, query = page.partition("?")
                    browser.send("Page.navigate", {"url": (bundled / "html" / name).as_uri()
                                                   + (f"?{query}" if query else "")}, tab)
                    browser.wait_for(tab, "document.readyState === 'complete'")
                    violations = browser.axe_violations(tab)
                    if violations:
                        found[(width, scheme, page)] = violations
    finally:
        browser.close()
    assert found == {}


def _page_list(epub) -> list[tuple[str, str]]:
    """(label, the words that follow the marker) for every page-list entry."""
    import lxml.etree as etree
    ns = {"x": "http://www.w3.org/1999/xhtml", "e": "http://www.idpf.org/2007/ops"}
    entries = []
    with zipfile.ZipFile(epub) as package:
        nav = etree.fromstring(package.read("OEBPS/nav.xhtml"))
        for anchor in nav.xpath('//x:nav[@e:type="page-list"]//x:a', namespaces=ns):
            name, _, fragment = anchor.get("href").partition("#")
            page = etree.fromstring(package.read(f"OEBPS/{name}"))
            marker = page.xpath(f'//*[@id="{fragment}"]')[0]
            assert marker.get("role") == "doc-pagebreak" and marker.get("aria-label") == anchor.text
            assert marker.get("{http://www.idpf.org/2007/ops}type") == "pagebreak"
            marker.tail = "\u2063" + (marker.tail or "")
            text = "".join(page.xpath("//x:body", namespaces=ns)[0].itertext())
            entries.append((anchor.text, text[text.index("\u2063") + 1:]))
    return entries


def _assert_pages_begin_where_the_epub_says(out):
    """Each page-list entry is followed by the words that open that print page (its
    first lines as poppler reads them: running head, then the text)."""
    import re
    import subprocess
    epub, pdf = next(out.glob("*.epub")), next(out.glob("*-print.pdf"))
    entries = _page_list(epub)
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                                 text=True, check=True).stdout).group(1))
    assert [label for label, _ in entries] == [str(n) for n in range(1, len(entries) + 1)]
    front = pages - len(entries)   # every page from the first chapter on has its entry
    assert front >= 1
    checked = 0
    for label, following in entries:
        printed = subprocess.run(["pdftotext", "-f", str(front + int(label)), "-l", str(front + int(label)),
                                  str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        if not re.sub(r"\d+", "", printed).strip():
            continue   # a blank page
        head = "\n".join(printed.strip().splitlines()[:8])
        words = re.findall(r"\w+", following)[:3]
        assert words, f"page {label}: no text follows its marker"
        pattern = r"\W+".join(re.escape(w) for w in words)
        readings = (head, re.sub(r"[-\u2010]\n", "", head))   # a word hyphenated across the first lines
        if not any(re.search(pattern, reading, re.I) for reading in readings):
            # Two columns (the index): poppler may read the right one first; then the
            # words must stand at the top of the page as laid out.
            columns = subprocess.run(["pdftotext", "-layout", "-f", str(front + int(label)), "-l",
                                      str(front + int(label)), str(pdf), "-"], capture_output=True, text=True,
                                     check=True).stdout
            top = {w.lower() for w in re.findall(r"\w+", "\n".join(columns.strip().splitlines()[:4]))}
            assert len(top) > 3 and {w.lower() for w in words} <= top, \
                f"page {label} begins {head[:200]!r}, but the EPUB's marker is before {following[:80]!r}"
        checked += 1
    assert checked >= 1
    return entries


def test_the_page_list_lands_where_each_print_page_begins(bundled):
    """The EPUB's page-list names every page of the print edition, and each marker sits
    where that page begins; the package names the print edition as the source."""
    entries = _assert_pages_begin_where_the_epub_says(bundled)
    assert len(entries) > 40
    opf = _opf(bundled)
    assert '<meta property="pageBreakSource">' in opf and ">printPageNumbers</meta>" in opf


@pytest.mark.parametrize("case", ["notes-everywhere", "notes-with-blocks", "raw-latex", "crossref-more", "math", "index-marks", "fancy-lists"])
def test_the_page_list_lands_in_corpus_books(case, built):
    out, result = built(case)
    assert result.returncode == 0, result.stderr
    _assert_pages_begin_where_the_epub_says(out)


def test_epub_index_locators_are_print_pages_with_their_chapter(bundled):
    """An index locator in the EPUB reads as the print page, grouped under its chapter
    ('11, 12 (Trotskyism and the 1917 …)'), not as a section title or 'note 3'."""
    import re
    with zipfile.ZipFile(next(bundled.glob("*.epub"))) as package:
        index = next(package.read(n).decode("utf-8") for n in package.namelist() if n.endswith("index.xhtml"))
    locators = re.findall(r'epub:type="index-locator"[^>]*>([^<]*)</a>', index)
    assert len(locators) > 100
    assert all(re.fullmatch(r"\d+(–\d+)?", label) for label in locators), \
        [label for label in locators if not re.fullmatch(r"\d+(–\d+)?", label)][:5]
    assert "note " not in index
    # "See also" in the index leads to index entries, not away to the glossary
    related = re.findall(r'href="([^"]*)" epub:type="index-xref-related"', index)
    assert related and any(href.startswith("#ixe-") for href in related)
    away = [href for href in related if not href.startswith("#ixe-")]
    assert not [href for href in away if f'id="ixe-{href.rpartition("#gl-")[2]}"' in index], away


def test_calibre_finds_the_cover(bundled, tmp_path):
    """calibre's ebook-meta (what calibre and its Kindle conversion read) finds a cover."""
    import subprocess
    cover = tmp_path / "cover.jpg"
    result = subprocess.run(["ebook-meta", str(next(bundled.glob("*.epub"))), f"--get-cover={cover}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert cover.read_bytes()[:3] == b"\xff\xd8\xff"


def test_the_accessibility_summary_is_in_the_books_language():
    """A reader choosing a German book reads its summary in German; a book in a
    language folio has no words for gets the English one, marked as English."""
    from types import SimpleNamespace as Thing
    from folio.editions.epub import accessibility
    chapters = [Thing(role="chapter", notes=["n"]), Thing(role="chapter", notes=[]), Thing(role="index", notes=[])]
    docs = [Thing(body="<p>Text</p>", notes=[], pages=[])]

    def summary(lang):
        return accessibility(Thing(meta=Thing(lang=lang), chapters=chapters), docs)

    english = summary("en-GB")
    assert english["summary"] == ("Reflowable text: 2 chapters with headings for every section, a navigable "
                                  "table of contents, footnotes linked both ways and an index.")
    assert english["summary_lang"] == ""
    german = summary("de-AT")
    assert german["summary"].startswith("Text mit freiem Umbruch: 2 Kapitel") and german["summary"].endswith(
        "Fußnoten und ein Register.")
    assert german["summary_lang"] == ""
    assert "seção" in summary("pt-BR")["summary"] and "secção" in summary("pt-PT")["summary"]
    assert "seção" in summary("pt-Latn-BR")["summary"]   # a script subtag between language and region
    russian = summary("ru")
    assert russian["summary"] == english["summary"] and russian["summary_lang"] == "en"


def test_folios_words_are_chosen_by_language_and_region_and_joined_as_the_language_joins(tmp_path):
    from folio import labels
    assert [labels.table_of(tag) for tag in ("pt-Latn-BR", "pt-BR", "pt-PT", "de-AT", "es-419", "pt-x-br", "sr-Latn",
                                            "", None)] == ["pt-br", "pt-br", "pt", "de", "es", "pt", "en", "en", "en"]
    spanish, english = labels.words("es"), labels.words("en")
    assert labels.listed(["notas", "imágenes"], spanish) == "notas e imágenes"
    assert labels.listed(["notas", "hielo"], spanish) == "notas y hielo"
    assert labels.listed(["notas", "un índice"], spanish) == "notas y un índice"
    assert labels.listed(["notes", "images", "an index"], english) == "notes, images and an index"
    assert labels.listed(["notes"], english) == "notes"
    # French sets a no-break word space before a colon (as ast.french_spacing), in folio's words too
    assert labels.words("fr-CA")["colon"] == "\u00a0:" and english["colon"] == spanish["colon"] == ":"
    from folio import backmatter, dictionary
    words = tmp_path / "dictionary.yaml"
    words.write_text("- headword: lentille\n  kind: term\n  variants: [lentilles]\n  first_use: '1822'\n"
                     "  definitions:\n    - text: Verre taillé.\n", encoding="utf-8")
    glossary = backmatter.glossary_html(dictionary.load(words), {}, set(), labels.words("fr"))
    assert "Aussi\u00a0: lentilles" in glossary and "\u00a0: 1822" in glossary, glossary

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
    assert '<div class="table-scroll"><table>' in page
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
    from pathlib import Path
    from browser import Browser
    from folio.system import npm_file
    script = npm_file("axe-core/axe.min.js")
    assert script, "axe-core is not installed (python3 build.py test installs it with npm)"
    axe = Path(script).read_text(encoding="utf-8")
    browser = Browser()
    found = {}
    try:
        for width in (1280, 390):
            for scheme in ("light", "dark"):
                for page in PAGE_TYPES:
                    tab = browser.open("about:blank")
                    browser.send("Emulation.setDeviceMetricsOverride",
                                 {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500}, tab)
                    browser.send("Emulation.setEmulatedMedia",
                                 {"features": [{"name": "prefers-color-scheme", "value": scheme}]}, tab)
                    name, _, query = page.partition("?")
                    browser.send("Page.navigate", {"url": (bundled / "html" / name).as_uri()
                                                   + (f"?{query}" if query else "")}, tab)
                    browser.wait_for(tab, "document.readyState === 'complete'")
                    browser.evaluate(tab, axe)
                    violations = browser.evaluate_promise(tab, "axe.run(document, {resultTypes: ['violations']})"
                                                               ".then(r => r.violations.map(v => [v.id, v.impact,"
                                                               " v.nodes[0].html.slice(0, 100)]))")
                    assert violations is not None, "axe did not run"
                    if violations:
                        found[(width, scheme, page)] = violations
    finally:
        browser.close()
    assert found == {}

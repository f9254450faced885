"""The spine: every edition of the bundled book exists and passes the validators."""
from __future__ import annotations

import re
import zipfile

import lxml.html
import yaml

from conftest import ROOT
from folio import check
from folio.manuscript import bibliography_keys

SLUG = "trotskyism"


def test_three_editions_exist(bundled):
    for name in (f"{SLUG}.pdf", f"{SLUG}-print.pdf", f"{SLUG}.epub", "html/index.html"):
        assert (bundled / name).stat().st_size > 1000, name


def test_epubcheck_reports_nothing(bundled):
    assert check.epubcheck(bundled / f"{SLUG}.epub") == []


def test_every_pdf_font_is_embedded(bundled):
    for pdf in (f"{SLUG}.pdf", f"{SLUG}-print.pdf"):
        fonts = check.pdf_fonts(bundled / pdf)
        assert fonts, "pdffonts found no fonts at all"
        assert all(embedded for _, embedded in fonts), fonts


def test_html_has_no_broken_internal_links(bundled):
    assert check.broken_links_in_site(bundled / "html") == []


def test_epub_has_no_broken_internal_links(bundled):
    assert check.broken_links_in_epub(bundled / f"{SLUG}.epub") == []


def _all_texts(out):
    texts = {"pdf": "\n".join(check.pdf_text(out / f"{SLUG}.pdf"))}
    texts.update(check.epub_texts(out / f"{SLUG}.epub"))
    for page in (out / "html").glob("*.html"):
        texts[page.name] = page.read_text(encoding="utf-8")
    return texts


def test_no_edition_has_an_unresolved_citation(bundled):
    problems = [p for where, text in _all_texts(bundled).items() for p in check.unresolved_citations(text, where)]
    assert problems == []


def test_every_bibliography_entry_is_cited_and_rendered(bundled):
    keys = bibliography_keys(ROOT / "manuscript" / "references.bib")
    assert len(keys) >= 25
    manuscript = (ROOT / "manuscript" / "book.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"@([A-Za-z][\w:-]*\w)", manuscript))
    assert set(keys) <= cited, set(keys) - cited
    bibliography = (bundled / "html" / "bibliography.html").read_text(encoding="utf-8")
    rendered = set(re.findall(r'id="ref-([^"]+)"', bibliography))
    assert rendered == set(keys)


def test_bibliography_closes_the_book(bundled):
    pages = check.pdf_text(bundled / f"{SLUG}.pdf")
    headings = [i for i, page in enumerate(pages) if page.strip().startswith("Bibliography")]
    assert headings, "no page starts with the Bibliography heading"
    with zipfile.ZipFile(bundled / f"{SLUG}.epub") as package:
        opf = package.read("OEBPS/content.opf").decode()
    spine = re.findall(r'<itemref idref="([^"]+)"', opf)
    # the bibliography ends the text; only the index, which always comes last, follows it
    assert spine[-2:] == ["x-bibliography", "x-book-index"]


def test_pdf_is_six_by_nine_with_folios(bundled):
    pages = check.pdf_text(bundled / f"{SLUG}.pdf")
    info = check.pdf_boxes(bundled / f"{SLUG}.pdf")
    assert info["page_size"] == (432.0, 648.0)
    # the contents page lists chapters with page numbers taken from the layout
    contents = next(p for p in pages if re.sub(r"\s", "", p).lower().startswith("contents"))
    assert re.search(r"Introduction[ .]+1\b", contents)


def test_footnotes_sit_at_the_foot_of_the_page_that_calls_them(bundled):
    pages = check.pdf_text(bundled / f"{SLUG}.pdf")
    # The Introduction's notes: their text sits below its calls, on the same page or,
    # where WeasyPrint runs out of room, the next one (a known WeasyPrint limit).
    cannon = next(i for i, p in enumerate(pages) if "Cannon in his 1942 book" in p)
    note = next(i for i, p in enumerate(pages) if "1. Cannon gave the lectures" in p)
    assert note in (cannon, cannon + 1)
    text = pages[note]
    assert text.index("1. Cannon gave the lectures") > len(text) // 2   # at the foot


def test_epub_notes_are_footnote_asides(bundled):
    texts = check.epub_texts(bundled / f"{SLUG}.epub")
    body = "".join(texts.values())
    assert 'epub:type="footnote"' in body and 'epub:type="noteref"' in body
    assert "<section epub:type=\"cover\"" in texts["OEBPS/cover.xhtml"]


def test_html_site_pages_have_navigation_and_downloads(bundled):
    index = lxml.html.parse(str(bundled / "html" / "index.html")).getroot()
    hrefs = [a.get("href") for a in index.iter("a")]
    assert f"downloads/{SLUG}.pdf" in hrefs and f"downloads/{SLUG}.epub" in hrefs
    chapter = lxml.html.parse(str(bundled / "html" / "origins.html")).getroot()
    rels = {a.get("rel") for a in chapter.iter("a")}
    assert {"prev", "next"} <= rels


def test_citation_needed_marks_survive(bundled):
    marks = (ROOT / "manuscript" / "book.md").read_text(encoding="utf-8").count(".citation-needed")
    assert marks >= 3
    pdf = "\n".join(check.pdf_text(bundled / f"{SLUG}.pdf"))
    assert pdf.count("[citation needed]") == marks


def test_dictionary_keeps_the_seed_entries():
    entries = yaml.safe_load((ROOT / "manuscript" / "dictionary.yaml").read_text(encoding="utf-8"))
    trotskyism = next(e for e in entries if e["headword"] == "Trotskyism")
    sources = {d["source"] for d in trotskyism["definitions"]}
    assert len(sources) == 10


def test_search_and_glossary_popover_work_in_a_browser(bundled):
    from browser import Browser
    browser = Browser()
    try:
        tab = browser.open((bundled / "html" / "search.html").as_uri() + "?q=permanent+revolution")
        count = browser.wait_for(tab, "document.querySelectorAll('#search-results li').length")
        assert count >= 3
        first = browser.evaluate(tab, "document.querySelector('#search-results a').getAttribute('href')")
        assert (bundled / "html" / first.split("?")[0]).exists()
        tab = browser.open((bundled / "html" / "permanent-revolution.html").as_uri())
        browser.wait_for(tab, "document.readyState === 'complete'")
        shown = browser.evaluate(tab, """(() => { const a = document.querySelector('a.glossterm');
            a.focus(); return getComputedStyle(a.nextElementSibling).display; })()""")
        assert shown == "block"
    finally:
        browser.close()


def test_a_chapter_page_with_its_fonts_weighs_under_250_kb(bundled):
    """The site's faces are WOFF2 cut to the characters the site shows, shown with
    font-display: swap: a reader on a phone gets text, not half a megabyte of TrueType."""
    site = bundled / "html"
    fonts = list((site / "fonts").iterdir())
    assert fonts and all(f.suffix == ".woff2" for f in fonts)
    css = (site / "folio.css").read_text(encoding="utf-8")
    assert css.count("font-display: swap") == len(fonts)
    shared = (site / "folio.css").stat().st_size + sum(f.stat().st_size for f in fonts)
    chapters = [p for p in site.glob("*.html") if p.stem not in ("index", "search")]   # the index too
    heaviest = max(p.stat().st_size for p in chapters)
    assert shared + heaviest <= 250 * 1024, (shared, heaviest)


def test_the_site_deployed_alone_has_every_link_and_download(bundled, tmp_path):
    """html/ copied somewhere on its own (as to GitHub Pages): every link works and the
    downloads are the editions, with their size and page count shown."""
    import shutil
    site = tmp_path / "public"
    shutil.copytree(bundled / "html", site)
    assert check.broken_links_in_site(site) == []
    home = (site / "index.html").read_text(encoding="utf-8")
    for name in (f"{SLUG}.pdf", f"{SLUG}-print.pdf", f"{SLUG}.epub"):
        assert f'href="downloads/{name}"' in home and "../" not in home
        assert (site / "downloads" / name).read_bytes() == (bundled / name).read_bytes()
    assert re.search(r"for reading on screen \(\d+(\.\d)? [KM]B, \d+ pages\)", home), home


def test_glossary_popups_stay_in_the_window_and_close_with_escape(bundled):
    """At 390 px every definition opened from the text lies inside the window (WCAG
    1.4.13 wants it dismissible too: Escape closes it), and without script it is hidden."""
    from browser import Browser
    page = bundled / "html" / "permanent-revolution.html"
    assert 'role="tooltip" hidden' in page.read_text(encoding="utf-8")
    browser = Browser()
    try:
        tab = browser.open("about:blank")
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 390, "height": 800, "deviceScaleFactor": 1, "mobile": True}, tab)
        browser.send("Page.navigate", {"url": page.as_uri()}, tab)
        browser.wait_for(tab, "document.readyState === 'complete' && !!document.querySelector('a.glossterm')")
        assert browser.evaluate(tab, "window.innerWidth") == 390
        outside = browser.evaluate(tab, """(() => { const room = document.documentElement.clientWidth, bad = [];
            document.querySelectorAll('a.glossterm[aria-describedby]').forEach(a => {
              a.scrollIntoView(); a.focus();
              const pop = document.getElementById(a.getAttribute('aria-describedby')), box = pop.getBoundingClientRect();
              if (pop.hidden || box.left < 0 || box.right > room) bad.push([a.textContent, box.left, box.right]);
              a.blur(); document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}));
            });
            return bad; })()""")
        assert outside == []
        closed = browser.evaluate(tab, """(() => { const a = document.querySelector('a.glossterm[aria-describedby]');
            a.focus(); const pop = document.getElementById(a.getAttribute('aria-describedby'));
            const before = pop.hidden; document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}));
            return [before, pop.hidden]; })()""")
        assert closed == [False, True]
    finally:
        browser.close()


def test_search_finds_variants_phrases_and_marks_them(bundled):
    """Searching "entrism" finds the passages that say "entrist" and "entryism" (the
    dictionary's variants); a quoted phrase finds only itself; matches are marked in the
    results and on the page a result opens."""
    from browser import Browser
    browser = Browser()
    try:
        tab = browser.open((bundled / "html" / "search.html").as_uri() + "?q=entrism")
        browser.wait_for(tab, "document.querySelectorAll('#search-results li').length")
        marks = browser.evaluate(tab, "[...document.querySelectorAll('#search-results mark')]"
                                      ".map(m => m.textContent.toLowerCase())")
        assert {"entrist", "entryism"} <= set(marks), marks
        tab = browser.open((bundled / "html" / "search.html").as_uri() + '?q=%22permanent+revolution%22')
        browser.wait_for(tab, "document.querySelectorAll('#search-results li').length")
        texts = browser.evaluate(tab, "[...document.querySelectorAll('#search-results li p')].map(p => p.textContent)")
        assert texts and all("permanent revolution" in t.lower() for t in texts)
        href = browser.evaluate(tab, "document.querySelector('#search-results a').href")
        page = browser.open(href)
        shown = browser.wait_for(page, "document.querySelectorAll('main mark').length")
        assert shown >= 1
    finally:
        browser.close()


def test_site_has_favicon_404_social_image_and_chapter_descriptions(bundled):
    site = bundled / "html"
    assert (site / "favicon.svg").read_text(encoding="utf-8").startswith("<svg") and (site / "404.html").is_file()
    assert (site / "cover.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    page = (site / "permanent-revolution.html").read_text(encoding="utf-8")
    assert '<link rel="icon" href="favicon.svg"' in page and '<meta property="og:image" content="cover.jpg">' in page
    description = re.search(r'<meta name="description" content="([^"]+)">', page).group(1)
    home = re.search(r'<meta name="description" content="([^"]+)">',
                     (site / "index.html").read_text(encoding="utf-8")).group(1)
    assert description != home and len(description) <= 162   # the chapter's own opening words
    assert not (site / "sitemap.xml").exists()   # no site-url: no addresses to list


def test_a_published_site_gets_a_sitemap_and_canonical_links(tmp_path):
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Charted\nsite-url: https://example.org/charted\n---\n\n# One\n\n"
                                  "The first chapter, with enough words to be described in a link preview.\n",
                                  encoding="utf-8")
    out = tmp_path / "out"
    assert run_build("--manuscript", str(book), "--out", str(out)).returncode == 0
    sitemap = (out / "html" / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.org/charted/index.html</loc>" in sitemap
    assert "<loc>https://example.org/charted/one.html</loc>" in sitemap
    page = (out / "html" / "one.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/charted/one.html">' in page
    assert '<meta property="og:image" content="https://example.org/charted/cover.jpg">' in page


def test_on_a_phone_the_contents_are_at_the_top_behind_a_menu_button(bundled):
    from browser import Browser
    glossary = (bundled / "html" / "glossary.html").read_text(encoding="utf-8")
    assert '<nav class="az-bar"' in glossary and 'href="#gl-group-' in glossary
    browser = Browser()
    try:
        tab = browser.open("about:blank")
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 390, "height": 800, "deviceScaleFactor": 1, "mobile": True}, tab)
        browser.send("Page.navigate", {"url": (bundled / "html" / "origins.html").as_uri()}, tab)
        browser.wait_for(tab, "document.readyState === 'complete' && document.documentElement.classList.contains('js')")
        folded = browser.evaluate(tab, "getComputedStyle(document.getElementById('site-toc')).display")
        opened = browser.evaluate(tab, """(() => { document.querySelector('.menu-button').click();
            const toc = document.getElementById('site-toc'), main = document.querySelector('main');
            return [getComputedStyle(toc).display, toc.getBoundingClientRect().top < main.getBoundingClientRect().top,
                    document.querySelector('.menu-button').getAttribute('aria-expanded')]; })()""")
        assert folded == "none" and opened == ["block", True, "true"]
    finally:
        browser.close()

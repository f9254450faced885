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


def test_the_site_says_about_the_edition_only_what_the_manuscript_gives(bundled, built):
    """The bundled book credits its source: the home page says so under its heading. A
    manuscript with no credit, rights, edition, date or publisher gets no empty heading."""
    home = (bundled / "html" / "index.html").read_text(encoding="utf-8")
    assert "About this edition</h2>" in home and "Wikipedia" in home
    out, result = built("appendices")
    assert result.returncode == 0, result.stderr
    assert "About this edition" not in (out / "html" / "index.html").read_text(encoding="utf-8")


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
        texts = browser.evaluate(tab, "[...document.querySelectorAll('#search-results li')].map(li => li.textContent)")
        assert texts and all("permanent revolution" in t.lower() for t in texts)
        href = browser.evaluate(tab, "document.querySelector('#search-results a').href")
        page = browser.open(href)
        shown = browser.wait_for(page, "document.querySelectorAll('main mark').length")
        assert shown >= 1
    finally:
        browser.close()


def test_search_finds_a_passage_by_the_index_entry_marked_on_it(bundled):
    """[his notes]{index="Lenin’s Testament"}: the passage never says "testament", yet
    searching it finds the passage, with the entry shown and marked."""
    from browser import Browser
    browser = Browser()
    try:
        tab = browser.open((bundled / "html" / "search.html").as_uri() + "?q=testament")
        browser.wait_for(tab, "document.querySelectorAll('#search-results li').length")
        found = browser.evaluate(tab, "[...document.querySelectorAll('#search-results li')].map(li => li.textContent)")
        assert any("his notes" in text and "Lenin’s Testament" in text for text in found), found
        terms = browser.evaluate(tab, "[...document.querySelectorAll('#search-results .search-terms mark')]"
                                      ".map(m => m.textContent.toLowerCase())")
        assert "testament" in terms
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
    from conftest import run_build, write_book
    book, out = write_book(tmp_path, "---\ntitle: Charted\nsite-url: https://example.org/charted\n---\n\n# One\n\n"
                                     "The first chapter, with enough words to be described in a link preview.\n")
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


def _chapter_sections(page) -> list[str]:
    """The ids of a chapter page's h2 sections, read from the page as written."""
    article = lxml.html.parse(str(page)).getroot().find(".//article")
    return [s.get("id") for s in article.iter("section") if "level2" in s.get("class", "").split() and s.get("id")]


def test_wide_screens_list_the_chapters_sections_beside_the_text(bundled):
    """At 1280 px a chapter's h2 sections are listed in a nav of their own right of the
    text, the one being read marked as the page scrolls; at 390 px the list is not shown;
    a chapter with one section gets none."""
    from browser import Browser
    site = bundled / "html"
    wanted = _chapter_sections(site / "permanent-revolution.html")
    assert len(wanted) >= 4
    assert "page-toc" not in (site / "origins.html").read_text(encoding="utf-8")   # one section
    browser = Browser()
    try:
        tab = browser.open("about:blank")
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}, tab)
        browser.send("Page.navigate", {"url": (site / "permanent-revolution.html").as_uri()}, tab)
        browser.wait_for(tab, "document.readyState === 'complete'")
        shown = browser.evaluate(tab, """(() => { const nav = document.querySelector('nav.page-toc');
            const box = nav.getBoundingClientRect(), text = document.querySelector('main p').getBoundingClientRect();
            const names = [...document.querySelectorAll('nav')].map(n => n.getAttribute('aria-label'));
            return {display: getComputedStyle(nav).display, right: box.left >= text.right, width: box.width,
                    hrefs: [...nav.querySelectorAll('a')].map(a => a.getAttribute('href')),
                    name: nav.getAttribute('aria-label'), names: names}; })()""")
        assert shown["display"] == "block" and shown["right"] and shown["width"] > 100, shown
        assert shown["hrefs"] == ["#" + id_ for id_ in wanted]
        assert shown["name"] == "On this page" and shown["names"].count("On this page") == 1, shown["names"]
        assert browser.evaluate(tab, "document.querySelectorAll('.page-toc [aria-current]').length") == 0
        browser.evaluate(tab, f"document.getElementById({wanted[2]!r}).scrollIntoView()")
        marked = browser.wait_for(tab, "[...document.querySelectorAll('.page-toc [aria-current]')]"
                                       ".map(a => a.getAttribute('href')).join(' ')")
        assert marked == "#" + wanted[2]
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 390, "height": 800, "deviceScaleFactor": 1, "mobile": True}, tab)
        assert browser.wait_for(tab, "window.innerWidth === 390")
        assert browser.evaluate(tab, "getComputedStyle(document.querySelector('nav.page-toc')).display") == "none"
    finally:
        browser.close()


def test_each_section_heading_links_to_itself_outside_its_text(bundled):
    """Every h2–h4 of a chapter is followed by a link to its own section, named for
    screen readers, its "#" drawn by CSS: not in the heading's name, the page's text
    (the conservation check reads it), a copy, or the search index."""
    from browser import Browser
    from folio import conservation
    site = bundled / "html"
    for page in site.glob("*.html"):
        tree = lxml.html.parse(str(page)).getroot()
        article = tree.find(".//article")
        if article is None:
            continue
        for heading in article.iter("h2", "h3", "h4"):
            if heading.getparent().tag == "section" and "footnotes" in heading.getparent().get("class", ""):
                continue   # the notes' own heading, written by the template
            wrapper = heading.getparent()
            assert "heading" in wrapper.get("class", "").split(), (page.name, heading.text_content())
            anchor = wrapper.find("a")
            assert anchor is not None and anchor.get("class") == "heading-anchor"
            assert anchor.get("href") == "#" + wrapper.getparent().get("id"), page.name
            assert anchor.get("aria-label") == f"Link to this section: {heading.text_content().strip()}"
            assert anchor.text_content() == ""
        text = conservation.html_text(page.read_text(encoding="utf-8"))
        assert "#" not in text and "Link to this section" not in text, page.name
    assert len(_chapter_sections(site / "today.html")) >= 5
    index = (site / "search-index.js").read_text(encoding="utf-8")
    assert "Link to this section" not in index
    records = json_records(index)
    assert records and not any("#" in r["text"] or "#" in r["title"] for r in records)
    browser = Browser()
    try:
        tab = browser.open((site / "permanent-revolution.html").as_uri())
        browser.send("DOM.enable", {}, tab)
        browser.send("Accessibility.enable", {}, tab)
        root = browser.send("DOM.getDocument", {}, tab)["root"]["nodeId"]
        names = []
        for selector in (".heading h2", ".heading-anchor"):
            node = browser.send("DOM.querySelector", {"nodeId": root, "selector": selector}, tab)["nodeId"]
            ax = browser.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False}, tab)
            names.append(ax["nodes"][0]["name"]["value"])
        title = "The capitalist or bourgeois-democratic revolution"
        assert names == [title, f"Link to this section: {title}"]
        drawn = browser.evaluate(tab, """(() => { const a = document.querySelector('.heading-anchor'); a.focus();
            return [document.activeElement === a, getComputedStyle(a).opacity, getComputedStyle(a, '::after').content,
                    a.parentNode.innerText]; })()""")
        assert drawn[:3] == [True, "1", '"#" / ""'] and "#" not in drawn[3], drawn
    finally:
        browser.close()


def json_records(index: str) -> list[dict]:
    import json
    line = next(l for l in index.splitlines() if l.startswith("window.FOLIO_SEARCH = "))
    return json.loads(line[len("window.FOLIO_SEARCH = "):].rstrip(";"))


def test_section_list_and_anchors_nest_escape_and_speak_the_books_language(tmp_path):
    """h3 sections nest under their h2 in the list; a heading's link, note call and
    markup stay out of the copy; words are German in a German book."""
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text(
        "---\ntitle: Abschnitte\nlang: de\n---\n\n# Eins\n\nDer Anfang des ersten Kapitels.\n\n"
        "## Ein *Abschnitt* mit [Link](https://example.org) und Anmerkung[^a]\n\nText.\n\n"
        "### Unter \\<b\\> & \"mehr\"\n\nText.\n\n#### Tiefer\n\nText.\n\n## Zweiter {#zweiter}\n\nText.\n\n"
        "[^a]: Die Anmerkung.\n\n# Zwei\n\n## Nur einer\n\nText.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_build("html", "--manuscript", str(book), "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = (out / "html" / "eins.html").read_text(encoding="utf-8")
    tree = lxml.html.fromstring(page)
    nav = tree.find_class("page-toc")[0]
    assert nav.get("aria-label") == "Auf dieser Seite"
    top = nav.find("ol")
    assert [li.find("a").text_content() for li in top.findall("li")] == [
        "Ein Abschnitt mit Link und Anmerkung", "Zweiter"]
    first = top.find("li")
    assert first.find("a").find("em") is not None and not first.find("a").findall(".//a")   # no link in a link
    assert [a.text_content() for a in first.find("ol").iter("a")] == ['Unter <b> & „mehr“']   # German quotes
    assert "<b>" not in lxml.html.tostring(nav, encoding="unicode")                        # escaped, not markup
    assert 'aria-label="Link zu diesem Abschnitt: Tiefer"' in page and 'href="#tiefer"' in page
    assert len(re.findall(r'id="fnref[-\w]*"', page)) == 1                                # the copy has no ids
    assert check.broken_links_in_site(out / "html") == []
    assert "page-toc" not in (out / "html" / "zwei.html").read_text(encoding="utf-8")


def test_axe_finds_nothing_on_a_chapter_with_its_section_list(bundled):
    """The pages test_accessibility.py checks have no section list (their chapters have
    fewer than two sections): axe-core on one that has it, with a section marked as
    read, at 1280 and 390 px, light and dark."""
    from browser import Browser
    page = bundled / "html" / "permanent-revolution.html"
    section = _chapter_sections(page)[1]
    browser = Browser()
    found = {}
    try:
        for width in (1280, 390):
            for scheme in ("light", "dark"):
                tab = browser.open("about:blank")
                browser.emulate(tab, width, scheme)
                browser.send("Page.navigate", {"url": page.as_uri()}, tab)
                browser.wait_for(tab, "document.readyState === 'complete'")
                browser.evaluate(tab, f"document.getElementById({section!r}).scrollIntoView()")
                if width == 1280:
                    browser.wait_for(tab, "!!document.querySelector('.page-toc [aria-current]')")
                violations = browser.axe_violations(tab)
                if violations:
                    found[(width, scheme)] = violations
    finally:
        browser.close()
    assert found == {}


def test_screen_links_to_sources_are_underlined_in_link_colour_and_print_has_none(bundled):
    """A citation's or web link's annotation carries the viewer's underline (the ink
    of the page, shared with the print edition, stays black); a note's call does not;
    the print edition has no annotations."""
    import pikepdf
    from folio.stitch import LINK_INK
    underlined, plain = 0, 0
    with pikepdf.open(bundled / f"{SLUG}.pdf") as pdf:
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", []):
                source = "/A" in annotation or str(annotation.get("/Dest", "")).startswith(("ref-", "ix-"))
                if source:
                    assert annotation.BS.S == pikepdf.Name.U
                    assert [round(float(v), 3) for v in annotation.C] == list(LINK_INK)
                    underlined += 1
                else:
                    assert float(annotation.get("/BS", {}).get("/W", 0)) == 0   # no border drawn
                    plain += 1
    assert underlined > 30 and plain > 30
    with pikepdf.open(bundled / f"{SLUG}-print.pdf") as pdf:
        assert not any("/Annots" in page.obj for page in pdf.pages)


def test_site_contents_mark_the_page_a_reader_is_on(bundled):
    """The site's contents are made once a build and marked for each page (html.py
    `SiteContents`): on a chapter's page exactly its own entry is the current page; the
    home page marks none; every page lists every chapter."""
    import lxml.html
    site = bundled / "html"
    listed = None
    for page in sorted(site.glob("*.html")):
        tree = lxml.html.parse(str(page))
        links = tree.xpath('//nav[@id="site-toc"]//a')
        hrefs = [a.get("href") for a in links]
        listed = listed or hrefs
        assert hrefs == listed, page.name
        current = [a.get("href") for a in links if a.get("aria-current") == "page"]
        assert current == ([page.name] if page.name in listed else []), page.name
    assert len(listed) > 10

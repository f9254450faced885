"""The index and glossary: accurate page numbers, resolving links, strict dictionary data."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import BOOKS, ROOT, build_into, run_build
from folio import check, dictionary, pipeline
from folio.diagnostics import BuildError, Reporter
from folio.editions import pdf

# The tests of the module-scoped layout run on one worker, so it is made once.
ON_ONE_WORKER = pytest.mark.xdist_group("index-laid-out")

SLUG = "trotskyism"


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory):
    """The bundled book laid out and written, with the page numbers the index printed."""
    options = pipeline.Options(ROOT / "manuscript", tmp_path_factory.mktemp("index"))
    manuscript, book = pipeline.load_book(options, Reporter())
    pipeline.build_layout(book, manuscript, options)
    target = pdf.build(book, options.out, pdf.settings_from(manuscript, for_print=False))
    summary = json.loads((pdf.layout_dir(options.out, book.meta.slug) / "book.json").read_text(encoding="utf-8"))
    pages = pdf.Pages({anchor: int(folio) for anchor, folio in summary["anchors"].items()}, summary["first_body"])
    return book, pages, check.pdf_text(target)


def _printed_numbers(markup: str) -> set[int]:
    numbers = set()
    for label in re.findall(r">([\d–]+)<", markup):
        first, _, last = label.partition("–")
        numbers.update(range(int(first), int(last or first) + 1))
    return numbers


def _normal(text: str, join: str = "-") -> str:
    """Lower case, one space, and a word hyphenated at a line end joined with `join`."""
    return " ".join(re.sub(r"-\n\s*", join, text).replace("’", "'").lower().split())


def _on_page(word: str, page: str, following: str) -> bool:
    """The word is on the page; or, for a phrase, it starts at the foot of the page and a
    page break splits it (the locator names the page where the occurrence begins)."""
    word = _normal(word)
    if any(word in _normal(page, join) for join in ("-", "")):
        return True
    if " " not in word:
        return False
    body_next = _normal(following.split("\n", 1)[-1])     # without its running head
    words = word.split()
    return any(" ".join(words[:k]) in _normal(page) and body_next.startswith(" ".join(words[k:]))
               for k in range(1, len(words)))


@ON_ONE_WORKER
def test_every_pdf_locator_finds_its_word_on_that_page(laid_out):
    import html
    book, pages, texts = laid_out
    forms = {e.headword: e.forms for e in book.entries}
    marked: dict[str, list[str]] = {}   # an author's mark names an entry by what it encloses ("his thesis")
    for chapter in book.chapters:
        for term, text in re.findall(r'<span[^>]*\bdata-index="([^"]+)"[^>]*>([^<]+)</span>', chapter.html):
            marked.setdefault(html.unescape(term).split("!")[0], []).append(html.unescape(text))
    assert marked.get("Pabloism") == ["his thesis"]
    checked, misses = 0, []
    for group in book.index:
        for entry in group.entries:
            words = forms.get(entry.term)
            if not words:
                continue
            words = [*words, *marked.get(entry.term, [])]
            for number in _printed_numbers(pages.locate(entry)):
                index = pages.first_body + number - 1
                checked += 1
                following = texts[index + 1] if index + 1 < len(texts) else ""
                if not any(_on_page(w, texts[index], following) for w in words):
                    misses.append((entry.term, number))
    assert checked > 200
    assert misses == []


@ON_ONE_WORKER
def test_every_marked_occurrence_is_listed(laid_out):
    book, pages, _ = laid_out
    for group in book.index:
        for entry in group.entries:
            printed = _printed_numbers(pages.locate(entry))
            for occurrence in entry.occurrences:
                assert pages.folio(occurrence.anchor) in printed, (entry.term, occurrence)
            for sub in entry.subentries:
                sub_printed = _printed_numbers(pages.locate(sub))
                assert all(pages.folio(o.anchor) in sub_printed for o in sub.occurrences)


def test_each_hit_page_once_and_ranges_collapse():
    singles = [(3, "a"), (3, "b"), (4, "c"), (5, "d"), (9, "e")]
    assert re.sub(r"<[^>]+>", "", pdf.page_ranges(singles, [])) == "3–5, 9"
    assert re.sub(r"<[^>]+>", "", pdf.page_ranges([(2, "x")], [(7, 9, "r")])) == "2, 7–9"


def test_every_dictionary_entry_is_in_glossary_or_index(bundled):
    entries = dictionary.load(ROOT / "manuscript" / "dictionary.yaml")
    glossary = (bundled / "html" / "glossary.html").read_text(encoding="utf-8")
    index = (bundled / "html" / "book-index.html").read_text(encoding="utf-8")
    for entry in entries:
        if entry.kind == "term":
            assert f'id="gl-{entry.key}"' in glossary, entry.headword
        else:
            assert f'id="ixe-{entry.key}"' in index, entry.headword


def test_letters_unicode_does_not_decompose_file_under_their_base_letter():
    """æ, ø, œ, ł, ß have no accent to strip: an English index files them as spelled out."""
    terms = ["Zola", "œuvre", "Ørsted", "Owen", "æther", "Adams", "Łódź", "Lyon", "Straße", "Strand"]
    filed = sorted(terms, key=dictionary.sort_key)
    assert filed == ["Adams", "æther", "Łódź", "Lyon", "œuvre", "Ørsted", "Owen", "Strand", "Straße", "Zola"]
    assert [dictionary.letter_group(dictionary.sort_key(t)) for t in ("æther", "Ørsted", "œuvre", "Łódź")] == \
        ["A", "O", "O", "L"]
    assert dictionary.sort_key("Ăn uống") == "an uong" and dictionary.sort_key("An Inquiry") == "inquiry"


def test_index_is_sorted_like_an_indexer_would(bundled):
    index = (bundled / "html" / "book-index.html").read_text(encoding="utf-8")
    import lxml.html
    tree = lxml.html.fromstring(index)
    terms = [li.find("span").text_content() for ul in tree.find_class("index-entries") for li in ul
             if li.tag == "li"]
    keys = [dictionary.sort_key(t) for t in terms]
    assert keys == sorted(keys)                   # no case, no accents, no leading article
    assert "revolution betrayed" in keys          # 'The Revolution Betrayed' files under R
    groups = re.findall(r'<h2 id="ixg-\d+-h">([^<]+)</h2>', index)
    assert groups == sorted(groups, key=lambda g: (g != "0–9", g))


def test_a_glossary_term_used_on_one_page_says_page(bundled):
    """'Used on page 12.', never 'Used on pages 12.': one number, one page."""
    text = " ".join(check.pdf_text(bundled / f"{SLUG}.pdf"))
    once = re.findall(r"Used on page (\d+)\.", text)
    several = re.findall(r"Used on pages (\d+)(?=[.,–])(.)", text)
    assert once and several, text[-3000:]
    assert all(mark != "." for _, mark in several), several


def test_epub_index_and_glossary_follow_the_specs(bundled):
    texts = check.epub_texts(bundled / f"{SLUG}.epub")
    index = texts["OEBPS/book-index.xhtml"]
    assert 'epub:type="index"' in index and 'role="doc-index"' in index
    assert 'epub:type="index-entry"' in index and 'epub:type="index-locator"' in index
    assert 'epub:type="index-term"' in index and 'epub:type="index-group"' in index
    glossary = texts["OEBPS/glossary.xhtml"]
    assert 'role="doc-glossary"' in glossary
    assert 'epub:type="glossterm"' in glossary and 'epub:type="glossdef"' in glossary
    assert any('epub:type="glossref"' in t for t in texts.values())
    assert check.broken_links_in_epub(bundled / f"{SLUG}.epub") == []


def test_first_use_per_chapter_links_to_the_glossary(bundled):
    page = (bundled / "html" / "permanent-revolution.html").read_text(encoding="utf-8")
    links = re.findall(r'href="glossary.html#gl-permanent-revolution"', page)
    assert len(links) == 1
    assert 'class="gloss-pop"' in page


def _bad(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dictionary.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "- headword: Soviet\n  kind: term\n  definitions:\n    - text: A council.\n      source: folio\n"


@pytest.mark.parametrize("text, code, line", [
    (GOOD + "  colour: red\n", "FOLIO051", 6),
    (GOOD + GOOD, "FOLIO055", 6),
    (GOOD + "  see_also: [Nowhere]\n", "FOLIO056", 1),
    ("- headword: Soviet\n  kind: term\n  definitions:\n    - text: ''\n", "FOLIO054", 3),
    ("- headword: Soviet\n  kind: planet\n  definitions: [A council.]\n", "FOLIO053", 2),
])
def test_bad_dictionary_data_names_file_line_and_fix(tmp_path, text, code, line):
    with pytest.raises(BuildError) as caught:
        dictionary.load(_bad(tmp_path, text))
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == code and diagnostic.line == line and diagnostic.fix
    assert str(diagnostic).startswith(f"{tmp_path / 'dictionary.yaml'}:{line}:")


def test_bad_dictionary_fails_the_build_with_its_line(tmp_path):
    from conftest import run_build
    import shutil
    book = tmp_path / "book"
    shutil.copytree(ROOT / "tests" / "books" / "tiny", book)
    (book / "dictionary.yaml").write_text(GOOD + "  see: [Lighthouse keeper]\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"), "html")
    assert result.returncode != 0
    assert "dictionary.yaml:1: FOLIO056" in result.stderr


@ON_ONE_WORKER
def test_marks_make_sub_entries_and_page_ranges(laid_out):
    book, pages, _ = laid_out
    entries = {e.term: e for g in book.index for e in g.entries}
    soviet = {s.term for s in entries["Soviet"].subentries}
    assert "St. Petersburg" in soviet
    origins = next(s for s in entries["Permanent revolution"].subentries if s.term == "origins of the term")
    passage = origins.occurrences[0]
    assert passage.end is not None
    first, last = pages.folio(passage.anchor), pages.folio(passage.end)
    printed = re.sub(r"<[^>]+>", "", pages.locate(origins))
    assert printed == (f"{first}–{last}" if last > first else f"{first}")
    assert "Putilov Factory" in entries and entries["Putilov Factory"].occurrences


def test_headwords_that_slug_alike_keep_their_own_entries(tmp_path):
    """'C', 'C++' and 'C#', 'Résumé' and 'Resume': one id each, and a valid EPUB."""
    out = build_into(tmp_path, BOOKS / "colliding-keys")
    glossary = (out / "html" / "glossary.html").read_text(encoding="utf-8")
    ids = re.findall(r'<(?:div|dt|li|section)[^>]* id="(gl-[^"]+)"', glossary)
    assert len(ids) == len(set(ids))
    for headword in ("C", "C++", "C#", "Résumé", "Resume"):
        assert f">{headword}<" in glossary, headword
    assert check.epubcheck(out / "colliding-keys.epub") == []


def test_index_marks_in_notes_and_empty_marks(tmp_path):
    """A mark inside a footnote gets its page; a mark that names nothing is named, not printed."""
    result = run_build("--manuscript", str(BOOKS / "index-marks"), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "index-marks/book.md:9: FOLIO058" in result.stderr
    index = (tmp_path / "html" / "book-index.html").read_text(encoding="utf-8")
    assert 'data-epub-type="index-term"></span>' not in index
    text = " ".join(check.pdf_text(tmp_path / "index-notes.pdf")[-1].split())
    assert "Smolny Institute, 1" in text and "Putilov Factory, 1" in text


def test_a_large_index_is_laid_out_with_no_other_part_beside_it(tmp_path, monkeypatch):
    """Each of a large index's locators is an annotation and a structure element: past
    `INDEX_ALONE_ABOVE` marks, the parts after the chapters are laid out one at a time."""
    from folio import layout
    monkeypatch.setattr(layout, "INDEX_ALONE_ABOVE", 10)
    pools = []
    renew = layout._Workers.renew

    def counted(self, jobs=None):
        renew(self, jobs)
        pools.append(self.jobs)
    monkeypatch.setattr(layout._Workers, "renew", counted)
    options = pipeline.Options(ROOT / "manuscript", tmp_path, jobs=2)
    manuscript, book = pipeline.load_book(options, Reporter())
    pipeline.build_layout(book, manuscript, options)
    assert pools == [2, 1]
    assert (pdf.layout_dir(options.out, book.meta.slug) / "book.pdf").is_file()


def _words_by_page(pdf_path: Path) -> list[list[tuple]]:
    """Each page's words with their boxes in PDF points (poppler's `pdftotext -bbox`)."""
    import html
    import subprocess
    out = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for page in out.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), html.unescape(w)) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)])
    return pages


def _text_under(words: list[tuple], page, annotation) -> str:
    """The words of a page (`_words_by_page`, measured from its top) whose centres lie
    in an annotation's rectangle (measured from the page's bottom)."""
    left, bottom = float(page.MediaBox[0]), float(page.MediaBox[1])
    height = float(page.MediaBox[3]) - bottom
    x0, y0, x1, y1 = (float(v) for v in annotation.Rect)
    return "".join(w for a, b, c, d, w in words if x0 - left <= (a + c) / 2 <= x1 - left
                   and height - (max(y0, y1) - bottom) - 2 <= (b + d) / 2 <= height - (min(y0, y1) - bottom) + 2)


def _page_number_link_faults(target: Path) -> tuple[int, list, int]:
    """(links checked, faults, links described by their number) for each link of a PDF to an index mark ("ix-"): its
    box must hold its own number (or the rest of a range broken over a line), lead to
    the page printed with that number, sit in a Link structure element, and be
    described by its number (a link cut from a run, whose Link element holds the whole
    line) or its destination (a link of its own)."""
    import pikepdf
    words = _words_by_page(target)
    with pikepdf.open(target) as book:
        pages = {page.objgen: n for n, page in enumerate(book.pages)}
        labels = [page.label for page in book.pages]
        dests = {name: dest for name, dest in pikepdf.NameTree(book.Root.Names.Dests).items()}
        parents = pikepdf.NumberTree(book.Root.StructTreeRoot.ParentTree)
        checked, wrong, previous, by_number = 0, [], None, 0
        for n, page in enumerate(book.pages):
            for annotation in page.obj.get("/Annots", []):
                name = str(annotation.get("/Dest", ""))
                if not name.startswith("ix-"):
                    continue
                shown = _text_under(words[n], page, annotation).rstrip(",.;")
                printed = labels[pages[dests[name][0].objgen]]
                first = re.match(r"\d+", shown)
                ok = (first is not None and first.group() == printed) or (shown.isdigit() and previous == name)
                element = parents[int(annotation.StructParent)]
                tagged = element.S == "/Link" and any(
                    isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"
                    and kid.Obj.objgen == annotation.objgen for kid in element.K)
                described = str(annotation.get("/Contents", "")) in (name, shown)   # its own number, if cut
                by_number += str(annotation.get("/Contents", "")) == shown
                if not (ok and tagged and described):
                    wrong.append((labels[n], name, shown, printed, tagged, str(annotation.get("/Contents"))))
                checked += 1
                previous = name
    return checked, wrong, by_number


def test_each_page_number_link_covers_its_number_and_leads_to_that_page(bundled):
    """The index's and the glossary's page numbers are laid out as text and made links
    afterwards (locators.py), one link per number."""
    checked, wrong, by_number = _page_number_link_faults(bundled / f"{SLUG}.pdf")
    assert checked > 300 and by_number > 150   # 314 and 200 in the bundled book
    assert wrong == []


def test_page_numbers_not_found_in_their_glyphs_are_set_as_links(tmp_path, monkeypatch):
    """A number whose place in its line cannot be read (a line set right to left, say)
    sends the index and the glossary back to a link element per number: the links are
    as right, only slower to lay out."""
    from folio import locators
    tried = []
    monkeypatch.setattr(locators, "_edges", lambda textbox: tried.append(textbox) and None)
    options = pipeline.Options(ROOT / "manuscript", tmp_path)
    manuscript, book = pipeline.load_book(options, Reporter())
    pipeline.build_layout(book, manuscript, options)
    target = pdf.build(book, options.out, pdf.settings_from(manuscript, for_print=False))
    checked, wrong, _ = _page_number_link_faults(target)
    assert tried and checked > 300
    assert wrong == []


def test_an_authors_digit_links_in_the_glossary_keep_their_own_targets(built):
    """A definition's own links whose text is a number, written as the glossary writes
    its page numbers ("1, 2"), are laid out as one run and cut into a link each; inside
    a right-to-left span they send the glossary back to a link element per number.
    Either way each number leads where its author's link led."""
    import pikepdf
    out, result = built("glossary-digit-links")
    assert result.returncode == 0, result.stderr
    target = out / "digit-links.pdf"
    words = _words_by_page(target)
    found = []
    with pikepdf.open(target) as book:
        for n, page in enumerate(book.pages):
            if not any(w[4] == "urn" for w in words[n]):
                continue   # the glossary's page
            for annotation in page.obj.get("/Annots", []):
                name = str(annotation.get("/Dest", ""))
                if name not in ("alpha", "beta"):
                    continue
                shown = _text_under(words[n], page, annotation).strip(",.")
                found.append((name, shown))
    assert sorted(found) == [("alpha", "1"), ("alpha", "1"), ("beta", "2"), ("beta", "2")]


def test_terms_are_found_inside_unspaced_scripts_and_never_inside_a_syllable(tmp_path):
    """猫 is found in 黒猫が (Japanese spaces no words); कम is not found in कमी (its vowel
    sign ी belongs to the word); a Latin form still waits for a word boundary."""
    from folio import index
    path = tmp_path / "dictionary.yaml"
    path.write_text("- {headword: 猫, kind: term, definitions: [{text: Cat., source: folio}]}\n"
                    "- {headword: कम, kind: term, definitions: [{text: Less., source: folio}]}\n"
                    "- {headword: cat, kind: term, definitions: [{text: Cat., source: folio}]}\n", encoding="utf-8")
    pattern, forms = index._matcher(dictionary.load(path))
    found = lambda text: [m.group(1) for m in pattern.finditer(text)]   # noqa: E731
    assert found("黒猫が好きです") == ["猫"]
    assert found("यह कमी है") == [] and found("यह कम है") == ["कम"]
    assert found("concatenate the cat, and cats") == ["cat", "cat"]


def test_two_uses_on_one_page_say_page_not_pages():
    """A term used twice on page 12 prints "Used on page 12.": one page named once,
    and the label in the singular (`gloss-used-once`)."""
    import lxml.html
    from folio.editions import pdf as pdf_edition
    tree = lxml.html.fragment_fromstring('<div><p class="gloss-used"><a class="locator" href="#a">x</a>, '
                                         '<a class="locator" href="#b">y</a>.</p><p class="gloss-used">'
                                         '<a class="locator" href="#a">x</a>, <a class="locator" href="#c">z</a>.</p></div>')
    pdf_edition._page_numbers(tree, {"a": 12, "b": 12, "c": 14})
    first, second = tree.findall("p")
    assert first.get("class") == "gloss-used gloss-used-once" and first.text_content() == "12."
    assert second.get("class") == "gloss-used" and second.text_content() == "12, 14."


def test_an_authors_index_mark_of_a_glossary_term_links_it_and_counts_as_its_use(tmp_path):
    """`[Schrödinger equation]{.index}` on a dictionary term: the dictionary's matching
    skips the author's marks, so the term was indexed but never linked to its glossary
    entry nor said "Used on"; the mark now stands for the entry."""
    import lxml.html
    from folio import index
    path = tmp_path / "dictionary.yaml"
    path.write_text("- {headword: Schrödinger equation, kind: term, definitions: [{text: A wave equation., "
                    "source: folio}]}\n", encoding="utf-8")
    entries = dictionary.load(path)
    body = lxml.html.fragment_fromstring(
        '<section class="level1" id="one"><h1>One</h1><p>The <span class="index">Schrödinger equation</span> '
        'and <span data-index="Wave!Equation">waves</span>; <span data-index="Schrödinger equation">it</span>.'
        '</p></section>', create_parent="body")
    marks = index.Marks()
    assert index.mark_explicit(body, marks, entries) == []
    index.mark_dictionary_terms(body, entries, marks)
    used = index.link_glossary_terms(body, entries, 1)
    assert list(used) == [entries[0].key] and len(used[entries[0].key]) == 1
    assert body.find(".//a[@class='glossterm']").text == "Schrödinger equation"
    sub, other_words = body.xpath("//span[@data-index]")
    assert sub.get("data-entry") is None            # a sub-entry names no headword
    assert other_words.get("data-entry") is None    # "it" is not the term's own words: not linked


def test_a_mark_in_a_note_is_placed_where_the_note_is_called(tmp_path):
    """pandoc keeps notes at the end of the book: a mark in chapter one's note is still
    chapter one's, listed before chapter two's places and named within chapter one
    (so a mark added to a note renames nothing in another chapter's layout)."""
    from conftest import write_book
    book, out = write_book(tmp_path, "---\ntitle: Notes First\n---\n\n"
                           "# One\n\nText.^[A note on the [Smolny Institute]{.index}.]\n\n"
                           "# Two\n\nThe [Smolny Institute]{.index} again.\n\n"
                           "# Three\n\nOnce more the [Smolny Institute]{.index}.^[And the "
                           "[Smolny Institute]{.index} in a note.]\n")
    _, assembled = pipeline.load_book(pipeline.Options(book, out), Reporter())
    entry = next(e for g in assembled.index for e in g.entries if e.term == "Smolny Institute")

    def chapter_of(anchor):
        return next(c.title_html for c in assembled.chapters
                    if f'id="{anchor}"' in c.html + "".join(n.html for n in c.notes))
    assert [chapter_of(o.anchor) for o in entry.occurrences] == ["One", "Two", "Three", "Three"]
    import hashlib
    from folio.index import MARK
    one = next(c for c in assembled.chapters if c.title_html == "One")
    assert entry.occurrences[0].anchor == f"{MARK}{hashlib.sha1(one.id.encode()).hexdigest()[:6]}-1"
    # Each has its place, the notes' too (an author's mark is class "index ix"): the EPUB's
    # and the site's index link "note 1" of chapter One.
    assert [assembled.places[o.anchor].chapter_id for o in entry.occurrences] == ["one", "two", "three", "three"]
    assert assembled.places[entry.occurrences[0].anchor].label == "note 1"

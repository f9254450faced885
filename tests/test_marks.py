"""Index marks left out of the layout's markup and found again in the laid-out text
(marks.py), and names kept whole by the layout's hyphenation dictionary
(hyphenation.installed): the same pages as the spans they replace."""
from __future__ import annotations

import dataclasses
import json
import re

import pikepdf
import pytest

from conftest import BOOKS, ROOT
from folio import check, fonts, hyphenation, index, marks, pipeline
from folio.diagnostics import Reporter
from folio.editions import pdf

TORTURE = BOOKS / "lifted-marks"


def _loaded(manuscript, out):
    options = pipeline.Options(manuscript, out)
    loaded, book = pipeline.load_book(options, Reporter())
    return options, loaded, book


def _renderer(book, loaded):
    """Chapters laid out as layout.py lays them out, with the marks lifted or not."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from folio.paths import STYLES
    from folio.render import ROOT as RENDER_ROOT, stylesheet
    from folio.safety import make_fetcher
    settings = pdf.settings_from(loaded, for_print=True)
    fetcher = lambda: make_fetcher((STYLES, fonts.FONT_DIR, RENDER_ROOT / "templates"), book.assets)  # noqa: E731
    base = str(loaded.root) + "/"
    font_config = FontConfiguration()
    css = CSS(string="\n".join([fonts.font_faces_css(), stylesheet("pdf.css"), pdf.unit_css(book, settings)]),
              font_config=font_config, url_fetcher=fetcher(), base_url=base)

    def render(chapter, lift: bool):
        lifted = pdf.Lifted(lift_marks=lift)
        markup = pdf.unit_html(book, settings, [chapter], inline_css=False, lifted=lifted)
        with hyphenation.installed(book.meta.lang, lifted.kept):
            document = HTML(string=markup, base_url=base, url_fetcher=fetcher()).render(
                stylesheets=[css], font_config=font_config)
        return document, lifted, markup
    return render


def _span_pages(document) -> dict[str, int]:
    found = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            found.setdefault(anchor, number)
    return found


@pytest.mark.parametrize("manuscript", [TORTURE, ROOT / "manuscript"], ids=["lifted-marks", "bundled"])
def test_lifted_marks_fall_on_the_pages_their_spans_did(manuscript, tmp_path):
    _, loaded, book = _loaded(manuscript, tmp_path)
    render = _renderer(book, loaded)
    lifted_count = kept_as_spans = 0
    for chapter in book.chapters:
        if chapter.role == "index":
            continue
        with_spans, _, _ = render(chapter, lift=False)
        expected = {k: v for k, v in _span_pages(with_spans).items() if k.startswith(index.MARK)}
        document, lifted, markup = render(chapter, lift=True)
        where = marks.locate(document, lifted.marks)
        assert where is not None, chapter.id          # every lifted mark found with its letter
        placed = {**{k: v for k, v in _span_pages(document).items() if k.startswith(index.MARK)},
                  **{k: page for k, (page, _, _) in where.items()}}
        assert placed == expected, chapter.id
        lifted_count += len(lifted.marks)
        kept_as_spans += len(re.findall(r'class="(?:[^"]* )?ix[ "]', markup))
    assert lifted_count > (100 if manuscript == TORTURE else 600)
    if manuscript == TORTURE:
        # After the formula (an image of it), the marks of its paragraph stay spans;
        # so does a mark the author gave an id of their own.
        assert kept_as_spans >= 3


def test_a_mark_not_found_with_its_letter_is_not_placed(tmp_path):
    _, loaded, book = _loaded(TORTURE, tmp_path)
    render = _renderer(book, loaded)
    chapter = book.chapters[0]
    document, lifted, _ = render(chapter, lift=True)
    assert marks.locate(document, lifted.marks) is not None
    first = lifted.marks[0]
    wrong_letter = dataclasses.replace(first, letter="§")
    assert marks.locate(document, [wrong_letter, *lifted.marks[1:]]) is None
    past_the_end = dataclasses.replace(lifted.marks[-1], offset=10**6, letter="")
    assert marks.locate(document, [*lifted.marks, past_the_end]) is None
    # A passage that lays out fewer letters than its markup holds (text the stylesheet
    # hides, say) places none of its marks, even where the letter matches.
    hidden = dataclasses.replace(first, total=first.total + 5)
    assert marks.locate(document, [hidden, *lifted.marks[1:]]) is None


def test_lift_counts_letters_per_passage_and_note():
    import lxml.html
    tree = lxml.html.fragment_fromstring(
        '<div><p data-folio-passage="0">Ab, c <span class="ix" id="ix-1">Dé</span> f'
        '<span class="fn" id="fn1">Note <span class="ix" id="ix-2">gh</span></span>'
        ' <span class="ix ix-end" id="ix-3-end"></span></p>'
        '<p data-folio-passage="1"><img src="x.svg"> <span class="ix" id="ix-4">kept</span></p>'
        '<p><span class="ix" id="ix-5">outside</span></p></div>')
    lifted = {m.id: m for m in marks.lift(tree)}
    assert lifted["ix-1"] == marks.Mark("ix-1", ("passage", "0"), 3, "d", 6)   # "AbcDéf"; the note apart
    assert lifted["ix-2"] == marks.Mark("ix-2", ("note", "fn1"), 4, "g", 6)
    assert lifted["ix-3-end"].offset == 6 and lifted["ix-3-end"].letter == ""   # "AbcDéf": the passage's end
    assert set(lifted) == {"ix-1", "ix-2", "ix-3-end"}
    assert [e.get("id") for e in tree.iter("span") if "ix" in (e.get("class") or "")] == ["ix-4", "ix-5"]
    assert "Dé" in tree.text_content()


def test_a_mark_that_starts_with_no_letter_stays_a_span():
    """`:=`, a star or a currency sign at a page's foot: the next letter would be on the
    next page, so such a mark keeps its span (found by a red-team pass)."""
    import lxml.html
    tree = lxml.html.fragment_fromstring(
        '<div><p data-folio-passage="0">Use <span class="ix" id="ix-1"><code>:=</code></span> or '
        '<span class="ix" id="ix-2">★</span> or <span class="ix" id="ix-3">“Quoted”</span> and '
        '<span class="ix" id="ix-4"> spaced</span>.</p></div>')
    assert {m.id for m in marks.lift(tree)} == {"ix-4"}
    assert [e.get("id") for e in tree.iter("span")] == ["ix-1", "ix-2", "ix-3"]


def test_every_index_link_leads_to_its_word(tmp_path):
    """Built whole: each index locator's destination in the screen edition is on a page
    that shows the word it marks."""
    options, loaded, book = _loaded(TORTURE, tmp_path)
    pipeline.build_layout(book, loaded, options)
    target = pdf.build(book, options.out, pdf.settings_from(loaded, for_print=False))
    texts = [" ".join(page.replace("-\n", "").lower().split()) for page in check.pdf_text(target)]
    summary = json.loads((pdf.layout_dir(options.out, book.meta.slug) / "book.json").read_text(encoding="utf-8"))
    with pikepdf.open(target) as document:
        pages = {page.objgen: n for n, page in enumerate(p.obj for p in document.pages)}
        names = document.Root.Names.Dests.Names
        dests = {str(names[i]): pages[names[i + 1][0].objgen] for i in range(0, len(names), 2)}
    checked = 0
    for group in book.index:
        for entry in group.entries:
            word = entry.term.split()[0].lower()
            linked = [o for o in entry.occurrences if o.anchor in dests]   # the index links to one mark a page
            assert linked, entry.term
            for occurrence in linked:
                page = dests[occurrence.anchor]
                # the folio the index printed for it is that page's
                folio = summary["anchors"].get(occurrence.anchor)
                assert folio is None or int(folio) == page - summary["first_body"] + 1, (entry.term, folio, page)
                if word.isalpha() and word not in ("range", "end", "own"):
                    assert word in texts[page] or word in texts[page + 1], (entry.term, page)
                    checked += 1
    assert checked > 25


def test_words_kept_whole_go_to_the_dictionary_unless_also_free():
    """A name kept at every place goes to the layout's dictionary, not into a span; a
    word that is a name in one place and a common word in another keeps its span
    where it is a name; a passage in another language keeps its spans."""
    import lxml.html
    tree = lxml.html.fragment_fromstring(
        "<div><p>Yesterday Montmorency wrote to UNESCO. The revolution came, and then the Revolution "
        "was named. <span lang=\"de\">Dann schrieb Montmorency.</span></p></div>")
    whole = hyphenation.apply(tree, "en-GB", ("super-cali-fragilistic",), dictionary=True)
    assert whole["Montmorency"] == () and whole["UNESCO"] == ()
    # The name is kept by the dictionary, which is asked for the word as written; the
    # common word is left to the patterns.
    assert whole["Revolution"] == () and "revolution" not in whole
    assert [span.text for span in tree.find_class("nohyphen")] == ["Montmorency"]
    assert hyphenation.apply(lxml.html.fragment_fromstring(
        "<p>A supercalifragilistic day.</p>"), "en", ("super-cali-fragilistic",), dictionary=True) \
        == {"supercalifragilistic": (5, 9)}
    # Where WeasyPrint's word is not folio's (a digit, a decomposed accent or an
    # invisible joiner against it), the dictionary would not be asked for folio's
    # word: those keep their spans (found by a red-team pass).
    tree = lxml.html.fragment_fromstring(
        "<div><p>Then Schwarzenegger2 met Wolkenkuckucksheime\u0301 and Wolkenku\u200cckucksheim "
        "near Montmorency’s house.</p></div>")
    whole = hyphenation.apply(tree, "en-GB", (), dictionary=True)
    assert set(whole) == {"Montmorency"}
    assert [span.text for span in tree.find_class("nohyphen")] == \
        ["Schwarzenegger", "Wolkenkuckucksheime", "Wolkenku"]


def test_the_dictionary_answers_for_kept_words_only_while_installed():
    import pyphen
    dictionary = pyphen.Pyphen(lang="en_GB", left=3, right=3)
    before = dictionary.positions("Montmorency"), dictionary.positions("supercalifragilistic")
    assert before[0]   # the patterns would split the name
    revolution = dictionary.positions("revolution")
    assert revolution
    with hyphenation.installed("en-GB", {"Montmorency": (), "supercalifragilistic": (5, 9), "Revolution": ()}):
        asked = pyphen.Pyphen(lang="en_GB", left=3, right=3)
        assert asked.positions("Montmorency") == [] and asked.positions("MONTMORENCY") == []
        assert asked.positions("supercalifragilistic") == [5, 9]
        # The name as written is kept; the common word spelt the same is not.
        assert asked.positions("Revolution") == [] and asked.positions("revolution") == revolution
    assert (dictionary.positions("Montmorency"), dictionary.positions("supercalifragilistic")) == before
    assert dictionary.positions("Revolution") == revolution


def test_a_chapter_whose_marks_cannot_be_placed_is_set_with_its_spans(tmp_path):
    """Words hidden by the print stylesheet before a mark: the laid-out letters do not
    add up, so the layout sets the chapter again with its marks as spans, and the
    index still finds them (the hidden words themselves are FOLIO080)."""
    from conftest import run_build
    manuscript = BOOKS / "marks-fallback"
    _, loaded, book = _loaded(manuscript, tmp_path / "probe")
    document, lifted, _ = _renderer(book, loaded)(book.chapters[0], lift=True)
    assert lifted.marks and marks.locate(document, lifted.marks) is None
    result = run_build("--manuscript", str(manuscript), "--out", str(tmp_path / "out"), "-j", "1")
    assert result.returncode == 0, result.stderr
    assert "FOLIO080" in result.stderr and "Traceback" not in result.stderr
    pages = check.pdf_text(tmp_path / "out" / "marks-set-again.pdf")
    index_page = next(p for p in pages if p.lstrip().startswith("Index"))
    assert "Smolny Institute, 1" in index_page and "Putilov Factory, 1" in index_page
    with pikepdf.open(tmp_path / "out" / "marks-set-again.pdf") as document:
        names = document.Root.Names.Dests.Names
        named = {str(names[i]) for i in range(0, len(names), 2)}
    assert {o.anchor for group in book.index for entry in group.entries for o in entry.occurrences} <= named

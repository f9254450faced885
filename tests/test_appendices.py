"""Appendices: which chapters are, and how they are lettered (ast.mark_parts,
ast.number_labels). The case books `appendices*` show them in every edition."""
from __future__ import annotations

from folio.ast import APPENDIX, APPENDIX_START, appendix_letter, mark_parts


def _header(title: str, *classes: str) -> dict:
    words = []
    for word in title.split():
        words += [{"t": "Str", "c": word}, {"t": "Space"}]
    return {"t": "Header", "c": [1, [title.lower().replace(" ", "-"), list(classes), []], words[:-1]]}


def _classes(document: dict) -> list[list[str]]:
    return [block["c"][1][1] for block in document["blocks"] if block["t"] == "Header"]


def test_appendices_are_lettered_past_z():
    assert [appendix_letter(n) for n in (1, 2, 26, 27, 28, 52, 53, 702, 703)] == \
        ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_every_numbered_chapter_after_the_first_appendix_is_one():
    document = {"blocks": [_header("Method"), _header("Proofs", APPENDIX), _header("Tables"),
                           _header("Afterword", "unnumbered"), _header("Data")]}
    assert _classes(mark_parts(document)) == [[], [APPENDIX], [APPENDIX], ["unnumbered"], [APPENDIX]]


def test_bookdowns_appendix_heading_is_a_part_and_what_follows_appendices():
    document = {"blocks": [_header("Method"), _header("(APPENDIX) Appendix", "unnumbered"), _header("Proofs")]}
    marked = mark_parts(document)
    assert _classes(marked) == [[], ["part", "unnumbered"], [APPENDIX]]
    assert marked["blocks"][1]["c"][2] == [{"t": "Str", "c": "Appendix"}]


def test_latexs_appendix_command_starts_them_and_is_taken_out():
    document = {"blocks": [_header("Method"), {"t": "Div", "c": [["", [APPENDIX_START], []], []]},
                           _header("Proofs")]}
    marked = mark_parts(document)
    assert _classes(marked) == [[], [APPENDIX]] and len(marked["blocks"]) == 2


def test_without_a_mark_no_chapter_is_an_appendix_but_one_titled_so_is_said():
    """A chapter titled "Appendix: Proofs" (or "Anhang", in German) with no mark stays
    a numbered chapter, with a hint (FOLIO073) at its heading's line."""
    class Manuscript:
        metadata = {"lang": "de"}
        text = "# Methode\n\nText.\n\n# Anhang B: Beweise\n\n# Appendixed\n\n# Anhänger\n"
    said = []
    document = {"blocks": [_header("Methode"), _header("Anhang B: Beweise"), _header("Appendixed"),
                           _header("Anhänger"), _header("Appendix", "unnumbered"), _header("Appendix surgery", "chapter")]}
    marked = mark_parts(document, Manuscript(), lambda code, message, needle, fix, line=None:
                        said.append((code, message, line)))
    assert _classes(marked) == [[], [], [], [], ["unnumbered"], []]   # `.chapter` silences, and is not kept
    assert said == [("FOLIO073", "the chapter 'Anhang B: Beweise' is numbered as a chapter, not lettered as "
                                 "an appendix", 5)]


def test_appendix_then_a_chapter_in_one_raw_block_starts_the_appendices():
    """`\\appendix` with `\\chapter{Proofs}` on the next line is one raw block to pandoc:
    the placeholder first, then the rest, read as LaTeX as before."""
    from folio.latex import _placeholders
    blocks = _placeholders([{"t": "RawBlock", "c": ["latex", "\\appendix\n\\chapter{Proofs}\\label{app:p}"]}])
    assert blocks[0] == {"t": "Div", "c": [["", [APPENDIX_START], []], []]}
    assert blocks[1] == {"t": "RawBlock", "c": ["latex", "\\chapter{Proofs}\\label{app:p}"]}
    assert _placeholders([{"t": "RawBlock", "c": ["latex", "\\appendixname"]}])[0]["t"] == "RawBlock"


def test_an_appendix_command_inside_a_list_is_said_and_leaves_no_box():
    class Manuscript:
        metadata: dict = {}
        text = "# Method\n\n\\appendix\n\n- \\appendix\n"
    said = []
    nested = {"t": "BulletList", "c": [[{"t": "Div", "c": [["", [APPENDIX_START], []], []]}]]}
    marked = mark_parts({"blocks": [_header("Method"), nested]}, Manuscript(), lambda *a, **k: said.append(a))
    assert marked["blocks"][1]["c"][0][0] == {"t": "Plain", "c": []}
    assert [code for code, *_ in said] == ["FOLIO029"] and said[0][-1] == 5   # the line inside the list


def test_a_terms_places_are_listed_in_the_books_order():
    """The author's marks are found before the dictionary's terms; an entry's places are
    still listed in reading order (the EPUB's and the site's index show them so)."""
    from folio.index import Marks, Occurrence, collect
    marks = Marks()
    marks.order = {"ix-b-1": 1, "ix-a-1": 0, "ix-c-1": 2}   # chapters Alpha, Beta, Gamma
    marks.add(("Cafe",), Occurrence("ix-b-1"))   # the author's mark in Beta, found first
    marks.add(("cafe",), Occurrence("ix-c-1"))
    marks.add(("cafe",), Occurrence("ix-a-1"))
    entry = collect(marks, ())[0].entries[0]
    assert [o.anchor for o in entry.occurrences] == ["ix-a-1", "ix-b-1", "ix-c-1"]


def test_a_callout_whose_text_opens_with_a_longer_word_is_still_titled():
    from test_verse_and_callouts import _body, _in
    from folio import transforms
    body = _body('<div class="note"><p>Notebooks must be closed.</p></div>')
    transforms.title_callouts(body, _in("en"))
    assert body[0][0].text_content() == "Note"

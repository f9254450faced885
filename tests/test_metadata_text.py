"""Text in the metadata reaches the reader or is named: an abstract opens the book as
a chapter (pandoc.py), at the level the book's chapters use and before the first of
them; a field of words no edition prints is a warning with its line."""
from types import SimpleNamespace

import pytest

from folio import pandoc


def _para(text: str) -> dict:
    return {"t": "Para", "c": [{"t": "Str", "c": text}]}


def _header(level: int, ident: str, text: str) -> dict:
    return {"t": "Header", "c": [level, [ident, [], []], [{"t": "Str", "c": text}]]}


def _manuscript(text: str = "", lang: str = "en"):
    return SimpleNamespace(metadata={"lang": lang}, text=text)


def _abstract(text: str) -> dict:
    return {"t": "MetaBlocks", "c": [_para(text)]}


def test_the_abstract_opens_the_book_at_the_chapters_level_after_opening_text():
    document = {"meta": {"abstract": _abstract("Summed up.")},
                "blocks": [_para("Untitled opening."), _header(2, "abstract", "One"), _para("Text.")]}
    pandoc._abstract_as_chapter(document, _manuscript(), None)
    kinds = [(b["t"], b["c"][0] if b["t"] == "Header" else None) for b in document["blocks"]]
    assert kinds == [("Para", None), ("Header", 2), ("Para", None), ("Header", 2), ("Para", None)]
    header = document["blocks"][1]["c"]
    assert header[1] == ["abstract-2", ["unnumbered", "abstract"], []]   # "abstract" is the author's
    assert header[2] == [{"t": "Str", "c": "Abstract"}]
    assert document["blocks"][2] == _para("Summed up.") and "abstract" not in document["meta"]


def test_the_abstract_takes_its_title_from_abstract_title_or_the_books_language():
    german = {"meta": {"abstract": {"t": "MetaInlines", "c": [{"t": "Str", "c": "Kurz."}]}},
              "blocks": [_header(1, "eins", "Eins")]}
    pandoc._abstract_as_chapter(german, _manuscript(lang="de-AT"), None)
    assert german["blocks"][0]["c"][2] == [{"t": "Str", "c": "Zusammenfassung"}]
    assert german["blocks"][1] == _para("Kurz.")
    named = {"meta": {"abstract": _abstract("Short."), "abstract-title": {"t": "MetaInlines", "c": [
        {"t": "Str", "c": "Summary"}]}}, "blocks": [_header(1, "one", "One")]}
    pandoc._abstract_as_chapter(named, _manuscript(), None)
    assert named["blocks"][0]["c"][2] == [{"t": "Str", "c": "Summary"}] and "abstract-title" not in named["meta"]


def test_in_a_book_without_headings_the_abstract_is_a_titled_block_at_its_start():
    document = {"meta": {"abstract": _abstract("Summed up.")}, "blocks": [_para("All of the book.")]}
    pandoc._abstract_as_chapter(document, _manuscript(), None)
    first = document["blocks"][0]
    assert first["t"] == "Div" and first["c"][0] == ["abstract", ["abstract"], []]
    assert first["c"][1][1] == _para("Summed up.") and document["blocks"][1] == _para("All of the book.")


def test_a_field_of_words_no_edition_prints_is_named_with_its_line():
    said = []
    document = {"meta": {
        "thanks": {"t": "MetaInlines", "c": [{"t": "Str", "c": "Paid"}, {"t": "Space"}, {"t": "Str", "c": "for."}]},
        "institute": {"t": "MetaList", "c": [{"t": "MetaMap", "c": {"h": {"t": "MetaInlines", "c": [
            {"t": "Str", "c": "Harbour"}, {"t": "Space"}, {"t": "Str", "c": "Institute"}]}}}]},
        "documentclass": {"t": "MetaInlines", "c": [{"t": "Str", "c": "book"}]},   # another tool's setting
        "header-includes": {"t": "MetaBlocks", "c": [{"t": "RawBlock", "c": ["tex", "\\usepackage{x} \\y"]}]},
        "publisher": {"t": "MetaInlines", "c": [{"t": "Str", "c": "Harbour"}, {"t": "Space"}, {"t": "Str", "c": "Press"}]},
    }, "blocks": []}
    text = "---\ntitle: T\nthanks: Paid for.\ninstitute:\n  - h: Harbour Institute\n---\n"
    pandoc._unprinted_metadata(document, _manuscript(text), lambda *a, **k: said.append((a, k)))
    assert [(a[0], k["line"]) for a, k in said] == [("FOLIO037", 3), ("FOLIO037", 4)]
    assert "'thanks'" in said[0][0][1] and "'institute'" in said[1][0][1]


def test_a_headings_note_call_is_not_part_of_its_name_in_the_nav_or_the_search(built):
    """`## Wicks and oil^[…]`: the contents, the EPUB's navigation and the site's search
    name the section without the call's number, and a passage's text has no call in it."""
    import zipfile
    out, result = built("abstract-and-thanks")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        ncx = package.read("OEBPS/toc.ncx").decode("utf-8")
    assert "<text>Wicks and oil</text>" in ncx
    search = (out / "html" / "search-index.js").read_text(encoding="utf-8")
    assert '"Wicks and oil"' in search or "› Wicks and oil\"" in search, search[:500]
    assert "Wicks and oil1" not in search and "Wicks and oil 1" not in search
    assert '"text": "The oil was whale oil until 1860 [2]."' in search


@pytest.mark.parametrize("written, read", [
    ("en", "en"), ("en-US", "en-US"), ("en_US", "en-US"), ("pt_BR.UTF-8", "pt-BR"), ("de-CH-1996", "de-CH-1996"),
    ("zh-Hant-TW", "zh-Hant-TW"), ("sr-Latn", "sr-Latn"), ("de-DE-u-co-phonebk", "de-DE-u-co-phonebk"),
    ("x-klingon", "x-klingon"), ("zh-yue-HK", "zh-yue-HK"),
    ("English", None), ("français", None), ("fr FR", None), ("en-", None), ("e", None), ("", None), ("42", None)])
def test_lang_is_read_as_a_well_formed_language_tag(written, read):
    from folio.labels import language_tag
    assert language_tag(written) == read

"""Quotation marks follow the book's language (ast.localize_quotes): pandoc reads "…"
and '…' as quotations and would write English marks in every language."""
from types import SimpleNamespace

import pytest

from folio import ast


def _quoted(kind: str, *inlines) -> dict:
    return {"t": "Quoted", "c": [{"t": kind}, list(inlines)]}


def _document() -> dict:
    inner = _quoted("SingleQuote", {"t": "Str", "c": "inner"})
    return {"blocks": [{"t": "Para", "c": [_quoted("DoubleQuote", {"t": "Str", "c": "outer"}, {"t": "Space"}, inner)]}]}


def _printed(lang: str) -> str:
    document = ast.localize_quotes(_document(), SimpleNamespace(metadata={"lang": lang}))
    return ast.plain_text(document["blocks"])


@pytest.mark.parametrize("lang, printed", [
    ("de-DE", "„outer ‚inner‘“"), ("fr-FR", "«\u202fouter “inner”\u202f»"), ("ru", "«outer „inner“»"),
    ("pl", "„outer «inner»”"), ("ja", "「outer 『inner』」"), ("zh-Hant", "「outer 『inner』」"),
    ("zh-Hans", "“outer ‘inner’”"), ("da", "»outer ›inner‹«"),
])
def test_a_quotation_takes_its_languages_marks(lang, printed):
    assert _printed(lang) == printed


def test_english_and_unlisted_languages_keep_pandocs_quotations():
    for lang in ("en-GB", "en", "xx-unknown"):
        document = ast.localize_quotes(_document(), SimpleNamespace(metadata={"lang": lang}))
        assert document["blocks"][0]["c"][0]["t"] == "Quoted"



def test_french_sets_a_space_that_never_breaks_before_high_punctuation_and_inside_guillemets():
    """« bonjour » ; Vraiment ? : the spaces thin and unbreakable (a word space before
    the colon), whether the author typed them or not; a URL and a time keep theirs."""
    def para(*words):
        inlines = []
        for word in words:
            inlines += [{"t": "Str", "c": word}, {"t": "Space"}]
        return {"t": "Para", "c": inlines[:-1]}
    document = {"blocks": [para("Il", "dit", ":", "«", "bonjour", "»", ";", "Vraiment?", "Oui!"),
                           para("À", "10:30,", "voir", "http://x.fr/a?b!")]}
    ast.french_spacing(document, SimpleNamespace(metadata={"lang": "fr-FR"}))
    assert ast.plain_text(document["blocks"][0]) == \
        "Il dit\u00a0: «\u202fbonjour\u202f»\u202f; Vraiment\u202f? Oui\u202f!"
    assert ast.plain_text(document["blocks"][1]) == "À 10:30, voir http://x.fr/a?b!"
    english = {"blocks": [para("Really", "?")]}
    ast.french_spacing(english, SimpleNamespace(metadata={"lang": "en"}))
    assert ast.plain_text(english["blocks"][0]) == "Really ?"

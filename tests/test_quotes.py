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


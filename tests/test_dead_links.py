"""In-book links that lead nowhere are named (FOLIO026), and only those: the check
parses a fragment only where something in it looks like a link to an unknown target
(book._report_dead_links)."""
from types import SimpleNamespace
from pathlib import Path

from folio.book import Chapter, Note, _report_dead_links
from folio.diagnostics import Reporter


def _warned(html: str, note: str = "", owners=("there", "a&b", "ünï")) -> list[str]:
    text = "# One\n\n[gone](#gone) [also](#also-gone) [x](#a&b)\n"
    manuscript = SimpleNamespace(text=text, source=Path("book.md"))
    chapter = Chapter(id="one", role="chapter", title_html="One", title="One", number=1, html=html,
                      notes=(Note("fn-one-1", 1, note),) if note else ())
    reporter = Reporter()
    _report_dead_links([chapter], {o: "one" for o in owners}, manuscript, reporter)
    return [d.message for d in reporter.warnings]


def test_a_link_to_no_id_is_named_with_its_line():
    assert _warned('<p><a href="#gone">gone</a> <a href="#there">here</a></p>') == [
        "link to '#gone', which is no heading or anchor"]


def test_links_to_known_targets_entities_and_escapes_are_not_named():
    assert _warned('<p><a href="#there">a</a> <a href="#a&amp;b">b</a> <a href="#%C3%BCn%C3%AF">c</a>'
                   '<a href="#gl-term">d</a> <a href="#ixe-entry">e</a></p>') == []


def test_markup_shown_as_text_is_no_link():
    assert _warned('<pre><code>&lt;a href="#gone"&gt;</code></pre><p>write href="#also-gone" like this</p>') == []


def test_a_dead_link_in_a_note_is_named():
    assert _warned('<p>text</p>', note='<p><a href="#also-gone">x</a></p>') == [
        "link to '#also-gone', which is no heading or anchor"]


def test_a_target_holding_a_double_quote_is_still_looked_at():
    """lxml writes such a value in single quotes: `<a href='#no"where'>` (raw HTML)."""
    assert _warned("<p><a href='#no\"where'>x</a> <a href=\"#there\">y</a></p>") == [
        "link to '#no\"where', which is no heading or anchor"]

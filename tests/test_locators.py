"""The index's and the glossary's page numbers: one link per run for the layout, a link per number after it."""
from __future__ import annotations

from folio import locators
from folio.html import inner_html, parse_fragment


def test_runs_of_page_number_links_become_one_link_with_each_number_kept():
    tree = parse_fragment(
        '<p>Term, <a href="folio-dest:a">3</a>, <a href="folio-dest:b">7–9</a>, <a href="folio-dest:c">12</a>. '
        'See <a href="folio-dest:d">14</a>, <a href="#e">15</a>, <a href="folio-dest:x">Lenin</a>, '
        '<a href="folio-dest:y">2</a>, <a class="page-number" href="folio-dest:f">16</a>, '
        '<a class="page-number" href="folio-dest:g">17</a>; <a href="folio-dest:h">20</a> '
        '<a href="folio-dest:i">21</a></p>')
    runs = locators.lift(tree)
    assert inner_html(tree) == (
        '<p>Term, <a href="folio-locators:0">3, 7–9, 12</a>. See <a href="folio-dest:d">14</a>, '
        '<a href="#e">15</a>, <a href="folio-dest:x">Lenin</a>, <a href="folio-dest:y">2</a>, '
        '<a class="page-number" href="folio-locators:1">16, 17</a>; <a href="folio-dest:h">20</a> '
        '<a href="folio-dest:i">21</a></p>')
    assert runs == [
        locators.Run("3, 7–9, 12", ((0, 1, "folio-dest:a"), (3, 6, "folio-dest:b"), (8, 10, "folio-dest:c"))),
        locators.Run("16, 17", ((0, 2, "folio-dest:f"), (4, 6, "folio-dest:g")))]
    for run in runs:
        assert [run.text[a:b] for a, b, _ in run.numbers] == run.text.split(", ")


def test_a_run_holding_markup_or_an_author_link_is_left_as_it_is():
    markup = ('<p><a href="folio-dest:a"><em>3</em></a>, <a href="folio-dest:b">4</a></p>'
              '<p><a href="folio-dest:a" title="t">3</a>, <a href="folio-dest:b">4</a></p>')
    tree = parse_fragment(markup)
    assert locators.lift(tree) == []
    assert inner_html(tree) == markup


def test_runs_are_numbered_through_the_unit():
    """Two trees lifted into one unit's list: the second's runs follow the first's."""
    first = parse_fragment('<p><a href="folio-dest:a">1</a>, <a href="folio-dest:b">2</a></p>')
    second = parse_fragment('<p><a href="folio-dest:c">3</a>, <a href="folio-dest:d">4</a></p>')
    runs = locators.lift(first)
    runs += locators.lift(second, start=len(runs))
    assert [a.get("href") for tree in (first, second) for a in tree.iter("a")] == \
        ["folio-locators:0", "folio-locators:1"]
    assert [run.numbers[0][2] for run in runs] == ["folio-dest:a", "folio-dest:c"]

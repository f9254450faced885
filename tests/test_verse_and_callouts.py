"""Verse, callout titles and metadata paragraphs as authors write them: pandoc's line
block becomes stanzas of lines (transforms.set_verse), a callout's title is printed
(transforms.title_callouts), and a metadata field of two paragraphs is not wrapped in
a third (render.paragraphs)."""
import lxml.html

from folio import render, transforms


def _body(markup: str):
    return lxml.html.fragment_fromstring(markup, create_parent="body")


def _html(body) -> str:
    return "".join(lxml.html.tostring(child, encoding="unicode") for child in body)


def test_a_line_block_becomes_stanzas_of_lines_with_its_notes_and_indents():
    body = _body('<div class="line-block">One <em>two</em><br />\n\u00a0\u00a0indented<a href="#fn1" '
                 'class="footnote-ref">1</a> tail<br />\n<br />\n<br />\nSecond stanza</div><p>After.</p>')
    transforms.set_verse(body, None)
    block = body[0]
    stanzas = block.findall("p")
    assert [s.get("class") for s in stanzas] == ["stanza", "stanza"]   # two blank lines: one break
    lines = stanzas[0].findall("span")
    assert [line.text_content() for line in lines] == ["One two", "\u00a0\u00a0indented1 tail"]
    assert lines[1].find("a").get("class") == "footnote-ref" and lines[1].find("a").tail == " tail"
    assert len(stanzas[0].findall("br")) == 1   # kept between lines, for a reader without the stylesheet
    assert stanzas[1].findall("span")[0].text == "Second stanza"
    assert body[1].tag == "p" and body[1].text == "After."


def test_a_line_block_of_one_line_and_other_divs_are_left_alone():
    body = _body('<div class="line-block">Only one line</div><div class="note">Not<br />verse</div>')
    before = _html(body)
    transforms.set_verse(body, None)
    assert _html(body) == before


def test_a_verse_epigraphs_dashed_last_line_is_its_attribution():
    body = _body('<blockquote><div class="line-block">A line<br />\nAnother</div>'
                 '<p>— A. Poet</p></blockquote><blockquote><p>— alone, no attribution</p></blockquote>')
    transforms.set_verse(body, None)
    transforms.mark_attributions(body, None)
    first, second = body.findall("blockquote")
    assert first.findall("p")[-1].get("class") == "attribution"
    assert second.find("p").get("class") is None


def _in(lang: str):
    """A Context for a pass that only asks the book's language."""
    from types import SimpleNamespace
    return SimpleNamespace(manuscript=SimpleNamespace(metadata={"lang": lang}))


def test_a_callouts_title_is_its_first_line_not_a_tooltip():
    body = _body('<div class="callout-tip" title="A &lt;tip&gt;">Text <em>here</em>.</div>'
                 '<div class="warning" title="Careful"><p>Hot.</p></div><div class="aside" title="kept">x</div>')
    transforms.title_callouts(body, _in("en"))
    tip, warning, aside = body
    assert tip.get("title") is None and tip[0].get("class") == "callout-title"
    assert tip[0].text_content() == "A <tip>" and tip[0].tail == "Text "
    assert warning[0].text_content() == "Careful" and warning[1].text == "Hot."
    assert aside.get("title") == "kept" and len(aside) == 0   # not a callout: its title stays an attribute


def test_a_metadata_field_is_one_paragraph_or_its_own_paragraphs():
    assert render.paragraphs("For <em>A.</em>") == "<p>For <em>A.</em></p>"
    assert render.paragraphs("<p>For A.</p>\n<p>And B.</p>") == "<p>For A.</p>\n<p>And B.</p>"
    assert render.inline("<p>For A.</p>\n<p>And <em>B</em>.</p>") == "For A. And <em>B</em>."
    assert render.inline("<ul><li>a &lt;b&gt;</li></ul>") == "a &lt;b&gt;"
    assert render.inline("Plain &amp; simple") == "Plain &amp; simple"


def test_a_figures_description_reads_its_formula_not_its_tex():
    """pandoc describes the image with the caption's TeX (`A \\sin \\omega t`), which a
    screen reader spells out; an author's own description stays."""
    math = ('<math display="inline"><semantics><mrow><mi>A</mi><mrow><mi mathvariant="normal">sin</mi>'
            '<mo>\u2061</mo></mrow><mi>ω</mi><mi>t</mi></mrow>'
            '<annotation encoding="application/x-tex">A \\sin \\omega t</annotation></semantics></math>')
    body = _body(f'<figure><img src="a.png" alt="A wave: A \\sin \\omega t here." />'
                 f'<figcaption aria-hidden="true">A wave:\n{math}\nhere.</figcaption></figure>'
                 f'<figure><img src="b.png" alt="Mine." /><figcaption>A wave: {math}</figcaption></figure>')
    transforms.readable_alt_text(body, None)
    first, second = body.iter("img")
    assert first.get("alt") == "A wave: A sin ω t here."
    assert second.get("alt") == "Mine."


def test_a_part_is_a_top_level_heading_marked_as_one():
    from folio import ast

    def header(level, text, classes=()):
        words = [{"t": "Str", "c": w} for w in text.split()]
        inlines = [node for word in words for node in (word, {"t": "Space"})][:-1]
        return {"t": "Header", "c": [level, ["id", list(classes), []], inlines]}
    document = {"blocks": [header(1, "(PART) Part Two"), header(1, "One", ["part"]), header(2, "Sub", ["part"]),
                           header(1, "Plain"), {"t": "Div", "c": [["", [], []], [header(1, "(PART) Inside")]]}]}
    ast.mark_parts(document)
    two, one, sub, plain, div = document["blocks"]
    assert two["c"][1][1] == ["part", "unnumbered"] and [n["c"] for n in two["c"][2] if n["t"] == "Str"] == ["Part", "Two"]
    assert one["c"][1][1] == ["part", "unnumbered"]
    assert sub["c"][1][1] == ["part"]            # not the top level: left as the author's class
    assert plain["c"][1][1] == []
    assert div["c"][1][0]["c"][2][0]["c"] == "(PART)"   # in a div: not a part


def test_a_callout_without_a_title_is_titled_with_its_kind_in_the_books_language():
    body = _body('<div class="warning"><p>Hot.</p></div><div class="callout-tip"><p>Stir.</p></div>'
                 '<div class="note"><p><strong>Hinweis:</strong> schon betitelt.</p></div>'
                 '<div class="callout"><p>No kind.</p></div>')
    transforms.title_callouts(body, _in("de-AT"))
    warning, tip, titled, plain = body
    assert warning[0].get("class") == "callout-title" and warning[0].text_content() == "Warnung"
    assert tip[0].text_content() == "Tipp" and tip[1].text == "Stir."
    assert titled[0].get("class") is None and plain[0].get("class") is None   # said already; no kind

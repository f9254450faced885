"""Code keeps its lines in every edition (html.code_lines): a line too long for the
measure turns over with its continuation hanging past the line's own indentation, so
that it does not read as a line of the program. The case book `code-lines` holds such lines,
highlighted, plain and numbered."""
from __future__ import annotations

import html
import re
import subprocess

from folio import html as folio_html


def _words(pdf_path) -> list[tuple[float, float, str]]:
    """Every word of the PDF as (x, y, word), pages one after another (poppler)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True,
                         check=True).stdout
    words = []
    for number, page in enumerate(out.split("<page ")[1:]):
        words += [(float(x), number * 10_000 + float(y), html.unescape(w)) for x, y, w in
                  re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page)]
    return words


def _at(words, word: str) -> tuple[float, float]:
    return next((x, y) for x, y, w in words if w == word)


def test_a_turned_over_line_of_code_hangs_past_its_own_indentation(built):
    out, result = built("code-lines")
    assert result.returncode == 0, result.stderr
    assert "FOLIO080" not in result.stderr   # every line reached every edition, short ones too
    words = _words(out / "long-lines.pdf")
    (start, top), (turned, below) = _at(words, "def"), _at(words, "timeout_seconds=30.0,")
    after, _ = _at(words, "configure(server_name,")
    char = (after - start) / 4   # "def " is four characters of the monospaced face
    assert below > top and abs((turned - start) / char - folio_html.CODE_HANG) < 0.5
    (body, _), (its_turn, _) = _at(words, "return"), _at(words, "retries,")
    assert abs((body - start) / char - 4) < 0.5   # the line's own indentation, kept
    assert abs((its_turn - start) / char - (4 + folio_html.CODE_HANG)) < 0.5
    (plain, _), (plain_turn, _) = _at(words, "$"), _at(words, "--out")
    assert abs((plain_turn - plain) / char - folio_html.CODE_HANG) < 0.5
    (numbered, _), (numbered_turn, _) = _at(words, "lamp"), _at(words, "reservoir_litres=2,")
    assert abs((numbered_turn - numbered) / char - folio_html.CODE_HANG) < 0.5


def test_code_lines_are_cut_at_newlines_and_left_alone_across_elements():
    from folio.html import inner_html, parse_fragment
    tree = parse_fragment("<pre><code>one\n\n  two</code></pre><pre><code><b>a\nb</b></code></pre>")
    folio_html.code_lines(tree)
    first, second = tree.findall(".//code")
    assert [(line.text, line.get("style")) for line in first] == [
        ("one\n", "padding-left: 8ch; text-indent: -8ch"), ("\n", "padding-left: 8ch; text-indent: -8ch"),
        ("  two", "padding-left: 10ch; text-indent: -10ch")]   # each line ends in its newline
    assert inner_html(second) == "<b>a\nb</b>"   # a newline inside an element: as it was


def test_the_epub_and_the_site_wrap_code_as_the_pdf_does(built):
    """A phone's screen and an e-reader's page are narrower than a long line: each
    line of code is a block that wraps and hangs there too, not a line that runs off."""
    import zipfile
    out, _ = built("code-lines")
    with zipfile.ZipFile(out / "long-lines.epub") as package:
        page = package.read("OEBPS/listings.xhtml").decode("utf-8")
    site = (out / "html" / "listings.html").read_text(encoding="utf-8")
    for markup in (page, site):
        assert markup.count('class="code-line"') >= 4 and "padding-left: 12ch; text-indent: -12ch" in markup


def test_an_empty_numbered_line_keeps_its_number_beside_it(built):
    """The empty line's newline comes after its number (pandoc's <a>), so the numbers
    stand in one column and the empty line is one line high."""
    out, _ = built("code-lines")
    words = _words(out / "long-lines.pdf")
    (left, top), (_, bottom) = _at(words, "alpha"), _at(words, "beta")
    numbers = [(x, y) for x, y, w in words if w in ("1", "2", "3") and x < left and top - 3 <= y <= bottom + 3]
    assert len(numbers) == 3 and max(x for x, _ in numbers) - min(x for x, _ in numbers) < 6, numbers
    assert abs((bottom - top) - 2 * (numbers[1][1] - numbers[0][1])) < 1


def test_raw_pre_and_table_cells_and_empty_blocks():
    from folio.html import inner_html, parse_fragment
    tree = parse_fragment("<pre>\nfirst\nsecond\n</pre><pre><code></code></pre>"
                          "<table><tr><td><pre>                x\ny</pre></td></tr></table>")
    folio_html.code_lines(tree)
    raw, empty, cell = tree.findall(".//pre")
    assert [line.text for line in raw] == ["first\n", "second"]   # no blank line from the newline after <pre>
    assert inner_html(empty) == "<code></code>" and len(cell) == 0   # nothing to wrap; a cell too narrow to hang in

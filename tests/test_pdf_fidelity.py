"""The PDF shows what the manuscript holds, where it belongs: notes with blocks at the
foot of the page, headings copied into the contents and bookmarks as text, figures
described for the tagged edition, and WeasyPrint's own messages as folio warnings."""
from __future__ import annotations

import base64
import logging
import re
import shutil
import subprocess
from pathlib import Path

from conftest import BOOKS, run_build
from folio import check

RAW_LOG = re.compile(r"^(ERROR|WARNING|INFO|DEBUG|CRITICAL):|weasyprint:", re.M)


def _lines(page: str) -> list[str]:
    return [" ".join(line.split()) for line in page.splitlines() if line.strip()]


def _structure(pdf: Path) -> str:
    return subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(pdf), "-"],
                          capture_output=True, check=True).stdout.decode("latin-1")


def test_notes_with_blocks_sit_whole_at_the_foot_of_the_page(built):
    """pandoc's `[^2]:` with an indented code block printed the code and the note's
    last paragraph in the body: every block of a note follows the body text, in order."""
    out, result = built("notes-with-blocks")
    assert result.returncode == 0 and not RAW_LOG.search(result.stderr), result.stderr
    pages = [_lines(page) for page in check.pdf_text(out / "notes-with-blocks.pdf")]
    first = next(page for page in pages if "Blocks in Notes" in page)
    order = ["A note may hold code, as pandoc’s own test suite has it.1 The sentence",
             "after the first call goes on in the body of the page.", "chapter.",
             "1. Here is the note, with a code block after it.", "{ <code> }",
             "If you want, you can indent every line, but you can also be lazy and just indent the first",
             "2. The keeper’s duties were three:", "• trim the wick,", "• polish the lens,", "• wind the clockwork.",
             "3. The logbook says:", "Fog from the west at dusk; the horn sounded all night.", "So the keeper wrote.",
             "4. The first paragraph of the fourth note.", "The second paragraph of the fourth note closes it."]
    assert [line for line in first if line in order] == order, first
    second = next(page for page in pages if "More Blocks" in page)
    order = ["A note with a table and a definition list.1 The body follows.", "body.",
             "1. The lamps in service:", "Lamp Range", "Argand 12 nm", "Wick", "The burning part of the lamp.",
             "2. Two steps:", "1. light the lamp;", "2. open the shutter.", "lamp.light()",
             "After the code, the note’s last words."]
    assert [line for line in second if line in order] == order, second


def test_contents_and_bookmarks_hold_heading_text_without_links(built):
    """`## Level 2 with an [embedded link](/url)` made two contents lines and a link to
    nowhere: each heading is one entry, its link kept only in the heading itself."""
    out, result = built("headings-with-links")
    assert result.returncode == 0 and "FOLIO041" not in result.stderr and not RAW_LOG.search(result.stderr), \
        result.stderr
    pdf = out / "headings-with-links.pdf"
    contents = next(_lines(page) for page in check.pdf_text(pdf) if "Keepers . ." in page)
    entries = [re.sub(r"( ?\.)+ \d+$", "", line) for line in contents if re.search(r"\. \d+$", line)]
    assert entries == ["1 Lights of the Northern Lighthouse Board", "Level 2 with an embedded link",
                       "A heading that links to the other chapter", "A heading with emphasis and a note",
                       "2 Keepers", "Plain section", "3 Foghorns"], contents
    assert check.outline_titles(pdf) == [
        "Contents", "Lights of the Northern Lighthouse Board", "Level 2 with an embedded link",
        "A heading that links to the other chapter", "A heading with emphasis and a note", "Keepers", "Plain section",
        "Foghorns"]   # a chapter title that calls a note: no number in its bookmark
    structure = _structure(pdf)
    assert structure.count("/URI (https://example.org/url)") == 1     # the heading's link, not a copy in the contents


def test_a_pdf_figure_is_described_by_its_caption(built):
    """pandoc writes no alt for a PDF figure: the tagged screen PDF takes the caption,
    without the number of a note it calls, and WeasyPrint has nothing to complain of."""
    out, result = built("figure-alt")
    assert result.returncode == 0 and "FOLIO041" not in result.stderr and not RAW_LOG.search(result.stderr), \
        result.stderr
    structure = _structure(out / "figures-described.pdf")
    assert "/Alt (The beam of a lighthouse, drawn in a PDF.)" in structure
    assert "/Alt (The beam again, with a note in its caption.)" in structure


def test_weasyprint_messages_are_folio_warnings(tmp_path):
    """Math (ziamath logs through the root logger, which then prints every WeasyPrint
    line raw) and an image nobody described: the terminal shows folio warnings only."""
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(BOOKS / "figure-alt" / "beam.pdf", book / "beam.pdf")
    (book / "book.md").write_text("---\ntitle: Said\n---\n\n# One\n\nEinstein wrote $E = mc^2$.\n\n"
                                  "An image in a line, ![](beam.pdf){width=20%}, with nothing to say what it shows.\n",
                                  encoding="utf-8")
    result = run_build("pdf", "--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert not RAW_LOG.search(result.stderr), result.stderr
    assert "warning: FOLIO041: an image in 'One' has no alternative text" in result.stderr, result.stderr


def test_library_messages_are_kept_and_the_loggers_restored():
    from weasyprint import HTML

    from folio.editions import pdf

    class Seen(logging.Handler):
        def __init__(self):
            super().__init__()
            self.records = []

        def emit(self, record):
            self.records.append(record)

    root, weasyprint = logging.getLogger(), logging.getLogger("weasyprint")
    seen = Seen()
    root.addHandler(seen)   # as logging.basicConfig() leaves it
    before = (weasyprint.level, weasyprint.propagate, list(weasyprint.handlers), list(root.handlers))
    try:
        with pdf.library_messages() as said:
            svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>').decode()
            HTML(string=f'<html lang="en"><p>Bad <a href="#nowhere">link</a>'
                        f'<img src="data:image/svg+xml;base64,{svg}"></p>').write_pdf(pdf_variant="pdf/ua-1")
            logging.warning("Undefined element mfoo")   # what ziamath does
        assert (weasyprint.level, weasyprint.propagate, list(weasyprint.handlers), list(root.handlers)) == before
    finally:
        root.removeHandler(seen)
    assert seen.records == []
    messages = [record.getMessage() for record in said]
    assert any("has no required alt description" in m for m in messages), messages
    assert "Undefined element mfoo" in messages

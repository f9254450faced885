"""Setting the text as a typesetter would: every note on the page of its call, no more
than two hyphenated lines in a row, no short line stretched across the measure. The
pages are read back with poppler, not with folio's own record of them."""
from __future__ import annotations

import json
import re
import subprocess

from conftest import BOOKS, run_build
from folio import check, pagemap


def _pages_text(pdf, *options: str) -> list[str]:
    count = check.pdf_boxes(pdf)["pages"]
    return [subprocess.run(["pdftotext", *options, "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for n in range(1, count + 1)]


def _page_of(pages: list[str], needle: str) -> int:
    found = [n for n, text in enumerate(pages, start=1) if needle in " ".join(text.split())]
    assert len(found) == 1, (needle, found)
    return found[0]


def test_every_note_sits_on_the_page_of_its_call(built):
    """Eight notes called near a page's foot: the first layout set some a page late
    (the build says it set the book again), and in both PDFs each note now shares
    its call's page."""
    out, result = built("notes-at-page-foot")
    assert result.returncode == 0, result.stderr
    assert "notes after their call's page" in result.stderr
    for name in ("notes-at-the-foot.pdf", "notes-at-the-foot-print.pdf"):
        pages = _pages_text(out / name)
        for i in range(1, 9):
            assert _page_of(pages, f"Entry{i}call") == _page_of(pages, f"Note{i}text"), (name, i)


def test_every_note_of_the_bundled_book_sits_on_the_page_of_its_call(bundled):
    """The bundled book's notes, located by the words around each call (the record the
    layout keeps is checked by `check`; this reads the PDF)."""
    record = pagemap.PrintPages.load(pagemap.path(bundled, "trotskyism"))
    assert record is not None and record.late_notes == []
    assert check.setting_faults(bundled, "trotskyism", bundled / "trotskyism-print.pdf") == []


def test_a_note_taller_than_a_page_is_set_whole_after_its_call(built):
    out, result = built("tall-note")
    assert result.returncode == 0, result.stderr
    for name in ("a-note-taller-than-a-page.pdf", "a-note-taller-than-a-page-print.pdf"):
        pages = _pages_text(out / name)
        begins, ends = _page_of(pages, "Tallnote begins here."), _page_of(pages, "Tallnote ends here.")
        assert _page_of(pages, "The keeper wrote it all down.") <= begins < ends


def test_check_fails_when_a_note_is_left_on_another_page(built, tmp_path):
    """`check` reports a note the layout could not bring back to its call's page (as it
    recorded it), with the page."""
    import shutil
    source, result = built("notes-at-page-foot")
    out = tmp_path / "out"
    shutil.copytree(source, out)
    record = pagemap.path(out, "notes-at-the-foot")
    data = json.loads(record.read_text(encoding="utf-8"))
    data["late_notes"] = [["fn1", 8, 9]]
    record.write_text(json.dumps(data), encoding="utf-8")
    failed = run_build("--manuscript", str(BOOKS / "notes-at-page-foot"), "--out", str(out), "check")
    assert failed.returncode == 1
    assert "notes: notes-at-the-foot-print.pdf page 9: a note (fn1) is set here, a page after its call on page 8" \
        in failed.stdout


def test_hyphenation_stays_within_a_book_designers_limits(bundled):
    """In the print edition's body: at most 12 % of lines end in a hyphen, never more
    than two in a row, and no line of one or two words is stretched across the measure."""
    pdf = bundled / "trotskyism-print.pdf"
    lines = [line.rstrip() for text in _pages_text(pdf, "-raw") for line in text.splitlines() if line.strip()]
    body = [line for line in lines if len(line.split()) >= 4]
    hyphenated = [line for line in body if re.search(r"[^\W\d_][-\u2010]$", line)]
    assert len(hyphenated) / len(body) <= 0.12, len(hyphenated) / len(body)
    run = longest = 0
    for line in lines:
        run = run + 1 if re.search(r"[^\W\d_][-\u2010]$", line) else 0
        longest = max(longest, run)
    assert longest <= 2
    # stretched short lines: words of a line spread over most of the text block
    measure = 432 - 59 - 45
    layout = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                            check=True).stdout
    stretched = []
    for line in re.findall(r"<line[^>]*>(.*?)</line>", layout, re.S):
        words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', line)
        if 1 < len(words) <= 2 and float(words[-1][1]) - float(words[0][0]) > 0.8 * measure:
            stretched.append(" ".join(w[2] for w in words))
    assert stretched == []

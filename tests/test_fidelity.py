"""What an author wrote reaches every edition as written. A case is a folder under
`tests/books/` with a `shows.yaml`: text the PDF must show (its text layer, one line
each, whitespace collapsed), and markup the HTML and EPUB chapters must contain."""
from __future__ import annotations

import re
import zipfile

import pytest
import yaml

from conftest import BOOKS, build_into
from folio import check

CASES = sorted(p.parent.name for p in BOOKS.glob("*/shows.yaml"))


def _lines(text: str) -> set[str]:
    return {" ".join(line.split()) for line in text.splitlines() if line.strip()}


@pytest.mark.parametrize("case", CASES)
def test_book_shows_what_was_written(case, tmp_path):
    shows = yaml.safe_load((BOOKS / case / "shows.yaml").read_text(encoding="utf-8"))
    out = build_into(tmp_path / "out", BOOKS / case)
    pdf = next(p for p in out.glob("*.pdf") if not p.stem.endswith("-print"))
    lines = _lines("\n".join(check.pdf_text(pdf)))
    missing = [text for text in shows.get("pdf", []) if text not in lines]
    assert not missing, f"not in the PDF: {missing}"
    html = "".join(p.read_text(encoding="utf-8") for p in (out / "html").glob("*.html"))
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        epub = "".join(package.read(n).decode("utf-8") for n in package.namelist() if n.endswith(".xhtml"))
    for markup in shows.get("html", []):
        assert markup in html, f"not in the HTML: {markup}"
        assert re.sub(r"\s+", " ", markup) in epub, f"not in the EPUB: {markup}"

"""What readers who do not see the page get: DAISY Ace (axe-core and the EPUB
accessibility rules, in Debian's Chromium) finds nothing in the bundled book or in any
book of the corpus, and the EPUB declares a raster cover reading systems can show."""
from __future__ import annotations

import zipfile

import pytest

from conftest import BOOKS
from folio import check

CASES = sorted(p.parent.name for p in BOOKS.glob("*/shows.yaml"))


def test_ace_finds_nothing_in_the_bundled_book(bundled):
    epub = next(bundled.glob("*.epub"))
    assert check.ace(epub) == []


@pytest.mark.parametrize("case", CASES)
def test_ace_finds_nothing_in_a_corpus_book(case, built):
    out, result = built(case)
    assert result.returncode == 0, result.stderr
    assert check.ace(next(out.glob("*.epub"))) == []


def test_the_cover_is_a_jpeg_reading_systems_find(bundled):
    """calibre and Kindle conversion take a cover only from a raster `cover-image`
    (or EPUB 2's `<meta name="cover">`); an SVG cover is no cover to them."""
    with zipfile.ZipFile(next(bundled.glob("*.epub"))) as package:
        opf = package.read("OEBPS/content.opf").decode("utf-8")
        jpeg = package.read("OEBPS/cover.jpg")
    assert '<item id="cover-image" href="cover.jpg" media-type="image/jpeg" properties="cover-image"/>' in opf
    assert '<meta name="cover" content="cover-image"/>' in opf
    assert jpeg[:3] == b"\xff\xd8\xff"
    from io import BytesIO
    from PIL import Image
    assert Image.open(BytesIO(jpeg)).size == (1600, 2400)

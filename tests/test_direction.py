"""A right-to-left book (`dir: rtl`, or `lang: ar`, `he`, …) is written right to left in
every edition, its stylesheets mirrored (render.mirrored)."""
import subprocess
import zipfile

from folio.book import _direction
from folio.render import mirrored


def test_the_direction_is_the_authors_or_the_languages():
    assert _direction({"dir": "rtl"}) == "rtl" and _direction({"lang": "ar-EG"}) == "rtl"
    assert _direction({"lang": "he"}) == "rtl" and _direction({"lang": "he", "dir": "ltr"}) == "ltr"
    assert _direction({"lang": "en-GB"}) == "ltr" and _direction({}) == "ltr"


def test_a_stylesheet_is_mirrored_side_for_side():
    css = (".e { margin: 0 0 4pt 1.5em; text-indent: -1.5em; text-align: start; padding-left: 2pt; }\n"
           ".f { float: right; border-left: 1pt solid; margin-right: 1em; }\n@page :left { margin: 1in }")
    assert mirrored(css) == (".e { margin: 0 1.5em 4pt 0; text-indent: -1.5em; text-align: start; padding-right: 2pt; }\n"
                             ".f { float: left; border-right: 1pt solid; margin-left: 1em; }\n@page :left { margin: 1in }")


def test_a_right_to_left_book_turns_its_pages_and_sets_its_text_from_the_right(built):
    out, result = built("right-to-left")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        assert '<spine toc="ncx" page-progression-direction="rtl">' in package.read("OEBPS/content.opf").decode()
        assert "padding-right" in package.read("OEBPS/folio.css").decode()
    layout = subprocess.run(["pdftotext", "-layout", str(out / "pages-read-from-the-right.pdf"), "-"],
                            capture_output=True, text=True, check=True).stdout
    line = next(line for line in layout.splitlines() if "A list item, indented from the right" in line)
    left, right = len(line) - len(line.lstrip()), len(line.rstrip())
    assert left > 20, line   # set against the right edge, not the left

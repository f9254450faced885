"""A right-to-left book (`dir: rtl`, or `lang: ar`, `he`, …) is written right to left in
every edition, its stylesheets mirrored (render.mirrored)."""
import subprocess
import zipfile

from folio.manuscript import direction_of as _direction
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


def test_turning_a_book_right_to_left_sets_every_chapter_again_as_a_cold_build_does(tmp_path):
    """The direction is in every unit's layout key and the furniture's: added to a built
    book, it used to turn only the front matter (the chapters came from the cache)."""
    from conftest import run_build, write_book
    text = ("---\ntitle: Tides\nlang: en\n---\n\n# One\n\nThe harbour board met every week to weigh the tides.\n\n"
            "# Two\n\nThe pilots said the sandbanks had moved again.\n")
    book, out = write_book(tmp_path, text)
    assert run_build("pdf", "--manuscript", str(book), "--out", str(out)).returncode == 0
    (book / "book.md").write_text(text.replace("lang: en\n", "lang: en\ndir: rtl\n"), encoding="utf-8")
    cold = tmp_path / "cold"
    for target in (out, cold):
        result = run_build("pdf", "--manuscript", str(book), "--out", str(target))
        assert result.returncode == 0, result.stderr

    def pages(folder):
        return subprocess.run(["pdftotext", "-layout", str(folder / "tides.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
    assert pages(out) == pages(cold)
    assert ".The pilots said the sandbanks had moved again" in pages(out)   # set from the right

"""The print file a print-on-demand service or a printer takes as it is: the bundled
book made for KDP, IngramSpark and an offset printer, read back with pikepdf and
poppler (not with folio's own checks alone)."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import pikepdf
import pytest

from conftest import BOOKS, ROOT, run_build
from folio import check, press


def with_keys(source, folder, text: str):
    """A copy of a manuscript folder with metadata lines added to its YAML block."""
    shutil.copytree(source, folder)
    book = next(folder.glob("*.md"))
    body = book.read_text(encoding="utf-8")
    assert body.startswith("---\n")
    book.write_text("---\n" + text + body[4:], encoding="utf-8")
    return folder


class Made:
    """The bundled book built once per print target for the run (`conftest.Shared`)."""

    def __init__(self, shared):
        self.shared = shared

    def __call__(self, target: str, *editions: str):
        keys = f"print: {target}\n" + ("isbn: {print: 978-0-306-40615-7, epub: 9781861972712}\n"
                                       if target == "kdp" else "")

        def make(folder):
            manuscript = with_keys(ROOT / "manuscript", folder / "book", keys)
            return run_build("--manuscript", str(manuscript), "--out", str(folder / "out"), *editions)
        folder, result = self.shared("-".join(["press", target, *editions]), make)
        assert result.returncode == 0, result.stderr
        return folder / "book", folder / "out"


@pytest.fixture(scope="session")
def made(shared) -> Made:
    return Made(shared)


def _content_operators(pdf):
    """Every (page, operator, operands) in the pages' content and their form XObjects."""
    found = []

    def walk(number, content, resources, seen):
        for operands, operator in pikepdf.parse_content_stream(content):
            found.append((number, str(operator), operands))
            if str(operator) == "Do" and resources is not None and "/XObject" in resources:
                xobject = resources.XObject.get(str(operands[0]))
                if xobject is not None and xobject.get("/Subtype") == pikepdf.Name.Form \
                        and xobject.objgen not in seen:
                    seen.add(xobject.objgen)
                    walk(number, xobject, xobject.get("/Resources", resources), seen)
    for number, page in enumerate(pdf.pages, start=1):
        walk(number, page, page.obj.get("/Resources"), set())
    return found


@pytest.mark.parametrize("target", ["kdp", "ingramspark"])
def test_a_print_on_demand_interior_is_what_the_service_asks_for(made, target):
    """6 × 9 in with bleed on the top, bottom and outside edge only (6.125 × 9.25 in),
    a PDF/X output intent, black ink only, no links or bookmarks or tags; `check` passes."""
    manuscript, out = made(target)
    path = out / "trotskyism-print.pdf"
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) % 2 == 0 and len(pdf.pages) >= 24
        for number, page in enumerate(pdf.pages, start=1):
            media = [float(v) for v in page.MediaBox]
            trim = [float(v) for v in page.TrimBox]
            bleed = [float(v) for v in page.BleedBox]
            assert (trim[2] - trim[0], trim[3] - trim[1]) == (432, 648), number
            assert (round(media[2] - media[0], 2), round(media[3] - media[1], 2)) == (441, 666), number
            assert bleed == media
            assert trim[1] - media[1] == 9 and media[3] - trim[3] == 9
            if number % 2:   # right-hand page: bound on the left, bleeds on the right
                assert media[0] == trim[0] and media[2] - trim[2] == 9
            else:
                assert media[2] == trim[2] and trim[0] - media[0] == 9
            assert "/Annots" not in page.obj
        assert "/Outlines" not in pdf.Root and "/StructTreeRoot" not in pdf.Root
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == pikepdf.Name.GTS_PDFX and intent.DestOutputProfile.N == 4
        assert str(pdf.docinfo["/GTS_PDFXVersion"]).startswith("PDF/X-1a")
        assert pdf.pdf_version == "1.4"
        operators = _content_operators(pdf)
        rgb = [(n, op) for n, op, _ in operators if op in ("rg", "RG")]
        assert rgb == []
        spaces = {str(operands[0]) for _, op, operands in operators if op in ("cs", "CS")}
        assert spaces <= {"/DeviceCMYK", "/DeviceGray"}, spaces
        # the text is set in black ink: CMYK 0 0 0 1
        fills = {tuple(float(v) for v in operands) for _, op, operands in operators if op == "scn"}
        assert (0, 0, 0, 1) in fills
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Page size:       441 x 666 pts" in info
    result = run_build("--manuscript", str(manuscript), "--out", str(out), "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ingramspark_gets_a_blank_last_page_and_its_signatures(made):
    """Ingram prints its production barcode on a blank last page, and a 6 × 9 in book
    in six-page signatures: folio adds the blank pages itself."""
    _, out = made("ingramspark")
    path = out / "trotskyism-print.pdf"
    pages = check.pdf_boxes(path)["pages"]
    assert pages % 6 == 0
    last = subprocess.run(["pdftotext", "-f", str(pages), "-l", str(pages), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert last.strip() == ""


def test_an_offset_printer_gets_crop_marks_outside_the_bleed(made):
    manuscript, out = made("offset")
    with pikepdf.open(out / "trotskyism-print.pdf") as pdf:
        assert len(pdf.pages) % 16 == 0
        page = pdf.pages[0]
        media, bleed, trim = ([float(v) for v in page.obj[key]] for key in ("/MediaBox", "/BleedBox", "/TrimBox"))
        assert [t - b for t, b in zip(trim, bleed)] == [9, 9, -9, -9]   # bleed on all four sides
        assert bleed[0] - media[0] >= 21 and media[2] - bleed[2] >= 21
        strokes = [operands for _, op, operands in _content_operators(pdf) if op in ("m", "l")]
        outside = [o for o in strokes if float(o[0]) < bleed[0] or float(o[0]) > bleed[2]
                   or float(o[1]) < bleed[1] or float(o[1]) > bleed[3]]
        assert len(outside) >= 16
    result = run_build("--manuscript", str(manuscript), "--out", str(out), "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_reports_rgb_in_a_print_file_with_its_page(made, tmp_path):
    _, out = made("kdp")
    spoiled = tmp_path / "spoiled.pdf"
    with pikepdf.open(out / "trotskyism-print.pdf") as pdf:
        pdf.pages[4].contents_add(pikepdf.Stream(pdf, b"q 0.07 0.07 0.07 rg 72 72 10 10 re f Q"), prepend=False)
        pdf.save(spoiled)
    problems = check.print_file(spoiled, None, (432, 648))
    assert [p.where for p in problems] == ["spoiled.pdf page 5"]
    assert "RGB" in problems[0].message


def test_the_print_edition_without_a_service_is_black_ink_without_links(bundled):
    """Even with no `print:` service named, the print file carries no RGB, links,
    bookmarks or tags."""
    assert check.print_file(bundled / "trotskyism-print.pdf", None, (432, 648)) == []


@pytest.mark.parametrize("keys, said", [
    ("print: kinkos\n", "print: 'kinkos' is not a service folio knows"),
    ("print: kdp\ntrim-size: 6in 8in\n", "does not print a 6 × 8 in book"),
    ("print: kdp\npaper: vellum\n", "paper: 'vellum' is not one"),
    # marks would make the page larger than the trim and bleed, the one size KDP takes
    ("print: kdp\ncrop-marks: true\n", "Amazon KDP paperback takes pages without crop marks"),
])
def test_a_print_setting_the_service_cannot_take_is_an_error_with_its_line(tmp_path, keys, said):
    manuscript = with_keys(BOOKS / "tiny", tmp_path / "book", keys)
    result = run_build("--manuscript", str(manuscript), "--out", str(tmp_path / "out"), "pdf")
    assert result.returncode != 0
    assert "FOLIO043" in result.stderr and said in result.stderr
    assert ":2:" in result.stderr or ":3:" in result.stderr   # the line of the key
    assert "Traceback" not in result.stderr


def test_the_epub_page_list_counts_the_pages_the_service_added(made):
    """The blank pages added for Ingram are print pages too: the EPUB's page-list still
    names every page, each where it begins."""
    from test_accessibility import _assert_pages_begin_where_the_epub_says
    _, out = made("ingramspark")
    entries = _assert_pages_begin_where_the_epub_says(out)
    with pikepdf.open(out / "trotskyism-print.pdf") as pdf:
        front = int(pdf.Root.PageLabels.Nums[2])   # where the arabic folios start
        assert len(entries) == len(pdf.pages) - front


# The cover

KDP_WHITE = 0.002252   # inches a page: KDP's published spine calculator, white paper


def test_the_cover_wraps_back_spine_and_front_at_the_spine_the_pages_make(made):
    """Width = 2 × trim + spine + 2 × bleed, the spine from the print file's real page
    count and the paper's caliper; the trim box leaves the bleed all round."""
    _, out = made("kdp")
    pages = check.pdf_boxes(out / "trotskyism-print.pdf")["pages"]
    with pikepdf.open(out / "trotskyism-cover.pdf") as pdf:
        assert len(pdf.pages) == 1
        media = [float(v) for v in pdf.pages[0].MediaBox]
        trim = [float(v) for v in pdf.pages[0].TrimBox]
        assert pdf.Root.OutputIntents[0].S == pikepdf.Name.GTS_PDFX
    spine = pages * KDP_WHITE
    assert abs((media[2] - media[0]) / 72 - (2 * 6 + spine + 2 * 0.125)) < 0.005
    assert abs((media[3] - media[1]) / 72 - (9 + 2 * 0.125)) < 0.005
    assert [round(t - m, 2) for t, m in zip(trim, media)] == [9, 9, -9, -9]


def test_the_cover_is_a_print_file_no_more(made):
    """No bookmark (WeasyPrint's of the cover's title), no transparency group (the
    barcode's form was one, in a file marked PDF/X-1a), no claim to be tagged, and the
    barcode inside its white box, clear of the trim by a quarter inch."""
    _, out = made("kdp")
    cover = out / "trotskyism-cover.pdf"
    with pikepdf.open(cover) as pdf:
        assert "/Outlines" not in pdf.Root
        assert not any(obj.get("/Group") is not None for obj in pdf.objects
                       if isinstance(obj, (pikepdf.Stream, pikepdf.Dictionary)))
        metadata = pdf.open_metadata()
        assert "pdfuaid:part" not in metadata and metadata.get("pdf:Trapped") == "False"
    assert press.transparency(cover) == []
    with pikepdf.open(out / "trotskyism-print.pdf") as pdf:   # the interior lost its tags: it claims none
        assert "pdfuaid:part" not in pdf.open_metadata()


def test_the_cover_barcode_scans_as_the_isbn(made, tmp_path):
    """zbar, reading the drawn cover as a scanner would, finds the print ISBN."""
    _, out = made("kdp")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(out / "trotskyism-cover.pdf"),
                    str(tmp_path / "cover")], check=True)
    read = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "cover.png")], capture_output=True, text=True)
    assert read.stdout.split() == ["9780306406157"], read.stdout + read.stderr


def test_isbns_reach_the_copyright_page_and_the_epub_identifier(made):
    import zipfile
    _, out = made("kdp")
    text = subprocess.run(["pdftotext", "-f", "3", "-l", "4", str(out / "trotskyism-print.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "ISBN 978-0-306-40615-7 (paperback)" in text and "ISBN 978-1-86197-271-2 (EPUB)" in text
    with zipfile.ZipFile(out / "trotskyism.epub") as package:
        opf = package.read("OEBPS/content.opf").decode("utf-8")
    assert '<dc:identifier id="book-id">urn:isbn:9781861972712</dc:identifier>' in opf


def test_the_epub_cover_is_the_printed_front_cover(made):
    """One cover: the EPUB's JPEG is the wrap's front panel (the title sits on it)."""
    import zipfile
    from io import BytesIO
    from PIL import Image
    _, out = made("kdp")
    with zipfile.ZipFile(out / "trotskyism.epub") as package:
        jpeg = Image.open(BytesIO(package.read("OEBPS/cover.jpg"))).convert("L")
    assert jpeg.size == (1600, 2400)
    assert jpeg.crop((200, 500, 1400, 900)).getextrema()[0] < 100   # the title, dark on the paper
    assert jpeg.getpixel((800, 1300)) > 200                          # paper colour between


@pytest.mark.parametrize("value, said", [
    ("978-0-306-40615-8", "is not valid"),
    ("{print: 9780306406157, ebook: 9781861972712}", "'ebook' is not an edition"),
])
def test_a_bad_isbn_is_an_error_with_its_line(tmp_path, value, said):
    manuscript = with_keys(BOOKS / "tiny", tmp_path / "book", f"isbn: {value}\n")
    result = run_build("--manuscript", str(manuscript), "--out", str(tmp_path / "out"), "pdf")
    assert result.returncode != 0
    assert "FOLIO044" in result.stderr and said in result.stderr and "book.md:2" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_blurb_too_long_for_the_back_cover_is_a_warning_with_its_line(tmp_path):
    blurb = " ".join(["The keeper wrote of storms, ships and the long nights of the winter watch."] * 40)
    manuscript = with_keys(BOOKS / "tiny", tmp_path / "book", f'description: "{blurb}"\n')
    result = run_build("--manuscript", str(manuscript), "--out", str(tmp_path / "out"), "pdf")
    assert result.returncode == 0, result.stderr
    assert re.search(r"book\.md:2: FOLIO046: the description \(\d+ characters\) is too long for the back cover",
                     result.stderr), result.stderr


def _rgb_at(image_path, x: float, y: float) -> tuple[int, int, int]:
    from PIL import Image
    with Image.open(image_path) as image:
        rgb = image.convert("RGB")
        return rgb.getpixel((int(x * rgb.width), int(y * rgb.height)))


def test_the_authors_cover_image_fills_the_front_panel(built, tmp_path):
    """`cover-image:` (red above blue) fills the front panel with its bleed, as a CMYK
    JPEG under the PDF/X intent; the back keeps its blurb and barcode; the EPUB's
    cover is that front panel; a 75 ppi image is warned with its line."""
    import pikepdf
    out, result = built("cover-image")
    assert result.returncode == 0, result.stderr
    assert re.search(r"book\.md:7: FOLIO048: the cover image is 460×694 pixels: 75 ppi", result.stderr)
    cover = out / "a-book-with-its-own-cover-cover.pdf"
    with pikepdf.open(cover) as pdf:
        images = list(pdf.pages[0].get_images().values())
        assert [str(i.ColorSpace) for i in images if i.Width == 460] == ["/DeviceCMYK"]
    assert press.colour_breaches(cover) == []
    subprocess.run(["pdftoppm", "-r", "20", "-png", "-singlefile", str(cover), str(tmp_path / "wrap")], check=True)
    red, blue, back = (_rgb_at(tmp_path / "wrap.png", 0.8, 0.1), _rgb_at(tmp_path / "wrap.png", 0.8, 0.9),
                       _rgb_at(tmp_path / "wrap.png", 0.1, 0.5))
    assert red[0] > 150 and red[2] < 100 and blue[2] > 120 and blue[0] < 100, (red, blue)
    assert min(back) > 200, back   # the back panel is paper, not art
    assert _rgb_at(tmp_path / "wrap.png", 0.999, 0.5)[2] > 120   # to the bleed's edge
    with zipfile.ZipFile(out / "a-book-with-its-own-cover.epub") as epub:
        (tmp_path / "front.jpg").write_bytes(epub.read("OEBPS/cover.jpg"))
        assert not [n for n in epub.namelist() if "images/cover-" in n]   # the art goes in once, as the cover
    top, bottom = _rgb_at(tmp_path / "front.jpg", 0.5, 0.05), _rgb_at(tmp_path / "front.jpg", 0.5, 0.95)
    assert top[0] > 150 and top[2] < 100 and bottom[2] > 120 and bottom[0] < 100, (top, bottom)


@pytest.mark.parametrize("value, said", [
    ("../outside.png", "is not a file in the manuscript folder"),
    ("/etc/hosts", "is not a file in the manuscript folder"),
    ("book.md", "is not a JPEG or PNG image"),
])
def test_a_cover_image_outside_the_folder_or_not_an_image_is_an_error(tmp_path, value, said):
    (tmp_path / "outside.png").write_bytes((BOOKS / "cover-image" / "front.png").read_bytes())
    manuscript = with_keys(BOOKS / "tiny", tmp_path / "book", f"cover-image: {value}\n")
    result = run_build("--manuscript", str(manuscript), "--out", str(tmp_path / "out"), "pdf")
    assert result.returncode != 0
    assert "FOLIO048" in result.stderr and said in result.stderr and "book.md:2" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def _shadings(pdf) -> list:
    """Every gradient in the file, wherever it hangs (read with pikepdf, not press.py)."""
    return [obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and "/ShadingType" in obj]


def test_gradients_and_patterns_print_in_one_ink(built, tmp_path):
    """An SVG figure's gradients, radial gradient and hatched pattern are grey in the
    KDP print file and keep their colours on screen; a figure with transparency, which
    PDF/X-1a forbids, fails `check` with its page."""
    out, result = built("print-gradients")
    assert result.returncode == 0, result.stderr
    with pikepdf.open(out / "gradients-in-print.pdf") as screen:
        assert {str(s.ColorSpace) for s in _shadings(screen)} == {"/DeviceRGB"}
    with pikepdf.open(out / "gradients-in-print-print.pdf") as printed:
        shadings = _shadings(printed)
        assert len(shadings) >= 2 and {str(s.ColorSpace) for s in shadings} == {"/DeviceGray"}
        # The SVGs' forms were transparency groups, which PDF/X-1a forbids; with
        # nothing transparent in them they composite the same without.
        groups = [obj for obj in printed.objects if isinstance(obj, (pikepdf.Stream, pikepdf.Dictionary))
                  and obj.get("/Group") is not None]
        assert groups == []
    assert press.transparency(out / "gradients-in-print-print.pdf") == []
    assert press.colour_breaches(out / "gradients-in-print-print.pdf") == []
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "print-gradients", book)
    figure = book / "figure.svg"
    figure.write_text(figure.read_text(encoding="utf-8").replace('fill="url(#hatch)"',
                                                                  'fill="url(#hatch)" opacity="0.5"'), encoding="utf-8")
    assert run_build("--manuscript", str(book), "--out", str(tmp_path / "out")).returncode == 0
    failed = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"), "check")
    assert failed.returncode == 1
    assert re.search(r"gradients-in-print-print\.pdf page \d+: an opacity of 0\.5 .*PDF/X-1a allows no transparency",
                     failed.stdout), failed.stdout
    with pikepdf.open(tmp_path / "out" / "gradients-in-print-print.pdf") as printed:   # a real one stays, and is said
        assert any(obj.get("/Group") is not None for obj in printed.objects if isinstance(obj, pikepdf.Stream))
    said = [what for _, what in press.transparency(tmp_path / "out" / "gradients-in-print-print.pdf")]
    assert any(what.startswith("a transparency group") for what in said), said


def test_every_edition_builds_with_no_system_tool_on_the_path(tmp_path, monkeypatch):
    """A new machine has only Python: no poppler, qpdf or Chromium. The build needs none
    of them (the EPUB's cover is drawn by pdfium from its wheel), cover art and all."""
    import os
    import zipfile
    from io import BytesIO
    from PIL import Image
    from folio import cover
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_build("--manuscript", str(BOOKS / "cover-image"), "--out", str(tmp_path / "out"),
                       env={**os.environ, "PATH": str(empty)})
    assert result.returncode == 0, result.stderr
    made = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert [name for name in made if name.endswith((".pdf", ".epub"))] == [
        "a-book-with-its-own-cover-cover.pdf", "a-book-with-its-own-cover-print.pdf",
        "a-book-with-its-own-cover.epub", "a-book-with-its-own-cover.pdf"]
    with zipfile.ZipFile(tmp_path / "out" / "a-book-with-its-own-cover.epub") as package:
        front = Image.open(BytesIO(package.read("OEBPS/cover.jpg"))).convert("RGB")
    (red, _, blue), (red_below, _, blue_below) = front.getpixel((800, 120)), front.getpixel((800, 2280))
    assert front.size == (1600, 2400) and red > 150 > blue and blue_below > 120 > red_below   # red above blue
    # the cover drawn from its SVG design (an EPUB built without the print wrap)
    monkeypatch.setenv("PATH", str(empty))
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="2400"><rect width="1600" height="2400" '
           'fill="#fff"/><rect x="0" y="0" width="800" height="1200" fill="#000"/></svg>')
    drawn = Image.open(BytesIO(cover.raster(svg))).convert("L")
    assert drawn.size == (1600, 2400)
    assert drawn.getpixel((400, 600)) < 30 and drawn.getpixel((1200, 1800)) > 225


def _normalised(path) -> bytes:
    """The file's objects renumbered in the order they are reached (qpdf's QDF form):
    two files that differ only in how their objects are numbered and placed compare equal."""
    from io import BytesIO
    written = BytesIO()
    with pikepdf.open(path) as pdf:
        pdf.save(written, qdf=True, object_stream_mode=pikepdf.ObjectStreamMode.disable, deterministic_id=True)
    return written.getvalue()


def test_an_edits_print_file_cut_beside_the_stitch_is_the_print_steps(tmp_path):
    """After an edit the stitch cuts the print file from the patched book in a process
    of its own while it writes the screen book (editions/pdf._cut_print_beside). For a
    KDP book (binding bleed cut, blank pages added, output intent, PDF 1.4) that file is
    the one the print step cuts from the stitched book, object for object. A plan that
    changed since the last print (another service) is not taken."""
    import sys
    from folio.pipeline import Options
    book, out = with_keys(BOOKS / "incremental", tmp_path / "book", "print: kdp\n"), tmp_path / "out"
    printed = out / "the-harbour-board-print.pdf"
    assert run_build("--manuscript", str(book), "--out", str(out), "pdf").returncode == 0
    source = book / "book.md"
    source.write_text(source.read_text(encoding="utf-8").replace("met every 7 weeks", "met, by lamplight, every 7 weeks", 1),
                      encoding="utf-8")
    edited = run_build("--manuscript", str(book), "--out", str(out), "pdf")
    assert edited.returncode == 0, edited.stderr
    assert re.search(r"stitch \d+ pages of 1 of \d+ parts put in place", edited.stderr), edited.stderr
    assert "print cut beside the stitch" in edited.stderr, edited.stderr
    beside = tmp_path / "beside.pdf"
    shutil.copyfile(printed, beside)
    with pikepdf.open(beside) as pdf:
        assert pdf.pdf_version == "1.4" and "/OutputIntents" in pdf.Root and len(pdf.pages) >= 24
    # The print step once more on the same stitched book, with nothing cut beside it.
    again = subprocess.run([sys.executable, "-m", "folio.worker", "print", Options(book, out).encode()],
                           cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0 and "beside" not in again.stderr, again.stderr
    assert _normalised(beside) == _normalised(printed)
    # Another service (Lulu: bleed at the binding edge too) with the next edit.
    source.write_text(source.read_text(encoding="utf-8").replace("by lamplight", "by candlelight", 1)
                      .replace("print: kdp", "print: lulu", 1), encoding="utf-8")
    moved = run_build("--manuscript", str(book), "--out", str(out), "pdf")
    assert moved.returncode == 0 and "put in place" in moved.stderr, moved.stderr
    assert "print cut beside the stitch" not in moved.stderr, moved.stderr
    with pikepdf.open(printed) as pdf:   # Lulu's cut: the right-hand page bleeds at the binding edge too
        page = pdf.pages[0].obj
        assert float(page.MediaBox[0]) < float(page.TrimBox[0])


def test_the_print_cut_beside_the_stitch_is_only_a_head_start(tmp_path, monkeypatch):
    """No process to fork (a process limit, no memory): the stitch goes on without the
    cut, and the print step cuts the file itself. A file cut beside that is not a plain
    file in the state folder (a link to one elsewhere), or whose hash is not the one its
    record was signed with, is not taken; what a killed child left is removed."""
    import os
    from folio import stitch
    from folio.editions import pdf
    from folio.paths import PRINT_BESIDE, PRINT_BESIDE_RECORD

    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")
    monkeypatch.setattr(os, "fork", no_fork)
    assert pdf._cut_print_beside(None, None, (), tmp_path) is None and pdf._join_print_beside(None) is None
    monkeypatch.undo()

    plan = press.Plan(9.0, "kdp", False, "A Title", "2026-11-27", 4, True)
    book_pdf, outside = tmp_path / "book.pdf", tmp_path / "elsewhere.pdf"
    book_pdf.write_bytes(b"%PDF-1.7 the screen book")
    outside.write_bytes(b"%PDF-1.4 a print file")
    state = tmp_path / "state"
    state.mkdir()

    def signed(file_bytes: bytes, link: bool = False) -> None:
        (state / PRINT_BESIDE).unlink(missing_ok=True)
        if link:
            (state / PRINT_BESIDE).symlink_to(outside)
        else:
            (state / PRINT_BESIDE).write_bytes(file_bytes)
        pdf._sign_print_beside(state, stitch._file_digest(book_pdf), plan, (2, stitch._file_digest(outside)))

    signed(outside.read_bytes())
    assert pdf._take_print_beside(state, book_pdf, plan, tmp_path / "taken.pdf") == 2
    assert (tmp_path / "taken.pdf").read_bytes() == outside.read_bytes()
    assert not (state / PRINT_BESIDE).exists() and not (state / PRINT_BESIDE_RECORD).exists()
    signed(b"", link=True)
    assert pdf._take_print_beside(state, book_pdf, plan, tmp_path / "linked.pdf") is None
    signed(outside.read_bytes())   # a record folio did not sign
    (state / PRINT_BESIDE_RECORD).write_bytes(b"\0" * 32 + (state / PRINT_BESIDE_RECORD).read_bytes()[32:])
    assert pdf._take_print_beside(state, book_pdf, plan, tmp_path / "unsigned.pdf") is None
    signed(outside.read_bytes() + b" and a byte more")
    assert pdf._take_print_beside(state, book_pdf, plan, tmp_path / "changed.pdf") is None
    signed(outside.read_bytes())
    other = press.Plan(9.0, "kdp", True, "A Title", "2026-11-27", 4, True)   # crop marks asked for since
    assert pdf._take_print_beside(state, book_pdf, other, tmp_path / "other.pdf") is None
    assert not any(tmp_path.glob("linked.pdf")) and not any(tmp_path.glob("changed.pdf"))
    assert not any(tmp_path.glob("unsigned.pdf"))
    for left in (f".{PRINT_BESIDE}.a1b2c3", f".pikepdf.{PRINT_BESIDE}.tmp"):
        (state / left).write_bytes(b"half written")
    pdf._forget_print_beside(state)
    assert list(state.iterdir()) == []


def test_the_cover_steps_page_count_is_the_print_files(tmp_path):
    """The cover and the page list are made beside the stitch, from the layout alone
    (editions/pdf.cover_and_pages): the print file a service pads with blank pages
    must have the page count they were made for, and a print step that finds
    otherwise fails, naming the page list, rather than ship a wrong spine."""
    import json
    import sys
    from folio.pipeline import Options
    book, out = with_keys(BOOKS / "incremental", tmp_path / "book", "print: ingramspark\n"), tmp_path / "out"
    built = run_build("--manuscript", str(book), "--out", str(out), "pdf", "-j", "2")
    assert built.returncode == 0, built.stderr
    pages_file = next(out.glob(".folio/*/print-pages.json"))
    listed = json.loads(pages_file.read_text(encoding="utf-8"))
    with pikepdf.open(next(out.glob("*-print.pdf"))) as printed:
        count = len(printed.pages)
    laid = json.loads(next(out.glob(".folio/*/layout/book.json")).read_text(encoding="utf-8"))
    assert listed["pages"] == count > laid["total"]   # the service's blank pages: counted by both
    listed["pages"] += 2
    pages_file.write_text(json.dumps(listed), encoding="utf-8")
    again = subprocess.run([sys.executable, "-m", "folio.worker", "print", Options(book, out).encode()],
                           cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 1 and "FOLIO070" in again.stderr and "print-pages.json" in again.stderr, again.stderr
    assert "Traceback" not in again.stderr


def test_a_changed_service_or_paper_makes_the_cover_and_page_list_again(tmp_path):
    """The cover step reads the service and the paper from the manuscript: cream paper
    widens the spine, another service pads the book otherwise, and the print file,
    the page list and the cover agree after each change without a `clean`."""
    import json
    book, out = with_keys(BOOKS / "incremental", tmp_path / "book", "print: kdp\npaper: white\n"), tmp_path / "out"
    source = book / "book.md"
    spines, counts = [], []
    for before, after in ((None, None), ("paper: white", "paper: cream"), ("print: kdp", "print: lulu")):
        if before:
            source.write_text(source.read_text(encoding="utf-8").replace(before, after, 1), encoding="utf-8")
        built = run_build("--manuscript", str(book), "--out", str(out), "pdf")
        assert built.returncode == 0, built.stderr
        listed = json.loads(next(out.glob(".folio/*/print-pages.json")).read_text(encoding="utf-8"))
        with pikepdf.open(next(out.glob("*-print.pdf"))) as printed:
            assert listed["pages"] == len(printed.pages)
            counts.append(len(printed.pages))
        spines.append(listed["cover"]["spine"])
    assert spines[1] > spines[0]   # cream paper is thicker
    assert counts[2] != counts[1]  # KDP and Lulu pad this book to different counts


def test_a_book_with_an_isbn_and_no_print_service_passes_check(tmp_path):
    """The barcode is drawn in a form WeasyPrint makes an RGB-blended transparency
    group; every cover is printed in CMYK, so without a named service too the group
    goes (nothing on the cover is transparent) and `check` passes the cover."""
    from conftest import write_book
    manuscript, out = write_book(tmp_path, "---\ntitle: Barcode\nauthor: Ada Keeper\n"
                                           "isbn: 978-0-306-40615-7\n---\n\n# One\n\nThe keeper's log.\n")
    built = run_build("--manuscript", str(manuscript), "--out", str(out))
    assert built.returncode == 0, built.stderr
    with pikepdf.open(out / "barcode-cover.pdf") as cover:
        groups = [o for o in cover.objects if isinstance(o, pikepdf.Stream) and "/Group" in o]
        assert not groups
    checked = run_build("--manuscript", str(manuscript), "--out", str(out), "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr

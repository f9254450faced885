"""`build.py check`: passes on the bundled book, and each check fails on a book made to fail it."""
from __future__ import annotations

import shutil
import subprocess
import zipfile

import pytest

from conftest import BOOKS, ROOT, build_into, run_build
from folio import check


def _check(manuscript, out):
    return run_build("check", "--manuscript", str(manuscript), "--out", str(out))


def test_check_passes_on_the_bundled_book(bundled):
    result = _check(ROOT / "manuscript", bundled)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stderr


def test_check_ignores_what_code_samples_show(tmp_path):
    """A manual about Markdown shows `[@doe99]`, `???` and `<img ...>` in code: not problems."""
    out = build_into(tmp_path, BOOKS / "code-samples")
    result = _check(BOOKS / "code-samples", out)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("book, expected", [
    ("preflight-overflow", "overflow: preflight-overflow.pdf page"),
    ("preflight-lowres", "prints at 26 dpi"),
    ("preflight-unresolved", "unresolved citation '???'"),
    ("preflight-deadlink", "'#appendix-that-was-cut' points to a missing id"),
])
def test_check_fails_with_the_right_message(tmp_path, book, expected):
    out = build_into(tmp_path, BOOKS / book)
    result = _check(BOOKS / book, out)
    assert result.returncode == 1
    assert expected in result.stdout


def test_check_fails_when_page_boxes_differ_from_the_trim(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "tiny", book)
    out = build_into(tmp_path / "out", book, "pdf")
    build_into(out, book, "epub")
    build_into(out, book, "html")
    text = (book / "book.md").read_text()
    (book / "book.md").write_text(text.replace("publisher:", "trim-size: 5in 8in\npublisher:", 1))
    result = _check(book, out)
    assert result.returncode == 1
    assert "trim is 432.0×648.0 pt, expected 360.0×576.0 pt" in result.stdout


def test_check_fails_on_an_invalid_epub(tmp_path):
    out = build_into(tmp_path / "out", BOOKS / "tiny")
    epub = out / "field-notes-on-lighthouses.epub"
    with zipfile.ZipFile(epub) as package:
        files = {n: package.read(n) for n in package.namelist()}
    files["OEBPS/content.opf"] = files["OEBPS/content.opf"].replace(b"<dc:language>", b"<dc:langauge>", 1)
    with zipfile.ZipFile(epub, "w") as package:
        for name, data in files.items():
            package.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    result = _check(BOOKS / "tiny", out)
    assert result.returncode == 1 and "epubcheck:" in result.stdout


def _pdf_with_unembedded_font(path):
    """A one-page PDF that names Helvetica without embedding it, as some tools write."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 432 648] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
               None, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    stream = b"BT /F1 12 Tf 72 600 Td (Hello) Tj ET"
    objects[3] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def test_font_check_catches_an_unembedded_font(tmp_path, bundled):
    pdf = tmp_path / "foreign.pdf"
    _pdf_with_unembedded_font(pdf)
    assert [p.message for p in check.unembedded_fonts(pdf)] == ["font Helvetica is not embedded"]
    assert check.unembedded_fonts(bundled / "trotskyism.pdf") == []


def test_two_builds_are_byte_identical(tmp_path):
    first = build_into(tmp_path / "a", BOOKS / "tiny")
    second = build_into(tmp_path / "b", BOOKS / "tiny")
    for name in ("field-notes-on-lighthouses.pdf", "field-notes-on-lighthouses-print.pdf",
                 "field-notes-on-lighthouses.epub", "html/why.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_source_date_epoch_sets_the_dates(tmp_path):
    import os
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    result = run_build("--manuscript", str(BOOKS / "tiny"), "--out", str(tmp_path), "pdf", env=env)
    assert result.returncode == 0, result.stderr
    info = check.pdf_boxes(tmp_path / "field-notes-on-lighthouses.pdf")["info"]
    assert "Nov 14" in info and "2023" in info


def test_print_edition_has_trim_and_bleed_on_every_page(bundled):
    info = check.pdf_boxes(bundled / "trotskyism-print.pdf")
    for boxes in info["boxes"]:
        assert boxes["TrimBox"] == (0.0, 0.0, 432.0, 648.0)
        assert boxes["BleedBox"] == (-9.0, -9.0, 441.0, 657.0)
    assert check.boxes_match(bundled / "trotskyism-print.pdf", 432, 648, 9) == []


def test_crop_marks_on_request(tmp_path):
    import subprocess
    from PIL import Image
    out = build_into(tmp_path, BOOKS / "tiny", "pdf", "--crop-marks")
    png = tmp_path / "corner"
    subprocess.run(["pdftoppm", "-r", "144", "-f", "1", "-l", "1", "-png", str(out / "field-notes-on-lighthouses-print.pdf"),
                    str(png)], check=True)
    image = Image.open(next(tmp_path.glob("corner*.png"))).convert("L")
    # The sheet is 27 pt larger than the bleed box; the mark runs from 3 to 21 pt
    # outside the bleed, level with the trim edge (9 pt inside the bleed box): at
    # 144 dpi, rows near 72 px and columns 12 to 48 px. The bleed itself stays clean.
    info = check.pdf_boxes(out / "field-notes-on-lighthouses-print.pdf")["boxes"][0]
    assert info["MediaBox"][0] <= info["BleedBox"][0] - 21
    mark = [image.getpixel((x, y)) for x in range(14, 46) for y in range(69, 76)]
    assert min(mark) < 128, "no crop mark outside the bleed"
    bleed = [image.getpixel((x, y)) for x in range(56, 70) for y in range(56, 70)]
    assert min(bleed) > 200, "a mark drawn inside the bleed, where it is cut off"


def test_screen_edition_is_tagged_bookmarked_and_titled(bundled):
    import json
    import subprocess
    info = check.pdf_boxes(bundled / "trotskyism.pdf")
    assert info["tagged"] and "Title:           Trotskyism" in info["info"]
    titles = check.outline_titles(bundled / "trotskyism.pdf")
    assert {"Contents", "Introduction", "Weakness of the capitalists", "Bibliography", "Index"} <= set(titles)


def structure_faults(path) -> tuple[int, list]:
    """How many marked runs a tagged PDF's pages draw, and what is wrong in how its
    structure tree holds them: a run held by another element than the one the parent
    tree names for it, a plain span of ids only left (what folding removes), a link
    annotation whose parent-tree entry is not the element that holds it."""
    import re
    import pikepdf
    from folio.stitch import tree_items
    faults: list = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root.StructTreeRoot
        parents = {int(key): value for key, value in tree_items(root.ParentTree, "/Nums")}
        held: dict = {}   # (page objgen, mcid) -> element objgen
        holds: dict = {}  # annotation objgen -> element objgen

        def walk(element):
            kids = element.get("/K")
            kids = kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
            if element.get("/S") == "/Span" and kids and all(isinstance(k, int) for k in kids) \
                    and set(element.keys()) <= {"/Type", "/S", "/P", "/K", "/Pg"}:
                faults.append(("plain span", element.objgen))
            for kid in kids:
                if isinstance(kid, int):
                    held[(element.Pg.objgen, kid)] = element.objgen
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    held[(kid.Pg.objgen, int(kid.MCID))] = element.objgen
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                    holds[kid.Obj.objgen] = element.objgen
                elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    walk(kid)
        walk(root.K[0])
        drawn = 0
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    entry = parents.get(int(annotation.StructParent))
                    if entry is None or holds.get(annotation.objgen) != entry.objgen:
                        faults.append(("annotation", page.index))
            if "/StructParents" not in page.obj:
                continue
            mapping = parents[int(page.obj.StructParents)]
            contents = page.obj.Contents
            data = b"\n".join(c.read_bytes() for c in (contents if isinstance(contents, pikepdf.Array) else [contents]))
            for mcid in map(int, re.findall(rb"/MCID (\d+)", data)):
                drawn += 1
                if held.get((page.obj.objgen, mcid)) != mapping[mcid].objgen:
                    faults.append(("run", page.index, mcid))
    return drawn, faults


def test_screen_edition_structure_tree_maps_every_marked_run_both_ways(bundled):
    """The stitched structure tree, after WeasyPrint's per-line text spans were folded
    into their paragraphs (folio/tags.py): every marked-content id drawn on a page is
    held by exactly the element the parent tree names for it, each link annotation by
    the element its entry names, and no element is left a plain span of ids only."""
    drawn, faults = structure_faults(bundled / "trotskyism.pdf")
    assert drawn > 3000 and not faults, faults[:10]   # 3,451 runs: index marks, names and page numbers are no spans (marks.py, locators.py)


def test_every_link_annotation_is_held_by_a_link_element(bundled):
    """PDF/UA looks for each link annotation in a Link structure element: WeasyPrint
    hangs some in an element inside the link's (the contents' chapter numbers, a
    glossary term's kept words, a citation's parts), which folio moves up to the link
    (tags.annotations_in_their_links). Each object reference names the annotation's
    page, and is written inside its element (tags.inline_object_references), not as
    an object of its own."""
    import pikepdf
    with pikepdf.open(bundled / "trotskyism.pdf") as book:
        parents = pikepdf.NumberTree(book.Root.StructTreeRoot.ParentTree)
        checked, astray = 0, []
        for number, page in enumerate(book.pages):
            for annotation in page.obj.get("/Annots", []):
                element = parents[int(annotation.StructParent)]
                held = [kid for kid in element.K if isinstance(kid, pikepdf.Dictionary)
                        and kid.get("/Type") == "/OBJR" and kid.Obj.objgen == annotation.objgen]
                if element.S != "/Link" or len(held) != 1 or held[0].Pg.objgen != page.obj.objgen:
                    astray.append((number, str(element.S), len(held)))
                checked += 1
        standalone = [o.objgen for o in book.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/OBJR"]
    assert checked > 900 and astray == [] and standalone == []


def test_check_finds_a_passage_missing_from_an_edition(tmp_path):
    """The conservation check runs in `check` too, on the editions as they are on disk."""
    out = build_into(tmp_path, BOOKS / "no-headings")
    assert _check(BOOKS / "no-headings", out).returncode == 0
    page = next(p for p in (out / "html").glob("*.html") if "every one of them" in p.read_text(encoding="utf-8"))
    page.write_text(page.read_text(encoding="utf-8").replace(
        "It is one letter, in three paragraphs, and every one of them must reach every edition.", ""),
        encoding="utf-8")
    result = _check(BOOKS / "no-headings", out)
    assert result.returncode == 1
    assert "conservation: HTML, manuscript line 7" in result.stdout and "it is one letter" in result.stdout


def test_page_labels_match_the_printed_folios(bundled):
    """Roman numerals for the front matter, arabic from the first chapter: the PDF's
    page label 1 is the page printed 1 (its folio read back with poppler)."""
    import json
    import subprocess
    for name in ("trotskyism.pdf", "trotskyism-print.pdf"):
        path = bundled / name
        labels = json.loads(subprocess.run(["qpdf", "--json", "--json-key=pagelabels", str(path)],
                                           capture_output=True, text=True, check=True).stdout)["pagelabels"]
        assert [(entry["index"], entry["label"]["/S"]) for entry in labels] == [(0, "/r"), (labels[1]["index"], "/D")]
        first = labels[1]["index"] + 1
        opening = subprocess.run(["pdftotext", "-f", str(first), "-l", str(first), str(path), "-"],
                                 capture_output=True, text=True, check=True).stdout.split()
        assert opening[-1] == "1" and "Introduction" in opening


def test_folios_and_running_heads_are_pagination_artifacts(bundled):
    """The screen edition's folios and running heads (page furniture, laid over each
    page) are marked /Artifact /Pagination, outside the structure tree, so a screen
    reader does not read them on every page; the text they mark is on the page."""
    import pikepdf
    with pikepdf.open(bundled / "trotskyism.pdf") as pdf:
        furnished = 0
        for page in pdf.pages:
            inside, found = [], False
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) in ("BDC", "BMC"):
                    inside.append(str(operands[0]))
                elif str(operator) == "EMC" and inside:
                    inside.pop()
                elif str(operator) == "Do" and str(operands[0]) == "/FolioFurniture":
                    assert inside and inside[-1] == "/Artifact", "furniture outside an artifact"
                    found = True
            furnished += found
        labels = pdf.Root.PageLabels.Nums
        assert furnished >= len(pdf.pages) * 0.7, furnished
    first_chapter_page = int(labels[2]) + 1
    text = subprocess.run(["pdftotext", "-f", str(first_chapter_page + 1), "-l", str(first_chapter_page + 1),
                           str(bundled / "trotskyism.pdf"), "-"], capture_output=True, text=True).stdout
    assert text.split()[0] == "2"   # the folio of the page after the first chapter opens


def test_named_destinations_are_every_link_target_but_no_index_mark_nothing_links_to(bundled):
    """The screen PDF names the anchor of every link, and keeps the author's anchors
    nothing links to (a reader may link to them from outside); an index mark's anchor
    is named only if a link leads to it (the index links to one mark a page)."""
    import pikepdf
    from folio.stitch import tree_items
    with pikepdf.open(bundled / "trotskyism.pdf") as pdf:
        names = {str(name) for name, _ in tree_items(pdf.Root.Names.Dests, "/Names")}
        targets = {str(annotation.Dest) for page in pdf.pages for annotation in page.obj.get("/Annots", [])
                   if "/Dest" in annotation}
    assert targets and targets <= names
    assert {name for name in names if name.startswith("ix-")} <= targets
    assert any(name.startswith("ix-") for name in names)
    assert {name for name in names - targets if not name.startswith("ix-")}, "no unlinked anchor of the author's kept"

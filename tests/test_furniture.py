"""Page furniture (folio/furniture.py): every page's folio and running head, laid out
as strips on tall sheets and cut into one page per page of the book."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import BOOKS

# One worker runs the whole module, so its module-scoped build is made once.
pytestmark = pytest.mark.xdist_group("furniture")

CASE = BOOKS / "running-heads"
DPI = 100


def _ink_boxes(pdf: Path, tmp: Path, first: int, last: int) -> dict:
    """Each page's rendering (1-based page number -> PIL image), grey, at DPI."""
    from PIL import Image
    prefix = tmp / f"{pdf.stem}-{first}"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-f", str(first), "-l", str(last), str(pdf), str(prefix)],
                   check=True)
    return {int(path.stem.rsplit("-", 1)[1]): Image.open(path) for path in tmp.glob(f"{prefix.name}-*.pgm")}


def _settings():
    from folio.editions.pdf import PageSettings
    return PageSettings(width="6in", height="9in", bleed="0.125in", for_print=True)


class _Meta:
    lang = "en"
    dir = "ltr"
    title = "A Title"


PAGES = [("foot", "i", ""), ("none", "", ""), ("foot", "iii", ""), ("none", "", ""),
         ("foot", "1", ""), ("head", "2", "A Title"), ("head", "3", "The First Chapter"), ("head", "4", "A Title"),
         ("foot", "5", ""), ("head", "6", "A Title"), ("head", "7", "Ærø & <Ünïcode> “Quotes”"),
         ("none", "", ""), ("foot", "1,729", ""), ("head", "1,730", "A Title")]


def test_strips_sit_exactly_where_the_margin_boxes_set_the_furniture(tmp_path):
    """The strips, cut into pages, draw each folio and running head on the very pixels
    the earlier design (a WeasyPrint page per page, its margin boxes) drew them on:
    recto and verso, head and foot, blank pages, a wide folio, markup characters."""
    import jinja2
    from weasyprint import HTML
    from folio import fonts, furniture
    from folio.safety import make_fetcher
    settings = _settings()
    cut = tmp_path / "strips.pdf"
    furniture.lay_out(PAGES, _Meta(), settings, cut)
    template = jinja2.Environment(autoescape=True).from_string((CASE / "margin-boxes.html").read_text(encoding="utf-8"))
    markup = template.render(meta=_Meta(), settings=settings, pages=PAGES, font_faces=fonts.font_faces_css(),
                             family=fonts.FAMILY)
    boxes = tmp_path / "margin-boxes.pdf"
    HTML(string=markup, url_fetcher=make_fetcher((fonts.FONT_DIR,), {})).render().write_pdf(boxes)
    import pikepdf
    with pikepdf.open(cut) as made, pikepdf.open(boxes) as earlier:
        assert len(made.pages) == len(earlier.pages) == len(PAGES)
        for ours, theirs in zip(made.pages, earlier.pages):
            assert list(ours.mediabox) == list(theirs.mediabox) and list(ours.trimbox) == list(theirs.trimbox)
    from PIL import ImageChops
    ours, theirs = _ink_boxes(cut, tmp_path, 1, len(PAGES)), _ink_boxes(boxes, tmp_path, 1, len(PAGES))
    inked = 0
    for number, (kind, _, _) in enumerate(PAGES, 1):
        assert ImageChops.difference(ours[number], theirs[number]).getbbox() is None, f"page {number} differs"
        inked += ours[number].point(lambda v: v < 128 and 255).getbbox() is not None
    assert inked == sum(kind != "none" for kind, _, _ in PAGES)


def test_the_cut_refuses_a_strip_that_draws_more_than_text(tmp_path, monkeypatch):
    """A template that draws a rule would lose it in the cut: the cut says so."""
    from folio import furniture
    from folio.render import render as real_render

    def ruled(name, **values):
        return real_render(name, **values).replace("</style>", ".strip { border-top: 1pt solid black; }</style>")
    monkeypatch.setattr("folio.render.render", ruled)
    with pytest.raises(RuntimeError, match="draws"):
        furniture.lay_out(PAGES, _Meta(), _settings(), tmp_path / "ruled.pdf")


@pytest.fixture(scope="module")
def heads(tmp_path_factory):
    """The running-heads book's screen PDF, built once."""
    from conftest import build_into
    out = build_into(tmp_path_factory.mktemp("running-heads"), CASE, "pdf")
    return next(path for path in out.glob("*.pdf") if not path.stem.endswith(("-print", "-cover")))


def _furniture_text(book, number: int) -> str:
    """The text of the furniture the stitch laid over page `number` (0-based)."""
    import pikepdf
    form = book.pages[number].obj.get("/Resources", {}).get("/XObject", {}).get("/FolioFurniture")
    if form is None:
        return ""
    fonts = form.Resources.Font
    words = []
    for operands, operator in pikepdf.parse_content_stream(form):
        if str(operator) == "Tf":
            font = fonts[str(operands[0])]
        elif str(operator) == "TJ":
            words.append(_decode(font, operands[0]))
    return " ".join(words)


def _decode(font, array) -> str:
    """Glyph codes to text through the font's ToUnicode map (WeasyPrint's subsets)."""
    import re
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    table = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    wide = str(font.Subtype) == "/Type0"
    out = []
    for item in array:
        if isinstance(item, (int, float)) or not hasattr(item, "__bytes__"):
            if float(item) < -200:
                out.append(" ")
            continue
        data = bytes(item)
        codes = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)] if wide else list(data)
        out += [table.get(code, "") for code in codes]
    return "".join(out)


def _page_of(book, destination) -> int:
    import pikepdf
    if not isinstance(destination, pikepdf.Array):
        destination = pikepdf.NameTree(book.Root.Names.Dests)[str(destination)]
    return book.pages.index(pikepdf.Page(destination[0]))


def test_each_page_has_its_folio_and_its_chapters_running_head(heads):
    """Every furnished page of the screen PDF prints its own page label as its folio;
    a verso's running head is the book's title, a recto's its chapter's title, or
    as much of it as fits, cut after a word, with an ellipsis."""
    import pikepdf
    with pikepdf.open(heads) as book:
        title = str(book.docinfo.Title)
        chapters = [(_page_of(book, item.destination), item.title) for item in pikepdf.Outline(book).root]
        furnished = shortened = 0
        for number, page in enumerate(book.pages):
            text = _furniture_text(book, number)
            if not text:
                continue
            furnished += 1
            assert page.label in text.split(), (number, page.label, text)
            head = text.replace(page.label, "", 1).strip()
            if not head:
                continue
            whole = title if number % 2 else max((c for c in chapters if c[0] <= number), key=lambda c: c[0])[1]
            assert head == whole.lower() or (head.endswith("\u2026") and whole.lower().startswith(head[:-1])), \
                (number, head, whole)
            shortened += head.endswith("\u2026")
        assert furnished >= len(book.pages) // 2
        assert shortened


def test_a_running_head_too_long_for_its_line_ends_inside_the_text_block(heads, tmp_path):
    """The book's title and a chapter's title are each longer than a line: the running
    head stays on its one line, ink only within the text block, cut short with an
    ellipsis before it reaches the folio; what the PDF's text says is what is seen."""
    import pikepdf
    with pikepdf.open(heads) as book:
        width = float(book.pages[0].trimbox[2])
        long_heads = [n for n in range(len(book.pages)) if "\u2026" in _furniture_text(book, n)]
    assert {n % 2 for n in long_heads} == {0, 1}, long_heads   # versos and rectos
    scale = DPI / 72
    inner, outer, top = 59, 45, 52
    for number in long_heads[:2] + long_heads[-2:]:
        image = _ink_boxes(heads, tmp_path, number + 1, number + 1)[number + 1]
        bleed = (image.width / scale - width) / 2
        band = image.crop((0, 0, image.width, int((bleed + top) * scale)))
        left, upper, right, lower = band.point(lambda v: v < 128 and 255).getbbox()
        text_block = (bleed + (outer if number % 2 else inner), bleed + width - (inner if number % 2 else outer))
        assert text_block[0] * scale - 2 <= left and right <= text_block[1] * scale + 2, (number, left, right)
        assert (lower - upper) / scale < 14, f"page {number + 1}: the running head takes more than one line"


def test_an_image_in_a_strip_is_cut_onto_its_own_page(tmp_path):
    """WeasyPrint draws a colour emoji as an image (`Do`, placed by the `cm`s around
    it), not as text: the cut puts it on its strip's page, with its image."""
    import base64
    import io
    import pikepdf
    from PIL import Image
    from weasyprint import HTML
    from folio import furniture
    png = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(png, "PNG")
    dot = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    height = 61
    markup = (f"<style>@page {{ size: 432pt {3 * height + 72}pt; margin: 0 }} body {{ margin: 0 }}"
              f" div {{ height: {height}pt; position: relative }} div > * {{ position: absolute; bottom: 20pt }}</style>"
              f"<div><span>one</span></div><div><img src='{dot}' style='width: 8pt; left: 200pt'></div>"
              f"<div><span>three</span> <img src='{dot}' style='width: 8pt; left: 100pt'></div>")
    drawn = io.BytesIO()
    HTML(string=markup).write_pdf(drawn)
    strips = [furniture.Strip(page, "head", str(page), "") for page in range(3)]
    cut = tmp_path / "cut.pdf"
    furniture._cut(drawn, [strips], 3, (432.0, 648.0), 0.0, height, 61, cut)
    with pikepdf.open(cut) as made:
        drawing = [[str(op) for _, op in pikepdf.parse_content_stream(page)] for page in made.pages]
        assert "Do" not in drawing[0] and "TJ" in drawing[0]
        assert "Do" in drawing[1] and "TJ" not in drawing[1]
        assert "Do" in drawing[2] and "TJ" in drawing[2]
        assert all(len(page.Resources.XObject) for page in made.pages[1:])
    text = subprocess.run(["pdftotext", str(cut), "-"], capture_output=True, text=True, check=True).stdout
    assert [page.split() for page in text.split("\f")[:3]] == [["one"], [], ["three"]]

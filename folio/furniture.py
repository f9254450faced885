"""Page furniture: the folios and running heads of every page of the book.

They are set apart from the chapters (layout.py), so that a chapter that grows by a
page lays out no other chapter again, and the stitch draws them over each page as a
pagination artifact (stitch.py).

WeasyPrint spends some 5 ms on each page of a document, whatever the page holds (its
page styles, its sixteen margin boxes): 8 s for a 1,700-page book's furniture laid
out a page at a time. So a page's furniture is laid out as a strip, two hundred
strips stacked on one tall sheet, where they cost what their few words cost, and the
sheets are then cut into one page per page of the book (pikepdf), each drawing its
own strip's text where the page's margins would have set it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

SHEET_STRIPS = 200
# A running head wider than its line is cut after its last whole word that fits, with
# an ellipsis, and laid out again; what a few rounds leave too long, the line clips.
SHORTENING_ROUNDS = 4
# What a strip's drawing may hold: the graphics state WeasyPrint sets for its text
# (with the clip of a running head cut short), the text, and images (Do: a colour
# emoji). Anything else (a rule, a background) would be lost by the cut, so a template
# drawing it is refused.
_STATE = {"cm", "gs", "cs", "CS", "sc", "SC", "scn", "SCN", "g", "G", "rg", "RG", "k", "K", "w", "re", "W", "n"}


@dataclass
class Strip:
    page: int           # the book's page (0-based)
    kind: str           # "head": folio and running head at the top; "foot": the folio at the foot
    folio: str
    head: str


def lay_out(pages: list[tuple[str, str, str]], meta, settings, target: Path) -> None:
    """Write `target`: a PDF with one page per page of the book (`pages`, as
    pdf._furniture gives them), each with only that page's folio and running head."""
    from weasyprint import HTML
    from . import fonts
    from .check import to_points
    from .render import render
    from .safety import make_fetcher
    top, bottom, inner, outer = settings.margins
    strips = [Strip(number, *page) for number, page in enumerate(pages) if page[0] != "none"]
    sheets = [strips[i:i + SHEET_STRIPS] for i in range(0, len(strips), SHEET_STRIPS)]
    height = max(top, bottom)
    heads = [strip for strip in strips if strip.kind == "head"]
    for rounds_left in reversed(range(SHORTENING_ROUNDS)):
        markup = render("pdf/furniture.html", meta=meta, settings=settings, sheets=sheets, strip_height=height,
                        sheet_height=height * SHEET_STRIPS + 72, top=top, bottom=bottom, inner=inner, outer=outer,
                        font_faces=fonts.font_faces_css(), family=fonts.FAMILY)
        document = HTML(string=markup, url_fetcher=make_fetcher((fonts.FONT_DIR,), {})).render()
        shares = _shares_that_fit(document)
        if len(shares) != len(heads):
            raise RuntimeError(f"{len(shares)} running heads laid out for {len(heads)} strips")
        if not rounds_left or all(share is None for share in shares):
            break   # (after the last round, what is still too long is clipped by its line)
        for strip, share in zip(heads, shares):
            if share is not None:
                strip.head = _shortened(strip.head, share)
    if len(document.pages) != max(len(sheets), 1):
        raise RuntimeError(f"the furniture's {len(sheets)} sheets were laid out on {len(document.pages)} pages")
    drawn = io.BytesIO()
    document.write_pdf(drawn)
    del document
    _cut(drawn, sheets, len(pages), (to_points(settings.width), to_points(settings.height)),
         to_points(settings.bleed), height, bottom, target)


def _shares_that_fit(document) -> list[float | None]:
    """Each running head in the order laid out (the strips' order): the share of it
    that fits its line, or None if all of it does."""
    from weasyprint.formatting_structure.boxes import LineBox
    found = []
    for page in document.pages:
        todo = [page._page_box]
        while todo:
            box = todo.pop()
            children = getattr(box, "children", [])
            element = getattr(box, "element", None)
            if element is not None and "running" in (element.get("class") or "").split() \
                    and children and isinstance(children[0], LineBox):
                width = sum(line.width for line in children if isinstance(line, LineBox))
                found.append(box.width / width if width > box.width + 0.01 else None)
                continue
            todo.extend(reversed(children))   # in document order
    return found


def _shortened(text: str, share: float) -> str:
    """`text` cut after the last whole word within `share` of its length, with an
    ellipsis; a first word too long on its own is cut where the share ends."""
    keep = max(int(len(text) * share) - 1, 1)
    kept = ""
    for word in text.split():
        if len(kept) + len(word) + bool(kept) > keep:
            break
        kept = f"{kept} {word}" if kept else word
    return (kept or text[:keep]).rstrip(" ,;:.\u2013\u2014-") + "\u2026"


def _cut(drawn, sheets: list[list[Strip]], count: int, size: tuple[float, float], bleed: float,
         height: float, bottom: float, target: Path) -> None:
    """Each strip's text onto a page of its own: the top of a head strip at the top of
    the trim, the top of a foot strip at the foot's margin."""
    import pikepdf
    width, page_height = size
    with pikepdf.open(drawn) as source, pikepdf.new() as made:
        contents: dict[int, list] = {}
        resources: dict[int, object] = {}
        for sheet, page in zip(sheets, source.pages):
            sheet_top = float(page.mediabox[3])
            shared = made.copy_foreign(page.obj.Resources)
            for at, instructions in _text_objects(page, height / 0.75, sheet_top):
                if not 0 <= at < len(sheet):
                    raise RuntimeError(f"furniture drawn outside the sheet's strips (strip {at} of {len(sheet)})")
                strip = sheet[at]
                strip_top = sheet_top - at * height   # PDF space: points, upwards
                lands = page_height if strip.kind == "head" else bottom
                moved = pikepdf.ContentStreamInstruction([1, 0, 0, 1, 0, round(lands - strip_top, 4)],
                                                         pikepdf.Operator("cm"))
                contents.setdefault(strip.page, []).extend(
                    [pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")), moved, *instructions,
                     pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q"))])
                resources[strip.page] = shared
        box = pikepdf.Array([-bleed, -bleed, width + bleed, page_height + bleed])
        for number in range(count):
            page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=box, BleedBox=box,
                                      TrimBox=pikepdf.Array([0, 0, width, page_height]),
                                      Resources=resources.get(number, pikepdf.Dictionary()),
                                      Contents=made.make_stream(pikepdf.unparse_content_stream(contents.get(number, []))))
            made.pages.append(pikepdf.Page(page))
        made.save(target, deterministic_id=True)


def _text_objects(page, strip_height: float, sheet_top: float):
    """(strip on the sheet, the instructions that draw one text object: the graphics
    state in force, then BT ... ET) for each text object of a sheet; and so for each
    image it draws (a colour emoji is one, placed by the `cm` before it)."""
    import pikepdf
    levels: list[list] = [[]]
    inside: list | None = None
    for instruction in pikepdf.parse_content_stream(page):
        operator = str(instruction.operator)
        if inside is not None:
            inside.append(instruction)
            if operator == "ET":
                moves = [i for i in inside if str(i.operator) == "Tm"]
                if not moves:
                    raise RuntimeError("a furniture text object with no text matrix")
                y = float(moves[0].operands[5])   # WeasyPrint's text space: CSS px, downwards
                yield int(y // strip_height), [i for level in levels for i in level] + inside
                inside = None
        elif operator == "BT":
            inside = [instruction]
        elif operator == "Do":   # placed by every `cm` in force: its origin, in CSS px downwards
            x = y = 0.0
            for move in reversed([i for level in levels for i in level if str(i.operator) == "cm"]):
                a, b, c, d, e, f = (float(value) for value in move.operands)
                x, y = a * x + c * y + e, b * x + d * y + f
            yield int((sheet_top - y) / 0.75 // strip_height), [i for level in levels for i in level] + [instruction]
        elif operator == "q":
            levels.append([])
        elif operator == "Q":
            levels.pop()
        elif operator in _STATE:
            levels[-1].append(instruction)
        else:
            raise RuntimeError(f"the furniture draws '{operator}', which cutting it into pages would lose")

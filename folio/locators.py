"""The page numbers of the index and the glossary set as text, and made links once
they are laid out.

An index is mostly page numbers, each a link to its page. WeasyPrint sets each link
as an inline box, which it measures again at every line break it tries, and writes
an annotation and a structure element for each: the 50x book's index (11,144 numbers
on 22 pages) took 16.5 s and 387 MB to lay out and write with a link per number, and
3.4 s and 170 MB with its numbers as text. So the layout's markup sets an entry's
run of numbers ("9, 12, 15–17") as one link (`lift`), which WeasyPrint lays out, tags
and annotates, one annotation per line it falls on, as any link. Once the index is
laid out, each number is found in the glyphs of its line's box (`locate`), and the
writer's finisher cuts each of the run's annotations into one per number, each with
its own target, all under the run's Link structure element (`split_links`). A run
whose numbers are not all found is set again as links, one per number (layout.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .marks import PX_TO_PT
from .stitch import DEST
from .tags import object_of

RUN = "folio-locators:"   # the href of a lifted run: its number in the unit's list
SEPARATOR = ", "
NUMBER = re.compile(r"[0-9]+(?:–[0-9]+)?")


@dataclass(frozen=True)
class Run:
    text: str          # "9, 12, 15–17"
    numbers: tuple     # ((start, end, href), ...): each number's characters in `text`, and its link


def _plain_link(element) -> bool:
    """A page number or range as the index and the glossary write it: a link to
    another part, with its digits as its only content."""
    return (element.tag == "a" and len(element) == 0 and set(element.attrib) <= {"href", "class"}
            and element.get("href", "").startswith(DEST) and NUMBER.fullmatch(element.text or "") is not None)


def lift(tree, start: int = 0) -> list[Run]:
    """Each run of two or more page-number links separated by ", " made one link,
    `RUN` + its number in the unit's list (this tree's runs are numbered from `start`)."""
    runs: list[Run] = []
    for holder in list(tree.iter()):
        members: list = []
        for child in list(holder):
            if not _plain_link(child):
                _lift_run(members, runs, start)
                members = []
                continue
            if members and (members[-1].tail != SEPARATOR or child.get("class") != members[0].get("class")):
                _lift_run(members, runs, start)   # a run ends at other text between two numbers
                members = []
            members.append(child)
        _lift_run(members, runs, start)
    return runs


def _lift_run(members: list, runs: list[Run], start: int) -> None:
    if len(members) < 2:
        return
    numbers, at = [], 0
    for member in members:
        numbers.append((at, at + len(member.text), member.get("href")))
        at += len(member.text) + len(SEPARATOR)
    text = SEPARATOR.join(member.text for member in members)
    first = members[0]
    first.set("href", f"{RUN}{start + len(runs)}")
    first.text = text
    first.tail = members[-1].tail
    for member in members[1:]:
        member.getparent().remove(member)
    runs.append(Run(text, tuple(numbers)))


def locate(document, runs: list[Run]) -> list | None:
    """[(page, box, [(x0, x1, href, text), ...])]: each laid-out piece of a run's link,
    with the numbers (or parts of a range broken over a line) it shows, x in CSS pixels.
    None if a piece is not what it should be or a number is not shown whole."""
    from weasyprint.formatting_structure.boxes import InlineBox, TextBox
    if not runs:
        return []
    pieces: dict[int, list] = {}

    def walk(box, page: int) -> None:
        href = box.element.get("href") or "" if box.element is not None and box.element_tag == "a" else ""
        if href.startswith(RUN) and isinstance(box, InlineBox):
            pieces.setdefault(int(href[len(RUN):]), []).append((page, box))
            return
        for child in getattr(box, "children", ()):
            walk(child, page)

    for number, page in enumerate(document.pages):
        walk(page._page_box, number)
    found = []
    for key, run in enumerate(runs):
        at, shown, low = 0, [0] * len(run.numbers), 0   # low: the first number not wholly before `at`
        for page, box in pieces.get(key, ()):
            texts = [child for child in box.children if isinstance(child, TextBox)]
            if len(texts) != len(box.children) or len(texts) > 1:
                return None
            kept = []
            if texts:
                text = texts[0].text
                start = run.text.find(text.strip(), at) if text.strip() else at
                if start < 0:
                    return None
                start -= len(text) - len(text.lstrip())
                at = start + len(text.rstrip())
                edges = _edges(texts[0])
                if edges is None:
                    return None
                while low < len(run.numbers) and run.numbers[low][1] <= start:
                    low += 1
                for i in range(low, len(run.numbers)):
                    first, end, href = run.numbers[i]
                    if first >= start + len(text):
                        break
                    lo, hi = max(first, start), min(end, start + len(text))
                    if lo < hi:
                        shown[i] += hi - lo
                        kept.append((texts[0].position_x + edges[lo - start],
                                     texts[0].position_x + edges[hi - start], href, run.text[lo:hi]))
            found.append((page, box, kept))
        if any(count != end - first for count, (first, end, _) in zip(shown, run.numbers)):
            return None
    return found


def _edges(textbox) -> list[float] | None:
    """Where each character of a text box begins, and (last) where its text ends, in
    CSS pixels from the box's left: its glyphs' advances, as WeasyPrint draws them.
    None for a box set right to left."""
    from weasyprint.text.ffi import FROM_UNITS, ffi
    layout = textbox.pango_layout
    layout.reactivate(textbox.style)
    try:
        line, _ = layout.get_first_line()
        utf8 = layout.text.encode()
        begins: dict[int, float] = {}   # a glyph cluster's first byte -> its x
        x = 0.0
        run = line.runs[0] if line.runs != ffi.NULL else ffi.NULL
        while run != ffi.NULL:
            item = run.data
            run = run.next
            if item.item.analysis.level % 2:
                return None
            glyphs = item.glyphs
            for i in range(glyphs.num_glyphs):
                begins.setdefault(item.item.offset + glyphs.log_clusters[i], x)
                x += glyphs.glyphs[i].geometry.width * FROM_UNITS
    finally:
        layout.deactivate()
    edges, byte, last = [], 0, 0.0
    for character in textbox.text:
        last = begins.get(byte, last)   # within a cluster (a ligature): its start
        edges.append(last)
        byte += len(character.encode())
    if byte != len(utf8):
        return None
    edges.append(x)
    return edges


def split_links(document, pdf, found: list) -> None:
    """A WeasyPrint finisher's part: each run piece's annotation cut into one per
    number it shows, each a `stitch.DEST` link, under the run's Link structure element;
    a piece showing no number (a separator alone on its line) loses its annotation."""
    import pydyf
    if not found:
        return

    def target(reference):
        return object_of(pdf, reference)
    root = target(pdf.catalog["StructTreeRoot"]) if "StructTreeRoot" in pdf.catalog else None
    nums = target(root["ParentTree"])["Nums"] if root is not None else None
    element_of = {nums[i]: nums[i + 1] for i in range(0, len(nums) - 1, 2)} if nums is not None else {}
    key = max((k for k in element_of if isinstance(k, int)), default=-1) + 1
    for page, box, kept in found:
        annotation = box.link_annotation
        page_reference = pdf.page_references[page]
        annots = target(page_reference)["Annots"]
        element = target(element_of[annotation["StructParent"]]) if "StructParent" in annotation else None
        if not kept:
            annots.remove(annotation.reference)
            if element is not None:
                element["K"] = pydyf.Array(k for k in element["K"] if not (
                    isinstance(k, bytes) and target(k).get("Obj") == annotation.reference))
            continue
        x0, y0, x1, y1 = annotation["Rect"]
        for n, (left, right, href, shown) in enumerate(kept):
            piece = annotation if n == 0 else pydyf.Dictionary(
                {k: v for k, v in annotation.items() if k not in ("StructParent", "A")})
            piece["Rect"] = pydyf.Array([left * PX_TO_PT, y0, right * PX_TO_PT, y1])
            piece["A"] = pydyf.Dictionary({"Type": "/Action", "S": "/URI", "URI": pydyf.String(href)})
            # Its own description: the Link element holds the line's text, all its numbers.
            piece["Contents"] = pydyf.String(shown)
            if n == 0:
                continue
            pdf.add_object(piece)
            annots.insert(annots.index(annotation.reference) + n, piece.reference)   # in reading order
            if element is not None:
                piece["StructParent"] = key
                nums.extend([key, element.reference])
                key += 1
                reference = pydyf.Dictionary({"Type": "/OBJR", "Obj": piece.reference, "Pg": page_reference})
                pdf.add_object(reference)
                element["K"].append(reference.reference)

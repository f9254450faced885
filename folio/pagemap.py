"""Where each printed page begins, carried from the print layout to the EPUB.

A reader of the EPUB who cites "p. 37", or a class that reads the print edition
beside the e-book, needs the EPUB to know where page 37 of the print edition
begins. The print layout knows: for every page it finds the first text in the
book's flow, the passage that text belongs to and its first words. The EPUB then
sets a page-break marker there, lists the markers in its page-list, and labels
index locators with print pages.

Passages are numbered the same way in both editions: every block that holds text
(and every image) of a chapter's HTML, in document order, before either edition
changes the tree (`stamp`). Words, not character offsets, place the marker: the
two editions' text differs in note calls and hyphens, never in words.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

PASSAGE_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "th", "pre",
                "figcaption", "caption", "img")
STAMP = "data-folio-passage"
HYPHENS = ("\u2010", "\u00ad", "-")
OPAQUE = ("math", "svg")   # no marker goes inside these: a span is not MathML


@dataclass
class PageStart:
    label: str                    # the folio printed on the page
    chapter: str                  # id of the chapter the page begins in
    passage: int | None = None    # None: before the chapter's first passage (its title)
    words: list[str] = field(default_factory=list)   # the page's first whole words
    offset: int = 0               # characters of the passage set on earlier pages


@dataclass
class PrintPages:
    """What the EPUB needs from the print layout."""
    source: str                                       # the print edition, for pageBreakSource
    starts: list[PageStart] = field(default_factory=list)
    anchors: dict[str, str] = field(default_factory=dict)   # index anchor -> page label
    cover: dict = field(default_factory=dict)   # the wrap's geometry in inches (cover.Wrap), for the EPUB's cover
    late_notes: list = field(default_factory=list)    # [note id, call's page, note's page] (setting.py), for check
    hyphen_runs: list = field(default_factory=list)   # [page, line] of a third hyphen in a row left
    loose_lines: list = field(default_factory=list)   # [page, line, ems] of a word space over setting.LOOSE_SPACE
    pages: int = 0                                    # the print file's, blank pages added at the end included

    def save(self, path: Path) -> None:
        from .render import atomic_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            # Field by field, not `asdict`: that deep-copies each of a long book's
            # 90,000 words first (0.3 s of an edit at 50x).
            data = {f.name: getattr(self, f.name) for f in fields(self)}
            data["starts"] = [vars(start) for start in self.starts]
            temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "PrintPages | None":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data["source"], [PageStart(**s) for s in data["starts"]], data["anchors"],
                       data.get("cover") or {}, data.get("late_notes") or [], data.get("hyphen_runs") or [],
                       data.get("loose_lines") or [], data.get("pages") or 0)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def in_chapter(self, chapter_id: str) -> list[PageStart]:
        return [s for s in self.starts if s.chapter == chapter_id]


def path(out: Path, slug: str) -> Path:
    return out / ".folio" / slug / "print-pages.json"


def _holds_text(element) -> bool:
    """A div that holds words itself (a bibliography entry), not only other blocks."""
    return bool((element.text or "").strip() or any((child.tail or "").strip() for child in element)
                or (len(element) and all(child.tag in INLINE for child in element)))


INLINE = {"a", "span", "em", "strong", "i", "b", "code", "sup", "sub", "small", "q", "cite", "abbr", "mark", "br"}


def stamp(tree) -> None:
    """Number the passages of a chapter's tree (both editions call this first)."""
    n = 0
    for element in tree.iter(*PASSAGE_TAGS, "div"):
        if element.tag != "div" or _holds_text(element):
            element.set(STAMP, str(n))
            n += 1


def unstamp(tree) -> None:
    for element in tree.xpath(f"//*[@{STAMP}]"):
        del element.attrib[STAMP]


# The print side: read the laid-out pages.

def _is_note(box) -> bool:
    element = getattr(box, "element", None)
    is_footnote = getattr(box, "is_footnote", None)
    return bool(callable(is_footnote) and is_footnote()) or (
        element is not None and "fn" in (element.get("class") or "").split())


@dataclass
class Line:
    """One line of the book's flow as laid out (running heads and notes left out)."""
    page: int                      # index of the page in the document
    chapter: str
    passage: int | None
    text: str                      # "" for an image set on its own
    calls: tuple[str, ...] = ()    # ids of the notes called on this line
    last_in_block: bool = False
    widest_space: float = 0.0      # the widest word space of the line, in ems of its text


_SPACES: dict = {}


def natural_space(style) -> float:
    """The advance of a space in the font and size `style` sets, in points (Pango's own
    measure, as WeasyPrint lays the text out with it)."""
    from weasyprint.text.line_break import create_layout, line_size
    key = (tuple(style["font_family"]), style["font_size"], style["font_weight"], style["font_style"],
           style["font_stretch"], style["lang"])
    if key not in _SPACES:
        def width(text):
            layout = create_layout(text, style, None, None, 0)
            size = line_size(layout.get_first_line()[0], style)[0]
            layout.deactivate()
            return size
        _SPACES[key] = width("n n") - width("nn")
    return _SPACES[key]


def widest_space(line_box) -> float:
    """The widest space between words on a laid-out line, in ems: its font's space,
    plus word-spacing, plus what justification added to it."""
    widest = 0.0
    for box in line_box.descendants():
        if type(box).__name__ != "TextBox" or _is_note(box) or not (" " in box.text or "\u00a0" in box.text):
            continue
        size = box.style["font_size"] or 1
        stretched = getattr(box, "justification_spacing", 0)
        if stretched <= 0:   # a line not justified keeps its font's own spaces (a monospace one is 0.6 em)
            continue
        extra = (box.style["word_spacing"] if isinstance(box.style["word_spacing"], (int, float)) else 0) + stretched
        widest = max(widest, (natural_space(box.style) + extra) / size)
    return widest


def lines(document, chapter_ids: set[str]):
    """Every line of the main flow, page by page, with the passage it belongs to."""
    chapter = ""
    for number, page in enumerate(document.pages):
        found: list[Line] = []

        def walk(box, passage, number=number, found=found):
            nonlocal chapter
            if _is_note(box):
                return
            element = getattr(box, "element", None)
            if element is not None and getattr(box, "element_tag", None) and element.get("id") in chapter_ids:
                chapter = element.get("id")
            if element is not None and element.get(STAMP) is not None:
                passage = int(element.get(STAMP))
            kids = list(getattr(box, "children", ()))
            if type(box).__name__ == "LineBox":
                calls = tuple(b.element.get("id") for b in box.descendants()
                              if str(getattr(b, "element_tag", "")).endswith("::footnote-call"))
                found.append(Line(number, chapter, passage, "".join(_texts(box)), calls, widest_space=widest_space(box)))
                return
            if type(box).__name__.endswith("ReplacedBox"):
                found.append(Line(number, chapter, passage, ""))
            last_line = None
            for child in kids:
                walk(child, passage)
                if type(child).__name__ == "LineBox":
                    last_line = found[-1]
            if last_line is not None:   # (of this page's part of the block)
                last_line.last_in_block = True
        root = page._page_box.children[0] if page._page_box.children else None
        if root is not None:
            walk(root, None)
        yield from found


def page_firsts(document, chapter_ids: set[str]) -> dict[int, PageStart]:
    """Where each page of a laid-out document begins: its chapter, passage and first
    words (no label yet: the stitched book numbers its pages)."""
    seen: dict[tuple[str, int], int] = {}          # characters of each passage laid out so far
    broken: set[tuple[str, int]] = set()          # passages whose last line so far ends in a hyphen
    firsts: dict[int, PageStart] = {}
    for line in lines(document, chapter_ids):
        key = (line.chapter, line.passage)
        if line.page not in firsts and (line.text.strip() or not line.text):
            start = PageStart("", line.chapter, line.passage)
            if line.passage is not None and line.text:
                words = re.findall(r"\w+", line.text)
                if key in broken and words:
                    words = words[1:]   # the page opens on the rest of a hyphenated word
                start.words, start.offset = words[:4], seen.get(key, 0)
            firsts[line.page] = start
        if line.passage is not None and line.text.strip():
            seen[key] = seen.get(key, 0) + len(line.text)
            broken.discard(key)
            if line.text.rstrip().endswith(HYPHENS):
                broken.add(key)
    return firsts


def assemble(firsts: dict[int, PageStart], first_body: int, total: int, source: str,
             anchors: dict[str, str]) -> PrintPages:
    """The start of every page from the first chapter on; a page where nothing begins
    (a blank verso, a blank page added at the end) shares the next page's place, or
    the last one's."""
    result = PrintPages(source, anchors=anchors, pages=total)
    waiting: list[str] = []                        # labels of blank pages, placed with the next start
    for number in range(first_body, total):
        label = str(number - first_body + 1)
        first = firsts.get(number)
        if first is None:
            waiting.append(label)
            continue
        for blank in waiting:
            result.starts.append(PageStart(blank, first.chapter, first.passage, first.words, first.offset))
        waiting = []
        result.starts.append(PageStart(label, first.chapter, first.passage, list(first.words), first.offset))
    if result.starts:   # blank pages at the end: where the last page began
        last = result.starts[-1]
        result.starts += [PageStart(blank, last.chapter, last.passage, last.words, last.offset) for blank in waiting]
    return result


def _texts(box):
    if _is_note(box):
        return
    text = getattr(box, "text", None)
    if text:
        yield text.replace("\u00ad", "")   # a soft hyphen the line did not break at (hyphenation.py)
    for child in getattr(box, "children", ()):
        yield from _texts(child)


# The EPUB side: set the markers.

def marker(label: str, element_id: str):
    import lxml.html   # here: a build with nothing to do imports this module for its paths alone
    span = lxml.html.Element("span", {"id": element_id, "role": "doc-pagebreak", "aria-label": label,
                                      "data-epub-type": "pagebreak", "class": "pagebreak"})
    return span


def _slots(element, opaque: bool = False):
    """(node, 'text' | 'tail', string, insertable) for the element's text in reading order."""
    inside = opaque or (isinstance(element.tag, str) and element.tag.rpartition("}")[2] in OPAQUE)
    yield element, "text", element.text or "", not inside
    for child in element:
        if not isinstance(child.tag, str):   # a comment keeps its tail
            yield child, "tail", child.tail or "", not inside
            continue
        yield from _slots(child, inside)
        yield child, "tail", child.tail or "", not inside


def find_words(text: str, words: list[str], offset: int) -> int | None:
    """Where the page's first words stand in the passage's text: of several matches,
    the one nearest the characters laid out on earlier pages."""
    for count in range(min(len(words), 4), 0, -1):
        pattern = r"(?<!\w)" + r"\d*[\W_]+".join("\u00ad?".join(map(re.escape, w)) for w in words[:count]) + r"(?!\w)"
        found = [m.start() for m in re.finditer(pattern, text, re.I)]
        if found:
            return min(found, key=lambda at: abs(at - offset))
    return None


def place(element, words: list[str], offset: int, mark) -> None:
    """Insert `mark` into `element` before the page's first words (at its start when
    they cannot be found; before it when it is an image)."""
    if element.tag == "img":
        element.addprevious(mark)
        return
    if not words:
        mark.tail, element.text = element.text, None
        element.insert(0, mark)
        return
    at = find_words("".join(element.itertext()), words, offset) or 0
    position = 0
    for node, slot, text, insertable in list(_slots(element)):
        if position + len(text) > at or (position + len(text) == at and insertable):
            if not insertable:   # inside a formula: after it
                at = position + len(text)
                position = at
                continue
            cut = max(0, at - position)
            if slot == "text":
                mark.tail = text[cut:]
                node.text = text[:cut]
                node.insert(0, mark)
            else:
                mark.tail = text[cut:]
                node.tail = text[:cut]
                node.addnext(mark)
            return
        position += len(text)
    element.append(mark)

"""What a typesetter corrects after seeing the pages: a footnote set a page after its
call, a third hyphen in a row, a word split over a leaf turn.

CSS cannot say "no more than two hyphens in a row", and WeasyPrint moves a page's
notes to the next page to keep a paragraph's first two lines together. breaking.py
keeps both rules inside WeasyPrint's breaking, and `footnote-policy: line` moves a
call's line to its note's page, so the first layout is nearly always the last. What
is still wrong (a note WeasyPrint sets late all the same, a word split over a leaf
turn, a line gaping after a split word, a note taller than a page) is found by reading
the first layout line by line (pagemap.lines); the chapter's HTML is changed and the
chapter laid out once more:
- the paragraph holding a late note's call is split before the call's line, and the
  second part starts a new page (the first part's last line stays justified), so the
  call and its note meet on the next page;
- a word hyphenated as the third line in a row, or across a leaf turn (the last line
  of a right-hand page), is kept whole;
- a note too tall for any page's note area, which WeasyPrint would drop without a
  word, is set in the text after its call instead, as a block of note type.
The corrections are keyed by chapter and passage (pagemap.stamp), like the EPUB's
page markers, and found by their words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html

from . import hyphenation, pagemap

MAX_HYPHENS_IN_A_ROW = 2
LOOSE_SPACE = 0.5   # ems: a word space wider than this is a loose line a reader sees
GAPING_SPACE = 1.5  # ems: a line this loose is WeasyPrint's fault, not the measure's (see read)


@dataclass
class Corrections:
    breaks: dict = field(default_factory=dict)   # (chapter, passage) -> [(words, offset)] to start a page at
    whole: dict = field(default_factory=dict)    # (chapter, passage) -> {word} not to hyphenate
    inline_notes: set = field(default_factory=set)   # notes too tall for any page: set after their paragraph

    def __bool__(self) -> bool:
        return bool(self.breaks or self.whole or self.inline_notes)

    def size(self) -> int:
        return sum(map(len, self.breaks.values())) + sum(map(len, self.whole.values())) + len(self.inline_notes)

    def merge(self, other: "Corrections") -> None:
        self.inline_notes |= other.inline_notes
        for key, found in other.breaks.items():
            self.breaks.setdefault(key, []).extend(f for f in found if f not in self.breaks.get(key, []))
        for key, words in other.whole.items():
            self.whole.setdefault(key, set()).update(words)


@dataclass
class Report:
    late_notes: list = field(default_factory=list)     # (note id, call page, note page), 0-based pages
    hyphen_runs: list = field(default_factory=list)    # (page, line text) of each third hyphen in a row
    leaf_turns: list = field(default_factory=list)     # (page, line text) of a word split over a leaf turn
    tall_notes: list = field(default_factory=list)     # ids of notes WeasyPrint set on no page at all
    loose_lines: list = field(default_factory=list)    # (page, line text, widest word space in ems)


def note_pages(document) -> dict[str, int]:
    """The page each note's text is set on (in the page's footnote area)."""
    found = {}
    for number, page in enumerate(document.pages):
        for area in page._page_box.children[1:]:
            if type(area).__name__ != "FootnoteAreaBox":
                continue
            for box in area.descendants():
                element = getattr(box, "element", None)
                if element is not None and "fn" in (element.get("class") or "").split() and element.get("id"):
                    found.setdefault(element.get("id"), number)
    return found


def ends_in_hyphen(text: str) -> bool:
    """A line that ends in a word split or broken at a hyphen (the rule breaking.py
    keeps while WeasyPrint breaks lines, and `read` checks after)."""
    return text.rstrip().endswith(pagemap.HYPHENS) and bool(re.search(r"\w[-\u2010]$", text.rstrip()))


def read(document, chapter_ids: set[str]) -> tuple[Corrections, Report]:
    """What the laid-out pages need corrected, and what was wrong."""
    all_lines = list(pagemap.lines(document, chapter_ids))
    corrections, report = Corrections(), Report()
    notes = note_pages(document)
    seen: dict[tuple, int] = {}
    run = 0
    split_before = None   # the word the line before split, continued on this line
    for i, line in enumerate(all_lines):
        key = (line.chapter, line.passage)
        following = all_lines[i + 1] if i + 1 < len(all_lines) else None
        for note in line.calls:
            if note not in notes:   # taller than a page's note area: WeasyPrint drops it
                if note not in report.tall_notes:
                    report.tall_notes.append(note)
                corrections.inline_notes.add(note)
                continue
            if notes.get(note, line.page) != line.page and line.passage is not None \
                    and note not in {late[0] for late in report.late_notes}:
                report.late_notes.append((note, line.page, notes[note]))
                corrections.breaks.setdefault(key, []).append((re.findall(r"\w+", line.text)[:4], seen.get(key, 0)))
        if line.widest_space > LOOSE_SPACE and not line.last_in_block:
            report.loose_lines.append((line.page, line.text.replace("\u200b", ""), round(line.widest_space, 2)))
            # WeasyPrint sometimes ends the line after a word split at the line before
            # far too early ("ory of Permanent Revolution," across the measure): the
            # split word is kept whole, and the paragraph set again.
            if line.widest_space > GAPING_SPACE and split_before is not None:
                corrections.whole.setdefault(key, set()).add(split_before)
        hyphen = ends_in_hyphen(line.text) and not line.last_in_block
        run = run + 1 if hyphen else 0
        last_on_page = following is None or following.page != line.page
        split_word = None
        if hyphen and following is not None and (following.chapter, following.passage) == key:
            head = re.findall(r"\w+", line.text)[-1:]
            tail = re.findall(r"\w+", following.text)[:1]
            if head and tail:
                split_word = head[0] + tail[0]
        if split_word and run > MAX_HYPHENS_IN_A_ROW:
            report.hyphen_runs.append((line.page, line.text))
            corrections.whole.setdefault(key, set()).add(split_word)
            run = 0
        elif split_word and last_on_page and line.page % 2 == 0:   # a right-hand page: the leaf turns
            report.leaf_turns.append((line.page, line.text))
            corrections.whole.setdefault(key, set()).add(split_word)
        split_before = split_word
        if line.passage is not None:
            seen[key] = seen.get(key, 0) + len(line.text)
    return corrections, report


def apply(tree, chapter_id: str, corrections: Corrections) -> None:
    """Change a chapter's stamped tree as `corrections` say (before notes are floated)."""
    for (chapter, passage), words in corrections.whole.items():
        if chapter != chapter_id:
            continue
        for element in tree.xpath(f'//*[@{pagemap.STAMP}="{passage}"]'):
            for word in sorted(words, key=lambda w: (-len(w), w)):   # the same order in every process
                _keep_whole(element, word)
    for (chapter, passage), places in corrections.breaks.items():
        if chapter != chapter_id:
            continue
        for element in tree.xpath(f'//*[@{pagemap.STAMP}="{passage}"]'):
            for words, offset in places[:1]:
                _break_before(element, words, offset)


def _keep_whole(element, word: str) -> None:
    """Wrap each occurrence of `word` in the element's own text in a span that is not
    hyphenated."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    for node, slot, text, insertable in list(pagemap._slots(element)):
        if not insertable or not pattern.search(text):
            continue
        if slot == "text" and node.get("class") == "nohyphen":   # already whole (its tail is not)
            continue
        hyphenation.wrap_whole(node, slot, [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)])


def _break_before(element, words: list[str], offset: int) -> None:
    """Start a new page at the line beginning with `words`: the element is split there
    (its first part keeps its last line justified) or, at its first line, moved whole."""
    at = pagemap.find_words("".join(element.itertext()), words, offset) if words else 0
    if not at or element.tag not in ("p", "li", "dd", "div"):
        element.set("class", (element.get("class", "") + " folio-new-page").strip())
        return
    marker = lxml.html.Element("span")
    pagemap.place(element, words, offset, marker)
    second = _split_at(element, marker)
    element.set("class", (element.get("class", "") + " folio-continues").strip())
    second.set("class", (second.get("class", "") + " folio-new-page folio-continued").strip())


def _split_at(element, marker):
    """Split `element` in two at `marker` (a descendant), cloning the inline elements
    the marker sits in; the second part follows the element, and the marker goes."""
    def clone_of(node):
        return lxml.html.Element(node.tag, {k: v for k, v in node.attrib.items() if k != "id"})
    parent = marker.getparent()
    right = clone_of(parent)
    right.text = marker.tail
    for sibling in list(marker.itersiblings()):
        right.append(sibling)
    parent.remove(marker)
    node = parent
    while node is not element:
        up = node.getparent()
        outer = clone_of(up)
        outer.append(right)
        right.tail, node.tail = node.tail, None
        for sibling in list(node.itersiblings()):
            outer.append(sibling)
        right, node = outer, up
    element.addnext(right)
    right.tail, element.tail = element.tail, None
    return right

"""Content conservation: every passage pandoc read reaches every edition, or is named.

The passages are taken from pandoc's AST (paragraphs, headings, list items, table
cells, captions, quotes, notes, code), each with the manuscript line it starts on.
After an edition is written, its text (the PDF's laid-out lines, the EPUB's
documents, the HTML pages) is compared with them: a passage whose word pairs are
mostly absent did not arrive, and is reported with its line and the edition. It
guards every pass at once: a transform that loses text cannot do it silently.
"""
from __future__ import annotations

import itertools
import operator
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .ast import LEAVES
from .diagnostics import BuildError, Diagnostic
from .hyphenation import LONG_RUN
from .manuscript import composed

WORD = re.compile(r"\w+")
PRESENT = 0.75   # share of a passage's word pairs an edition must show
SKIPPED_INLINES = {"Cite", "Math", "RawInline", "Image", "Note"}   # rendered otherwise, or elsewhere
TEXT_BLOCKS = {"Para", "Plain", "Header"}
SPACES = {"Space", "SoftBreak", "LineBreak"}


GAP = "\x00"   # where a citation, a note call or math sits: the edition prints something else there


@dataclass(frozen=True)
class Passage:
    line: int | None
    segments: tuple[tuple[str, ...], ...]   # the words between citations, note calls and math

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(word for segment in self.segments for word in segment)

    @property
    def opening(self) -> str:
        return " ".join(self.words[:8])

    def pairs(self) -> set:
        return {pair for segment in self.segments for pair in zip(segment, segment[1:])}


def words_of(text: str) -> tuple[str, ...]:
    # An author's soft hyphen joins, and so does a zero-width space: a PDF's text layer
    # holds neither (no glyph is drawn for them).
    return tuple(WORD.findall(composed(text).lower().replace("\u00ad", "").replace("\u200b", "")))


def _inline_text(inlines) -> str:
    parts = []
    append = parts.append
    for node in inlines:
        kind = node.get("t")
        if kind == "Str":   # most nodes, so asked first
            append(node["c"])
            continue
        if kind in SPACES:
            append(" ")
            continue
        content = node.get("c")
        if kind in SKIPPED_INLINES:
            parts.append(GAP)
        elif kind == "Code":
            parts.append(content[1])
        elif kind in ("Link", "Span"):
            parts.append(_inline_text(content[1]))
        elif kind == "Quoted":
            parts.append(_inline_text(content[1]))
        elif isinstance(content, list):   # Emph, Strong, SmallCaps and the like
            parts.append(_inline_text([c for c in content if isinstance(c, dict)]))
    return "".join(parts)


def passages(document: dict, text: str) -> tuple[Passage, ...]:
    """The passages of pandoc's AST, in order, each with the line it is found on."""
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:   # words and spaces passed over inline (millions in a long book)
                if type(item) is dict and item.get("t") in LEAVES:
                    continue
                walk(item)
            return
        if not isinstance(node, dict):
            return
        kind, content = node.get("t"), node.get("c")
        if kind == "Div" and content[0][0] == "folio-definitions":
            return   # the dictionary's definitions reach the glossary, not the text
        if kind == "RawBlock":
            return
        if kind in TEXT_BLOCKS:
            inlines = content[2] if kind == "Header" else content
            found.append(_inline_text(inlines))
            walk(inlines)   # notes inside it are passages of their own
            return
        if kind == "CodeBlock":
            # Numbered lines print a number before each line: compared line by line.
            found.append(content[1].replace("\n", GAP) if "numberLines" in content[0][1] else content[1])
            return
        if kind == "Note":
            walk(content)
            return
        if isinstance(content, (list, dict)):
            walk(content)

    walk(document.get("blocks", []))
    lines = _Lines(text)
    result = []
    for passage in found:
        segments = tuple(words for words in map(words_of, passage.split(GAP)) if words)
        if segments:
            result.append(Passage(lines.find(segments[0]), segments))
    return tuple(result)


class _Lines:
    """Finds the line a passage starts on by its first words, searching forward from
    the last passage found (passages come in the manuscript's order), then anywhere."""

    def __init__(self, text: str):
        text = composed(text).replace("\u200b", "")   # as the words are (no line is made or lost)
        self.text, self.at, self.line = text, 0, 1   # `line` is the line `at` is on
        # Searched in lower case, as the words are (words_of), when that keeps every
        # offset: a pattern that starts with a literal word is then found by a fast
        # scan, where a case-blind one is tried at every character (52 passages of the
        # 50x book, each searched for through 5 MB, took 2.7 s).
        lowered = text.lower()
        self.haystack, self.flags = (lowered, 0) if len(lowered) == len(text) else (text, re.I)

    def find(self, words: tuple[str, ...]) -> int | None:
        start = self._next_as_written(words)
        if start is None or start < 0:
            first = re.escape(words[0]) + r"(?<!\w" + re.escape(words[0]) + ")"   # a whole word, not its end
            # The words as written; failing that, with markup (a link, emphasis) between
            # them; each forward first, then anywhere. (A note's text comes right after
            # its paragraph but is defined further down: the next paragraph is then
            # found as written before the note, not loosely after it.)
            patterns = [re.compile(first + "".join(gap + re.escape(w) for w in words[1:4]), self.flags)
                        for gap in (_GAP, r"[\s\S]{1,80}?")]
            tries = [(patterns[0], self.at), (patterns[0], 0), (patterns[1], self.at), (patterns[1], 0)]
            if start is not None:   # known to be absent forward as written
                del tries[0]
            match = next(filter(None, (pattern.search(self.haystack, at) for pattern, at in tries)), None)
            if match is None:
                return None
            start = match.start()
        if start >= self.at:   # counted on from the last passage, not from the top each time
            self.line += self.text.count("\n", self.at, start)
        else:
            self.line = self.text.count("\n", 0, start) + 1
        self.at = start
        return self.line

    def _next_as_written(self, words: tuple[str, ...], tries: int = 200) -> int | None:
        """Where the words first stand as written (only non-word characters between
        them) after the last passage, found by plain string search: almost every
        passage is the next one written, and compiling a pattern for each of a long
        book's thousands of passages was most of the time. -1: nowhere after it;
        None: not known (searched case-blind, or too many tries), for the patterns."""
        if self.flags:   # searched case-blind: only the patterns do that
            return None
        text, first, rest = self.haystack, words[0], words[1:4]
        at = text.find(first, self.at)
        while at >= 0:
            if not tries:
                return None
            tries -= 1
            if not at or not _WORD_CHAR.match(text, at - 1):   # a whole word, not another's end
                end = at + len(first)
                for word in rest:
                    gap = _NOT_WORD.match(text, end)
                    if gap is None or not text.startswith(word, gap.end()):
                        break
                    end = gap.end() + len(word)
                else:
                    return at
            at = text.find(first, at + 1)
        return -1


# Between two words as written: anything but a word, or an attribute block (the
# `]{.index}` of a marked phrase). Each character matches one way only: a brace that
# could also be read as a plain non-word character would let a line of `{}{}{}…` be
# tried every way (exponential time).
_GAP = r"(?:[^\w{]|\{[^{}\n]*\}|\{(?![^{}\n]*\}))+"
_WORD_CHAR, _NOT_WORD = re.compile(r"\w"), re.compile(_GAP)


def _pairs(words) -> set:
    return set(zip(words, words[1:]))


def _readings(word: str) -> set:
    """A word and, if it ends in digits, the word without one, two or three of them."""
    return {word} | {word[:-k] for k in (1, 2, 3) if len(word) > k and word[-k:].isdigit()}


def shown_in(words: tuple[str, ...]) -> tuple[set, set]:
    """The word pairs and the words an edition's text shows. A note call set against
    its word reads as one word in a PDF's text ("18111" for "1811" and note 1): the
    word without its last digits counts as shown too, alone and beside its neighbours.
    Few words end in a digit, and a long book repeats them in the same company (a
    year, a page number): each word between the same two neighbours is read once."""
    pairs, vocabulary = _pairs(words), set(words)
    last = len(words) - 1
    ends_in_digit = map(str.isdigit, map(operator.itemgetter(-1), words))
    company = {(words[i - 1] if i else None, words[i], words[i + 1] if i < last else None)
               for i in itertools.compress(range(len(words)), ends_in_digit)}
    read: dict = {}

    def readings(word: str) -> set:
        if word not in read:
            read[word] = _readings(word)
        return read[word]
    for before, word, after in company:
        reading = readings(word)
        if len(reading) == 1:
            continue
        vocabulary.update(reading)
        if before is not None:
            pairs.update((a, b) for a in readings(before) for b in reading)
        if after is not None:
            pairs.update((a, b) for a in reading for b in readings(after))
    return pairs, vocabulary


def missing(passages_: tuple[Passage, ...], edition_text: str) -> list[Passage]:
    """The passages the edition's text does not show."""
    pairs, vocabulary = shown_in(words_of(edition_text))
    lost = [passage for passage in passages_ if not _shows(passage, pairs, vocabulary)]
    if any(len(word) >= LONG_WORD for passage in lost for word in passage.words):
        squeezed = re.sub(r"\s+", "", composed(edition_text).lower().replace("\u00ad", ""))
        lost = [passage for passage in lost if not _shown_in_pieces(passage, pairs, vocabulary, squeezed)]
    return lost


LONG_WORD = LONG_RUN   # a run the PDF breaks anywhere (hyphenation.open_long_runs)
PIECE, PIECES = 32, 64


def _shown_in_pieces(passage: Passage, pairs: set, vocabulary: set, squeezed: str) -> bool:
    """A passage holding a run of LONG_WORD characters, read from an edition's pages
    (`check` reads the PDFs so): a page may set something between the run's halves (a
    table's repeated head, the page's notes), so the run counts as shown when pieces of
    it are found in order in the text with its spaces taken out (up to PIECES, spread
    over it), and the passage's other words as usual."""
    for word in (word for word in passage.words if len(word) >= LONG_WORD):
        starts = range(0, len(word) - PIECE + 1, PIECE)
        chosen = [starts[i * len(starts) // PIECES] for i in range(PIECES)] if len(starts) > PIECES else list(starts)
        found, at = 0, 0
        for start in chosen:
            place = squeezed.find(word[start:start + PIECE], at)
            if place >= 0:
                found, at = found + 1, place + PIECE
        if found < PRESENT * len(chosen):
            return False
    rest = tuple(tuple(part) for segment in passage.segments
                 for part in _split_at_long(segment) if part)
    return not rest or _shows(Passage(passage.line, rest), pairs, vocabulary)


def _split_at_long(segment: tuple[str, ...]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for word in segment:
        if len(word) >= LONG_WORD:
            parts.append([])
        else:
            parts[-1].append(word)
    return parts


LAID_OUT_RECORD = "conservation.json"   # beside the layout: which passages each unit was seen to show


def missing_laid_out(passages_: tuple[Passage, ...], units: list[tuple[str, str]], record: Path | None) -> list[Passage]:
    """`missing(passages, the units' texts joined)`, unit by unit: each passage is
    looked for in the laid-out units in the book's order (passages come in it), and
    what each unit was seen to show is kept under its layout's hash (`units`: hash,
    text). After an edit only the passages no kept unit has shown are looked for, in
    the units laid out again: at 50x the whole book's text took 0.47 s of an edit's
    layout step. A unit's own words are a part of the book's, so a passage shown there
    is shown in the book; one shown in no unit alone is looked for in the whole text."""
    import hashlib
    import json
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    kept: dict = {}
    if record is not None:
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            if data.get("code") == code and isinstance(data.get("units"), dict):
                kept = {d: set(v) for d, v in data["units"].items() if isinstance(v, list)}
        except (OSError, ValueError, TypeError):
            kept = {}
    present = {digest for digest, _ in units}
    kept = {d: signatures for d, signatures in kept.items() if d in present}
    known = set().union(*kept.values()) if kept else set()
    fresh = [(digest, text) for digest, text in units if digest not in kept]
    shown: dict[str, set] = {digest: set() for digest, _ in fresh}
    sets: dict[int, tuple[set, set]] = {}

    def sets_of(i: int) -> tuple[set, set]:
        if i not in sets:
            for old in [k for k in sets if k < i - 1]:   # passages come in order: let go of the units behind
                del sets[old]
            sets[i] = shown_in(words_of(fresh[i][1]))
        return sets[i]
    rest, at = [], 0
    for passage in passages_:
        signature = hashlib.sha1(repr(passage.segments).encode("utf-8")).hexdigest()[:20]
        if signature in known:
            continue
        found = next((i for i in range(at, min(at + LOOK_AHEAD, len(fresh))) if _shows(passage, *sets_of(i))), None)
        if found is None:
            rest.append(passage)
            continue
        at = found
        shown[fresh[found][0]].add(signature)
    lost = missing(tuple(rest), " ".join(text for _, text in units)) if rest else []
    if record is not None:
        from .render import atomic_path
        data = {"code": code, "units": {digest: sorted(kept.get(digest) or shown.get(digest) or ())
                                        for digest, _ in units}}
        try:
            with atomic_path(record) as temporary:
                temporary.write_text(json.dumps(data), encoding="utf-8")
        except OSError:   # not kept: the next build looks at every passage again
            pass
    return lost


LOOK_AHEAD = 3   # units a passage is looked for in, from the last one that showed one


def _shows(passage: Passage, pairs: set, vocabulary: set) -> bool:
    wanted = passage.pairs()
    if len(wanted) < 4:
        return sum(w in vocabulary for w in passage.words) / len(passage.words) >= PRESENT
    return len(wanted & pairs) / len(wanted) >= PRESENT


def pdf_text(document) -> str:
    """The text of laid-out WeasyPrint pages, hyphenated words joined again, and a name
    in code broken over two lines (no hyphen is set in code) joined again too, as is a
    long run of characters broken at its zero-width spaces (hyphenation.open_long_runs)."""
    pieces: list[str] = []
    ended: dict = {}   # a code element or run -> (the piece its last line is in, that line's last text)

    def texts(box, code, run=False):
        text = getattr(box, "text", None)
        if text and run:   # a long run's breaks, and its <wbr>s (an author's own zero-width spaces part words)
            text = text.replace("\u200b", "")
        if text:
            yield text, code
        if getattr(box, "element_tag", None) == "code" or _is_run(box):
            code, run = box.element, run or _is_run(box)
        for child in getattr(box, "children", ()):
            yield from texts(child, code, run)
        if type(box).__name__ == "InlineBlockBox":   # a box of its own (a code line's number): a word apart
            yield " ", code

    def walk(box) -> None:
        if type(box).__name__ == "LineBox":   # a line's pieces meet as written: H<sub>2</sub>O is "H2O"
            leaves = list(texts(box, None))
            line = "".join(text for text, _ in leaves)
            before = ended.get(leaves[0][1]) if leaves and leaves[0][1] is not None else None
            # the element's previous line, even with a table's repeated head between
            if before is not None and _broken_in(leaves[0][1], before[1], leaves[0][0]):
                pieces[before[0]] += line
                at = before[0]
            elif pieces and pieces[-1].endswith("\u200b"):   # broken at an author's zero-width space
                pieces[-1] += line
                at = len(pieces) - 1
            else:
                pieces.append(line)
                at = len(pieces) - 1
            if leaves and leaves[-1][1] is not None:
                ended[leaves[-1][1]] = (at, leaves[-1][0])
            return
        text = getattr(box, "text", None)
        if text:
            pieces.append(text)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    # A line may end in a hyphen the layout added or one the author wrote: compare
    # against both readings (pairs only ever gain from the second).
    laid_out = " ".join(pieces).replace("\u00ad", "")   # soft hyphens not broken at (hyphenation.py)
    return laid_out + "\n" + re.sub("[\u2010-] ", "", laid_out)


def _is_run(box_or_element) -> bool:
    """A long run folio opened to breaks (hyphenation.open_long_runs)."""
    element = getattr(box_or_element, "element", box_or_element)
    return getattr(element, "tag", None) == "span" and "folio-run" in (element.get("class") or "").split()


def _broken_in(code, before: str, after: str) -> bool:
    """Whether a line ending in `before` and the next starting with `after`, both in the
    same code element, were parted inside a word (the code's text has them joined)."""
    if not before or not after or before[-1].isspace() or after[0].isspace():
        return False
    written = "".join(code.itertext())
    if _is_run(code):   # laid out without its zero-width spaces (texts)
        written = written.replace("\u200b", "")
    return before + after in written and not re.search(re.escape(before) + r"\s+" + re.escape(after), written)


def html_text(markup: str, repeated: str = "") -> str:
    """The words of an HTML page; without the elements the XPath `repeated` finds (a
    site's contents, the same on every page: read once, not once a page)."""
    import lxml.html
    tree = lxml.html.fromstring(markup.encode("utf-8"), parser=lxml.html.HTMLParser(huge_tree=True))
    for element in tree.iter("script", "style"):
        element.drop_tree()
    for element in tree.xpath(repeated) if repeated else ():
        element.drop_tree()
    for element in tree.xpath('//*[@role="tooltip"]'):   # a glossary definition shown beside the text
        element.drop_tree()
    for element in tree.iter(*BLOCK_TAGS):   # words meet across inline markup, not across blocks
        element.text = " " + (element.text or "")
        element.tail = " " + (element.tail or "")
    return "".join(tree.itertext())


BLOCK_TAGS = """p div li ul ol dl dt dd h1 h2 h3 h4 h5 h6 section article aside nav header footer main
    blockquote pre figure figcaption table caption thead tbody tfoot tr td th br hr title body html
    details summary address math mtd mtr img""".split()


def report(passages_: tuple[Passage, ...], edition: str, edition_text: str | None, source: Path,
           strict: bool = False, lost: list[Passage] | None = None) -> list[Diagnostic]:
    """Warn of each passage missing from `edition` (an error with `strict`): those
    `missing` finds in `edition_text`, or the `lost` passages found so already."""
    found = [Diagnostic("FOLIO080", f"a passage is missing from the {edition} edition: '{p.opening} …'",
                        source, p.line, fix="this is a bug in folio or a removed element: look for a warning "
                                            "about this line above, or report it")
             for p in (lost if lost is not None else missing(passages_, edition_text))]
    if strict and found:
        raise BuildError(*found)
    for diagnostic in found:
        print(f"warning: {diagnostic}", file=sys.stderr)
    return found

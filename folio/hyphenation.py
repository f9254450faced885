"""Where a word may break at a line's end, beyond what the hyphenation patterns say.

WeasyPrint hyphenates with pyphen's patterns, which know nothing of names, of words
whose break depends on their sense ("pres-ent" the noun, "pre-sent" the verb), or of
a house's own exceptions. A book designer keeps a list; folio keeps one per language
(`hyphenation/<lang>.txt`) and reads the author's (`hyphenation:` in the metadata).
Both are written as TeX writes them: `Trot-sky-ism` may break only where the hyphens
are, `Bolshevik` never. Names are not split either: a capitalised word inside a
sentence, and a word in capitals (an acronym), are kept whole, except in languages
that capitalise every noun.

Applied to the PDF's tree only, after the typesetter's corrections (setting.py). For
the layout, a word kept the same way wherever its chapter sets it is given to the
hyphenation dictionary WeasyPrint asks (`installed`: pyphen's answer for that word,
its listed breaks or none), not marked up. Every inline element splits a line into
more boxes for WeasyPrint to measure; taking the bundled book's names out of spans cut
its chapters' rendering by 30 %. The dictionary is asked for the word as written, so a
name and the common word spelt the same ("Revolution" the event, "revolution" the
word) need no span either. A word set in another language, or joined to a digit,
accent or joiner (`_stands_alone`), is a `span.nohyphen` (`hyphens: manual`), with
soft hyphens where it may break. The
EPUB and the site leave the breaking to the reader's engine.

A run of `LONG_RUN` characters with no place to break (a DNA sequence, a hash, a
base64 blob, a hostile "word") is no word: WeasyPrint's time to break it grows with
the square of its length, and faster still where it may hyphenate it (measured:
2,000 letters took 4.6 s, 40,000 letters with no hyphenation 32 s). `open_long_runs`
puts a zero-width space between its characters (Pango draws none, and the PDF's text
layer holds none) and keeps it from hyphenation: it breaks where its line is full, as
`overflow-wrap: anywhere` would; 40,000 letters in a paragraph took 1.0 s. Its span is
`span.folio-run`, so that conservation.pdf_text joins its lines again (pdf.css sets it
without ligatures: one across a zero-width space would give the ligature's glyph that
text in the PDF's text layer, for every word that uses it).
"""
from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from functools import lru_cache

import lxml.html

from . import pagemap
from .paths import ROOT

LISTS = ROOT / "hyphenation"
MIN_WORD, MIN_SIDE = 6, 3   # as hyphenate-limit-chars in pdf.css
NOUNS_CAPITALISED = {"de", "lb"}   # every noun has a capital: a capital does not mark a name
SKIPPED = {"code", "pre", "kbd", "samp", "math", "svg", "h1", "h2", "h3", "h4", "h5", "h6"}
ENTRY = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
WORD = re.compile(r"[^\W\d_]+")
FLOW_BREAKS = {"br", "wbr", "img", "svg", "math", "hr"}
BLOCKS = {*pagemap.PASSAGE_TAGS, "div", "section", "blockquote", "figure", "figcaption", "table", "ul", "ol", "dl"}
JOINING = {"Mn", "Mc", "Me", "Cf", "Pc"}   # marks, format characters (ZWNJ, soft hyphen), connectors
SENTENCE_END = re.compile(r"[.!?][\"'”’»)\]]*\s*$")
LONG_RUN, RUN_PIECE = 200, 64
_RUN = re.compile(r"[^ \t\n\r\f\u1680\u2000-\u2006\u2008-\u200b\u205f\u3000]{%d,}" % LONG_RUN)
_OWN_BREAKS = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff]")   # Thai, Lao, Myanmar, Khmer


def parse(entries) -> dict[str, tuple[int, ...]]:
    """{'trotskyism': (4, 7)}: a word, in lower case, and the places it may break."""
    found = {}
    for entry in entries:
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        pieces = entry.split("-")
        offsets, at = [], 0
        for piece in pieces[:-1]:
            at += len(piece)
            offsets.append(at)
        found["".join(pieces).lower()] = tuple(offsets)
    return found


def is_entry(entry) -> bool:
    return isinstance(entry, str) and ENTRY.fullmatch(entry.strip()) is not None


@lru_cache(maxsize=8)
def house_list(lang: str) -> dict[str, tuple[int, ...]]:
    """folio's own exceptions for a language ('en-GB' reads en.txt), empty if none."""
    code = lang.split("-")[0].lower()
    if not re.fullmatch(r"[a-z]{2,3}", code):   # `lang:` is the author's: never a path
        return {}
    path = LISTS / f"{code}.txt"
    return parse(path.read_text(encoding="utf-8").splitlines()) if path.is_file() else {}


def exceptions(lang: str, author: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """The house list with the author's entries over it."""
    return {**house_list(lang), **parse(author)}


def apply(tree, lang: str, author: tuple[str, ...], dictionary: bool = False) -> dict[str, tuple[int, ...]]:
    """Keep the tree's names and listed words from breaking where they must not. A
    capitalised word is a name where it stands inside a sentence; seen so once in the
    chapter, it is a name at a sentence's start too. With `dictionary`, return the
    words kept at every place the tree sets them, as written (a name's case tells it
    from the common word: "Revolution", "revolution"), with the breaks they allow, for
    `installed`, and mark up only the others."""
    listed = exceptions(lang, author)
    names = None if lang.split("-")[0].lower() in NOUNS_CAPITALISED else \
        {word for _, _, word, before, _ in _words(tree) if word[0].isupper() and _inside_sentence(before)}
    kept_at, free = [], set()
    for node, slot, word, before, start in _words(tree):
        kept = _kept_form(word, before, listed, names)
        if kept is None:
            free.add(word)
        else:
            kept_at.append((node, slot, word, start, kept))
    own = _dictionary_of(lang) is not None if dictionary else False
    whole: dict[str, tuple[int, ...]] = {}
    places: dict = {}   # (node, slot) -> [(start, end, kept form)]
    for node, slot, word, start, kept in kept_at:
        if own and word not in free and _stands_alone(getattr(node, slot) or "", start, start + len(word)) \
                and _in_language(node if slot == "text" else node.getparent(), lang):
            whole[word] = tuple(i - n for n, i in enumerate(m.start() for m in re.finditer("\u00ad", kept)))
        else:
            places.setdefault((node, slot), []).append((start, start + len(word), kept))
    for (node, slot), found in places.items():
        wrap_whole(node, slot, found)
    return whole


def has_long_run(text: str) -> bool:
    return _RUN.search(text) is not None


def open_long_runs(tree) -> None:
    """Let each run of `LONG_RUN` characters without a space break anywhere, and keep
    it from hyphenation (see the module's docstring). A run is found through the inline
    elements it is written across (`abc…*def…*ghi…`): each of its parts is opened."""
    for (node, slot), found in _long_runs(tree):
        for span in wrap_whole(node, slot, found, "nohyphen folio-run"):
            _open(span)


def mark_long_runs(tree) -> None:
    """The EPUB's and the site's: each part of a long run in a `span.folio-run`, which
    their stylesheet lets break between any two characters (the reader's engine breaks
    it; no character is added). `overflow-wrap` alone moved the run to a line of its
    own, leaving the line before it spread out when justified."""
    for (node, slot), found in _long_runs(tree):
        wrap_whole(node, slot, found, "folio-run")


def _long_runs(tree) -> list:
    """((node, slot), [(start, end, text)]) for the parts of each long run in the tree."""
    from bisect import bisect_right
    from itertools import accumulate
    places: dict = {}   # (node, slot) -> [(start, end, the run's part there)]
    for flow in _flows(tree):
        joined = "".join(text for _, _, text in flow)
        if len(joined) < LONG_RUN:
            continue
        starts = [0, *accumulate(len(text) for _, _, text in flow)][:-1]   # each slot's place in `joined`
        for match in _RUN.finditer(joined):
            for i in range(bisect_right(starts, match.start()) - 1, len(flow)):   # the slots the run is in
                node, slot, text = flow[i]
                at = starts[i]
                if at >= match.end():
                    break
                start, end = max(match.start(), at), min(match.end(), at + len(text))
                if start < end:
                    places.setdefault((node, slot), []).append((start - at, end - at, text[start - at:end - at]))
    return list(places.items())


def _flows(tree):
    """The tree's text slots as (node, slot, text), in runs a line may set without a
    break between them: a block, a line break or an image parts them; text that cannot
    be marked up (in math) stands as line breaks, which part a run. A note is a flow of
    its own, and the text around its call one flow (the call is set inside the run)."""
    flow: list = []
    outer: list = []   # (note, the flow its call interrupts)
    for node, slot, text, insertable in list(pagemap._slots(tree)):   # taken before any is wrapped
        tag = node.tag if isinstance(node.tag, str) else ""
        note = tag and "fn" in (node.get("class") or "").split()
        if note and slot == "text":
            outer.append((node, flow))
            flow = []
        elif note and slot == "tail" and outer and outer[-1][0] is node:
            if flow:
                yield flow
            flow = outer.pop()[1]
        elif tag in BLOCKS or tag in FLOW_BREAKS:
            if flow:
                yield flow
            flow = []
        flow.append((node, slot, text if insertable else "\n" * len(text)))
    if flow:
        yield flow
    for _, waiting in reversed(outer):   # the tree's root is a note: its tail is not the tree's
        if waiting:
            yield waiting


def _open(span) -> None:
    """The run's characters parted by zero-width spaces, in pieces of `RUN_PIECE`
    parted by <wbr>: a text box per piece, since WeasyPrint measures a table cell's
    narrowest width by laying its text out again from each break to the box's end."""
    run, pieces, piece = span.text, [], []
    for at, char in enumerate(run):
        parted = at > 0 and _may_part(run[at - 1], char)
        if parted and len(piece) >= 2 * RUN_PIECE - 1:   # characters and spaces
            pieces.append("".join(piece))
            piece = []
        elif parted:
            piece.append("\u200b")
        piece.append(char)
    pieces.append("".join(piece))
    span.text = pieces[0]
    for piece in reversed(pieces[1:]):
        wbr = lxml.html.Element("wbr")
        wbr.tail = piece
        span.insert(0, wbr)


def _may_part(before: str, after: str) -> bool:
    for char in (before, after):
        if unicodedata.category(char) in JOINING or unicodedata.east_asian_width(char) in ("W", "F") \
                or _OWN_BREAKS.match(char):
            return False
    return True


def _stands_alone(text: str, start: int, end: int) -> bool:
    """The word is the word WeasyPrint's line breaker (Pango's word boundaries) asks
    the dictionary about: no digit, combining accent or invisible joiner ties it to
    what stands beside it ("Schwarzenegger2", a decomposed "é", a ZWNJ inside)."""
    for neighbour in (text[start - 1:start], text[end:end + 1]):
        if neighbour and (neighbour.isalnum() or unicodedata.category(neighbour) in JOINING):
            return False
    return True


def _in_language(element, lang: str) -> bool:
    """Set in the book's language (the dictionary `installed` serves), not in a
    passage of another."""
    while element is not None:
        if element.get("lang") is not None:
            return _dictionary_of(element.get("lang")) == _dictionary_of(lang)
        element = element.getparent()
    return True


def _dictionary_of(lang: str):
    """The file of pyphen's patterns WeasyPrint hyphenates `lang` with, or None."""
    import pyphen
    found = pyphen.language_fallback(lang or "")
    return pyphen.LANGUAGES.get(found) if found else None


@contextmanager
def installed(lang: str, whole: dict[str, tuple[int, ...]]):
    """While WeasyPrint lays a chapter out, its dictionary for `lang` answers for the
    chapter's kept words: their listed breaks, or none. pyphen lowers a word before
    its patterns (and its memo) see it, so the answer is given before that, to the word
    as written: a name and the common word it is spelt as ("Revolution" the event,
    "revolution") are told apart without a span. A word set in capitals by the
    stylesheet (`text-transform`) is asked for in capitals: it is kept if a form of it
    is. Taken out afterwards, so the next chapter, whose names differ, starts clean."""
    import pyphen
    path = _dictionary_of(lang)
    if not whole or path is None:
        yield
        return
    patterns = _patterns_at(path)
    answers = {word: [pyphen.DataInt(at) for at in breaks] for word, breaks in whole.items()}
    in_capitals = {}
    for word, answer in answers.items():
        in_capitals.setdefault(word.upper(), answer)
    patterns_positions = patterns.positions

    def positions(word):
        answer = answers.get(word)
        if answer is None and word.isupper():
            answer = in_capitals.get(word)
        return list(answer) if answer is not None else patterns_positions(word)
    patterns.positions = positions   # on this instance only: WeasyPrint's Pyphen asks it
    try:
        yield
    finally:
        del patterns.positions


def _patterns_at(path):
    import pyphen
    return pyphen.hdcache.get(path) or pyphen.hdcache.setdefault(path, pyphen.HyphDict(path))


def _inside_sentence(before: str) -> bool:
    return bool(before.strip()) and not SENTENCE_END.search(before)


def _words(tree):
    """(node, slot, word, the text before it in its block, its start in the slot) for
    each word the tree sets outside code, math and headings."""
    previous = ""
    for node, slot, text, insertable in list(pagemap._slots(tree)):
        if slot == "text" and (node.tag in BLOCKS or "fn" in (node.get("class") or "").split()):
            previous = ""
        owner = node if slot == "text" else node.getparent()
        if insertable and text and owner is not None and not _skipped(owner):
            for match in WORD.finditer(text):
                yield node, slot, match.group(0), previous + text[:match.start()], match.start()
        previous = (previous + text)[-8:]


def _skipped(element) -> bool:
    while element is not None:
        if element.tag in SKIPPED or "nohyphen" in (element.get("class") or "").split():
            return True
        element = element.getparent()
    return False


def _kept_form(word: str, before: str, listed: dict, names: set | None) -> str | None:
    """The word as it is to be set whole (with its soft hyphens), or None to leave it
    to the patterns."""
    offsets = listed.get(word.lower())
    if offsets is not None:   # within the limits the patterns keep (pdf.css: 6 3 3)
        offsets = tuple(o for o in offsets if MIN_SIDE <= o <= len(word) - MIN_SIDE) if len(word) >= MIN_WORD else ()
        return "\u00ad".join(word[a:b] for a, b in zip((0, *offsets), (*offsets, len(word))))
    if len(word) < 5:   # too short to be hyphenated anyway
        return None
    if word.isupper():
        return word
    if names is not None and word[0].isupper() and (_inside_sentence(before) or word in names):
        return word
    return None


def wrap_whole(node, slot: str, places: list, kind: str = "nohyphen") -> list:
    """Put each (start, end, form) of the slot's text ('text' or 'tail' of `node`) in a
    span.nohyphen, which is not hyphenated (setting.py keeps words whole with it too);
    `kind` is its class. The spans made."""
    text = getattr(node, slot) or ""
    pieces, spans, last = [], [], 0
    for start, end, kept in places:
        pieces.append(text[last:start])
        span = lxml.html.Element("span", {"class": kind})
        span.text = kept
        spans.append(span)
        last = end
    for span, tail in zip(spans, pieces[1:] + [text[last:]]):
        span.tail = tail
    if slot == "text":
        node.text = pieces[0]
        for position, span in enumerate(spans):
            node.insert(position, span)
    else:
        node.tail = pieces[0]
        anchor = node
        for span in spans:
            anchor.addnext(span)
            anchor = span
    return spans

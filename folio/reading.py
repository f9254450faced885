"""After an edit, the chapter that changed is read first.

pandoc's Markdown reader is the one part of the book step that grows with the whole
manuscript (2.6 s for a 1,700-page book), and an author's edit usually stays inside
one chapter. The last build's whole read is kept (`read.pickle`, signed as the build
state is: state.py) with the text it was read from. When the new text differs from
it only inside one chapter (from one top-level ATX heading to the next), pandoc reads
that chapter alone, old and new text side by side, and the new chapter's blocks take
the old one's place in the kept AST.

A chapter read alone is pandoc's reading of it inside the book only if nothing
crosses its edges, and what can cross is pandoc's reader state: reference and note
definitions, heading identifiers (made unique through the whole document) and the
headings' texts (implicit references name them), citations' note counts, example-list
numbers, LaTeX macros, metadata blocks, and constructs opened in one chapter and
closed in another. The splice is tried only when:
- the old chapter read alone is the slice of the old whole read, block for block,
  but for its headings' identifiers and its citations' note counts (which pandoc
  numbers through the book): their renumbering is then known, and the new chapter
  must have the same headings and identifiers;
- the next chapter's heading (or the dictionary's definitions, after the last
  chapter) read just after each version is still that heading;
- no reference or note defined in either version is named elsewhere, no bracket is
  left unresolved in its words, and no link points at one of its headings;
- the manuscript has no example lists or LaTeX macro definitions, the chapter no
  metadata, and pandoc said nothing about either read or the kept one.
These checks cannot see everything (a fence opened here and closed chapters later),
so a splice is only a head start: pandoc reads the whole manuscript at the same time
(pandoc.WholeRead), and the book is made from the splice only if that read is the
same AST; only a whole read is kept.
"""
from __future__ import annotations

import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import state

RECORD_VERSION = 1
# Anything in the text that carries reader state from one chapter into others.
ACROSS_CHAPTERS = re.compile(   # example lists (numbered through the book), LaTeX macro definitions
    r"\(@|^[ \t]*@[\w-]*[.)]|\\(?:(?:re)?new(?:command|environment|theorem|if)|provide(?:command|environment)|Declare[A-Za-z]+"
    r"|(?:New|Renew|Provide|Declare)(?:Document|Expandable)?(?:Command|Environment)|[gex]?def|let)(?![A-Za-z])",
    re.M)
PROBE = "folio-reading-probe"   # a citation key read after a chunk (never a manuscript's: see `spliced`)
# What may be a reference's or a note's definition, anywhere on a line (in a quote, a
# list): a label in brackets, then a colon. A label with brackets inside is not read.
DEFINITION = re.compile(r"\]\s*:")
LABEL = re.compile(r"\[([^\[\]]*)\]\s*:")


def _digest(*parts: bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(len(part).to_bytes(8, "big") + part)
    return sha.hexdigest()


def keep(record: Path | None, identity: bytes, text: str, appendix: str, document_json: bytes) -> None:
    """Keep a whole read (pandoc's JSON, as it wrote it) for the next build's splice."""
    if record is None:
        return
    state.save({"version": RECORD_VERSION, "key": _digest(identity, appendix.encode("utf-8")),
                "text": text, "json": document_json}, record)


def forget(record: Path | None) -> None:
    """A read that cannot be spliced from (pandoc said something): keep none."""
    if record is not None:
        record.unlink(missing_ok=True)


def spliced(record: Path | None, identity: bytes, text: str, appendix: str, read_alone) -> tuple[dict, bytes] | None:
    """The AST of `text`, made from the kept read and one chapter read again, and its
    JSON (to keep in turn); None when the splice cannot be shown to equal a whole read.
    `read_alone(markdown)` is pandoc's JSON of a piece of Markdown read alone, or None
    if pandoc said anything about it."""
    if record is None or not record.is_file():
        return None
    try:
        kept = state.load(record)
    except Exception:   # damaged, or not folio's: read the whole
        return None
    if not isinstance(kept, dict) or kept.get("version") != RECORD_VERSION \
            or kept.get("key") != _digest(identity, appendix.encode("utf-8")):
        return None
    old_text, old_json = kept["text"], kept["json"]
    if old_text == text or ACROSS_CHAPTERS.search(text) or ACROSS_CHAPTERS.search(old_text):
        return None
    old = json.loads(old_json)
    level = _chapter_level(old["blocks"])
    if level is None:
        return None
    piece = _changed_chapter(old_text, text, level)
    if piece is None:
        return None
    (start, old_end, new_end), ordinal, chapters_inside = piece
    old_chunk, new_chunk = old_text[start:old_end], text[start:new_end]
    if not _defined_for_itself(old_chunk, new_chunk, (text[:start], text[new_end:], appendix)):
        return None
    first = _nth_chapter(old["blocks"], level, ordinal)
    following = _nth_chapter(old["blocks"], level, ordinal + chapters_inside)
    definitions = _definitions_at(old["blocks"])
    if first is None or (following is None) != (old_end == len(old_text)):
        return None   # the headings found in the text are not the AST's chapters
    if following is not None:   # the next chapter's heading line, read after the chunk
        tail = text[new_end:text.find("\n", new_end) + 1 if "\n" in text[new_end:] else len(text)]
        end = following
    elif appendix:
        if definitions is None:
            return None
        tail, end = appendix, definitions
    else:
        tail, end = "", len(old["blocks"])
    # A citation read after the tail shows pandoc's count of notes and citations at the
    # chunk's end (each citation carries it, `citationNoteNum`): what the splice changes
    # in the later chapters' citations.
    probe = tail + "\n\n[@" + PROBE + "]\n"
    with ThreadPoolExecutor(2) as pool:
        old_read, new_read = pool.map(read_alone, [old_chunk + "\n\n" + probe, new_chunk + "\n\n" + probe])
    if old_read is None or new_read is None:
        return None
    old_alone, new_alone = json.loads(old_read), json.loads(new_read)
    if old_alone.get("meta") or new_alone.get("meta"):
        return None
    old_blocks, new_blocks = old_alone["blocks"], new_alone["blocks"]
    old_count, new_count = _probe_count(old_blocks), _probe_count(new_blocks)
    if old_count is None or new_count is None:
        return None
    old_blocks, new_blocks = old_blocks[:-1], new_blocks[:-1]
    if tail:
        if not old_blocks or not new_blocks:
            return None
        expected = old["blocks"][end]
        if not (_same(old_blocks[-1], expected, {}, {}) and _same(new_blocks[-1], expected, {}, {})):
            return None   # something in the chapter swallowed what follows it
        old_blocks, new_blocks = old_blocks[:-1], new_blocks[:-1]
    renamed: dict = {}
    counted: dict = {}   # the whole read's count before the chunk, against the chunk's own
    if not _same(old_blocks, old["blocks"][first:end], renamed, counted):
        return None
    if _headings(new_blocks) != _headings(old_blocks) or _all_ids(new_blocks) != _all_ids(old_blocks):
        return None   # a heading's text is what implicit references elsewhere name it by
    if _unsafe(new_blocks, renamed) or _unsafe(old_blocks, renamed):
        return None
    if "offset" not in counted and any(node.get("t") == "Cite" for node in _walk(new_blocks)):
        return None   # the count before the chunk is not known: the old chunk cited nothing
    _count_on(new_blocks, counted.get("offset", 0))
    _count_on(old["blocks"][end:], new_count - old_count)
    _rename_headings(new_blocks, renamed)
    old["blocks"][first:end] = new_blocks
    from .ast import to_json
    return old, to_json(old)


def _defined_for_itself(old_chunk: str, new_chunk: str, outside: tuple) -> bool:
    """No reference or note defined in the chapter (before or after the edit) is named
    anywhere else: a definition there would serve, or clash with, another chapter.
    Labels are compared as pandoc matches them, case and spacing aside; a label that
    cannot be read plainly (brackets inside it) is taken as named elsewhere."""
    labels = set()
    for chunk in (old_chunk, new_chunk):
        plain = {m.end(): _label(m.group(1)) for m in LABEL.finditer(chunk)}
        if any(m.end() not in plain for m in DEFINITION.finditer(chunk)):
            return False
        labels.update(plain.values())
    if not labels:
        return True
    named = {_label(m.group(1)) for part in outside for m in BRACKETED.finditer(part)}
    return not labels & named


BRACKETED = re.compile(r"\[([^\[\]]*)\]")


def _label(text: str) -> str:
    return " ".join(text.lower().split())


def _chapter_level(blocks: list) -> int | None:
    levels = [b["c"][0] for b in blocks if b.get("t") == "Header"]
    return min(levels) if levels else None


def _boundaries(text: str, level: int) -> list[int]:
    """Where each ATX heading of the chapters' level begins a line (a candidate: the
    read of the piece between two of them shows whether pandoc saw a heading there)."""
    return [m.start() for m in re.finditer(rf"^#{{{level}}}(?!#)[ \t]", text, re.M)]


def _changed_chapter(old: str, new: str, level: int):
    """((start, old end, new end), the chapter's ordinal, chapters in it) of the piece
    from the heading before the first changed character to the heading after the last
    one, the same in both texts; None if there is none."""
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, prefix)
    old_marks, new_marks = _boundaries(old, level), _boundaries(new, level)
    before = [b for b in old_marks if b <= prefix and (b == 0 or old[b - 1] == "\n")]
    if not before:
        return None
    start = before[-1]
    if start not in new_marks:
        return None
    ordinal = old_marks.index(start)
    new_after = [b for b in new_marks if b > start and b >= len(new) - suffix]
    old_after = [b for b in old_marks if b > start and b >= len(old) - suffix]
    if new_after and old_after:
        new_end, old_end = new_after[0], old_after[0]
        if len(new) - new_end != len(old) - old_end:   # not the same heading
            return None
    elif not new_after and not old_after:
        new_end, old_end = len(new), len(old)
    else:
        return None
    inside = sum(1 for b in old_marks if start <= b < old_end)
    if inside != sum(1 for b in new_marks if start <= b < new_end):
        return None
    return (start, old_end, new_end), ordinal, inside


def _common_prefix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:   # halving on slices compared at C speed
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, prefix: int) -> int:
    low, high = 0, min(len(a), len(b)) - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    return low


def _nth_chapter(blocks: list, level: int, n: int) -> int | None:
    """The index of the n-th top-level heading of the chapters' level (0-based)."""
    seen = -1
    for i, block in enumerate(blocks):
        if block.get("t") == "Header" and block["c"][0] == level:
            seen += 1
            if seen == n:
                return i
    return None


def _definitions_at(blocks: list) -> int | None:
    for i in range(len(blocks) - 1, -1, -1):
        block = blocks[i]
        if block.get("t") == "Div" and block["c"][0][0] == "folio-definitions":
            return i
    return None


def _same(a, b, renamed: dict, counted: dict) -> bool:
    """Equal ASTs but for headings' identifiers, whose pairs go into `renamed`, and
    citations' note counts, which must differ by one offset (`counted["offset"]`)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y, renamed, counted) for x, y in zip(a, b))
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return False
        kind = a.get("t")
        if kind == "Header" and b.get("t") == "Header":
            (level, (ident, classes, pairs), inlines), (level2, (ident2, classes2, pairs2), inlines2) = a["c"], b["c"]
            if renamed.setdefault(ident, ident2) != ident2:
                return False
            return level == level2 and classes == classes2 and pairs == pairs2 \
                and _same(inlines, inlines2, renamed, counted)
        if "citationNoteNum" in a:
            number, number2 = a["citationNoteNum"], b["citationNoteNum"]
            if not (isinstance(number, int) and isinstance(number2, int)) \
                    or counted.setdefault("offset", number2 - number) != number2 - number:
                return False
            return all(_same(a[k], b[k], renamed, counted) for k in a if k != "citationNoteNum")
        return all(_same(a[k], b[k], renamed, counted) for k in a)
    return a == b


def _probe_count(blocks: list) -> int | None:
    """The note count the probe citation (the last block) carries."""
    if not blocks:
        return None
    last = blocks[-1]
    try:
        (citation,), _ = last["c"][0]["c"]
        if last["t"] != "Para" or len(last["c"]) != 1 or citation["citationId"] != PROBE:
            return None
        return int(citation["citationNoteNum"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _count_on(blocks: list, by: int) -> None:
    """Add `by` to the note count of every citation in `blocks`."""
    if by:
        for node in _walk(blocks):
            if node.get("t") == "Cite":
                for citation in node["c"][0]:
                    citation["citationNoteNum"] += by


def _walk(node):
    if isinstance(node, list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, dict):
        yield node
        for value in node.values():
            if isinstance(value, (list, dict)):
                yield from _walk(value)


def _headings(blocks: list) -> list:
    return [n["c"] for n in _walk(blocks) if n.get("t") == "Header"]


def _all_ids(blocks: list) -> list:
    """Every identifier an element carries (its Attr's first item), sorted."""
    found = []
    for node in _walk(blocks):
        content = node.get("c")
        attr = content[1] if node.get("t") == "Header" else content[0] if isinstance(content, list) and content else None
        if isinstance(attr, list) and len(attr) == 3 and isinstance(attr[0], str) and isinstance(attr[1], list):
            found.append(attr[0])
    return sorted(found)


def _unsafe(blocks: list, renamed: dict) -> bool:
    """A bracket left in the words (an unresolved reference or note), or a link to a
    heading whose identifier the whole read numbers otherwise."""
    for node in _walk(_without_citation_text(blocks)):
        kind, content = node.get("t"), node.get("c")
        if kind == "Str" and ("[" in content or "]" in content):
            return True
        if kind == "Link" and content[2][0].startswith("#") and content[2][0][1:] in renamed:
            return True
    return False


def _without_citation_text(blocks):
    """The AST with each citation's written form (`[@key, p. 5]`, brackets and all)
    left out: pandoc keeps it beside the parsed citation."""
    if isinstance(blocks, list):
        return [_without_citation_text(item) for item in blocks]
    if isinstance(blocks, dict):
        if blocks.get("t") == "Cite":
            return {"t": "Cite", "c": [_without_citation_text(blocks["c"][0]), []]}
        return {k: _without_citation_text(v) for k, v in blocks.items()}
    return blocks


def _rename_headings(blocks: list, renamed: dict) -> None:
    for node in _walk(blocks):
        if node.get("t") == "Header":
            node["c"][1][0] = renamed.get(node["c"][1][0], node["c"][1][0])

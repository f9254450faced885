"""pandoc's HTML writing, chapter by chapter, kept between builds.

Writing a 50x book's AST as HTML takes pandoc about 2 s, on every edit. Its output
for a chapter depends on the rest of the book only through the notes' numbers (pandoc
numbers them through the whole document and lists them at its end) and the
sections `--section-divs` makes, which a heading of the book's top level closes. So
the blocks are cut into chapters at those headings (`chapters`), and each chapter's
HTML is kept (`html-chapters.pickle`, signed as the build state is: state.py) under
a hash of its JSON, the metadata, the writer's options and pandoc itself, with its
notes numbered from 1. An edit writes only the chapters it changed, in one pandoc
run, each closed by a marker comment with a fresh nonce so the output can be cut
apart again; the notes are then numbered through the book as pandoc would have. A
long book's chapters (up to some 23 times the bundled book; a longer one would hold
too much memory so), written cold, are shared between as many runs at once as the
build has jobs (`-j`), each run given the metadata and a share of the chapters.

Whatever does not fit what this expects of pandoc's output (a marker missing, notes
not numbered in order, a call the author forged with raw HTML, a message from the
writer) falls back to one plain run over the whole document, which keeps nothing.
`tests/test_writing.py` holds the result to that plain run on every case book.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from . import state

RECORD_VERSION = 1
NOTE = b'{"t":"Note"'   # a Note node in compact JSON (a string's quotes would be escaped)
# A code block with no id of its own: pandoc numbers it through the document (cbN).
CODE = b'{"t":"CodeBlock","c":[["",'
# An id, a link target (`#cb2`, `#cb02`) or a word of the author's like pandoc's own: not cut apart.
AUTHORS_CB = re.compile(rb'["#]cb\d')
CB = re.compile(r'(id="|href="#)cb(\d+)(?=["-])')
HEADER = re.compile(rb'\{"t":"Header","c":\[(\d+),')
CALL = re.compile(r'<a href="#fn(\d+)" class="footnote-ref" id="fnref(\d+)" role="doc-noteref"><sup>(\d+)</sup></a>')
ITEM = re.compile(r'<li id="fn(\d+)">')
BACK = re.compile(r'<a href="#fnref(\d+)" class="footnote-back" role="doc-backlink">')
NOTES_OPEN = '<section id="footnotes" class="footnotes footnotes-end-of-document" role="doc-endnotes">\n<hr />\n<ol>\n'
NOTES_CLOSE = "\n</ol>\n</section>\n"
BODY_END = "</folio-body>\n"
CLOSINGS = re.compile(r"(?:</section>\n)*")


class Unexpected(Exception):
    """pandoc's output is not as this module reads it: write the whole document instead."""


@dataclass(frozen=True)
class Written:
    html: str
    stderr: str
    messages: list


def chapters(blocks: list) -> list[tuple[int, int]]:
    """(start, end) of each run of top-level blocks from one heading of the book's top
    level to the next; the blocks before the first heading are a run of their own."""
    levels = [(i, int(found.group(1))) for i, block in enumerate(blocks)
              if (found := HEADER.match(bytes(block[:40])))]
    if not levels:
        return [(0, len(blocks))] if blocks else []
    top = min(level for _, level in levels)
    starts = sorted({0} | {i for i, level in levels if level == top})
    return [(start, end) for start, end in zip(starts, starts[1:] + [len(blocks)]) if end > start]


# pandoc's reader numbers each citation's place among the notes; the HTML writer does
# not print it, and a note added early would otherwise change every later chapter's key.
NOTE_NUMBER = re.compile(rb'"citationNoteNum":\d+')


def _notes(chapter: bytes) -> int:
    """The notes pandoc's writer numbers in a chapter (its JSON): each Note node but
    those in an image's description, which the writer flattens to its alt text (a
    figure's caption and its image's description are copies of each other)."""
    if b'"t":"Image"' not in chapter:
        return chapter.count(NOTE)

    found, todo = 0, [json.loads(b"[" + chapter + b"]")]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict) and node.get("t") != "Image":
            found += node.get("t") == "Note"
            todo.append(node.get("c"))
    return found


def _key(head: bytes, chapter: bytes, identity: bytes) -> str:
    digest = hashlib.sha256()
    for part in (str(RECORD_VERSION).encode(), identity, head, NOTE_NUMBER.sub(b'"citationNoteNum":0', chapter)):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _shift_calls(text: str, shift: int) -> str:
    return CALL.sub(lambda m: _call(int(m.group(1)) + shift), text) if shift else text


def _call(number: int) -> str:
    return (f'<a href="#fn{number}" class="footnote-ref" id="fnref{number}" role="doc-noteref">'
            f'<sup>{number}</sup></a>')


def _shift_item(item: str, shift: int) -> str:
    if not shift:
        return item
    item = ITEM.sub(lambda m: f'<li id="fn{int(m.group(1)) + shift}">', item, count=1)
    return BACK.sub(lambda m: f'<a href="#fnref{int(m.group(1)) + shift}" class="footnote-back" role="doc-backlink">',
                    item)


def _shift_code(text: str, shift: int) -> str:
    return CB.sub(lambda m: f"{m.group(1)}cb{int(m.group(2)) + shift}", text) if shift else text


def _check_code(texts: list[str], first: int, count: int) -> None:
    """The chapter's code blocks hold the numbers pandoc gave them, and no other."""
    if any(not first <= int(m.group(2)) < first + count for text in texts for m in CB.finditer(text)):
        raise Unexpected("code block numbers")


def _check(piece: str, items: list[str], first: int) -> None:
    """A chapter's calls are its notes' numbers in order, each note has one backlink to
    its call, and nothing else in them looks like either (raw HTML an author forged)."""
    calls = CALL.findall(piece)
    if len(calls) != len(items) or ITEM.search(piece) or BACK.search(piece) \
            or any(not (a == b == c == str(first + i)) for i, (a, b, c) in enumerate(calls)):
        raise Unexpected("note calls")
    for i, item in enumerate(items):
        if [m.group(1) for m in ITEM.finditer(item)] != [str(first + i)] or not item.startswith("<li ") \
                or BACK.findall(item) != [str(first + i)] or CALL.search(item):
            raise Unexpected("note items")


def _split_notes(rest: str, count: int) -> list[str]:
    """The note items pandoc listed at the end of the body (`rest`)."""
    if count == 0:
        if rest != BODY_END:
            raise Unexpected("end")
        return []
    if not rest.startswith(NOTES_OPEN) or not rest.endswith(NOTES_CLOSE + BODY_END):
        raise Unexpected("notes section")
    listed = rest[len(NOTES_OPEN):-len(NOTES_CLOSE + BODY_END)]
    starts = [m.start() for m in ITEM.finditer(listed) if m.start() == 0 or listed[m.start() - 1] == "\n"]
    if len(starts) != count or starts[:1] != [0]:
        raise Unexpected("note items")
    return [listed[a:b].removesuffix("\n") for a, b in zip(starts, starts[1:] + [len(listed)])]


def _written(output: str, nonce: str, counts: list[tuple[int, int]], before: tuple[int, int]) \
        -> tuple[str, list[str], list[tuple[str, list[str]]]]:
    """The run's output cut apart: the part before the body (the metadata), the notes
    the metadata holds, and each chapter's HTML with its notes, notes and code blocks
    numbered from 1. `counts`: each chapter's (notes, code blocks); `before`: the
    metadata's, which pandoc numbers first."""
    parts = output.split(f"<!--folio-chapter-{nonce}-->\n")
    if len(parts) != len(counts) + 2 or not parts[0].endswith("<folio-body>\n"):
        raise Unexpected("markers")
    # A chapter's marker comes before the closing tags of the sections it left open.
    pieces, carry = [], parts[1]
    for segment in parts[2:]:
        closings = CLOSINGS.match(segment).group(0)
        pieces.append(carry + closings)
        carry = segment[len(closings):]
    items = _split_notes(carry, before[0] + sum(notes for notes, _ in counts))
    chapters_, first, code = [], before[0] + 1, before[1] + 1
    for piece, (notes, blocks) in zip(pieces, counts):
        own = items[first - 1:first - 1 + notes]
        _check(piece, own, first)
        _check_code([piece, *own], code, blocks)
        chapters_.append((_shift_code(_shift_calls(piece, 1 - first), 1 - code),
                          [_shift_code(_shift_item(item, 1 - first), 1 - code) for item in own]))
        first, code = first + notes, code + blocks
    return parts[0], items[:before[0]], chapters_


def _load(record: Path | None) -> dict:
    if record is None or not record.is_file():
        return {}
    try:
        kept = state.load(record)
    except Exception:   # not folio's, damaged, or from another version: write again
        return {}
    if not (isinstance(kept, dict) and kept.get("version") == RECORD_VERSION and isinstance(kept.get("chapters"), dict)):
        return {}
    return kept["chapters"]


def write(head: bytes, blocks: list, identity: bytes, run, record: Path | None, writers: int = 1) -> Written:
    """The document (`head`, the JSON up to its list of blocks, and each top-level
    block's JSON) as HTML. `run(input) -> (stdout, stderr, messages)` runs pandoc's
    writer; `identity` is everything else its output depends on (options, binary).
    With `writers` over 1, a long run of chapters is written by that many pandoc runs
    at once, each given the head and a share of the chapters (`_shares`)."""
    kept = _load(record)
    nonce = secrets.token_hex(12)
    marker = b'{"t":"RawBlock","c":["html","<!--folio-chapter-' + nonce.encode() + b'-->"]}'
    # Each chapter's JSON is made, hashed and counted one at a time, and only those to
    # write are kept, as pieces of pandoc's input: while pandoc writes, the input is the
    # one copy of them in this process (at 50x each copy is 13 MB, and the book step
    # and pandoc's writer together are the cold build's peak).
    keys, codes, todo, counts, fresh_json, authors_ids = [], [], [], [], [], bool(AUTHORS_CB.search(head))
    for i, (a, b) in enumerate(chapters(blocks)):
        chapter = b",".join(bytes(block) for block in blocks[a:b])
        keys.append(_key(head, chapter, identity))
        codes.append(chapter.count(CODE))
        if keys[-1] not in kept:
            todo.append(i)
            counts.append((_notes(chapter), codes[-1]))
            authors_ids = authors_ids or bool(AUTHORS_CB.search(chapter))
            fresh_json.append(chapter)
    shares = _shares([len(chapter) for chapter in fresh_json], writers)
    documents = []
    for first, end in shares:
        documents.append(b"".join([head, marker, *(piece for chapter in fresh_json[first:end]
                                                   for piece in (b",", chapter, b",", marker)), b"]}"]))
        fresh_json[first:end] = [b""] * (end - first)   # the documents hold the one copy now
    del fresh_json
    before = (head.count(NOTE), head.count(CODE))
    outputs = _run_all(run, documents)
    del documents
    # Every run writes the metadata: what pandoc says of it is said once.
    stderr = "".join(dict.fromkeys(line for out in outputs for line in out[1].splitlines(keepends=True)))
    messages = list({json.dumps(m, sort_keys=True): m for out in outputs for m in out[2]}.values())
    try:
        if authors_ids:
            raise Unexpected("an id like pandoc's own")
        fresh = []
        for (first, end), (stdout, _, _) in zip(shares, outputs):
            prefix, items, written = _written(stdout.decode("utf-8"), nonce, counts[first:end], before)
            fresh += written
    except (Unexpected, UnicodeDecodeError, AttributeError):
        del outputs
        stdout, stderr, messages = run(b"".join([head, b",".join(bytes(block) for block in blocks), b"]}"]))
        _keep(record, {})
        return Written(stdout.decode("utf-8"), stderr, messages)
    del outputs
    made = dict(zip(todo, fresh))
    pieces, code = [], before[1]
    for i, key in enumerate(keys):
        piece, notes = made[i] if i in made else kept[key]
        shift = len(items)   # the notes of the metadata and of the chapters before
        pieces.append(_shift_code(_shift_calls(piece, shift), code))
        items += [_shift_code(_shift_item(item, shift), code) for item in notes]
        code += codes[i]
    notes_html = NOTES_OPEN + "\n".join(items) + NOTES_CLOSE if items else ""
    clean = not stderr.strip() and not messages   # what the writer said belongs to no one chapter: keep none then
    _keep(record, {key: made[i] if i in made else kept[key] for i, key in enumerate(keys)
                   if clean or i not in made})
    return Written(prefix + "".join(pieces) + notes_html + BODY_END, stderr, messages)


# Below this much JSON to write, a second pandoc run saves little: pandoc's writer
# takes 0.10 s for the bundled book's 0.26 MB and 0.77 s for ten times as much.
SHARED_WRITING_ABOVE = 1_000_000
# Above this much, one run: each pandoc takes some 180 MB however little it writes, and
# more above 4 MB (the 50x book's 13 MB: 352 MB whole, 297 MB each half), which two at
# once would add to the cold build's peak (713 MB at 50x against 564 MB, measured).
SHARED_WRITING_UP_TO = 6_000_000


def _shares(sizes: list[int], writers: int) -> list[tuple[int, int]]:
    """The chapters to write cut into up to `writers` runs of consecutive chapters of
    about the same size: (first, end) of each; one run for a short or a very long book,
    or one chapter."""
    total = sum(sizes)
    if writers < 2 or len(sizes) < 2 or not SHARED_WRITING_ABOVE <= total <= SHARED_WRITING_UP_TO:
        return [(0, len(sizes))]
    writers = min(writers, len(sizes))
    before = [0]   # before[i]: the size of the chapters before chapter i
    for size in sizes:
        before.append(before[-1] + size)
    cuts = [0]
    for share in range(1, writers):   # each cut where the sizes before it come nearest its share of the whole
        cut = min(range(cuts[-1] + 1, len(sizes) - (writers - share) + 1),
                  key=lambda i: abs(before[i] - total * share / writers))
        cuts.append(cut)
    return list(zip(cuts, cuts[1:] + [len(sizes)]))


def _run_all(run, documents: list[bytes]) -> list[tuple[bytes, str, list]]:
    """Each document through pandoc's writer, at once when there are several; a failed
    run raises its own error (the first, in order)."""
    if len(documents) == 1:
        return [run(documents[0])]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(len(documents)) as pool:
        futures = [pool.submit(run, document) for document in documents]
        return [future.result() for future in futures]


def _keep(record: Path | None, chapters_: dict) -> None:
    if record is not None:
        state.save({"version": RECORD_VERSION, "chapters": chapters_}, record)


"""Index entries, collected once from the text, with anchors but no links.

Two passes mark the text: dictionary headwords and variants (whole words, any case,
with plurals and possessives), and the author's explicit marks. Each occurrence gets
an id (`ix-N`); `collect` then builds the sorted, grouped index from the marks. Each
edition turns an anchor into its own locator: a page number in the PDF, a link to the
passage in HTML and EPUB.

Mark syntax in the Markdown (pandoc spans and divs):
    [Putilov Factory]{.index}                    the text is the entry
    [his notes]{index="Lenin’s Testament"}       another entry for this spot
    [the Soviet]{index="Soviet!Petrograd"}       '!' makes a sub-entry
    ::: {index="Permanent revolution!origins"}   a page range over a passage
    :::
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import lxml.etree
import lxml.html

from .dictionary import Entry, curled, entry_key, group_order, letter_group, sort_key

SKIP_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "a", "code", "pre", "script", "style", "sup"}
SKIP_CLASSES = {"citation", "csl-entry", "references", "citation-needed", "ix"}
SUFFIX = r"(?:['’]s|s['’]|es|s)?"   # plurals and possessives, never a closing quote


@dataclass(frozen=True)
class Occurrence:
    anchor: str               # id of the marked element
    end: str | None = None    # for a range: id of the element that ends it


@dataclass(frozen=True)
class IndexEntry:
    term: str
    sort_key: str
    key: str
    occurrences: tuple[Occurrence, ...] = ()
    subentries: tuple["IndexEntry", ...] = ()
    see: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    glossary: bool = False    # the glossary has an entry for it
    kind: str = ""            # the dictionary kind, so works can be set in italics


@dataclass(frozen=True)
class IndexGroup:
    label: str
    entries: tuple[IndexEntry, ...]


MARK = "ix-"   # the id prefix of a mark's anchor in the text


class Marks:
    """What the marking passes found, in document order: entry path -> occurrences."""

    def __init__(self):
        self.count = 0
        self.found: dict[tuple[str, ...], list[Occurrence]] = {}
        self.created: set[str] = set()
        self.order: dict[str, int] = {}   # a mark's anchor -> its place in the book (name_by_chapter)

    def new_id(self) -> str:
        self.count += 1
        self.created.add(f"{MARK}{self.count}")
        return f"{MARK}{self.count}"

    def name_by_chapter(self, body, level: int) -> None:
        """The anchors made here renamed `ix-<chapter>-<n>`, counted within their
        chapter: a mark added in one chapter then renames no anchor of another, so
        the other chapters' cached layouts stay good (layout.py). A mark in a note
        belongs to the chapter that calls the note, and is counted (and ordered, for
        the index's places) where the note is called: pandoc keeps every note at the
        end of the book until book.py hands them to their chapters."""
        import hashlib
        # Only elements with an id are visited, found by XPath in C: a long book has a
        # million elements, and a Python call on each was a tenth of assembling it.
        with_id = lxml.etree.XPath("descendant-or-self::*[@id]")
        taken = {element.get("id") for element in with_id(body) if element.get("id")}
        endnotes = [s for s in body.iter("section") if s.get("role") == "doc-endnotes"]
        notes = {item.get("id"): item for item in endnotes[-1].iter("li") if item.get("id")} if endnotes else {}

        def in_reading_order(chapter):
            for element in with_id(chapter):
                yield element
                called = (element.get("href") or "")[1:] if element.tag == "a" else ""
                if called in notes and "footnote-ref" in (element.get("class") or "").split():
                    yield from with_id(notes.pop(called))   # a note is called once; read at its call
        renamed: dict[str, str] = {}
        for chapter in [s for s in body.iter("section") if f"level{level}" in (s.get("class") or "").split()] + [body]:
            if chapter is body and len(renamed) == len(self.created):
                break   # every mark was in a chapter: none is left for the body's own count
            tag = hashlib.sha1((chapter.get("id") or "").encode("utf-8")).hexdigest()[:6]
            count = 0
            for element in in_reading_order(chapter):
                old = element.get("id")
                if old not in self.created or old in renamed:
                    continue
                count += 1
                new = f"{MARK}{tag}-{count}"
                while new in taken:
                    count += 1
                    new = f"{MARK}{tag}-{count}"
                taken.add(new)
                renamed[old] = new
                self.order[new] = len(self.order)   # chapters, and the marks in each, in the book's order
                element.set("id", new)
        ends = {f"{old}-end": f"{new}-end" for old, new in renamed.items()}   # a range's end (mark_explicit)
        range_ends = lxml.etree.XPath("descendant-or-self::*[substring(@id, string-length(@id) - 3) = '-end']")
        for element in range_ends(body) if ends else ():
            if element.get("id") in ends and ends[element.get("id")] not in taken:
                taken.add(ends[element.get("id")])
                renamed[element.get("id")] = ends[element.get("id")]
                element.set("id", renamed[element.get("id")])
        for path, occurrences in self.found.items():
            self.found[path] = [Occurrence(renamed.get(o.anchor, o.anchor), renamed.get(o.end, o.end) if o.end else o.end)
                                for o in occurrences]
        self.created = set(renamed.values())

    def add(self, path: tuple[str, ...], occurrence: Occurrence) -> None:
        self.found.setdefault(path, []).append(occurrence)


# Scripts written without spaces between words (Chinese, Japanese kana and kanji): a
# form is found inside a run of them, with no word boundary to wait for.
UNSPACED = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


@functools.lru_cache(maxsize=1)
def _marks() -> str:
    """The combining marks of the Basic Multilingual Plane as a character class's
    ranges: a vowel sign (Devanagari's ी) is part of the word it follows, so कम is not
    found inside कमी, though Python's \\w does not count it as a letter."""
    ranges, start, last = [], None, None
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)) in ("Mn", "Mc", "Me"):
            if start is None:
                start = code
            last = code
        elif start is not None:
            ranges.append(f"\\u{start:04x}" + (f"-\\u{last:04x}" if last != start else ""))
            start = None
    return "".join(ranges)


def _matcher(entries: tuple[Entry, ...]):
    forms = {_folded(form).replace("’", "'"): entry for entry in entries for form in entry.forms}
    if not forms:
        return None, forms
    spaced_letter = rf"[^\W{UNSPACED}]"   # a word character of a script that spaces its words
    pattern = re.compile(rf"(?<!{spaced_letter})(?<![-{_marks()}])({_trie(forms)}){SUFFIX}"
                         rf"(?!{spaced_letter})(?![{_marks()}])", re.I)
    return pattern, forms


MAX_TRIE_DEPTH = 200   # forms nested deeper (each the beginning of the next) are matched flat


def _trie(forms) -> str:
    """The forms as one regular expression that shares their common beginnings: a
    flat alternation of a long dictionary's forms is tried form by form at every word
    (5x slower on a long book). Where a form is the beginning of a longer one, the
    longer is tried first, as in an alternation sorted longest first. A run of letters
    with nothing branching off is written at once, so the depth is the forms' nesting,
    not their length; a dictionary nested deeper than MAX_TRIE_DEPTH gets the flat
    alternation."""
    root: dict = {}
    for form in forms:
        node = root
        for character in form:
            node = node.setdefault(character, {})
        node[""] = {}

    def expression(node: dict, depth: int) -> str:
        if depth > MAX_TRIE_DEPTH:
            raise RecursionError
        branches = []
        for character, rest in sorted(node.items()):
            if not character:
                continue
            run = [character]
            while "" not in rest and len(rest) == 1:   # a run with nothing branching off
                character, rest = next(iter(rest.items()))
                run.append(character)
            branches.append(_either_apostrophe(re.escape("".join(run))) + expression(rest, depth + 1))
        if not branches:
            return ""
        joined = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{joined})?" if "" in node else joined
    try:
        return expression(root, 0)
    except RecursionError:
        return "|".join(_either_apostrophe(re.escape(form)) for form in sorted(forms, key=len, reverse=True))


def _either_apostrophe(escaped: str) -> str:
    """A form's apostrophe (kept as ', see `_matcher`) matches either one in the text."""
    return escaped.replace("'", "['’]")


def _folded(text: str) -> str:
    """Lower case letter for letter, as the pattern's re.I compares: str.lower makes
    'İ' two characters ('i' and a combining dot), which "İstanbul" in the text has not."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else "".join(c.lower()[0] for c in text)


def _normalise_form(match: str) -> str:
    return _folded(match).replace("’", "'")


def _skipped(element) -> bool:
    classes = set((element.get("class") or "").split())
    explicit_mark = element.tag == "span" and (element.get("data-index") is not None or "index" in classes)
    return (element.tag in SKIP_TAGS or bool(classes & SKIP_CLASSES) or explicit_mark
            or element.get("id") in ("refs", "folio-definitions"))


def mark_dictionary_terms(body, entries: tuple[Entry, ...], marks: Marks) -> None:
    """Wrap every occurrence of a headword or variant in <span class="ix" id="ix-N">."""
    pattern, forms = _matcher(entries)
    if pattern is None:
        return
    lookup = {k.replace("’", "'"): v for k, v in forms.items()}

    make_span = body.makeelement   # in C, with the document's element classes
    finditer = pattern.finditer

    def split(text: str):
        """[text, span, text, span, …, text], or None where no term occurs (most text)."""
        pieces, last = None, 0
        for match in finditer(text):
            entry = lookup.get(_normalise_form(match.group(1)))
            if entry is None:
                continue
            if pieces is None:
                pieces = []
            pieces.append(text[last:match.start()])
            # A short phrase is kept on one line in print, so that no page break splits
            # it and its locator's page shows the whole phrase.
            words = match.group(0)
            phrase = " " in words and len(words) <= 40
            anchor = marks.new_id()
            span = make_span("span", {"class": "ix ix-phrase" if phrase else "ix", "id": anchor,
                                      "data-entry": entry.key})
            span.text = words
            pieces.append(span)
            marks.add((entry.headword,), Occurrence(anchor))
            last = match.end()
        if pieces is not None:
            pieces.append(text[last:])
        return pieces

    def walk(element) -> None:
        if element.text:
            pieces = split(element.text)
            if pieces is not None:
                element.text = pieces[0]
                at = 0
                for i in range(1, len(pieces), 2):
                    span, after = pieces[i], pieces[i + 1]
                    span.tail = after
                    element.insert(at, span)
                    at += 1
        for child in list(element):
            if not isinstance(child.tag, str):
                continue
            if not _skipped(child) and not (child.get("class") or "").startswith("ix"):
                walk(child)
            if child.tail:
                pieces = split(child.tail)
                if pieces is None:
                    continue
                child.tail = pieces[0]
                position = element.index(child)
                for i in range(1, len(pieces), 2):
                    span, after = pieces[i], pieces[i + 1]
                    span.tail = after
                    position += 1
                    element.insert(position, span)

    walk(body)


def _path(value: str, text: str) -> tuple[str, ...]:
    """The entry path of a mark; empty when the mark names nothing at all."""
    return tuple(curled(p.strip()) for p in (value or text).split("!") if p.strip())


def mark_explicit(body, marks: Marks, entries: tuple[Entry, ...] = ()) -> list:
    """The author's marks: spans with `index=` or class `index`, and divs for ranges.
    A span that names a dictionary entry in its own words (`[Schrödinger equation]{.index}`,
    not `[his thesis]{index="Pabloism"}`) is that entry's occurrence for the glossary too:
    the dictionary's own matching skips the author's marks. Returns the marks that name
    no entry (no text and no `index=`), left unmarked."""
    by_name = {entry.headword.lower(): entry for entry in entries}
    empty = []
    for element in list(body.iter("span", "div")):
        explicit = element.get("data-index")
        is_mark = explicit is not None or "index" in (element.get("class") or "").split()
        if not is_mark:
            continue
        path = _path(explicit or "", " ".join("".join(element.itertext()).split()))
        if not path:
            empty.append(element)
            continue
        if element.tag == "span":
            element.set("id", element.get("id") or marks.new_id())
            element.set("class", ((element.get("class") or "") + " ix").strip())
            entry = by_name.get(path[0].lower()) if len(path) == 1 else None
            written = " ".join("".join(element.itertext()).split()).lower()
            if entry is not None and written in {form.lower() for form in entry.forms}:
                element.set("data-entry", entry.key)
            marks.add(path, Occurrence(element.get("id")))
            continue
        start = lxml.html.Element("span", {"class": "ix ix-start", "id": marks.new_id()})
        end = lxml.html.Element("span", {"class": "ix ix-end", "id": start.get("id") + "-end"})
        first = element[0] if len(element) and element[0].tag in ("p", "li") else element
        start.tail, first.text = first.text, ""
        first.insert(0, start)
        last = element[-1] if len(element) and element[-1].tag in ("p", "li") else element
        last.append(end)
        marks.add(path, Occurrence(start.get("id"), end.get("id")))
    return empty


def link_glossary_terms(body, entries: tuple[Entry, ...], level: int) -> dict[str, list[str]]:
    """The first occurrence of a glossary term in each chapter (its text, else its
    notes) links to its entry.

    Returns, for each term, the anchors of those linked occurrences: where it is used.
    """
    glossary = {e.key for e in entries if e.in_glossary}
    used: dict[str, list[str]] = {}
    notes = {item.get("id"): item for section in body.iter("section") if section.get("role") == "doc-endnotes"
             for item in section.iter("li") if item.get("id")}
    for chapter in body.iter("section"):
        if f"level{level}" not in (chapter.get("class") or "").split():
            continue
        linked = set()
        # its text first, then its notes (pandoc keeps them after the last chapter)
        called = [notes.get((call.get("href") or "")[1:]) for call in chapter.find_class("footnote-ref")]
        spans = list(chapter.find_class("ix")) + [span for note in called if note is not None
                                                  for span in note.find_class("ix")]
        for span in spans:
            key = span.get("data-entry")
            if key in glossary and key not in linked:
                linked.add(key)
                link = lxml.html.Element("a", {"href": f"#gl-{key}", "class": "glossterm"})
                link.text, span.text = span.text, ""
                span.append(link)
                used.setdefault(key, []).append(span.get("id"))
    return used


def _entry_for(path, occurrences, entry: Entry | None, children) -> IndexEntry:
    term = entry.headword if entry else path[-1]
    # A sub-entry's id is its parent's and its own: "Tax!Sugar" beside a headword "Sugar"
    # is another entry, and one book cannot hold two ids "ixe-sugar".
    key = entry_key(term) if len(path) == 1 else f"{entry_key(path[0])}--{entry_key(term)}"
    return IndexEntry(term=term, sort_key=entry.sort_key if entry else sort_key(term), key=key,
                      occurrences=tuple(occurrences), subentries=tuple(sorted(children, key=lambda e: (e.sort_key, e.term))),
                      see=entry.see if entry else (), see_also=entry.see_also if entry else (),
                      glossary=bool(entry and entry.in_glossary), kind=entry.kind if entry else "")


def collect(marks: Marks, entries: tuple[Entry, ...]) -> tuple[IndexGroup, ...]:
    """The sorted, grouped index: dictionary entries that occur or cross-refer, and marks."""
    by_name = {e.headword.lower(): e for e in entries}
    tops: dict[str, list] = {}
    subs: dict[str, dict[str, list]] = {}
    for path, found in marks.found.items():
        top = path[0].lower()
        entry = by_name.get(top)
        if entry is not None and len(path) == 1 and not entry.auto_index and path == (entry.headword,):
            # index: false in the dictionary: marked for the glossary, not listed
            continue
        tops.setdefault(top, [])
        if len(path) == 1:
            tops[top].extend(found)
        else:
            subs.setdefault(top, {}).setdefault(path[1], []).extend(found)
    for entry in entries:
        if (entry.see or entry.see_also) and entry.headword.lower() not in tops and entry.see:
            tops[entry.headword.lower()] = []
    # In the book's order: the marking passes find the author's marks first, then the
    # dictionary's terms, and the EPUB and the site list a term's places as found.
    def in_order(found: list) -> list:
        return sorted(found, key=lambda o: marks.order.get(o.anchor, len(marks.order)))
    result = []
    for top, found in tops.items():
        found = in_order(found)
        entry = by_name.get(top)
        display = entry.headword if entry else next(p[0] for p in marks.found if p[0].lower() == top)
        children = [_entry_for((display, name), in_order(occ), None, ()) for name, occ in subs.get(top, {}).items()]
        result.append(_entry_for((display,), found, entry, children))
    result.sort(key=lambda e: (e.sort_key, e.term))
    groups: dict[str, list] = {}
    for item in result:
        groups.setdefault(letter_group(item.sort_key), []).append(item)
    order = sorted(groups, key=group_order)
    return tuple(IndexGroup(label, tuple(groups[label])) for label in order)

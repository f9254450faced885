"""Dictionary entries: the data behind the glossary and the index.

Read from YAML with each entry's line, validated strictly (unknown field, duplicate
headword, dangling see or see-also, empty definition all stop the build), and turned
into frozen `Entry` values. Definitions are Markdown; they are rendered in the same
pandoc run as the manuscript (see `pandoc.py`).
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from .diagnostics import Diagnostic, BuildError, error

KINDS = ("term", "person", "organisation", "work", "place", "event")
FIELDS = {"headword", "sort", "kind", "variants", "pronunciation", "part_of_speech", "syllables",
          "etymology", "first_use", "definitions", "see", "see_also", "index"}
DEFINITION_FIELDS = {"text", "source"}
LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)


@dataclass(frozen=True)
class Definition:
    markdown: str
    source: str
    html: str = ""       # filled in after the pandoc run


@dataclass(frozen=True)
class Entry:
    headword: str
    kind: str
    sort_key: str
    variants: tuple[str, ...] = ()
    pronunciations: tuple[str, ...] = ()
    part_of_speech: str = ""
    syllables: str = ""
    etymology: str = ""
    first_use: str = ""
    definitions: tuple[Definition, ...] = ()
    see: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    auto_index: bool = True
    line: int = 0

    @property
    def key(self) -> str:
        """A stable id fragment: 'Degenerated workers’ state' -> 'degenerated-workers-state'."""
        return entry_key(self.headword)

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.headword, *self.variants)

    @property
    def in_glossary(self) -> bool:
        return self.kind == "term"


@functools.lru_cache(maxsize=4096)   # asked once for every mark of the index
def entry_key(text: str) -> str:
    """The id part for a headword: readable, and different for different headwords.
    Where the readable form drops something ('C' and 'C++', 'Resume' and 'Résumé'), a
    short hash of the headword keeps the two apart."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    key = re.sub(r"[\W_]+", "-", plain.lower()).strip("-") or "entry"
    if key != re.sub(r"\s+", "-", text.strip().lower()):
        key += "-" + hashlib.sha1(text.strip().lower().encode("utf-8")).hexdigest()[:6]
    return key


# Letters Unicode does not decompose into a base letter and an accent, spelled as an
# English indexer files them: æther under A, Ørsted and œuvre under O, Łódź under L.
_UNDECOMPOSED = str.maketrans({"æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l",
                               "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
                               "ß": "ss", "ẞ": "SS", "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T"})


def sort_key(text: str) -> str:
    """Sort as an indexer would: no case, no accents, no leading article, letters only.
    The article is an English one as written: Vietnamese "Ăn uống" is not "An uong"."""
    text = text.strip().strip("‘’“”'\"*")
    text = LEADING_ARTICLE.sub("", text)
    plain = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^\w\s]", "", plain.lower()).strip()


def letter_group(key: str) -> str:
    """The index or glossary heading a sort key files under: its letter, or 0–9."""
    first = key[:1].upper()
    return first if first.isalpha() else "0–9"


def group_order(label: str) -> tuple[bool, str]:
    return (label != "0–9", label)


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


_OPENING_QUOTE = re.compile(r"(?:^|(?<=[\s(\[\u2013\u2014-]))'(?=\w)")


def curled(text: str) -> str:
    """Straight single quotes set as a book sets them: pandoc curls the text's, not a
    YAML field's or an attribute's, so "Lenin's Testament" in the dictionary was
    printed straight in the glossary and index, and never found in the text ("Lenin’s
    Testament"). One opening a word is ‘; any other, an apostrophe or a closing quote, ’."""
    return _OPENING_QUOTE.sub("\u2018", text).replace("'", "\u2019") if "'" in text else text


MAX_DICTIONARY_BYTES = 20 * 2**20
MAX_DICTIONARY_ENTRIES = 20_000   # each is looked for in the whole text: 100,000 held a build past its limit


def load(path: Path) -> tuple[Entry, ...]:
    from .manuscript import composed, read_text, refuse_aliases
    text = composed(read_text(path, "dictionary", MAX_DICTIONARY_BYTES, "FOLIO050"))   # as the book's text is
    refuse_aliases(text, path, 1)
    try:
        try:   # libyaml reads a long dictionary several times faster; its messages differ, so
            root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:   # an error is read again by the Python loader, to say it as before
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        raise error("FOLIO050", f"invalid YAML: {getattr(exc, 'problem', exc)}", path,
                    mark.line + 1 if mark else None, fix="check indentation and quoting") from None
    if root is None:
        return ()
    if not isinstance(root, yaml.SequenceNode):
        raise error("FOLIO050", "the dictionary must be a list of entries", path, 1,
                    fix="start each entry with '- headword: ...'")
    if len(root.value) > MAX_DICTIONARY_ENTRIES:
        raise error("FOLIO050", f"the dictionary has {len(root.value):,} entries (at most "
                    f"{MAX_DICTIONARY_ENTRIES:,})", path, root.value[MAX_DICTIONARY_ENTRIES].start_mark.line + 1,
                    fix="keep the entries the book uses; a book's glossary and index hold a few thousand")
    entries, problems = [], []
    for node in root.value:
        line = node.start_mark.line + 1
        try:
            data = yaml.SafeLoader("").construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:   # e.g. a '!!python/object' tag: data only, never objects
            problems.append(Diagnostic("FOLIO050", f"this entry cannot be read: {getattr(exc, 'problem', exc)}",
                                       path, line, fix="write plain values: text, lists and mappings, no '!!' tags"))
            continue
        except (ValueError, TypeError, OverflowError) as exc:   # a date that is no date: 1925-02-30
            from .manuscript import UNREADABLE_VALUE_FIX, unreadable_value_line
            problems.append(Diagnostic("FOLIO050", f"a value in this entry cannot be read: {str(exc)[:80]}",
                                       path, unreadable_value_line(node, 1) or line, fix=UNREADABLE_VALUE_FIX))
            continue
        if not isinstance(data, dict):
            problems.append(Diagnostic("FOLIO050", "an entry must be a mapping of fields", path, line,
                                       fix="write the entry as '- headword: ...' with fields below it"))
            continue
        field_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
        entry = _entry(data, path, line, field_lines, problems)
        if entry is not None:
            entries.append(entry)
    problems += _cross_check(entries, path)
    if problems:
        raise BuildError(*problems)
    return tuple(entries)


def _entry(data: dict, path: Path, line: int, lines: dict, problems: list) -> Entry | None:
    for name in data:
        if name not in FIELDS:
            problems.append(Diagnostic("FOLIO051", f"unknown field '{name}'", path, lines.get(name, line),
                                       fix=f"use one of: {', '.join(sorted(FIELDS))}"))
    headword = curled(str(data.get("headword") or "").strip())
    if not headword:
        problems.append(Diagnostic("FOLIO052", "entry has no headword", path, line, fix="add 'headword: ...'"))
        return None
    kind = str(data.get("kind") or "term")
    if kind not in KINDS:
        problems.append(Diagnostic("FOLIO053", f"'{headword}': unknown kind '{kind}'", path, lines.get("kind", line),
                                   fix=f"use one of: {', '.join(KINDS)}"))
    definitions = []
    for item in data.get("definitions") or []:
        item = item if isinstance(item, dict) else {"text": item}
        for name in item:
            if name not in DEFINITION_FIELDS:
                problems.append(Diagnostic("FOLIO051", f"'{headword}': unknown definition field '{name}'", path,
                                           lines.get("definitions", line), fix="a definition has 'text' and 'source'"))
        text = str(item.get("text") or "").strip()
        if not text:
            problems.append(Diagnostic("FOLIO054", f"'{headword}' has an empty definition", path,
                                       lines.get("definitions", line),
                                       fix="write the definition's text, or remove the empty item"))
            continue
        definitions.append(Definition(text, str(item.get("source") or "folio")))
    if not definitions and not data.get("see") and kind == "term":
        problems.append(Diagnostic("FOLIO054", f"term '{headword}' has no definition", path, line,
                                   fix="add 'definitions:' with at least one 'text:', or a 'see:' reference"))
    return Entry(
        headword=headword, kind=kind, sort_key=sort_key(str(data.get("sort") or headword)),
        variants=tuple(map(curled, _as_tuple(data.get("variants")))), pronunciations=_as_tuple(data.get("pronunciation")),
        part_of_speech=str(data.get("part_of_speech") or ""), syllables=str(data.get("syllables") or ""),
        etymology=str(data.get("etymology") or ""), first_use=str(data.get("first_use") or ""),
        definitions=tuple(definitions), see=tuple(map(curled, _as_tuple(data.get("see")))),
        see_also=tuple(map(curled, _as_tuple(data.get("see_also")))),
        auto_index=bool(data.get("index", True)), line=line)


def _cross_check(entries: list[Entry], path: Path) -> list[Diagnostic]:
    problems = []
    seen: dict[str, Entry] = {}
    for entry in entries:
        for form in entry.forms:
            other = seen.get(form.lower())
            if other is not None and other is not entry:
                what = "headword" if form == entry.headword else "variant"
                problems.append(Diagnostic("FOLIO055", f"duplicate {what} '{form}' (also at line {other.line})",
                                           path, entry.line, fix="merge the two entries or rename one"))
            seen.setdefault(form.lower(), entry)
    headwords = {e.headword.lower() for e in entries}
    for entry in entries:
        for target in (*entry.see, *entry.see_also):
            if target.lower() not in headwords:
                problems.append(Diagnostic("FOLIO056", f"'{entry.headword}' points to '{target}', which is no headword",
                                           path, entry.line, fix="name an existing headword exactly, or add that entry"))
    return problems

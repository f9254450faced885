"""The glossary and the index as format-neutral HTML.

The glossary is the same in every edition but for its links, so it is rendered once
into the `Book`. The index differs only in its locators, so each edition calls
`index_html` with its own `locate(entry) -> markup`.
"""
from __future__ import annotations

from html import escape
from typing import Callable

from .dictionary import Entry, entry_key, group_order, letter_group
from .html import link
from .index import IndexEntry
from .render import render


def grouped(entries: list[Entry]) -> list[tuple[str, list[Entry]]]:
    groups: dict[str, list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: (e.sort_key, e.headword)):
        groups.setdefault(letter_group(entry.sort_key), []).append(entry)
    return sorted(groups.items(), key=lambda g: group_order(g[0]))


def target_finder(entries: tuple[Entry, ...], indexed: set[str], in_index: bool = False) -> Callable[[str], str]:
    """Where a see or see-also reference goes: in the glossary, the glossary entry, else
    the index entry; in the index, the index entry, else the glossary entry; else
    nowhere ('': the name is printed without a link). A reader stays in the list
    they are reading where it can answer."""
    kinds = {e.headword.lower(): e for e in entries}

    def target(headword: str) -> str:
        entry = kinds.get(headword.lower())
        key = entry_key(headword)
        glossary = f"gl-{key}" if entry is not None and entry.in_glossary else ""
        index = f"ixe-{key}" if key in indexed else ""
        return (index or glossary) if in_index else (glossary or index)
    return target


def glossary_html(entries: tuple[Entry, ...], used: dict[str, list[tuple[str, str]]], indexed: set[str],
                  said: dict) -> str:
    terms = [e for e in entries if e.in_glossary]
    return render("book/glossary.html", groups=grouped(terms), used=used,
                  target=target_finder(entries, indexed), said=said)


def index_html(groups, entries: tuple[Entry, ...], locate: Callable[[IndexEntry], str], said: dict) -> str:
    indexed = {e.key for g in groups for e in g.entries}
    return render("book/index.html", groups=groups, locate=locate, target=target_finder(entries, indexed, True),
                  said=said)


def place_locators(book, entry: IndexEntry) -> str:
    """Locators for editions without pages: one link per section the entry occurs in,
    labelled with that section's heading (the chapter in a tooltip)."""
    seen, links = set(), []
    for occurrence in entry.occurrences:
        place = book.places.get(occurrence.anchor)
        if place is None:
            continue
        label = place.label + (" (passage)" if occurrence.end else "")
        if (place.chapter_id, label) in seen:
            continue
        seen.add((place.chapter_id, label))
        links.append(link(f"#{occurrence.anchor}", label, title=place.context,
                          **{"data-epub-type": "index-locator"}))
    return "; ".join(links)


def page_ranges(numbers: list[tuple[int, str]], ranges: list[tuple[int, int, str]], **attributes: str) -> str:
    """'3, 7–9, 12' from page numbers with their anchors; each number links to its page
    (the PDF's index, and the EPUB's print-page locators)."""
    spans: list[list] = []   # [first, last, anchor], merged where they touch or overlap
    for first, last, anchor in sorted([(n, n, a) for n, a in set(numbers)] + list(ranges)):
        if spans and first <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last, anchor])
    out = []
    for first, last, anchor in spans:
        label = f"{first}–{last}" if last > first else f"{first}"
        out.append(link(f"#{anchor}", label, **attributes))
    return ", ".join(dict.fromkeys(out))


def print_locators(book, entry: IndexEntry, pages: dict[str, str]) -> str:
    """Locators for the EPUB: the print edition's page numbers, each a link to its
    passage, grouped by chapter, with ranges as in the PDF: '3, 7–9 (Introduction);
    41 (Exile)'. An anchor the print layout did not place keeps its section label."""
    groups: dict[str, tuple[list, list, dict]] = {}   # chapter id -> (singles, ranges, unplaced)
    contexts: dict[str, str] = {}
    for occurrence in entry.occurrences:
        place = book.places.get(occurrence.anchor)
        if place is None:
            continue
        singles, ranges, unplaced = groups.setdefault(place.chapter_id, ([], [], {}))
        contexts.setdefault(place.chapter_id, place.context)
        page = pages.get(occurrence.anchor, "")
        end = pages.get(occurrence.end, "") if occurrence.end else ""
        if not page.isdigit():
            unplaced.setdefault(place.label, link(f"#{occurrence.anchor}", place.label, title=place.context,
                                                  **{"data-epub-type": "index-locator"}))
        elif end.isdigit() and int(end) > int(page):
            ranges.append((int(page), int(end), occurrence.anchor))
        else:
            singles.append((int(page), occurrence.anchor))
    titles = {c.id: c.title for c in book.chapters}
    parts = []
    for chapter_id, (singles, ranges, unplaced) in groups.items():
        shown = page_ranges(singles, ranges, title=contexts[chapter_id], **{"data-epub-type": "index-locator"})
        shown = ", ".join(filter(None, [shown, *unplaced.values()]))
        parts.append(shown + (f" ({escape(titles[chapter_id])})" if titles.get(chapter_id) else ""))
    return "; ".join(parts)


def chapter_html(book, chapter, locate: Callable[[IndexEntry], str] | None) -> str:
    """A chapter's HTML; the index is rendered here, with the edition's locators
    (with no `locate`, the index is left empty: a placeholder for the PDF's first pass)."""
    if chapter.role == "index":
        return index_html(book.index, book.entries, locate, book.meta.words) if locate else ""
    return chapter.html

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


def print_locators(book, entry: IndexEntry, pages: dict[str, str]) -> str:
    """Locators for the EPUB: the print edition's page numbers, each a link to its
    passage, grouped by chapter: '3, 7–9 (Introduction); 41 (Exile)'. An anchor the
    print layout did not place keeps its section label."""
    groups: dict[str, dict[str, str]] = {}   # chapter id -> label -> link
    for occurrence in entry.occurrences:
        place = book.places.get(occurrence.anchor)
        if place is None:
            continue
        page = pages.get(occurrence.anchor)
        end = pages.get(occurrence.end) if occurrence.end else None
        if page is None:
            label = place.label
        elif end is not None and end.isdigit() and page.isdigit() and int(end) > int(page):
            label = f"{page}–{end}"
        else:
            label = page
        groups.setdefault(place.chapter_id, {}).setdefault(label, link(
            f"#{occurrence.anchor}", label, title=place.context, **{"data-epub-type": "index-locator"}))
    titles = {c.id: c.title for c in book.chapters}
    return "; ".join(", ".join(links.values()) + (f" ({escape(titles[chapter_id])})" if titles.get(chapter_id) else "")
                     for chapter_id, links in groups.items())


def chapter_html(book, chapter, locate: Callable[[IndexEntry], str] | None) -> str:
    """A chapter's HTML; the index is rendered here, with the edition's locators
    (with no `locate`, the index is left empty: a placeholder for the PDF's first pass)."""
    if chapter.role == "index":
        return index_html(book.index, book.entries, locate, book.meta.words) if locate else ""
    return chapter.html

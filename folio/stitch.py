"""The laid-out units (layout.py) stitched into one PDF with pikepdf, with their page
furniture, and the two editions derived from it.

Stitching keeps what a reader of the screen edition uses, as one document would have it:
- the pages in order, a blank verso where a unit would otherwise open on a left page;
- one structure tree (PDF/UA): each unit's elements under one Document element, the
  parent tree renumbered for pages and link annotations;
- the named destinations of every unit, and the links between units (a unit's
  layout writes them as `folio-dest:` URIs, since the anchor is in another
  document) turned into links to those destinations;
- the bookmarks, with the front matter's catalogue entries (language, metadata);
- the folios and running heads, laid out on pages of their own (furniture) and drawn
  over each page as a pagination artifact, which screen readers skip.

An edit that moves no part patches the last stitched book rather than stitching every
part again (`_patched`), from the record each stitch leaves beside it (`stitch.json`).
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from urllib.parse import unquote

from .press import label_pages

DEST = "folio-dest:"
LINK_INK = (0.478, 0.137, 0.094)   # the screen edition's underline of a citation or web link
UNDERLINE_RAISE = 0.14   # of the link's line box: from its foot to just under the baseline
MAX_UNDERLINE_RAISE = 2.5   # points


def tree_items(node, key: str) -> list:
    """(key, value) pairs of a PDF number tree (`/Nums`) or name tree (`/Names`):
    flat, or spread over `/Kids`."""
    found = []
    if key in node:
        pairs = node[key]
        found += [(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    for kid in node.get("/Kids", []):
        found += tree_items(kid, key)
    return found


def _copy(book, value):
    """An object of another PDF, copied into `book` (a direct array or dictionary
    item by item: pikepdf copies only indirect objects)."""
    import pikepdf
    if isinstance(value, (pikepdf.Array, pikepdf.Dictionary, pikepdf.Stream)) and value.is_indirect:
        return book.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copy(book, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copy(book, item) for key, item in value.items()})
    return value


def _retag_fonts(source, salt: str) -> None:
    """Give each font subset of a unit a tag of its own. WeasyPrint derives the tag
    from the font alone, so two units' different subsets of one face would share a
    name, which a RIP or viewer may take for one font. Only what the pages use is
    read: a unit also holds thousands of emptied spans (tags.py) not worth parsing."""
    import pikepdf
    for font in _fonts_used(source):
        for key in ("/BaseFont", "/FontName"):
            name = str(font.get(key, ""))
            if len(name) > 8 and name[7] == "+" and name[1:7].isalpha() and name[1:7].isupper():
                digest = hashlib.sha256((salt + name[1:7]).encode()).digest()
                tag = "".join(chr(65 + b % 26) for b in digest[:6])
                font[key] = pikepdf.Name("/" + tag + name[7:])


def _fonts_used(source) -> list:
    """The font dictionaries and descriptors the pages draw with, in their own
    resources or those of the forms, patterns and annotation appearances they use."""
    import pikepdf
    found, seen, todo = [], set(), [page.obj for page in source.pages]
    while todo:
        holder = todo.pop()
        if not isinstance(holder, (pikepdf.Dictionary, pikepdf.Stream)):
            continue
        if holder.is_indirect:
            if holder.objgen in seen:
                continue
            seen.add(holder.objgen)
        resources = holder.get("/Resources")
        if isinstance(resources, pikepdf.Dictionary):
            for font in resources.get("/Font", {}).values():
                found += [font, *font.get("/DescendantFonts", [])]
                todo.append(font)   # a Type 3 font's glyphs have resources of their own
            for kind in ("/XObject", "/Pattern"):
                todo += list(resources.get(kind, {}).values())
        for annotation in holder.get("/Annots", []):
            todo += list(annotation.get("/AP", {}).values())
    found += [font.FontDescriptor for font in found if "/FontDescriptor" in font]
    return list({font.objgen if font.is_indirect else id(font): font for font in found}.values())


def _blank_like(pdf, model):
    import pikepdf
    page = pdf.add_blank_page(page_size=(float(model.MediaBox[2]), float(model.MediaBox[3])))
    for key in ("/MediaBox", "/BleedBox", "/TrimBox"):
        if key in model.obj:
            page.obj[key] = pikepdf.Array([float(v) for v in model.obj[key]])
    return page


def _where(value, offset: int, pages_index: dict) -> tuple[int | None, list]:
    """A named destination of a unit as (page of the book, the rest of its array),
    kept as Python values: the book's array is made only if the name is kept."""
    import pikepdf
    if isinstance(value, pikepdf.Dictionary) and "/D" in value:
        value = value.D
    if not isinstance(value, pikepdf.Array) or len(value) < 2 or not isinstance(value[0], pikepdf.Dictionary):
        return None, []   # not to a page of this unit: left out, and a link to it is said
    page = pages_index.get(value[0].objgen)
    return (None if page is None else offset + page), [_plain_value(item) for item in list(value)[1:]]


def _plain_value(item):
    """A destination's view (/XYZ left top zoom) as JSON: a name as "/XYZ"."""
    import pikepdf
    if isinstance(item, pikepdf.Name):
        return str(item)
    if item is None or isinstance(item, (bool, int, str)):
        return item
    try:
        return float(item)
    except (TypeError, ValueError):
        return None


def _pdf_values(view: list) -> list:
    import pikepdf
    return [pikepdf.Name(item) if isinstance(item, str) and item.startswith("/") else item for item in view]


def _outline(source, offset: int, pages_index: dict) -> list:
    """The unit's bookmarks as (title, page, x, y, children), pages of the book."""
    items = []
    with source.open_outline() as outline:
        def walk(nodes):
            found = []
            for item in nodes:
                destination = item.destination
                if destination is None or len(destination) < 4:
                    continue
                page = pages_index.get(destination[0].objgen)
                if page is None:
                    continue
                found.append((item.title, offset + page, float(destination[2]), float(destination[3]),
                              walk(item.children)))
            return found
        items = walk(outline.root)
    return items


RECORD_VERSION = 1
PATCH_AT_MOST = 0.25   # of the parts: replacing more is hardly cheaper than a stitch


def stitch(parts: list[tuple[Path, int]], furniture: Path | None, wanted: list[bool], target: Path,
           linked_only: tuple[str, ...] = (), previous: tuple[Path, dict] | None = None,
           first_body: int = 0, beside=None) -> tuple[list[str], dict]:
    """Write the units' PDFs (`parts`: path, first page in the book) as one PDF to
    `target`, with `furniture`'s page N drawn over page N where `wanted[N]`. An anchor
    whose name starts with one of `linked_only` keeps its named destination only if a
    link leads to it. Given `previous` (the last stitched book, and the record this
    function returned for it), the book is patched instead when it can be: only the
    parts that changed are copied in (see `_patched`). Returns the anchors linked to
    that no unit has, and the record of this stitch.

    The book is written as the screen edition reads (`_to_screen`): the `pdf` step
    copies it, and the print edition puts back the boxes the record keeps
    (press.restore_print_boxes). `first_body` is the page the body's folio 1 is on.
    `beside(book, box_sets, page_boxes)` is called with a patched book, as it is
    written, just before it is saved (and only then: the record then says "patched")."""
    made = None
    if previous is not None:
        made = _patched(parts, furniture, wanted, target, linked_only, *previous, first_body=first_body, beside=beside)
    if made is None:
        made = _stitched(parts, furniture, wanted, target, linked_only, first_body)
    dangling, record = made
    record.update(version=RECORD_VERSION, code=_file_digest(Path(__file__)), book=_file_digest(target),
                  furniture=furniture.name if furniture else None,
                  wanted=_wanted_digest(wanted), linked_only=list(linked_only))
    return dangling, record


PRINT_BOXES = ("/MediaBox", "/BleedBox", "/CropBox")   # what the screen edition changes on a page


def _to_screen(book, numbers, box_sets: list, page_boxes: list) -> None:
    """Pages `numbers` cut to the trim, as the screen edition shows them. The boxes a
    page had, which the print edition needs, go into the record: each distinct set
    once in `box_sets` ([media, bleed, crop], None where a page had none), and the
    page's index into it in `page_boxes` (-1: a page without a trim, left as it was)."""
    import pikepdf
    for number in numbers:
        page = book.pages[number].obj
        trim = page.get("/TrimBox")
        if trim is None:
            page_boxes[number] = -1
            continue
        kept = [[float(v) for v in page[key]] if key in page else None for key in PRINT_BOXES]
        if kept not in box_sets:
            box_sets.append(kept)
        page_boxes[number] = box_sets.index(kept)
        page.MediaBox = pikepdf.Array([float(v) for v in trim])
        for key in ("/BleedBox", "/CropBox"):
            if key in page:
                del page[key]


def _file_digest(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _wanted_digest(wanted: list[bool]) -> str:
    return hashlib.sha256(bytes(map(bool, wanted))).hexdigest()


def _catalogue(book, source) -> None:
    """The catalogue's entries for the whole book: the front matter's (and only its:
    a patched book drops what the new front matter no longer has, an author removed)."""
    for key in ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/PageMode"):
        if key in source.Root:
            book.Root[key] = _copy(book, source.Root[key])
        elif key in book.Root:
            del book.Root[key]
    for key in list(book.docinfo.keys()):
        del book.docinfo[key]
    for key, value in source.docinfo.items():
        book.docinfo[key] = value


def _part(book, document, source, start: int, next_key: int, replace: bool) -> dict:
    """One unit copied into `book` from page `start`: its pages appended (or put in
    place of as many pages), its structure elements and parent-tree entries copied,
    the entries keyed from `next_key`. Returns what the book's record keeps of it, and
    the copied entries and structure elements under "entries" and "kids"."""
    from pikepdf import Dictionary
    pages_index = {page.obj.objgen: i for i, page in enumerate(source.pages)}
    moved: dict = {}   # the copy qpdf made of a source page -> the book's page that holds it now
    if replace:
        if any(key in source.Root.Pages and key not in page.obj for key in INHERITED for page in source.pages):
            raise ValueError("a part's page inherits from its page tree")   # WeasyPrint's never do: stitched whole
        for i, page in enumerate(source.pages):
            held = book.pages[start + i].obj
            moved[_refill(held, book.copy_foreign(page.obj))] = held
    else:
        with warnings.catch_warnings():   # named destinations are copied below
            warnings.simplefilter("ignore")
            book.pages.extend(source.pages)
    entries, kids = [], []
    root = source.Root.get("/StructTreeRoot")
    if root is not None:
        keys: dict[int, int] = {}
        for key, value in ((int(k), v) for k, v in tree_items(root.ParentTree, "/Nums")):
            keys[key] = next_key + len(entries)
            entries.append(_copy(book, value))
        for page in book.pages[start:start + len(source.pages)]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = keys.get(int(page.obj.StructParents), 0)
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = keys.get(int(annotation.StructParent), 0)
        for kid in root.K[0].K if len(root.K) and "/K" in root.K[0] else []:
            copied = _copy(book, kid)
            if isinstance(copied, Dictionary) and "/P" in copied:
                copied.P = document
            kids.append(copied)
    if moved:
        _repoint([*entries, *kids], moved)
    names = source.Root.get("/Names")
    dests = [[str(name), *_where(value, start, pages_index)] for name, value in tree_items(names.Dests, "/Names")] \
        if names is not None and "/Dests" in names else []
    return {"start": start, "pages": len(source.pages), "kids": len(kids), "first_key": next_key,
            "keys": len(entries), "dests": dests, "bookmarks": _outline(source, start, pages_index),
            "entries": entries, "copied_kids": kids}


INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")   # what a page may take from its page tree


def _refill(held, copied):
    """The book's page `held` made the page `copied` (a copy of a part's page): its
    keys and values, in the same page object, at the same place in the page tree.
    Putting the copy itself in the tree (pikepdf's `pages[i] = page`) makes qpdf
    walk all the book's pages twice a page: 33 ms a page at 1,700 pages, most of a
    patch's time. Returns the copy's object number (see `_repoint`)."""
    for key in [key for key in held.keys() if key not in ("/Parent", "/Type") and key not in copied]:
        del held[key]
    for key, value in copied.items():
        if key != "/Parent":
            held[key] = value
    return copied.objgen


def _repoint(objects: list, moved: dict) -> None:
    """The structure elements copied with a part (and their object references) name
    their page (`/Pg`): the copy of the source's page, which a page of the book now
    holds (`_refill`): they are made to name that page. WeasyPrint's parts refer to
    their pages nowhere else that is copied (annotations carry no /P; the outline and
    destinations are read as page numbers)."""
    import pikepdf
    seen: set = set()
    todo = list(objects)
    while todo:
        item = todo.pop()
        if isinstance(item, pikepdf.Array):
            todo.extend(item)
            continue
        if not isinstance(item, pikepdf.Dictionary):
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        page = item.get("/Pg")
        if page is not None and page.objgen in moved:
            item.Pg = moved[page.objgen]
        if "/K" in item:
            todo.append(item.K)


def _resolve_links(book, first: int, end: int, known: set[str]) -> tuple[list[str], list[str], list[str]]:
    """The links of pages first..end-1 into other units (`folio-dest:` URIs) made
    links to the named destinations in `known`. Returns the names they link to, those
    not known (dangling), and every name the pages' links lead to."""
    import pikepdf
    links, dangling, linked = [], [], set()
    for page in book.pages[first:end]:
        for annotation in page.obj.get("/Annots", []):
            action = annotation.get("/A")
            if action is not None and str(action.get("/URI", "")).startswith(DEST):
                name = unquote(str(action.URI)[len(DEST):])
                links.append(name)
                del annotation["/A"]
                if name in known:
                    annotation.Dest = pikepdf.String(name)
                else:   # an anchor nowhere in the book: the link leads nowhere, and is said
                    dangling.append(name)
                if str(annotation.get("/Contents", "")).startswith(DEST):   # WeasyPrint's: the URI
                    annotation.Contents = pikepdf.String(name)
            if "/Dest" in annotation:
                linked.add(str(annotation.Dest))
            _underline(annotation)
    return list(dict.fromkeys(links)), dangling, sorted(linked)


def _underline(annotation) -> None:
    """A citation's or web link's annotation underlined in the link colour, for the
    screen edition: drawn by the viewer, so the page's ink, shared with the print
    edition (which drops annotations), stays black. Done here, on the pages a stitch
    puts in, so the screen cut need not visit every annotation of the book."""
    import pikepdf
    dest = str(annotation.get("/Dest", ""))
    if "/A" in annotation or dest.startswith(("ref-", "ix-")):
        annotation.BS = pikepdf.Dictionary(W=0.5, S=pikepdf.Name.U)
        annotation.C = pikepdf.Array(LINK_INK)
        # The viewer underlines the rectangle's bottom edge; WeasyPrint's is the
        # line box's, some 3 pt under the baseline at 14 pt leading, where the
        # rule reads as the next line's overline. Raised to about 1 pt under it.
        x0, y0, x1, y1 = (float(v) for v in annotation.Rect)
        low, high = min(y0, y1), max(y0, y1)
        raised = min(UNDERLINE_RAISE * (high - low), MAX_UNDERLINE_RAISE)   # not into a linked picture
        annotation.Rect = pikepdf.Array([x0, low + raised, x1, high])


def _kept_dests(records: list[dict], linked_only: tuple[str, ...]) -> list:
    """(name, page, view) of the destinations the book names: every one but the
    marks (`linked_only`) no link leads to."""
    linked = {name for record in records for name in record["linked"]}
    return [d for record in records for d in record["dests"]
            if d[1] is not None and (d[0] in linked or not d[0].startswith(linked_only))]


def _name_order(name: str) -> bytes:
    """A name as a PDF string's bytes, the order PDF readers search a name tree in."""
    import pikepdf
    return name.encode("ascii") if name.isascii() and name.isprintable() else bytes(pikepdf.String(name))


def _as_json(value):
    return json.loads(json.dumps(value))


def _names_and_outline_in_place(book, records: list[dict], was: list[dict], changed,
                                linked_only: tuple[str, ...]) -> bool:
    """After a patch, the names and bookmarks changed where the changed parts' are:
    the pages are the same objects (`_refill`), so when every part names what it named
    before, only the changed parts' destinations are written again (where on their
    page), and the bookmarks only if theirs moved. False when that cannot be done (a
    name added, gone, or named twice): `_names_and_outline` makes them whole (0.3 s at
    50x, against a few hundredths)."""
    from pikepdf import Array
    new, old = _kept_dests(records, linked_only), _kept_dests(was, linked_only)
    names = [d[0] for d in new]
    if sorted(names) != sorted(d[0] for d in old) or len(set(names)) != len(names):
        return False
    try:
        flat = book.Root.Names.Dests.Names
    except (AttributeError, KeyError):
        return False
    if len(flat) != 2 * len(names):
        return False
    position = {name: i for i, name in enumerate(sorted(names, key=_name_order))}
    mine = {name for i in changed for name, _, _ in records[i]["dests"]}
    written = [(position[name], page, view) for name, page, view in new if name in mine]
    if any(str(flat[2 * position[name]]) != name for name in mine if name in position):
        return False   # not the tree the last stitch wrote
    for at, page, view in written:
        flat[2 * at + 1] = Array([book.pages[page].obj, *_pdf_values(view)])
    if any(_as_json(records[i]["bookmarks"]) != _as_json(was[i]["bookmarks"]) for i in changed):
        _bookmarks(book, records)
    return True


def _names_and_outline(book, records: list[dict], linked_only: tuple[str, ...]) -> None:
    """The book's named destinations and bookmarks, from its parts' records."""
    import pikepdf
    from pikepdf import Array, Dictionary
    dests = _kept_dests(records, linked_only)
    if "/Names" in book.Root:
        del book.Root["/Names"]
    if dests:
        # Filled in place: an array of 30,000 names made apart and then put in the
        # dictionary is copied item by item (0.45 s at 50x).
        tree = book.make_indirect(Dictionary(Names=Array()))
        seen, flat, page_objects = set(), tree.Names, [page.obj for page in book.pages]
        for name, page, view in sorted(dests, key=lambda d: _name_order(d[0])):
            if name not in seen:
                seen.add(name)
                flat.append(pikepdf.String(name))
                flat.append(Array([page_objects[page], *_pdf_values(view)]))
        book.Root.Names = Dictionary(Dests=tree)
    _bookmarks(book, records)


def _bookmarks(book, records: list[dict]) -> None:
    """The book's outline, from its parts' bookmarks."""
    import pikepdf
    from pikepdf import Array, Name
    if "/Outlines" in book.Root:
        del book.Root["/Outlines"]
    bookmarks = [item for record in records for item in record["bookmarks"]]
    if bookmarks:
        with book.open_outline() as outline:
            def add(items, into):
                for title, page, x, y, children in items:
                    item = pikepdf.OutlineItem(title, Array([book.pages[page].obj, Name.XYZ, x, y, 0]))
                    add(children, item.children)
                    into.append(item)
            add(bookmarks, outline.root)


def _stitched(parts: list[tuple[Path, int]], furniture: Path | None, wanted: list[bool], target: Path,
              linked_only: tuple[str, ...], first_body: int) -> tuple[list[str], dict]:
    import pikepdf
    from pikepdf import Array, Dictionary, Name
    from .sandbox import give_back_freed_memory, keep_till_exit
    book = pikepdf.new()
    document = book.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    parent_tree: list = []
    records: list[dict] = []
    for path, start in parts:
        # A source is let go once copied: qpdf reads a copied stream's data from the
        # source's file when saving, not from the source document (whose parsed objects
        # would otherwise stay in memory, 384,000 of them for a 1,700-page book).
        source = pikepdf.open(path)
        _retag_fonts(source, path.stem)
        if not records:
            _catalogue(book, source)
        while len(book.pages) < start:
            _blank_like(book, source.pages[0])
        record = _part(book, document, source, start, len(parent_tree), replace=False)
        parent_tree += record.pop("entries")
        for kid in record.pop("copied_kids"):
            document.K.append(kid)
        records.append({"name": path.name, **record})
        del source
        give_back_freed_memory()   # the index's unit alone parses to some 80 MB
    known = {name for record in records for name, page, _ in record["dests"] if page is not None}
    dangling: list[str] = []
    for record in records:
        record["links"], lost, record["linked"] = _resolve_links(book, record["start"],
                                                                record["start"] + record["pages"], known)
        dangling += lost
    if furniture is not None:
        _lay_over(book, furniture, wanted)
    nums = Array()
    for i, value in enumerate(parent_tree):
        nums.append(i)
        nums.append(value)
    book.Root.StructTreeRoot = book.make_indirect(Dictionary(
        Type=Name.StructTreeRoot, K=Array([document]), ParentTree=book.make_indirect(Dictionary(Nums=nums)),
        ParentTreeNextKey=len(parent_tree)))
    document.P = book.Root.StructTreeRoot
    _names_and_outline(book, records, linked_only)
    box_sets, page_boxes = [], [-1] * len(book.pages)
    _to_screen(book, range(len(book.pages)), box_sets, page_boxes)
    label_pages(book, first_body)
    book.save(target, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    book.close()
    keep_till_exit(book)
    return list(dict.fromkeys(dangling)), {"parts": records, "next_key": len(parent_tree),
                                           "box_sets": box_sets, "page_boxes": page_boxes}


def _patched(parts: list[tuple[Path, int]], furniture: Path | None, wanted: list[bool], target: Path,
             linked_only: tuple[str, ...], previous: Path, was: dict, first_body: int = 0,
             beside=None) -> tuple[list[str], dict] | None:
    """The last stitched book with only the parts that changed put in place of their
    old pages: an edit re-lays out one chapter, and copying the other 500 parts of a
    long book again was most of the stitch's time. None (stitch it whole) unless the
    book is the one the record describes, every part starts where it did, each new
    part has as many pages as the old one, and no link between parts would now lead
    elsewhere (or nowhere) than it did."""
    import pikepdf
    from .sandbox import keep_till_exit
    try:
        if (was.get("version") != RECORD_VERSION or was.get("code") != _file_digest(Path(__file__))
                or was.get("furniture") != (furniture.name if furniture else None)
                or was.get("wanted") != _wanted_digest(wanted) or was.get("linked_only") != list(linked_only)
                or len(was["parts"]) != len(parts)
                or any(record["start"] != start for record, (_, start) in zip(was["parts"], parts))):
            return None
        changed = [i for i, ((path, _), record) in enumerate(zip(parts, was["parts"]))
                   if path.name != record["name"]]
        if not _sound(was, len(wanted)):
            return None
    except (KeyError, TypeError):
        return None
    if len(changed) > PATCH_AT_MOST * len(parts):
        return None
    try:
        if _file_digest(previous) != was.get("book"):
            return None
        book = pikepdf.open(previous)
    except (OSError, pikepdf.PdfError):
        return None
    try:
        return _patch(book, parts, furniture, wanted, target, linked_only, was, changed, first_body, beside)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, pikepdf.PdfError):
        return None   # a record or a book not as this code writes them: stitched whole
    finally:
        book.close()
        keep_till_exit(book)


def sound_boxes(box_sets, page_boxes, pages: int) -> bool:
    """The record's print boxes (`_to_screen`) are as a stitch writes them, for `pages` pages."""
    return (isinstance(box_sets, list) and isinstance(page_boxes, list) and len(page_boxes) == pages
            and all(isinstance(boxes, list) and len(boxes) == len(PRINT_BOXES)
                    and all(box is None or (isinstance(box, list) and len(box) == 4
                                            and all(type(v) in (int, float) for v in box)) for box in boxes)
                    for boxes in box_sets)
            and all(type(i) is int and -1 <= i < len(box_sets) for i in page_boxes))


def _sound(was: dict, pages: int) -> bool:
    """The record's numbers are what a stitch writes (it lives in the output folder,
    where a hand may have edited it): a patch trusts them for keys and pages."""
    def count(value, most: int = 2**31) -> bool:
        return type(value) is int and 0 <= value < most

    def marks(items) -> bool:
        return all(isinstance(item, list) and len(item) == 5 and isinstance(item[0], str) and count(item[1], pages)
                   and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in item[2:4])
                   and marks(item[4]) for item in items)
    if not (count(was["next_key"]) and sound_boxes(was.get("box_sets"), was.get("page_boxes"), pages)):
        return False
    for record in was["parts"]:
        if not (all(count(record[key]) for key in ("start", "pages", "kids", "first_key", "keys"))
                and record["first_key"] + record["keys"] <= was["next_key"]
                and record["start"] + record["pages"] <= pages and isinstance(record["name"], str)
                and all(isinstance(d, list) and len(d) == 3 and isinstance(d[0], str)
                        and (d[1] is None or count(d[1], pages)) and isinstance(d[2], list) for d in record["dests"])
                and all(isinstance(name, str) for key in ("links", "linked") for name in record[key])
                and marks(record["bookmarks"])):
            return False
    return True


def _patch(book, parts, furniture, wanted, target, linked_only, was, changed,
           first_body: int, beside=None) -> tuple[list[str], dict] | None:
    import pikepdf
    records = [dict(record) for record in was["parts"]]
    tree = book.Root.StructTreeRoot
    document, nums = tree.K[0], tree.ParentTree.Nums
    next_key = was["next_key"]
    if 2 * sum(record["keys"] for record in records) != len(nums) \
            or sum(record["kids"] for record in records) != len(document.K) or len(book.pages) != len(wanted):
        return None   # not the book the record describes
    # Old entries and structure elements out, from the last part back, so that the
    # places of those before stay put; the new ones in.
    by_key = sorted(range(len(records)), key=lambda i: records[i]["first_key"])
    entry_at = {i: 2 * sum(records[j]["keys"] for j in by_key[:n]) for n, i in enumerate(by_key)}
    kids_at = [sum(record["kids"] for record in records[:i]) for i in range(len(records))]
    for i in sorted(changed, key=lambda i: -entry_at[i]):
        del nums[entry_at[i]:entry_at[i] + 2 * records[i]["keys"]]
    new_kids: dict[int, list] = {}
    for i in changed:
        path, start = parts[i]
        source = pikepdf.open(path)
        if len(source.pages) != records[i]["pages"]:
            source.close()
            return None   # it grew or shrank: every later page moves
        _retag_fonts(source, path.stem)
        if i == 0:
            _catalogue(book, source)
        record = _part(book, document, source, start, next_key, replace=True)
        for value in record.pop("entries"):
            nums.append(next_key)
            nums.append(value)
            next_key += 1
        new_kids[i] = record.pop("copied_kids")
        records[i] = {"name": path.name, **record}
        del source
    for i in sorted(changed, reverse=True):
        del document.K[kids_at[i]:kids_at[i] + was["parts"][i]["kids"]]
        for n, kid in enumerate(new_kids[i]):
            document.K.insert(kids_at[i] + n, kid)
    known = {name for record in records for name, page, _ in record["dests"] if page is not None}
    knew = {name for record in was["parts"] for name, page, _ in record["dests"] if page is not None}
    if any((name in known) != (name in knew) for i, record in enumerate(records) if i not in changed
           for name in record["links"]):
        return None
    dangling = []
    for i in changed:
        record = records[i]
        record["links"], _, record["linked"] = _resolve_links(book, record["start"],
                                                             record["start"] + record["pages"], known)
    for record in records:   # the unchanged parts' links lead where they did: said again, as a stitch would
        dangling += [name for name in record["links"] if name not in known]
    if furniture is not None:
        _lay_over(book, furniture, wanted, {records[i]["start"] + n for i in changed for n in range(records[i]["pages"])})
    tree.ParentTreeNextKey = next_key
    if not _names_and_outline_in_place(book, records, was["parts"], changed, linked_only):
        _names_and_outline(book, records, linked_only)
    box_sets, page_boxes = list(was["box_sets"]), list(was["page_boxes"])
    _to_screen(book, [records[i]["start"] + n for i in changed for n in range(records[i]["pages"])],
               box_sets, page_boxes)
    label_pages(book, first_body)
    if beside is not None:
        beside(book, box_sets, page_boxes)
    # The last book's object streams are kept as they are (a third less time than
    # making them again); the parts put in are written as plain objects.
    book.save(target, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return list(dict.fromkeys(dangling)), {"parts": records, "next_key": next_key, "patched": len(changed),
                                           "box_sets": box_sets, "page_boxes": page_boxes}


def _lay_over(book, furniture: Path, wanted: list[bool], only: set[int] | None = None) -> None:
    """Draw each furniture page over the book's page of the same number (or only
    over the pages `only` names), marked as a pagination artifact (PDF/UA: not part
    of the text a screen reader reads)."""
    import pikepdf
    kept = _furniture_fonts(book, only) if only is not None else {}
    with pikepdf.open(furniture) as source:
        _retag_fonts(source, furniture.stem)
        for number, (page, over, want) in enumerate(zip(book.pages, source.pages, wanted)):
            if not want or (only is not None and number not in only):
                continue
            form = book.copy_foreign(over.as_form_xobject())
            fonts = form.get("/Resources", {}).get("/Font", {})
            for key in list(fonts.keys()):   # the book's copy of the same subset, not a second one
                if key in kept and str(kept[key].get("/BaseFont")) == str(fonts[key].get("/BaseFont")):
                    fonts[key] = kept[key]
            # The page's own resources (WeasyPrint shares one dictionary among all pages).
            shared = page.obj.get("/Resources") or pikepdf.Dictionary()
            own = pikepdf.Dictionary({key: value for key, value in shared.items()})
            own.XObject = pikepdf.Dictionary({key: value for key, value in shared.get("/XObject", {}).items()})
            own.XObject.FolioFurniture = form
            page.obj.Resources = own
            page.contents_add(pikepdf.Stream(book, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(
                book, b"Q\n/Artifact <</Type /Pagination>> BDC q /FolioFurniture Do Q EMC\n"))


def _furniture_fonts(book, only: set[int]) -> dict:
    """The fonts a page outside `only` draws its furniture with: a patch's new pages
    draw with the same subsets (one furniture file, its fonts renamed alike)."""
    for number, page in enumerate(book.pages):
        if number in only:
            continue
        form = page.obj.get("/Resources", {}).get("/XObject", {}).get("/FolioFurniture")
        if form is not None:
            return dict(form.get("/Resources", {}).get("/Font", {}).items())
    return {}


def furniture_digest(pages: list, environment: str) -> str:
    return hashlib.sha256((environment + repr(pages)).encode()).hexdigest()

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
"""
from __future__ import annotations

import gc
import hashlib
import warnings
from pathlib import Path
from urllib.parse import unquote

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
    return (None if page is None else offset + page), list(value)[1:]


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


def stitch(parts: list[tuple[Path, int]], furniture: Path | None, wanted: list[bool], target: Path,
           screen: tuple[Path, int] | None = None, linked_only: tuple[str, ...] = ()) -> list[str]:
    """Write the units' PDFs (`parts`: path, first page in the book) as one PDF to
    `target`, with `furniture`'s page N drawn over page N where `wanted[N]`; and, given
    `screen` (a path, the first body page), the screen edition cut from it. An anchor
    whose name starts with one of `linked_only` keeps its named destination only if a
    link leads to it. Returns the anchors linked to that no unit has."""
    import pikepdf
    from .sandbox import give_back_freed_memory
    dangling = _stitched(parts, furniture, wanted, target, linked_only)
    if screen is not None:
        # Cut from the file once the stitch is let go: the copies' bookkeeping (and
        # the heap the copying leaves) would otherwise come on top; some 100 MB at 50x.
        gc.collect()   # pikepdf's objects hold their document in cycles
        give_back_freed_memory()
        with pikepdf.open(target) as cut:
            _screen_cut(cut, screen[1])
            del cut.trailer["/ID"]   # an identity of its own, not the print source's (viewers key on it)
            cut.save(screen[0], deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return dangling


def _stitched(parts: list[tuple[Path, int]], furniture: Path | None, wanted: list[bool], target: Path,
              linked_only: tuple[str, ...]) -> list[str]:
    import pikepdf
    from pikepdf import Array, Dictionary, Name
    from .sandbox import give_back_freed_memory
    book = pikepdf.new()
    document = book.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    parent_tree: list = []
    dests: list = []
    bookmarks: list = []
    first = True
    for path, start in parts:
        # A source is let go once copied: qpdf reads a copied stream's data from the
        # source's file when saving, not from the source document (whose parsed objects
        # would otherwise stay in memory, 384,000 of them for a 1,700-page book).
        source = pikepdf.open(path)
        _retag_fonts(source, path.stem)
        if first:   # the catalogue's entries for the whole book: the front matter's
            first = False
            for key in ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/PageMode"):
                if key in source.Root:
                    book.Root[key] = _copy(book, source.Root[key])
            for key, value in source.docinfo.items():
                book.docinfo[key] = value
        while len(book.pages) < start:
            _blank_like(book, source.pages[0])
        offset = len(book.pages)
        pages_index = {page.obj.objgen: i for i, page in enumerate(source.pages)}
        with warnings.catch_warnings():   # named destinations are copied below
            warnings.simplefilter("ignore")
            book.pages.extend(source.pages)
        root = source.Root.get("/StructTreeRoot")
        if root is not None:
            keys: dict[int, int] = {}
            for key, value in ((int(k), v) for k, v in tree_items(root.ParentTree, "/Nums")):
                keys[key] = len(parent_tree)
                parent_tree.append(_copy(book, value))
            for page in book.pages[offset:]:
                if "/StructParents" in page.obj:
                    page.obj.StructParents = keys.get(int(page.obj.StructParents), 0)
                for annotation in page.obj.get("/Annots", []):
                    if "/StructParent" in annotation:
                        annotation.StructParent = keys.get(int(annotation.StructParent), 0)
            for kid in root.K[0].K if len(root.K) and "/K" in root.K[0] else []:
                copied = _copy(book, kid)
                if isinstance(copied, Dictionary) and "/P" in copied:
                    copied.P = document
                document.K.append(copied)
        names = source.Root.get("/Names")
        if names is not None and "/Dests" in names:
            dests += [(str(name), *_where(value, offset, pages_index))
                      for name, value in tree_items(names.Dests, "/Names")]
        bookmarks += _outline(source, offset, pages_index)
        del source
        give_back_freed_memory()   # the index's unit alone parses to some 80 MB
    known = {name for name, page, _ in dests if page is not None}
    dangling: list[str] = []
    linked: set[str] = set()
    for page in book.pages:   # links into other units
        for annotation in page.obj.get("/Annots", []):
            action = annotation.get("/A")
            if action is not None and str(action.get("/URI", "")).startswith(DEST):
                name = unquote(str(action.URI)[len(DEST):])
                del annotation["/A"]
                if name in known:
                    annotation.Dest = pikepdf.String(name)
                else:   # an anchor nowhere in the book: the link leads nowhere, and is said
                    dangling.append(name)
                if "/Contents" in annotation:
                    annotation.Contents = pikepdf.String(name)
            if "/Dest" in annotation:
                linked.add(str(annotation.Dest))
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
    dests = [d for d in dests if d[1] is not None and (d[0] in linked or not d[0].startswith(linked_only))]
    if dests:
        seen, flat, page_objects = set(), Array(), [page.obj for page in book.pages]
        for name, page, view in sorted(dests, key=lambda d: bytes(pikepdf.String(d[0]))):   # the order PDF readers search in
            if name not in seen:
                seen.add(name)
                flat.append(pikepdf.String(name))
                flat.append(Array([page_objects[page], *view]))
        book.Root.Names = Dictionary(Dests=book.make_indirect(Dictionary(Names=flat)))
    if bookmarks:
        with book.open_outline() as outline:
            def add(items, into):
                for title, page, x, y, children in items:
                    item = pikepdf.OutlineItem(title, Array([book.pages[page].obj, Name.XYZ, x, y, 0]))
                    add(children, item.children)
                    into.append(item)
            add(bookmarks, outline.root)
    book.save(target, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    book.close()
    return list(dict.fromkeys(dangling))


def _lay_over(book, furniture: Path, wanted: list[bool]) -> None:
    """Draw each furniture page over the book's page of the same number, marked as a
    pagination artifact (PDF/UA: not part of the text a screen reader reads)."""
    import pikepdf
    with pikepdf.open(furniture) as source:
        _retag_fonts(source, furniture.stem)
        for page, over, want in zip(book.pages, source.pages, wanted):
            if not want:
                continue
            form = book.copy_foreign(over.as_form_xobject())
            # The page's own resources (WeasyPrint shares one dictionary among all pages).
            shared = page.obj.get("/Resources") or pikepdf.Dictionary()
            own = pikepdf.Dictionary({key: value for key, value in shared.items()})
            own.XObject = pikepdf.Dictionary({key: value for key, value in shared.get("/XObject", {}).items()})
            own.XObject.FolioFurniture = form
            page.obj.Resources = own
            page.contents_add(pikepdf.Stream(book, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(
                book, b"Q\n/Artifact <</Type /Pagination>> BDC q /FolioFurniture Do Q EMC\n"))


def furniture_digest(pages: list, environment: str) -> str:
    return hashlib.sha256((environment + repr(pages)).encode()).hexdigest()


def _screen_cut(pdf, first_body: int) -> None:
    """The screen edition from the stitched book: each page cut to the trim, page
    labels that match the folios, and a citation's or web link's annotation
    underlined in the link colour (drawn by the viewer, so the page's ink, shared
    with the print edition, stays black)."""
    import pikepdf
    from .press import label_pages
    for page in pdf.pages:
        trim = page.obj.get("/TrimBox")
        if trim is not None:
            page.MediaBox = pikepdf.Array([float(v) for v in trim])
        for key in ("/BleedBox", "/CropBox"):
            if key in page.obj:
                del page.obj[key]
        for annotation in page.obj.get("/Annots", []):
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
    label_pages(pdf, first_body)

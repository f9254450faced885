"""The structure tree of a unit's tagged PDF (PDF/UA), made lighter and its links mended as it is written."""
from __future__ import annotations


PLAIN_SPAN_KEYS = {"Type", "S", "P", "K", "Pg"}


def object_of(pdf, reference):
    """The object a pydyf reference (b"12 0 R") names in a PDF being written; None for
    anything else (a number, an inline dictionary)."""
    return pdf.objects[int(reference.split()[0])] if isinstance(reference, bytes) else None


def fold_text_spans(_document, pdf) -> None:
    """A WeasyPrint finisher (`write_pdf(finisher=...)`): fold the plain `Span`
    structure elements into the element holding them, which then marks their content
    itself.

    WeasyPrint makes one `Span` element per run of text on a line: nine in ten of a
    unit's structure elements, with nothing a screen reader uses (no language,
    alternate or actual text), and the number of objects is what stitching and
    cutting a long book spend their time and memory on. A span is folded only into an
    element on the same page, so its marked-content ids keep their page; an element
    left holding only such ids is folded in turn. A folded span is left empty and
    unreferenced: the stitched book does not copy it."""
    import pydyf

    def target(reference):
        return object_of(pdf, reference)
    holder: dict[int, pydyf.Dictionary] = {}   # a folded span's number -> the element that took its ids
    for element in reversed(pdf.objects):   # an element's kids were added after it: leaves first
        if not isinstance(element, pydyf.Dictionary) or element.get("Type") != "/StructElem":
            continue
        kids = element.get("K")
        if not isinstance(kids, pydyf.Array):
            continue
        merged, folded = pydyf.Array(), False
        for kid in kids:
            span = target(kid)
            if (isinstance(span, pydyf.Dictionary) and span.get("S") == "/Span" and set(span) <= PLAIN_SPAN_KEYS
                    and span.get("P") == element.reference and "Pg" in element and span.get("Pg") == element["Pg"]
                    and isinstance(span.get("K"), pydyf.Array) and all(isinstance(k, int) for k in span["K"])):
                merged.extend(span["K"])
                holder[span.number] = element
                folded = True
            else:
                merged.append(kid)
        if folded:
            element["K"] = merged
    if not holder:
        return

    def kept(element):
        while element.number in holder:   # a span in a folded span: the first element kept
            element = holder[element.number]
        return element
    root = target(pdf.catalog.get("StructTreeRoot"))
    parent_tree = target(root.get("ParentTree")) if root is not None else None
    for value in (parent_tree or {}).get("Nums", []):
        if isinstance(value, pydyf.Array):
            for i, reference in enumerate(value):
                element = target(reference)
                if element is not None and element.number in holder:
                    value[i] = kept(element).reference
    for number in holder:
        pdf.objects[number].clear()


def annotations_in_their_links(_document, pdf) -> None:
    """A WeasyPrint finisher's part: a link annotation that WeasyPrint hung in an
    element inside the link's (a span of the link's text, a generated `::after`) moved
    up to the nearest Link element, where PDF/UA and a screen reader look for it: the
    bundled book had 111 such, in its contents, glossary terms and citations."""
    import pydyf

    def target(reference):
        return object_of(pdf, reference)
    root = target(pdf.catalog.get("StructTreeRoot"))
    parent_tree = target(root.get("ParentTree")) if root is not None else None
    nums = parent_tree.get("Nums") if parent_tree is not None else None
    for i in range(0, len(nums or ()) - 1, 2):
        element = target(nums[i + 1])   # an annotation's entry: one element (a page's is an array)
        if element is None or element.get("S") == "/Link" or not isinstance(element.get("K"), pydyf.Array):
            continue
        link = target(element.get("P"))
        while link is not None and link.get("Type") == "/StructElem" and link.get("S") != "/Link":
            link = target(link.get("P"))
        if link is None or link.get("S") != "/Link" or not isinstance(link.get("K"), pydyf.Array):
            continue
        held = [kid for kid in element["K"] if isinstance(kid, bytes) and _holds(target(kid), target, nums[i])]
        if held:
            element["K"] = pydyf.Array(kid for kid in element["K"] if kid not in held)
            link["K"].extend(held)
            nums[i + 1] = link.reference


def inline_object_references(_document, pdf) -> None:
    """A WeasyPrint finisher's part, after the others: each object reference (the
    `/OBJR` that ties a link annotation to its Link element) written inside its
    element's kids rather than as an object of its own. WeasyPrint makes each one an
    indirect object, and a long book has one per link annotation: at 50x, 29,000 of
    the stitched book's 113,000 objects, and qpdf's time and memory in the stitch,
    the patch and the print cut go by objects. The spec asks no reference of them (a
    parent-tree entry names the element, not the OBJR). The object left behind is
    emptied and unreferenced: the stitch does not copy it."""
    import pydyf
    inlined: dict[int, pydyf.Dictionary] = {}
    for element in pdf.objects:
        if not isinstance(element, pydyf.Dictionary) or element.get("Type") != "/StructElem":
            continue
        kids = element.get("K")
        if not isinstance(kids, pydyf.Array):
            continue
        for i, kid in enumerate(kids):
            if not isinstance(kid, bytes):
                continue
            found = object_of(pdf, kid)
            if found is None:
                continue
            number = found.number
            if number in inlined:
                kids[i] = inlined[number]
            elif isinstance(found, pydyf.Dictionary) and found.get("Type") == "/OBJR":
                inlined[number] = kids[i] = pydyf.Dictionary(found)
    for number in inlined:
        pdf.objects[number].clear()


def _holds(kid, target, key) -> bool:
    """Whether a structure element's kid is the object reference to the annotation
    whose parent-tree key is `key`."""
    return (kid is not None and kid.get("Type") == "/OBJR"
            and (annotation := target(kid.get("Obj"))) is not None and annotation.get("StructParent") == key)

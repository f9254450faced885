"""A book rebuilt chapter by chapter from the layout cache is the book a cold build
makes: after each edit (one paragraph, a new chapter, a chapter grown by a page) the
incremental build and a cold build of the same manuscript are compared page by page,
in both PDF editions: text, link targets, bookmarks, page labels, page boxes and the
structure tree. Only the chapters an edit touched are laid out again."""
from __future__ import annotations

import re
import shutil
import subprocess

import pikepdf
import pytest

from conftest import BOOKS, run_build

# One worker runs the whole module, so its module-scoped build is made once.
pytestmark = pytest.mark.xdist_group("incremental")

SLUG = "the-harbour-board"
PARTS = re.compile(r"(\d+) pages, (\d+) of (\d+) parts laid out")
PATCHED = re.compile(r"stitch \d+ pages of (\d+) of \d+ parts put in place")


def _paragraph(text: str) -> str:
    return text.replace("The harbour board met every 7 weeks", "The harbour board, by old custom,^[A note added by the edit.] met every 7 weeks", 1)


def _new_chapter(text: str) -> str:
    return text + ("\n\n# Moorings {#moorings}\n\nThe moorings were let by the year; see [the tides](#tides).^[A note "
                   "in the new chapter.]\n\nA [harbour board]{.index} clerk kept the list of moorings.\n")


def _grown(text: str) -> str:
    added = "\n\n".join("An added paragraph about the ledgers, long enough to fill some lines of the page: " * 4
                        for _ in range(8))
    return text.replace("## A section of ledgers", added + "\n\n## A section of ledgers", 1)


def _words_before_a_mark(text: str) -> str:
    """A line's worth of words before a section heading and an index mark a link leads
    to: the bookmark and the mark's named destination move down their page, and no name
    is added or taken away (the patch then writes only the changed part's destinations
    and the bookmarks again: stitch.py)."""
    return text.replace("met every 6 weeks", "met, at noon, in the long room over the harbour master's office, "
                        "with the windows open, every 6 weeks", 1)


EDITS = [("one paragraph edited", _paragraph, 4), ("a new chapter", _new_chapter, 4),
         ("a chapter grown by a page", _grown, 4), ("words before a mark", _words_before_a_mark, 4)]


def _where(destination, pages: dict) -> tuple:
    """A destination's page and where on it (the view, rounded to a point)."""
    return (pages.get(destination[0].objgen), *(str(value) if isinstance(value, pikepdf.Name) else round(float(value))
                                                 for value in list(destination)[1:]))


def _named(pdf) -> dict[str, tuple]:
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    found = {}
    names = pdf.Root.get("/Names")
    if names is not None and "/Dests" in names:
        values = names.Dests.Names
        for i in range(0, len(values), 2):
            found[str(values[i])] = _where(values[i + 1], pages)
    return found


def facts(path) -> dict:
    """What a reader meets in a PDF, page by page."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")
    with pikepdf.open(path) as pdf:
        named = _named(pdf)
        pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        links, boxes = [], []
        for page in pdf.pages:
            here = []
            for annotation in page.obj.get("/Annots", []):
                dest = annotation.get("/Dest")
                target = named.get(str(dest)) if dest is not None else str(annotation.get("/A", {}).get("/URI", ""))
                here.append((tuple(round(float(v)) for v in annotation.Rect), target))
            links.append(sorted(here, key=repr))
            boxes.append({key: [round(float(v), 2) for v in page.obj[key]]
                          for key in ("/MediaBox", "/TrimBox", "/BleedBox") if key in page.obj})
        outline = []
        with pdf.open_outline() as tree:
            def walk(items, depth):
                for item in items:
                    outline.append((depth, item.title, _where(item.destination, pages)))
                    walk(item.children, depth + 1)
            walk(tree.root, 0)
        labels = repr(pdf.Root.get("/PageLabels"))
        structure = None
        if "/StructTreeRoot" in pdf.Root:
            root = pdf.Root.StructTreeRoot
            nums = root.ParentTree.Nums
            keys = [int(nums[i]) for i in range(0, len(nums), 2)]
            kinds = []

            def kids(element, depth=0):
                for kid in element.get("/K", []) if isinstance(element.get("/K"), pikepdf.Array) else []:
                    if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                        kinds.append(str(kid.S))
                        assert kid.P.objgen == element.objgen   # each element points at its parent
                        kids(kid, depth + 1)
            kids(root.K[0])
            entries = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
            parents = []   # each page's marked content, by the elements that hold it (not by key:
            for page in pdf.pages:   # a patched stitch numbers the changed part's entries anew)
                if "/StructParents" in page.obj:
                    key = int(page.obj.StructParents)
                    assert key in entries   # every tagged page has its marked content mapped
                    held = entries[key]
                    parents.append([str(e.S) if isinstance(e, pikepdf.Dictionary) else None for e in held]
                                   if isinstance(held, pikepdf.Array) else str(held.get("/S")))
                else:
                    parents.append(None)
            structure = (len(keys), kinds, parents)
    return {"pages": len(text) - 1, "text": [" ".join(t.split()) for t in text], "links": links,
            "boxes": boxes, "outline": outline, "labels": labels, "structure": structure}


def _build(manuscript, out) -> subprocess.CompletedProcess:
    result = run_build("--manuscript", str(manuscript), "--out", str(out), "-j", "2")
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """The book built cold, then edited four times, each time rebuilt in the same
    output folder and also built cold in a fresh one."""
    tmp = tmp_path_factory.mktemp("incremental")
    manuscript = tmp / "manuscript"
    shutil.copytree(BOOKS / "incremental", manuscript)
    first = _build(manuscript, tmp / "kept")
    runs = [("cold", first, tmp / "kept", None)]
    for n, (name, edit, _) in enumerate(EDITS):
        source = manuscript / "book.md"
        source.write_text(edit(source.read_text(encoding="utf-8")), encoding="utf-8")
        again = _build(manuscript, tmp / "kept")
        kept = tmp / f"kept-{n}"
        for edition in ("", "-print"):
            shutil.copy(tmp / "kept" / f"{SLUG}{edition}.pdf", kept.with_name(f"{kept.name}{edition}.pdf"))
        cold = tmp / f"cold-{n}"
        _build(manuscript, cold)
        runs.append((name, again, kept, cold))
    unchanged = _build(manuscript, tmp / "kept")
    return runs, unchanged


@pytest.mark.parametrize("step", range(len(EDITS)), ids=[name for name, _, _ in EDITS])
@pytest.mark.parametrize("edition", ["", "-print"], ids=["screen", "print"])
def test_incremental_build_is_the_cold_build(rebuilt, step, edition):
    runs, _ = rebuilt
    name, _, kept, cold = runs[step + 1]
    incremental = facts(kept.with_name(f"{kept.name}{edition}.pdf"))
    fresh = facts(cold / f"{SLUG}{edition}.pdf")
    for key in ("pages", "text", "links", "boxes", "outline", "labels", "structure"):
        assert incremental[key] == fresh[key], (name, key)
    if edition == "":
        assert fresh["structure"] and fresh["outline"] and any(fresh["links"])
        assert any(target is not None and target != "" for page in fresh["links"] for _, target in page)
    else:
        assert fresh["structure"] is None and not any(fresh["links"]) and not fresh["outline"]


def test_a_patched_book_holds_its_marked_content_as_a_stitched_one(rebuilt):
    """The paragraph's edit patches the last stitched book (stitch._patched): the parts
    put in place number their parent-tree entries anew, and every run and link they
    draw is still held by the element the tree names for it."""
    from test_preflight import structure_faults
    runs, _ = rebuilt
    _, result, kept, _ = runs[1]
    assert PATCHED.search(result.stderr), result.stderr
    # and the print edition compared above was cut beside that patch (editions/pdf._cut_print_beside)
    assert "print cut beside the stitch" in result.stderr, result.stderr
    drawn, faults = structure_faults(kept.with_name(f"{kept.name}.pdf"))
    assert drawn > 400 and not faults, faults[:10]


@pytest.mark.parametrize("step", range(len(EDITS)), ids=[name for name, _, _ in EDITS])
def test_an_edit_lays_out_only_what_it_touched(rebuilt, step):
    runs, _ = rebuilt
    cold_parts = PARTS.search(runs[0][1].stderr)
    assert cold_parts and cold_parts.group(2) == cold_parts.group(3)   # a cold build lays out every part
    name, result, _, _ = runs[step + 1]
    said = PARTS.search(result.stderr)
    assert said, result.stderr
    laid_out, parts = int(said.group(2)), int(said.group(3))
    # The chapter edited (or added), and at most the glossary, the index and the contents.
    assert 1 <= laid_out <= EDITS[step][2] < parts, (name, said.group(0))
    # Where no part moved, the last stitched book is patched with those parts (and the
    # comparison with the cold build above holds for it); otherwise it is stitched whole.
    patched = PATCHED.search(result.stderr)
    if EDITS[step][1] in (_paragraph, _words_before_a_mark):
        assert patched and int(patched.group(1)) == laid_out, result.stderr
    else:
        assert patched is None, result.stderr


def test_a_grown_chapter_moves_the_later_folios(rebuilt):
    runs, _ = rebuilt
    before = facts(runs[2][3] / f"{SLUG}.pdf")
    after = facts(runs[3][3] / f"{SLUG}.pdf")
    assert after["pages"] > before["pages"]
    dredgers = [where[0] for depth, title, where in after["outline"] if title == "Dredgers"]
    was = [where[0] for depth, title, where in before["outline"] if title == "Dredgers"]
    assert dredgers and was and dredgers[0] > was[0]
    # The chapter's opening folio printed at its foot is its place in the book, and the
    # contents says so.
    printed = after["text"][dredgers[0]].split()[-1]
    contents = next(t for t in after["text"] if "Tides" in t and "Dredgers" in t and ". . ." in t)
    assert re.search(rf"Dredgers[ .]*{printed}\b", contents), (printed, contents[:400])


def test_nothing_changed_lays_out_nothing(rebuilt):
    _, unchanged = rebuilt
    assert "start" not in unchanged.stderr and "fresh   layout" in unchanged.stderr, unchanged.stderr

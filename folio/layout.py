"""The book laid out once for both PDF editions, chapter by chapter.

A chapter opens on a right-hand page, so its layout depends on the rest of the book
only through its folios and running heads, which are set afterwards as page furniture
(stitch.py). So each chapter is laid out as a document of its own:
- in parallel, across `jobs` processes (forked, so the `Book` is not copied);
- kept in `.folio/<slug>/layout/` under a hash of everything its layout reads (its
  part of the `Book`, the page settings, stylesheets, templates, fonts and folio's
  code), so an edit lays out again only the chapters it touched;
- set with two of a typesetter's rules kept inside WeasyPrint's breaking
  (breaking.py), and corrected where its first layout still shows a fault
  (setting.py), inside the same process, so the correction is cached with the
  chapter.
The parts that print page numbers are laid out after the chapters, from their real
pages: the glossary and the index, then the front matter with the contents.

Each unit's record (its page count, anchors, page kinds, laid-out text, where each
page begins, what setting left wrong) is kept as JSON beside its PDF.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import __version__, pagemap
from .html import linked_anchors
from .paths import ROOT

LATE_ROLES = ("glossary", "index")   # they print page numbers of the chapters
RENEW_AFTER = 50   # chapters: after more, the late parts get fresh worker processes
# Page numbers a back-matter part prints (the index: one per mark): a part printing more
# is laid out with no other beside it. Its numbers are text until it is laid out
# (locators.py), but each still costs an annotation and a structure element: the
# 1,700-page benchmark book's 29,000 marks take its index to 224 MB laid out alone, and
# the layout step to 435 MB with the glossary and the contents beside it (315 MB alone).
INDEX_ALONE_ABOVE = 40_000
CODE = ["editions/pdf.py", "layout.py", "setting.py", "pagemap.py", "fonts.py", "safety.py", "svg.py",
        "press.py", "backmatter.py", "render.py", "html.py", "conservation.py", "index.py", "dictionary.py",
        "hyphenation.py", "locators.py", "tags.py", "labels.py", "marks.py", "breaking.py", "furniture.py"]


@dataclass
class Record:
    """One unit's layout, as its JSON file keeps it."""
    pages: int
    anchors: dict = field(default_factory=dict)     # anchor -> page of the unit it is (first) on
    kinds: list = field(default_factory=list)       # each page's CSS page name ("display", "front", "chapter")
    blank: list = field(default_factory=list)       # each page: laid out blank (a verso before a right break)
    text: str = ""                                  # the laid-out text, for the conservation check
    firsts: dict = field(default_factory=dict)      # page (str) -> pagemap.PageStart as a dict
    late_notes: list = field(default_factory=list)  # [note, call page, note page], pages of the unit
    hyphen_runs: list = field(default_factory=list) # [page, line]
    loose_lines: list = field(default_factory=list) # [page, line, widest word space in ems]
    said: list = field(default_factory=list)        # what WeasyPrint logged: [logger, pathname, message]
    refused: list = field(default_factory=list)     # URLs the fetcher refused


@dataclass
class Unit:
    name: str               # "front", or the chapter's id
    chapters: list          # the Book's chapters it sets (all of them for "front": the contents lists them)
    digest: str = ""
    record: Record | None = None

    @property
    def is_front(self) -> bool:
        return self.name == "front"


def _digest_files(paths) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(str(path.name).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def environment_digest(settings) -> str:
    """What every unit's layout reads besides its own content."""
    import weasyprint
    from . import fonts
    from .paths import TEMPLATES, stylesheet_files
    files = [ROOT / "folio" / name for name in CODE] + sorted((TEMPLATES / "pdf").glob("*")) \
        + stylesheet_files("pdf.css") + list(fonts.font_files()) + sorted((ROOT / "hyphenation").glob("*.txt"))
    key = (weasyprint.__version__, __version__, settings.width, settings.height, settings.bleed, settings.margins)
    return hashlib.sha256((_digest_files(files) + repr(key)).encode()).hexdigest()


def unit_digest(environment: str, book, unit: Unit, extra: str = "") -> str:
    """The unit's content: its chapters, the words and metadata its pages print, and
    the images it shows."""
    sha = hashlib.sha256(environment.encode())
    meta = book.meta
    sha.update(pickle.dumps((meta.title, meta.title_html, meta.lang, meta.dir, meta.hyphenation,
                             sorted(meta.words.items())), protocol=4))
    for chapter in unit.chapters:
        shown = (chapter.id, chapter.role, chapter.title_html, chapter.title, chapter.number, chapter.headings) \
            if unit.is_front else chapter
        sha.update(pickle.dumps(shown, protocol=4))
        for name in sorted(set(re.findall(r'src="([^"]+)"', chapter.html + "".join(n.html for n in chapter.notes)))
                           if not unit.is_front else ()):
            if name in book.assets:
                sha.update(name.encode() + hashlib.sha256(book.assets[name]).digest())
    if unit.is_front:   # the contents prints the chapters' titles and sections, not their text
        sha.update(pickle.dumps(meta, protocol=4))
    if any(c.role == "index" for c in unit.chapters):   # its entries are written at layout (backmatter.py)
        sha.update(pickle.dumps((book.index, book.entries), protocol=4))
    sha.update(extra.encode())
    return sha.hexdigest()


# The work a unit's process does. Forked workers find the Book and settings here.
_JOB: dict = {}


# folio's own stylesheet and fonts, parsed once per process: {"text": the CSS, "parsed": (CSS, FontConfiguration)}.
_HOUSE: dict = {}


def _house_stylesheet(direction: str):
    """pdf.css and the book font's faces, parsed once per process: the same for every
    book of that direction (a stylesheet edited since, or the other direction, is
    parsed again)."""
    from . import fonts
    from .render import stylesheet
    text = "\n".join([fonts.font_faces_css(), stylesheet("pdf.css", direction)])
    if _HOUSE.get("text") != text:   # not parsed yet, or a stylesheet edited since
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        from .paths import STYLES
        from .render import ROOT as RENDER_ROOT
        from .safety import make_fetcher
        font_config = FontConfiguration()
        css = CSS(string=text, font_config=font_config, base_url=str(STYLES) + "/",
                  url_fetcher=make_fetcher((STYLES, fonts.FONT_DIR, RENDER_ROOT / "templates")))
        _HOUSE.clear()
        _HOUSE.update(text=text, parsed=(css, font_config))
    return _HOUSE["parsed"]


def _stylesheets(book, settings):
    """The units' stylesheets and fonts: the house stylesheet (`_house_stylesheet`), and
    the book's page settings, parsed once per process."""
    if "stylesheets" not in _JOB:
        from weasyprint import CSS
        from .editions import pdf
        house, font_config = _house_stylesheet(book.meta.dir)
        pages = CSS(string=pdf.unit_css(book, settings), font_config=font_config, url_fetcher=_JOB["fetcher"](),
                    base_url=_JOB["base"])
        _JOB["stylesheets"] = ([house, pages], font_config)
    return _JOB["stylesheets"]


def _lay_out_unit(task: tuple) -> tuple[str, Record]:
    """Lay one unit out (and again, corrected, where setting.py finds faults); write
    its PDF and record into the cache; return the record."""
    from weasyprint import HTML
    from . import breaking, fonts, hyphenation, locators, marks, setting, tags
    from .conservation import pdf_text
    from .editions import pdf
    breaking.install()
    fonts.subset_arrays_typed_once()
    name, chapter_ids, digest, options = task
    book, settings, cache, base = _JOB["book"], _JOB["settings"], _JOB["cache"], _JOB["base"]
    chapters = [c for c in book.chapters if c.id in chapter_ids]
    fetcher = _JOB["fetcher"]()
    ids = {c.id for c in book.chapters}
    with pdf.library_messages() as said:
        stylesheets, font_config = _stylesheets(book, settings)

        placed: dict = {}   # index marks of the last layout (marks.py): id -> (page, x, y)
        linked: list = []   # the index's page numbers of the last layout (locators.py)
        lift = {"marks": True, "locators": True}   # until a layout could not place them: then elements

        def render(corrections=None):
            lifted = pdf.Lifted(lift_marks=lift["marks"], lift_locators=lift["locators"])
            markup = pdf.unit_html(book, settings, chapters, corrections=corrections, inline_css=False,
                                   lifted=lifted, **options)
            with hyphenation.installed(book.meta.lang, lifted.kept):
                laid = HTML(string=markup, base_url=base, url_fetcher=fetcher).render(stylesheets=stylesheets,
                                                                                      font_config=font_config)
            where = marks.locate(laid, lifted.marks) if lifted.marks else {}
            if where is None:   # a mark not where it was counted: set again with the marks as spans
                laid = None
                lift["marks"] = False
                return render(corrections)
            numbers = locators.locate(laid, lifted.runs)
            if numbers is None:   # a page number not found whole: set again with a link for each
                laid = None
                lift["locators"] = False
                return render(corrections)
            placed.clear()
            placed.update(where)
            linked[:] = numbers
            return laid
        document = render()
        corrections = setting.Corrections()
        found, report = setting.read(document, ids)
        for _ in range(pdf.CORRECTION_ROUNDS):
            before = corrections.size()
            corrections.merge(found)
            if not found or corrections.size() == before:
                break
            _say_corrected(name, report)
            document = None   # not two layouts in memory at once
            document = render(corrections)
            found, report = setting.read(document, ids)
        if report.late_notes:   # a note its call's page cannot hold even after the break: set after its call
            corrections.inline_notes |= {note for note, _, _ in report.late_notes}
            _say_corrected(name, report)
            document = None
            document = render(corrections)
            found, report = setting.read(document, ids)
        record = Record(pages=len(document.pages))
        for number, page in enumerate(document.pages):
            for anchor in page.anchors:
                record.anchors.setdefault(anchor, number)
            page_type = page._page_box.page_type
            record.kinds.append(page_type.name or "")
            record.blank.append(bool(page_type.blank))
        for anchor, (number, _, _) in placed.items():
            record.anchors.setdefault(anchor, number)
        record.text = pdf_text(document)
        record.firsts = {str(n): asdict(start) for n, start in pagemap.page_firsts(document, ids).items()}
        record.late_notes = [list(late) for late in report.late_notes]
        record.hyphen_runs = [list(run) for run in report.hyphen_runs]
        record.loose_lines = [list(loose) for loose in report.loose_lines]
        target = cache / f"{digest}.pdf"
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        document.write_pdf(temporary, pdf_variant="pdf/ua-1", pdf_identifier=book.meta.identifier.encode()[:32],
                           custom_metadata=False, finisher=lambda laid, made: (
                               locators.split_links(laid, made, linked),
                               tags.annotations_in_their_links(laid, made), tags.fold_text_spans(laid, made),
                               tags.inline_object_references(laid, made),
                               marks.add_destinations(laid, made, placed)))
    record.said = [[r.name, r.pathname or "", r.getMessage()] for r in said]
    record.refused = list(dict.fromkeys(fetcher.refused))
    (cache / f"{digest}.json").write_text(json.dumps(asdict(record), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)
    return name, record


def _say_corrected(unit: str, report) -> None:
    """Layout is the long step: say when a unit is set again, and why."""
    import sys
    from . import setting
    why = ", ".join(filter(None, [
        f"{len(report.late_notes)} notes after their call's page" if report.late_notes else "",
        f"{len(report.hyphen_runs)} third hyphens in a row" if report.hyphen_runs else "",
        f"{len(report.leaf_turns)} words split over a leaf turn" if report.leaf_turns else "",
        f"{len(report.tall_notes)} notes taller than a page" if report.tall_notes else "",
        f"{gaping} lines gaping after a split word" if (gaping := sum(
            ems > setting.GAPING_SPACE for _, _, ems in report.loose_lines)) else ""]))
    print(f"  ...   layout setting {unit[:40]} again: {why}", file=sys.stderr, flush=True)


def _load(cache: Path, digest: str) -> Record | None:
    try:
        if not (cache / f"{digest}.pdf").is_file():
            return None
        return Record(**json.loads((cache / f"{digest}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


class _Workers:
    """Units laid out `jobs` at a time in forked processes (so the Book is shared, not
    copied), or here when `jobs` is 1; a unit in the cache is not laid out at all."""

    def __init__(self, jobs: int):
        self.pool = None
        self.jobs = jobs
        self.forked = jobs > 1   # with -j 1, every unit is laid out here
        self.laid_out = 0
        self.renew()

    def renew(self, jobs: int | None = None) -> None:
        """Fresh processes (`jobs` of them from now on): a worker keeps what its heap
        grew to over hundreds of chapters, and the parts laid out last (the index, the
        contents) are the largest."""
        self.close()
        self.jobs = jobs or self.jobs
        if self.forked:
            # What this process holds (the Book) is left out of the workers' collections:
            # they never free it, and a collection that visits it writes to each of its
            # pages, which the kernel then copies into the worker (50x book: 3 s less
            # layout, a peak 20 MB lower).
            import gc
            gc.freeze()
            from . import forking
            if not forking.alone():   # a thread still runs (forking.py): lay out here instead
                self.pool, self.forked = None, False
                return
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"))

    def start(self, unit: Unit, options: dict | None = None):
        from concurrent.futures import Future
        unit.record = _load(_JOB["cache"], unit.digest)
        if unit.record is not None:
            done = Future()
            done.set_result((unit.name, unit.record))
            done.unit = unit
            return done
        self.laid_out += 1
        task = (unit.name, [c.id for c in unit.chapters], unit.digest, options or {})
        if self.pool is None:
            done = Future()
            done.set_result(_lay_out_unit(task))
        else:
            done = self.pool.submit(_lay_out_unit, task)

        done.unit = unit
        return done

    @staticmethod
    def wait(futures) -> None:
        """Until each is laid out; a unit's failure is the build's."""
        from concurrent.futures.process import BrokenProcessPool
        from .diagnostics import error
        for future in list(futures):
            try:
                future.unit.record = future.result()[1]
            except BrokenProcessPool:   # killed: the kernel or a library gave up on an allocation
                raise error("FOLIO061", f"a layout process stopped while laying out '{future.unit.name[:60]}', "
                                        "most likely at the memory limit",
                            fix="raise the limit with --memory-limit MB, or lay out fewer chapters at once (-j)")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


@dataclass
class Laid:
    """The whole book's layout: its units in page order and where each begins."""
    units: list                    # [Unit] in page order, the front matter first
    starts: list                   # each unit's first page in the book (0-based)
    total: int                     # pages, blank versos included
    first_body: int                # the page of the first chapter
    cache: Path
    laid_out: int = 0              # units laid out in this build (the rest came from the cache)

    def pdf(self, unit: Unit) -> Path:
        return self.cache / f"{unit.digest}.pdf"

    def page_of(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for unit, start in zip(self.units, self.starts):
            for anchor, page in unit.record.anchors.items():
                found.setdefault(anchor, start + page)
        return found


def _place(units: list[Unit], first: int) -> tuple[list[int], int]:
    """Each unit's first page when the units follow each other from page `first`, each
    opening on a right-hand page (an even page, the first page being a right-hand one)."""
    starts, at = [], first
    for unit in units:
        at += at % 2
        starts.append(at)
        at += unit.record.pages
    return starts, at


def lay_out(book, settings, manuscript_root: Path, cache: Path, jobs: int = 1, progress=None) -> Laid:
    from . import fonts
    from .paths import STYLES
    from .render import ROOT as RENDER_ROOT
    from .safety import make_fetcher
    cache.mkdir(parents=True, exist_ok=True)
    _JOB.pop("stylesheets", None)
    _JOB.update(book=book, settings=settings, cache=cache, base=str(manuscript_root) + "/",
                fetcher=lambda: make_fetcher((STYLES, fonts.FONT_DIR, RENDER_ROOT / "templates"), book.assets,
                                             manuscript_root))
    environment = environment_digest(settings)
    body = [Unit(c.id, [c]) for c in book.chapters if c.role not in LATE_ROLES]
    late = [Unit(c.id, [c]) for c in book.chapters if c.role in LATE_ROLES]
    for unit in body:
        unit.digest = unit_digest(environment, book, unit)
    todo = sum(not (cache / f"{u.digest}.pdf").is_file() for u in body)
    if progress and todo:
        progress(f"laying out {todo} of {len(body)} chapters")
    workers = _Workers(jobs)
    try:
        workers.wait([workers.start(unit) for unit in body])
        # The back matter that prints page numbers (the glossary, the index) from the
        # chapters' pages, side by side; then the front matter, whose contents needs
        # where each of them starts: it starts once all but the last are laid out.
        # A large index is laid out alone, the other parts before and after it.
        starts, _ = _place(body, 0)
        folios = _Pages(body, starts).folios
        wanted_by = {unit.name: _anchors_of(book, unit.chapters[0], folios) for unit in late}
        alone = any(len(wanted) > INDEX_ALONE_ABOVE for wanted in wanted_by.values())
        if len(body) > RENEW_AFTER or (alone and workers.jobs > 1):
            workers.renew(1 if alone else None)
        running = {}
        for unit in late:
            wanted = wanted_by[unit.name]
            unit.digest = unit_digest(environment, book, unit, json.dumps(wanted, sort_keys=True))
            running[unit.name] = workers.start(unit, {"folio_of": wanted})
        done = [u for c in book.chapters for u in body + late if u.name == c.id]   # the book's order
        workers.wait(running[u.name] for u in done[:-1] if u.name in running)
        placed = [u for u in done if u.record is not None]   # all, or all but the last
        starts, _ = _place(placed, 0)
        folios = _Pages(placed, starts).folios
        if done and done[-1].record is None:   # the last part's first page: after the others, on a right-hand page
            _, end = _place(done[:-1], 0)
            folios.setdefault(done[-1].name, end + end % 2 + 1)
        front = Unit("front", list(book.chapters))
        listed = {c.id for c in book.chapters} | {h.id for c in book.chapters for h in c.headings}
        wanted = {key: value for key, value in folios.items() if key in listed}
        front.digest = unit_digest(environment, book, front, json.dumps(wanted, sort_keys=True))
        workers.wait([workers.start(front, {"folio_of": wanted, "front_matter": True}), *running.values()])
    finally:
        workers.close()
        _JOB.clear()   # the Book, for the caller to let go of
    starts, total = _place([front] + done, 0)
    return Laid([front] + done, starts, total, starts[1] if len(starts) > 1 else total, cache, workers.laid_out)


def _anchors_of(book, chapter, folios: dict[str, int]) -> dict[str, int]:
    """The folios a page-numbering unit prints: the index, of every index anchor; the
    glossary, of the passages it links to. (Only these go into its hash, so an edit
    that moves none of them leaves it in the cache.)"""
    if chapter.role == "index":
        anchors: set[str] = set()

        def gather(entries):
            for entry in entries:
                anchors.update(a for o in entry.occurrences for a in (o.anchor, o.end) if a)
                gather(entry.subentries)
        gather(entry for group in book.index for entry in group.entries)
        return {key: value for key, value in folios.items() if key in anchors}
    linked = linked_anchors(chapter.html)
    return {key: value for key, value in folios.items() if key in linked}


class _Pages:
    """Folios of anchors in the chapters laid out so far, counted from the first chapter."""

    def __init__(self, units: list[Unit], starts: list[int]):
        self.folios: dict[str, int] = {}
        for unit, start in zip(units, starts):
            for anchor, page in unit.record.anchors.items():
                self.folios.setdefault(anchor, start + page + 1)

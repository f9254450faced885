"""The book laid out once for both PDF editions, chapter by chapter.

A chapter opens on a right-hand page, so its layout depends on the rest of the book
only through its folios and running heads, which are set afterwards as page furniture
(stitch.py). So each chapter is laid out as a document of its own:
- in parallel, across `jobs` processes (forked, so the `Book` is not copied);
- kept in `.folio/<slug>/layout/` under a hash of everything its layout reads (its
  part of the `Book`, the page settings, stylesheets, templates, fonts and folio's
  code), so an edit lays out again only the chapters it touched;
- corrected where its first layout shows a typesetter's fault (setting.py), inside
  the same process, so the correction is cached with the chapter.
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
from .paths import ROOT

LATE_ROLES = ("glossary", "index")   # they print page numbers of the chapters
CODE = ["editions/pdf.py", "layout.py", "setting.py", "pagemap.py", "fonts.py", "safety.py", "svg.py",
        "press.py", "backmatter.py", "render.py", "html.py", "conservation.py", "index.py", "dictionary.py"]


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
    from .paths import STYLES, TEMPLATES
    files = [ROOT / "folio" / name for name in CODE] + sorted((TEMPLATES / "pdf").glob("*")) \
        + [STYLES / "pdf.css"] + list(fonts.font_files())
    key = (weasyprint.__version__, __version__, settings.width, settings.height, settings.bleed, settings.margins)
    return hashlib.sha256((_digest_files(files) + repr(key)).encode()).hexdigest()


def unit_digest(environment: str, book, unit: Unit, extra: str = "") -> str:
    """The unit's content: its chapters, the words and metadata its pages print, and
    the images it shows."""
    sha = hashlib.sha256(environment.encode())
    meta = book.meta
    sha.update(pickle.dumps((meta.title, meta.title_html, meta.lang, sorted(meta.words.items())), protocol=4))
    for chapter in unit.chapters:
        sha.update(pickle.dumps(chapter, protocol=4))
        for name in sorted(set(re.findall(r'src="([^"]+)"', chapter.html + "".join(n.html for n in chapter.notes)))):
            if name in book.assets:
                sha.update(name.encode() + hashlib.sha256(book.assets[name]).digest())
    if unit.is_front:
        sha.update(pickle.dumps(meta, protocol=4))
    sha.update(extra.encode())
    return sha.hexdigest()


# The work a unit's process does. Forked workers find the Book and settings here.
_JOB: dict = {}


def _lay_out_unit(task: tuple) -> tuple[str, Record]:
    """Lay one unit out (and again, corrected, where setting.py finds faults); write
    its PDF and record into the cache; return the record."""
    from weasyprint import HTML
    from . import setting
    from .conservation import pdf_text
    from .editions import pdf
    name, chapter_ids, digest, options = task
    book, settings, cache, base = _JOB["book"], _JOB["settings"], _JOB["cache"], _JOB["base"]
    chapters = [c for c in book.chapters if c.id in chapter_ids]
    fetcher = _JOB["fetcher"]()
    ids = {c.id for c in book.chapters}
    with pdf.library_messages() as said:
        def render(corrections=None):
            markup = pdf.unit_html(book, settings, chapters, corrections=corrections, **options)
            return HTML(string=markup, base_url=base, url_fetcher=fetcher).render()
        document = render()
        corrections = setting.Corrections()
        found, report = setting.read(document, ids)
        for _ in range(pdf.CORRECTION_ROUNDS):
            before = corrections.size()
            corrections.merge(found)
            if not found or corrections.size() == before:
                break
            _say_corrected(name, report)
            document = render(corrections)
            found, report = setting.read(document, ids)
        if report.late_notes:   # a note its call's page cannot hold even after the break: set after its call
            corrections.inline_notes |= {note for note, _, _ in report.late_notes}
            _say_corrected(name, report)
            document = render(corrections)
            found, report = setting.read(document, ids)
        record = Record(pages=len(document.pages))
        for number, page in enumerate(document.pages):
            for anchor in page.anchors:
                record.anchors.setdefault(anchor, number)
            page_type = page._page_box.page_type
            record.kinds.append(page_type.name or "")
            record.blank.append(bool(page_type.blank))
        record.text = pdf_text(document)
        record.firsts = {str(n): asdict(start) for n, start in pagemap.page_firsts(document, ids).items()}
        record.late_notes = [list(late) for late in report.late_notes]
        record.hyphen_runs = [list(run) for run in report.hyphen_runs]
        target = cache / f"{digest}.pdf"
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        document.write_pdf(temporary, pdf_variant="pdf/ua-1", pdf_identifier=book.meta.identifier.encode()[:32],
                           custom_metadata=False)
    record.said = [[r.name, r.pathname or "", r.getMessage()] for r in said]
    record.refused = list(dict.fromkeys(fetcher.refused))
    (cache / f"{digest}.json").write_text(json.dumps(asdict(record), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)
    return name, record


def _say_corrected(unit: str, report) -> None:
    """Layout is the long step: say when a unit is set again, and why."""
    import sys
    why = ", ".join(filter(None, [
        f"{len(report.late_notes)} notes after their call's page" if report.late_notes else "",
        f"{len(report.hyphen_runs)} third hyphens in a row" if report.hyphen_runs else "",
        f"{len(report.leaf_turns)} words split over a leaf turn" if report.leaf_turns else "",
        f"{len(report.tall_notes)} notes taller than a page" if report.tall_notes else ""]))
    print(f"  ...   layout setting {unit[:40]} again: {why}", file=sys.stderr, flush=True)


def _load(cache: Path, digest: str) -> Record | None:
    try:
        if not (cache / f"{digest}.pdf").is_file():
            return None
        return Record(**json.loads((cache / f"{digest}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _run(units: list[Unit], jobs: int, options: dict | None = None) -> None:
    """Lay out the units not in the cache, `jobs` at a time."""
    cache = _JOB["cache"]
    todo = []
    for unit in units:
        unit.record = _load(cache, unit.digest)
        if unit.record is None:
            todo.append(unit)
    tasks = [(u.name, [c.id for c in u.chapters], u.digest, options or {}) for u in todo]
    by_name = {u.name: u for u in todo}
    if jobs > 1 and len(tasks) > 1:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(min(jobs, len(tasks))) as pool:
            for name, record in pool.imap_unordered(_lay_out_unit, tasks):
                by_name[name].record = record
    else:
        for task in tasks:
            name, record = _lay_out_unit(task)
            by_name[name].record = record


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
    from .editions import pdf
    from .paths import STYLES
    from .render import ROOT as RENDER_ROOT
    from .safety import make_fetcher
    cache.mkdir(parents=True, exist_ok=True)
    _JOB.update(book=book, settings=settings, cache=cache, base=str(manuscript_root) + "/",
                fetcher=lambda: make_fetcher((STYLES, fonts.FONT_DIR, RENDER_ROOT / "templates"), book.assets))
    environment = environment_digest(settings)
    body = [Unit(c.id, [c]) for c in book.chapters if c.role not in LATE_ROLES]
    late = [Unit(c.id, [c]) for c in book.chapters if c.role in LATE_ROLES]
    for unit in body:
        unit.digest = unit_digest(environment, book, unit)
    laid_out = sum(_load(cache, u.digest) is None for u in body)
    if progress and laid_out:
        progress(f"laying out {laid_out} of {len(body)} chapters")
    _run(body, jobs)
    # The back matter that prints page numbers, one after the other (the index may
    # point into the glossary), then the front matter, whose contents lists them all.
    done = list(body)
    for unit in late:
        starts, _ = _place(done, 0)
        pages = _Pages(done, starts)
        unit.digest = unit_digest(environment, book, unit, json.dumps(pages.folios, sort_keys=True))
        laid_out += _load(cache, unit.digest) is None
        _run([unit], 1, {"folio_of": pages.folios})
        done.append(unit)
    done = [u for c in book.chapters for u in done if u.name == c.id]   # the book's order
    starts, _ = _place(done, 0)
    pages = _Pages(done, starts)
    front = Unit("front", list(book.chapters))
    front.digest = unit_digest(environment, book, front, json.dumps(pages.folios, sort_keys=True))
    laid_out += _load(cache, front.digest) is None
    _run([front], 1, {"folio_of": pages.folios, "front_matter": True})
    starts, total = _place([front] + done, 0)
    return Laid([front] + done, starts, total, starts[1] if len(starts) > 1 else total, cache, laid_out)


class _Pages:
    """Folios of anchors in the chapters laid out so far, counted from the first chapter."""

    def __init__(self, units: list[Unit], starts: list[int]):
        self.folios: dict[str, int] = {}
        for unit, start in zip(units, starts):
            for anchor, page in unit.record.anchors.items():
                self.folios.setdefault(anchor, start + page + 1)

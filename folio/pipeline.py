"""manuscript → one parsed book → editions: the steps the task runner calls."""
from __future__ import annotations

import gc
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import manuscript as manuscript_module
from .diagnostics import Reporter
from .paths import CITEPROC_RECORD
from .sandbox import Limits

EDITION_NAMES = ("pdf", "print", "epub", "html")


@dataclass(frozen=True)
class Options:
    """Everything from the command line that changes what a build makes."""
    manuscript: Path
    out: Path
    csl: str | None = None
    strict: bool = False
    crop_marks: bool | None = None
    limits: Limits = field(default_factory=Limits)
    jobs: int = 1     # processes that lay out chapters at once

    def encode(self) -> str:
        """For a step's own process: the options as one command-line argument."""
        return json.dumps({**asdict(self), "manuscript": str(self.manuscript), "out": str(self.out)})

    @classmethod
    def decode(cls, text: str) -> "Options":
        data = json.loads(text)
        return cls(Path(data["manuscript"]), Path(data["out"]), data["csl"], data["strict"], data["crop_marks"],
                   Limits(**data["limits"]), data.get("jobs", 1))


def load_book(options: Options, reporter: Reporter, meanwhile=None):
    """Read the manuscript folder and run pandoc once: the `Book` every edition reads
    (`meanwhile`: book.assemble)."""
    from .book import assemble
    manuscript = manuscript_module.load(options.manuscript, options.csl, reporter)
    record = options.out / ".folio" / manuscript.slug / CITEPROC_RECORD
    return manuscript, assemble(manuscript, reporter, options.limits, record, meanwhile=meanwhile,
                                writers=options.jobs)


def build_layout(book, manuscript, options: Options) -> Path:
    """Lay the book out once for both PDF editions (editions/pdf.py, layout.py)."""
    from .editions import pdf
    reporter = Reporter(strict=options.strict)
    target = pdf.stitch_book(_lay_out(book, manuscript, options, reporter), reporter)
    reporter.finish()   # with --strict, what WeasyPrint or the stitch said (FOLIO041) fails the layout
    return target


def lay_out_alone(options: Options) -> Path:
    """The layout step in its own process: the units laid out, what the stitch needs
    saved beside them (`laid-out.json`). The stitch is a step of its own (`stitch`):
    it holds every object of the book's PDF, and a long book's `Book` and those
    objects would not fit in the memory limit together."""
    from . import state
    from .sandbox import keep_till_exit
    from .tasks import book_file, laid_out_file, manuscript_of
    reporter = Reporter(strict=options.strict)
    book = state.load(book_file(options))
    keep_till_exit(book)
    gc.freeze()   # the Book lives to the end: no collection (here or in a forked worker) need visit it
    laid = _lay_out(book, manuscript_of(options), options, reporter)
    reporter.finish()   # with --strict, what WeasyPrint said (FOLIO041) fails the layout
    laid.save(laid_out_file(options))
    return laid_out_file(options)


def stitch_alone(options: Options) -> Path:
    """The stitch step: `book.pdf` and `book.json` from `laid-out.json`."""
    from .editions import pdf
    from .tasks import laid_out_file
    reporter = Reporter(strict=options.strict)
    target = pdf.stitch_book(pdf.LaidOutBook.load(laid_out_file(options)), reporter)
    reporter.finish()
    return target


def _lay_out(book, manuscript, options: Options, reporter: Reporter):
    from . import conservation
    from .editions import pdf
    settings = pdf.settings_from(manuscript, for_print=True)
    laid = pdf.lay_out_book(book, options.out, manuscript.root, settings, options.jobs, reporter)
    # Both PDF editions are cut from this one layout: their text is checked here, once.
    lost = conservation.missing_laid_out(book.passages, laid.unit_texts, laid.folder / conservation.LAID_OUT_RECORD)
    conservation.report(book.passages, "PDF", None, manuscript.source, options.strict, lost=lost)
    return laid


def build_edition(name: str, book, manuscript, options: Options) -> Path:
    """Write one edition, then check that every passage of the manuscript reached it."""
    from . import conservation
    from .editions import epub, html, pdf   # here, not at the top: WeasyPrint is slow to import
    shown: list[str] = []
    from . import pagemap
    pages_file = pagemap.path(options.out, book.meta.slug)
    if name == "epub":
        target = epub.build(book, options.out, pagemap.PrintPages.load(pages_file))
        shown.append(epub.text(target))
    elif name == "site":   # the site's pages, staged; the html step adds the other editions
        target = html.build(book, options.out)
        shown += [conservation.html_text(page.read_text(encoding="utf-8"),
                                         "" if page.name == "index.html" else html.REPEATED_CONTENTS)
                  for page in sorted(target.parent.glob("*.html"))]
    else:
        settings = pdf.settings_from(manuscript, for_print=(name in ("print", "cover")), crop_marks=options.crop_marks)
        reporter = Reporter(strict=options.strict)
        if name == "cover":   # the print edition's wrap and page list, made beside the stitch
            pdf.cover_and_pages(book, options.out, settings, reporter, manuscript.where).save(pages_file)
            target = options.out / f"{book.meta.slug}-cover.pdf"
        else:   # its text: checked once, in the layout step
            target = pdf.build(book, options.out, settings, reporter)
        reporter.finish()   # with --strict, what WeasyPrint said (FOLIO041) fails the edition
    if name not in ("pdf", "print", "cover"):
        conservation.report(book.passages, "HTML" if name == "site" else name.upper(), " ".join(shown),
                            manuscript.source, options.strict)
    return target

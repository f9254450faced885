"""manuscript → one parsed book → editions: the steps the task runner calls."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import manuscript as manuscript_module
from .diagnostics import Reporter

EDITION_NAMES = ("pdf", "print", "epub", "html")


@dataclass(frozen=True)
class Options:
    """Everything from the command line that changes what a build makes."""
    manuscript: Path
    out: Path
    csl: str | None = None
    strict: bool = False
    crop_marks: bool | None = None


def load_book(options: Options, reporter: Reporter):
    """Read the manuscript folder and run pandoc once: the `Book` every edition reads."""
    from .book import assemble
    manuscript = manuscript_module.load(options.manuscript, options.csl, reporter)
    return manuscript, assemble(manuscript, reporter)


def build_edition(name: str, book, manuscript, options: Options) -> Path:
    from .editions import epub, html, pdf   # here, not at the top: WeasyPrint is slow to import
    if name == "epub":
        return epub.build(book, options.out)
    if name == "html":
        return html.build(book, options.out)
    settings = pdf.settings_from(manuscript.metadata, for_print=(name == "print"), crop_marks=options.crop_marks)
    return pdf.build(book, options.out, manuscript.root, settings)

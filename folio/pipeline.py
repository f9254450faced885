"""manuscript → one parsed book → editions: the build, start to finish."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import book as book_module
from . import manuscript as manuscript_module
from .diagnostics import Reporter

EDITION_NAMES = ("pdf", "print", "epub", "html")


@dataclass(frozen=True)
class Options:
    manuscript: Path
    out: Path
    csl: str | None = None
    strict: bool = False
    crop_marks: bool | None = None


def load_book(options: Options, reporter: Reporter):
    manuscript = manuscript_module.load(options.manuscript, options.csl)
    return manuscript, book_module.assemble(manuscript, reporter)


def build_edition(name: str, book, manuscript, options: Options) -> Path:
    from .editions import epub, html, pdf   # here, not at the top: WeasyPrint is slow to import
    if name == "epub":
        return epub.build(book, options.out)
    if name == "html":
        return html.build(book, options.out)
    settings = pdf.settings_from(manuscript.metadata, for_print=(name == "print"), crop_marks=options.crop_marks)
    return pdf.build(book, options.out, manuscript.root, settings)


def build(names: list[str], options: Options) -> list[Path]:
    reporter = Reporter(strict=options.strict)
    started = time.perf_counter()
    manuscript, book = load_book(options, reporter)
    reporter.finish()
    print(f"read    {manuscript.source.name}: {len(book.chapters)} chapters "
          f"({time.perf_counter() - started:.1f}s)", file=sys.stderr)
    built = []
    for name in names:
        started = time.perf_counter()
        target = build_edition(name, book, manuscript, options)
        print(f"built   {name:6} {target} ({time.perf_counter() - started:.1f}s)", file=sys.stderr)
        built.append(target)
    return built

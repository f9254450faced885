"""One build step (`book`, or an edition) in a process of its own, under the limits.

The build's step server forks the process (stepserver.py), or the task runner starts
`python -m folio.worker STEP OPTIONS`; either way `main` caps the process's own address
space first (pandoc, started by the book step, inherits the cap), and the runner stops
it at the time limit. Every failure ends as a diagnostic, never a traceback.
"""
from __future__ import annotations

import gc
import os
import sys
import traceback

from .diagnostics import BuildError, Diagnostic, Reporter
from .pipeline import Options


def _say(diagnostic: Diagnostic) -> None:
    print(f"error: {diagnostic}", file=sys.stderr, flush=True)


def step(name: str, options: Options) -> None:
    from . import state
    from .sandbox import keep_till_exit
    from .pipeline import build_edition, load_book
    from .tasks import book_file, manuscript_of, print_book_file
    if name == "book":
        # pandoc's AST and the trees made from it are millions of containers with no
        # cycle among them: the collector's rounds freed nothing and took 1.7 s of the
        # 50x book's cold step (15.2 s), 0.5 s of an edit's, at the same peak memory.
        gc.disable()
        reporter = Reporter(strict=options.strict)
        # After an edit, pandoc's whole read of the manuscript may still be running
        # when the Book is made: it is pickled meanwhile, and written once confirmed.
        sealed: dict = {}

        def seal(book) -> None:
            sealed.clear()
            if book is not None:
                sealed.update(book=book, blobs=(state.sealed(book), state.sealed(book.for_print())))
        _, book = load_book(options, reporter, seal)
        reporter.finish()
        blobs = sealed["blobs"] if sealed.get("book") is book else (state.sealed(book), state.sealed(book.for_print()))
        sealed.clear()
        state.write(blobs[0], book_file(options))
        state.write(blobs[1], print_book_file(options))
        keep_till_exit(book)
        return
    if name in ("layout", "stitch"):   # neither holds the Book and the whole PDF at once
        from .pipeline import lay_out_alone, stitch_alone
        (lay_out_alone if name == "layout" else stitch_alone)(options)
        return
    if name == "html":   # the staged site (the site step) with the other editions: without the Book
        from .editions.html import publish
        publish(options.out, manuscript_of(options).slug)
        return
    book = state.load(print_book_file(options) if name in ("print", "cover") else book_file(options))
    keep_till_exit(book)
    gc.freeze()   # the Book lives to the end: no collection need visit it
    build_edition(name, book, manuscript_of(options), options)


# Steps that run beside the layout and wait on nothing it makes: they yield the
# processor to it, and take what its workers leave idle (the index laid out alone).
YIELDING_STEPS = {"site": 10}


def main(argv: list[str]) -> int:
    from .system import quick_library_lookup
    name, encoded = argv
    options = Options.decode(encoded)
    quick_library_lookup()   # before any step imports WeasyPrint
    options.limits.apply()
    if name in YIELDING_STEPS:
        try:
            os.nice(YIELDING_STEPS[name])
        except OSError:
            pass
    sys.setrecursionlimit(10_000)
    try:
        step(name, options)
    except BuildError as exc:
        for diagnostic in exc.diagnostics:
            _say(diagnostic)
        return 1
    except MemoryError:
        _say(options.limits.out_of_memory(f"the {name} step", options.manuscript).diagnostics[0])
        return 1
    except RecursionError:
        _say(Diagnostic("FOLIO062", f"the {name} step met markup nested too deeply", options.manuscript,
                        fix="flatten deeply nested lists, quotes or HTML elements"))
        return 1
    except Exception as exc:   # a bug in folio: say so plainly; the details on request
        _say(Diagnostic("FOLIO099", f"internal error in the {name} step: {type(exc).__name__}: {str(exc)[:300]}",
                        options.manuscript, fix="please report it with the manuscript; "
                                                "FOLIO_DEBUG=1 shows the traceback"))
        if os.environ.get("FOLIO_DEBUG"):
            traceback.print_exc()
        return 2
    return 0


if __name__ == "__main__":
    from . import sandbox
    sandbox.keeping = True
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)   # no teardown: the step's files are written and closed (see sandbox.keep_till_exit)

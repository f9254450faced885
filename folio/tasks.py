"""Each edition's inputs and targets as data for doit, the make-style task runner.

Tasks: `book` (the one pandoc run, saved as a signed, pickled `Book`: state.py);
`layout` (the chapters laid out, layout.py) and `stitch` (them stitched into the one
PDF both PDF editions are cut from: a step of its own, so the Book and the whole PDF
are never in one process's memory); then `pdf`, `print`, `epub` and `html`. Each step
runs in a process of its own under the time and memory limits (worker.py,
sandbox.py). doit compares content hashes (MD5) of
the declared file dependencies and the settings each task depends on, rebuilds only
what is stale, runs independent editions in parallel, and can say why a task ran.
Heavy imports (pandoc, WeasyPrint) happen inside actions, so doit's up-to-date check
costs a fraction of a second; a build after which nothing changed is answered before
doit is imported, from the last good build's record (fresh.py).
"""
from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

from doit.reporter import ConsoleReporter
from doit.task import clean_targets
from doit.tools import config_changed

from . import __version__
from .manuscript import load as load_manuscript
from .pagemap import path as pagemap_path
from .pipeline import EDITION_NAMES as EDITIONS, Options
from .paths import CITEPROC_RECORD, COVER_RECORD, HTML_RECORD, PRESS_PLAN, PRINT_BESIDE, PRINT_BESIDE_RECORD, READ_RECORD, LAID_OUT_SUMMARY, ROOT, STAGED_SITE, STITCH_RECORD, STYLES, TEMPLATES, stylesheet_files

CODE = ROOT / "folio"
SHARED_CODE = ["book.py", "render.py", "html.py", "backmatter.py", "index.py", "dictionary.py", "__init__.py",
               "worker.py", "state.py", "sandbox.py", "pipeline.py", "conservation.py",
               "labels.py"]   # the words every edition prints (Meta.words), read as it renders
STITCH_CODE = ["stitch.py", "press.py", "editions/pdf.py", "pipeline.py", "worker.py", "diagnostics.py"]
LAYOUT_CODE = ["editions/pdf.py", "tags.py", "hyphenation.py", "fonts.py", "safety.py", "svg.py", "check.py",
               "pagemap.py", "press.py", "setting.py", "layout.py", "stitch.py", "marks.py", "breaking.py",
               "furniture.py", "locators.py"]
EDITION_INPUTS = {
    "pdf": ([], [], []),   # a copy of the stitched book (make_screen_edition)
    "print": (["editions/pdf.py", "press.py", "pagemap.py"], [], []),
    "cover": (["editions/pdf.py", "press.py", "pagemap.py", "cover.py", "fonts.py", "safety.py"], ["print"], []),
    "epub": (["editions/epub.py", "cover.py", "fonts.py", "pagemap.py"], ["epub", "book"], ["epub.css"]),
    "html": (["editions/html.py"], [], []),   # the staged site, with the other editions
}
# Characters of manuscript (the bundled book is 43,000) below which the EPUB is made
# beside the stitch: the bundled book repeated 23 times (960,000) peaks no higher so,
# 458 MB for the whole build against 484 MB with the EPUB after the stitch.
EPUB_BESIDE_STITCH_BELOW = 1_000_000
SITE_INPUTS = (["editions/html.py", "fonts.py"], ["html", "book"], ["html.css", "search.js", "site.js"])




@functools.lru_cache(maxsize=8)
def _manuscript(root: Path, csl: str | None):
    """The manuscript, read once per process (the runner asks for it many times)."""
    return load_manuscript(root, csl)


def manuscript_of(settings: Options):
    """The manuscript a step builds from, read once in the step's process (the state
    folder's name is made from it too)."""
    return _manuscript(settings.manuscript, settings.csl)


def state_dir(settings: Options) -> Path:
    """Build state, one folder per manuscript."""
    return settings.out / ".folio" / manuscript_of(settings).slug


def layout_target(settings: Options, suffix: str) -> Path:
    return state_dir(settings) / "layout" / f"book.{suffix}"


def laid_out_file(settings: Options) -> Path:
    """What the layout step leaves for the stitch step (editions/pdf.LaidOutBook)."""
    return state_dir(settings) / "layout" / "laid-out.json"


def layout_targets(settings: Options) -> list[str]:
    """The stitched book and its record, which both PDF editions are cut from."""
    return [str(layout_target(settings, "pdf")), str(layout_target(settings, "json"))]


def book_file(settings: Options) -> Path:
    return state_dir(settings) / "book.pickle"


def print_book_file(settings: Options) -> Path:
    """The `Book` without its text (Book.for_print), which the print step reads."""
    return state_dir(settings) / "print-book.pickle"


MAX_HASHED_BYTES = 256 * 2**20   # larger files are never read by a build (see bounds.py)


def _files(folder: Path, skip: Path | None = None) -> list[str]:
    """The files under `folder` a build may read, for doit to hash. A symbolic link
    is followed only to a file inside `folder`: hashing a link to a 100 GB file
    elsewhere would take minutes and read what the build may not."""
    found = []
    for directory, subfolders, names in os.walk(folder):   # os.walk follows no linked folder
        here = Path(directory)
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and
                         not (skip is not None and (here / d == skip or skip in (here / d).parents))]
        for name in names:
            path = here / name
            if name.startswith(".") or (skip is not None and skip in path.parents):
                continue
            try:
                target = path.resolve(strict=True)
                target.relative_to(folder.resolve())
                if target.is_file() and target.stat().st_size <= MAX_HASHED_BYTES:
                    found.append(str(path))
            except (OSError, ValueError, RuntimeError):
                continue
    return sorted(found)


def manuscript_inputs(root: Path, style: Path, out: Path | None = None) -> list[str]:
    """Every file of the manuscript folder (text, bibliography, dictionary, images),
    but not the output folder, should the author have put it inside."""
    return sorted(set(_files(root, out)) | {str(style)})


def _environment() -> dict:
    return {"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "")}


# Actions run in doit's worker processes: module-level functions with plain arguments.
# Each starts the step in a process of its own (folio/worker.py) under the limits.

def _run_step(name: str, s: Options) -> bool:
    import subprocess
    from . import stepserver
    from .diagnostics import Diagnostic
    from .sandbox import kill_group
    # Forked by the build's step server, its imports done (stepserver.py); or, with no
    # server to ask, a fresh interpreter.
    process = stepserver.start(name, s.encode()) or subprocess.Popen(
        [sys.executable, "-m", "folio.worker", name, s.encode()], cwd=ROOT, start_new_session=True)
    try:
        code = process.wait(timeout=s.limits.seconds)
    except subprocess.TimeoutExpired:
        kill_group(process)
        print(f"error: {s.limits.time_out(f'the {name} step', s.manuscript).diagnostics[0]}", file=sys.stderr)
        return False
    finally:
        if process.poll() is None:   # interrupted: take the step and its pandoc down too
            kill_group(process)
    if isinstance(process, stepserver.Step) and code == stepserver.LOST:
        lost = Diagnostic("FOLIO099", f"the step server stopped while the {name} step ran", s.manuscript,
                          fix="build again; if it happens again, please report it")
        print(f"error: {lost}", file=sys.stderr)
    if code < 0:   # killed: the kernel or a library gave up on an allocation
        stopped = Diagnostic("FOLIO061", f"the {name} step was stopped by signal {-code}, most likely at the "
                             f"memory limit of {s.limits.megabytes} MB", s.manuscript,
                             fix="raise the limit with --memory-limit MB if the book is really that large")
        print(f"error: {stopped}", file=sys.stderr)
    return code == 0


def _remove(paths: list[str], dryrun: bool = False) -> None:
    """Files a task made that are not among its targets (a target missing would make
    the task run again)."""
    if not dryrun:
        for path in paths:
            Path(path).unlink(missing_ok=True)


def make_book(s: Options) -> bool:
    return _run_step("book", s)


def make_edition(name: str, s: Options) -> bool:
    return _run_step(name, s)


def make_screen_edition(s: Options) -> bool:
    """The screen edition is the stitched book as it is (stitch.py cuts it to the trim):
    copied here, in the build's own process, into the output folder."""
    import shutil
    from .render import atomic_path
    source = layout_target(s, "pdf")
    try:
        with atomic_path(edition_target("pdf", s.out, _manuscript(s.manuscript, s.csl).slug)) as temporary:
            shutil.copyfile(source, temporary)
    except OSError as failure:
        print(f"error: {source}: FOLIO070: the stitched book cannot be copied ({failure.strerror})\n"
              "  fix: run 'python3 build.py clean' and build again", file=sys.stderr)
        return False
    return True


def site_target(settings: Options) -> Path:
    """The site step's list of its staged files with their hashes (editions/html.MANIFEST)."""
    return state_dir(settings) / "site" / STAGED_SITE


def edition_target(name: str, out: Path, slug: str) -> Path:
    return {"pdf": out / f"{slug}.pdf", "print": out / f"{slug}-print.pdf",
            "epub": out / f"{slug}.epub", "html": out / "html" / "index.html"}[name]


def task_namespace(settings: Options, jobs: int) -> dict:
    """The doit tasks for one manuscript and output folder."""
    manuscript = _manuscript(settings.manuscript, settings.csl)
    out = settings.out
    from .fonts import font_files

    def task_book():
        return {"actions": [(make_book, [settings])],
                "file_dep": manuscript_inputs(manuscript.root, manuscript.style, settings.out)
                + [str(CODE / f) for f in SHARED_CODE + ["manuscript.py", "csl.py", "pandoc.py", "citations.py",
                                                       "transforms.py", "bounds.py", "safety.py", "svg.py", "ast.py",
                                                       "writing.py", "reading.py"]]
                + _files(TEMPLATES / "pandoc") + _files(TEMPLATES / "book"),
                "targets": [str(book_file(settings)), str(print_book_file(settings)),
                            str(state_dir(settings) / CITEPROC_RECORD), str(state_dir(settings) / HTML_RECORD),
                            str(state_dir(settings) / READ_RECORD)],
                "uptodate": [config_changed({"csl": settings.csl, "strict": settings.strict,
                                             "folio": __version__, **_environment()})],
                "clean": True, "doc": "read the manuscript with pandoc into the Book"}

    def edition(name: str):
        code, templates, styles = EDITION_INPUTS[name]
        deps = [str(print_book_file(settings) if name in ("print", "cover") else book_file(settings))] \
            + [str(CODE / f) for f in code + SHARED_CODE]
        for folder in templates:
            deps += _files(TEMPLATES / folder)
        deps += [str(path) for s in styles for path in stylesheet_files(s)]
        if name == "html":   # the site (staged by its own step) carries the other editions as downloads
            deps += [str(site_target(settings))]
            deps += [str(edition_target(other, out, manuscript.slug)) for other in ("pdf", "print", "epub")]
        if name == "epub":   # its page-list and cover come from the cover step
            deps += [str(pagemap_path(out, manuscript.slug)), str(out / f"{manuscript.slug}-cover.pdf")]
        if name in ("pdf", "print"):   # both are cut from the one layout
            deps += layout_targets(settings)
        if name == "print":   # its boxes are in the stitch's record (stitch._to_screen); its pages, the cover's
            deps += manuscript_inputs(manuscript.root, manuscript.style, settings.out)
            deps += [str(state_dir(settings) / "layout" / STITCH_RECORD), str(pagemap_path(out, manuscript.slug))]
        if name == "cover":   # from the layout alone, beside the stitch; the service and paper, the manuscript's
            deps += [str(p) for p in font_files()] + manuscript_inputs(manuscript.root, manuscript.style, settings.out)
            deps += [str(laid_out_file(settings)), str(laid_out_file(settings).with_name(LAID_OUT_SUMMARY))]
        action = (make_screen_edition, [settings]) if name == "pdf" else (make_edition, [name, settings])
        if name == "cover":
            targets = [str(pagemap_path(out, manuscript.slug)), str(out / f"{manuscript.slug}-cover.pdf"),
                       str(state_dir(settings) / COVER_RECORD)]
        else:
            targets = [str(edition_target(name, out, manuscript.slug))] \
                + ([str(state_dir(settings) / PRESS_PLAN)] if name == "print" else [])
        # The EPUB needs nothing of the stitch. A long book's EPUB waits for it all the
        # same: side by side, their steps take more memory than a build may (50x: 451 MB
        # and 191 MB), while the EPUB beside the print step stays under it (363 MB).
        order = {"task_dep": ["stitch"]} if name == "epub" and len(manuscript.text) > EPUB_BESIDE_STITCH_BELOW else {}
        return {"basename": name, "actions": [action], "file_dep": deps, "targets": targets, **order,
                "uptodate": [config_changed({"crop_marks": settings.crop_marks if name in ("print", "cover") else None,
                                             "folio": __version__})],
                "clean": True, "doc": "the print edition's cover and page list" if name == "cover"
                else f"the {name} edition"}

    def task_site():
        from .fonts import FONT_DIR, WEB_FACES
        code, templates, styles = SITE_INPUTS
        deps = [str(book_file(settings))] + [str(CODE / f) for f in code + SHARED_CODE]
        for folder in templates:
            deps += _files(TEMPLATES / folder)
        deps += [str(path) for s in styles for path in stylesheet_files(s)] + [str(FONT_DIR / face) for face in WEB_FACES]
        return {"actions": [(make_edition, ["site", settings])], "file_dep": deps,
                "targets": [str(site_target(settings))],
                "uptodate": [config_changed({"folio": __version__})],
                "clean": True, "doc": "the site's pages, made while the PDFs are laid out"}

    def task_layout():
        deps = [str(book_file(settings))] + [str(CODE / f) for f in LAYOUT_CODE + SHARED_CODE]
        deps += _files(TEMPLATES / "pdf") + _files(TEMPLATES / "book") + [str(p) for p in stylesheet_files("pdf.css")]
        deps += [str(p) for p in font_files()] + manuscript_inputs(manuscript.root, manuscript.style, settings.out)
        return {"actions": [(make_edition, ["layout", settings])], "file_dep": deps,
                "targets": [str(laid_out_file(settings)), str(laid_out_file(settings).with_name(LAID_OUT_SUMMARY))],
                "uptodate": [config_changed({"folio": __version__})],
                "clean": True, "doc": "lay the book out, chapter by chapter, for both PDF editions"}

    def task_stitch():
        return {"actions": [(make_edition, ["stitch", settings])],
                "file_dep": [str(laid_out_file(settings))] + [str(CODE / f) for f in STITCH_CODE],
                # and the record the next stitch patches from, so that `clean` removes it
                "targets": layout_targets(settings) + [str(state_dir(settings) / "layout" / STITCH_RECORD)],
                "uptodate": [config_changed({"folio": __version__})],
                # and the print file an edit's stitch cut beside it, if no print step took it
                "clean": [clean_targets, (_remove, [[str(state_dir(settings) / PRINT_BESIDE),
                                                     str(state_dir(settings) / PRINT_BESIDE_RECORD)]])],
                "doc": "stitch the laid-out chapters into one tagged PDF, which both PDF editions are cut from"}

    namespace = {"task_book": task_book, "task_layout": task_layout, "task_stitch": task_stitch,
                 "task_site": task_site,
                 "DOIT_CONFIG": {"dep_file": str(state_dir(settings) / "doit.db"), "backend": "sqlite3",
                                 "reporter": StepReporter, "verbosity": 2, "num_process": jobs,
                                 "par_type": "process", "check_file_uptodate": "md5"}}
    for name in (*EDITIONS, "cover"):
        namespace[f"task_{name}"] = (lambda n: (lambda: edition(n)))(name)
    return namespace


def _shown(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


class StepReporter(ConsoleReporter):
    """One line a step: what ran, how long it took, and why; or that it was up to date."""

    watch = None   # the run's fresh.Watch, set by run(): doit makes the reporter itself

    def __init__(self, outstream, options):
        super().__init__(outstream, options)
        self.started: dict[str, float] = {}

    def initialize(self, tasks, selected_tasks):
        if self.watch is not None:
            self.watch.begin(tasks)

    def get_status(self, task):
        pass

    def execute_task(self, task):
        self.started[task.name] = time.perf_counter()
        print(f"start   {task.name:6} because {self._why(task)}", file=sys.stderr, flush=True)

    def skip_uptodate(self, task):
        print(f"fresh   {task.name:6} up to date", file=sys.stderr)
        if self.watch is not None:
            self.watch.done(task)

    def add_success(self, task):
        if self.watch is not None:
            self.watch.done(task)
        took = time.perf_counter() - self.started.get(task.name, time.perf_counter())
        targets = ", ".join(_shown(t) for t in task.targets)
        print(f"built   {task.name:6} {targets} ({took:.1f}s)", file=sys.stderr)

    def add_failure(self, task, exception):
        # An action that returns False has already printed its diagnostics; anything
        # else (a crash) is shown in full.
        print(f"failed  {task.name:6}", file=sys.stderr)
        if "returned False" not in exception.get_msg():
            print(exception.get_msg(), file=sys.stderr)

    def complete_run(self):
        pass

    @staticmethod
    def _why(task) -> str:
        changed = task.dep_changed or []
        if any(not os.path.exists(t) for t in task.targets):
            return "there is no earlier build"
        if not changed:
            return "its settings changed"
        if set(changed) == set(task.file_dep):
            return "there is no earlier build"
        names = [_shown(c) for c in changed[:3]]
        return "changed: " + ", ".join(names) + (" …" if len(changed) > 3 else "")


def claim_output(settings: Options) -> None:
    """Two manuscripts with the same slug must not overwrite each other's editions in a
    shared output folder: the state folder records which manuscript it belongs to."""
    from .diagnostics import error
    folder = state_dir(settings)
    mine = str(settings.manuscript.resolve())
    if settings.out.resolve().is_relative_to(settings.manuscript.resolve()):
        raise error("FOLIO072", f"the output folder {settings.out} is inside the manuscript folder",
                    settings.manuscript, fix="build into a folder outside the manuscript, e.g. --out ../build: "
                    "files the manuscript brings could pass for editions or build state there")
    for linked in (settings.out / ".folio", folder):
        if linked.is_symlink():
            raise error("FOLIO071", f"{linked} is a symbolic link; folio writes its build state only to a "
                        "real folder", settings.manuscript, fix=f"remove {linked}")
    # One output folder, one book: the site (html/) and the edition names of two books
    # ('a-print' beside 'a') would overwrite each other.
    for owner in sorted((settings.out / ".folio").glob("*/manuscript")):
        theirs = owner.read_text(encoding="utf-8", errors="replace").strip() if owner.is_file() else ""
        if theirs and theirs != mine:
            raise error("FOLIO071", f"{settings.out} already holds the editions of '{owner.parent.name}', "
                        f"built from {theirs}", settings.manuscript,
                        fix="build each book into its own folder with --out")
    folder.mkdir(parents=True, exist_ok=True)
    owner = folder / "manuscript"
    owner.unlink(missing_ok=True)
    owner.write_text(mine + "\n", encoding="utf-8")


def clear_renamed(settings: Options) -> None:
    """A book whose title changed (and so its slug, the editions' name) left its editions
    and build state under the old name. Once a build under the new name has succeeded,
    they go, as a cold build would have none (a failed one leaves them)."""
    import shutil
    mine = str(settings.manuscript.resolve())
    slug = _manuscript(settings.manuscript, settings.csl).slug
    for owner in sorted((settings.out / ".folio").glob("*/manuscript")):
        old = owner.parent.name
        if old == slug or owner.is_symlink() or owner.parent.is_symlink() or not owner.is_file():
            continue
        if owner.read_text(encoding="utf-8", errors="replace").strip() != mine:
            continue
        for edition in (edition_target(name, settings.out, old) for name in ("pdf", "print", "epub")):
            edition.unlink(missing_ok=True)
        (settings.out / f"{old}-cover.pdf").unlink(missing_ok=True)
        shutil.rmtree(owner.parent, ignore_errors=True)


def run(command: str, names: list[str], settings: Options, jobs: int = 1) -> int:
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain
    from . import fresh
    _manuscript.cache_clear()   # a new run (serve runs many) reads the manuscript afresh
    fresh.forget(settings.out)   # only a build that ends well says what it left
    # Looked at before the tasks list their files: a file added later shows (fresh.Watch).
    watch = fresh.Watch([settings.manuscript, TEMPLATES]) if command == "run" else None
    claim_output(settings)
    loader = ModuleTaskLoader(task_namespace(settings, jobs))
    argv = [command, *names] if command != "run" else ["run", *names]
    if command != "run":
        return DoitMain(loader).run(argv)
    from .stepserver import LONG_MANUSCRIPT, Server
    first_long = not (state_dir(settings) / "doit.db").exists() \
        and len(_manuscript(settings.manuscript, settings.csl).text) > LONG_MANUSCRIPT
    StepReporter.watch = watch
    try:
        with Server(defer=first_long):
            code = DoitMain(loader).run(argv)
    finally:
        StepReporter.watch = None
    if code == 0:
        clear_renamed(settings)
        key = fresh.settings_key(settings.manuscript, settings.out, names, settings.csl, settings.strict,
                                 settings.crop_marks)
        try:
            watch.remember(settings.out, key, [settings.out / ".folio", state_dir(settings)],
                           [state_dir(settings) / "doit.db"])
        except OSError:   # no record: the next build asks doit
            fresh.forget(settings.out)
    return code

"""Commands: build (all, pdf, epub, html), test, styles."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from . import sandbox
from .paths import ROOT

COMMANDS = ("all", "pdf", "epub", "html", "check", "clean", "serve", "test", "styles")
TARGETS = {"all": ["pdf", "print", "epub", "html"], "pdf": ["pdf", "print"], "epub": ["epub"], "html": ["html"]}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="build.py", description="Build the editions of a folio manuscript.")
    p.add_argument("command", nargs="?", default="all", choices=COMMANDS,
                   help="what to build or do (default: all editions)")
    p.add_argument("args", nargs="*", help="for 'test': pytest arguments; for 'styles': words to search for")
    p.add_argument("--manuscript", type=Path, default=ROOT / "manuscript", help="the manuscript folder")
    p.add_argument("--out", type=Path, default=ROOT / "output", help="where the editions go")
    p.add_argument("--csl", help="a CSL style name, overriding the manuscript's 'csl'")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("-j", "--jobs", type=int, default=1, help="lay out up to N chapters, and build up to N editions, at once")
    p.add_argument("--port", type=int, default=8000, help="for 'serve': the port on localhost")
    p.add_argument("--crop-marks", action="store_true", default=None, help="draw crop marks on the print PDF")
    p.add_argument("--time-limit", type=int, default=sandbox.DEFAULT_SECONDS, metavar="SECONDS",
                   help=f"stop a step (pandoc, one edition) after this long (default {sandbox.DEFAULT_SECONDS})")
    p.add_argument("--memory-limit", type=int, default=sandbox.DEFAULT_MEGABYTES, metavar="MB",
                   help=f"cap a step's memory (default {sandbox.DEFAULT_MEGABYTES})")
    return p


def list_styles(words: list[str]) -> int:
    from . import csl
    names = csl.independent_styles()
    chosen = [n for n in names if all(w.lower() in n for w in words)]
    for name in chosen:
        note = " (note style)" if csl.is_note_style(csl.STYLES / f"{name}.csl") else ""
        print(name + note)
    print(f"{len(chosen)} of {len(names)} independent styles; choose one with 'csl: NAME' "
          "or --csl NAME. Dependent styles resolve to their parent.", file=sys.stderr)
    return 0


def preflight(args) -> int:
    """Inspect the built editions; list every problem and fail if there is one."""
    from . import check, manuscript
    from .diagnostics import BuildError
    from .editions import pdf
    try:
        source = manuscript.load(args.manuscript.resolve(), args.csl)
        settings = pdf.settings_from(source, for_print=True, crop_marks=args.crop_marks)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    problems = check.preflight(args.out.resolve(), source.slug, settings)
    advice = check.loose_lines(args.out.resolve(), source.slug, args.out / f"{source.slug}-print.pdf")
    if args.strict:
        problems += advice
    for problem in problems:
        print(f"  {problem}")
    for line in [] if args.strict else advice:
        print(f"  warning: {line}", file=sys.stderr)
    if problems:
        print(f"check: {len(problems)} problem(s) in {args.out}", file=sys.stderr)
        return 1
    print(f"check: every edition of {source.slug} passed (fonts, page boxes, overflow, images, "
          "links, citations, epubcheck)", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    """Run a command; a failure is always a message and an exit code, never a traceback."""
    try:
        return run_command(argv)
    except KeyboardInterrupt:
        print("interrupted; the editions already in the output folder are unchanged.", file=sys.stderr)
        return 130
    except BrokenPipeError:   # `build.py styles | head`: the reader has all it wanted
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
        return 0
    except Exception as exc:   # a bug in folio: say so plainly; the details on request
        import os
        import traceback
        print(f"error: FOLIO099: internal error: {type(exc).__name__}: {str(exc)[:300]}\n"
              "  fix: please report it with the manuscript; FOLIO_DEBUG=1 shows the traceback", file=sys.stderr)
        if os.environ.get("FOLIO_DEBUG"):
            traceback.print_exc()
        return 2


def _nothing_to_do(args, names: list[str]) -> bool:
    """Say each step is up to date, as doit would, if the last build's record (fresh.py)
    shows every file it read and wrote as it left them."""
    from . import fresh
    out = args.out.resolve()
    steps = fresh.answer(out, fresh.settings_key(args.manuscript.resolve(), out, names, args.csl, args.strict,
                                                 args.crop_marks))
    for step in steps or []:
        print(f"fresh   {step:6} up to date", file=sys.stderr)
    return steps is not None


def _workers(given: list[str]) -> list[str]:
    """pytest-xdist's workers, one a core up to four, unless the command (or
    PYTEST_ADDOPTS) chooses its own or needs the terminal (a debugger, no capture): the
    suite's builds, validators and browsers keep one worker from filling two cores."""
    import os
    import shlex
    given = given + shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    own = ("-n", "--numprocesses", "--dist", "--tx", "-s", "--capture", "--pdb", "--trace")
    if any(a.startswith(own) or a in ("no:xdist", "-pno:xdist") for a in given):
        return []
    return ["-n", "auto", "--maxprocesses", "4", "--dist", "loadgroup"]


def run_command(argv: list[str]) -> int:
    args, extra = parser().parse_known_args(argv)
    if args.command == "test":
        from . import system
        system.ensure_tools()
        return subprocess.call([sys.executable, "-m", "pytest", *_workers(args.args + extra), *args.args, *extra],
                               cwd=ROOT)
    if extra:
        parser().error(f"unrecognised arguments: {' '.join(extra)}")
    names = list(TARGETS.get(args.command, []))
    if args.command in TARGETS:
        for more in args.args:   # 'build.py epub html' builds both
            if more not in TARGETS:
                parser().error(f"unknown edition '{more}': choose from {', '.join(TARGETS)}")
            names += [n for n in TARGETS[more] if n not in names]
    if args.command == "styles":
        return list_styles(args.args)
    if args.command == "check":
        return preflight(args)
    if args.time_limit < 1 or args.memory_limit < 256:
        parser().error("--time-limit needs at least 1 second and --memory-limit at least 256 MB")
    if args.command in TARGETS and _nothing_to_do(args, names):
        return 0
    from . import tasks
    from .diagnostics import BuildError
    from .pipeline import Options
    settings = Options(args.manuscript.resolve(), args.out.resolve(), args.csl, args.strict, args.crop_marks,
                       sandbox.Limits(args.time_limit, args.memory_limit), max(1, args.jobs))
    if args.command == "serve":
        from . import serve
        return serve.serve(settings, args.port)
    try:
        if args.command == "clean":
            return tasks.run("clean", [], settings)
        code = tasks.run("run", names, settings, args.jobs)
    except BuildError as exc:
        for diagnostic in exc.diagnostics:
            print(f"error: {diagnostic}", file=sys.stderr)
        code = 1
    if code:
        print("build failed; the editions already in the output folder are unchanged.", file=sys.stderr)
        return 1
    return 0

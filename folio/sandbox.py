"""Bounded time and memory for every step that reads a manuscript.

A manuscript is untrusted: a few hundred bytes can keep pandoc busy for minutes or
make a layout allocate gigabytes. Each step runs in a process of its own with an
address-space limit (`RLIMIT_AS`, inherited by pandoc) and a wall-clock limit;
hitting either is a diagnostic, never a hang or a machine out of memory.
"""
from __future__ import annotations

import functools
import os
import resource
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import error

# Defaults for one step (the pandoc run, or one edition). The 50x benchmark book, about
# 1,700 pages, needs some 160 s for its longest step (the layout) and 520 MB for its
# largest (the book step, while pandoc writes): the limits leave room for books many
# times that size.
DEFAULT_SECONDS = 900
DEFAULT_MEGABYTES = 4096
OUT_OF_MEMORY_EXIT = 251   # pandoc (GHC's runtime) exits with this code when an allocation fails


@dataclass(frozen=True)
class Limits:
    seconds: int = DEFAULT_SECONDS
    megabytes: int = DEFAULT_MEGABYTES

    def apply(self) -> None:
        """Cap this process's address space (children inherit it)."""
        cap = self.megabytes * 2**20
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))

    def time_out(self, what: str, source: Path | None):
        return error("FOLIO060", f"{what} did not finish within the time limit of {self.seconds} s",
                     source, fix="if the book is really that large, raise the limit with --time-limit SECONDS; "
                                 "otherwise look for deeply nested or repeated markup")

    def out_of_memory(self, what: str, source: Path | None):
        return error("FOLIO061", f"{what} needed more than the memory limit of {self.megabytes} MB",
                     source, fix="if the book is really that large, raise the limit with --memory-limit MB; "
                                 "otherwise look for huge tables, images or deeply nested markup")


def run(command: list[str], limits: Limits, what: str, source: Path | None, **options) -> subprocess.CompletedProcess:
    """Run a tool under `limits`; a timeout or an allocation failure becomes a diagnostic."""
    try:
        proc = subprocess.run(command, preexec_fn=limits.apply, timeout=limits.seconds,
                              start_new_session=True, capture_output=True, **options)
    except subprocess.TimeoutExpired:
        raise limits.time_out(what, source) from None
    except MemoryError:
        raise limits.out_of_memory(what, source) from None
    stderr = proc.stderr if isinstance(proc.stderr, str) else proc.stderr.decode("utf-8", "replace")
    if proc.returncode == OUT_OF_MEMORY_EXIT or "out of memory" in stderr[-200:] \
            or proc.returncode == -signal.SIGKILL:
        raise limits.out_of_memory(what, source)
    return proc


def give_back_freed_memory() -> None:
    """Return the heap's free pages to the system. glibc keeps what a process freed
    for its own later use, so a step that let go of a large document (a unit's PDF
    once copied, a layout's boxes) would otherwise hold that memory to its end."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    import ctypes
    import ctypes.util
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):   # not glibc: nothing to give back this way
        return None


# A step's process ends right after its work (worker.py), and letting go of a long
# book's objects one by one at the end of a function (a PDF's hundreds of thousands in
# qpdf, the Book's millions) took longer than some steps' work: 0.4 s of a 50x book's
# stitch or print step. In a step's process they are kept till its exit, which gives
# the memory back at once; elsewhere (tests, `serve`) nothing is kept.
_KEPT: list = []
keeping = False


def keep_till_exit(thing) -> None:
    if keeping:
        _KEPT.append(thing)


def kill_group(process: subprocess.Popen) -> None:
    """Stop a step and everything it started (pandoc, in the book step)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()

"""Bounded time and memory for every step that reads a manuscript.

A manuscript is untrusted: a few hundred bytes can keep pandoc busy for minutes or
make a layout allocate gigabytes. Each step runs in a process of its own with an
address-space limit (`RLIMIT_AS`, inherited by pandoc) and a wall-clock limit;
hitting either is a diagnostic, never a hang or a machine out of memory. A processor
time limit (`RLIMIT_CPU`) and death with its parent stop a tool whose step was stopped,
which would otherwise run on alone in its own session.
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
CPU_GRACE = 5              # seconds of processor time past the wall-clock limit, then SIGXCPU; 5 more, SIGKILL


@dataclass(frozen=True)
class Limits:
    seconds: int = DEFAULT_SECONDS
    megabytes: int = DEFAULT_MEGABYTES

    def apply(self) -> None:
        """Cap this process's address space and processor time (children inherit both;
        a fork's processor time starts again from nothing). The wall clock stops a step
        first: processor time passes it only in threads, and pandoc's runtime has none.
        The processor limit stops what the wall clock's owner can no longer stop."""
        cap = self.megabytes * 2**20
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        ceiling = self.seconds + 2 * CPU_GRACE
        if hard != resource.RLIM_INFINITY:
            ceiling = min(ceiling, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (min(self.seconds + CPU_GRACE, ceiling), ceiling))

    def apply_to_tool(self, parent: int) -> None:
        """In a tool's process, before it starts: the limits, and death with the step
        that started it (the step's time limit kills the step's process group, and the
        tool runs in a session of its own)."""
        self.apply()
        die_with(parent, 1)

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
        proc = subprocess.run(command, preexec_fn=functools.partial(limits.apply_to_tool, os.getpid()),
                              timeout=limits.seconds, start_new_session=True, capture_output=True, **options)
    except subprocess.TimeoutExpired:
        raise limits.time_out(what, source) from None
    except MemoryError:
        raise limits.out_of_memory(what, source) from None
    if proc.returncode == -signal.SIGXCPU:
        raise limits.time_out(what, source)
    stderr = proc.stderr if isinstance(proc.stderr, str) else proc.stderr.decode("utf-8", "replace")
    if proc.returncode == OUT_OF_MEMORY_EXIT or "out of memory" in stderr[-200:] \
            or proc.returncode == -signal.SIGKILL:
        raise limits.out_of_memory(what, source)
    return proc


def die_with(parent: int, code: int) -> None:
    """Be killed when `parent` ends (Linux's PR_SET_PDEATHSIG; elsewhere the processor
    limit is the only backstop), or exit with `code` if it already has."""
    import ctypes
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:   # it ended before that was set
        os._exit(code)


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

"""Fork only a process that runs alone: no library's thread beside the one that forks.

A forked child has one thread, the one that called fork; every other thread of the
parent is gone, with whatever it held. pango (1.50, Debian 12) runs font work in
threads of its own: "[pango] FcInit" on its first font map, and "[pango]
FcFontSetMatch" and "FcFontSetSort" for each new font lookup, which may still run
after the text that asked for them is set. A child forked meanwhile inherits their
locks taken and their answers half made, and its first text in that font can wait for
ever. Seen once in CI: a two-chapter book's layout step, forked by the step server
straight after a warm-up of the layout (since taken out), waited out its 120 s limit.

So the step server and the layout, before they fork, wait (briefly: those threads end
within milliseconds) until they run alone; a process that does not is left unforked,
and its work is done the slower way (a fresh interpreter, or in the process itself).
"""
from __future__ import annotations

import os
import threading
import time

WAIT = 10.0   # seconds to wait for a library's threads to end before giving up forking


def library_threads() -> int:
    """Threads of this process that a library started and named, as the kernel lists
    them (Linux; none where it cannot). GLib names each thread it starts ("[pango]
    FcFontSetSort"); one that keeps the process's own name was started by Python or by
    a test runner's plumbing (execnet), which touch no font, and is not waited for."""
    try:
        running = os.listdir("/proc/self/task")
        own = _name(str(os.getpid()))
    except OSError:
        return 0
    python = {thread.native_id for thread in threading.enumerate()}
    count = 0
    for task in running:
        if task.isdigit() and int(task) not in python:
            try:
                count += _name(task) != own
            except OSError:   # it ended meanwhile
                pass
    return count


def _name(task: str) -> str:
    with open(f"/proc/self/task/{task}/comm", encoding="utf-8", errors="replace") as comm:
        return comm.read()


def alone(limit: float | None = None) -> bool:
    """Whether no library's thread runs in this process, waiting up to `limit` seconds
    (`WAIT` unless given) for those that do to end."""
    deadline = time.monotonic() + (WAIT if limit is None else limit)
    pause = 0.001
    while library_threads():
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    return True

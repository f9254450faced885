"""Steps forked from one process that has already imported what they use.

A step is a process of its own (worker.py), so that its limits, its memory and its
failure are its own. Started as a fresh interpreter, each step first spent 0.2 to
0.6 s importing WeasyPrint, pikepdf, lxml and folio: a quarter of the bundled book's
cold build, and a seventh of an edit to a long one. The build now starts one server
(`Server`, in the build's own process) that imports those modules once, then forks a
child for each step the task runner asks for. The child starts with the imports
done, sets up a session of its own as before, caps its own memory (worker.main) and
ends with the step's exit code, which reaches the runner with its process id, so
that the time limit can stop the step and everything it started.

The server is a helper, never a requirement: a runner that cannot reach it starts
the step as a fresh interpreter, as before (tasks._run_step).

Memory: the imports are some 70 MB. The children share those pages with the server,
so a forked step costs less than a fresh one; but the book step does not use
WeasyPrint, and while it runs the server's imports would be that much more beside
pandoc, whose peak is a long book's highest. So, for a first build of a long
manuscript, the server imports nothing until the book step has ended (`defer`): the
book step is then forked from a bare interpreter and imports what it needs itself.
"""
from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from . import forking
from .paths import ROOT

# What the steps after the book step import, heaviest first. Each is imported in a
# try: a module that cannot be imported fails in the step that needs it, with the
# step's own diagnostics.
HEAVY = ("weasyprint", "weasyprint.text.fonts", "pikepdf", "jinja2", "folio.layout", "folio.editions.pdf",
         "folio.stitch", "folio.press", "folio.furniture", "folio.breaking", "folio.setting", "folio.tags",
         "folio.marks", "folio.hyphenation", "folio.cover", "folio.editions.epub", "folio.editions.html")
LIGHT = ("lxml.html", "folio.worker", "folio.pipeline", "folio.book", "folio.pandoc", "folio.state")
LONG_MANUSCRIPT = 1_000_000   # bytes of Markdown: a first build of more defers the heavy imports

ADDRESS: str | None = None   # the running server's socket, for the runner's processes (tasks.py)
LOST = 70   # the exit code of a step whose server stopped before it could say how the step ended


class Server:
    """The build's step server, for `with`: started on entry, stopped on exit."""

    def __init__(self, defer: bool):
        self.defer = defer
        self.folder = None
        self.process = None

    def __enter__(self) -> "Server":
        global ADDRESS
        try:
            self.folder = tempfile.mkdtemp(prefix="folio-steps-")   # 0700: nobody else connects
            address = os.path.join(self.folder, "socket")
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(address)
            listener.listen(16)   # requests wait here while the server starts
            self.process = subprocess.Popen(
                [sys.executable, "-m", "folio.stepserver", str(listener.fileno()), "1" if self.defer else "0"],
                stdin=subprocess.PIPE, pass_fds=(listener.fileno(),), cwd=ROOT)
            listener.close()
            ADDRESS = address
        except (OSError, ValueError):   # no server: each step starts as a fresh interpreter
            self._stop()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop()

    def _stop(self) -> None:
        global ADDRESS
        ADDRESS = None
        if self.process is not None:
            # The runner has followed every step to its end (or stopped it): nothing the
            # server holds is needed, and waiting for an import to finish would slow a
            # build that had nothing to do.
            try:
                self.process.stdin.close()
            except OSError:
                pass
            self.process.kill()
            self.process.wait()
            self.process = None
        if self.folder is not None:
            for name in os.listdir(self.folder):
                os.unlink(os.path.join(self.folder, name))
            os.rmdir(self.folder)
            self.folder = None


class Step:
    """A step the server forked, as the runner sees it: like subprocess.Popen, its
    `pid` (the leader of its own process group) and `wait`/`poll` for its exit code."""

    def __init__(self, connection: socket.socket, pid: int):
        self.connection, self.pid, self.returncode = connection, pid, None
        self.buffer = b""

    def _status(self, timeout: float | None) -> int | None:
        self.connection.settimeout(timeout)
        while b"\n" not in self.buffer:
            try:
                data = self.connection.recv(64)
            except (socket.timeout, BlockingIOError):
                return None
            if not data:   # the server is gone: the step cannot be followed; stopped
                _kill(self.pid)
                return LOST
            self.buffer += data
        return os.waitstatus_to_exitcode(int(self.buffer.split(b"\n", 1)[0]))

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            status = self._status(timeout)
            if status is None:
                raise subprocess.TimeoutExpired(f"step {self.pid}", timeout)
            self.returncode = status
            self.connection.close()
        return self.returncode

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def start(name: str, encoded: str) -> Step | None:
    """Ask the server to fork step `name`; None if there is no server to ask."""
    if ADDRESS is None:
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(ADDRESS)
        connection.sendall(f"{name}\t{encoded}\n".encode("utf-8"))
        connection.settimeout(60)   # the fork follows at once, or after the imports
        reply = b""
        while b"\n" not in reply:
            data = connection.recv(64)
            if not data:
                raise OSError("the step server closed the connection")
            reply += data
    except OSError:
        connection.close()
        return None
    except BaseException:   # interrupted: the server sees the runner gone and forks nothing
        connection.close()
        raise
    first, rest = reply.split(b"\n", 1)
    step = Step(connection, int(first))
    step.buffer = rest
    return step


# The server's side: `python -m folio.stepserver FD DEFER`.

def _import(names) -> None:
    import importlib
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:   # said by the step that needs it
            pass


def _child(listener: socket.socket, connections, name: str, encoded: str, parent: int, ready: int) -> None:
    """In the forked child: the step, as `python -m folio.worker` would run it."""
    code = 2
    try:
        os.setsid()   # its own group: the runner's time limit stops it and what it starts
        os.write(ready, b"s")   # only now is its id given to the runner, which may stop the group
        os.close(ready)
        # Killed when the server ends, as the build does: a step nobody follows any
        # more must not run on (holding the build's output open, past every limit).
        from .sandbox import die_with
        die_with(parent, LOST)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        listener.close()
        for connection in connections:
            connection.close()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(ROOT)
        from . import sandbox, worker
        sandbox.keeping = True
        code = worker.main([name, encoded])
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


GRACE = 0.3   # seconds the server waits for the book step's request before importing the rest


def serve(listener: socket.socket, defer: bool) -> None:
    """Fork each step asked for, and send its runner the child's id and then its exit
    status; import the heavy modules when no book step can be kept waiting by it.

    It does not warm the layout before forking it (it did for a session: parse the
    house stylesheet, load the fonts and the hyphenation patterns once). Twice in the
    full suite a tiny book's layout step forked after that warm-up never finished (its
    120 s and 900 s limits), also once forking.py waited for pango's threads. The cause
    is not found; a build that may hang costs more than the 0.4 s it saved."""
    import gc
    import time
    from .system import quick_library_lookup
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the runner stops the steps; the build stops this
    quick_library_lookup()   # before WeasyPrint is imported, here or in a step
    if not defer:   # deferred, the server stays a bare interpreter beside the book step
        _import(LIGHT)
    started, server = time.monotonic(), os.getpid()
    heavy = {"done": False, "asked": False, "book_ended": False}
    steps: dict[int, socket.socket] = {}   # pid -> its runner's connection
    books: set[int] = set()

    def import_heavy() -> None:
        if not heavy["done"]:
            _import(LIGHT + HEAVY)
            heavy["done"] = True
            gc.freeze()   # the children's collections need not visit (and copy) these pages

    def fork(connection: socket.socket) -> None:
        connection.settimeout(10)
        request = b""
        try:
            while b"\n" not in request:
                data = connection.recv(65536)
                if not data:
                    raise OSError("no request")
                request += data
            name, encoded = request.split(b"\n", 1)[0].decode("utf-8").split("\t", 1)
        except (OSError, ValueError):
            connection.close()
            return
        heavy["asked"] = True
        if name != "book":
            import_heavy()
            # A runner that gave up waiting meanwhile has started the step itself. (Asked
            # without blocking: with a timeout set, recv would first wait that long.)
            connection.setblocking(False)
            try:
                gone = connection.recv(1, socket.MSG_PEEK) == b""
            except BlockingIOError:   # there, and silent: waiting for its step
                gone = False
            except OSError:
                gone = True
            if gone:
                connection.close()
                return
            connection.setblocking(True)
        if not forking.alone():   # a library's thread still runs (forking.py): the runner starts the step
            connection.close()
            return
        try:
            ready, told = os.pipe()
            pid = os.fork()
        except OSError:   # no process to be had: the runner starts the step itself
            connection.close()
            return
        if pid == 0:
            os.close(ready)
            _child(listener, [*steps.values(), connection], name, encoded, server, told)
        os.close(told)
        os.read(ready, 1)   # the child's session is set up (or the child is gone)
        os.close(ready)
        steps[pid] = connection
        if name == "book":
            books.add(pid)
        try:
            connection.sendall(f"{pid}\n".encode())
        except OSError:   # the runner is gone: nobody would follow the step
            _kill(pid)

    def reap() -> None:
        while steps:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            connection = steps.pop(pid, None)
            if pid in books:
                books.discard(pid)
                heavy["book_ended"] = True
            if connection is not None and connection.fileno() >= 0:
                try:
                    connection.sendall(f"{status}\n".encode())
                except OSError:
                    pass
                connection.close()

    def heavy_due() -> bool:
        if heavy["done"]:
            return False
        if defer:   # a first build of a long book: not beside the book step
            return heavy["book_ended"] and not books
        return heavy["asked"] or time.monotonic() - started >= GRACE

    while True:
        timeout = 0.02 if steps else None
        if not heavy["done"] and not defer and not heavy["asked"]:
            timeout = max(0.0, GRACE - (time.monotonic() - started))
        followed = [connection for connection in steps.values() if connection.fileno() >= 0]
        ready, _, _ = select.select([listener, sys.stdin, *followed], [], [], timeout)
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1):
            break   # the build is over
        for pid, connection in list(steps.items()):   # a runner sends nothing after its request:
            if connection in ready:                     # readable, it is gone
                _kill(pid)
                connection.close()
        if listener in ready:
            try:
                connection, _ = listener.accept()
            except OSError:   # out of descriptors: the runner will start the step itself
                connection = None
            if connection is not None:
                fork(connection)
        reap()
        if listener not in ready and heavy_due():
            import_heavy()
    for pid in list(steps):   # the build ended with steps running: it was stopped
        _kill(pid)


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), sys.argv[2] == "1")

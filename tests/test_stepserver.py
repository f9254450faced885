"""The build's step server: steps forked with their imports done, followed as before."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from folio import sandbox, stepserver, tasks
from folio.pipeline import Options


def _book(tmp_path, text: str) -> Options:
    book = tmp_path / "book"
    book.mkdir(parents=True)
    (book / "book.md").write_text(text, encoding="utf-8")
    options = Options(book, tmp_path / "out")
    tasks.state_dir(options).mkdir(parents=True)
    return options


def _group_runs(group: int) -> bool:
    """Whether a process of `group` is alive (a zombie left to a PID 1 that does not
    reap is not: it runs nothing)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                return True
    return False


def _stops(group: int) -> bool:
    for _ in range(100):
        if not _group_runs(group):
            return True
        time.sleep(0.05)
    return False


def _maps(pid: int) -> str:
    with open(f"/proc/{pid}/maps", encoding="utf-8") as maps:
        return maps.read()


def test_a_forked_step_does_its_work_and_reports_its_exit_code(tmp_path):
    good = _book(tmp_path / "a", "---\ntitle: Forked\n---\n\n# One\n\nText.\n")
    bad = _book(tmp_path / "b", "---\ntitle: Cited\n---\n\n# One\n\nAs [@nobody] says.\n")
    with stepserver.Server(defer=False):
        started = [stepserver.start("book", options.encode()) for options in (good, bad)]
        assert all(isinstance(step, stepserver.Step) for step in started)
        assert [step.wait(120) for step in started] == [0, 1]
        assert started[0].pid != started[1].pid
        site = stepserver.start("site", good.encode())   # a step after the book's: imports first
        assert isinstance(site, stepserver.Step) and site.wait(120) == 0
    assert tasks.book_file(good).is_file() and not tasks.book_file(bad).exists()
    assert tasks.site_target(good).is_file()


def test_the_time_limit_stops_a_forked_step_and_what_it_started(tmp_path):
    """The runner's timeout kills the step's whole process group, as it did a step
    started as a fresh interpreter."""
    chapters = "".join(f"# Chapter {i}\n\n" + "Some text to read. " * 800 + "\n\n" for i in range(300))
    options = _book(tmp_path, "---\ntitle: Long\n---\n\n" + chapters)
    with stepserver.Server(defer=False):
        step = stepserver.start("book", options.encode())
        with pytest.raises(subprocess.TimeoutExpired):
            step.wait(0.5)
        assert step.poll() is None
        sandbox.kill_group(step)
        assert step.returncode == -9
        assert _stops(step.pid), "a process of the stopped step is still running"


def test_the_server_ends_with_the_build_and_without_it_steps_start_fresh():
    server = stepserver.Server(defer=False)
    with server:
        process, folder = server.process, server.folder
        assert stepserver.ADDRESS is not None and os.path.exists(stepserver.ADDRESS)
    assert process.poll() is not None and not os.path.exists(folder)
    assert stepserver.ADDRESS is None and stepserver.start("book", "{}") is None


def test_a_first_build_of_a_long_book_keeps_the_server_bare_beside_the_book_step():
    """Deferred, the server maps no WeasyPrint library while the book step may run;
    otherwise it has them ready after its short wait for the book step's request."""
    with stepserver.Server(defer=True) as server:
        time.sleep(stepserver.GRACE + 2.5)
        assert "libpango" not in _maps(server.process.pid)
    with stepserver.Server(defer=False) as server:
        deadline = time.monotonic() + 30   # the imports take half a second here; a new machine may be slower
        while "libpango" not in _maps(server.process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "libpango" in _maps(server.process.pid)


def test_a_step_whose_server_stops_is_stopped_too(tmp_path):
    """The runner cannot learn how a step ended once its server is gone: the step is
    stopped, and the runner told so (LOST: tasks._run_step says FOLIO099)."""
    chapters = "".join(f"# Chapter {i}\n\n" + "Some text to read. " * 800 + "\n\n" for i in range(300))
    options = _book(tmp_path, "---\ntitle: Long\n---\n\n" + chapters)
    with stepserver.Server(defer=False) as server:
        step = stepserver.start("book", options.encode())
        time.sleep(0.3)
        server.process.kill()
        assert step.wait(30) == stepserver.LOST
        assert _stops(step.pid), "the step of a stopped server is still running"


def test_a_step_nobody_follows_any_more_is_stopped(tmp_path):
    """A runner stopped by the task runner (its connection closes), or the build ending
    with a step still running (the server ends): either way the step does not run on,
    holding the build's output open past every limit."""
    chapters = "".join(f"# Chapter {i}\n\n" + "Some text to read. " * 800 + "\n\n" for i in range(300))
    options = _book(tmp_path, "---\ntitle: Long\n---\n\n" + chapters)
    with stepserver.Server(defer=False):
        runner_gone = stepserver.start("book", options.encode())
        time.sleep(0.3)
        runner_gone.connection.close()
        assert _stops(runner_gone.pid), "a step whose runner is gone is still running"
        build_ends = stepserver.start("book", options.encode())
        time.sleep(0.3)
    assert _stops(build_ends.pid), "a step of an ended build is still running"


def test_the_house_stylesheet_is_parsed_once_per_process(monkeypatch):
    """A unit's layout takes the parsed house stylesheet as it is; a stylesheet edited
    since, or a book of the other direction, is parsed again."""
    from folio import layout, render
    layout._HOUSE.clear()
    parsed = layout._house_stylesheet("ltr")
    assert layout._house_stylesheet("ltr") is parsed
    assert layout._house_stylesheet("rtl") is not parsed
    parsed = layout._house_stylesheet("ltr")
    edited = render.stylesheet
    monkeypatch.setattr(render, "stylesheet", lambda name, direction="ltr": edited(name, direction) + "\np { }")
    assert layout._house_stylesheet("ltr") is not parsed


def _library_thread(seconds: int):
    """A thread the interpreter knows nothing of, as pango starts for its font lookups:
    libc's sleep run by pthread_create."""
    import ctypes
    libc = ctypes.CDLL(None)
    thread = ctypes.c_ulong()
    assert libc.pthread_create(ctypes.byref(thread), None, libc.sleep, ctypes.c_void_p(seconds)) == 0
    assert libc.pthread_setname_np(thread, b"[pango] FcFontS") == 0   # named, as GLib names its threads
    return libc, thread


def test_nothing_is_forked_while_a_library_thread_runs():
    """A child forked beside a running pango thread may wait for ever on what that
    thread held (forking.py): the server and the layout wait for it to end first."""
    from folio import forking
    assert forking.library_threads() == 0   # the test runner's own threads are not a library's
    libc, thread = _library_thread(1)
    assert forking.library_threads() == 1
    assert not forking.alone(0.05)
    started = time.monotonic()
    assert forking.alone(10)
    assert 0.3 < time.monotonic() - started < 5
    libc.pthread_join(thread, None)


def test_a_layout_beside_a_library_thread_is_done_in_its_own_process(monkeypatch):
    from folio import forking, layout
    monkeypatch.setattr(forking, "WAIT", 0.05)
    libc, thread = _library_thread(2)
    workers = layout._Workers(2)
    try:
        assert workers.pool is None and not workers.forked
    finally:
        workers.close()
        libc.pthread_join(thread, None)
    workers = layout._Workers(2)
    assert workers.pool is not None
    workers.close()

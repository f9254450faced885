"""A tool started for a step (pandoc, pdftocairo) stops with the step: by the step's
processor limit, which it inherits, and by its death with the step's process."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from folio import sandbox
from folio.diagnostics import BuildError

ROOT = Path(__file__).resolve().parent.parent


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_tool_gets_a_processor_limit_just_past_the_wall_clocks():
    done = sandbox.run([sys.executable, "-c", "import resource; print(resource.getrlimit(resource.RLIMIT_CPU))"],
                       sandbox.Limits(seconds=7), "a probe", None, text=True)
    assert done.stdout.strip() == f"({7 + sandbox.CPU_GRACE}, {7 + 2 * sandbox.CPU_GRACE})"


def test_a_tool_past_its_processor_limit_is_a_time_out():
    """A wall clock of 60 s; the tool lowers its own processor limit to 1 s: only that
    can stop it, and the step says it ran out of time."""
    limits = sandbox.Limits(seconds=60)
    busy = [sys.executable, "-c", "import resource; resource.setrlimit(resource.RLIMIT_CPU, (1, 2))\nwhile True: pass"]
    started = time.monotonic()
    try:
        sandbox.run(busy, limits, "a busy tool", Path("book.md"))
    except BuildError as refused:
        assert "FOLIO060" in str(refused) and "a busy tool" in str(refused)
    else:
        raise AssertionError("a tool past its processor limit was not stopped")
    assert time.monotonic() - started < 30


def test_a_tool_dies_with_the_step_that_started_it(tmp_path):
    """The step's time limit kills the step's process group with SIGKILL; the tool is in
    a session of its own (so a terminal's Ctrl-C reaches folio first) and did run on,
    at full processor, after its step was gone."""
    pid_file = tmp_path / "pid"
    step = subprocess.Popen([sys.executable, "-c", f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from folio import sandbox
sandbox.run(["sh", "-c", "echo $$ > {pid_file}; exec sleep 300"], sandbox.Limits(), "a tool", None)
"""], start_new_session=True)
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    tool = int(pid_file.read_text())
    assert _alive(tool)
    os.killpg(step.pid, signal.SIGKILL)
    step.wait()
    for _ in range(100):
        if not _alive(tool):
            break
        time.sleep(0.05)
    else:
        os.kill(tool, signal.SIGKILL)
        raise AssertionError("the tool ran on after its step was killed")

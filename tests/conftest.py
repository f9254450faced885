"""Shared fixtures: editions are built once per session, through the real command, and
once for all of pytest-xdist's workers (the first to ask builds; the others wait and read)."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOKS = Path(__file__).resolve().parent / "books"
sys.path.insert(0, str(ROOT))


def run_build(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python3 build.py ARGS` as a user would, and capture what it says."""
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True,
                          text=True, cwd=ROOT, env=env)


def write_book(tmp: Path, markdown: str) -> tuple[Path, Path]:
    """A one-file manuscript under `tmp`: (its folder, an output folder beside it)."""
    book = tmp / "book"
    book.mkdir()
    (book / "book.md").write_text(markdown, encoding="utf-8")
    return book, tmp / "out"


def build_into(tmp: Path, manuscript: Path, *extra: str) -> Path:
    result = run_build("--manuscript", str(manuscript), "--out", str(tmp), *extra)
    assert result.returncode == 0, result.stderr
    return tmp


class Shared:
    """Builds the session's tests only read, made once for the whole run: under
    pytest-xdist every worker asks the same folder, the first takes its lock and builds,
    and the others wait for it and read the same output and what the build said."""

    def __init__(self, tmp_path_factory):
        base = tmp_path_factory.getbasetemp()
        self.root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared"
        self.root.mkdir(exist_ok=True)
        self.done: dict[str, tuple[Path, subprocess.CompletedProcess]] = {}

    def __call__(self, name: str, make) -> tuple[Path, subprocess.CompletedProcess]:
        """`make(folder)` run once for `name` in this run; (folder, what it returned).
        A `make` that raised is recorded as a failure, so the others fail at once too."""
        if name not in self.done:
            folder, said = self.root / name, self.root / f"{name}.said.json"
            with open(self.root / f"{name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)   # released when the file closes
                if not said.exists():
                    shutil.rmtree(folder, ignore_errors=True)
                    try:
                        result = make(folder)
                        record = [result.args, result.returncode, result.stdout, result.stderr]
                    except BaseException:
                        record = [name, -1, "", traceback.format_exc()]
                        raise
                    finally:
                        draft = said.with_suffix(".draft")
                        draft.write_text(json.dumps(record))
                        os.replace(draft, said)
                args, code, stdout, stderr = json.loads(said.read_text())
            self.done[name] = (folder, subprocess.CompletedProcess(args, code, stdout, stderr))
        return self.done[name]


@pytest.fixture(scope="session")
def shared(tmp_path_factory) -> Shared:
    return Shared(tmp_path_factory)


class Builds:
    """Test books built once per run, with what the build said (tests only read them)."""

    def __init__(self, shared: Shared):
        self.shared = shared

    def book(self, name: str, manuscript: Path) -> tuple[Path, subprocess.CompletedProcess]:
        return self.shared(name, lambda out: run_build("--manuscript", str(manuscript), "--out", str(out)))

    def __call__(self, case: str) -> tuple[Path, subprocess.CompletedProcess]:
        return self.book(f"book-{case}", BOOKS / case)


@pytest.fixture(scope="session")
def built(shared) -> Builds:
    return Builds(shared)


@pytest.fixture(scope="session")
def bundled(built) -> Path:
    """Every edition of the bundled book, built once."""
    out, result = built.book("bundled", ROOT / "manuscript")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def tiny(built) -> Path:
    """The small test book: CSL JSON sources, a note style, two authors, an image."""
    out, result = built("tiny")
    assert result.returncode == 0, result.stderr
    return out

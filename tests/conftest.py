"""Shared fixtures: editions are built once per session, through the real command."""
from __future__ import annotations

import subprocess
import sys
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


@pytest.fixture(scope="session")
def bundled(tmp_path_factory) -> Path:
    """Every edition of the bundled book, built once."""
    return build_into(tmp_path_factory.mktemp("bundled"), ROOT / "manuscript")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Path:
    """The small test book: CSL JSON sources, a note style, two authors, an image."""
    return build_into(tmp_path_factory.mktemp("tiny"), BOOKS / "tiny")


class Builds:
    """Test books built once per session, with what the build said (tests only read them)."""

    def __init__(self, root: Path):
        self.root, self.done = root, {}

    def __call__(self, case: str) -> tuple[Path, subprocess.CompletedProcess]:
        if case not in self.done:
            out = self.root / case
            self.done[case] = (out, run_build("--manuscript", str(BOOKS / case), "--out", str(out)))
        return self.done[case]


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Builds:
    return Builds(tmp_path_factory.mktemp("books"))

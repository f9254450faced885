"""Make-style rebuilds: nothing changed runs nothing; a stylesheet change rebuilds its editions only."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import BOOKS, ROOT


@pytest.fixture
def repo(tmp_path):
    """A copy of folio whose styles a test may edit, sharing this checkout's .venv."""
    copy = tmp_path / "repo"
    for name in ("folio", "templates", "styles"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("build.py", "requirements.lock"):
        shutil.copy(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    shutil.copytree(BOOKS / "tiny", copy / "book")
    return copy


def _build(repo, *args):
    result = subprocess.run([sys.executable, str(repo / "build.py"), "--manuscript", str(repo / "book"),
                             "--out", str(repo / "out"), *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return {line.split()[1]: line.split()[0] for line in result.stderr.splitlines()
            if line.split() and line.split()[0] in ("start", "fresh")}


def test_nothing_changed_runs_nothing(repo):
    assert set(_build(repo, "-j", "2").values()) == {"start"}
    assert _build(repo) == {name: "fresh" for name in ("book", "layout", "stitch", "site", "pdf", "cover", "print",
                                                       "epub", "html")}


def test_print_stylesheet_change_rebuilds_only_the_pdfs_and_the_site_that_carries_them(repo):
    _build(repo)
    epub = repo / "out" / "field-notes-on-lighthouses.epub"
    before = (epub.stat().st_mtime_ns, epub.read_bytes())
    with open(repo / "styles" / "pdf.css", "a") as css:
        css.write("\n.chapter-title { letter-spacing: 0.01em; }\n")
    steps = _build(repo)
    # The site carries the PDFs as downloads, so it takes the new ones; its pages, pandoc
    # and the EPUB rest.
    assert steps == {"book": "fresh", "layout": "start", "stitch": "start", "site": "fresh", "pdf": "start",
                     "cover": "start", "print": "start", "epub": "fresh", "html": "start"}
    assert (epub.stat().st_mtime_ns, epub.read_bytes()) == before


def test_manuscript_edit_reruns_pandoc_and_says_why(repo):
    _build(repo)
    source = repo / "book" / "book.md"
    source.write_text(source.read_text().replace("Lighthouses marked", "Lights marked"))
    result = subprocess.run([sys.executable, str(repo / "build.py"), "--manuscript", str(repo / "book"),
                             "--out", str(repo / "out"), "epub"], capture_output=True, text=True)
    assert "start   book   because changed:" in result.stderr and "book.md" in result.stderr


def test_clean_removes_the_editions(repo):
    _build(repo, "epub")
    subprocess.run([sys.executable, str(repo / "build.py"), "clean", "--manuscript", str(repo / "book"),
                    "--out", str(repo / "out")], check=True, capture_output=True)
    assert not (repo / "out" / "field-notes-on-lighthouses.epub").exists()


def test_site_stylesheet_change_remakes_the_site_while_the_pdfs_rest(repo):
    """The site's pages are a step of their own (`site`), needing no other edition:
    they are made while the PDFs are laid out, and `html` adds the downloads."""
    _build(repo)
    with open(repo / "styles" / "html.css", "a") as css:
        css.write("\n.book-title { letter-spacing: 0.01em; }\n")
    steps = _build(repo)
    assert steps == {"book": "fresh", "layout": "fresh", "stitch": "fresh", "site": "start", "pdf": "fresh",
                     "cover": "fresh", "print": "fresh", "epub": "fresh", "html": "start"}
    site = repo / "out" / "html"
    assert "letter-spacing: 0.01em" in (site / "folio.css").read_text(encoding="utf-8")
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "FOLIO-EDITION-FACTS" not in home and " KB, " in home
    assert sorted(p.name for p in (site / "downloads").iterdir()) == sorted(
        p.name for p in (repo / "out").iterdir() if p.suffix in (".pdf", ".epub") and "cover" not in p.name)


def test_a_file_written_again_keeps_its_time_only_when_it_is_already_what_would_be_written(tmp_path):
    """render.atomic_path: the same bytes keep the file's time (doit then need not hash
    it again); a file with the same bytes but not readable as an edition is replaced."""
    import os
    from folio.render import atomic_path
    target = tmp_path / "edition.pdf"
    for _ in range(2):
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"same")
    os.utime(target, (1_000_000, 1_000_000))
    with atomic_path(target) as temporary:
        temporary.write_bytes(b"same")
    assert target.stat().st_mtime == 1_000_000
    target.chmod(0o600)
    with atomic_path(target) as temporary:
        temporary.write_bytes(b"same")
    assert target.stat().st_mode & 0o777 == 0o644
    with atomic_path(target) as temporary:
        temporary.write_bytes(b"other")
    assert target.read_bytes() == b"other" and target.stat().st_mtime != 1_000_000

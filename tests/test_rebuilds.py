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


def _said(repo, *args, timing=False):
    """Build as `_build` does; also say whether doit was imported (`-X importtime`)."""
    result = subprocess.run([sys.executable, *(["-X", "importtime"] if timing else []), str(repo / "build.py"),
                             "--manuscript", str(repo / "book"), "--out", str(repo / "out"), *args],
                            capture_output=True, text=True)
    steps = {line.split()[1]: line.split()[0] for line in result.stderr.splitlines()
             if line.split() and line.split()[0] in ("start", "fresh")}
    asked_doit = any(line.startswith("import time:") and line.split("|")[-1].strip() == "doit"
                     for line in result.stderr.splitlines())
    return result, steps, asked_doit


ALL_FRESH = {name: "fresh" for name in ("book", "layout", "stitch", "site", "pdf", "cover", "print", "epub", "html")}


def test_nothing_changed_is_answered_from_the_last_builds_record_and_anything_else_goes_to_doit(repo):
    """fresh.py: with nothing changed, the build says every step is fresh without
    importing doit; each kind of change (other settings, a file added to the manuscript,
    an edition removed, a damaged record) goes to doit, and a failed build leaves no record."""
    record = repo / "out" / ".folio" / "fresh.json"
    _build(repo)
    assert record.is_file()
    result, steps, asked_doit = _said(repo, timing=True)
    assert result.returncode == 0 and steps == ALL_FRESH and not asked_doit, result.stderr[-2000:]
    # The record answers only the settings it was made with.
    result, steps, asked_doit = _said(repo, "--strict", timing=True)
    assert result.returncode == 0 and asked_doit and steps["book"] == "start"   # its settings changed
    result, steps, asked_doit = _said(repo, "pdf", timing=True)
    assert asked_doit and set(steps) == {"book", "layout", "stitch", "pdf", "cover", "print"}
    assert not _said(repo, "pdf", timing=True)[2]
    # A file added anywhere in the manuscript, even in a new folder, is doit's to judge.
    (repo / "book" / "later" / "deeper").mkdir(parents=True)
    (repo / "book" / "later" / "deeper" / "sketch.txt").write_text("an afterthought\n")
    result, steps, asked_doit = _said(repo, timing=True)
    assert result.returncode == 0 and asked_doit and steps["book"] == "start", result.stderr[-2000:]
    assert not _said(repo, timing=True)[2]
    # So is a file added to a folder that was empty.
    (repo / "book" / "later" / "deeper" / "sketch.txt").unlink()
    _build(repo)
    (repo / "book" / "later" / "deeper" / "again.txt").write_text("and another\n")
    assert _said(repo, timing=True)[2]
    # An edition removed is made again.
    (repo / "out" / "field-notes-on-lighthouses.epub").unlink()
    result, steps, asked_doit = _said(repo)
    assert steps["epub"] == "start" and (repo / "out" / "field-notes-on-lighthouses.epub").is_file()
    # A damaged record is not trusted and not a traceback.
    record.write_text('{"key": ', encoding="utf-8")
    result, steps, asked_doit = _said(repo, timing=True)
    assert result.returncode == 0 and steps == ALL_FRESH and asked_doit and "Traceback" not in result.stderr
    # A failed build leaves no record: the next build asks doit again.
    sources = repo / "book" / "sources.json"
    kept = sources.read_bytes()
    sources.write_text("[{", encoding="utf-8")
    assert _said(repo)[0].returncode != 0 and not record.exists()
    sources.write_bytes(kept)
    result, steps, asked_doit = _said(repo, timing=True)
    assert result.returncode == 0 and asked_doit and record.is_file()


def test_the_record_holds_only_what_was_seen_before_the_steps_ran_and_is_read_with_care(tmp_path):
    """fresh.Watch and fresh.answer, without a build: a source saved or a file added while
    the build ran leaves no record; after the record, a link that comes to resolve, a
    file written with its time put back, doit's own file removed, each make it void; a
    record that is a pipe or nested past Python's limit is no answer, not a hang or a
    traceback."""
    import os
    from types import SimpleNamespace
    from folio import fresh
    book, out = tmp_path / "book", tmp_path / "out"
    book.mkdir()
    source, made, kept = book / "book.md", out / "book.pdf", out / "doit.db"
    source.write_text("first\n")
    (book / ".pending").mkdir()   # a hidden folder, which a build does not read whole
    (book / "metadata.yaml").symlink_to(book / ".pending" / "later.yaml")   # dangling for now
    out.mkdir()
    made.write_text("pdf\n")
    kept.write_text("db\n")
    task = SimpleNamespace(name="book", file_dep={str(source)}, targets=[str(made)])
    key = {"settings": 1}

    def build(during=lambda: None):
        fresh.forget(out)
        watch = fresh.Watch([book])
        watch.begin({"book": task})
        during()
        watch.done(task)
        watch.remember(out, key, [out], [kept])
        return fresh.answer(out, key)

    assert build(lambda: source.write_text("second, longer\n")) is None
    assert build(lambda: (book / "dictionary.yaml").write_text("{}\n")) is None
    assert build() == ["book"]
    assert fresh.answer(out, {"settings": 2}) is None
    (book / ".pending" / "later.yaml").write_text("title: Later\n")
    assert fresh.answer(out, key) is None
    assert build() == ["book"]
    was = source.stat()
    source.write_text("x" * len(source.read_text()))   # the same size, in place
    os.utime(source, ns=(was.st_atime_ns, was.st_mtime_ns))
    assert fresh.answer(out, key) is None
    assert build() == ["book"]
    made.write_text("pdf, changed by hand\n")
    assert fresh.answer(out, key) is None
    assert build() == ["book"]
    kept.unlink()
    assert fresh.answer(out, key) is None
    kept.write_text("db\n")
    assert build() == ["book"]
    record = out / fresh.RECORD
    record.unlink()
    os.mkfifo(record)
    assert fresh.answer(out, key) is None
    record.unlink()
    record.write_text("[" * 100_000 + "]" * 100_000)
    assert fresh.answer(out, key) is None


def test_a_new_title_leaves_no_editions_under_the_old_name(tmp_path):
    """The editions are named by the title's slug: after a retitled book builds, the old
    name's editions and build state are gone, as from a cold build; while the build
    fails, they stay (the last good editions)."""
    from conftest import run_build, write_book
    text = "---\ntitle: The Harbour Board\n---\n\n# One\n\nThe pilots said the sandbanks had moved.\n"
    book, out = write_book(tmp_path, text)
    assert run_build("--manuscript", str(book), "--out", str(out)).returncode == 0
    old = {p.name for p in out.iterdir()}
    assert {"the-harbour-board.pdf", "the-harbour-board.epub", "the-harbour-board-print.pdf"} <= old
    (book / "book.md").write_text(text.replace("Board", "Boards") + "\n[@nobody]\n", encoding="utf-8")
    assert run_build("--manuscript", str(book), "--out", str(out)).returncode != 0   # a missing key
    assert (out / "the-harbour-board.pdf").is_file()
    (book / "book.md").write_text(text.replace("Board", "Boards"), encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(out))
    assert result.returncode == 0, result.stderr
    names = {p.name for p in out.iterdir()}
    assert not any(name.startswith("the-harbour-board.") or name.startswith("the-harbour-board-") for name in names)
    assert {"the-harbour-boards.pdf", "the-harbour-boards.epub", "the-harbour-boards-print.pdf"} <= names
    assert [p.name for p in (out / ".folio").iterdir() if p.is_dir()] == ["the-harbour-boards"]

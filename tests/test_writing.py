"""pandoc writes HTML chapter by chapter and the chapters are kept (writing.py). These
tests hold the result to one plain run over the whole document, on every case book:
cold, with every chapter kept, and with every other chapter kept (so kept chapters'
notes are numbered again around fresh ones)."""
from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path

import pytest

from conftest import BOOKS, ROOT
from folio import pandoc, pipeline, state, writing
from folio.diagnostics import BuildError, Reporter
from folio.paths import HTML_RECORD

CASES = sorted(p.parent.name for p in BOOKS.glob("*/book.md"))


def _plain(head, blocks, identity, run, record, writers=1):
    """The reference: the whole document in one run, nothing kept."""
    stdout, stderr, messages = run(head + b",".join(bytes(b) for b in blocks) + b"]}")
    return writing.Written(stdout.decode("utf-8"), stderr, messages)


def _output(folder: Path, out: Path, monkeypatch, plain: bool = False, runs: list | None = None, jobs: int = 1):
    """What pandoc.run gave the book step (or the build's diagnostics); with `jobs` over
    1, pandoc's writer runs that many times at once on any book of two chapters or more."""
    outputs = []
    run = pandoc.run

    def recording(*args, **kwargs):
        outputs.append(run(*args, **kwargs))
        return outputs[-1]
    with monkeypatch.context() as patch:
        patch.setattr(pandoc, "run", recording)
        if plain:
            patch.setattr(writing, "write", _plain)
        patch.setattr(writing, "SHARED_WRITING_ABOVE", 0)
        if runs is not None:
            sandbox_run = pandoc.sandbox.run

            def counting(command, *args, **kwargs):
                if "html5" in command:
                    runs.append(kwargs.get("input", b""))
                return sandbox_run(command, *args, **kwargs)
            patch.setattr(pandoc.sandbox, "run", counting)
        try:
            pipeline.load_book(pipeline.Options(folder, out, jobs=jobs), Reporter())
        except BuildError as failure:
            return [str(d) for d in failure.diagnostics]
    return outputs


def _record(out: Path) -> Path:
    return next(out.glob(f".folio/*/{HTML_RECORD}"))


@pytest.mark.parametrize("case", [*CASES, "bundled"])
def test_chapters_written_apart_and_kept_give_the_whole_documents_html(case, monkeypatch, tmp_path):
    folder = ROOT / "manuscript" if case == "bundled" else BOOKS / case
    reference = _output(folder, tmp_path / "plain", monkeypatch, plain=True)
    out = tmp_path / "chapters"
    runs: list = []
    # cold: every chapter written, by two runs of pandoc at once when there are two or more
    assert _output(folder, out, monkeypatch, runs=runs, jobs=2) == reference
    if not isinstance(reference[0], pandoc.PandocOutput):
        return   # a manuscript that fails: it fails the same way
    if runs[-1].count(b"folio-chapter-") == 0:   # written again whole (an id like pandoc's own)
        runs.pop()
    written = sum(run.count(b"folio-chapter-") - 1 for run in runs)
    assert len(runs) == min(2, max(1, written)), (len(runs), written)
    assert _output(folder, out, monkeypatch) == reference   # every chapter kept
    record = _record(out)
    kept = state.load(record)
    kept["chapters"] = dict(list(kept["chapters"].items())[::2])   # every other chapter written again
    state.save(kept, record)
    assert _output(folder, out, monkeypatch, jobs=2) == reference


def test_an_edit_writes_only_its_chapter_and_the_notes_after_it_count_on(monkeypatch, tmp_path):
    """A note added to the second chapter moves every later note's number by one; the
    later chapters come from the record, numbered again, as pandoc would number them."""
    book = tmp_path / "book"
    shutil.copytree(ROOT / "manuscript", book)
    out = tmp_path / "out"
    _output(book, out, monkeypatch)
    text = (book / "book.md").read_text(encoding="utf-8")
    second = [m.start() for m in re.finditer(r"^# ", text, re.M)][1]
    end = text.index("\n\n", text.index("\n\n", second) + 2)
    (book / "book.md").write_text(text[:end] + " A sentence added.^[A note added.]" + text[end:], encoding="utf-8")
    runs: list = []
    (edited,) = _output(book, out, monkeypatch, runs=runs)
    (reference,) = _output(book, tmp_path / "plain", monkeypatch, plain=True)
    assert edited == reference
    assert len(runs) == 1 and runs[0].count(b"folio-chapter-") == 2   # one chapter, between two markers
    assert b'"sentence"' in runs[0] and b'["permanent-revolution",' not in runs[0]   # the next chapter's heading is not written
    calls = re.findall(r'id="fnref(\d+)"', edited.html)
    assert calls == [str(n) for n in range(1, len(calls) + 1)] and len(calls) > 10


def test_what_the_writer_says_is_said_again_and_its_chapters_are_not_kept(monkeypatch, tmp_path):
    """pandoc's messages while writing are not tied to a chapter: a run that says
    anything keeps nothing, so the next build says it again."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Math\n---\n\n# One\n\nBroken $\\frac{a}{$ math.\n\n# Two\n\nPlain.\n",
                                  encoding="utf-8")
    out = tmp_path / "out"
    first = _output(book, out, monkeypatch)
    again = _output(book, out, monkeypatch)
    assert first == again
    said = [d.message for d in first[0].diagnostics]
    assert said and any("cannot be typeset" in m for m in said), said   # pandoc: CouldNotConvertTeXMath
    assert state.load(_record(out))["chapters"] == {}


def test_a_record_not_written_here_is_not_used(monkeypatch, tmp_path):
    """The record is signed like the build state: one planted in the output folder, or
    damaged, is passed over and the chapters are written again."""
    out = tmp_path / "out"
    (reference,) = _output(BOOKS / "tiny", tmp_path / "plain", monkeypatch, plain=True)
    _output(BOOKS / "tiny", out, monkeypatch)
    record = _record(out)
    kept = state.load(record)
    planted = {key: ("<p>planted</p>\n", []) for key in kept["chapters"]}
    record.write_bytes(b"0" * state.MAC_BYTES + pickle.dumps({"version": writing.RECORD_VERSION, "chapters": planted}))
    (found,) = _output(BOOKS / "tiny", out, monkeypatch)
    assert found == reference and "planted" not in found.html
    record.write_bytes(b"damaged")
    assert _output(BOOKS / "tiny", out, monkeypatch) == [reference]


@pytest.mark.parametrize("edit", ["", "```\nA block with no language: it takes a number, prints no id.\n```\n\n"])
def test_an_authors_link_to_a_code_blocks_id_reads_as_pandoc_wrote_it(edit, monkeypatch, tmp_path):
    """A link to pandoc's own `#cb2` (or `#cb02`) is the author's: not numbered again
    when the chapters before it gain a code block (found by a red-team pass)."""
    book = tmp_path / "book"
    book.mkdir()
    text = ("---\ntitle: Code\n---\n\n# One\n\n{edit}```python\nprint(1)\n```\n\n# Two\n\n```python\nprint(2)\n```\n\n"
            "See [the code](#cb2), [its line](#cb02-1) and <a href=\"#cb2-1\">this</a>.^[And [here](#cb2).]\n")
    out = tmp_path / "out"
    (book / "book.md").write_text(text.format(edit=""), encoding="utf-8")
    _output(book, out, monkeypatch)
    (book / "book.md").write_text(text.format(edit=edit), encoding="utf-8")
    (found,) = _output(book, out, monkeypatch)
    (reference,) = _output(book, tmp_path / "plain", monkeypatch, plain=True)
    assert found == reference
    assert 'href="#cb02-1"' in found.html and found.html.count('href="#cb2"') == 2


def test_a_note_in_a_figure_caption_is_counted_once_and_chapters_are_kept(monkeypatch, tmp_path):
    """A figure's caption and its image's description are copies: pandoc numbers the
    caption's note and flattens the description's. The count must agree, or every
    build would fall back to the plain run and keep nothing (found by a red-team pass)."""
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "tiny", book)
    image = next(p.name for p in book.iterdir() if p.suffix in (".png", ".jpg", ".svg"))
    text = (book / "book.md").read_text(encoding="utf-8")
    (book / "book.md").write_text(text + f"\n\n# Figures\n\n![A figure with a note.^[The caption's note.]]({image})\n\n"
                                  "After it.^[A later note.]\n", encoding="utf-8")
    out = tmp_path / "out"
    (found,) = _output(book, out, monkeypatch)
    (reference,) = _output(book, tmp_path / "plain", monkeypatch, plain=True)
    assert found == reference
    assert len(state.load(_record(out))["chapters"]) >= 2   # kept: no fallback


def test_the_torture_book_builds_and_every_passage_reaches_the_editions(tmp_path):
    """`writer-chapters`: notes and code blocks wherever pandoc numbers them, ids like
    pandoc's own, a note in a figure caption and one in the title. The title's note has
    no page to stand on: said with its line, not printed as a stray call (it was lost
    without a word before). Every other passage reaches every edition."""
    from conftest import run_build
    result = run_build("--manuscript", str(BOOKS / "writer-chapters"), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert re.search(r"book\.md:2: FOLIO036: a note in the metadata field 'title'", result.stderr)
    assert "FOLIO080" not in result.stderr and "FOLIO041" not in result.stderr, result.stderr


def test_chapters_are_shared_between_writers_by_size_in_their_order(monkeypatch):
    monkeypatch.setattr(writing, "SHARED_WRITING_ABOVE", 0)
    assert writing._shares([100, 200], 2) == [(0, 1), (1, 2)]
    assert writing._shares([100, 200, 50, 50], 2) == [(0, 1), (1, 4)]
    assert writing._shares([1, 1, 500], 2) == [(0, 2), (2, 3)]
    assert writing._shares([3] * 6, 3) == [(0, 2), (2, 4), (4, 6)]
    assert writing._shares([3] * 6, 1) == [(0, 6)]
    assert writing._shares([9], 2) == [(0, 1)]   # one chapter: one run
    assert writing._shares([], 2) == [(0, 0)]    # nothing to write: the head alone
    monkeypatch.setattr(writing, "SHARED_WRITING_ABOVE", 1_000)
    assert writing._shares([100, 200], 2) == [(0, 2)]   # a short book: one run
    monkeypatch.setattr(writing, "SHARED_WRITING_UP_TO", 2_000)
    assert writing._shares([1_000, 900], 2) == [(0, 1), (1, 2)]
    assert writing._shares([1_000, 1_100], 2) == [(0, 2)]   # a very long book: one run, for memory

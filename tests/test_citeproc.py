"""citeproc renders a skeleton of the AST (pandoc.CiteSkeleton): only the blocks it
would change. These tests hold that to the whole document's rendering, on every case
book with a bibliography and on two torture books made for it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import BOOKS, ROOT
from folio import citations, pandoc, pipeline
from folio.diagnostics import BuildError, Reporter
from folio.paths import CITEPROC_RECORD

CITING = sorted({p.parent.name for suffix in ("bib", "json", "yaml") for p in BOOKS.glob(f"*/*.{suffix}")
                 if p.name not in ("dictionary.yaml", "metadata.yaml", "shows.yaml")} | {"tiny"})


def _rendered(folder: Path, monkeypatch, whole: bool, out: Path):
    """pandoc's output for the manuscript, citeproc seeing the skeleton or (`whole`) every block."""
    outputs, kept = [], []
    run, of = pandoc.run, citations.CiteSkeleton.of

    def recording_of(document):
        skeleton = of(document)
        if whole:
            skeleton.kept = [True] * len(skeleton.kept)
        kept.append(sum(skeleton.kept) / max(len(skeleton.kept), 1))
        return skeleton

    def recording_run(*args, **kwargs):
        outputs.append(run(*args, **kwargs))
        return outputs[-1]
    with monkeypatch.context() as patch:
        patch.setattr(pandoc, "run", recording_run)
        patch.setattr(citations.CiteSkeleton, "of", staticmethod(recording_of))
        try:
            pipeline.load_book(pipeline.Options(folder, out), Reporter())
        except BuildError as failure:
            return [str(d) for d in failure.diagnostics], kept
    return outputs, kept


@pytest.mark.parametrize("case", [*CITING, "bundled"])   # the torture books cite: in CITING
def test_the_skeleton_renders_as_the_whole_document(case, monkeypatch, tmp_path):
    folder = ROOT / "manuscript" if case == "bundled" else BOOKS / case
    skeleton, kept = _rendered(folder, monkeypatch, False, tmp_path / "skeleton")
    whole, _ = _rendered(folder, monkeypatch, True, tmp_path / "whole")
    assert skeleton == whole
    if case == "bundled":   # most of the bundled book's blocks cite nothing: citeproc is not shown them
        assert kept and kept[0] < 0.75


def test_citations_in_every_corner_are_rendered(monkeypatch, tmp_path):
    (output,), _ = _rendered(BOOKS / "citeproc-context", monkeypatch, False, tmp_path)
    html = output.html
    refs = html[html.index('id="refs"'):html.index('id="appendix-after-the-references"')]
    for entry in ("ref-tide01", "ref-tide01b", "ref-moon02", "ref-extra", "ref-ἀρχή"):
        assert f'id="{entry}"' in refs, entry   # in the div the author placed, nocite's too
    assert "2001a" in html and "2001b" in html   # told apart across the whole book
    assert 'class="csl-quoted"' not in html and "span citeproc unwraps" in html
    assert '"Cite"' in html or "“Cite”" in html   # the word in the text is kept


def test_a_note_style_makes_notes_and_moves_punctuation(monkeypatch, tmp_path):
    (output,), _ = _rendered(BOOKS / "citeproc-note-style", monkeypatch, False, tmp_path)
    html = output.html
    assert "Ibid" in html and "Works Cited" in html
    assert 'class="csl-note"' not in html   # the author's span became a note
    assert "before it.<span class=\"citation\"" in html   # the stop moved before the note's call
    assert "“Quoted words.”<span" in html   # and inside the quotation marks


def _citeproc_runs(monkeypatch) -> list:
    """The citeproc runs of pandoc from here on."""
    runs = []
    run = pandoc.sandbox.run

    def counting(command, *args, **kwargs):
        if "--citeproc" in command:
            runs.append(command)
        return run(command, *args, **kwargs)
    monkeypatch.setattr(pandoc.sandbox, "run", counting)
    return runs


def test_citations_are_rendered_again_only_when_what_citeproc_reads_changes(monkeypatch, tmp_path):
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "citeproc-context", book)
    out = tmp_path / "out"
    runs = _citeproc_runs(monkeypatch)

    def html(folder: Path = out) -> str:
        return pipeline.load_book(pipeline.Options(book, folder), Reporter())[1]
    first = html()
    assert len(runs) == 1
    source = book / "book.md"
    source.write_text(source.read_text(encoding="utf-8").replace("Plain paragraph one.", "Plain paragraph, edited."),
                      encoding="utf-8")
    edited = html()
    assert len(runs) == 1   # the edit cites nothing: citeproc is not run
    assert edited == html(tmp_path / "cold") and edited != first   # as a build without the record makes it
    bibliography = book / "sources.bib"
    bibliography.write_text(bibliography.read_text(encoding="utf-8").replace("Tides and Lights", "Tides and Beacons"),
                            encoding="utf-8")
    assert "Tides and Beacons" in str(html().__dict__) and len(runs) == 3
    record = next(out.glob(f".folio/*/{CITEPROC_RECORD}"))
    for damage in ("[" * 100_000, '{"version": 1, "key": 5}', ""):
        record.write_text(damage, encoding="utf-8")
        assert "Tides and Beacons" in str(html().__dict__)
    signed = record.read_bytes()
    assert b'"Beacons"' in signed
    record.write_bytes(signed.replace(b'"Beacons"', b'"Planted"'))   # the HMAC no longer fits
    shown = str(html().__dict__)
    assert "Tides and Beacons" in shown and "Planted" not in shown

"""The same code builds manuscripts it has never seen, and refuses bad ones clearly."""
from __future__ import annotations

import shutil
import zipfile

from conftest import BOOKS, build_into, run_build
from folio import check

TINY = "field-notes-on-lighthouses"


def test_tiny_book_builds_every_edition(tiny):
    for name in (f"{TINY}.pdf", f"{TINY}-print.pdf", f"{TINY}.epub", "html/index.html"):
        assert (tiny / name).exists(), name
    assert check.epubcheck(tiny / f"{TINY}.epub") == []
    assert check.broken_links_in_site(tiny / "html") == []


def test_note_style_puts_citations_in_footnotes(tiny):
    pages = check.pdf_text(tiny / f"{TINY}.pdf")
    text = "\n".join(pages)
    # chicago-notes-bibliography: the first citation is a full note at the foot of the page
    assert "1. D. Alan Stevenson, The World’s Lighthouses" in text.replace("\n", " ")
    assert "(Stevenson 1959" not in text


def test_images_from_the_manuscript_folder_reach_every_edition(tiny):
    assert list((tiny / "html" / "images").glob("*.png"))
    assert any(name.endswith(".png") for name in __import__("zipfile").ZipFile(tiny / f"{TINY}.epub").namelist())


def _keep_output(tmp_path):
    """An output folder holding a 'last good' edition that a failed build must not touch."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "book.pdf").write_bytes(b"%PDF last good edition")
    return out


def _assert_untouched(out):
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["book.pdf"]
    assert (out / "book.pdf").read_bytes() == b"%PDF last good edition"


def test_missing_citation_key_names_key_and_line(tmp_path):
    out = _keep_output(tmp_path)
    result = run_build("--manuscript", str(BOOKS / "missing-key"), "--out", str(out))
    assert result.returncode != 0
    assert "book.md:10:" in result.stderr and "nobody2001" in result.stderr and "fix:" in result.stderr
    _assert_untouched(out)


def test_bad_yaml_names_file_and_line(tmp_path):
    out = _keep_output(tmp_path)
    result = run_build("--manuscript", str(BOOKS / "bad-yaml"), "--out", str(out))
    assert result.returncode != 0
    assert "bad-yaml/book.md:3:" in result.stderr and "YAML" in result.stderr
    _assert_untouched(out)


def test_unknown_style_says_how_to_list_styles(tmp_path):
    out = _keep_output(tmp_path)
    result = run_build("--manuscript", str(BOOKS / "unknown-style"), "--out", str(out))
    assert result.returncode != 0
    assert "chicago-author-dates-fancy" in result.stderr and "build.py styles" in result.stderr
    _assert_untouched(out)


def test_csl_option_overrides_and_dependent_styles_resolve_offline(tmp_path):
    out = build_into(tmp_path / "out", BOOKS / "tiny", "--csl", "harvard-cite-them-right", "epub")
    text = "".join(check.epub_texts(out / f"{TINY}.epub").values())
    assert "Stevenson, 1959, p. 12" in text
    # a dependent style (its parent comes from the package, not the network)
    from folio import csl
    dependent = csl.dependent_styles()[0]
    assert csl.resolve(dependent, tmp_path).is_file()


def test_failed_build_keeps_previous_editions(tmp_path):
    out = build_into(tmp_path / "out", BOOKS / "tiny", "epub")
    before = (out / f"{TINY}.epub").read_bytes()
    broken = tmp_path / "broken"
    shutil.copytree(BOOKS / "tiny", broken)
    (broken / "book.md").write_text((broken / "book.md").read_text() + "\nSee [@ghost2020].\n")
    result = run_build("--manuscript", str(broken), "--out", str(out), "epub")
    assert result.returncode != 0
    assert (out / f"{TINY}.epub").read_bytes() == before


def test_styles_command_lists_and_searches():
    result = run_build("styles", "chicago")
    assert result.returncode == 0
    assert "chicago-notes-bibliography (note style)" in result.stdout


def test_styles_piped_into_a_reader_that_stops_early_is_not_an_error():
    """`build.py styles | head -1`: the pipe closes after one line, as head does."""
    import subprocess
    import sys
    from conftest import ROOT
    with subprocess.Popen([sys.executable, str(ROOT / "build.py"), "styles"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, cwd=ROOT) as listing:
        listing.stdout.readline()
        listing.stdout.close()
        said = listing.stderr.read().decode()
        assert listing.wait(timeout=60) == 0, said
    assert "FOLIO099" not in said and "Broken pipe" not in said, said


def test_strict_turns_warnings_into_errors(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "tiny", book)
    sources = (book / "sources.json").read_text()
    (book / "sources.json").write_text(sources.replace(
        "[\n", '[\n  {"id": "unused2000", "type": "book", "title": "Never Cited", "issued": {"date-parts": [[2000]]}},\n', 1))
    lenient = run_build("--manuscript", str(book), "--out", str(tmp_path / "a"), "epub")
    assert lenient.returncode == 0 and "FOLIO025" in lenient.stderr and "unused2000" in lenient.stderr
    strict = run_build("--manuscript", str(book), "--out", str(tmp_path / "b"), "epub", "--strict")
    assert strict.returncode != 0 and "sources.json:2: FOLIO025" in strict.stderr


def test_chapter_ids_may_not_collide_with_back_matter(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "tiny", book)
    text = (book / "book.md").read_text().replace("# Keepers {#keepers}", "# Bibliography {#bibliography}")
    (book / "book.md").write_text(text)
    out = build_into(tmp_path / "out", book, "html")
    assert (out / "html" / "bibliography.html").exists() and (out / "html" / "bibliography-2.html").exists()
    assert check.broken_links_in_site(out / "html") == []


def test_plain_markdown_without_metadata_builds(tmp_path):
    book = tmp_path / "travel-notes"
    book.mkdir()
    (book / "notes.md").write_text("# My Travel Notes\n\nIntro.\n\n## Day one\n\nWe walked.\n\n## Day two\n\nWe rested.\n")
    out = build_into(tmp_path / "out", book)
    assert (out / "my-travel-notes.epub").exists()
    chapters = [p.name for p in (out / "html").glob("*.html")]
    assert "day-one.html" in chapters and "day-two.html" in chapters
    assert check.epubcheck(out / "my-travel-notes.epub") == []


def test_a_definition_may_carry_a_note_and_a_note_style_citation(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "tiny", book)
    (book / "dictionary.yaml").write_text(
        "- headword: Keeper\n  kind: term\n  variants: [keepers]\n  definitions:\n"
        "    - text: 'One who tends a light [@stevenson1959, 30].^[A note in a definition.]'\n      source: folio\n",
        encoding="utf-8")
    out = build_into(tmp_path / "out", book)
    assert "2. A note in a definition." in "\n".join(check.pdf_text(out / f"{TINY}.pdf"))
    assert check.epubcheck(out / f"{TINY}.epub") == []
    assert check.broken_links_in_site(out / "html") == []


def test_a_percent_title_block_is_the_metadata(tmp_path):
    """pandoc's `% title / % authors / % date` block: the title, not the folder's name."""
    result = run_build("--manuscript", str(BOOKS / "percent-title-block"), "--out", str(tmp_path), "epub")
    assert result.returncode == 0 and "FOLIO009" not in result.stderr, result.stderr
    with zipfile.ZipFile(tmp_path / "lighthouse-keeping-a-manual.epub") as package:
        opf = package.read("OEBPS/content.opf").decode("utf-8")
    assert ">Lighthouse Keeping: A Manual</dc:title>" in opf
    assert ">Ada Keeper</dc:creator>" in opf and ">Bram Lamp</dc:creator>" in opf


def test_missing_bibliography_fix_names_the_file_in_the_folder(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(BOOKS / "tiny" / "sources.json", book / "bibliography.json")
    (book / "book.md").write_text("---\ntitle: No Bib\n---\n\n# One\n\nText [@stevenson1959].\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "add 'bibliography: bibliography.json'" in result.stderr, result.stderr


def test_text_without_a_chapter_heading_is_kept_and_named(tmp_path):
    out = tmp_path / "out"
    result = run_build("--manuscript", str(BOOKS / "no-headings"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "no-headings/book.md:5: FOLIO027" in result.stderr
    text = " ".join(" ".join(check.pdf_text(out / "a-letter-without-headings.pdf")).split())
    for words in ("Dear reader, this book has no headings", "every one of them must reach", "Yours, the author."):
        assert words in text


def test_non_ascii_keys_and_ids_link_in_every_edition(tmp_path):
    """pandoc percent-encodes a non-ASCII fragment; the id stays plain: links must still land."""
    out = tmp_path / "out"
    result = run_build("--manuscript", str(BOOKS / "unicode-keys"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "FOLIO026" not in result.stderr and "FOLIO034" not in result.stderr, result.stderr
    assert check.epubcheck(next(out.glob("*.epub"))) == []
    assert check.broken_links_in_site(out / "html") == []
    assert check.dangling_pdf_links(next(p for p in out.glob("*.pdf") if (out / f"{p.stem}-print.pdf").exists())) == []


def test_chapter_ids_never_share_a_file(built):
    """Chapter ids named like the editions' own files, or like each other's renamed
    files, or differing only in case: every chapter keeps its own page and document."""
    out, result = built("chapter-file-names")
    assert result.returncode == 0, result.stderr
    names = [p.name.lower() for p in (out / "html").glob("*.html")]
    assert len(names) == len(set(names))
    site = "".join(p.read_text(encoding="utf-8") for p in (out / "html").glob("*.html"))
    for chapter in ("index", "index-chapter", "nav", "nav-chapter", "Search, with a capital", "images"):
        assert f"Text of the chapter called {chapter}" in site, chapter
    assert check.epubcheck(next(out.glob("*.epub"))) == []
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        documents = [n.lower() for n in package.namelist()]
    assert len(documents) == len(set(documents))

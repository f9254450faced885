"""A mistake in a bibliography or dictionary file is named in that file, at its line,
with a fix for that file's format; a key written twice is said, not settled in silence."""
import pytest

from conftest import run_build, write_book

BOOK = "---\ntitle: Sources\nbibliography: {name}\n---\n\n# One\n\nA claim [@keeper2019].\n"

BROKEN = {
    # an entry whose title never closes its brace: pandoc names the file and a line
    "refs.bib": ("@book{keeper2019,\n  author = {Keeper, Ada},\n  title = {Lamps,\n  year = 2019\n}\n\n"
                 "@book{other2000,\n  title = {Other}\n", "refs.bib:"),
    # a CSL YAML entry indented wrongly: pandoc names neither file nor the right line
    "refs.yaml": ("references:\n- id: keeper2019\n  type: book\n  title: Lamps\n   issued: 2019\n", "refs.yaml:5:"),
    # CSL JSON with a trailing comma: pandoc names the file but no line
    "refs.json": ('[\n  {"id": "keeper2019", "type": "book",\n   "title": "Lamps", },\n]\n', "refs.json:3:"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_bibliography_is_named_at_its_own_line(tmp_path, name):
    text, where = BROKEN[name]
    book, out = write_book(tmp_path, BOOK.format(name=name))
    (book / name).write_text(text, encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert f"{book / where}" in result.stderr and "FOLIO020" in result.stderr, result.stderr
    assert "book.md" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "correct the entry at that line" in result.stderr


def test_a_citation_in_a_dictionary_definition_is_named_there(tmp_path):
    book, out = write_book(tmp_path, "---\ntitle: Words\nbibliography: refs.yaml\ndictionary: words.yaml\n---\n\n"
                                     "# One\n\nThe lamp burned [@keeper2019].\n")
    (book / "refs.yaml").write_text("references:\n- id: keeper2019\n  type: book\n  title: Lamps\n",
                                    encoding="utf-8")
    (book / "words.yaml").write_text("- headword: lamp\n  kind: term\n  definitions:\n"
                                     "    - text: \"A light, as described by [@nobody1900].\"\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert f"{book / 'words.yaml'}:4: FOLIO021: citation key '@nobody1900'" in result.stderr, result.stderr


def test_a_key_written_twice_is_said_at_the_entry_pandoc_uses(tmp_path):
    book, out = write_book(tmp_path, BOOK.format(name="refs.bib"))
    (book / "refs.bib").write_text("@book{keeper2019,\n  title = {The First Lamps},\n  year = 2019\n}\n\n"
                                   "@book{keeper2019,\n  title = {The Wrong Lamps},\n  year = 1999\n}\n",
                                   encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(out), "html")
    assert result.returncode == 0, result.stderr
    assert f"{book / 'refs.bib'}:6: FOLIO038: bibliography entry 'keeper2019' is written 2 times " \
           "(also at refs.bib:1)" in result.stderr, result.stderr
    strict = run_build("--manuscript", str(book), "--out", str(out), "--strict", "html")
    assert strict.returncode == 1 and "FOLIO038" in strict.stderr

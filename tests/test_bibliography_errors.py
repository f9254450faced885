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


def test_a_bibtex_string_bomb_is_refused_at_its_line_before_pandoc(tmp_path):
    """34 @string macros each twice the last: 2^34 bytes for pandoc to build. Refused
    at once, at the use that passes the limit; ordinary @string abbreviations pass."""
    from folio import manuscript
    from folio.diagnostics import BuildError
    bomb = tmp_path / "bomb.bib"
    bomb.write_text('@string{s0 = "lollollollollollollollollollol"}\n'
                    + "".join(f"@string{{s{i} = s{i - 1} # s{i - 1}}}\n" for i in range(1, 35))
                    + "@book{x, title = s34}\n", encoding="utf-8")
    with pytest.raises(BuildError) as refused:
        manuscript.refuse_bibliography_bombs(bomb)
    said = str(refused.value.diagnostics[0])
    assert "FOLIO004" in said and "bomb.bib" in said and "expand to over 16 MB" in said, said
    plain = tmp_path / "plain.bib"
    plain.write_text('@string{jgr = "Journal of Geophysical Research"}\n@STRING(lamps = {Lamps } # "and " # {Wicks})\n'
                     "@article{a, journal = jgr, title = lamps # { of the North}, month = jan}\n", encoding="utf-8")
    manuscript.refuse_bibliography_bombs(plain)


def test_yaml_aliases_in_a_csl_yaml_bibliography_are_refused(tmp_path):
    book, out = write_book(tmp_path, BOOK.format(name="refs.yaml"))
    (book / "refs.yaml").write_text("references:\n- id: keeper2019\n  type: book\n  title: &t [a, b]\n"
                                    "- id: other\n  type: book\n  title: *t\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(out))
    assert result.returncode == 1 and f"{book / 'refs.yaml'}:7: FOLIO004: YAML aliases" in result.stderr, result.stderr


def test_a_date_that_is_no_date_is_named_at_its_line(tmp_path):
    book, out = write_book(tmp_path, "---\ntitle: Dates\nlang: en\ndate: 2024-13-45\n---\n\n# One\n\nText.\n")
    result = run_build("--manuscript", str(book), "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert f"{book / 'book.md'}:4: FOLIO004: a value in the YAML metadata cannot be read" in result.stderr
    assert "FOLIO099" not in result.stderr and "quote it" in result.stderr


def test_a_site_url_that_is_no_web_address_is_said_not_dropped(tmp_path):
    book, out = write_book(tmp_path, '---\ntitle: Addresses\nsite-url: "javascript:alert(1)"\n---\n\n# One\n\nText.\n')
    result = run_build("--manuscript", str(book), "--out", str(out), "html")
    assert result.returncode == 0, result.stderr
    assert f"{book / 'book.md'}:3: FOLIO049: site-url is not an http(s) address" in result.stderr, result.stderr
    assert "javascript" not in (out / "html" / "index.html").read_text(encoding="utf-8")

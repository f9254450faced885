"""What an author wrote reaches every edition as written. A case is a folder under
`tests/books/` with a `shows.yaml`: text the PDF must show (its text layer, one line
each, whitespace collapsed), and markup the HTML and EPUB chapters must contain."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import BOOKS
from folio import check
from folio.diagnostics import BuildError

CASES = sorted(p.parent.name for p in BOOKS.glob("*/shows.yaml"))


def test_math_is_typeset_in_the_pdf_and_passes_check(built):
    """Formulas are images with their TeX as alternative; a wide display fits the text block."""
    from conftest import run_build
    out, _ = built("math")
    result = run_build("check", "--manuscript", str(BOOKS / "math"), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    structure = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(out / "math.pdf"), "-"],
                               capture_output=True, check=True).stdout
    assert b"/Alt (E = mc^2)" in structure   # the TeX, for screen readers


def test_a_formula_in_a_heading_reads_as_its_symbols_in_contents_and_bookmarks(built):
    """Its TeX (MathML's annotation) is for machines: neither the EPUB's contents nor
    the site's heading link repeat it, and the PDF's bookmark has the formula as text
    (WeasyPrint's own label left an image out)."""
    import pikepdf
    out, result = built("math")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        nav = package.read("OEBPS/nav.xhtml").decode("utf-8")
        ncx = package.read("OEBPS/toc.ncx").decode("utf-8")
    assert ">The case v≪c</a>" in nav and "<text>The case v≪c</text>" in ncx, nav
    site = "".join(p.read_text(encoding="utf-8") for p in (out / "html").glob("*.html"))
    assert "Link to this section: The case v≪c" in site and "\\ll" not in site.split("<annotation")[0]
    with pikepdf.open(out / "math.pdf") as pdf, pdf.open_outline() as outline:
        titles = [item.title for top in outline.root for item in [top, *top.children]]
    assert "The case v≪c" in titles, titles


def _lines(text: str) -> set[str]:
    return {" ".join(line.split()) for line in text.splitlines() if line.strip()}


@pytest.mark.parametrize("case", CASES)
def test_book_shows_what_was_written(case, built):
    shows = yaml.safe_load((BOOKS / case / "shows.yaml").read_text(encoding="utf-8"))
    out, result = built(case)
    assert result.returncode == 0, result.stderr
    pdf = next(p for p in out.glob("*.pdf") if (out / f"{p.stem}-print.pdf").exists())   # a title may end in "cover"
    lines = _lines("\n".join(check.pdf_text(pdf)))
    missing = [text for text in shows.get("pdf", []) if text not in lines]
    assert not missing, f"not in the PDF: {missing}"
    flat = " ".join(lines)
    shown = [text for text in shows.get("pdf_absent", []) if text in flat]
    assert not shown, f"in the PDF, and should not be: {shown}"
    html = "".join(p.read_text(encoding="utf-8") for p in (out / "html").glob("*.html"))
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        epub = "".join(package.read(n).decode("utf-8") for n in package.namelist() if n.endswith(".xhtml"))
    for markup in shows.get("html", []):
        assert markup in html, f"not in the HTML: {markup}"
        assert re.sub(r"\s+", " ", markup) in epub, f"not in the EPUB: {markup}"


@pytest.mark.parametrize("case", CASES)
def test_book_builds_clean_and_passes_check(case, built):
    """Every case of the corpus: no warning but those its `shows.yaml` expects
    (`warns:`), every passage in every edition (no FOLIO080), and `check` passes,
    epubcheck with 0 errors and 0 warnings included."""
    from conftest import run_build
    shows = yaml.safe_load((BOOKS / case / "shows.yaml").read_text(encoding="utf-8"))
    out, result = built(case)
    assert result.returncode == 0, result.stderr
    said = set(re.findall(r"^warning: .*?(FOLIO\d{3})", result.stderr, re.M))
    assert said <= set(shows.get("warns", [])), result.stderr
    assert "FOLIO080" not in result.stderr, result.stderr
    checked = run_build("check", "--manuscript", str(BOOKS / case), "--out", str(out))
    expected = shows.get("check_says", [])   # what a case shows on purpose (a coarse cover image)
    if not expected:
        assert checked.returncode == 0, checked.stdout + checked.stderr
        return
    problems = [line for line in checked.stdout.splitlines() if line.startswith("  ") and ": " in line]
    assert checked.returncode == 1 and problems, checked.stdout + checked.stderr
    assert all(any(said in line for said in expected) for line in problems), checked.stdout


def test_a_long_run_is_set_in_full_lines_unhyphenated(built):
    """A run of 3,000 letters with no space breaks where each line is full, as
    `overflow-wrap: anywhere` would, and is not hyphenated (hyphenation.open_long_runs);
    a word of 199 letters is still a word, and may be. The PDF's text holds no
    zero-width space."""
    out, result = built("long-runs")
    assert result.returncode == 0, result.stderr
    text = "\n".join(check.pdf_text(out / "long-runs.pdf", layout=False))
    assert "\u200b" not in text
    every = [line.strip() for line in text.splitlines()]
    first = next(i for i, line in enumerate(every) if "The sequence reads" in line)
    last = next(i for i, line in enumerate(every) if i > first and "and ends there" in line)
    # the run's own lines: its paragraph's, without a page's folio and running head
    lines = [line for line in every[first + 1:last] if re.fullmatch(r"[a-j]+-?", line)]
    assert len(lines) > 40 and not [line for line in lines if line.endswith("-")], lines
    full = lines[:-1]
    assert max(map(len, full)) - min(map(len, full)) <= 2, [len(line) for line in lines]
    assert re.search(r"The sequence reads (abcdefghij){4}abcd\b", " ".join(text.split())), text[:400]
    # The base64 blob, in a note and in code: full lines too, not one line per '+/'
    # (hyphenation.apply cut the run at its capitals before it could be opened).
    blob = [line for line in every if re.fullmatch(r"[A-Za-z0-9+/=]{20,}", line) and "QUJD" in line]
    assert len(blob) > 10 and len([line for line in blob if len(line) < 50]) <= 2, [len(line) for line in blob]


def test_a_run_written_through_inline_markup_is_opened_whole(built):
    """A run parted by italics into pieces of 150 letters is one run: set in full lines
    (not hyphenated), all of it in the PDF's text in order."""
    out, result = built("run-through-markup")
    assert result.returncode == 0, result.stderr
    written = (BOOKS / "run-through-markup" / "book.md").read_text(encoding="utf-8")
    run = re.search(r"turns: ([ACGT*]+) and", written).group(1).replace("*", "")
    assert len(run) == 9000
    text = "\n".join(check.pdf_text(out / "run-through-markup.pdf", layout=False))
    every = [line.strip() for line in text.splitlines()]
    # the paragraph's lines, without the pages' folios and running heads between them
    paragraph = [line for line in every if re.fullmatch(r"[ACGT]+-?", line) or "turns:" in line or "ends here" in line]
    assert run in "".join("".join(paragraph).split()), "the run is not whole in the PDF"
    lines = [line for line in every if re.fullmatch(r"[ACGT]+-?", line)]
    assert len(lines) > 100 and not [line for line in lines if line.endswith("-")], lines
    assert max(map(len, lines[:-1])) - min(map(len, lines[:-1])) <= 4, [len(line) for line in lines]


def test_headwords_typed_with_straight_apostrophes_are_found_and_set_curled(built):
    """The text's apostrophes are curled by pandoc, a YAML field's are not: the
    dictionary's are curled too, the headword is found in the text (its glossary and
    index pages), and an index mark naming it straight joins its entry."""
    out, result = built("straight-apostrophes")
    assert result.returncode == 0 and "FOLIO057" not in result.stderr, result.stderr
    text = "\n".join(check.pdf_text(out / "apostrophes.pdf"))
    glossary, index = text[text.rindex("Glossary"):text.rindex("Index")], text[text.rindex("Index"):]
    assert "Lenin’s Testament" in glossary and "Used on page 1." in glossary, glossary
    assert index.count("Lenin’s Testament, 1") == 1 and "Workers’ Opposition, 1" in index, index


def test_code_in_a_title_is_set_in_proportion_to_it(built):
    """On the title page, the copyright page, the contents and the chapter's title,
    code is set at the text's ratio (0.81 em), not at the text's fixed 8.5 pt: its
    word's height, as poppler measures it, is near the word's before it (about 0.7 in
    these faces; 0.24 on the title page before)."""
    out, result = built("code-in-titles")
    assert result.returncode == 0, result.stderr
    box = subprocess.run(["pdftotext", "-bbox", str(out / "the-grep-manual.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    words = [(w, float(y1) - float(y0)) for y0, y1, w in
             re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', box)]
    ratios = [(before, grep / height) for (before, height), (word, grep) in zip(words, words[1:])
              if word == "grep" and before in ("The", "Using")]
    assert len(ratios) >= 4 and min(r for _, r in ratios) > 0.55, ratios


def test_links_to_a_bare_hash_are_said_at_their_lines_and_unlinked(built):
    """`href="#"` (raw, in Markdown, in a note) is said at each one's line, in order,
    and the PDF has no dead link left to report (FOLIO041, with no line)."""
    out, result = built("placeholder-links")
    assert result.returncode == 0, result.stderr
    said = re.findall(r"book\.md:(\d+): FOLIO026: link to '#'", result.stderr)
    assert said == ["12", "14", "16"], result.stderr
    assert "FOLIO041" not in result.stderr, result.stderr


def test_empty_headings_and_a_locale_for_a_language_are_said_at_their_lines(built):
    """The chapter's empty `#` (line 15) is a chapter, said nothing of; the section's
    (line 20) and the quoted one (line 24) are said; so is `lang: en_US` (line 3), and
    the EPUB is in en-US."""
    out, result = built("empty-headings")
    said = re.findall(r"^warning: \S*book\.md:(\d+): (FOLIO07[45])", result.stderr, re.M)
    assert sorted(said) == [("20", "FOLIO074"), ("24", "FOLIO074"), ("3", "FOLIO075")], result.stderr
    assert "read as 'en-US'" in result.stderr and "write 'lang: en-US'" in result.stderr
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        opf = package.read("OEBPS/content.opf").decode("utf-8")
        nav = package.read("OEBPS/nav.xhtml").decode("utf-8")
    assert "<dc:language>en-US</dc:language>" in opf and "en_US" not in opf
    assert re.findall(r'<a href="[^"]*">([^<]*)</a>', nav.split('epub:type="toc"')[1].split("</nav>")[0]) == \
        ["1. One", "Chapter 2", "3. Three"], nav


def test_the_bibliography_stays_where_the_author_put_it(built):
    """`# References` with `::: {#refs}` before an appendix: the bibliography is set
    there in every edition (contents, EPUB spine, the site's order), not at the end."""
    out, result = built("thesis-floats")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(next(out.glob("*.epub"))) as package:
        opf = package.read("OEBPS/content.opf").decode("utf-8")
    spine = re.findall(r'<itemref idref="x-([^"]+)"', opf)
    assert spine == ["preface", "lists", "introduction", "bibliography", "sec-appa"], spine
    assert 'rel="next" href="sec-appa.html"' in (out / "html" / "bibliography.html").read_text(encoding="utf-8")
    text = "\n".join(check.pdf_text(next(out.glob("*s.pdf"))))
    titles = [" ".join(line.split(" . ")[0].split()) for line in text.splitlines() if ". . ." in line]
    assert titles.index("References") < titles.index("Appendix A: Tables"), titles


def test_a_figure_taller_than_the_page_is_scaled_down_whole(built):
    """The tall screenshot (300 x 3000 px) and its caption sit on the page its chapter
    opens on, under the title; before, the image ran past the page's foot, cut."""
    out, result = built("tall-figure")
    assert result.returncode == 0, result.stderr
    pages = subprocess.run(["pdftotext", str(out / "a-tall-screenshot.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    opening = next(page for page in pages if "Settings" in page and "CHAPTER" in page.upper())
    assert "where a black bar closes it." in opening, opening
    listed = subprocess.run(["pdfimages", "-list", str(out / "a-tall-screenshot.pdf")], capture_output=True,
                            text=True, check=True).stdout.splitlines()[2:]
    y_ppi = [float(line.split()[-4]) for line in listed]
    assert y_ppi and min(y_ppi) > 3000 / 6.5, listed   # 3,000 px in under 6.5 in of a 9 in page


def test_the_sites_contents_sets_an_unnumbered_chapter_under_the_titles(built):
    """A preface's or an appendix's title has no number: it was squeezed into the
    number's column, a few letters a line."""
    out, result = built("thesis-floats")
    assert result.returncode == 0, result.stderr
    page = (out / "html" / "introduction.html").read_text(encoding="utf-8")
    assert '<li class="unnumbered"><a href="preface.html">Preface</a></li>' in page, page[:3000]
    assert '<span class="toc-number">1</span>' in page


def test_a_character_no_font_has_is_named_with_its_line(built):
    out, result = built("missing-glyph")
    assert result.returncode == 0, result.stderr
    assert "book.md:8: FOLIO039: no installed font has 1 character(s) the book uses" in result.stderr, result.stderr
    assert "\ue000 (U+E000)" in result.stderr and ".notdef" not in result.stderr


def test_a_missing_figure_keeps_its_caption(tmp_path):
    """An image folio cannot show is named (FOLIO031); its caption is the author's text
    and reaches every edition, so the conservation check finds nothing missing."""
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Lost\n---\n\n# One\n\nA paragraph that stays.\n\n"
                                  "![A caption that stays without its figure](nowhere.png)\n\nThe end.\n",
                                  encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode == 0 and "book.md:9: FOLIO031" in result.stderr, result.stderr
    assert "FOLIO080" not in result.stderr, result.stderr
    page = (tmp_path / "out" / "html" / "one.html").read_text(encoding="utf-8")
    assert "<figcaption>A caption that stays without its figure</figcaption>" in page


def test_check_names_the_line_of_a_passage_an_edition_lost(tmp_path):
    """The conservation check on the editions on disk: a paragraph taken out of the HTML
    after the build is named with its manuscript line."""
    from conftest import run_build, write_book
    book, out = write_book(tmp_path, "---\ntitle: Lost\n---\n\n# One\n\nA paragraph that stays.\n\n"
                                     "A paragraph that someone will take out of the site.\n\nThe end.\n")
    assert run_build("--manuscript", str(book), "--out", str(out)).returncode == 0
    page = out / "html" / "one.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "<p>A paragraph that someone will take out of the site.</p>", ""), encoding="utf-8")
    result = run_build("check", "--manuscript", str(book), "--out", str(out))
    assert result.returncode == 1
    assert "HTML, manuscript line 9: the passage 'a paragraph that someone will take out of …' is missing" \
        in result.stdout, result.stdout


def test_passages_come_from_pandocs_ast_with_their_lines():
    from folio import conservation
    document = {"blocks": [
        {"t": "Header", "c": [1, ["one", [], []], [{"t": "Str", "c": "One"}]]},
        {"t": "Para", "c": [{"t": "Str", "c": "Lamps"}, {"t": "Space"}, {"t": "Str", "c": "burn"},
                            {"t": "Cite", "c": [[], [{"t": "Str", "c": "[@a]"}]]}, {"t": "Space"},
                            {"t": "Str", "c": "all"}, {"t": "Space"}, {"t": "Str", "c": "night"},
                            {"t": "Note", "c": [{"t": "Para", "c": [{"t": "Str", "c": "Keepers"}, {"t": "Space"},
                                                                   {"t": "Str", "c": "know."}]}]}]},
        {"t": "RawBlock", "c": ["html", "<script>x</script>"]}]}
    text = "# One\n\nLamps burn [@a] all night.^[Keepers know.]\n"
    found = conservation.passages(document, text)
    assert [(p.line, p.segments) for p in found] == [
        (1, (("one",),)), (3, (("lamps", "burn"), ("all", "night"))), (3, (("keepers", "know"),))]
    assert conservation.missing(found, "One. Lamps burn (A 2020) all night.1 Keepers know.") == []
    assert [p.line for p in conservation.missing(found, "One. Keepers know.")] == [3]
    with pytest.raises(BuildError) as failed:   # --strict: a lost passage fails the build
        conservation.report(found, "HTML", "One. Keepers know.", Path("book.md"), strict=True)
    assert failed.value.diagnostics[0].code == "FOLIO080" and failed.value.diagnostics[0].line == 3


def test_a_marked_phrase_keeps_its_passage_on_its_own_line():
    """`[second mark]{.index}`: the attribute block between two words is passed over as
    written, so the passage is not taken for looser words earlier in the text."""
    from folio import conservation
    words = ["A", "second", "mark", "with", "a", "plain", "id."]
    inlines = [node for word in words for node in ({"t": "Str", "c": word}, {"t": "Space"})][:-1]
    document = {"blocks": [{"t": "Para", "c": [{"t": "Str", "c": "Earlier."}]}, {"t": "Para", "c": inlines}]}
    text = "Earlier.\n\na second-hand mark(with) a plain-id\n\nA [second mark]{.index} with a plain id.\n"
    assert [p.line for p in conservation.passages(document, text)] == [1, 5]
    # found as written from where the search stands, not taken for a copy of the words
    # earlier in the text (a quotation)
    text = "> A second mark with a plain id.\n\nEarlier.\n\nA [second mark]{.index} with a plain id.\n"
    assert [p.line for p in conservation.passages(document, text)] == [3, 5]


def test_a_line_of_braces_between_words_is_read_in_linear_time():
    """A hostile line of `{}{}{}…` between two words: each character of the gap between
    words matches one way, so the search for a passage that is not there ends at once
    (tried every way, 40 pairs would take days)."""
    from folio import conservation
    words = [{"t": "Link", "c": [["", [], []], [{"t": "Str", "c": "alpha"}], ["u", ""]]}, {"t": "Space"},
             {"t": "Str", "c": "beta"}, {"t": "Space"}, {"t": "Str", "c": "gamma"}]
    document = {"blocks": [{"t": "Para", "c": words}]}
    text = "alpha " + "{}" * 40 + " x\n\n[alpha](u) beta gamma\n"
    import time
    started = time.process_time()
    assert [p.line for p in conservation.passages(document, text)] == [3]
    assert time.process_time() - started < 5


def test_cross_references_link_in_every_edition_and_pass_check(built):
    from conftest import run_build
    out, _ = built("cross-references")
    result = run_build("check", "--manuscript", str(BOOKS / "cross-references"), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_reference_to_nothing_names_its_line(tmp_path):
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Refs\n---\n\n# One\n\nAs @fig:nowhere shows.\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "book.md:7: FOLIO028" in result.stderr and "{#fig:nowhere}" in result.stderr


def test_a_label_inside_display_math_is_told_how_to_label_the_formula(tmp_path):
    """`$$ … \\label{eq:e} $$` labels nothing in pandoc: the fix says what does, rather
    than telling the author to write the \\label they wrote."""
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: L\n---\n\n# One\n\n$$ E = mc^2 \\label{eq:e} $$\n\nSee @eq:e.\n",
                                  encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "book.md:9: FOLIO028" in result.stderr
    assert "$$ … $$ {#eq:e}" in result.stderr and "\\begin{equation}" in result.stderr


def test_pdf_figures_become_svg_in_every_edition(built):
    """A PDF figure (theses and LaTeX books have them) is drawn by pdftocairo as SVG;
    one named without its extension is found too."""
    out, result = built("pdf-figure")
    assert result.returncode == 0 and "FOLIO031" not in result.stderr, result.stderr
    assert len(list((out / "html" / "images").glob("*.svg"))) == 1   # the same figure twice: one file
    page = (out / "html" / "beams.html").read_text(encoding="utf-8")
    assert page.count('src="images/') == 2 and "<embed" not in page
    assert check.epubcheck(next(out.glob("*.epub"))) == []


def test_raw_latex_that_cannot_be_read_is_named_with_its_line(tmp_path):
    """An unknown command with words, an \\input (a manuscript is one file) and a
    chunk that breaks the LaTeX reader are warnings at their lines; the rest is read."""
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text(
        "---\ntitle: Odd LaTeX\n---\n\n# One\n\nBefore, \\emph{read}.\n\n\\input{/etc/hostname}\n\n"
        "\\frobnicate{Words that go}\n\n\\begin{itemize}\n\\item Open \\begin{enumerate}\n\\end{itemize}\n\n"
        "After, \\textbf{bold}.\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "book.md:9: FOLIO029: raw LaTeX includes the file '/etc/hostname" in result.stderr, result.stderr
    assert "book.md:11: FOLIO029: raw LaTeX '\\frobnicate{Words that go}'" in result.stderr, result.stderr
    assert "book.md:13: FOLIO029" in result.stderr, result.stderr
    page = (tmp_path / "out" / "html" / "one.html").read_text(encoding="utf-8")
    assert "<em>read</em>" in page and "<strong>bold</strong>" in page


def test_a_latex_reference_to_no_label_names_its_line(tmp_path):
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Refs\n---\n\n# One\n\nAs Figure~\\ref{fig:gone} shows.\n",
                                  encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "book.md:7: FOLIO028" in result.stderr and "\\label{fig:gone}" in result.stderr


def test_a_macro_that_never_ends_names_its_definition(tmp_path):
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Loop\n---\n\n# One\n\n\\newcommand{\\loop}{\\loop x}\n\n"
                                  "Text $\\loop$.\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "book.md:7: FOLIO020" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_formula_pandoc_cannot_read_is_named_with_its_line(tmp_path):
    """pandoc prints such a formula as TeX: the warning says so at the formula's line,
    in one message (not pandoc's five lines without a line number)."""
    from conftest import run_build
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Formulas\n---\n\n# One\n\nThe estimate\n\n"
                                  "$$\\hat\\theta = \\argmin_g f(g)$$\n\nis all.\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "book.md:9: FOLIO023: the formula '\\hat\\theta = \\argmin_g f(g)' cannot be typeset " \
        "(unexpected control sequence \\argmin)" in result.stderr, result.stderr
    assert result.stderr.count("FOLIO023") == 1


def test_every_language_has_every_word():
    """A word missing in one language would print a key, or stop a German build."""
    from folio import labels
    english = labels.WORDS["en"]
    for lang, said in labels.WORDS.items():
        assert set(said) == set(english), lang
        assert set(said["list_of"]) == set(english["list_of"]), lang
        assert set(said["callout"]) == set(english["callout"]), lang
        assert len(said["months"].split()) == 12, lang


def test_the_layout_check_unit_by_unit_finds_what_the_whole_text_check_finds(bundled, tmp_path):
    """conservation.missing_laid_out (the layout step's check, kept unit by unit) loses
    no passage the check of the whole laid-out text would find: on the bundled book's
    units, cold and from its record, with a unit laid out again emptied, cut short or
    given another unit's text, and a record planted with every passage in every unit."""
    import json
    import random
    from folio import conservation, state
    book = state.load(next(bundled.glob(".folio/*/book.pickle")))
    folder = next(bundled.glob(".folio/*/layout"))
    units = [(Path(p).stem, json.loads(Path(p).with_suffix(".json").read_text(encoding="utf-8"))["text"])
             for p, _ in json.loads((folder / "laid-out.json").read_text(encoding="utf-8"))["parts"]]
    record = tmp_path / conservation.LAID_OUT_RECORD

    def both(units_):
        whole = conservation.missing(book.passages, " ".join(text for _, text in units_))
        assert conservation.missing_laid_out(book.passages, units_, record) == whole
        return whole
    assert both(units) == [] and record.is_file()
    assert both(units) == []   # from the record
    rng = random.Random(7)
    for _ in range(6):
        i = rng.randrange(1, len(units))
        digest, text = units[i]
        changed = rng.choice(["", text[:len(text) // 3], units[rng.randrange(len(units))][1]])
        both(units[:i] + [(digest + "-edited", changed)] + units[i + 1:])
    assert both(units[:1] + [(units[1][0] + "-edited", "")] + units[2:]), "the first chapter emptied lost nothing"
    record.write_text(json.dumps({"code": "not this code", "units": {d: ["x"] for d, _ in units}}))
    assert both(units[:3] + [(units[3][0], "")] + units[4:])   # a record of other code is not read

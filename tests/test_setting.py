"""Setting the text as a typesetter would: every note on the page of its call, no more
than two hyphenated lines in a row, no short line stretched across the measure. The
pages are read back with poppler, not with folio's own record of them."""
from __future__ import annotations

import json
import re
import subprocess

from conftest import BOOKS, run_build
from folio import check, pagemap


def _pages_text(pdf, *options: str) -> list[str]:
    count = check.pdf_boxes(pdf)["pages"]
    return [subprocess.run(["pdftotext", *options, "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for n in range(1, count + 1)]


def _page_of(pages: list[str], needle: str) -> int:
    found = [n for n, text in enumerate(pages, start=1) if needle in " ".join(text.split())]
    assert len(found) == 1, (needle, found)
    return found[0]


def test_every_note_sits_on_the_page_of_its_call(built):
    """Eight notes called near a page's foot: in both PDFs each note shares its call's
    page, from the first layout (breaking.py and `footnote-policy: line`), so the build
    sets no chapter a second time."""
    out, result = built("notes-at-page-foot")
    assert result.returncode == 0, result.stderr
    assert "notes after their call's page" not in result.stderr
    for name in ("notes-at-the-foot.pdf", "notes-at-the-foot-print.pdf"):
        pages = _pages_text(out / name)
        for i in range(1, 9):
            assert _page_of(pages, f"Entry{i}call") == _page_of(pages, f"Note{i}text"), (name, i)


def _weasyprints_own_breaking(tmp_path, *more: str) -> dict:
    """The build's environment with a sitecustomize that leaves WeasyPrint's breaking
    as it is: breaking.py installs nothing, and the stylesheet loses its
    `footnote-policy: line`. WeasyPrint then sets some notes a page after their calls."""
    import os
    import textwrap
    from conftest import ROOT
    patch = tmp_path / "patch"
    patch.mkdir()
    (patch / "sitecustomize.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import folio.breaking as breaking
        import folio.render as render
        breaking.install = lambda: {{}}
        _stylesheet = render.stylesheet
        render.stylesheet = lambda name, *rest: _stylesheet(name, *rest).replace("footnote-policy: line;", "")
        """) + "".join(textwrap.dedent(line) + "\n" for line in more), encoding="utf-8")
    return {**os.environ, "PYTHONPATH": str(patch)}


def test_a_note_weasyprint_sets_late_is_brought_back_to_its_calls_page(tmp_path):
    """Where the first layout still sets a note a page late (here: WeasyPrint's own
    breaking), the chapter is set again with its paragraph split before the call's
    line, and each note ends on its call's page."""
    out = tmp_path / "out"
    result = run_build("--manuscript", str(BOOKS / "notes-at-page-foot"), "--out", str(out), "pdf",
                       env=_weasyprints_own_breaking(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "notes after their call's page" in result.stderr
    pages = _pages_text(out / "notes-at-the-foot.pdf")
    for i in range(1, 9):
        assert _page_of(pages, f"Entry{i}call") == _page_of(pages, f"Note{i}text"), i


def test_every_note_of_the_bundled_book_sits_on_the_page_of_its_call(bundled):
    """The bundled book's notes, located by the words around each call (the record the
    layout keeps is checked by `check`; this reads the PDF)."""
    record = pagemap.PrintPages.load(pagemap.path(bundled, "trotskyism"))
    assert record is not None and record.late_notes == []
    assert check.setting_faults(bundled, "trotskyism", bundled / "trotskyism-print.pdf") == []


def test_a_note_taller_than_a_page_is_set_whole_after_its_call(built):
    out, result = built("tall-note")
    assert result.returncode == 0, result.stderr
    for name in ("a-note-taller-than-a-page.pdf", "a-note-taller-than-a-page-print.pdf"):
        pages = _pages_text(out / name)
        begins, ends = _page_of(pages, "Tallnote begins here."), _page_of(pages, "Tallnote ends here.")
        assert _page_of(pages, "The keeper wrote it all down.") <= begins < ends


def test_check_fails_when_a_note_is_left_on_another_page(built, tmp_path):
    """`check` reports a note the layout could not bring back to its call's page (as it
    recorded it), with the page."""
    import shutil
    source, result = built("notes-at-page-foot")
    out = tmp_path / "out"
    shutil.copytree(source, out)
    record = pagemap.path(out, "notes-at-the-foot")
    data = json.loads(record.read_text(encoding="utf-8"))
    data["late_notes"] = [["fn1", 8, 9]]
    record.write_text(json.dumps(data), encoding="utf-8")
    failed = run_build("--manuscript", str(BOOKS / "notes-at-page-foot"), "--out", str(out), "check")
    assert failed.returncode == 1
    assert "notes: notes-at-the-foot-print.pdf page 9: a note (fn1) is set here, a page after its call on page 8" \
        in failed.stdout


def test_check_finds_late_notes_in_the_pdf_itself(tmp_path):
    """The manuscript made to break note placement (notes called near page feet), with
    WeasyPrint's own breaking and folio's corrections switched off: a sitecustomize in
    the build's environment also makes setting.read find nothing to correct and record
    nothing. WeasyPrint then sets notes a page after their calls; the layout's record
    says all is well, and `check` still fails, naming each late note's page, from the
    PDF's own destinations (the call's anchor and the note's)."""
    env = _weasyprints_own_breaking(
        tmp_path, "import folio.setting as setting",
        "setting.read = lambda document, ids: (setting.Corrections(), setting.Report())")
    out = tmp_path / "out"
    built = run_build("--manuscript", str(BOOKS / "notes-at-page-foot"), "--out", str(out), env=env)
    assert built.returncode == 0, built.stderr
    assert "notes after their call's page" not in built.stderr   # nothing was corrected
    record = pagemap.PrintPages.load(pagemap.path(out, "notes-at-the-foot"))
    assert record.late_notes == []                                 # and nothing recorded
    late = check.notes_off_their_pages(out / "notes-at-the-foot.pdf")
    assert late, "the uncorrected layout sets some note a page late"
    pages = _pages_text(out / "notes-at-the-foot.pdf")
    placed = {(_page_of(pages, f"Note{n}text"), _page_of(pages, f"Entry{n}call")) for n in range(1, 9)}
    found = {(int(p.where.rsplit(" ", 1)[1]), int(p.message.rsplit(" ", 1)[1])) for p in late}
    assert found == {(note, call) for note, call in placed if note != call}   # poppler agrees, page for page
    failed = run_build("--manuscript", str(BOOKS / "notes-at-page-foot"), "--out", str(out), "check")
    assert failed.returncode == 1
    assert re.search(r"notes: notes-at-the-foot\.pdf page \d+: a note \(fn-\w+-\d\) is set here, but its call is "
                     r"on page \d+", failed.stdout), failed.stdout


def _longest_hyphen_run(pdf) -> int:
    run = longest = 0
    for line in (line.rstrip() for text in _pages_text(pdf, "-raw") for line in text.splitlines()):
        run = run + 1 if re.search(r"[^\W\d_][-\u2010]$", line) else 0
        longest = max(longest, run)
    return longest


def test_no_third_hyphen_in_a_row_from_the_first_layout(built, tmp_path):
    """Paragraphs of long words: the first layout keeps each third line whole
    (breaking.py), so the build sets nothing again and neither PDF has three hyphens
    in a row. With WeasyPrint's own breaking the same text needs the correction."""
    out, result = built("hyphen-runs")
    assert result.returncode == 0, result.stderr
    assert " again:" not in result.stderr, result.stderr
    for name in ("runs-of-hyphens.pdf", "runs-of-hyphens-print.pdf"):
        assert _longest_hyphen_run(out / name) <= 2, name
    own = run_build("--manuscript", str(BOOKS / "hyphen-runs"), "--out", str(tmp_path / "own"), "pdf",
                    env=_weasyprints_own_breaking(tmp_path))
    assert own.returncode == 0, own.stderr
    assert "third hyphens in a row" in own.stderr
    assert _longest_hyphen_run(tmp_path / "own" / "runs-of-hyphens.pdf") <= 2   # corrected


def test_breaking_finds_its_places_in_weasyprint():
    """Both rules and the leaders' saving go into the pinned WeasyPrint; a WeasyPrint
    without those places would leave every fault to a second layout, and this fails."""
    import sys
    from conftest import ROOT
    found = subprocess.run([sys.executable, "-c", "from folio import breaking; print(sorted(breaking.install().items()))"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[('columns', True), ('hyphens', True), ('leaders', True), ('line-start', True), ('notes', True)]"


COLUMNS = """
import random, sys
from weasyprint import HTML
from weasyprint.layout import inline
lines = inline.get_next_linebox
laid = []
inline.get_next_linebox = lambda *args, **kwargs: laid.append(1) or lines(*args, **kwargs)
if sys.argv[1] == "once":
    from folio import breaking
    assert breaking.install()["columns"]
random.seed(int(sys.argv[3]))
words = "alpha beta gamma delta epsilon zeta theta iota kappa lambda omicron sigma".split()
def entries(count):
    return "".join(f"<li>{' '.join(random.choices(words, k=random.randint(1, 25)))}, "
                   f"{', '.join(str(random.randint(1, 400)) for _ in range(random.randint(1, 10)))}</li>"
                   for _ in range(count))
groups = "".join(f"<section><h2>{chr(65 + g)}</h2><ul>{entries(random.randint(1, 14))}</ul></section>" for g in range(26))
HTML(string="<style>@page { size: 6in 9in; margin: 0.75in } body { font: 9pt/11pt serif }"
            " .cols { columns: 2; column-gap: 16pt } h2 { margin: 14pt 0 4pt; break-after: avoid }"
            " .kept li { break-inside: avoid } .kept { margin-bottom: 20pt; padding-bottom: 4pt }</style>"
            f"<h1>Index</h1><div class=cols>{groups}</div><p>After the index.</p>"
            f"<div class='cols kept'><ul>{entries(random.randint(60, 120))}</ul></div>"
            f"<p>Closing words.</p><div class=cols><ul>{entries(7)}</ul></div>").write_pdf(sys.argv[2])
print(len(laid))
"""


def test_a_full_page_of_columns_is_laid_out_once_where_weasyprint_sets_it(tmp_path):
    """breaking.py lays each full page of columns out once: every word (the index's
    letters, entries and numbers, two-column pages, kept entries, a box with a bottom
    margin, the balanced last page and a short one) where WeasyPrint's own columns
    put it, from far fewer lines laid out."""
    import sys
    from conftest import ROOT
    for seed in (3,):
        words, lines = {}, {}
        for way in ("twice", "once"):
            pdf = tmp_path / f"{way}-{seed}.pdf"
            lines[way] = int(subprocess.run([sys.executable, "-c", COLUMNS, way, str(pdf), str(seed)], cwd=ROOT,
                                            check=True, capture_output=True, text=True).stdout)
            words[way] = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                                        check=True).stdout.split("</head>")[1]
        assert words["once"] == words["twice"]
        assert words["once"].count("<page") > 8 and ">Closing<" in words["once"]
        assert lines["once"] < 0.8 * lines["twice"], lines


LEADERS = """
import sys
from weasyprint import HTML
if sys.argv[1] == "one-run":
    from folio import breaking
    assert breaking.install()["leaders"]
entry = "<p><a>{}</a></p>"
HTML(string="<style>p { width: 300px } a { display: block } a::after { content: leader('. ') '17' }</style>"
     + "".join(entry.format(title) for title in ("One", "A longer title", "Three"))).write_pdf(sys.argv[2])
"""


def test_a_lines_dot_leaders_are_one_run_of_text_where_weasyprint_set_them(tmp_path):
    """The contents' dots: one run of text drawn for each line's leader rather than one
    for each dot, each dot where WeasyPrint's own leader set it, within a quarter of a
    point (the run's advances are Pango's, rounded once rather than at each copy)."""
    import sys
    import pikepdf
    from conftest import ROOT
    dots, objects = {}, {}
    for way in ("copies", "one-run"):
        pdf = tmp_path / f"{way}.pdf"
        subprocess.run([sys.executable, "-c", LEADERS, way, str(pdf)], cwd=ROOT, check=True)
        with pikepdf.open(pdf) as opened:
            objects[way] = sum(str(op) == "TJ" for _, op in pikepdf.parse_content_stream(opened.pages[0]))
        words = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                               check=True).stdout
        import re
        dots[way] = [(float(x), float(y)) for y, x, word in   # a dot's right edge (a first dot may join a word)
                     re.findall(r'yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>([^<]*)<', words) if word.endswith(".")]
    assert len(dots["copies"]) == len(dots["one-run"]) > 40
    assert all(abs(a[0] - b[0]) < 0.25 and a[1] == b[1] for a, b in zip(dots["copies"], dots["one-run"]))
    assert objects["one-run"] <= objects["copies"] - 40, objects


def test_hyphenation_stays_within_a_book_designers_limits(bundled):
    """In the print edition's body: at most 12 % of lines end in a hyphen, never more
    than two in a row, and no line of one or two words is stretched across the measure."""
    pdf = bundled / "trotskyism-print.pdf"
    lines = [line.rstrip() for text in _pages_text(pdf, "-raw") for line in text.splitlines() if line.strip()]
    body = [line for line in lines if len(line.split()) >= 4]
    hyphenated = [line for line in body if re.search(r"[^\W\d_][-\u2010]$", line)]
    assert len(hyphenated) / len(body) <= 0.12, len(hyphenated) / len(body)
    run = longest = 0
    for line in lines:
        run = run + 1 if re.search(r"[^\W\d_][-\u2010]$", line) else 0
        longest = max(longest, run)
    assert longest <= 2
    # stretched short lines: words of a line spread over most of the text block
    measure = 432 - 59 - 45
    layout = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                            check=True).stdout
    stretched = []
    for line in re.findall(r"<line[^>]*>(.*?)</line>", layout, re.S):
        words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', line)
        if 1 < len(words) <= 2 and float(words[-1][1]) - float(words[0][0]) > 0.8 * measure:
            stretched.append(" ".join(w[2] for w in words))
    assert stretched == []


def _widest_gaps(pdf, page: int, body_size: float) -> dict[str, float]:
    """Each body line of a page (its first three words) -> its widest gap between words
    in ems of the body size, as poppler measures the drawn glyphs."""
    layout = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox-layout", str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout
    found = {}
    for line in re.findall(r"<line[^>]*>(.*?)</line>", layout, re.S):
        words = [(float(x0), float(y0), float(x1), float(y1), text) for x0, y0, x1, y1, text in
                 re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', line)]
        if len(words) < 3 or not all(abs((w[3] - w[1]) / body_size - 1.371) < 0.03 for w in words):
            continue   # not a line of body text (notes, headings, quotes are set in other sizes)
        gaps = [(b[0] - a[2]) / body_size for a, b in zip(words, words[1:])]
        found[" ".join(w[4] for w in words[:3])] = max(gaps)
    return found


def test_loose_lines_are_measured_as_poppler_sees_them(bundled):
    """The layout's record of loose lines (word spaces over half an em) is the set of
    lines whose drawn gaps are that wide: what the record calls loose is loose on the
    page, and no line poppler sees as loose is missing from it; `check` names them as
    warnings and still passes."""
    from folio import setting
    pdf = bundled / "trotskyism-print.pdf"
    record = pagemap.PrintPages.load(pagemap.path(bundled, "trotskyism"))
    assert record.loose_lines, "the bundled book has loose lines at 6 x 9 in"
    recorded = {(page, " ".join(text.split()[:3])): ems for page, text, ems in record.loose_lines}
    import pikepdf
    with pikepdf.open(pdf) as document:   # the body: pages labelled in arabic (not the contents' leaders)
        body = [n for n, page in enumerate(document.pages, start=1) if page.label.isdigit()]
    compared = 0
    for page in body:
        for opening, gap in _widest_gaps(pdf, page, 10.5).items():
            if (page, opening) in recorded:
                assert abs(gap - recorded[page, opening]) < 0.03, (page, opening, gap, recorded[page, opening])
                compared += 1
            else:
                assert gap < setting.LOOSE_SPACE + 0.03, (page, opening, gap)
    assert compared >= len(recorded) * 0.8   # lines with a note call or a quotation mark may split otherwise
    assert max(recorded.values()) < setting.GAPING_SPACE   # "ory of Permanent Revolution," was 6.26 em: corrected
    advice = check.loose_lines(bundled, "trotskyism", pdf)
    assert advice and all(a.check == "loose line" for a in advice)
    for said in advice[:3]:   # each names the page poppler finds the line on
        page = int(said.where.rsplit(" ", 1)[1])
        opening = " ".join(said.message.split("'")[1].split()[:3])
        assert opening in " ".join(_pages_text(pdf, "-raw")[page - 1].split()), (page, opening)


def _line_end_splits(pdf) -> list[tuple[str, str]]:
    """(before the hyphen, the next line's first word) for each line a word was split at."""
    lines = [line.strip() for text in _pages_text(pdf, "-raw") for line in text.splitlines() if line.strip()]
    return [(re.findall(r"[^\W\d_]+$", line[:-1])[0], re.findall(r"^[^\W\d_]+", following)[0])
            for line, following in zip(lines, lines[1:])
            if re.search(r"[^\W\d_]-$", line) and re.match(r"[^\W\d_]", following)]


def test_names_and_listed_words_break_only_where_allowed(built):
    """Names (mid-sentence, and at a sentence's start once seen as names) are never
    split, nor folio's never-break words; the author's words only at their hyphens;
    and other long words still are hyphenated (the patterns are not switched off)."""
    out, result = built("hyphenation-exceptions")
    assert result.returncode == 0, result.stderr
    names = {"Aleksandrovich", "Bartholomew", "Constantinople", "Wolkenkuckucksheim", "Montmorency", "Schuschnigg",
             "Confederation"}
    for name in ("hyphenation-exceptions.pdf", "hyphenation-exceptions-print.pdf"):
        splits = _line_end_splits(out / name)
        words = {head + tail: head for head, tail in splits}
        assert len(splits) >= 10, splits      # the text is hyphenated where it may be
        assert not names & set(words), splits
        assert not {"present", "project"} & set(words), splits
        for word, head in words.items():
            if word.lower() == "supercalifragilistic":
                assert head.lower() in ("super", "supercali"), head
            if word.lower() == "internationalisation":
                assert head.lower() == "inter", head
        assert {"supercalifragilistic", "internationalisation"} & {w.lower() for w in words}
        # The name and the common word spelt the same: only the name is kept whole.
        assert "confederation" in words, splits


def test_hyphenation_rules_on_a_tree():
    """The rules themselves: a name inside a sentence, an acronym and a listed word are
    kept whole; the first word of a block is a name only once seen inside a sentence;
    code is left alone; German capitals are nouns, not names."""
    import lxml.html
    from folio import hyphenation

    def kept(markup, lang="en", author=()):
        tree = lxml.html.fragment_fromstring(markup, create_parent="div")
        hyphenation.apply(tree, lang, author)
        return [span.text for span in tree.find_class("nohyphen")]

    assert kept("<p>Yesterday Montmorency wrote to UNESCO.</p>") == ["Montmorency", "UNESCO"]
    assert kept("<p>Montmorency wrote. Then Montmorency left.</p>") == ["Montmorency", "Montmorency"]
    assert kept("<p>Yesterday the project ended; <code>Montmorency</code> stayed.</p>") == ["project"]
    assert kept("<p>The super long supercalifragilistic.</p>", author=("super-cali-fragilistic",)) \
        == ["super\u00adcali\u00adfragilistic"]
    assert kept("<p>Der Bahnhof und die Verwaltung.</p>", lang="de") == []
    assert kept("<p>Wir sahen die Wachstube.</p>", lang="de-AT") == ["Wachstube"]


def test_a_books_language_never_names_a_file(tmp_path):
    """`lang:` is the author's: a house list is looked up only for a language code, so
    `lang: /somewhere/words` reads no `/somewhere/words.txt`."""
    from folio import hyphenation
    (tmp_path / "words.txt").write_text("Mont-mo-rency\n", encoding="utf-8")
    assert hyphenation.house_list(str(tmp_path / "words")) == {}
    assert hyphenation.house_list("../" * 8 + str(tmp_path / "words")) == {}
    assert "present" in hyphenation.house_list("en-GB")


def test_a_bad_hyphenation_entry_is_an_error_with_its_line(tmp_path):
    from test_press import with_keys
    manuscript = with_keys(BOOKS / "tiny", tmp_path / "book", "hyphenation: [Trot-sky-ism, 'two words']\n")
    result = run_build("--manuscript", str(manuscript), "--out", str(tmp_path / "out"), "pdf")
    assert result.returncode != 0
    assert "FOLIO047" in result.stderr and "'two words'" in result.stderr and "book.md:2" in result.stderr
    assert "Traceback" not in result.stderr


def test_words_kept_whole_are_all_kept_in_either_order():
    """Two words of one passage kept whole: the second is found in the text after the
    first one's span too, so the result does not depend on which is wrapped first (it
    was: a set's order, which changes from process to process, decided the layout)."""
    import lxml.html
    from folio import setting
    made = set()
    for order in (["internationalists", "bureaucratization"], ["bureaucratization", "internationalists"]):
        element = lxml.html.fragment_fromstring(
            '<p data-folio-passage="3">the internationalists and the bureaucratization of <em>it</em> all</p>')
        for word in order:
            setting._keep_whole(element, word)
        made.add(lxml.html.tostring(element, encoding="unicode"))
        assert [s.text for s in element.find_class("nohyphen")] == ["internationalists", "bureaucratization"]
    assert len(made) == 1

"""Hostile inputs met one function at a time: CSL styles, references, the PDF fetcher, SVG."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from folio import csl
from folio.diagnostics import BuildError
from folio.safety import is_regular_file, local_path, make_fetcher
from folio.svg import clean_svg

ROOT = Path(__file__).resolve().parent.parent
LAMP = Path(__file__).resolve().parent / "books" / "tiny" / "lamp.png"
CANARY = "folio-canary-5e0c7d"

DEPENDENT = """<?xml version='1.0' encoding='utf-8'?>
<style xmlns='http://purl.org/net/xbiblio/csl' version='1.0' default-locale='en-US'>
  <info>
    <title>Some Journal</title>
    <id>http://www.zotero.org/styles/some-journal</id>
    <link href='http://www.zotero.org/styles/some-journal' rel='self'/>
    <link
        rel = 'independent-parent'
        href = 'http://www.zotero.org/styles/apa' />
    <updated>2024-01-01T00:00:00+00:00</updated>
  </info>
</style>
"""


# --- CSL -------------------------------------------------------------------------------

def test_single_quoted_dependent_style_resolves_to_its_packaged_parent(tmp_path):
    (tmp_path / "journal.csl").write_text(DEPENDENT, encoding="utf-8")
    assert csl.parent_of(tmp_path / "journal.csl") == "apa"
    assert csl.resolve("journal.csl", tmp_path) == csl.STYLES / "apa.csl"


def test_dependent_style_with_an_unknown_parent_is_refused(tmp_path):
    (tmp_path / "journal.csl").write_text(
        DEPENDENT.replace("styles/apa", "styles/../../evil\n"), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        csl.resolve("journal.csl", tmp_path, tmp_path / "book.md", 3)
    assert caught.value.diagnostics[0].code == "FOLIO012"


@pytest.mark.parametrize("text", [
    "<style xmlns='http://purl.org/net/xbiblio/csl'><info><link rel='independent-parent'",
    "not xml at all",
    "",
    "<?xml version='1.0'?><!DOCTYPE style [<!ENTITY p 'independent-parent'>]>"
    "<style xmlns='http://purl.org/net/xbiblio/csl'><info/></style>",
    "<html><body>a web page saved as .csl</body></html>",
])
def test_malformed_csl_is_folio010(tmp_path, text):
    (tmp_path / "broken.csl").write_text(text, encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        csl.resolve("broken.csl", tmp_path, tmp_path / "book.md", 4)
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == "FOLIO010" and "broken.csl" in diagnostic.message
    assert diagnostic.file == tmp_path / "book.md" and diagnostic.line == 4 and diagnostic.fix


def test_note_styles_are_told_by_the_class_attribute():
    assert csl.is_note_style(csl.STYLES / "chicago-notes-bibliography.csl")
    assert not csl.is_note_style(csl.STYLES / "apa.csl")
    assert not csl.is_note_style(csl.STYLES / f"{csl.DEFAULT_STYLE}.csl")


def test_packaged_dependent_style_still_resolves():
    dependent = next(iter(sorted((csl.STYLES / "dependent").glob("*.csl"))))
    resolved = csl.resolve(dependent.stem, ROOT)
    assert resolved.parent == csl.STYLES and resolved.is_file()


# --- local_path ------------------------------------------------------------------------

HOSTILE_REFERENCES = [
    "a" * 300 + ".png",
    "figures/" + "b" * 256 + "/a.png",
    "x/" * 3000 + "a.png",
    "file:///etc/passwd",
    "file:/etc/passwd",
    "file://evil.example/x",
    "FILE://evil.example/x",
    "//evil/x",
    "///etc/passwd",
    "/etc/passwd",
    "%2fetc/passwd",
    "http://127.0.0.1:9/a.png",
    "data:image/png;base64,AAAA",
    "javascript:alert(1)",
    "c:/windows/win.ini",
    "../outside/secret.png",
    "figures/../../outside/secret.png",
    "..%2f..%2foutside/secret.png",
    "..%2Foutside%2Fsecret.png",
    "\\..\\outside\\secret.png",
    "figures\\a.png",
    "figures/a.png%00.txt",
    "figures/a.png\x00",
    "figures/%ff%fe.png",
    "",
    "#fragment",
    ".",
    "leak.png",          # a symlink out of the folder
    "figures/../leak.png",
]


@pytest.fixture
def folder(tmp_path) -> Path:
    book = tmp_path / "book"
    (book / "figures").mkdir(parents=True)
    (book / "figures" / "a.png").write_bytes(LAMP.read_bytes())
    secret = tmp_path / "outside" / "secret.png"
    secret.parent.mkdir()
    secret.write_text(CANARY, encoding="utf-8")
    (book / "leak.png").symlink_to(secret)
    return book


@pytest.mark.parametrize("reference", HOSTILE_REFERENCES)
def test_local_path_refuses_hostile_references_without_raising(folder, reference):
    assert local_path(reference, folder) is None


def test_local_path_accepts_a_plain_relative_path(folder):
    assert local_path("figures/a.png", folder) == folder / "figures" / "a.png"
    assert local_path("figures/a%20b.png", folder) == folder / "figures" / "a b.png"
    assert local_path("figures/./a.png", folder) is not None


def test_is_regular_file_never_raises(folder, tmp_path):
    assert is_regular_file(folder / "figures" / "a.png")
    assert not is_regular_file(folder / "figures")
    assert not is_regular_file(folder / ("a" * 300))
    assert not is_regular_file(str(folder / "a\x00b"))
    assert not is_regular_file(None)
    fifo = tmp_path / "pipe.png"
    import os
    os.mkfifo(fifo)
    assert not is_regular_file(fifo)


# --- the PDF fetcher -------------------------------------------------------------------

@pytest.fixture
def no_name_lookups(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a host name was looked up: {args}")
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
        monkeypatch.setattr(socket, name, refuse)


@pytest.mark.parametrize("url", [
    "file://evil.example/etc/passwd",
    "FILE://evil.example/etc/passwd",
    "file://evil.example{folder}/figures/a.png",
    "file:////evil.example{folder}/figures/a.png",
    "file:///etc/passwd",
    "file:{folder}/../outside/secret.png",
    "file://localhost{folder}/leak.png",
    "http://127.0.0.1:9/x.css",
    "https://evil.example/x.png",
    "ftp://evil.example/x",
    "folio-asset:images/unknown.png",
    "folio-asset:images/notes.txt",
    "jar:file:///x!/y",
])
def test_fetcher_refuses_without_looking_up_a_host(folder, no_name_lookups, url):
    fetcher = make_fetcher((folder,), {"images/notes.txt": b"text"})
    url = url.format(folder=folder)
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_assets_local_files_and_data(folder, no_name_lookups):
    png = LAMP.read_bytes()
    fetcher = make_fetcher((folder,), {"images/a.png": png, "images/b.svg": b"<svg/>"})
    response = fetcher.fetch("folio-asset:images/a.png")
    assert response.read() == png and response.content_type == "image/png"
    assert fetcher.fetch("folio-asset:images/b.svg").content_type == "image/svg+xml"
    for url in (f"file://{folder}/figures/a.png", f"file:{folder}/figures/a.png",
                f"file://localhost{folder}/figures/a.png"):
        response = fetcher.fetch(url)
        assert response.read() == png
        response.close()
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    assert fetcher.refused == []


def test_an_assets_name_beside_the_document_is_served_from_the_book_not_the_disk(tmp_path, no_name_lookups):
    """An image in a chapter's title or the dedication keeps its relative `src` (no pass
    rewrites it as `folio-asset:`): it is the checked asset, never a file of that name."""
    png = LAMP.read_bytes()
    manuscript = tmp_path / "manuscript"
    (manuscript / "images").mkdir(parents=True)
    (manuscript / "images" / "a.png").write_bytes(b"not the asset")
    fetcher = make_fetcher((tmp_path / "styles",), {"images/a.png": png}, manuscript)
    assert fetcher.fetch(f"file://{manuscript}/images/a.png").read() == png
    for url in (f"file://{manuscript}/images/../images/a.png", f"file://{manuscript}/images/b.png",
                f"file://{tmp_path}/images/a.png"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 3


def test_fetcher_assets_reach_the_pdf(no_name_lookups):
    from weasyprint import HTML
    png = LAMP.read_bytes()
    fetcher = make_fetcher((), {"images/a.png": png})
    with_image = HTML(string='<img src="folio-asset:images/a.png">', url_fetcher=fetcher).write_pdf()
    without = HTML(string='<img src="folio-asset:images/missing.png">', url_fetcher=fetcher).write_pdf()
    assert b"/Subtype /Image" in with_image and b"/Subtype /Image" not in without
    assert fetcher.refused == ["folio-asset:images/missing.png"]


# --- SVG -------------------------------------------------------------------------------

def svg(body: str, head: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{head}\n'
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="10" height="10">{body}</svg>').encode()


@pytest.mark.parametrize("body, gone", [
    ("<script>alert(1)</script>", "alert"),
    ('<script xlink:href="http://evil.example/x.js"/>', "evil.example"),
    ('<rect onload="alert(1)" width="5" height="5"/>', "alert"),
    ('<g><rect ONCLICK="alert(1)"/></g>', "alert"),
    ('<image href="http://evil.example/x.png" width="5" height="5"/>', "evil.example"),
    ('<image xlink:href="file:///etc/passwd"/>', "passwd"),
    ('<image href="data:image/svg+xml;base64,PHN2Zy8+"/>', "svg+xml"),
    ('<use href="other.svg#a"/>', "other.svg"),
    ('<use xlink:href="file:///home/me/icons.svg#a"/>', "icons.svg"),
    ('<filter id="f"><feImage href="http://evil.example/y.png"/></filter>', "evil.example"),
    ("<style>@import url(http://evil.example/a.css); rect { fill: red }</style>", "evil.example"),
    ('<style>@import "http://evil.example/b.css";</style>', "evil.example"),
    ("<style>rect { fill: u\\72l(http://evil.example/c) }</style>", "evil.example"),
    ('<rect fill="url(http://evil.example/p.svg#g)" width="5" height="5"/>', "evil.example"),
    ('<rect style="filter:url( \'http://evil.example/f.svg#f\' )"/>', "evil.example"),
    ('<path d="M0 0" marker-end="url(markers.svg#m)"/>', "markers.svg"),
    ('<a href="javascript:alert(1)"><text>x</text></a>', "javascript"),
    ('<set attributeName="xlink:href" to="http://evil.example/"/>', "evil.example"),
    ('<a href="#ok"><animate attributeName="href" values="http://evil.example/"/></a>', "evil.example"),
    ('<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="http://evil.example/"/></foreignObject>',
     "evil.example"),
    ('<h:img xmlns:h="http://www.w3.org/1999/xhtml" src="http://evil.example/i.png"/>', "evil.example"),
    ('<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>',
     "passwd"),
    ('<linearGradient id="g" xlink:href="http://evil.example/g.svg#h"><stop offset="0"/></linearGradient>',
     "evil.example"),
    ('<g xml:base="http://evil.example/"><use href="#a"/></g>', "evil.example"),
    ('<?xml-stylesheet href="http://evil.example/s.css"?><rect/>', "evil.example"),
])
def test_clean_svg_removes_what_reaches_outside(body, gone):
    cleaned, removed = clean_svg(svg(body))
    assert gone.encode() not in cleaned and removed
    assert cleaned.startswith(b"<?xml") and b"<svg" in cleaned


def test_clean_svg_keeps_the_text_of_a_link_it_disarms():
    cleaned, removed = clean_svg(svg('<a href="http://evil.example/"><text>Label</text></a>'))
    assert b"Label" in cleaned and b"<a>" in cleaned and b"evil" not in cleaned and len(removed) == 1


def test_clean_svg_never_expands_an_external_entity(tmp_path):
    canary = tmp_path / "canary.txt"
    canary.write_text(CANARY, encoding="utf-8")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "{canary.as_uri()}">', encoding="utf-8")
    for head, text in [
        (f'<!DOCTYPE svg [<!ENTITY xxe SYSTEM "{canary.as_uri()}">]>', "&xxe;"),
        (f'<!DOCTYPE svg [<!ENTITY % p SYSTEM "{dtd.as_uri()}"> %p;]>', "&leak;"),
        (f'<!DOCTYPE svg SYSTEM "{dtd.as_uri()}">', "&leak;"),
    ]:
        cleaned, removed = clean_svg(svg(f"<text>{text}</text>", head))
        assert CANARY.encode() not in cleaned and b"DOCTYPE" not in cleaned and b"ENTITY" not in cleaned
        assert b"&" not in cleaned and removed


def test_clean_svg_keeps_plain_internal_entities_and_drops_the_doctype():
    head = '<!DOCTYPE svg [<!ENTITY ns "http://ns.example/"><!ENTITY hi "hello">]>'
    cleaned, removed = clean_svg(svg('<g xmlns:x="&ns;" x:a="&hi;"><text>&hi; world</text></g>', head))
    assert removed == [] and b"DOCTYPE" not in cleaned and b"&" not in cleaned
    assert b"hello world" in cleaned and b'x:a="hello"' in cleaned


def test_clean_svg_defuses_entity_expansion_bombs():
    head = ('<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')
    cleaned, removed = clean_svg(svg("<text>&c;&c;&c;</text>", head))
    assert len(cleaned) < 500 and b"aaaa" not in cleaned and removed


BENIGN = svg(
    '<!-- a drawing -->'
    '<defs><linearGradient id="g" x1="0" x2="1"><stop offset="0" stop-color="#f00"/>'
    '<stop offset="1" stop-color="#00f"/></linearGradient>'
    '<linearGradient id="g2" xlink:href="#g" gradientTransform="rotate(90)"/>'
    '<clipPath id="c"><circle cx="5" cy="5" r="4"/></clipPath>'
    '<marker id="m"><path d="M0 0L2 1L0 2z"/></marker>'
    '<path id="a" d="M1 1 L9 9" style="stroke:#000;stroke-width:0.5"/></defs>'
    '<style>rect { fill: url(#g); } .x { mask: url( "#c" ) }</style>'
    '<rect width="10" height="10" fill="url(#g)" stroke="url(#g2)" clip-path="url(#c)"/>'
    '<use href="#a"/><use xlink:href="#a" x="1"/>'
    '<path d="M0 0 L5 5" marker-end="url(#m)" fill="none"/>'
    '<image width="1" height="1" href="data:image/png;base64,iVBORw0KGgo="/>'
    '<a href="#a"><text x="1" y="8" font-family="serif">Caf\u00e9 &amp; &lt;tea&gt;</text></a>'
    '<animate attributeName="opacity" from="0" to="1" dur="1s"/>'
)


def test_clean_svg_keeps_a_normal_drawing():
    from lxml import etree
    cleaned, removed = clean_svg(BENIGN)
    assert removed == []
    before, after = etree.fromstring(BENIGN), etree.fromstring(cleaned)
    assert etree.tostring(before, method="c14n") == etree.tostring(after, method="c14n")
    assert "Café & <tea>".encode() in b"".join(t.encode() for t in after.itertext())


def test_clean_svg_keeps_editor_metadata_quietly():
    drawing = svg(
        '<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" '
        'pagecolor="#ffffff"/><metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:cc="http://creativecommons.org/ns#"><cc:Work rdf:about=""><cc:license '
        'rdf:resource="http://creativecommons.org/licenses/by/4.0/"/></cc:Work></rdf:RDF></metadata>'
        '<rect width="1" height="1"/>',
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">')
    cleaned, removed = clean_svg(drawing)
    assert removed == [] and b"namedview" in cleaned and b"DOCTYPE" not in cleaned


@pytest.mark.parametrize("data", [
    b"", b"not xml", b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>",
    b"<svg><rect/></svg>",                                    # no SVG namespace
    b"<html xmlns='http://www.w3.org/1999/xhtml'><body/></html>",
    b"\x89PNG\r\n\x1a\n",
])
def test_clean_svg_refuses_what_is_not_an_svg(data):
    with pytest.raises(ValueError) as caught:
        clean_svg(data)
    assert str(caught.value) and len(str(caught.value)) < 200


def test_a_passage_is_placed_on_the_line_it_starts_on_even_after_a_note():
    """Passages come in the AST's order, a note's text right after its paragraph; in
    the manuscript the note is defined further down. The line search must place each
    passage at its own words (exactly as written before loosely), not at the nearest
    loose match."""
    from folio.conservation import _Lines, words_of
    text = ("Lenin calls a note here.[^1]\n\nThe party and the class were one.\n\n"
            "[^1]: Lenin, What Is To Be Done. The party, he argued, and the vanguard of the class.\n")
    lines = _Lines(text)
    found = [lines.find(words_of(p)) for p in ("Lenin calls a note here.",
                                                "Lenin, What Is To Be Done. The party, he argued, and the vanguard.",
                                                "The party and the class were one.")]
    assert found == [1, 5, 3]
    far = "The first paragraph calls a note.[^1]\n\n" + "\n\n".join(
        f"Paragraph {i}: the workers met in the city and the state answered them." for i in range(300)) \
        + "\n\n[^1]: The state and the party, as Lenin wrote.\n"
    lines = _Lines(far)
    assert [lines.find(words_of("The first paragraph calls a note.")),
            lines.find(words_of("The state and the party, as Lenin wrote."))] == [1, 603]


def test_every_module_a_layout_reads_is_a_dependency_of_the_layout_step():
    """A module in a unit's layout digest (layout.CODE) that the layout task does not
    declare would change the layout without doit running the step at all."""
    from folio import layout, tasks
    assert set(layout.CODE) <= set(tasks.LAYOUT_CODE) | set(tasks.SHARED_CODE)


@pytest.mark.parametrize("reserved", ["contents", "site-toc", "ix-1", "lst:code"])
def test_an_id_used_twice_is_said_even_when_folio_renames_its_first_use(reserved):
    """An id folio rewrites anyway (one of the editions' own, one of folio's prefixes,
    one with a ':') is rewritten quietly, links following; used twice, it is said as
    any other id used twice is, and links go to its first use."""
    from types import SimpleNamespace
    import lxml.html
    from folio.diagnostics import Reporter
    from folio.transforms import Context, safe_ids
    text = f"# One\n\n[a]{{#{reserved}}}\n\n[b]{{#{reserved}}}\n\n[back](#{reserved})\n"
    body = lxml.html.fromstring(f'<div><span id="{reserved}">a</span><span id="{reserved}">b</span>'
                                f'<a href="#{reserved}">back</a></div>')
    reporter = Reporter()
    safe_ids(body, Context(SimpleNamespace(source=Path("book.md"), text=text), reporter))
    first, second = [span.get("id") for span in body.iter("span")]
    assert first != second and reserved not in (first, second)
    assert body.find(".//a").get("href") == f"#{first}"
    said = [d for d in reporter.warnings if d.code == "FOLIO034"]
    assert len(said) == 1 and "used twice" in said[0].message and said[0].line == 5, said


def test_steps_starting_together_on_a_new_machine_share_one_whole_state_key(tmp_path):
    """The key that signs the build's pickles is made by whichever step comes first;
    steps starting at the same moment must never read it half-written (an empty key
    signs everything alike), and a damaged key is replaced by a whole one."""
    import os
    import subprocess
    import sys
    import time
    start = time.time() + 1.5
    script = ("import sys, time; sys.path.insert(0, sys.argv[1]); from folio import state\n"
              "time.sleep(max(0, float(sys.argv[2]) - time.time()))\n"
              "print(state._key().hex())")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    steps = [subprocess.Popen([sys.executable, "-c", script, str(ROOT), str(start)], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(12)]
    keys = {step.communicate(timeout=60)[0].strip() for step in steps}
    kept = (tmp_path / "folio" / "state.key").read_text().strip()
    assert keys == {kept} and len(bytes.fromhex(kept)) == 32
    assert sorted(p.name for p in (tmp_path / "folio").iterdir()) == ["state.key"]   # no drafts left
    (tmp_path / "folio" / "state.key").write_text("")
    again = subprocess.run([sys.executable, "-c", script, str(ROOT), "0"], env=env, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert len(bytes.fromhex(again)) == 32 and again == (tmp_path / "folio" / "state.key").read_text().strip()


def test_an_svg_whose_uses_copy_each_other_past_a_million_is_refused():
    """Eleven levels of ten <use>s: 2 KB to read, 10^11 elements to draw. An SVG with
    a few honest <use>s (a symbol drawn three times) is kept."""
    from folio import svg
    levels = ['<g id="a0"><rect width="1" height="1"/></g>'] + [
        f'<g id="a{n}">' + f'<use href="#a{n - 1}"/>' * 10 + "</g>" for n in range(1, 12)]
    bomb = ('<svg xmlns="http://www.w3.org/2000/svg"><defs>' + "".join(levels) + '</defs><use href="#a11"/></svg>')
    with pytest.raises(ValueError, match="copy each other into over 1,000,000 elements"):
        svg.clean_svg(bomb.encode())
    honest = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><defs>'
              '<symbol id="dot"><circle r="2"/></symbol></defs><use xlink:href="#dot"/><use href="#dot"/>'
              '<use href="#dot"/><use href="#self" id="self"/></svg>')
    cleaned, removed = svg.clean_svg(honest.encode())
    assert cleaned.count(b"<use") == 4 and not removed
    assert svg.drawn_elements(__import__("lxml.etree", fromlist=["etree"]).fromstring(honest.encode())) < 20


def test_a_dictionary_of_more_entries_than_a_book_holds_is_refused_at_the_first_too_many(tmp_path):
    from folio import dictionary
    from folio.diagnostics import BuildError
    path = tmp_path / "dictionary.yaml"
    path.write_text("".join(f"- headword: w{n}\n  kind: person\n" for n in range(dictionary.MAX_DICTIONARY_ENTRIES + 1)),
                    encoding="utf-8")
    with pytest.raises(BuildError) as refused:
        dictionary.load(path)
    said = str(refused.value)
    assert f"dictionary.yaml:{2 * dictionary.MAX_DICTIONARY_ENTRIES + 1}: FOLIO050" in said and "20,001 entries" in said


def test_a_removed_attribute_or_image_is_said_at_its_own_line(tmp_path):
    """The line of FOLIO030 and FOLIO031 is where the attribute or image stands, not
    the first place its value appears: `href` not found inside `xlink:href`, a link in
    the abstract and the same link in the text each at its own line, an image written
    as Markdown not taken for a raw element's `src` above it."""
    from types import SimpleNamespace
    import lxml.html
    from folio import transforms
    from folio.diagnostics import Reporter
    text = ("---\nabstract: see [this](javascript:alert(1))\n---\n\n# One\n\n"   # lines 1-5
            "<embed src=\"../away.png\">\n\n"                                        # 7
            "<p onclick=\"alert(1)\">a</p>\n\n"                                      # 9
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>\n\n"         # 11
            "[again](javascript:alert(1)) and <p onclick=\"alert(1)\">b</p>\n\n"    # 13
            "![away](../away.png)\n")                                                # 15
    manuscript = SimpleNamespace(text=text, source=tmp_path / "book.md", root=tmp_path)
    reporter = Reporter()
    ctx = transforms.Context(manuscript, reporter)
    body = lxml.html.fromstring(
        '<div><p><a href="javascript:alert(1)">this</a></p><p onclick="alert(1)">a</p>'
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>'
        '<p><a href="javascript:alert(1)">again</a></p><p onclick="alert(1)">b</p></div>')
    transforms.remove_unsafe_markup(body, ctx)
    ctx.warn("FOLIO031", "image '../away.png' is not in the manuscript folder", transforms._image_written("../away.png"))
    assert [(d.message.split(" removed")[0].split(" is not")[0], d.line) for d in reporter.warnings] == [
        ("attribute href='javascript:alert(1)'", 2), ("attribute onclick='alert(1)'", 9),
        ("attribute xlink:href='javascript:alert(1)'", 11), ("attribute href='javascript:alert(1)'", 13),
        ("attribute onclick='alert(1)'", 13), ("image '../away.png'", 15)]
    # a file's name, warned of more than once (an SVG's removals), stays at its first use
    ctx.warn("FOLIO033", "SVG '../away.png': a script removed", "../away.png")
    ctx.warn("FOLIO033", "SVG '../away.png': an image removed", "../away.png")
    assert [d.line for d in reporter.warnings[-2:]] == [7, 7]

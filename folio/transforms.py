"""Passes over the pandoc HTML tree, in a declared order, each doing one thing.

Each pass takes the parsed document body and a `Context` (manuscript, reporter, the
assets found so far) and changes the tree in place. `PASSES` is the order: raw HTML
is cleaned and ids made safe before anything else reads the tree.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import re
import tempfile
from dataclasses import dataclass, field
from html import unescape as html_unescape
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes

import lxml.etree

from . import bounds, svg
from .diagnostics import Diagnostic, Reporter, error, line_of
from .manuscript import Manuscript
from .safety import is_inside, is_regular_file, local_path

# Raw HTML is untrusted: only these elements stay. An element outside the list is
# unwrapped (its text stays) with a warning; one of `DROPPED` goes with its content,
# since what it holds is code, a document of its own or a form, not text.
HTML_ELEMENTS = set("""a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup
    dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li
    main mark nav ol p pre q rp rt ruby s samp section small span strong sub summary sup table tbody td
    tfoot th thead time tr u ul var wbr html body""".split())
MATHML_ELEMENTS = set("""math maction annotation annotation-xml menclose merror mfenced mfrac mi
    mmultiscripts mn mo mover mpadded mphantom mprescripts mroot mrow ms mspace msqrt mstyle msub msubsup
    msup mtable mtd mtext mtr munder munderover none semantics mlabeledtr maligngroup malignmark""".split())
FOLIO_ELEMENTS = {"folio-meta", "folio-body"}   # the pandoc template's wrappers
ALLOWED_ELEMENTS = HTML_ELEMENTS | MATHML_ELEMENTS | FOLIO_ELEMENTS
DROPPED = {"script", "style", "iframe", "object", "embed", "link", "meta", "base", "form", "input", "button",
           "select", "textarea", "frame", "frameset", "applet", "noscript", "template", "portal", "svg",
           "audio", "video", "source", "track", "picture", "canvas", "dialog", "head", "title", "param",
           "noembed", "noframes", "xmp", "plaintext", "listing", "image", "math-style"}
# Attributes raw HTML may keep; everything else (style, srcset, ping, rel, on*...) goes.
SAFE_ATTRIBUTES = {"id", "class", "href", "src", "alt", "title", "width", "height", "lang", "dir",
                   "colspan", "rowspan", "role", "start", "type", "value", "reversed", "scope",
                   "headers", "abbr", "cite", "datetime", "span", "display", "xmlns", "mathvariant",
                   "encoding", "stretchy", "fence", "separator", "accent", "columnalign",
                   # MathML presentation, as pandoc writes it (linethickness="0" is a binomial)
                   "linethickness", "mathsize", "displaystyle", "scriptlevel", "lspace", "rspace",
                   "minsize", "maxsize", "movablelimits", "largeop", "symmetric", "notation",
                   "rowspacing", "columnspacing", "columnlines", "rowlines", "frame", "accentunder",
                   "rowalign", "open", "close", "separators", "bevelled", "depth", "voffset", "form"}
# pandoc's numbered code lines ({.numberLines startFrom="10"}): the count the first line starts after.
COUNTER_STYLE = re.compile(r"^\s*counter-reset\s*:\s*source-line\s+-?\d{1,9}\s*;?\s*$")
SIZE_STYLE = re.compile(r"^\s*((width|height)\s*:\s*[\d.]+(%|px|em|in|cm|mm|pt)\s*;?\s*){1,2}$")
ALIGN_STYLE = re.compile(r"^\s*text-align\s*:\s*(left|right|center|justify)\s*;?\s*$")
# pandoc's MathML for aligned equations (`aligned`, `align*`): each cell aligned to the
# `&`, with no padding on that side.
MATH_CELL_STYLE = re.compile(r"^\s*text-align\s*:\s*(left|right|center)\s*;\s*padding-(left|right)\s*:\s*0\s*;?\s*$")
LINK_SCHEMES = {"http", "https", "mailto", "tel"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp", "application/pdf"}
# An id folio can carry into XHTML, file names and URLs: a letter, then letters, digits,
# '-', '_' or '.'. Ids folio makes itself start with these prefixes.
SAFE_ID = re.compile(r"^[^\W\d_][\w.-]{0,99}$")
FOLIO_ID_PREFIXES = ("ix-", "ixe-", "gl-", "pop-", "fn-", "fncall-")   # fn-: notes (book.py), fncall-: their calls (pdf.py)
# Ids of the pages an author's text is set in: the site's chapter page (templates/html)
# and the PDF's front matter (templates/pdf). An author's is renamed, links following.
EDITION_IDS = frozenset({"content", "site-toc", "contents"})


@dataclass
class Context:
    manuscript: Manuscript
    reporter: Reporter
    assets: dict = field(default_factory=dict)  # output name -> the image's bytes
    said: dict = field(default_factory=dict)    # needle -> warnings that found it, for the next one's line
    loose: list = field(default_factory=list)   # the manuscript's lines as `_loose` reads them, once asked

    def line_of(self, needle: str) -> int | None:
        at = self.manuscript.text.find(needle)
        return line_of(self.manuscript.text, at) if at >= 0 else None

    def warn(self, code: str, message: str, needle: str | tuple = "", fix: str | None = None) -> None:
        """Said at the line of `needle`'s first place. Given the shapes one element may be
        written in (a tuple, the most telling first: `onclick="…"` before the bare value,
        which the abstract may hold too), at the first shape found, and the n-th warning
        that finds a shape at its n-th place: one warning per element, in the order of
        the text. (A file's name is one needle: its several warnings stay at its first use.)"""
        if isinstance(needle, str):
            self.reporter.warn(Diagnostic(code, message, self.manuscript.source,
                                          self.line_of(needle) if needle else None, fix))
            return
        line = None
        text = self.manuscript.text
        for candidate in needle:
            if not candidate:
                continue
            seen, at = self.said.get(candidate, 0), -1
            for _ in range(seen + 1):
                found = text.find(candidate, at + 1)
                if found < 0:
                    break
                at = found
            if at >= 0:
                self.said[candidate] = seen + 1
                line = line_of(text, at)
                break
        if line is None:
            line = self._loose_line(needle)
        self.reporter.warn(Diagnostic(code, message, self.manuscript.source, line, fix))

    def _loose_line(self, shapes: tuple) -> int | None:
        """The first line holding one of the shapes once character references are read
        and spaces and controls dropped, as a browser reads an address: the author wrote
        `java&#9;script&colon;`, the element holds 'java\tscript:'."""
        if not self.loose:
            self.loose = [_loose(line) for line in self.manuscript.text.splitlines()]
        for shape in shapes:
            key = _loose(shape or "")
            if len(key) >= 6:
                for number, written in enumerate(self.loose, start=1):
                    if key in written:
                        return number
        return None


def _loose(text: str) -> str:
    return re.sub(r"[\x00-\x20\x7f]+", "", html_unescape(text))


def _written(name: str, value: str) -> tuple:
    """How an attribute may stand in the manuscript, most telling first: as a Markdown
    link or image (`](…`), as raw HTML writes it (after a space, so that `href` is not
    found in `xlink:href`), and the value alone, as pandoc wrote it or as the
    author typed it before pandoc escaped it."""
    typed = unquote(value)
    shapes = [f"]({value}", f"]({typed}", f"<{value}>"] if name in ("href", "src") else []
    shapes += [f' {name}="{value}"', f" {name}='{value}'", f" {name}={value}"]
    return (*shapes, value[:40], typed[:40])


def _image_written(src: str) -> tuple:
    return _written("src", src)


def _link_allowed(value: str) -> bool:
    """A link a reader may follow: in the book, relative, web, mail or phone. Browsers
    ignore tabs, newlines and controls inside a URL, so 'java\tscript:' is javascript:."""
    cleaned = re.sub(r"[\x00-\x20\x7f]+", "", value)
    scheme = SCHEME.match(cleaned)
    return scheme is None or scheme.group(1).lower() in LINK_SCHEMES


def _attribute_allowed(element, name: str, value: str) -> bool:
    if name.startswith(("data-", "aria-")):   # no ':' or odd characters: an XHTML name too
        return bool(re.fullmatch(r"(data|aria)-[A-Za-z0-9_.-]+", name))
    if name == "style":   # pandoc's {width=50%} and table column alignment
        return bool(SIZE_STYLE.match(value) or ALIGN_STYLE.match(value)
                    or (element.tag == "code" and COUNTER_STYLE.match(value))
                    or (element.tag == "mtd" and MATH_CELL_STYLE.match(value)))
    if name == "tabindex":   # pandoc's anchors on code lines
        return value.strip() == "-1"
    if name not in SAFE_ATTRIBUTES:
        return False
    if name in ("href", "cite"):
        return _link_allowed(value)
    if name == "src":
        return element.tag == "img"   # checked and copied by collect_images
    if name == "xmlns":
        return value in ("http://www.w3.org/1998/Math/MathML", "http://www.w3.org/1999/xhtml")
    return True


def _caption_text(caption) -> str:
    """A caption's words, without its note calls: an image's description."""
    import copy
    words = copy.deepcopy(caption)
    for call in words.find_class("footnote-ref"):
        call.drop_tree()
    return " ".join(words.text_content().split())


def remove_unsafe_markup(body, ctx: Context) -> None:
    """Raw HTML in a manuscript may not run scripts or pull in other files: an
    allow-list of elements and attributes, not a list of known dangers."""
    for comment in list(body.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction)):
        if comment.getparent() is not None:   # an author's note to self, never printed
            comment.drop_tree()
    for element in list(body.iter()):
        if not isinstance(element.tag, str) or element.tag in ALLOWED_ELEMENTS:
            continue
        if element.tag == "embed" and element.get("src"):
            # pandoc's rendering of ![](figure.pdf) (raw <embed> never gets here: ast.py):
            # an image, which collect_images turns into SVG.
            element.tag = "img"
            figure = element.getparent()
            caption = figure.find("figcaption") if figure is not None and figure.tag == "figure" else None
            described = element.get("alt") or (_caption_text(caption) if caption is not None else "")
            element.set("alt", described)   # pandoc hid the caption from screen readers as the alt
        elif element.tag in DROPPED:
            ctx.warn("FOLIO030", f"raw <{element.tag}> removed from the manuscript", f"<{element.tag}",
                     fix="folio editions carry no scripts, embeds, forms or stylesheets from the manuscript")
            element.drop_tree()
        else:
            ctx.warn("FOLIO030", f"raw <{element.tag}> is not an element folio keeps; its text stays",
                     f"<{element.tag}", fix="use Markdown, or an HTML element of the text such as <span>")
            element.drop_tag()
    for element in body.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body"):
            continue
        if element.tag in FOLIO_ELEMENTS:   # the template's wrappers carry a name, nothing else
            for name in [n for n in element.attrib if n != "name"]:
                del element.attrib[name]
            continue
        for name, value in list(element.attrib.items()):
            if not _attribute_allowed(element, name, value):
                ctx.warn("FOLIO030", f"attribute {name}='{value[:60]}' removed from the manuscript", _written(name, value),
                         fix="folio editions load nothing named in raw HTML attributes")
                del element.attrib[name]


def _safe_id(wanted: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w.-]+", "-", wanted).strip("-._")[:80] or "id"
    if not re.match(r"^[^\W\d_]", base) or base.startswith(FOLIO_ID_PREFIXES):
        base = "x-" + base
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


PLAIN_ENOUGH = re.compile(r"^[\w.:-]+$")


def _id_line(text: str, element_id: str, nth: int) -> int | None:
    """The line of the n-th place the manuscript sets this id (`{#x}`, `id="x"`)."""
    places = list(re.finditer(r"(\{#|\bid\s*=\s*[\"']?)" + re.escape(element_id) + r"(?![\w:.-])", text))
    if not places:
        at = text.find(element_id)
        return line_of(text, at) if at >= 0 else None
    return line_of(text, places[min(nth, len(places) - 1)].start())


def safe_ids(body, ctx: Context) -> None:
    """Every id becomes one folio can write anywhere (XHTML, file names, URLs) without
    escaping, unique in the book and clear of the prefixes of folio's own ids; links
    to a rewritten id follow it."""
    elements = [el for el in body.iter() if isinstance(el.tag, str) and el.get("id") is not None]
    # A chapter's title is `<its id>-title` in the EPUB (aria-labelledby): not an author's.
    reserved = EDITION_IDS | {el.get("id") + "-title" for el in body.iter("section") if el.get("id")}
    taken = {el.get("id") for el in elements if SAFE_ID.match(el.get("id"))
             and not el.get("id").startswith(FOLIO_ID_PREFIXES) and el.get("id") not in reserved}
    kept, renamed, given, seen = set(), {}, set(), {}
    for element in elements:
        old = element.get("id")
        if old in taken and old not in kept:
            kept.add(old)
            continue
        twice = old in kept or old in renamed   # kept, or rewritten, the first time
        new = _safe_id(old, taken | kept | given | reserved)
        given.add(new)
        if not twice:   # a link to an id used twice goes to the first, as in a browser
            renamed[old] = new
        element.set("id", new)
        if "csl-entry" in (element.get("class") or "") or element.get("role") == "doc-endnotes":
            continue   # pandoc's own ids (a citation key with ':', its notes section): nothing to tell
        if not twice and PLAIN_ENOUGH.match(old):
            continue   # `lst:code`, `é`, a code line's `lst:code-3`, `contents`: rewritten, and links follow
        seen[old] = seen.get(old, 0) + 1
        ctx.reporter.warn(Diagnostic(
            "FOLIO034", f"id '{old[:60]}' {'is used twice' if twice else 'is not a plain id'}; "
            f"it is now '{new}'", ctx.manuscript.source, _id_line(ctx.manuscript.text, old, seen[old]),
            fix="give each heading and anchor its own id of letters, digits and '-'"))
    for link in body.iter("a"):   # pandoc percent-encodes fragments; ids are plain text
        href = link.get("href") or ""
        if href.startswith("#") and len(href) > 1:
            target = unquote(href[1:])
            link.set("href", "#" + renamed.get(target, target))


def _pdf_as_svg(path: Path, src: str, ctx: Context) -> bytes | None:
    """A PDF figure's first page as SVG, drawn by poppler's pdftocairo under the limits."""
    import shutil
    import subprocess
    import tempfile
    from . import sandbox
    tool = shutil.which("pdftocairo")
    if tool is None:
        ctx.warn("FOLIO031", f"image '{src}' is a PDF, and poppler's pdftocairo is not installed; it is left out",
                 src, fix="install poppler-utils (apt-get install poppler-utils), or convert the figure to SVG")
        return None
    if path.stat().st_size > bounds.MAX_IMAGE_BYTES:
        bounds.check_image(path, ctx.manuscript.source, ctx.line_of(src))   # raises FOLIO064
    with tempfile.TemporaryDirectory(prefix="folio-pdf-") as tmp:
        target = Path(tmp) / "figure.svg"
        done = sandbox.run([tool, "-svg", "-f", "1", "-l", "1", str(path.resolve()), str(target)],
                           sandbox.Limits(60, 1024), f"pdftocairo on '{src}'", ctx.manuscript.source)
        if done.returncode != 0 or not target.is_file():
            ctx.warn("FOLIO031", f"image '{src}' is not a PDF poppler can read; it is left out", src,
                     fix="export the figure again as PDF, SVG or PNG")
            return None
        return target.read_bytes()


def _read_image(path: Path, src: str, ctx: Context, shown: str | None = None) -> bytes | None:
    """The image's bytes, read once here so no edition opens the file again (a file
    swapped for a link after this step cannot reach an edition); SVG made inert.
    `shown` names it in messages instead of `src` (a `data:` URL's start)."""
    if path.suffix.lower() == ".pdf":
        data = _pdf_as_svg(path, src, ctx)
        if data is None:
            return None
    else:
        bounds.check_image(path, ctx.manuscript.source, ctx.line_of(src), shown)
        data = path.resolve().read_bytes()
        if path.suffix.lower() != ".svg":
            return _eight_bit_grey(data)
    try:
        data, removed = svg.clean_svg(data)
    except ValueError as exc:
        ctx.warn("FOLIO031", f"image '{shown or src}' is not a usable SVG ({exc}); it is left out", src,
                 fix="save the drawing again as plain SVG")
        return None
    for what in removed:
        ctx.warn("FOLIO033", f"SVG '{shown or src}': {what} removed", src,
                 fix="an SVG in a book may not run scripts or load other files; embed images as data: URLs")
    return data


def _eight_bit_grey(data: bytes) -> bytes:
    """A 16-bit greyscale PNG (a scanner's, a microscope's), which WeasyPrint draws as a
    black box ("Unknown image mode: I;16"), as 8-bit grey: the same picture in every
    edition. Any other image is left as it is."""
    from io import BytesIO
    from PIL import Image
    if not data.startswith(b"\x89PNG"):
        return data
    try:
        with Image.open(BytesIO(data), formats=["PNG"]) as image:
            if image.mode not in ("I;16", "I;16B", "I;16L", "I"):
                return data
            grey = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        out = BytesIO()
        grey.save(out, format="PNG", optimize=True)
        return out.getvalue()
    except Exception:   # noqa: BLE001 - an image Pillow cannot redraw stays as it was
        return data


IMPLIED_EXTENSIONS = (".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf")


def _with_extension(path: Path | None, root: Path) -> Path | None:
    """`img/map` names `img/map.svg` or `img/map.png`, as it does for LaTeX and pandoc
    (each candidate confined to the folder like any other path)."""
    if path is None or path.suffix or is_regular_file(path):
        return path
    candidates = (path.with_name(path.name + extension) for extension in IMPLIED_EXTENSIONS)
    return next((c for c in candidates if is_inside(c, root) and is_regular_file(c)), path)


DATA_URL = re.compile(r"\s*data:([^,;]*)((?:;[^,;]*)*?)(;base64)?,(.*)", re.I | re.S)
DATA_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
                 "image/svg+xml": ".svg"}


def _data_image(src: str, ctx: Context) -> tuple[bytes, str] | None:
    """An image written into the manuscript as a `data:` URL (Jupyter, Typora and
    pandoc's --embed-resources write them so): decoded, and checked as a file would be;
    its bytes and its name's suffix."""
    shown = src.strip()[:40] + ("" if len(src.strip()) <= 40 else "…" if len(src) < 2048
                                else f"… ({len(src) / 1024:,.0f} KB)")
    found = DATA_URL.fullmatch(src)
    suffix = DATA_SUFFIXES.get(found.group(1).strip().lower()) if found else None
    if suffix is None:
        ctx.warn("FOLIO031", f"image '{shown}' is a data: URL of no PNG, JPEG, GIF, WebP or SVG image; it is left out",
                 _image_written(src), fix="give a PNG, JPEG or SVG image, as a file in the manuscript folder")
        return None
    if re.search(r"\)\s*\n\s*\n", unquote(src)):
        # pandoc reads a `;charset=` data: URL on to the last ')' of the text, blank
        # lines and all: what follows the image would be lost inside its address
        raise error("FOLIO031", f"image '{shown}' has a data: URL that runs on past its ')' and a blank line; "
                                "the text after it would be lost", ctx.manuscript.source,
                    ctx.line_of(src[:60]) or ctx.line_of(unquote(src)[:60]) or ctx.line_of(src.split(",")[0]),
                    fix="leave ';charset=…' out of the data: URL (or save the image as a file in the manuscript folder)")
    payload = found.group(4)
    if len(payload) > bounds.MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise error("FOLIO064", f"image '{shown}' is over {bounds.MAX_IMAGE_BYTES // 2**20} MB", ctx.manuscript.source,
                    ctx.line_of(src), fix="give a smaller image, as a file in the manuscript folder")
    try:
        # percent-encoded either way (RFC 2397): pandoc writes a space in the URL as %20
        data = base64.b64decode(re.sub(r"\s+", "", unquote(payload)), validate=True) if found.group(3) \
            else unquote_to_bytes(payload)
    except (ValueError, binascii.Error):
        ctx.warn("FOLIO031", f"image '{shown}' is a data: URL that is not valid base64; it is left out",
                 _image_written(src), fix="export the image again, or save it as a file in the manuscript folder")
        return None
    with tempfile.TemporaryDirectory(prefix="folio-data-") as folder:
        path = Path(folder) / f"image{suffix}"
        path.write_bytes(data)
        read = _read_image(path, src, ctx, shown)
    return (read, suffix) if read is not None else None


def collect_images(body, ctx: Context) -> None:
    """Keep images that live in the manuscript folder, or in it as `data:` URLs; drop
    and report all others."""
    root = ctx.manuscript.root
    for img in list(body.iter("img")):
        src = img.get("src", "")
        said = DATA_URL.match(src) is not None   # _data_image says why it cannot keep one
        if said:
            data, suffix = _data_image(src, ctx) or (None, "")
        else:
            path = _with_extension(local_path(src, root), root)
            kind = mimetypes.guess_type(path.name if path else src)[0]
            found = path is not None and is_regular_file(path)
            data = _read_image(path, src, ctx) if found and kind in IMAGE_TYPES else None
            suffix = ".svg" if data is not None and path.suffix.lower() == ".pdf" else path.suffix.lower() if path else ""
        if data is None:
            if not said and (not found or kind not in IMAGE_TYPES):
                reason = ("is not in the manuscript folder" if path is None
                          else "was not found" if not found else "is not a PNG, JPEG, GIF, SVG, WebP or PDF image")
                ctx.warn("FOLIO031", f"image '{src}' {reason}; it is left out", _image_written(src),
                         fix="convert it to PNG or JPEG (a TIFF or BMP is not shown by e-readers or browsers)"
                         if found else "copy the image into the manuscript folder and give a relative path")
            parent = img.getparent()
            img.drop_tree()
            if parent is not None and parent.tag == "figure":   # the caption is the author's text: it stays
                for caption in parent.iter("figcaption"):
                    caption.attrib.pop("aria-hidden", None)   # pandoc hid it as the image's alt
                if not "".join(parent.itertext()).strip():
                    parent.drop_tree()
            continue
        name = f"images/{hashlib.sha256(data).hexdigest()[:12]}{suffix}"
        ctx.assets[name] = data
        img.set("src", name)


def set_verse(body, ctx: Context) -> None:
    """pandoc writes a line block (`| ` lines: verse, an address) as one <div> of lines
    parted by <br>, a stanza break as two. Set so, a line too long for the measure
    turns back to the margin and reads as a new line of verse, and a page may break
    anywhere in a stanza. Each stanza becomes a paragraph (`p.stanza`) and each line
    a `span.line`, which the stylesheets set as a block with a hanging indent; the
    <br>s stay between the lines, for a reader with no stylesheet."""
    for block in list(body.iter("div")):
        if "line-block" not in (block.get("class") or "").split() or block.find("br") is None:
            continue
        lines: list[list] = [[block.text or ""]]   # each line: its leading text, then its elements (tails with them)
        for child in list(block):
            if isinstance(child.tag, str) and child.tag == "br":
                lines.append([child.tail or ""])
            else:
                lines[-1].append(child)
        stanzas: list[list] = [[]]
        for line in lines:
            blank = not line[0].strip() and len(line) == 1
            if blank:
                if stanzas[-1]:
                    stanzas.append([])
            else:
                stanzas[-1].append(line)
        block.text = None
        for child in list(block):
            block.remove(child)
        for stanza in filter(None, stanzas):
            paragraph = lxml.etree.SubElement(block, "p", {"class": "stanza"})
            paragraph.tail = "\n"
            for number, (text, *elements) in enumerate(stanza):
                if number:
                    lxml.etree.SubElement(paragraph, "br").tail = "\n"
                line = lxml.etree.SubElement(paragraph, "span", {"class": "line"})
                line.text = text.lstrip("\n")
                for element in elements:
                    line.append(element)


CALLOUTS = frozenset({"note", "tip", "hint", "important", "warning", "caution", "danger", "admonition", "callout"})


def title_callouts(body, ctx: Context) -> None:
    """A callout's title (Quarto's `::: {.callout-tip title="..."}`) is text the author
    wrote: printed as the callout's first line, not kept as a tooltip no page shows.
    Without one, a callout of a known kind (`::: warning`, `.callout-tip`) is titled
    with its kind in the book's language ("Warning"), as Quarto titles it, unless its
    text opens with that word already ("**Note:** …")."""
    from .labels import words
    said = words(str(ctx.manuscript.metadata.get("lang") or "en"))["callout"]
    for div in body.iter("div"):
        classes = (div.get("class") or "").split()
        if not any(c in CALLOUTS or c.startswith("callout-") for c in classes):
            continue
        title = (div.get("title") or "").strip()
        if not title:
            kind = next((said[c.removeprefix("callout-")] for c in classes if c.removeprefix("callout-") in said), "")
            if not kind or re.match(rf"{re.escape(kind)}\b", " ".join(div.text_content().split()), re.I):
                continue
            title = kind
        div.attrib.pop("title", None)
        heading = lxml.etree.Element("p", {"class": "callout-title"})
        lxml.etree.SubElement(heading, "strong").text = title
        heading.text, heading.tail = None, div.text
        div.text = None
        div.insert(0, heading)


def mark_attributions(body, ctx: Context) -> None:
    """A block quote's last paragraph that opens with a dash is its attribution, when
    something stands before it (prose or verse). It stays a paragraph: a <footer> in a
    chapter is announced by screen readers as the page's footer landmark (DAISY Ace's
    landmark rules)."""
    for quote in body.iter("blockquote"):
        blocks = [child for child in quote if isinstance(child.tag, str)]
        if len(blocks) > 1 and blocks[-1].tag == "p" and (blocks[-1].text or "").lstrip().startswith(("—", "–", "--")):
            blocks[-1].set("class", "attribution")


def list_delimiters(body, ctx: Context) -> None:
    """The AST pass's wrapper around a `(1)` or `a)` list becomes the list's `data-delim`
    and `data-style` (a CSS counter style: `type="a"` and `type="A"` are one value to
    CSS selectors, so stylesheets cannot tell them apart)."""
    for wrapper in list(body.find_class("folio-list")):
        classes = wrapper.get("class", "").split()
        delimiter = next((c[len("delim-"):] for c in classes if c.startswith("delim-")), "")
        style = next((c[len("style-"):] for c in classes if c.startswith("style-")), "decimal")
        lists = [child for child in wrapper if child.tag == "ol"]
        if len(lists) == 1 and delimiter in ("oneparen", "twoparens"):
            lists[0].set("data-delim", delimiter)
            lists[0].set("data-style", style)
            wrapper.drop_tag()


def mark_citation_needed(body, ctx: Context) -> None:
    """'Citation needed' marks keep their date as a tooltip for readers of HTML, and
    their brackets as text: a screen reader or calibre's text reads "[citation
    needed]", not "voters citation needed" (brackets drawn by CSS are heard by nobody)."""
    from . import labels
    said = labels.words(str(ctx.manuscript.metadata.get("lang") or "en"))
    for span in body.find_class("citation-needed"):
        if span.get("data-date"):
            span.set("title", said["needed_since"].format(date=span.get("data-date")))
        if not (span.text or "").startswith("["):
            span.text = "[" + (span.text or "")
            last = span[-1] if len(span) else None
            if last is not None:
                last.tail = (last.tail or "") + "]"
            else:
                span.text += "]"


PLACEHOLDER_LINK = re.compile(r"""\]\(\s*#\s*\)|\bhref\s*=\s*(?:"#"|'#'|#(?=[\s>]))""")


def unlink_paths(body, ctx: Context) -> None:
    """A link to a bare path (`/url`, `notes.html`) leads nowhere in a book: no website
    is behind it, and in an EPUB it points outside the package (an epubcheck error). Nor
    does a link to '#' (a web page's placeholder: its top). Its text stays, unlinked, and
    the author hears of it."""
    placeholders = None   # the lines of the manuscript's links to '#', in order
    for link in list(body.iter("a")):
        href = (link.get("href") or "").strip()
        if href == "#" and link.get("href") is not None:   # a web page's placeholder: the top of no page
            if placeholders is None:
                text = ctx.manuscript.text
                placeholders = [line_of(text, m.start()) for m in PLACEHOLDER_LINK.finditer(text)]
            ctx.reporter.warn(Diagnostic(
                "FOLIO026", "link to '#', which leads nowhere; its text stays, without the link",
                ctx.manuscript.source, placeholders.pop(0) if placeholders else None,
                "link to a heading with #id, or write the text without a link"))
        elif not href or href.startswith("#") or SCHEME.match(href):
            continue
        else:
            ctx.warn("FOLIO026", f"link to '{href[:60]}', a path on no website; its text stays, without the link",
                     href, fix="give the full address (https://…), or link to a heading with #id")
        link.attrib.pop("href")
        link.tag = "span"


def reachable_captions(body, ctx: Context) -> None:
    """pandoc hides a caption that repeats its image's alt text from screen readers; a
    caption that holds a link (a note call) cannot be hidden, or the link is a focus
    stop nobody hears (axe's aria-hidden-focus)."""
    for caption in body.iter("figcaption"):
        if caption.get("aria-hidden") and any(link.get("href") for link in caption.iter("a")):
            del caption.attrib["aria-hidden"]


_MATH_TOKENS = ("mi", "mn", "mo", "mtext", "ms")
_INVISIBLE_OPERATORS = dict.fromkeys(map(ord, "\u2061\u2062\u2063\u2064"))


def _reading(node, math_as) -> str:
    """A caption's text with each formula read by `math_as(math)`."""
    parts = [node.text or ""]
    for child in node:
        if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == "math":
            parts.append(math_as(child))
        elif isinstance(child.tag, str):
            parts.append(_reading(child, math_as))
        parts.append(child.tail or "")
    return "".join(parts)


def _tex(math) -> str:
    return next((a.text or "" for a in math.iter() if isinstance(a.tag, str) and a.tag.endswith("annotation")), "")


def _spoken(math) -> str:
    tokens = (t.text or "" for t in math.iter() if isinstance(t.tag, str) and t.tag.rpartition("}")[2] in _MATH_TOKENS)
    return " ".join(filter(None, (token.translate(_INVISIBLE_OPERATORS).strip() for token in tokens)))


def readable_alt_text(body, ctx: Context) -> None:
    """pandoc makes a figure's image description of its caption, each formula as its
    TeX source (`A \\sin \\omega t`), which a screen reader spells out backslash by
    backslash. Such a description reads the formula's symbols instead ("A sin ω t");
    one the author wrote stays as written."""
    for figure in body.iter("figure"):
        caption = figure.find("figcaption")
        if caption is None or caption.find(".//math") is None:
            continue
        pandocs = " ".join(_reading(caption, _tex).split())
        for image in figure.iter("img"):
            if " ".join((image.get("alt") or "").split()) == pandocs:
                image.set("alt", " ".join(_reading(caption, _spoken).split()))


def trim_cells(body, ctx: Context) -> None:
    """A raw HTML cell written `<td>\ntext\n</td>` starts with a line break, which
    WeasyPrint counts when it sizes the column (the text then wraps word by word). White
    space at a cell's edges means nothing: take it away."""
    for cell in body.iter("td", "th"):
        if cell.text and not cell.text.strip(" \t\n"):
            cell.text = None
        elif cell.text:
            cell.text = cell.text.lstrip(" \t\n")
        last = cell[-1] if len(cell) else None
        if last is not None and last.tail:
            last.tail = last.tail.rstrip(" \t\n") or None
        elif last is None and cell.text:
            cell.text = cell.text.rstrip(" \t\n")


def quiet_line_numbers(body, ctx: Context) -> None:
    """A numbered code line's anchor holds only its number (drawn by CSS): pandoc marks
    an unnumbered block's anchors hidden from screen readers and out of the tab order,
    a numbered block's not, and a link with no name is an accessibility fault. Marked
    as for any other block."""
    for pre in body.iter("pre"):
        if "numberSource" not in (pre.get("class") or "").split():
            continue
        for code in pre.iter("code"):
            for line in code:
                anchor = line[0] if line.tag == "span" and len(line) else None
                if anchor is not None and anchor.tag == "a" and not (anchor.text or "").strip() and not len(anchor):
                    anchor.set("aria-hidden", "true")
                    anchor.set("tabindex", "-1")


PASSES = (remove_unsafe_markup, unlink_paths, safe_ids, collect_images, list_delimiters, set_verse, title_callouts,
          mark_attributions, mark_citation_needed, reachable_captions, readable_alt_text, trim_cells,
          quiet_line_numbers)

"""Cheap limits on a manuscript, checked before pandoc reads it and on its image files.

A manuscript is untrusted, and small inputs were measured to blow up the tools: 100,000
stacked `>` or `-` markers keep pandoc busy for minutes; 100,000 nested `<div>` take it
to 7 GB; a 57-byte `<td colspan="1000000000">` exhausts 4 GB in WeasyPrint; a
13,000 x 13,000 PNG costs 1.6 GB per PDF; a 19 MB paragraph is silently dropped. And
pandoc's inline parser is exponential: ten `[` nested in one another take it 4.5 s,
twenty unclosed `[` or `<span>` in one paragraph 17-30 s, each one more about doubling
that; an unclosed `[` followed by 200 KB of its paragraph takes 20 s.

`check_markdown` reads the text once, line by line, in linear time, and stops at the
first problem with a `BuildError` naming the file, the line and the fix.
`check_image` reads only an image's header. `check_tree_spans` and `tree_depth` are a
backstop on the parsed HTML tree, iterative so that no depth can exhaust the stack.

What `check_markdown` does not model: indentation-based nesting; code spans that run
over several lines; raw HTML blocks (`<pre>`, comments) whose contents pandoc keeps
verbatim. Where the reading is uncertain it errs towards counting: markers and tags in
fenced code, and tags in code spans, are still counted, against limits 16 times higher,
so code that folio sees where pandoc sees none cannot hide a bomb; a fence that never
closes is no fence to pandoc, and the text after it is read again as text.
"""
from __future__ import annotations

import html
import re
import warnings
from pathlib import Path

from .diagnostics import BuildError, error

MAX_NESTING = 32                   # block quotes and lists inside one another (markers on one line; ast.py: by indentation)
MAX_HTML_DEPTH = 256               # open raw HTML elements (and ::: fenced divs)
MAX_SPAN = 1000                    # colspan and <col span>: HTML's own cap for colspan
MAX_ROWSPAN = 65534                # HTML's own cap for rowspan
MAX_IMAGE_PIXELS = 50_000_000
MAX_IMAGE_BYTES = 50 * 2**20
MAX_BLOCK_BYTES = 2 * 2**20        # one paragraph or other block: a run of non-blank lines
MAX_INLINE_NESTING = 8             # '[' and <span> open at once in one paragraph
MAX_BRACKET_REACH = 32 * 2**10     # text after a '[' or <span> that is not yet closed
CODE_FACTOR = 16                   # looser limits inside fenced code and code spans

VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                           "param", "source", "track", "wbr", "keygen", "frame", "basefont", "isindex"})
# Elements whose end tag HTML lets an author leave out: `<li>a<li>b` is two items, not
# one inside the other, so a second one while one is open does not count as nesting.
OPTIONAL_END = frozenset({"li", "p", "td", "th", "tr", "dt", "dd", "option", "optgroup", "thead",
                          "tbody", "tfoot", "colgroup", "caption", "rt", "rp", "rb", "rtc"})

# --- block structure -------------------------------------------------------------------
# One container marker: a block quote '>' (a space after it optional), or a list marker
# followed by whitespace or the end of the line: - * + 1. 1) (1) a. a) (a) iv. #. (@) @.
_LIST_MARKER = (r"(?:[-*+:~]|\d{1,9}[.)]|[A-Za-z#@][.)]|[ivxlcdmIVXLCDM]{1,12}[.)]|@[\w-]*[.)]"
                r"|\((?:\d{1,9}|[A-Za-z#]|[ivxlcdmIVXLCDM]{1,12}|@[\w-]*)\))(?=[ \t\r]|$)")
_MARKER = re.compile(rf">|{_LIST_MARKER}")
# The run of markers a line opens with (any indentation before, blanks between).
_MARKERS = re.compile(rf"[ \t]*(?:(?:>|{_LIST_MARKER})[ \t]*)*(?:>|{_LIST_MARKER})")
# A fence opens with at most 3 spaces before it (one more after a marker, for the space
# that follows the marker): 4 spaces or a tab make indented code, which is no fence.
# A backtick fence's info string has no backtick.
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_FENCE_OPEN_AFTER_MARKER = re.compile(r"[ \t]? {0,3}(`{3,}|~{3,})(.*)")
_DIV_FENCE = re.compile(r"[ \t]*:{3,}[ \t\r]*(\S?)")

# --- inline structure ------------------------------------------------------------------
_INTERESTING = re.compile(r"[<\[\]\\]")
# An escaped character, a bracket, or the start of a tag: '<' name, then whitespace, '>'
# or '/>' (so <https://x> and <a@b> are not tags), then up to the next '<' or '>'; or a
# parenthesis, which counts only in a link's destination: after '](', until it closes.
_INLINE = re.compile(r"\\.|(\[)|(\])|<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s>]|/>|$)([^<>]*)(>?)|(\()|(\))")
_TAG_REST = re.compile(r"[^<>]*>")
_BACKTICKS = re.compile(r"(?<!\\)`+")

# --- attributes ------------------------------------------------------------------------
# span= colspan= rowspan= anywhere (raw HTML or pandoc's {colspan=...}), any case, the
# value quoted (its closing quote not required, so the scan stays linear) or not.
_SPAN_ATTRIBUTE = re.compile(r"(?<![\w.:-])(colspan|rowspan|span)[ \t\r\n\f]*=[ \t\r\n\f]*"
                             r"(\"[^\"]*|'[^']*|[^\s\"'=<>`]+)", re.I)
# How WeasyPrint reads an integer attribute (weasyprint.html.INTEGER_RE).
_INTEGER = re.compile(r"[ \t\n\f\r]*([+-]?)([0-9]+)")
SPAN_CAPS = {"span": MAX_SPAN, "colspan": MAX_SPAN, "rowspan": MAX_ROWSPAN}


def _bytes(line: str) -> int:
    return len(line) if line.isascii() else len(line.encode("utf-8", "surrogatepass"))


def _code_spans(line: str) -> list[tuple[int, int]]:
    """Where a line's code spans are: a run of n backticks up to the next run of n."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(line)]
    following: list[int | None] = [None] * len(runs)
    last: dict[int, int] = {}
    for k in range(len(runs) - 1, -1, -1):
        width = runs[k][1] - runs[k][0]
        following[k] = last.get(width)
        last[width] = k
    spans, k = [], 0
    while k < len(runs):
        j = following[k]
        if j is None:
            k += 1
        else:
            spans.append((runs[k][0], runs[j][1]))
            k = j + 1
    return spans


def span_value(value: str, markup: bool = False) -> int | None:
    """The integer WeasyPrint reads from a span attribute, capped at 10**12 (no huge ints).

    `markup`: the value as written in HTML source, its character references not yet decoded.
    """
    if markup and "&" in value:
        value = html.unescape(value)
    match = _INTEGER.match(value)
    if not match:
        return None
    digits = match.group(2).lstrip("0") or "0"
    number = 10**12 if len(digits) > 12 else int(digits)
    return -number if match.group(1) == "-" else number


def _shown(value: str, limit: int = 24) -> str:
    value = value.strip()
    return value if len(value) <= limit else value[:limit] + "…"


class _Depth:
    """Open HTML elements by name: a closing tag closes one of its own name only."""

    def __init__(self, limit: int):
        self.limit = limit
        self.open: dict[str, int] = {}
        self.depth = 0

    def tag(self, name: str, closing: bool) -> bool:
        """Count one tag; True when the depth went over the limit."""
        if closing:
            if self.open.get(name):
                self.open[name] -= 1
                self.depth -= 1
            return False
        if name in OPTIONAL_END and self.open.get(name):
            return False
        self.open[name] = self.open.get(name, 0) + 1
        self.depth += 1
        return self.depth > self.limit


def check_markdown(text: str, source: Path, first_line: int = 1) -> None:
    """Refuse a manuscript whose nesting, spans or block sizes would blow up the tools.

    `first_line` is the line number of `text`'s first line in `source`.
    Raises `BuildError` (FOLIO062 nesting, FOLIO063 spans, FOLIO065 block size).
    """
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    fences = _scan_lines(lines, source, first_line)
    _check_span_attributes(text, fences, source, first_line)


def _nesting_error(count: int, lineno: int, source: Path) -> BuildError:
    return error("FOLIO062", f"block quotes and lists nested {count} deep (at most {MAX_NESTING})",
                 source, lineno, fix="nest block quotes and lists less deeply; a '>' or list marker "
                                     "that is only text can be escaped as '\\>' or '\\-'")


def _scan_lines(lines: list[str], source: Path, first_line: int) -> list[tuple[int, int]]:
    """The per-line pass: (a) markers, (b) HTML depth, inline nesting, (d) block size.

    Returns the fenced code blocks as (first, last) line indexes, both fence lines included.
    """
    markers_match = _MARKERS.match
    fence_open = _FENCE_OPEN.match
    fence_open_after_marker = _FENCE_OPEN_AFTER_MARKER.match
    interesting = _INTERESTING.search
    html_depth = _Depth(MAX_HTML_DEPTH)
    code_depth = _Depth(MAX_HTML_DEPTH * CODE_FACTOR)
    fences: list[tuple[int, int]] = []
    fences_enabled = True
    fence = None                    # (char, length, opening index, state before it)
    block_start = None              # line index where the current block began
    block_bytes = 0
    brackets: list[tuple[int, int]] = []   # open '[' in this block: (line index, block offset)
    spans: list[tuple[int, int]] = []      # open <span> in this block
    destinations: list[list[int]] = []     # open '](' in this block: [line index, offset, parentheses]
    pending = None                  # a tag whose '>' is on a later line: (name, closing)
    count = len(lines)
    i = 0
    while True:
        if i >= count:
            if fence is None:
                break
            # An unclosed fence is no code block to pandoc: read it again as text.
            i, (block_start, block_bytes) = fence[2], fence[3]
            fence, fences_enabled, pending = None, False, None
            brackets, spans, destinations = [], [], []
            continue
        line = lines[i]
        lineno = first_line + i

        # (d) blocks: runs of non-blank lines.
        if not line or line.isspace():
            block_start, block_bytes, pending = None, 0, None
            brackets, spans, destinations = [], [], []
            i += 1
            continue
        line_start_bytes = block_bytes
        if block_start is None:
            block_start = i
        block_bytes += _block_share(line)
        if block_bytes > MAX_BLOCK_BYTES:
            raise error("FOLIO065", f"a paragraph or other block of more than {MAX_BLOCK_BYTES // 2**20} MB "
                                    f"(at most {MAX_BLOCK_BYTES // 2**20} MB in one block)",
                        source, first_line + block_start,
                        fix="break the text into paragraphs with blank lines between them")

        # (a) markers stacked at the start of the line.
        prefix = markers_match(line)
        rest = line
        if prefix:
            rest = line[prefix.end():]
            limit = MAX_NESTING * CODE_FACTOR if fence else MAX_NESTING
            if prefix.end() > limit:           # each marker takes at least one character
                markers = len(_MARKER.findall(line, 0, prefix.end()))
                if markers > limit:
                    raise _nesting_error(markers, lineno, source)

        if fence is not None:
            char, length = fence[0], fence[1]
            stripped = line.lstrip(" \t>").rstrip()
            if (len(stripped) >= length and stripped[0] == char
                    and stripped.count(char) == len(stripped)):
                fences.append((fence[2], i))
                fence = None
                brackets, spans, destinations = [], [], []
            elif "<" in line:
                for m in _INLINE.finditer(line):     # complete tags only: code has 'a <b' in it
                    if m.group(6) and m.group(4).lower() not in VOID_ELEMENTS:
                        if code_depth.tag(m.group(4).lower(), bool(m.group(3))):
                            raise _html_error(code_depth, m.group(4), lineno, source)
            i += 1
            continue

        if fences_enabled:
            opened = fence_open_after_marker(rest) if prefix else fence_open(rest)
            if opened and not (opened.group(1)[0] == "`" and "`" in opened.group(2)):
                run = opened.group(1)
                fence = (run[0], len(run), i, (block_start if i > block_start else None,
                                              line_start_bytes))
                pending = None
                brackets, spans, destinations = [], [], []
                i += 1
                continue

        # ::: fenced divs nest like <div>.
        if ":::" in line:
            div = _DIV_FENCE.match(line)
            if div:
                if html_depth.tag(":::", closing=not div.group(1)):
                    raise _html_error(html_depth, "div", lineno, source)

        # (b) raw HTML depth, and '[' / <span> nesting inside the paragraph.
        start = 0
        if pending is not None:
            rest_of_tag = _TAG_REST.match(line)
            if rest_of_tag:
                name, closing = pending
                if html_depth.tag(name, closing):
                    raise _html_error(html_depth, name, lineno, source)
                if name == "span":
                    _count_span(spans, len(brackets) + len(destinations), closing, i, line_start_bytes, lineno, source)
                start = rest_of_tag.end()
                pending = None
            elif "<" in line or ">" in line:
                pending = None
        if destinations or interesting(line, start):
            code = _code_spans(line) if "`" in line else ()
            k = 0
            closed_bracket = -1
            for m in _INLINE.finditer(line, start):
                at = m.start()
                if m.group(1):
                    brackets.append((i, line_start_bytes + at))
                    if len(brackets) + len(spans) + len(destinations) > MAX_INLINE_NESTING:
                        raise _inline_error(len(brackets) + len(spans) + len(destinations), lineno, source)
                elif m.group(2):
                    if brackets:
                        brackets.pop()
                        closed_bracket = m.end()
                elif m.group(7):
                    if at == closed_bracket:         # '](': a link's destination opens
                        destinations.append([i, line_start_bytes + at, 1])
                        if len(brackets) + len(spans) + len(destinations) > MAX_INLINE_NESTING:
                            raise _inline_error(len(brackets) + len(spans) + len(destinations), lineno, source)
                    elif destinations:
                        destinations[-1][2] += 1
                elif m.group(8):
                    if destinations:
                        destinations[-1][2] -= 1
                        if not destinations[-1][2]:
                            destinations.pop()
                elif m.group(4):
                    name = m.group(4).lower()
                    if name in VOID_ELEMENTS:
                        continue
                    closing = bool(m.group(3))
                    if not m.group(6):
                        if m.end() == len(line):
                            pending = (name, closing)    # the tag goes on on the next line
                        continue
                    while k < len(code) and code[k][1] <= at:
                        k += 1
                    if k < len(code) and code[k][0] <= at:
                        if code_depth.tag(name, closing):
                            raise _html_error(code_depth, m.group(4), lineno, source)
                        continue
                    if html_depth.tag(name, closing):
                        raise _html_error(html_depth, m.group(4), lineno, source)
                    if name == "span":
                        _count_span(spans, len(brackets) + len(destinations), closing, i, line_start_bytes + at, lineno, source)
        if brackets or spans or destinations:
            oldest = min(brackets[:1] + spans[:1] + destinations[:1], key=lambda entry: entry[1])
            if block_bytes - oldest[1] > MAX_BRACKET_REACH:
                raise error("FOLIO062", f"a '[', <span> or link destination '](' is not closed within "
                                        f"{MAX_BRACKET_REACH // 2**10} KB of the paragraph that follows it",
                            source, first_line + oldest[0],
                            fix="close it with ']', </span> or ')', or write a literal bracket as '\\['")
        i += 1
    return fences


def _count_span(spans, others: int, closing, i, offset, lineno, source) -> None:
    if closing:
        if spans:
            spans.pop()
    else:
        spans.append((i, offset))
        if others + len(spans) > MAX_INLINE_NESTING:
            raise _inline_error(others + len(spans), lineno, source)


def _inline_error(count: int, lineno: int, source: Path) -> BuildError:
    return error("FOLIO062", f"{count} brackets, <span>s or link destinations '](' open at once in one "
                             f"paragraph (at most {MAX_INLINE_NESTING}); pandoc's time grows steeply with each one",
                 source, lineno, fix="close each '[' with ']', each <span> with </span> and each '](' with ')', "
                                     "or write a literal bracket as '\\['")


def _html_error(depth: _Depth, name: str, lineno: int, source: Path) -> BuildError:
    return error("FOLIO062", f"raw HTML nested more than {depth.limit} deep (at <{name}>)", source, lineno,
                 fix="close the HTML elements you open (</div>, </span>, ...) and nest them less deeply")


def _check_span_attributes(text: str, fences: list[tuple[int, int]], source: Path, first_line: int) -> None:
    """(c) span, colspan and rowspan values over HTML's caps, outside fenced code."""
    line, counted, f = 0, 0, 0      # 0-based line index of `counted`
    for m in _span_attributes(text):
        line += text.count("\n", counted, m.start())
        counted = m.start()
        while f < len(fences) and fences[f][1] < line:
            f += 1
        if f < len(fences) and fences[f][0] <= line:
            continue
        name = m.group(1).lower()
        raw = m.group(2).lstrip("\"'")
        value = span_value(raw, markup=True)
        cap = SPAN_CAPS[name]
        if value is not None and value > cap:
            what = "rows" if name == "rowspan" else "columns"
            raise error("FOLIO063", f"{name}=\"{_shown(raw)}\" would span {value if value < 10**12 else 'over 10^12'} "
                                    f"{what} (at most {cap})", source, first_line + line,
                        fix=f"use at most {cap} {what}")


def _span_attributes(text: str):
    """`_SPAN_ATTRIBUTE.finditer(text)`, faster: find 'span' with str.find, then match there."""
    lower = text.lower()
    if len(lower) != len(text):         # a letter lowered to two: offsets would not agree
        yield from _SPAN_ATTRIBUTE.finditer(text)
        return
    at = lower.find("span")
    while at >= 0:
        start = at - 3 if at >= 3 and lower[at - 3:at] in ("col", "row") else at
        match = _SPAN_ATTRIBUTE.match(text, start)
        if match:
            yield match
            at = lower.find("span", match.end())
        else:
            at = lower.find("span", at + 4)


# --- images ----------------------------------------------------------------------------

IMAGE_FORMATS = {".png": ("PNG", ["PNG"]), ".jpg": ("JPEG", ["JPEG"]), ".jpeg": ("JPEG", ["JPEG"]),
                 ".jpe": ("JPEG", ["JPEG"]), ".gif": ("GIF", ["GIF"]), ".webp": ("WebP", ["WEBP"])}
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")
_IMAGE_FIX = "scale it down: 300 dpi at the printed size is enough (a full A4 page is 2480×3508 pixels)"


DATA_PAYLOAD = re.compile(r";base64,([A-Za-z0-9+/]{4096,}=*)")


def _block_share(line: str) -> int:
    """The line's bytes that count toward its block's: an image written in it as a
    base64 `data:` URL counts as an image (MAX_IMAGE_BYTES, once decoded), not as text;
    pandoc reads a 7 MB one in under a second."""
    size = _bytes(line) + 1
    if "base64," in line:
        for found in DATA_PAYLOAD.finditer(line):
            size -= min(len(found.group(1)), MAX_IMAGE_BYTES * 4 // 3 + 4)
    return size


def check_image(path: Path, source: Path, line: int | None, shown: str | None = None) -> tuple[int, int] | None:
    """The (width, height) of a PNG, JPEG, GIF or WebP image, read from its header only.

    None for an SVG (only its file size is checked). Raises `BuildError` only:
    FOLIO064 for an image over MAX_IMAGE_PIXELS or MAX_IMAGE_BYTES, FOLIO031 for a file
    that is missing or not a readable image of its extension's kind. `shown` names the
    image in them (a `data:` URL's start) instead of its path.
    """
    shown = shown or _image_name(path, source)
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        is_file = path.is_file()
    except (OSError, ValueError):
        size, is_file = 0, False
    if not is_file:
        raise error("FOLIO031", f"image '{shown}' was not found", source, line,
                    fix="copy the image into the manuscript folder and give a relative path")
    if size > MAX_IMAGE_BYTES:
        raise error("FOLIO064", f"image '{shown}' is {size / 2**20:.0f} MB (at most {MAX_IMAGE_BYTES // 2**20} MB)",
                    source, line, fix=_IMAGE_FIX)
    if suffix == ".svg":
        return None
    if suffix not in IMAGE_FORMATS:
        raise error("FOLIO031", f"image '{shown}' is not a PNG, JPEG, GIF, SVG or WebP image", source, line,
                    fix="convert it to PNG or JPEG")
    kind, formats = IMAGE_FORMATS[suffix]
    from PIL import Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=formats) as image:     # reads the header only
                width, height = image.size
            if kind == "PNG":   # its chunks' checksums, without decoding: a file cut short fails here
                with Image.open(path, formats=formats) as image:
                    image.verify()
    except Image.DecompressionBombError as exc:
        found = _BOMB_PIXELS.search(str(exc))
        pixels = f"{int(found.group(1)) / 1e6:,.0f} megapixels" if found else "too many pixels"
        raise error("FOLIO064", f"image '{shown}' has {pixels} (at most {MAX_IMAGE_PIXELS // 10**6} megapixels)",
                    source, line, fix=_IMAGE_FIX) from None
    except Exception:     # noqa: BLE001 - any failure to read it is the same diagnostic
        raise error("FOLIO031", f"image '{shown}' is not a valid {kind} image", source, line,
                    fix=f"open it in an image editor and save it again as {kind}") from None
    if width <= 0 or height <= 0:
        raise error("FOLIO031", f"image '{shown}' is not a valid {kind} image ({width}×{height} pixels)",
                    source, line, fix=f"open it in an image editor and save it again as {kind}")
    if width * height > MAX_IMAGE_PIXELS:
        raise error("FOLIO064", f"image '{shown}' is {width}×{height} pixels, {width * height / 1e6:,.0f} megapixels "
                                f"(at most {MAX_IMAGE_PIXELS // 10**6} megapixels)", source, line, fix=_IMAGE_FIX)
    return width, height


def _image_name(path: Path, source: Path) -> str:
    try:
        return str(path.relative_to(source.parent))
    except ValueError:
        return str(path)


# --- the tree after pandoc -------------------------------------------------------------

def _walk(root):
    """(element, depth) for every element under `root`, depth first, without recursion.

    The path down to the current element is held: lxml frees an element's proxy by
    walking up to the nearest ancestor that still has one, so letting the path go would
    make a walk of a 100,000-deep tree quadratic.
    """
    path = [root]
    children = [iter(root)]
    if not isinstance(root.tag, str):
        return
    yield root, 1
    while children:
        element = next(children[-1], None)
        if element is None:
            children.pop()
            path.pop()
        elif isinstance(element.tag, str):
            path.append(element)
            children.append(iter(element))
            yield element, len(path)


def check_tree_spans(root) -> list[tuple[str, str]]:
    """(tag, 'attribute=value') for each span, colspan or rowspan over the caps, anywhere under `root`."""
    found = []
    for element, _ in _walk(root):
        if not len(element.attrib):
            continue
        for name, value in element.attrib.items():
            key = name.lower()
            cap = SPAN_CAPS.get(key)
            if cap is None:
                continue
            number = span_value(value)
            if number is not None and number > cap:
                found.append((element.tag, f"{key}={_shown(value)}"))
    return found


def tree_depth(root) -> int:
    """The number of elements on the longest path down from `root` (1 for a leaf), without recursion."""
    return max((depth for _, depth in _walk(root)), default=0)


MAX_TREE_DEPTH = MAX_HTML_DEPTH + 2 * MAX_NESTING   # raw HTML inside nested quotes and lists


def check_tree(root, source: Path) -> None:
    """The backstop after pandoc, for what the text checks could not see: the tree
    is as deep and the spans as wide as the checks before pandoc allow, or the build stops."""
    depth = tree_depth(root)
    if depth > MAX_TREE_DEPTH:
        raise error("FOLIO062", f"the manuscript is nested {depth} elements deep (the limit is {MAX_TREE_DEPTH})",
                    source, fix="flatten deeply nested lists, quotes or HTML elements")
    spans = check_tree_spans(root)
    if spans:
        tag, attribute = spans[0]
        raise error("FOLIO063", f"<{tag} {attribute}> is wider than a page can hold", source,
                    fix="use at most 1000 columns")

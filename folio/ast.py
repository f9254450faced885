"""Passes over pandoc's AST (its JSON), between reading the Markdown and writing HTML.

Here structure is explicit: an ordered list knows its delimiter, which pandoc's HTML
writer drops; a figure, a table and an equation carry their labels, and a
cross-reference is a citation node before citeproc would take it for a missing key.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field

import orjson

from . import labels
from .bounds import VOID_ELEMENTS

DELIMITERS = {"OneParen": "oneparen", "TwoParens": "twoparens"}   # Period and default: browsers' own
STYLES = {"LowerAlpha": "lower-alpha", "UpperAlpha": "upper-alpha", "LowerRoman": "lower-roman",
          "UpperRoman": "upper-roman"}   # as CSS names them


def _walk(node, visit, kinds: frozenset):
    """Apply `visit` to every node (dict with a 't') whose type is in `kinds`, children
    first; `visit` may return a replacement node. Lists and maps are changed in place,
    and a leaf (a word, a space) of a type not asked for is passed over: a long book's
    AST has millions of them, and a call for each was most of a pass's time."""
    kind = type(node)
    if kind is list:
        passed_over = LEAVES - kinds
        for i, item in enumerate(node):
            kind = type(item)
            if kind is dict:
                leaf = item.get("t")
                if type(leaf) is str and leaf in passed_over:   # is_leaf, inline: called millions of times
                    continue
            elif kind is not list:
                continue
            changed = _walk(item, visit, kinds)
            if changed is not item:
                node[i] = changed
        return node
    if kind is dict:
        if "t" not in node:   # the metadata map, a citation: walk every value
            for key, value in node.items():
                if type(value) in _BRANCHES:
                    node[key] = _walk(value, visit, kinds)
            return node
        content = node.get("c")
        if type(content) in _BRANCHES:
            node["c"] = _walk(content, visit, kinds)
        kind = node["t"]
        if type(kind) is not str or kind not in kinds:   # an author's metadata key 't' holds a map
            return node
        return visit(node) or node
    return node


def to_json(node) -> bytes:
    """pandoc's JSON for `node`, compact. orjson writes a long book's AST in a fifth
    of the standard library's time, but stops at 255 levels, which a manuscript's
    nested divs may pass (bounds.py allows 256): those go through `json`."""
    try:
        return orjson.dumps(node)
    except orjson.JSONEncodeError:
        return json.dumps(node, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def from_json(data: bytes):
    """`to_json`'s reverse, by the standard library: orjson reads faster, but a long
    book's AST read by it left some 100 MB more of this process's memory in use
    through pandoc's runs (measured at 50x: 217 MB against 110)."""
    return json.loads(data)


LEAVES = frozenset({"Str", "Space", "SoftBreak", "LineBreak"})   # nodes with no nodes inside


def is_leaf(item) -> bool:
    """A word, a space or a break: nothing a pass walks into."""
    if type(item) is not dict:
        return False
    kind = item.get("t")
    return type(kind) is str and kind in LEAVES
_BRANCHES = (list, dict)


def keep_list_delimiters(document: dict, manuscript=None, warn=None) -> dict:
    """`(2)` and `a)` lists: wrap the list in a Div whose class names its delimiter,
    which book.py moves onto the <ol> as `data-delim`."""
    def visit(node):
        if node["t"] != "OrderedList":
            return None
        delimiter = DELIMITERS.get(node["c"][0][2]["t"])
        if delimiter is None:
            return None
        style = STYLES.get(node["c"][0][1]["t"], "decimal")
        return {"t": "Div", "c": [["", ["folio-list", f"delim-{delimiter}", f"style-{style}"], []], [node]]}
    document["blocks"] = _walk(document["blocks"], visit, frozenset({"OrderedList"}))
    return document




# Cross-references, in pandoc-crossref's syntax (`{#fig:x}`, `@fig:x`) and Quarto's
# (`{#fig-x}`, `@fig-x`): figures, tables and equations numbered per chapter, sections
# by their number; each reference becomes a link.
KINDS = ("fig", "tbl", "eq", "sec", "lst")
LABEL = re.compile(r"^(fig|tbl|eq|sec|lst)[:-][\w.:-]+$", re.UNICODE)
CAPITALISED = re.compile(r"^(Fig|Tbl|Eq|Sec|Lst)(?=[:-])")   # pandoc-crossref's `@Fig:x` at a sentence's start
EQUATION_LABEL = re.compile(r"^\{#((?:eq)[:-][\w.:-]+)\}$")


@dataclass
class Numbering:
    """Labels found in one walk over the document, with the number each prints."""
    chapter_level: int
    numbers: dict = field(default_factory=dict)   # label -> (kind, "3.2")
    anchors: dict = field(default_factory=dict)   # label -> the id it links to, where not _anchor(label)
    captions: dict = field(default_factory=dict)  # label -> its caption's inlines, for lists of figures
    titled: set = field(default_factory=set)      # labels of unnumbered sections, referred to by title
    chapter: int = 0
    appendix: int = 0      # appendices so far: lettered A, B, …
    current: str = ""      # the number the current chapter prints: "3", or "B" in an appendix
    counts: dict = field(default_factory=dict)
    sections: list = field(default_factory=list)

    def next(self, kind: str) -> str:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return f"{self.current}.{self.counts[kind]}" if self.current else str(self.counts[kind])


def appendix_letter(count: int) -> str:
    """The letter of the `count`th appendix: A … Z, then AA, AB, … as LaTeX's \\Alph
    cannot (it stops at Z)."""
    letters = ""
    while count > 0:
        count, rest = divmod(count - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _anchor(label: str) -> str:
    """A label as an id folio can write anywhere: `fig:lamp` -> `fig-lamp`."""
    return label.replace(":", "-")


def _text(text: str) -> list:
    return [{"t": "Str", "c": text}]


def plain_text(node) -> str:
    """Inlines or blocks of pandoc's AST as plain text (markup gone, spaces kept)."""
    if isinstance(node, list):
        return "".join(plain_text(item) for item in node)
    if not isinstance(node, dict):
        return ""
    kind, content = node.get("t"), node.get("c")
    if kind == "Str":
        return content
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind in ("Code", "Math", "RawInline"):
        return content[-1]
    return plain_text(content)


_NOT_LISTED = frozenset({"Note"})   # a caption's note is printed once, under the figure
_ATTRIBUTED = frozenset({"Span", "Link", "Code", "Image"})


def _listed_copy(inlines: list, drop: frozenset) -> list:
    """A copy of `inlines` for a list of figures: no notes (nor `drop`), no ids (the
    caption keeps them), no label spans."""
    kept = []
    for node in inlines:
        if not isinstance(node, dict):
            continue
        kind = node.get("t")
        if kind in drop:
            while kept and kept[-1].get("t") in ("Space", "SoftBreak"):   # "after @key" -> "after"
                kept.pop()
            continue
        if kind == "Span" and not node["c"][1] and LABEL.match(node["c"][0][0]):
            continue
        node = copy.deepcopy(node)
        if kind in _ATTRIBUTED:
            node["c"][0][0] = ""
        if kind in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps", "Underline"):
            node["c"] = _listed_copy(node["c"], drop)
        elif kind in ("Span", "Link", "Quoted"):
            node["c"][1] = _listed_copy(node["c"][1], drop)
        kept.append(node)
    return kept


def _listed_caption(caption: list) -> list:
    """A caption's words as its entry in a list of figures: its inlines (citations
    kept, for citeproc to render there as well), without its notes."""
    inlines: list = []
    for block in caption:
        if isinstance(block, dict) and block.get("t") in ("Plain", "Para"):
            if inlines:
                inlines.append({"t": "Space"})
            inlines += _listed_copy(block["c"], _NOT_LISTED)
    return inlines


def _label_from_caption(attr: list, caption: list, kind: str) -> None:
    """A label written as an empty span in the caption (`[]{#tbl:x}`) labels the table."""
    for block in caption:
        if block.get("t") not in ("Plain", "Para"):
            continue
        for i, inline in enumerate(block["c"]):
            if inline.get("t") == "Span" and not inline["c"][1] and LABEL.match(inline["c"][0][0]) \
                    and inline["c"][0][0].startswith(kind):
                attr[0] = inline["c"][0][0]
                del block["c"][i]
                while block["c"] and block["c"][-1].get("t") in ("Space", "SoftBreak"):
                    block["c"].pop()
                return


def _figure(label: str, classes: list, caption_inlines: list, content: list) -> dict:
    return {"t": "Figure", "c": [[label, classes, []], [None, [{"t": "Plain", "c": caption_inlines}]
                                                        if caption_inlines else []], content]}


LISTING_CAPTION = re.compile(r"^(Listing:|:)$")


def _gather_listings(blocks: list) -> list:
    """pandoc-crossref's three ways to caption a code block labelled `lst:` become a
    figure of class `listing`: a `caption` attribute, a `Listing: …` (or `: …`)
    paragraph just before, or a `listing` div whose first paragraph is the caption."""
    result: list = []
    for block in blocks:
        kind = block.get("t") if isinstance(block, dict) else None
        before = result[-1] if result else None
        labelled = _labelled_caption(block)
        if labelled and before and before.get("t") == "CodeBlock" and not before["c"][0][0]:
            result[-1] = _figure(labelled[0], ["listing"], labelled[1], [before])   # caption after the code
            continue
        if kind == "CodeBlock" and not block["c"][0][0] and before and _labelled_caption(before):
            label, caption = _labelled_caption(before)
            result[-1] = _figure(label, ["listing"], caption, [block])   # caption before, label in it
            continue
        if kind == "CodeBlock" and block["c"][0][0].startswith("lst:"):
            attr = block["c"][0]
            label, attributes = attr[0], dict(attr[2])
            caption = _text(attributes.pop("caption")) if "caption" in attributes else []
            before = result[-1] if result else None
            if not caption and before and before.get("t") == "Para" and before["c"] and \
                    before["c"][0].get("t") == "Str" and LISTING_CAPTION.match(before["c"][0]["c"]):
                caption = before["c"][2:] if len(before["c"]) > 2 else []
                result.pop()
            code = {"t": "CodeBlock", "c": [["", attr[1], list(attributes.items())], block["c"][1]]}
            result.append(_figure(label, ["listing"], caption, [code]))
            continue
        if kind == "Div" and block["c"][0][0].startswith("lst:") and "listing" in block["c"][0][1]:
            inner = block["c"][1]
            caption = inner[0]["c"] if inner and inner[0].get("t") in ("Para", "Plain") else []
            result.append(_figure(block["c"][0][0], ["listing"], caption, inner[1:] if caption else inner))
            continue
        if isinstance(block, dict) and isinstance(block.get("c"), list):
            block["c"] = [_gather_listings(item) if _is_blocks(item) else item for item in block["c"]]
        result.append(block)
    return result


LISTING_LABEL = re.compile(r"^\{#(lst:[\w.:-]+)\}$")


def _labelled_caption(block) -> tuple[str, list] | None:
    """`: Code caption {#lst:code}` (or `Listing: … {#lst:code}`): the label and caption."""
    if not isinstance(block, dict) or block.get("t") != "Para" or len(block["c"]) < 3:
        return None
    first, last = block["c"][0], block["c"][-1]
    if first.get("t") != "Str" or not LISTING_CAPTION.match(first["c"]) or last.get("t") != "Str":
        return None
    found = LISTING_LABEL.match(last["c"])
    if not found:
        return None
    caption = block["c"][2:-1]
    while caption and caption[-1].get("t") in ("Space", "SoftBreak"):
        caption = caption[:-1]
    return found.group(1), caption


def _is_blocks(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "t" in v for v in value) \
        and value[0]["t"] in ("Para", "Plain", "CodeBlock", "Div", "Figure", "Header", "BlockQuote", "Table",
                              "BulletList", "OrderedList", "RawBlock", "DefinitionList", "LineBlock")


def _gather_subfigures(node):
    """pandoc-crossref's subfigures: a div labelled `fig:` holding figures, its last
    paragraph the caption, becomes one figure whose parts are lettered."""
    if node["t"] != "Div" or not LABEL.match(node["c"][0][0]) or not node["c"][0][0].startswith("fig"):
        return None
    inner = node["c"][1]
    caption = inner[-1]["c"] if inner and inner[-1].get("t") in ("Para", "Plain") else []
    parts = inner[:-1] if caption else inner
    for part in parts:
        if part.get("t") == "Figure":
            part["c"][0][1] = part["c"][0][1] + ["folio-subfigure"]
    return _figure(node["c"][0][0], node["c"][0][1] + ["subfigures"], caption, parts)


def _subfigures(figure: dict) -> list:
    return [part for part in figure["c"][2] if isinstance(part, dict) and part.get("t") == "Figure"
            and "folio-subfigure" in part["c"][0][1]]


def _header_levels(blocks) -> list[int]:
    return [b["c"][0] for b in blocks if isinstance(b, dict) and b.get("t") == "Header"]


def number_labels(document: dict, lang: str, auto_sections: bool = False) -> Numbering:
    """Walk the top-level blocks in order: count chapters, give each label its number,
    and put the number into captions and beside equations."""
    document["blocks"] = _gather_listings(document["blocks"])
    document["blocks"] = _walk(document["blocks"], _gather_subfigures, frozenset({"Div"}))
    levels = _header_levels(document["blocks"])
    numbering = Numbering(min(levels) if levels else 1)
    said = labels.words(lang)

    def label_caption(caption: list, text: str) -> None:
        prefix = [{"t": "Span", "c": [["", ["caption-label"], []], _text(text)]}, {"t": "Space"}]
        if caption and caption[0]["t"] in ("Plain", "Para"):
            caption[0]["c"] = prefix + caption[0]["c"]
        else:
            caption.insert(0, {"t": "Plain", "c": prefix[:1]})

    def caption_label(node, kind: str) -> None:
        attr = node["c"][0]
        caption = node["c"][1][1]
        if not attr[0]:
            _label_from_caption(attr, caption, kind)   # `: Caption []{#tbl:x}`
        label = attr[0]
        if node["t"] == "Figure" and "listing" in attr[1]:
            kind = "lst"
        if "folio-subfigure" in attr[1] or not LABEL.match(label) or not label.startswith(kind):
            return
        number = numbering.next(kind)
        numbering.numbers[label] = (kind, number)
        numbering.captions[label] = _listed_caption(caption)
        attr[0] = _anchor(label)
        label_caption(caption, f"{said[kind][0]} {number}.")
        letters = iter("abcdefghijklmnopqrstuvwxyz")
        for sub in _subfigures(node):   # (a), (b): referred to as 3.2a
            letter = next(letters, "z")
            sub_attr = sub["c"][0]
            if LABEL.match(sub_attr[0]):
                numbering.numbers[sub_attr[0]] = (kind, f"{number}{letter}")
                sub_attr[0] = _anchor(sub_attr[0])
            label_caption(sub["c"][1][1], f"({letter})")
            sub_attr[1] = ["subfigure" if c == "folio-subfigure" else c for c in sub_attr[1]]

    def visit(node):
        kind = node["t"]
        if kind == "Header":
            level, attr = node["c"][0], node["c"][1]
            if level == numbering.chapter_level:
                numbered = "unnumbered" not in attr[1]
                if numbered and APPENDIX in attr[1]:
                    numbering.appendix += 1
                    numbering.current = appendix_letter(numbering.appendix)
                elif numbered:
                    numbering.chapter += 1
                    numbering.current = str(numbering.chapter)
                if numbered:   # an unnumbered chapter's figures go on counting, as in LaTeX: never two 1.1s
                    numbering.counts = {}
                numbering.sections = [numbering.current] if numbered else []
            elif level > numbering.chapter_level and numbering.sections:
                depth = level - numbering.chapter_level
                trimmed = numbering.sections[:depth + 1]
                trimmed += [0] * (depth + 1 - len(trimmed))
                trimmed[depth] += 1
                numbering.sections = trimmed
            number = ".".join(map(str, numbering.sections)) if numbering.sections else None
            label = attr[0] if LABEL.match(attr[0]) and attr[0].startswith("sec") else \
                "sec:" + attr[0] if auto_sections and attr[0] else None   # pandoc-crossref's autoSectionLabels
            if label:
                # An unnumbered section is referred to by its title, without the word "Section".
                kind = "sec" if level != numbering.chapter_level or not number else \
                    "app" if APPENDIX in attr[1] else "chap"   # "Chapter 3", "Appendix A", "Section 3.2"
                numbering.numbers[label] = (kind, number or plain_text(node["c"][2]))
                if not number:
                    numbering.titled.add(label)
                if label == attr[0]:
                    attr[0] = _anchor(attr[0])
                else:
                    numbering.anchors[label] = attr[0]
        elif kind == "Figure":
            caption_label(node, "fig")
        elif kind == "Table":
            caption_label(node, "tbl")
        elif kind == "Para":
            inlines = node["c"]
            for i, inline in enumerate(inlines):
                if inline["t"] != "Str" or not EQUATION_LABEL.match(inline["c"]):
                    continue
                math = next((j for j in range(i - 1, -1, -1) if inlines[j]["t"] == "Math"), None)
                if math is None:
                    continue
                label = EQUATION_LABEL.match(inline["c"]).group(1)
                number = numbering.next("eq")
                numbering.numbers[label] = ("eq", number)
                equation = {"t": "Span", "c": [[_anchor(label), ["equation"], []], [
                    inlines[math], {"t": "Span", "c": [["", ["equation-number"], []], _text(f"({number})")]}]]}
                inlines[math:i + 1] = [equation]
                break
        return None

    kinds = frozenset({"Header", "Figure", "Table", "Para"})
    for block in document["blocks"]:
        _walk([block], visit, kinds)
    return numbering


def link_references(document: dict, numbering: Numbering, lang: str, text: str, source,
                    bibliographies=()) -> None:
    """Each `@fig:x` (or `[@fig:a; @fig:b]`, `[-@fig:x]`) becomes a link with the number;
    a reference to no label stops the build with its line."""
    said = labels.words(lang)
    unknown = []
    keys: dict = {}

    def cited_keys() -> set:
        if "all" not in keys:
            from .manuscript import bibliography_keys
            keys["all"] = {k for path in bibliographies for k in bibliography_keys(path)}
        return keys["all"]

    def visit(node):
        if node["t"] != "Cite":
            return None
        citations = node["c"][0]
        for citation in citations:
            if CAPITALISED.match(citation["citationId"]):
                citation["citationId"] = citation["citationId"][0].lower() + citation["citationId"][1:]
        ids = [c["citationId"] for c in citations]
        labelled = [i for i in ids if LABEL.match(i) and not (i not in numbering.numbers and i in cited_keys())]
        if not labelled:
            return None
        missing = [i for i in labelled if i not in numbering.numbers]
        if missing:
            unknown.extend(missing)
            return None
        refs = [c for c in citations if c["citationId"] in labelled]
        others = [c for c in citations if c["citationId"] not in labelled]   # real citations, for citeproc
        bare = citations[0]["citationMode"]["t"] == "SuppressAuthor"
        groups: list = []   # consecutive references of one kind share a word: "Figures 1.1 and 1.2"
        for citation in refs:
            kind = numbering.numbers[citation["citationId"]][0]
            if citation["citationId"] in numbering.titled:
                kind = "titled"   # its own group, printed without a word
            if groups and groups[-1][0] == kind:
                groups[-1][1].append(citation)
            else:
                groups.append((kind, [citation]))
        pieces = []
        for g, (kind, members) in enumerate(groups):
            if g:
                pieces += _text(", ")
            if not bare and kind != "titled":
                pieces += _text(said[kind][1 if len(members) > 1 else 0]) + [{"t": "Str", "c": "\u00a0"}]
            for n, citation in enumerate(members):
                if n:
                    pieces += _text(f" {said['and']} " if n == len(members) - 1 else ", ")
                label = citation["citationId"]
                pieces.append({"t": "Link", "c": [["", ["crossref"], []], _text(numbering.numbers[label][1]),
                                                  ["#" + numbering.anchors.get(label, _anchor(label)), ""]]})
        if others:
            pieces += _text("; ") + [{"t": "Cite", "c": [others, _text("[" + "; ".join(
                "@" + c["citationId"] for c in others) + "]")]}]
        return {"t": "Span", "c": [["", ["crossref-group"], []], pieces]}

    document["blocks"] = _walk(document["blocks"], visit, frozenset({"Cite"}))
    if unknown:
        from .diagnostics import BuildError, Diagnostic, line_of
        problems = []
        for label in dict.fromkeys(unknown):
            at = text.find("@" + label)
            if at < 0:   # \ref{fig:x} in raw LaTeX
                latex = re.search(r"\\\w*ref\*?\s*\{" + re.escape(label) + r"\}", text)
                at = latex.start() if latex else -1
            in_math = re.search(r"\\label\s*\{" + re.escape(label) + r"\}", text) is not None
            problems.append(Diagnostic("FOLIO028", f"cross-reference '@{label}' names no figure, table, equation "
                                       "or section", source, line_of(text, at) if at >= 0 else None,
                                       fix=f"a \\label inside $$ … $$ labels nothing: write $$ … $$ {{#{label}}}, "
                                       "or put the formula in \\begin{equation} … \\label{" + label + "} … "
                                       "\\end{equation}" if in_math else
                                       f"label the target with {{#{label}}} (in LaTeX, \\label{{{label}}}), "
                                       "or correct the reference"))
        raise BuildError(*problems)


LIST_OF = "folio-list-of-"   # a placeholder Div's class, from `\listoffigures` (latex.py)


def fill_lists(document: dict, numbering: Numbering, lang: str, note_style: bool = False) -> None:
    """`\\listoffigures`, `\\listoftables`, `\\listoflistings`: a heading and one linked
    line per numbered figure, table or listing, in the book's words. In a note style
    a caption's citation would become a note in the list: there it is left out."""
    said = labels.words(lang)
    drop = _NOT_LISTED | {"Cite"} if note_style else _NOT_LISTED

    def visit(node):
        if node["t"] != "Div" or not any(c.startswith(LIST_OF) for c in node["c"][0][1]):
            return None
        kind = next(c for c in node["c"][0][1] if c.startswith(LIST_OF))[len(LIST_OF):]
        items = [[{"t": "Plain", "c": [{"t": "Link", "c": [["", ["crossref"], []],
                                                          _text(f"{said[kind][0]} {number}"),
                                                          ["#" + _anchor(label), ""]]},
                                       {"t": "Str", "c": ". "}, *_listed_copy(numbering.captions[label], drop)]}]
                 for label, (found, number) in numbering.numbers.items()
                 if found == kind and label in numbering.captions]   # subfigures are listed with their figure
        title = said["list_of"][kind]
        return {"t": "Div", "c": [["", ["list-of", f"list-of-{kind}"], []], [
            {"t": "Para", "c": [{"t": "Strong", "c": _text(title)}]},
            {"t": "BulletList", "c": items} if items else {"t": "Plain", "c": []}]]}

    document["blocks"] = _walk(document["blocks"], visit, frozenset({"Div"}))


def cross_references(document: dict, manuscript, warn=None, lists_of: bool = True) -> dict:
    """Labels numbered, references linked, and lists of figures filled (`lists_of`:
    whether the document may hold such a list, see `Kinds`)."""
    lang = str(manuscript.metadata.get("lang") or "en")
    auto = str(manuscript.metadata.get("autoSectionLabels", "")).lower() in ("true", "yes", "1")
    numbering = number_labels(document, lang, auto)
    link_references(document, numbering, lang, manuscript.text, manuscript.source, manuscript.bibliography)
    if lists_of:
        from .csl import is_note_style
        fill_lists(document, numbering, lang, bool(manuscript.style) and is_note_style(manuscript.style))
    return document


# Raw markup is the one thing in the AST an author wrote verbatim. Raw HTML reaches the
# HTML parser only if every tag in it is one folio keeps: an unclosed <title> or
# <textarea> would swallow the rest of the book there, an <embed> would nest what
# follows, and a <folio-body> would impersonate folio's own wrapper. Anything else is
# turned into its plain text here, with a warning; raw LaTeX, which pandoc's HTML
# writer drops, is named.
TAG = re.compile(r"<\s*/?\s*([A-Za-z][\w:.-]*)")
CODE_CONTENT = re.compile(r"<(script|style|template)\b.*?(</\1\s*>|$)", re.I | re.S)
HTML_FORMATS = {"html", "html4", "html5"}


COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)   # an author's note to self: no tag in it counts


def _visible_text(raw: str) -> str:
    from html import unescape
    return " ".join(unescape(re.sub(r"<[^>]*>?", " ", CODE_CONTENT.sub(" ", COMMENT.sub(" ", raw)))).split())


# Elements that restructure what follows when left open (a table part pulls the next
# chapters into its cell): raw HTML may use them only opened and closed in one node.
STRUCTURAL = set("""table caption colgroup thead tbody tfoot tr td th section article aside header footer
    nav main pre details summary figure figcaption blockquote ul ol li dl dt dd div p h1 h2 h3 h4 h5 h6
    address""".split())
# In metadata (a title, a credit) only phrasing: anything else would leave the field.
PHRASING = set("""a abbr b bdi bdo br cite code del dfn em i ins kbd mark q rp rt ruby s samp small span
    strong sub sup time u var wbr""".split())


TAG_PARTS = re.compile(r"<\s*(/?)\s*([A-Za-z][\w:.-]*)[^>]*?(/?)>")   # closing?, name, self-closed?


def _balanced(raw: str) -> bool:
    depth: dict[str, int] = {}
    for match in TAG_PARTS.finditer(COMMENT.sub("", raw)):
        name = match.group(2).lower()
        if name in STRUCTURAL and not match.group(3):
            depth[name] = depth.get(name, 0) + (-1 if match.group(1) else 1)
            if depth[name] < 0:
                return False
    return not any(depth.values())


MAX_RUN = 2000   # raw blocks one element may span (a long raw table): bounds the search


def _is_raw_html_block(node) -> bool:
    return isinstance(node, dict) and node.get("t") == "RawBlock" and str(node["c"][0]).lower() in HTML_FORMATS


def _has_header(node) -> bool:
    if isinstance(node, list):
        return any(_has_header(item) for item in node)
    if isinstance(node, dict):
        return node.get("t") == "Header" or any(_has_header(v) for v in node.values() if isinstance(v, (list, dict)))
    return False


def mark_balanced_runs(node) -> None:
    """pandoc splits a raw `<table>` or `<details>` with Markdown inside into raw pieces
    with pandoc's blocks between them. A run of sibling pieces that together closes what
    it opens is one element the author wrote whole: its pieces are marked to be kept."""
    if type(node) is dict:
        for value in node.values():
            if type(value) in _BRANCHES:
                mark_balanced_runs(value)
        return
    if type(node) is not list:
        return
    raw_html = False
    for item in node:   # words and spaces passed over inline: a long book has millions
        kind = type(item)
        if kind is dict:
            leaf = item.get("t")
            if type(leaf) is str and leaf in LEAVES:
                continue
            if leaf == "RawBlock":
                raw_html = raw_html or _is_raw_html_block(item)
                continue
        elif kind is not list:
            continue
        mark_balanced_runs(item)
    if not raw_html:
        return
    i = 0
    while i < len(node):
        item = node[i]
        if not _is_raw_html_block(item) or _balanced(item["c"][1]):
            i += 1
            continue
        raw, end = [item["c"][1]], None
        for j in range(i + 1, min(len(node), i + MAX_RUN)):
            if _has_header(node[j]):   # a section boundary: what it opens must close before
                break
            if _is_raw_html_block(node[j]):
                raw.append(node[j]["c"][1])
                if _balanced("".join(raw)):
                    end = j
                    break
        if end is None:
            i += 1
            continue
        for j in range(i, end + 1):
            if _is_raw_html_block(node[j]):
                node[j]["folio-run"] = True
        i = end + 1


CODE_OPENS = re.compile(r"<(script|style|template)(?=[\s/>])[^>]*>", re.I)


def _drop_code_between(node, warn, line_of) -> None:
    """pandoc reads an inline `<style>` (and a `<template>`) as two raw tags with what
    they hold as words between them; a browser reads those words as a stylesheet, or not
    at all. They go with their tags, said with what they held, rather than printed as
    text."""
    if type(node) is dict:
        content = node.get("c")
        if type(content) is list:
            _drop_code_between(content, warn, line_of)
        return
    if type(node) is not list:
        return
    at = 0
    while at < len(node):
        item = node[at]
        opened = CODE_OPENS.fullmatch(item["c"][1].strip()) if type(item) is dict and item.get("t") == "RawInline" \
            and type(item.get("c")) is list and len(item["c"]) == 2 and type(item["c"][1]) is str else None
        if opened is not None:
            closing = re.compile(rf"</\s*{opened.group(1)}\s*>", re.I)
            end = next((i for i in range(at + 1, len(node)) if type(node[i]) is dict and node[i].get("t") == "RawInline"
                        and closing.fullmatch(str(node[i]["c"][1]).strip())), None)
            if end is not None:
                held = " ".join(plain_text(node[at + 1:end]).split())
                name = opened.group(1).lower()
                warn("FOLIO030", f"raw <{name}> is left out with what it holds" + (f": '{held[:60]}'" if held else ""),
                     item["c"][1], f"a <{name}> is not text; to show the tag itself, write it as code: `<{name}>`",
                     line_of(item["c"][1]))
                item["folio-said"] = node[end]["folio-said"] = True
                del node[at + 1:end]
        elif type(item) in (dict, list):
            _drop_code_between(item, warn, line_of)
        at += 1


def neutralize_raw_markup(document: dict, manuscript, warn) -> dict:
    from .transforms import ALLOWED_ELEMENTS, FOLIO_ELEMENTS
    keep = ALLOWED_ELEMENTS - FOLIO_ELEMENTS - {"html", "body"}
    in_meta = [False]
    mark_balanced_runs(document["blocks"])
    if CODE_OPENS.search(manuscript.text):   # an inline <style>'s words
        seen: dict = {}

        def nth_line(raw: str) -> int | None:   # the n-th tag written so is at the n-th place
            seen[raw] = seen.get(raw, 0) + 1
            at = -1
            for _ in range(seen[raw]):
                at = manuscript.text.find(raw, at + 1)
                if at < 0:
                    return None
            return manuscript.text.count("\n", 0, at) + 1
        _drop_code_between(document["blocks"], warn, nth_line)

    def visit(node):
        kind = node["t"]
        if kind not in ("RawBlock", "RawInline"):
            return None
        in_run = node.pop("folio-run", False)
        said = node.pop("folio-said", False)   # by _drop_code_between
        form, raw = node["c"]
        if form.lower() in ("latex", "tex"):
            warn("FOLIO029", f"raw LaTeX '{raw[:50]}' is left out of every edition", raw,
                 "write it in Markdown (figures, tables and references have Markdown forms)")
            return None
        if form.lower() not in HTML_FORMATS:
            return None
        tags = {name.lower() for name in TAG.findall(COMMENT.sub("", raw))}
        allowed = PHRASING if in_meta[0] else keep
        unpaired = node.pop("folio-unpaired", False)   # by _mark_unpaired_in_fields
        if tags <= allowed and not unpaired and (in_meta[0] or in_run or _balanced(raw)):
            return None
        text = _visible_text(raw)
        odd = sorted(tags - allowed)
        problem = (f"raw <{odd[0]}> is not an element folio keeps" if odd
                   else "raw HTML in a metadata field opens or closes an element it does not pair within the field"
                   if unpaired else "raw HTML opens an element it does not close")
        if not said:
            warn("FOLIO030", problem + ("; its text stays" if text else "; it is left out"), raw,
                 "use Markdown, or an HTML element of the text such as <span>; close what you open")
        if kind == "RawInline":
            return {"t": "Str", "c": text} if text else {"t": "Str", "c": ""}
        return {"t": "Plain", "c": [{"t": "Str", "c": text}]} if text else {"t": "Plain", "c": []}

    raw = frozenset({"RawBlock", "RawInline"})
    document["blocks"] = _walk(document["blocks"], visit, raw)
    in_meta[0] = True
    _mark_unpaired_in_fields(document.get("meta", {}))
    document["meta"] = _walk(document.get("meta", {}), visit, raw)
    return document


def _mark_unpaired_in_fields(meta) -> None:
    """A field of the metadata (a title, each author) is set inside an element of
    folio's templates: its raw tags must pair within it, or `Jo</span><span>Evil`
    closes the template's own element and splits one author into two. The raw tags
    of a field that does not pair are marked, for `neutralize_raw_markup` to say and
    take out."""
    def raws_in(node, found: list) -> list:
        if isinstance(node, list):
            for item in node:
                raws_in(item, found)
        elif isinstance(node, dict):
            if node.get("t") in ("RawInline", "RawBlock") and isinstance(node.get("c"), list) \
                    and len(node["c"]) == 2 and str(node["c"][0]).lower() in HTML_FORMATS:
                found.append(node)
            elif node.get("t") not in ("MetaInlines", "MetaBlocks"):   # a field inside a field is its own
                raws_in(node.get("c"), found)
        return found

    def fields(node):
        if isinstance(node, dict):
            if node.get("t") in ("MetaInlines", "MetaBlocks"):
                yield node["c"]
            else:
                for value in (node.values() if "t" not in node else [node.get("c")]):
                    yield from fields(value)
        elif isinstance(node, list):
            for item in node:
                yield from fields(item)

    for field in list(fields(meta)):
        raws = raws_in(field, [])
        if raws and not _paired("".join(str(r["c"][1]) for r in raws)):
            for r in raws:
                r["folio-unpaired"] = True


def _paired(raw: str) -> bool:
    """Every element the raw HTML opens is closed in it, in order, and it closes none it
    did not open, read as an HTML parser reads it: comments hold no tags, and a `/>`
    closes nothing (`<span/>` opens a span, `</span/>` closes one); void elements aside."""
    opened: list[str] = []
    for match in TAG_PARTS.finditer(COMMENT.sub("", raw)):
        name = match.group(2).lower()
        if name in VOID_ELEMENTS:
            continue
        if not match.group(1):
            opened.append(name)
        elif not opened or opened.pop() != name:
            return False
    return not opened


def reserve_folio_ids(document: dict, manuscript, warn) -> dict:
    """Ids starting 'folio-' are folio's (the dictionary's definitions, appended as the
    last block when there is a dictionary): an author's is renamed."""
    blocks = document["blocks"]
    last = blocks[-1] if blocks else None
    appendix = (last is not None and last.get("t") == "Div" and last["c"][0][0] == "folio-definitions"
                and manuscript.dictionary is not None)

    with_ids = frozenset({"Div", "Span", "Header", "Figure", "Table", "CodeBlock", "Code", "Link", "Image"})

    def visit(node):
        content = node.get("c")
        if node["t"] in with_ids:
            attr = content[1] if node["t"] == "Header" else content[0]
            if isinstance(attr, list) and attr and isinstance(attr[0], str) and attr[0].startswith("folio-"):
                warn("FOLIO034", f"id '{attr[0][:60]}' is one of folio's own; it is now 'x-{attr[0][:60]}'",
                     attr[0], "give it another id")
                attr[0] = "x-" + attr[0]
        return None

    document["blocks"] = _walk(blocks[:-1] if appendix else blocks, visit, with_ids) + ([last] if appendix else [])
    return document


TASK_MARKS = {"☒": ("☑", "task-done"), "☐": ("☐", "task-open")}   # pandoc's read -> printed (the book font has ☑)


def keep_task_marks(document: dict, manuscript=None, warn=None) -> dict:
    """A task list's `[x]` and `[ ]`, which pandoc reads as ☒ and ☐ and its HTML writer
    makes form checkboxes (raw inputs, removed): each a mark in a span, so done and
    not done read apart in every edition."""
    def visit(node):
        tasks = 0
        for item in node["c"]:
            first = item[0] if item and isinstance(item[0], dict) else None
            if first is None or first.get("t") not in ("Plain", "Para") or not first["c"]:
                continue
            lead = first["c"][0]
            if lead.get("t") == "Str" and lead.get("c") in TASK_MARKS:
                mark, kind = TASK_MARKS[lead["c"]]
                first["c"][0] = {"t": "Span", "c": [["", ["task", kind], []], [{"t": "Str", "c": mark}]]}
                tasks += 1
        if tasks and tasks == len(node["c"]):   # a list of tasks only: its marks stand for bullets
            return {"t": "Div", "c": [["", ["task-list"], []], [node]]}
        return None

    document["blocks"] = _walk(document["blocks"], visit, frozenset({"BulletList"}))
    return document


def separate_definition_paragraphs(document: dict, manuscript=None, warn=None) -> dict:
    """A definition of two paragraphs or more, its term with no blank line under it,
    is read by pandoc as plain blocks, which its HTML writer sets with no break
    between them: the reader saw one paragraph where the author wrote two. Such a
    definition's plain blocks are made paragraphs."""
    def visit(node):
        for _term, definitions in node["c"]:
            for blocks in definitions:
                if any(a.get("t") == "Plain" and b.get("t") == "Plain" for a, b in zip(blocks, blocks[1:])):
                    for block in blocks:
                        if block.get("t") == "Plain":
                            block["t"] = "Para"
        return None

    document["blocks"] = _walk(document["blocks"], visit, frozenset({"DefinitionList"}))
    return document


def _held_blocks(block: dict) -> list:
    """The lists of blocks a div, a quote, a list or a definition list holds (one per
    item or definition); none for any other block."""
    kind, content = block.get("t"), block.get("c")
    if kind == "Div":
        return [content[1]]
    if kind == "BlockQuote":
        return [content]
    if kind == "BulletList":
        return content
    if kind == "OrderedList":
        return content[1]
    if kind == "DefinitionList":
        return [held for _term, definitions in content for held in definitions]
    return []


def refuse_deep_nesting(document: dict, manuscript=None, warn=None) -> dict:
    """Lists and block quotes inside one another deeper than `bounds.MAX_NESTING`, as
    indentation nests them (the check before pandoc counts only markers on one line).
    Past some 20 levels the PDF's lines ran off the page, past 126 the EPUB and the site
    lost the rest of the list (libxml2's depth): refused with the deepest item's line."""
    from .bounds import MAX_NESTING
    from .diagnostics import error, line_of
    pending = [(document.get("blocks", []), 0)]
    while pending:
        blocks, depth = pending.pop()
        for block in blocks:
            inner = _held_blocks(block)
            if block.get("t") == "Div":
                pending.append((inner[0], depth))
                continue
            if not inner:
                continue
            if depth + 1 > MAX_NESTING:
                line = None
                if manuscript is not None:
                    words = plain_text(inner[0][:1] if inner and inner[0] else []).strip()[:40]
                    found = manuscript.text.find(words) if words else -1
                    line = line_of(manuscript.text, found) if found >= 0 else None
                raise error("FOLIO062", f"lists and block quotes nested more than {MAX_NESTING} deep",
                            manuscript.source if manuscript is not None else None, line,
                            fix="nest lists and block quotes less deeply: a book's reader follows three or "
                                "four levels; deeper ones run off the page")
            pending.extend((held, depth + 1) for held in inner)
    return document


# An ATX heading with nothing to show: `#`, `## {#id}`, `###  ##` (a setext heading has text).
_EMPTY_HEADING_LINE = re.compile(r" {0,3}#{1,6}(?:[ \t]+(?:\{[^}\n]*\})?)?[ \t#]*$")
_QUOTE_MARKS = re.compile(r"^(?: {0,3}> ?)+")


def _headers_in_order(blocks: list):
    """Every heading in `blocks` and in the divs, quotes and list items inside it, in
    the order written, as (the list holding it, its index): paragraphs are not walked."""
    pending = [iter(enumerate(blocks))]
    holders = [blocks]
    while pending:
        step = next(pending[-1], None)
        if step is None:
            pending.pop()
            holders.pop()
            continue
        i, block = step
        if block.get("t") == "Header":
            yield holders[-1], i
            continue
        for held in reversed(_held_blocks(block)):
            pending.append(iter(enumerate(held)))
            holders.append(held)


def _shows_nothing(inlines: list) -> bool:
    return not plain_text(inlines).strip() and not any(
        node.get("t") in ("Image", "Math") for node in _inlines_within(inlines))


def _inlines_within(inlines: list):
    pending = list(inlines)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            yield node
            content = node.get("c")
            if isinstance(content, list):
                pending.extend(item for item in content if isinstance(item, (dict, list)))
        elif isinstance(node, list):
            pending.extend(node)


def empty_headings(document: dict, manuscript=None, warn=None) -> dict:
    """A heading with nothing in it. A chapter's (`#` alone) is a chapter with only its
    number, as a novel's are (book.py titles it "Chapter 2"), and is said nothing of.
    A section's would be an empty line in the contents and an empty link in the EPUB's
    navigation, which epubcheck refuses: it is said, with its line, and only its id is
    kept, where it stood, for the links to it. An unnumbered chapter's is said too: the
    book's title stands for it in the contents."""
    blocks = document.get("blocks", [])
    top = min((block["c"][0] for block in blocks if block.get("t") == "Header"), default=None)
    if top is None:
        return document
    lines = _empty_heading_lines(manuscript.text) if manuscript is not None else []
    seen = 0
    for holder, i in list(_headers_in_order(blocks)):
        level, attr, inlines = holder[i]["c"]
        if not _shows_nothing(inlines):
            continue
        line = lines[seen] if seen < len(lines) else None
        seen += 1
        chapter = level == top and holder is blocks
        if chapter and "unnumbered" not in attr[1]:
            continue
        if warn is not None:
            warn("FOLIO074", "an empty heading: " + ("the book's title stands for this unnumbered chapter's "
                                                     "in the contents" if chapter else
                                                     "left out of the contents and the navigation"),
                 None, "write its title after the '#' marks, or take the line out", line)
        if not chapter:
            holder[i] = {"t": "Div", "c": [[attr[0], [], []], []]}
    return document


def _empty_heading_lines(text: str) -> list[int]:
    """The lines of the ATX headings that show nothing, outside fenced code, in order."""
    return [number for number, line in _lines_outside_fences(text)
            if "#" in line and _EMPTY_HEADING_LINE.match(_QUOTE_MARKS.sub("", line))]


def _lines_outside_fences(text: str):
    """(line number, line) for each line not in fenced code, fence lines left out."""
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        opening = re.match(r"\s{0,3}(`{3,}|~{3,})", line)
        if opening:
            mark = opening.group(1)
            if fence is None:
                fence = mark[0] * len(mark)
            elif mark.startswith(fence):
                fence = None
            continue
        if fence is None:
            yield number, line


# Quotation marks by language: (outer open, outer close, inner open, inner close). pandoc
# reads "…" as a quotation and writes English marks whatever the language; a reader of
# a German book expects „…“, of a French one « … ». English keeps pandoc's.
QUOTES = {
    "de": ("„", "“", "‚", "‘"), "cs": ("„", "“", "‚", "‘"), "sk": ("„", "“", "‚", "‘"), "sl": ("„", "“", "‚", "‘"),
    "fr": ("«\u202f", "\u202f»", "“", "”"), "es": ("«", "»", "“", "”"), "it": ("«", "»", "“", "”"),
    "pt": ("«", "»", "“", "”"), "ca": ("«", "»", "“", "”"), "ru": ("«", "»", "„", "“"), "uk": ("«", "»", "„", "“"),
    "be": ("«", "»", "„", "“"), "pl": ("„", "”", "«", "»"), "hu": ("„", "”", "»", "«"), "ro": ("„", "”", "«", "»"),
    "nl": ("“", "”", "‘", "’"), "da": ("»", "«", "›", "‹"), "sv": ("”", "”", "’", "’"), "fi": ("”", "”", "’", "’"),
    "nb": ("«", "»", "‘", "’"), "nn": ("«", "»", "‘", "’"), "no": ("«", "»", "‘", "’"), "el": ("«", "»", "“", "”"),
    "tr": ("“", "”", "‘", "’"), "ja": ("「", "」", "『", "』"), "zh": ("“", "”", "‘", "’"), "he": ("”", "”", "’", "’"),
    "ar": ("«", "»", "“", "”"), "fa": ("«", "»", "“", "”"), "lt": ("„", "“", "‚", "‘"), "et": ("„", "“", "‚", "‘"),
    "lv": ("«", "»", "„", "“"), "bg": ("„", "“", "’", "’"), "hr": ("„", "”", "‘", "’"), "sr": ("„", "”", "’", "’"),
}


def quotation_marks(lang: str) -> tuple[str, str, str, str] | None:
    """The marks a language quotes with (by its primary subtag; `zh-Hant` uses corner
    brackets), or None for English and the languages not listed: pandoc's own."""
    tag = lang.strip().replace("_", "-").lower()
    if tag.startswith("zh") and ("hant" in tag or tag.endswith(("-tw", "-hk", "-mo"))):
        return ("「", "」", "『", "』")
    return QUOTES.get(tag.split("-")[0])


def localize_quotes(document: dict, manuscript, warn=None) -> dict:
    """Each quotation ("…" read by pandoc's smart punctuation) in the marks of the
    book's language, written as text: every edition then prints the same marks."""
    marks = quotation_marks(str(manuscript.metadata.get("lang") or "en"))
    if marks is None:
        return document

    def visit(node):
        outer = node["c"][0].get("t") == "DoubleQuote"
        opening, closing = (marks[0], marks[1]) if outer else (marks[2], marks[3])
        return {"t": "Span", "c": [["", ["quoted"], []],
                                   [{"t": "Str", "c": opening}, *node["c"][1], {"t": "Str", "c": closing}]]}

    document["blocks"] = _walk(document["blocks"], visit, frozenset({"Quoted"}))
    return document


# Each: (document, manuscript, warn) -> document. Raw markup is made safe first.
# French sets a space before the high punctuation and inside guillemets, one that never
# breaks the line there: a thin one (U+202F), a word space (U+00A0) before a colon.
_FRENCH_BEFORE = {";": "\u202f", "!": "\u202f", "?": "\u202f", "»": "\u202f", ":": "\u00a0"}
_FRENCH_GLUED = re.compile(r"(?<=[^\W\d_])([;!?]+)(?=$|[»)\]])")
_INLINE_LISTS = {"Para": lambda c: c, "Plain": lambda c: c, "Header": lambda c: c[2], "Emph": lambda c: c,
                 "Strong": lambda c: c, "Underline": lambda c: c, "SmallCaps": lambda c: c, "Strikeout": lambda c: c,
                 "Superscript": lambda c: c, "Subscript": lambda c: c, "Span": lambda c: c[1],
                 "Quoted": lambda c: c[1], "Link": lambda c: c[1], "Cite": lambda c: c[1]}


def french_spacing(document: dict, manuscript, warn=None) -> dict:
    """In a French book (`lang: fr`), the space before ; : ! ? » and after « never
    breaks and is thin, as French typesetting sets it: « remarquable » no longer
    parts from its guillemet at a line's end, and "Vraiment?" becomes "Vraiment ?".
    A URL, code and math are left as written."""
    lang = str(manuscript.metadata.get("lang") or "en").replace("_", "-").lower()
    if lang.split("-")[0] != "fr":
        return document

    def space_inlines(inlines: list) -> None:
        for i, node in enumerate(inlines):
            if not isinstance(node, dict):
                continue
            kind = node.get("t")
            if kind == "Str" and "/" not in node["c"]:
                node["c"] = _FRENCH_GLUED.sub("\u202f\\1", node["c"])
            if kind not in ("Space", "SoftBreak") or i + 1 >= len(inlines):
                continue
            after, before = inlines[i + 1], inlines[i - 1] if i else None
            if isinstance(after, dict) and after.get("t") == "Str" and after["c"][:1] in _FRENCH_BEFORE:
                inlines[i] = {"t": "Str", "c": _FRENCH_BEFORE[after["c"][:1]]}
            elif isinstance(before, dict) and before.get("t") == "Str" and before["c"].endswith("«"):
                inlines[i] = {"t": "Str", "c": "\u202f"}

    def visit(node):
        space_inlines(_INLINE_LISTS[node["t"]](node["c"]))
        return None

    document["blocks"] = _walk(document["blocks"], visit, frozenset(_INLINE_LISTS))
    return document


PART_MARK = "(PART)"   # bookdown's part heading: `# (PART) Part One {-}`
APPENDIX_MARK = "(APPENDIX)"   # bookdown's: `# (APPENDIX) Appendix {-}`, the chapters after it appendices
APPENDIX = "appendix"   # the class of an appendix's heading (Quarto's too)
APPENDIX_START = "folio-appendix-start"   # a Div standing where `\\appendix` did (latex.py)
AS_WRITTEN = "chapter"   # `# Appendix surgery {.chapter}`: a chapter so titled, not an appendix (no FOLIO073)


def mark_parts(document: dict, manuscript=None, warn=None) -> dict:
    """A part of the book (`# Part One {.part}`, or bookdown's `# (PART) Part One {-}`):
    a heading of the top level that opens a part's title page rather than a chapter,
    so it takes no chapter number (`unnumbered`) and the chapters after it count on.

    And the appendices, as LaTeX has them: after `\\appendix`, after bookdown's
    `# (APPENDIX) Appendix {-}` (a part's title page of its own), or from the first
    heading with the class `appendix`, every numbered chapter is an appendix (class
    `appendix`), lettered A, B, … with its figures, tables and equations numbered A.1
    (number_labels). Only top-level blocks are looked at: a part is never inside a div
    or a list."""
    blocks = document.get("blocks", [])
    levels = [block["c"][0] for block in blocks if block.get("t") == "Header"]
    top = min(levels) if levels else None
    appendices = False
    kept = []
    titled: dict = {}   # headings seen per title (FOLIO073's line)
    for block in blocks:
        kind = block.get("t")
        if kind == "Div" and APPENDIX_START in block["c"][0][1] and not block["c"][1]:
            appendices = True
            continue
        if kind != "Header" or block["c"][0] != top:
            kept.append(block)
            continue
        _, attr, inlines = block["c"]
        as_written = AS_WRITTEN in attr[1]
        if as_written:   # the author's word, not a class of the markup (`.chapter` is folio's section's)
            attr[1][:] = [c for c in attr[1] if c != AS_WRITTEN]
        first = inlines[0].get("c") if inlines and inlines[0].get("t") == "Str" else None
        if first in (PART_MARK, APPENDIX_MARK):
            del inlines[:2 if len(inlines) > 1 and inlines[1].get("t") == "Space" else 1]
        if first == APPENDIX_MARK:
            appendices = True
            attr[1][:] = [c for c in attr[1] if c != APPENDIX]
        if first in (PART_MARK, APPENDIX_MARK) or "part" in attr[1]:
            attr[1][:] = [c for c in attr[1] if c not in ("part", "unnumbered", APPENDIX)] + ["part", "unnumbered"]
        elif APPENDIX in attr[1]:
            appendices = True
        elif appendices and "unnumbered" not in attr[1]:
            attr[1].append(APPENDIX)
        elif warn is not None and manuscript is not None and "unnumbered" not in attr[1] and not as_written:
            _hint_unmarked_appendix(inlines, manuscript, warn, titled)
        kept.append(block)
    if len(kept) != len(blocks):
        document["blocks"] = kept
    if manuscript is not None and "\\appendix" in manuscript.text:
        _drop_inner_appendix_marks(document, manuscript.text, warn)
    return document


def _hint_unmarked_appendix(inlines: list, manuscript, warn, seen: dict) -> None:
    """A chapter titled "Appendix: Proofs" (or "Anhang B", in the book's language) with
    no mark is numbered as a chapter ("Chapter 5"), which is seldom what its author
    meant: said, with the mark that makes it an appendix, at its heading's line (the
    n-th heading of that title outside code blocks: `seen` counts them)."""
    said = labels.words(str(manuscript.metadata.get("lang") or "en"))
    names = {said["appendix"], *said["app"], "Appendix", "Appendices", "Appendixes"}
    title = plain_text(inlines).strip()
    if not any(re.match(rf"{re.escape(name)}(?![\w-])", title, re.IGNORECASE) for name in names):
        return
    seen[title] = seen.get(title, 0) + 1
    warn("FOLIO073", f"the chapter '{title[:60]}' is numbered as a chapter, not lettered as an appendix",
         None, "add {.appendix} to its heading: it and every numbered chapter after it become appendices "
               "A, B, …; or {.chapter} to keep it a numbered chapter, and this said no more",
         _heading_line(manuscript.text, title, seen[title]))


def _heading_line(text: str, title: str, nth: int) -> int | None:
    """The line of the `nth` ATX heading outside fenced code whose words are the title's."""
    def words(written: str) -> list[str]:
        return re.findall(r"\w+", written.lower())
    wanted, found = words(title), 0
    for number, line in _lines_outside_fences(text):
        heading = re.match(r"\s{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]*\{[^}]*\})?[ \t#]*$", line)
        if heading and words(heading.group(1)) == wanted:
            found += 1
            if found == nth:
                return number
    return None


def _drop_inner_appendix_marks(document: dict, text: str, warn) -> None:
    """An `\\appendix` inside a list, a quotation or a div is between no chapters: said,
    and taken out (its placeholder would be an empty box in every edition)."""
    found = []

    def visit(node):
        if APPENDIX_START in node["c"][0][1] and not node["c"][1]:
            found.append(node)
            return {"t": "Plain", "c": []}
        return None
    document["blocks"] = _walk(document["blocks"], visit, frozenset({"Div"}))
    if found and warn is not None:   # its line: the first not standing at a line's start
        line = next((n for n, written in enumerate(text.splitlines(), 1)
                     if "\\appendix" in written and not written.startswith("\\appendix")), None)
        warn("FOLIO029", "raw LaTeX '\\appendix' inside a list, a quotation or a div starts no appendices; "
                         "it is left out", None,
             "put '\\appendix' on a line of its own between two chapters, or mark the first appendix's "
             "heading {.appendix}", line)


PASSES = (refuse_deep_nesting, neutralize_raw_markup, reserve_folio_ids, keep_list_delimiters, mark_parts, empty_headings, cross_references,
          localize_quotes, keep_task_marks, separate_definition_paragraphs, french_spacing)


@dataclass(frozen=True)
class Kinds:
    """Whether the read document holds the nodes some passes work on, from its JSON
    (pandoc's or the splice's, compact): a node of type T is written `"t":"T"`, and a
    string holding those characters has its quotes escaped, so an absent type is
    never missed. A pass with nothing to work on is not walked over the AST: a long
    book's walks were a second of every build, and most books have no raw markup."""
    raw: bool = True             # raw HTML or LaTeX (latex.py, neutralize_raw_markup)
    ordered_lists: bool = True   # keep_list_delimiters
    lists_of: bool = True        # a `\listoffigures` placeholder or an author's div with its class (fill_lists)
    quoted: bool = True          # a quotation pandoc read ("…"): localize_quotes
    tasks: bool = True           # a task list's mark (☒, ☐): keep_task_marks
    definitions: bool = True     # a definition list: separate_definition_paragraphs

    @classmethod
    def of(cls, data: bytes) -> "Kinds":
        if not data:   # no JSON to tell by: every pass runs
            return cls()
        raw = b'"t":"RawBlock"' in data or b'"t":"RawInline"' in data
        # Raw LaTeX is read into nodes before the passes (latex.py): a `\begin{enumerate}[(a)]`
        # becomes an ordered list, a `\listoffigures` a list's placeholder.
        return cls(raw=raw, ordered_lists=raw or b'"t":"OrderedList"' in data,
                   lists_of=raw or LIST_OF.encode() in data, quoted=raw or b'"t":"Quoted"' in data,
                   tasks=any(mark.encode() in data for mark in TASK_MARKS),
                   definitions=b'"t":"DefinitionList"' in data)

    def passes(self):
        """PASSES, each as it is to run on a document of these kinds."""
        for step in PASSES:
            if step is neutralize_raw_markup and not self.raw:
                continue
            if step is keep_list_delimiters and not self.ordered_lists:
                continue
            if step is localize_quotes and not self.quoted:
                continue
            if step is keep_task_marks and not self.tasks:
                continue
            if step is separate_definition_paragraphs and not self.definitions:
                continue
            if step is cross_references and not self.lists_of:
                yield lambda document, manuscript, warn: cross_references(document, manuscript, warn, lists_of=False)
                continue
            yield step

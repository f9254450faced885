"""Raw LaTeX in a Markdown manuscript, read by pandoc's LaTeX reader where it stands.

Theses and papers converted from LaTeX keep `\\begin{figure}…\\includegraphics…`,
`tabular`, `\\chapter*`, `\\ref` and `\\cite` in their Markdown. pandoc's Markdown
reader keeps such passages as raw `latex` nodes, which every HTML writer drops. Here
all of them are read in one sandboxed run of pandoc's LaTeX reader and spliced back
as pandoc nodes: a figure is a Figure, a table a Table, `\\chapter*` a heading,
`\\label`/`\\ref` become folio's cross-references, `\\cite` a citation. What the reader
skips and that carries words is a warning with its line (FOLIO029); pure layout
(`\\newpage`, `\\vspace{1cm}`, `\\centering`) has no place in a reflowable book and goes
without one.
"""
from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .ast import APPENDIX_START, is_leaf
from .diagnostics import BuildError, Diagnostic, line_of

LATEX_FORMATS = {"latex", "tex"}
SEPARATOR = "FOLIORAWLATEXSEPARATOR{}X"
SEPARATOR_TEXT = re.compile(r"^FOLIORAWLATEXSEPARATOR(\d+)X$")
CHAPTER_MODE = "\\chapter{FOLIORAWLATEXCHAPTERMODE}\n\n"   # so \chapter is level 1 and \section level 2
REFERENCE_TYPES = {"ref": "bare", "ref+label": "named", "eqref": "parenthesised", "autoref": "named",
                   "cref": "named", "Cref": "named", "pageref": "bare"}
LABEL_COMMAND = re.compile(r"\\label\s*\{([^{}]*)\}")
EQUATION_ENV = re.compile(r"^\s*\\begin\{equation\*?\}(.*)\\end\{equation\*?\}\s*$", re.S)
LATEX_PREFIX = re.compile(r"^(tab|table|fig|figure|eq|eqn|equation|sec|section|subsec|chap|ch|chapter):")
COMMAND = re.compile(r"\\[A-Za-z@]+\*?")
DIMENSION = re.compile(r"-?\d*\.?\d+\s*(pt|mm|cm|in|em|ex|bp|pc|sp|\\?[a-z]*width|\\?[a-z]*height)?", re.I)


@dataclass
class Chunk:
    """One raw LaTeX node of the manuscript."""
    index: int
    raw: str
    inline: bool
    line: int | None
    blocks: list = field(default_factory=list)


def _is_latex(node) -> bool:
    return (isinstance(node, dict) and node.get("t") in ("RawBlock", "RawInline")
            and str(node["c"][0]).lower() in LATEX_FORMATS)


def _collect(node, chunks: list, text: str, cursor: list) -> None:
    if isinstance(node, list):
        for item in node:
            if not is_leaf(item):
                _collect(item, chunks, text, cursor)
    elif isinstance(node, dict):
        if _is_latex(node):
            raw = node["c"][1]
            at = text.find(raw.strip()[:200], cursor[0]) if raw.strip() else -1
            if at < 0:
                at = text.find(raw.strip()[:200])
            else:
                cursor[0] = at
            chunks.append(Chunk(len(chunks), raw, node["t"] == "RawInline", line_of(text, at) if at >= 0 else None))
            node["folio-chunk"] = len(chunks) - 1
            return
        for value in node.values():
            if isinstance(value, (list, dict)):
                _collect(value, chunks, text, cursor)


def _batch(chunks: list[Chunk]) -> tuple[str, dict[int, tuple[int, int]]]:
    """One LaTeX document with a separator paragraph before each chunk; and the line
    range (in that document) of each chunk, to place the reader's messages."""
    parts, spans, line = [CHAPTER_MODE], {}, CHAPTER_MODE.count("\n") + 1
    for chunk in chunks:
        head = SEPARATOR.format(chunk.index) + "\n\n"
        parts.append(head)
        line += head.count("\n")
        body = chunk.raw.strip("\n") + "\n\n"
        spans[chunk.index] = (line, line + body.count("\n"))
        parts.append(body)
        line += body.count("\n")
    return "".join(parts), spans


def _read(latex: str, limits, manuscript) -> tuple[int, list, list, str]:
    """pandoc's LaTeX reader, sandboxed (an `\\input` opens nothing): blocks and log."""
    from .pandoc import pandoc_binary, _environment
    with tempfile.TemporaryDirectory(prefix="folio-") as tmp:
        log = Path(tmp) / "log.json"
        proc = sandbox.run([pandoc_binary(), "--sandbox", "--from", "latex", "--to", "json", f"--log={log}"],
                           limits, "pandoc", manuscript.source, cwd=tmp, env=_environment(),
                           input=latex.encode("utf-8"))
        messages = json.loads(log.read_text(encoding="utf-8")) if log.is_file() and log.stat().st_size else []
    if proc.returncode != 0:
        return proc.returncode, [], messages, proc.stderr.decode("utf-8", "replace").strip()
    return 0, json.loads(proc.stdout)["blocks"], messages, ""


def _split(blocks: list, chunks: list[Chunk]) -> bool:
    """Hand each chunk the blocks after its separator; False when separators went missing
    (a chunk that opened an environment and swallowed the rest)."""
    current, seen = None, []
    for block in blocks[1:]:   # the first is the chapter that set the reader's levels
        if block.get("t") == "Para" and len(block["c"]) == 1 and block["c"][0].get("t") == "Str":
            match = SEPARATOR_TEXT.match(block["c"][0]["c"])
            if match:
                current = chunks[int(match.group(1))]
                seen.append(current.index)
                continue
        if current is not None:
            current.blocks.append(block)
    return seen == [c.index for c in chunks]


# Commands that set pages, spacing and counters: their arguments are settings, not text,
# and a reflowable book has no use for them (folio sets its own pages and contents).
LAYOUT = re.compile(r"\\(pagenumbering|setcounter|addtocounter|stepcounter|thispagestyle|pagestyle|setlength|"
                    r"addtolength|fontsize|selectfont|usepackage|documentclass|geometry|newgeometry|"
                    r"restoregeometry|linespread|setstretch|markboth|markright|addcontentsline|bibliographystyle|"
                    r"hypersetup|graphicspath|begin\{(tabbing|center|flushleft|flushright|minipage|spacing)\}|"
                    r"end\{(tabbing|center|flushleft|flushright|minipage|spacing)\})\*?(\[[^\]]*\])*(\{[^{}]*\})*")


def _has_words(skipped: str) -> bool:
    """Whether skipped LaTeX carried text (not only commands, settings, dimensions and options)."""
    rest = DIMENSION.sub(" ", COMMAND.sub(" ", LAYOUT.sub(" ", skipped)))
    return bool(re.search(r"[^\W\d_]{2,}", rest))


def _plain(nodes) -> str:
    from .ast import plain_text
    return plain_text(nodes)


class Reader:
    """Reads every raw LaTeX node of one document and splices the result in."""

    def __init__(self, manuscript, warn, limits):
        self.manuscript, self.warn, self.limits = manuscript, warn, limits
        self.labels: dict[str, str] = {}   # the LaTeX \label -> folio's cross-reference label
        self.chunks: list[Chunk] = []

    def run(self, document: dict) -> dict:
        _collect(document.get("blocks", []), self.chunks, self.manuscript.text, [0])
        _collect(document.get("meta", {}), self.chunks, self.manuscript.text, [0])
        if not self.chunks:
            return document
        code, blocks, messages, problem = _read(_batch(self.chunks)[0], self.limits, self.manuscript)
        if code == 0 and _split(blocks, self.chunks):
            self._report(messages, self.chunks)
        else:   # read each on its own: one bad chunk costs only itself
            for chunk in self.chunks:
                chunk.blocks = []
                code, blocks, messages, problem = _read(_batch([chunk])[0].replace(
                    SEPARATOR.format(chunk.index), SEPARATOR.format(0)), self.limits, self.manuscript)
                if code == 0:
                    chunk.index, saved = 0, chunk.index
                    _split(blocks, [chunk])
                    chunk.index = saved
                    self._report(messages, [chunk])
                else:
                    first = problem.splitlines()[0] if problem else f"pandoc exited {code}"
                    self.warn("FOLIO029", f"raw LaTeX '{_short(chunk.raw)}' cannot be read ({first[:120]}); "
                              "it is left out of every edition", None,
                              "write it in Markdown, or correct the LaTeX", line=chunk.line)
        for chunk in self.chunks:
            self._name_labels(chunk)
        document["blocks"] = self._splice(document["blocks"])
        document["meta"] = self._splice(document.get("meta", {}))
        self._link_references(document)
        return document

    # -- the reader's messages --------------------------------------------------------
    def _report(self, messages: list, chunks: list[Chunk]) -> None:
        _, spans = _batch(chunks)
        said = set()
        for message in messages:
            kind, contents = message.get("type"), str(message.get("contents", ""))
            line = message.get("line")
            chunk = next((c for c in chunks if line and spans[c.index][0] <= line < spans[c.index][1]), None)
            where = chunk.line + (line - spans[chunk.index][0]) if chunk and chunk.line else None
            if (kind, contents, where) in said:
                continue
            said.add((kind, contents, where))
            if kind == "SkippedContent" and _has_words(contents):
                self.warn("FOLIO029", f"raw LaTeX '{_short(contents)}' is not understood by pandoc's LaTeX "
                          "reader; it is left out of every edition", None,
                          "write it in Markdown, or with LaTeX commands pandoc reads", line=where)
            elif kind == "CouldNotLoadIncludeFile":
                self.warn("FOLIO029", f"raw LaTeX includes the file '{_short(str(message.get('path', '')))}', which folio does not "
                          "read (a manuscript is one file)", None,
                          "paste that file's text into the manuscript", line=where)
            elif message.get("verbosity") == "WARNING":
                self.warn("FOLIO029", f"pandoc's LaTeX reader: {_short(str(message.get('pretty', kind)))}", None,
                          "write it in Markdown, or correct the LaTeX", line=where)

    # -- labels and their kinds -------------------------------------------------------
    def _name_labels(self, chunk: Chunk) -> None:
        """Give each labelled figure, table, equation and section a label folio's
        cross-references know (`fig:x`), remembering the LaTeX name."""
        from .ast import LABEL
        written = set(LABEL_COMMAND.findall(chunk.raw))

        def adopt(latex_label: str, kind: str) -> str:
            safe = re.sub(r"[^\w.:-]", "-", LATEX_PREFIX.sub("", latex_label) or latex_label)
            label = latex_label if LABEL.match(latex_label) and latex_label.startswith(kind) else f"{kind}:{safe}"
            self.labels[latex_label] = label
            return label

        def fix(blocks: list) -> list:
            result = []
            for block in blocks:
                kind = block.get("t")
                if kind == "Div" and block["c"][0][0] in written and len(block["c"][1]) == 1 \
                        and block["c"][1][0].get("t") == "Table":   # \begin{table}…\label: the id is the Div's
                    table = block["c"][1][0]
                    table["c"][0][0] = adopt(block["c"][0][0], "tbl")
                    block = table
                elif kind == "Figure":
                    block["c"][0][2] = [kv for kv in block["c"][0][2] if not kv[0].startswith("latex-")]   # [htbp]
                    if block["c"][0][0] in written:
                        block["c"][0][0] = adopt(block["c"][0][0], "fig")
                    _describe_images(block)
                elif kind == "Header" and block["c"][1][0] in written:
                    block["c"][1][0] = adopt(block["c"][1][0], "sec")
                elif kind in ("Para", "Plain"):
                    block["c"] = self._equations(block["c"], adopt)
                if isinstance(block.get("c"), list):
                    block["c"] = nested(block["c"])
                result.append(block)
            return result

        def nested(node):
            """Block lists inside a block (a figure in a minipage, a table in a Div)."""
            if isinstance(node, list):
                return fix(node) if _is_block_list(node) else [nested(item) for item in node]
            return node

        chunk.blocks = fix(chunk.blocks)

    def _equations(self, inlines: list, adopt) -> list:
        """A display equation with `\\label`: its number goes beside it, as `{#eq:x}` does."""
        result = []
        for inline in inlines:
            result.append(inline)
            if inline.get("t") != "Math" or inline["c"][0]["t"] != "DisplayMath":
                continue
            tex = inline["c"][1]
            found = LABEL_COMMAND.findall(tex)
            tex = LABEL_COMMAND.sub("", tex)
            single = EQUATION_ENV.match(tex)
            inline["c"][1] = (single.group(1) if single else tex).strip()
            if len(found) == 1 and single:
                result.append({"t": "Str", "c": "{#" + adopt(found[0], "eq") + "}"})
        return result

    # -- splicing ---------------------------------------------------------------------
    def _replacement(self, node: dict, inline: bool) -> list:
        chunk = self.chunks[node["folio-chunk"]]
        blocks = chunk.blocks
        if not inline:
            return self._splice(blocks)
        if not blocks:
            return []
        if len(blocks) == 1 and blocks[0].get("t") in ("Para", "Plain"):
            return self._splice(blocks[0]["c"])
        return [{"t": "Str", "c": " ".join(_plain(blocks).split())}]

    def _splice(self, node):
        if isinstance(node, list):
            result = []
            for item in node:
                if isinstance(item, dict) and "folio-chunk" in item:
                    before = result[-1] if result else None
                    if item["t"] == "RawInline" and before and before.get("t") == "Str" \
                            and before["c"].endswith("~"):   # `Figure~\ref{x}`: LaTeX's tie
                        before["c"] = before["c"][:-1] + "\u00a0"
                    result.extend(self._replacement(item, item["t"] == "RawInline"))
                else:
                    result.append(self._splice(item))
            return result
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, (list, dict)):
                    node[key] = self._splice(value)
            if node.get("t") == "Cite":   # \cite{…}: citeproc replaces its raw content
                node["c"][1] = [n if not _is_latex(n) else {"t": "Str", "c": n["c"][1]} for n in node["c"][1]]
        return node


    # -- \ref ---------------------------------------------------------------------
    def _link_references(self, document: dict) -> None:
        """`\\ref{x}` (a Link pandoc marks with `reference-type`) becomes folio's
        cross-reference to the label's number; a \\ref to no \\label stops the build."""
        from .ast import LABEL
        unknown: list[str] = []

        def citation(label: str, mode: str) -> dict:
            return {"t": "Cite", "c": [[{"citationId": label, "citationPrefix": [], "citationSuffix": [],
                                         "citationMode": {"t": mode}, "citationNoteNum": 0, "citationHash": 0}],
                                       [{"t": "Str", "c": f"[@{label}]"}]]}

        def rewrite(node):
            if isinstance(node, list):
                result = []
                for item in node:
                    replaced = rewrite(item)
                    result.extend(replaced if isinstance(replaced, tuple) else [replaced])
                return result
            if not isinstance(node, dict):
                return node
            for key, value in node.items():
                if isinstance(value, (list, dict)):
                    node[key] = rewrite(value)
            if node.get("t") != "Link":
                return node
            attributes = dict(node["c"][0][2])
            style = REFERENCE_TYPES.get(attributes.get("reference-type", ""))
            if style is None or "reference" not in attributes:
                return node
            latex_label = attributes["reference"]
            label = self.labels.get(latex_label, latex_label if LABEL.match(latex_label) else None)
            if label is None:
                unknown.append(latex_label)
                return node
            cite = citation(label, "SuppressAuthor" if style != "named" else "NormalCitation")
            if style == "parenthesised":
                return ({"t": "Str", "c": "("}, cite, {"t": "Str", "c": ")"})
            return cite

        document["blocks"] = rewrite(document["blocks"])
        if unknown:
            text = self.manuscript.text
            problems = []
            for label in dict.fromkeys(unknown):
                match = re.search(r"\\\w*ref\*?\s*\{[^}]*" + re.escape(label), text)
                problems.append(Diagnostic(
                    "FOLIO028", f"LaTeX reference '\\ref{{{label}}}' names no \\label in the manuscript",
                    self.manuscript.source, line_of(text, match.start()) if match else None,
                    fix=f"add \\label{{{label}}} to the figure, table, equation or section, or correct the reference"))
            raise BuildError(*problems)


def _describe_images(figure: dict) -> None:
    """A LaTeX figure's image has no alt text of its own: its caption describes it."""
    caption = figure["c"][1][1]
    text = " ".join(_plain(caption).split())

    def visit(node):
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            if node.get("t") == "Image" and not _plain(node["c"][1]).strip() and text:
                node["c"][1] = [{"t": "Str", "c": text}]
            for value in node.values():
                if isinstance(value, (list, dict)):
                    visit(value)
    visit(figure["c"][2])


def _is_block_list(value) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(v, dict) and v.get("t") in BLOCK_TYPES for v in value)


BLOCK_TYPES = {"Para", "Plain", "Header", "Div", "Figure", "Table", "BlockQuote", "BulletList", "OrderedList",
               "DefinitionList", "CodeBlock", "LineBlock", "HorizontalRule", "RawBlock"}


def _short(raw: str) -> str:
    flat = " ".join(raw.split())
    return flat[:60] + ("…" if len(flat) > 60 else "")


LIST_COMMAND = re.compile(r"^\\listof(figures|tables|listings)$")
LIST_KINDS = {"figures": "fig", "tables": "tbl", "listings": "lst"}


APPENDIX_COMMAND = re.compile(r"^\\appendix(?![A-Za-z@])\s*")


def _placeholders(node):
    """`\\listoffigures` and its kin become a placeholder that ast.fill_lists fills
    once every figure has its number, and `\\appendix` one that ast.mark_parts reads
    (pandoc's LaTeX reader would drop them). A raw block that opens with `\\appendix`
    and goes on (`\\chapter{Proofs}` on the next line) is the placeholder, then the rest."""
    if isinstance(node, list):
        out = []
        for item in node:
            if is_leaf(item):
                out.append(item)
                continue
            if _is_latex(item) and item["t"] == "RawBlock":
                found = APPENDIX_COMMAND.match(item["c"][1].lstrip())
                if found:   # the chapters after it are appendices (ast.mark_parts)
                    out.append({"t": "Div", "c": [["", [APPENDIX_START], []], []]})
                    rest = item["c"][1].lstrip()[found.end():]
                    if not rest.strip():
                        continue
                    item = {"t": "RawBlock", "c": [item["c"][0], rest]}
            out.append(_placeholders(item))
        return out
    if isinstance(node, dict):
        if _is_latex(node) and node["t"] == "RawBlock":
            found = LIST_COMMAND.match(node["c"][1].strip())
            if found:
                return {"t": "Div", "c": [["", ["folio-list-of-" + LIST_KINDS[found.group(1)]], []], []]}
        for key, value in node.items():
            if isinstance(value, (list, dict)):
                node[key] = _placeholders(value)
    return node


def read_raw_latex(document: dict, manuscript, warn, limits) -> dict:
    """Every raw LaTeX node of the document, read and spliced in place."""
    document["blocks"] = _placeholders(document["blocks"])
    return Reader(manuscript, warn, limits).run(document)

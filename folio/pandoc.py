"""The one pandoc pass: Markdown with citations in, one HTML document out.

pandoc first reads the Markdown into its AST (sandboxed, no citeproc: it opens
nothing but its inputs). folio checks the metadata pandoc found there, from every
YAML block, and removes the keys that name files; citeproc renders the citations
(citations.py), opening only the bibliography and style folio passes; then pandoc
writes the AST as HTML. So citations, notes and the bibliography arrive rendered by
the chosen CSL style, and every edition is made from this single output.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pypandoc

from . import ast, citations, conservation, latex, reading, sandbox, writing
from .diagnostics import Diagnostic, BuildError, error, line_of
from .manuscript import Manuscript
from .paths import HTML_RECORD, READ_RECORD
from .sandbox import Limits

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "pandoc" / "book.html"
MISSING_CITATION = re.compile(r"Citeproc: citation (\S+) not found")


@dataclass(frozen=True)
class PandocOutput:
    html: str
    passages: tuple = ()   # conservation.Passage: what every edition must show
    diagnostics: tuple = ()   # warnings of pandoc and of the AST passes, with their lines
    whole: "WholeRead | None" = field(default=None, compare=False)   # made from a splice: the read to confirm it
    spliced_json: bytes | None = field(default=None, compare=False)

    def confirmed(self) -> bool:
        """True unless this was made from a splice the whole read does not confirm."""
        return self.whole is None or self.whole.confirms(self.spliced_json)


# Metadata keys that make pandoc open a file or a URL. pandoc never sees them as the
# manuscript wrote them: folio resolves them inside the folder (manuscript.py) and
# passes the checked paths on the command line.
FILE_KEYS = ("bibliography", "csl", "citation-abbreviations")


def pandoc_binary() -> str:
    return pypandoc.get_pandoc_path()


def _environment() -> dict:
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SOURCE_DATE_EPOCH")}


def read_command(manuscript: Manuscript, appendix: Path | None = None, source: Path | None = None) -> list[str]:
    """Markdown to pandoc's AST: no citeproc, so nothing but the inputs is opened.
    `source`: the file pandoc reads in place of the manuscript's (its composed copy)."""
    inputs = [str(source or manuscript.source)] + ([str(appendix)] if appendix else [])
    args = [pandoc_binary(), *inputs, "--sandbox", "--from", "markdown", "--to", "json"]
    if manuscript.metadata_file is not None:
        args.append(f"--metadata-file={manuscript.metadata_file}")
    if manuscript.derived_title:
        args += ["--metadata", f"title={manuscript.metadata['title']}"]
    if manuscript.heading_shift:
        args.append(f"--shift-heading-level-by={manuscript.heading_shift}")
    return args


# pandoc's writer, on a long book, is the cold build's peak of memory: with its oldest
# generation compacted in place rather than copied (GHC's runtime option -c), the
# 50x book's writer takes 352 MB rather than 394 MB, for about 0.4 s more.
COMPACTING = ["+RTS", "-c", "-RTS"]


def write_command() -> list[str]:
    """The checked AST, its citations rendered, to one HTML document."""
    return [pandoc_binary(), *COMPACTING, "--sandbox", "--from", "json", "--to", "html5", "--template",
            str(TEMPLATE), "--section-divs", "--wrap=none", "--mathml"]


def stringify(value) -> object:
    """A metadata value of pandoc's AST as plain text (a list stays a list)."""
    kind, content = value.get("t"), value.get("c")
    if kind == "MetaList":
        return [stringify(item) for item in content]
    if kind == "MetaMap":
        return {key: stringify(item) for key, item in content.items()}
    if kind in ("MetaString",):
        return content
    if kind == "MetaBool":
        return content
    return ast.plain_text(content)


def _as_texts(value) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values]


def _key_line(manuscript: Manuscript, key: str) -> int | None:
    """The last line that sets `key:`, pandoc's later-wins order (quotes and lists included)."""
    found = None
    for match in re.finditer(rf"^[>\s]*{re.escape(key)}\s*:", manuscript.text, re.M):
        found = match
    return line_of(manuscript.text, found.start()) if found else None


def confine_metadata(document: dict, manuscript: Manuscript) -> dict:
    """Check pandoc's metadata against folio's reading, then take the file keys out.

    pandoc reads YAML blocks folio's reader does not place (inside a block quote, or in
    a dictionary definition). A file key set there would name a file folio never
    checked: refuse it with its line. Every other key is text and stays.
    """
    meta = document.get("meta", {})
    for key in FILE_KEYS:
        if key not in meta:
            continue
        pandoc_sees = _as_texts(stringify(meta[key]))
        folio_sees = _as_texts(manuscript.metadata.get(key))
        if pandoc_sees != folio_sees:
            raise error("FOLIO013", f"'{key}' is set in a metadata block folio does not read "
                        "(inside a block quote, a list or a dictionary definition)", manuscript.source,
                        _key_line(manuscript, key),
                        fix=f"set '{key}' once, in the YAML block at the top of the manuscript")
        del meta[key]
    return document


# The metadata folio prints, reads as a setting, or hands to citeproc: any other field
# holding words is printed nowhere, and is said (FOLIO037).
USED_KEYS = frozenset({
    "title", "subtitle", "author", "editor", "date", "identifier", "lang", "dir", "publisher", "edition",
    "rights", "credit", "dedication", "description", "subject", "keywords", "site-url", "hyphenation", "slug",
    "cover-image", "isbn", "dictionary", "metadata-file", "trim-size", "bleed", "crop-marks", "print", "paper",
    "autoSectionLabels", "abstract", "abstract-title", "nocite", "references", "reference-section-title",
    "link-citations", "link-bibliography", "suppress-bibliography", "notes-after-punctuation", *FILE_KEYS})


def _meta_blocks(value) -> list | None:
    """A metadata value as blocks of text (a paragraph for a line), or None for a list or map."""
    kind = value.get("t") if isinstance(value, dict) else None
    if kind == "MetaBlocks":
        return value["c"]
    if kind == "MetaInlines":
        return [{"t": "Para", "c": value["c"]}]
    if kind == "MetaString":
        return [{"t": "Para", "c": [{"t": "Str", "c": value["c"]}]}]
    return None


def _used_ids(document: dict) -> set:
    found: set = set()

    def visit(node):
        attr = node["c"][1] if node["t"] == "Header" else node["c"][0]
        if attr and attr[0]:
            found.add(attr[0])
    ast._walk(document["blocks"], visit, frozenset({"Header", "Div", "Span", "Figure", "Table", "CodeBlock",
                                                    "Code", "Image", "Link"}))
    return found


def _abstract_as_chapter(document: dict, manuscript: Manuscript, warn) -> None:
    """An `abstract:` is text the author wrote for the reader: it opens the book as an
    unnumbered chapter (titled by `abstract-title:`, else in the book's language), so
    its notes, citations and words reach every edition as a chapter's do, and citeproc
    numbers its citations where the reader meets them."""
    meta = document.get("meta", {})
    if "abstract" not in meta:
        return
    blocks = _meta_blocks(meta["abstract"])
    if blocks is None:   # a list or a map: said below as printed nowhere
        return
    del meta["abstract"]
    named = meta.pop("abstract-title", None)
    title = (_meta_blocks(named) or [{"c": []}])[0]["c"] if named is not None else []
    if not title:
        from . import labels
        title = [{"t": "Str", "c": labels.words(str(manuscript.metadata.get("lang") or "en"))["abstract"]}]
    used, ident, n = _used_ids(document), "abstract", 1
    while ident in used:
        n += 1
        ident = f"abstract-{n}"
    top = document["blocks"]
    levels = [b["c"][0] for b in top if isinstance(b, dict) and b.get("t") == "Header"]
    if not levels:   # a book without headings is one untitled chapter: the abstract opens it
        top[0:0] = [{"t": "Div", "c": [[ident, ["abstract"], []],
                                       [{"t": "Para", "c": [{"t": "Strong", "c": title}]}, *blocks]]}]
        return
    level = min(levels)
    at = next(i for i, b in enumerate(top) if isinstance(b, dict) and b.get("t") == "Header" and b["c"][0] == level)
    top[at:at] = [{"t": "Header", "c": [level, [ident, ["unnumbered", "abstract"], []], title]}, *blocks]


def _meta_words(value) -> list[str]:
    """The words of a metadata value, a list's or a map's included."""
    if isinstance(value, dict) and value.get("t") == "MetaMap":
        return [word for item in value["c"].values() for word in _meta_words(item)]
    if isinstance(value, dict) and value.get("t") == "MetaList":
        return [word for item in value["c"] for word in _meta_words(item)]
    return ast.plain_text(value).split()


def _unprinted_metadata(document: dict, manuscript: Manuscript, warn) -> None:
    """A metadata field of words that no edition prints (`thanks:`, `institute:`) is
    said with its line, not dropped in silence. A one-word value is taken for a
    setting of another tool (`documentclass: book`), and raw markup for its code."""
    for key, value in document.get("meta", {}).items():
        if key in USED_KEYS:
            continue
        raw: list = []
        ast._walk(value, lambda node: raw.append(node) and None, frozenset({"RawBlock", "RawInline"}))
        words = _meta_words(value) if not raw else []
        if len(words) >= 2:
            warn("FOLIO037", f"the metadata field '{key}' ('{' '.join(words)[:40]}') is printed in no edition",
                 None, fix="put its words in the text (the abstract, a preface or the acknowledgements), "
                 "or remove the field", line=_key_line(manuscript, key))


def _drop_metadata_notes(document: dict, manuscript: Manuscript, warn) -> None:
    """A note in the title (or any metadata field) has no page to stand on: pandoc
    wrote its call into the title, slug and running heads and its text nowhere. It is
    taken out of the field and said, with the field's line."""
    for key, value in document.get("meta", {}).items():
        taken: list = []
        ast._walk(value, lambda note: taken.append(note) or {"t": "Str", "c": ""}, frozenset({"Note"}))
        if taken:
            warn("FOLIO036", f"a note in the metadata field '{key}' cannot be printed there; it is left out",
                 None, fix="put the note in the text, on the first heading or paragraph it belongs to",
                 line=_key_line(manuscript, key))


def _syntax_error_line(path: Path) -> int | None:
    """The line a JSON or YAML bibliography stops parsing at, by folio's own reading
    (YAML's events only: an alias is never expanded), for a pandoc error naming none."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if path.suffix.lower() == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as failure:
            return failure.lineno
        except (ValueError, RecursionError):
            return None
        return None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml
        try:
            for _event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
                pass
        except yaml.MarkedYAMLError as failure:
            mark = failure.problem_mark or failure.context_mark
            return mark.line + 1 if mark else None
        except (yaml.YAMLError, RecursionError):
            return None
    return None


def _bibliography_failure(manuscript: Manuscript, stderr: str):
    """pandoc's error in a bibliography file, named at that file and line (pandoc names
    the file for BibTeX and CSL JSON, not for CSL YAML): not the manuscript's."""
    named = re.search(r"Error reading bibliography file (.+?):?\s*$", stderr, re.M)
    files = list(manuscript.bibliography)
    if named:
        given = Path(named.group(1).strip().rstrip(":"))
        candidates = [p for p in files if p == given or p.name == given.name]
    elif "YAML parse exception" in stderr:
        candidates = [p for p in files if p.suffix.lower() in (".yaml", ".yml")
                      and _syntax_error_line(p) is not None]
    else:
        return None
    if not candidates:
        return None
    path = candidates[0]
    line = re.search(r"\(line (\d+)|at line (\d+)", stderr)
    at = int(line.group(1) or line.group(2)) if line and named else _syntax_error_line(path)
    told = " ".join(stderr.split("\n", 1)[-1].split()) if named else " ".join(stderr.split())
    return error("FOLIO020", f"pandoc could not read the bibliography {path.name}: {told[:200]}", path, at,
                 fix="correct the entry at that line (a missing comma, brace or quote is the usual cause)")


def _failure(manuscript: Manuscript, stderr: str):
    bibliography = _bibliography_failure(manuscript, stderr)
    if bibliography is not None:
        return bibliography
    line = re.search(r"line (\d+)", stderr)
    at = int(line.group(1)) if line else None
    macro = re.search(r"expanding macro (\S+)", stderr)
    if at is None and macro:   # a LaTeX macro that expands into itself: where it is defined
        defined = re.search(r"\\(?:re)?newcommand\*?\s*\{?\\" + re.escape(macro.group(1)) + r"\b|\\def\s*\\"
                            + re.escape(macro.group(1)) + r"\b", manuscript.text)
        at = line_of(manuscript.text, defined.start()) if defined else None
    return error("FOLIO020", f"pandoc could not read the manuscript: {stderr[:300]}", manuscript.source,
                 at, fix="correct the Markdown (or the LaTeX macro) at that line")


def _cite_line(manuscript: Manuscript, key: str) -> int | None:
    match = re.search(r"@\{?" + re.escape(key) + r"(?![\w:.#$%&+?<>~/-]*\w)", manuscript.text) or \
        re.search(r"\\\w*cite\w*\*?(\[[^\]]*\])*\{[^}]*\b" + re.escape(key), manuscript.text)   # raw LaTeX
    return line_of(manuscript.text, match.start()) if match else None


def _cite_place(manuscript: Manuscript, key: str) -> tuple[Path, int | None]:
    """Where a citation is written: the manuscript, or else a dictionary definition."""
    line = _cite_line(manuscript, key)
    if line is None and manuscript.dictionary is not None:
        try:
            text = manuscript.dictionary.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        found = re.search(r"@\{?" + re.escape(key) + r"(?![\w:.#$%&+?<>~/-]*\w)", text)
        if found:
            return manuscript.dictionary, line_of(text, found.start())
    return manuscript.source, line


BIBLIOGRAPHY_SUFFIXES = (".bib", ".bibtex", ".json", ".yaml", ".yml", ".ris")


def _missing_key_fix(manuscript: Manuscript, key: str) -> str:
    if manuscript.bibliography:
        return f"add an entry '{key}' to {', '.join(b.name for b in manuscript.bibliography)} or correct the key"
    present = sorted(p.name for p in manuscript.root.iterdir() if p.suffix.lower() in BIBLIOGRAPHY_SUFFIXES
                     and p not in (manuscript.dictionary, manuscript.metadata_file) and p.is_file())
    if present:
        return f"the metadata names no bibliography: add 'bibliography: {present[0]}'" + (
            f" (the folder also holds {', '.join(present[1:])})" if present[1:] else "")
    return "the metadata names no bibliography: add 'bibliography: references.bib' and put the entry there"


class WholeRead:
    """pandoc's read of the whole manuscript, started at once in the background: the
    book's AST when no splice is made, and the proof of a splice when one is
    (reading.py). Its JSON is what is kept for the next build's splice."""

    def __init__(self, manuscript: Manuscript, appendix_markdown: str, limits: Limits, record: Path | None):
        from concurrent.futures import ThreadPoolExecutor
        self.manuscript, self.appendix_markdown, self.record = manuscript, appendix_markdown, record
        self.identity = json.dumps(read_command(manuscript)).encode() + citations.pandoc_identity(
            pandoc_binary(), _environment()) + (manuscript.metadata_file.read_bytes() if manuscript.metadata_file else b"")
        self.folder = Path(tempfile.mkdtemp(prefix="folio-"))
        appendix = None
        if appendix_markdown:
            appendix = self.folder / "definitions.md"
            appendix.write_text(appendix_markdown, encoding="utf-8")
        source = self.composed = None
        if manuscript.decomposed:   # pandoc reads what folio read: the text in composed form
            source = self.folder / "composed" / manuscript.source.name   # its name: pandoc's messages name it
            source.parent.mkdir()
            source.write_text(manuscript.text, encoding="utf-8")
            self.composed = source
        self.log = self.folder / "read-log.json"
        self.pool = ThreadPoolExecutor(1)
        self.future = self.pool.submit(sandbox.run, read_command(manuscript, appendix, source) + [f"--log={self.log}"],
                                       limits, "pandoc", manuscript.source, cwd=manuscript.root, env=_environment())
        self.done: tuple | None = None
        self.failure: BuildError | None = None

    def result(self) -> tuple[bytes, str, list]:
        """(pandoc's JSON, what it printed, its warnings); a failed read raises, each time."""
        if self.failure is not None:
            raise self.failure
        if self.done is None:
            try:
                read = self.future.result()
                messages = _log(self.log)
                if self.composed is not None:   # what pandoc says of its copy, said of the file
                    messages = json.loads(json.dumps(messages).replace(
                        json.dumps(str(self.composed))[1:-1], json.dumps(str(self.manuscript.source))[1:-1]))
                stderr = read.stderr.decode("utf-8", "replace")
                if read.returncode != 0:
                    raise _failure(self.manuscript, stderr.strip())
            except BuildError as failure:
                self.failure = failure
                raise
            finally:
                self.pool.shutdown()
                self.future = None   # its result holds pandoc's output too
                shutil.rmtree(self.folder, ignore_errors=True)
            if messages or stderr.strip():
                reading.forget(self.record)
            else:
                reading.keep(self.record, self.identity, self.manuscript.text, self.appendix_markdown, read.stdout)
            self.done = (read.stdout, stderr, messages)
        return self.done

    def settle(self) -> None:
        """Wait for the read and clean up after it, when nothing will use it (a step
        failing on something else): its temporary folder and pandoc go with it."""
        try:
            self.result()
        except BuildError:
            pass

    def document(self):
        data = self.result()[0]
        try:
            return ast.from_json(data)
        except (ValueError, RecursionError):
            raise error("FOLIO062", "the manuscript is nested too deeply to read", self.manuscript.source,
                        fix="flatten deeply nested lists, quotes or HTML elements") from None

    def confirms(self, spliced_json: bytes) -> bool:
        """Whether the splice is pandoc's whole read (said nothing, same AST)."""
        try:
            data, stderr, messages = self.result()
        except BuildError:
            return False
        if stderr.strip() or messages:
            return False
        # The same bytes but for pandoc's last newline, as a rule; else the same values
        # (a number may be written otherwise).
        return data.rstrip(b"\n") == spliced_json.rstrip(b"\n") or json.loads(data) == json.loads(spliced_json)


def run(manuscript: Manuscript, appendix_markdown: str = "", limits: Limits = Limits(),
        citeproc_record: Path | None = None, whole: WholeRead | None = None, writers: int = 1) -> PandocOutput:
    """Read the manuscript (plus `appendix_markdown`, the dictionary's definitions, so
    they are rendered by the same citeproc run) into pandoc's AST, confine its
    metadata, and write the AST as one HTML document. The rendered citations and each
    chapter's HTML are kept beside `citeproc_record` for the next build.

    After an edit the AST may be spliced from the last read (reading.py) while pandoc
    reads the whole manuscript beside it: the output then carries `whole`, which the
    caller asks (`confirms`) before it uses anything made from it, and builds again
    from the whole read if the two differ. Given `whole`, its read is used as it is.
    `writers`: how many pandoc runs may write the HTML at once (writing.py)."""
    read_record = citeproc_record.with_name(READ_RECORD) if citeproc_record else None
    spliced_json = None
    if whole is None:
        whole = WholeRead(manuscript, appendix_markdown, limits, read_record)
        try:   # a title made of the one top heading shifts every heading: read whole
            found = None if manuscript.heading_shift else reading.spliced(
                read_record, whole.identity, manuscript.text, appendix_markdown,
                lambda markdown: _read_alone(markdown, manuscript, limits))
        except Exception:   # too deep, at a limit, or a fault of the splice's: the whole read is there
            found = None
        if found is not None:
            held, spliced_json = [found[0]], found[1]
            del found
    if spliced_json is None:
        data, read_stderr, messages = whole.result()
        kinds = ast.Kinds.of(data)
        del data
        held = [whole.document()]   # in a list, so that `_run_on` can let go of the AST (see there)
        whole.done = (b"", read_stderr, messages)   # the JSON is read: not kept in memory through the run
    else:
        read_stderr, messages = "", []
        try:
            return _run_on(held, manuscript, appendix_markdown, limits, citeproc_record, read_stderr, messages,
                           ast.Kinds.of(spliced_json), whole, spliced_json, writers)
        except BuildError:   # said of the splice: said again of the whole read, or not at all
            if whole.confirms(spliced_json):
                raise
            return run(manuscript, appendix_markdown, limits, citeproc_record, whole, writers)
        except Exception:
            whole.settle()
            raise
    return _run_on(held, manuscript, appendix_markdown, limits, citeproc_record, read_stderr, messages, kinds,
                   writers=writers)


def _run_on(held: list, manuscript: Manuscript, appendix_markdown: str, limits: Limits,
            citeproc_record: Path | None, read_stderr: str, messages: list, kinds: ast.Kinds = ast.Kinds(),
            whole: WholeRead | None = None, spliced_json: bytes | None = None, writers: int = 1) -> PandocOutput:
    """`run` from the read AST on: its metadata confined, the AST passes, citeproc, the
    HTML written. The AST comes in `held`, a list this takes it out of: no caller's
    name keeps it alive while pandoc writes (a long book's AST and pandoc's own copy
    of it in memory together were some 200 MB more at 50x)."""
    writer_record = citeproc_record.with_name(HTML_RECORD) if citeproc_record else None
    document = confine_metadata(held.pop(), manuscript)
    diagnostics: list[Diagnostic] = []

    def warn(code: str, message: str, needle: str | None, fix: str, line: int | None = None) -> None:
        at = manuscript.text.find(needle) if needle and line is None else -1
        diagnostics.append(Diagnostic(code, message, manuscript.source,
                                      line_of(manuscript.text, at) if at >= 0 else line, fix))
    _abstract_as_chapter(document, manuscript, warn)
    _unprinted_metadata(document, manuscript, warn)
    _drop_metadata_notes(document, manuscript, warn)
    if kinds.raw:
        document = latex.read_raw_latex(document, manuscript, warn, limits)
    for step in kinds.passes():
        document = step(document, manuscript, warn)
    passages = conservation.passages(document, manuscript.text)
    # The AST is let go before pandoc writes it: a long book's AST and pandoc's own
    # copy of it would otherwise be in memory together.
    skeleton = citations.CiteSkeleton.of(document)
    del document
    # The AST's objects are freed, but glibc would keep their pages for this process
    # while pandoc holds its own copy of the document: given back first (here, and
    # again before pandoc writes the HTML).
    sandbox.give_back_freed_memory()
    rendered = citations.render(skeleton, manuscript, limits, pandoc_binary(), _environment(), _log, _failure,
                                citeproc_record)
    messages += rendered.messages
    head, blocks = skeleton.filled(rendered)
    sandbox.give_back_freed_memory()

    def write(document: bytes) -> tuple[bytes, str, list]:
        with tempfile.TemporaryDirectory(prefix="folio-") as tmp:
            write_log = Path(tmp) / "write-log.json"
            done = sandbox.run(write_command() + [f"--log={write_log}"], limits, "pandoc", manuscript.source,
                               cwd=manuscript.root, env=_environment(), input=document)
            stderr = done.stderr.decode("utf-8", "replace")
            if done.returncode != 0:
                raise _failure(manuscript, stderr.strip())
            return done.stdout, stderr, _log(write_log)
    identity = json.dumps(write_command()[1:]).encode() + TEMPLATE.read_bytes() \
        + citations.pandoc_identity(pandoc_binary(), _environment())
    written = writing.write(head, blocks, identity, write, writer_record, writers)
    del skeleton, rendered.blocks[:], rendered.added[:], blocks
    messages += written.messages
    stderr = (read_stderr + rendered.stderr + written.stderr).strip()
    missing = MISSING_CITATION.findall(stderr)
    if missing:
        raise BuildError(*(Diagnostic(
            "FOLIO021", f"citation key '@{key}' is not in the bibliography", *_cite_place(manuscript, key),
            fix=_missing_key_fix(manuscript, key)) for key in dict.fromkeys(missing)))
    diagnostics += _pandoc_diagnostics(messages, manuscript, appendix_markdown)
    return PandocOutput(written.html, passages, tuple(diagnostics), whole, spliced_json)


def _log(path: Path) -> list[dict]:
    """pandoc's messages (`--log`): each with its type, and a line where pandoc knows it."""
    try:
        messages = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [m for m in messages if isinstance(m, dict) and m.get("verbosity") == "WARNING"]


def _read_alone(markdown: str, manuscript: Manuscript, limits: Limits) -> bytes | None:
    """pandoc's JSON of one piece of the manuscript read by itself (reading.py); None
    if pandoc said anything about it, which the whole read would say with its line."""
    with tempfile.TemporaryDirectory(prefix="folio-") as tmp:
        log = Path(tmp) / "log.json"
        done = sandbox.run([pandoc_binary(), "--sandbox", "--from", "markdown", "--to", "json", f"--log={log}"],
                           limits, "pandoc", manuscript.source, cwd=manuscript.root, env=_environment(),
                           input=markdown.encode("utf-8"))
        if done.returncode != 0 or done.stderr.strip() or _log(log):
            return None
    return done.stdout


def _first_line(text: str) -> str:
    return " ".join(text.split())[:80]


def _pandoc_diagnostics(messages: list[dict], manuscript: Manuscript, appendix_markdown: str) -> list[Diagnostic]:
    """pandoc's warnings as folio's: a formula pandoc cannot convert is named with its
    line (it would be printed as TeX); a missing citation is FOLIO021, raised above."""
    found = []
    for message in messages:
        kind = message.get("type")
        if kind == "CiteprocWarning" and "not found" in str(message.get("message")):
            continue
        if kind == "CouldNotConvertTeXMath":
            tex = str(message.get("contents", ""))
            reason = next((line.strip() for line in str(message.get("message", "")).splitlines()
                           if line.strip().startswith(("unexpected", "expecting"))), "")
            at = manuscript.text.find(tex.strip())
            found.append(Diagnostic(
                "FOLIO023", f"the formula '{_first_line(tex)}' cannot be typeset ({reason or 'pandoc cannot read it'}); "
                "it is printed as TeX", manuscript.source, line_of(manuscript.text, at) if at >= 0 else None,
                fix="define a command of your own in the manuscript (\\newcommand, \\DeclareMathOperator), "
                    "or use standard LaTeX math"))
            continue
        line = message.get("line") if str(message.get("source", "")).endswith(manuscript.source.name) else None
        found.append(Diagnostic("FOLIO023", f"pandoc: {_first_line(str(message.get('pretty', kind)))}",
                                manuscript.source, line, fix="see pandoc's manual for this message"))
    return found

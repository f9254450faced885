"""Read a manuscript folder: the Markdown, its YAML metadata and the files it names.

Nothing here runs pandoc; this is the cheap, careful first step that turns every
mistake in the folder into a diagnostic with a file and a line.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import csl
from .diagnostics import Diagnostic, error
from .safety import is_inside, is_regular_file, local_path

def slugify(text: str) -> str:
    """A file-name-safe form of a title: 'A *Small* Book' -> 'a-small-book'."""
    text = re.sub(r"[^\w\s-]", "", text.lower())
    slug = re.sub(r"[\s_-]+", "-", text).strip("-")
    # A file name, not a sentence: at most 80 bytes (a CJK character takes three), so
    # that with the edition's suffix and a temporary prefix it stays under 255.
    slug = slug.encode("utf-8")[:80].decode("utf-8", "ignore").strip("-")
    return slug or "book"


def composed(text: str) -> str:
    """`text` in Unicode's composed form (NFC): an "é" typed as "e" and a combining
    accent (as macOS and some editors write it) is the "é" of a dictionary or an
    edition. Text that is composed already (nearly all) is returned as it is."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


RIGHT_TO_LEFT = {"ar", "he", "iw", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb", "syr"}


def direction_of(metadata: dict) -> str:
    """`dir: rtl` (pandoc's key), or else the direction of the book's language."""
    given = str(metadata.get("dir") or "").strip().lower()
    if given in ("rtl", "ltr"):
        return given
    primary = str(metadata.get("lang") or "en").replace("_", "-").split("-")[0].lower()
    return "rtl" if primary in RIGHT_TO_LEFT else "ltr"


MAX_MANUSCRIPT_BYTES = 20 * 1024 * 1024
MAX_METADATA_BYTES = 256 * 1024   # PyYAML takes seconds per MB: references belong in a bibliography file


def top_headings(text: str) -> list[str]:
    """The text of each `# ` heading outside fenced code, read line by line (a regular
    expression over the whole text was quadratic on a long line of braces)."""
    found, fence = [], None
    for line in text.split("\n"):
        stripped = line.rstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            fence = None if fence == marker else (fence or marker)
            continue
        if fence or not stripped.startswith(("# ", "#\t")):
            continue
        title = stripped[1:].strip().rstrip("#").strip()
        if title.endswith("}") and "{" in title:   # an attribute block: {#id .class}
            title = title[:title.rindex("{")].strip()
        if title:
            found.append(title)
    return found


@dataclass(frozen=True)
class Manuscript:
    """A manuscript folder, read and checked, before pandoc sees it."""

    root: Path
    source: Path
    text: str
    metadata: dict
    metadata_lines: dict = field(repr=False)
    bibliography: tuple[Path, ...]
    style: Path
    style_name: str
    dictionary: Path | None
    abbreviations: Path | None = None   # citeproc's citation-abbreviations file
    heading_shift: int = 0      # -1 when the manuscript's lone top heading is its title
    derived_title: bool = False  # the title came from a heading or the folder, not the YAML
    metadata_file: Path | None = None   # pandoc's --metadata-file: keys the manuscript does not set
    keys_from_file: frozenset = frozenset()
    # The file was typed with combining accents: `text` is its composed form (NFC),
    # which pandoc reads (pandoc.WholeRead), so ids, labels and keys are read whole.
    decomposed: bool = False

    def where(self, key: str) -> tuple[Path, int | None]:
        """The file and line that set a metadata key, for a diagnostic."""
        if key in self.keys_from_file:
            return self.metadata_file, self.metadata_lines.get(key)
        return self.source, self.metadata_lines.get(key)

    @property
    def slug(self) -> str:
        """The editions' file name: `slug:` from the metadata, else the title's words."""
        return slugify(str(self.metadata.get("slug") or self.metadata.get("title")))


def find_source(root: Path) -> Path:
    if not root.is_dir():
        raise error("FOLIO001", f"manuscript folder {root} does not exist", root,
                    fix="pass an existing folder with --manuscript DIR")
    main = root / "book.md"
    candidates = [main] if is_regular_file(main) else sorted(p for p in root.glob("*.md") if is_regular_file(p))
    if len(candidates) == 1:
        if not is_inside(candidates[0], root):
            raise error("FOLIO005", f"{candidates[0].name} links to a file outside the manuscript folder",
                        candidates[0], fix="replace the symbolic link with the file itself")
        return candidates[0]
    raise error("FOLIO002", "cannot tell which Markdown file is the manuscript "
                f"({len(candidates)} .md files found)", root,
                fix="name the manuscript book.md")


def refuse_aliases(text: str, source: Path, first_line: int) -> None:
    """YAML aliases can expand a few bytes into gigabytes (a 'billion laughs'): refuse them.
    The events come from libyaml where PyYAML has it (a long dictionary's in a
    twentieth of the time), with the same marks. Where libyaml gives up, PyYAML's own
    parser, which the real parse uses, looks again: the two disagree on a few inputs
    (a tab in a block scalar, a `%` directive), and an alias after such a line must
    not pass. An alias libyaml finds in YAML PyYAML would not read is refused too:
    pandoc, which reads every block, would expand it."""
    parsers = [yaml.SafeLoader] if not hasattr(yaml, "CSafeLoader") else [yaml.CSafeLoader, yaml.SafeLoader]
    for parser in parsers:
        try:
            for event in yaml.parse(text, Loader=parser):
                if isinstance(event, yaml.AliasEvent):
                    raise error("FOLIO004", "YAML aliases (*name) are not allowed in a manuscript", source,
                                event.start_mark.line + first_line, fix="write the value out instead of an alias")
            return
        except (yaml.YAMLError, RecursionError):
            continue   # the last: reported with its line by the real parse


FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def metadata_blocks(text: str):
    """Every YAML metadata block pandoc would read, as (line of its first key, YAML text).

    pandoc reads not only the block at the top: any `---` line that opens the file
    (blank lines before it allowed) or follows a blank line, and is followed by a
    non-blank line, opens a block closed by `---` or `...`. Fenced code is skipped.
    Blocks pandoc reads in odd places (inside a block quote) are caught after the
    pandoc run, by comparing its metadata with this reading.
    """
    lines = text.split("\n")
    fence, previous_blank, i = None, True, 0
    while i < len(lines):
        line = lines[i]
        opened = FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = None
            i, previous_blank = i + 1, False
            continue
        if opened:
            fence, i, previous_blank = opened.group(1), i + 1, False
            continue
        if (previous_blank and line.rstrip() == "---" and i + 1 < len(lines) and lines[i + 1].strip()):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() in ("---", "...")), None)
            if end is not None:
                yield i + 2, "\n".join(lines[i + 1:end]) + "\n"
                i, previous_blank = end + 1, False
                continue
        previous_blank = not line.strip()
        i += 1


def unreadable_value_line(node, first_line: int) -> int | None:
    """The line of the first value YAML reads but cannot make into data: a date that is
    no date (`2024-13-45`, `2024-02-30`), which PyYAML raises as a ValueError."""
    loader = yaml.SafeLoader("")
    pending = [node] if node is not None else []
    while pending:
        current = pending.pop()
        if isinstance(current, yaml.ScalarNode):
            try:
                loader.construct_object(current, deep=True)
            except Exception:   # noqa: BLE001 - any failure is the value to name
                return current.start_mark.line + first_line
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(reversed(current.value))
        elif isinstance(current, yaml.MappingNode):
            pending.extend(reversed([part for pair in current.value for part in pair]))
    return None


UNREADABLE_VALUE_FIX = "quote it ('date: \"2024-13-45\"') to keep it as text, or correct it"


def _parse_block(block: str, source: Path, first_line: int, required: bool):
    """One YAML block as (mapping, key lines); a later block that is not YAML is
    text to pandoc too (a rule and a paragraph), so it is skipped unless `required`."""
    if len(block.encode("utf-8")) > MAX_METADATA_BYTES:
        raise error("FOLIO004", f"a metadata block is over {MAX_METADATA_BYTES // 1024} KB", source, first_line,
                    fix="keep the metadata short; put references in a bibliography file")
    refuse_aliases(block, source, first_line)
    try:
        node = yaml.compose(block, Loader=yaml.SafeLoader)
        data = yaml.safe_load(block)
    except RecursionError:
        raise error("FOLIO004", "the YAML metadata is nested too deeply", source, first_line,
                    fix="write the metadata as plain keys, lists and short mappings") from None
    except yaml.YAMLError as exc:
        if not required:
            return {}, {}
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + first_line if mark else first_line
        problem = getattr(exc, "problem", None) or str(exc)
        raise error("FOLIO004", f"invalid YAML metadata: {problem}", source, line,
                    fix="check the indentation and quote values that contain ': ' or start with a quote or '@'") from None
    except (ValueError, TypeError, OverflowError) as exc:   # a date that is no date
        if not required:
            return {}, {}
        raise error("FOLIO004", f"a value in the YAML metadata cannot be read: {str(exc)[:80]}", source,
                    unreadable_value_line(node, first_line) or first_line, fix=UNREADABLE_VALUE_FIX) from None
    if not isinstance(data, dict):
        if not required:
            return {}, {}
        raise error("FOLIO004", "the YAML metadata must be a mapping of keys to values", source, first_line,
                    fix="write one 'key: value' per line")
    lines = {k.value: k.start_mark.line + first_line for k, _ in node.value} if node is not None else {}
    return {str(k): v for k, v in data.items()}, {str(k): v for k, v in lines.items()}


def title_block(text: str) -> dict:
    """pandoc's `%` title block: title, authors (separated by ';') and date."""
    if not text.startswith("%"):
        return {}
    fields, current = [], None
    for line in text.split("\n"):
        if line.startswith("%"):
            current = [line[1:].strip()]
            fields.append(current)
        elif line.startswith((" ", "\t")) and current is not None and line.strip():
            current.append(line.strip())
        else:
            break
    values = [" ".join(parts) for parts in fields[:3]]
    found = {}
    if values and values[0]:
        found["title"] = values[0]
    if len(values) > 1 and values[1]:
        found["author"] = [name.strip() for name in values[1].split(";") if name.strip()]
    if len(values) > 2 and values[2]:
        found["date"] = values[2]
    return found


def read_metadata(source: Path, text: str) -> tuple[dict, dict]:
    """The manuscript's metadata as pandoc reads it (every YAML block, a later one
    overriding an earlier one, after a `%` title block), and the line of each key."""
    data, lines = {}, {}
    for line, (key, value) in enumerate(title_block(text).items(), start=1):
        data[key], lines[key] = value, line
    first = True
    for first_line, block in metadata_blocks(text):
        starts_file = first and not text[:text.find("---")].strip()
        found, found_lines = _parse_block(block, source, first_line, required=starts_file)
        data.update(found)
        lines.update(found_lines)
        first = False
    return data, lines


METADATA_FILES = ("metadata.yaml", "metadata.yml")   # what pandoc users pass as --metadata-file


def metadata_file(source: Path, root: Path, metadata: dict, lines: dict) -> Path | None:
    """The file named by `metadata-file:` (as in a pandoc defaults file), else a
    `metadata.yaml` beside the manuscript; inside the folder, like every file."""
    named = metadata.get("metadata-file")
    if named:
        return _named_file(source, root, "metadata-file", named, lines)
    return next((root / name for name in METADATA_FILES if is_regular_file(root / name)), None)


def read_text(path: Path, what: str, limit: int, code: str = "FOLIO008") -> str:
    """A file of the folder as text: its size checked before it is read, UTF-8 or an error."""
    if path.stat().st_size > limit:
        raise error("FOLIO007" if code == "FOLIO008" else code,
                    f"the {what} is {path.stat().st_size // 2**20} MB, over the {limit // 2**20} MB limit", path,
                    fix="split very large material out, or put references in a bibliography file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(code, f"the {what} is not UTF-8 (byte {exc.start})", path, fix="save the file as UTF-8") from None


MAX_EXPANDED_BIBTEX = 16 * 2**20   # what a BibTeX file's @string macros may expand to, in all
_BIBTEX_STRING = re.compile(r"@string\s*[{(]\s*([A-Za-z][\w:.+/-]*)\s*=", re.I)
_BIBTEX_BARE_WORD = re.compile(r"(?:=|#)\s*([A-Za-z][\w:.+/-]*)")


def _bibtex_value(text: str, at: int) -> str:
    """The value after `name =` in an @string, up to the brace or parenthesis that
    closes the @string (braces and quotes inside it kept whole)."""
    depth, quoted, end = 0, False, at
    while end < len(text):
        char = text[end]
        if char == '"' and depth == 0:
            quoted = not quoted
        elif char == "{":
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
        elif char in "})" and depth == 0 and not quoted:
            break
        end += 1
    return text[at:end]


def refuse_bibliography_bombs(path: Path) -> None:
    """A bibliography is read by pandoc whole, so it is read here first for the two
    ways a few bytes become gigabytes: YAML aliases in CSL YAML, and BibTeX @string
    macros that concatenate each other (`@string{b = a # a}`, 34 of them: 2^34 bytes).
    Each is refused at its line, before pandoc runs out of time or memory."""
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".bib", ".bibtex") or path.stat().st_size > MAX_MANUSCRIPT_BYTES:
        return   # larger files meet pandoc's time and memory limits
    text = path.read_text(encoding="utf-8", errors="replace")
    if suffix in (".yaml", ".yml"):
        refuse_aliases(text, path, 1)
        return
    definitions = {m.group(1).lower(): (m.end(), text.count("\n", 0, m.start()) + 1)
                   for m in _BIBTEX_STRING.finditer(text)}
    if not definitions:
        return
    sizes: dict[str, int] = {}

    def size(name: str, seen: frozenset = frozenset()) -> int:
        """The length a macro expands to: its quoted and braced parts, and its macros'."""
        if name in sizes:
            return sizes[name]
        if name in seen or name not in definitions:
            return len(name)
        value = _bibtex_value(text, definitions[name][0])
        total = len(value)
        for word in _BIBTEX_BARE_WORD.finditer("=" + value):
            total += size(word.group(1).lower(), seen | {name}) if word.group(1).lower() in definitions else 0
            if total > MAX_EXPANDED_BIBTEX:
                break
        sizes[name] = total
        return total
    used = 0
    for word in _BIBTEX_BARE_WORD.finditer(text):   # every use, in a macro or an entry's field
        name = word.group(1).lower()
        if name in definitions:
            used += size(name)
            if used > MAX_EXPANDED_BIBTEX:
                line = text.count("\n", 0, word.start()) + 1
                raise error("FOLIO004", f"the @string macros of {path.name} expand to over "
                            f"{MAX_EXPANDED_BIBTEX // 2**20} MB (at '{name}')", path, line,
                            fix="write the text out instead of concatenating @string macros with '#'")


def read_metadata_file(path: Path, root: Path) -> tuple[dict, dict]:
    if not is_inside(path, root):
        raise error("FOLIO005", f"{path.name} links to a file outside the manuscript folder", path,
                    fix="replace the symbolic link with the file itself")
    return _parse_block(read_text(path, "metadata file", MAX_MANUSCRIPT_BYTES), path, 1, required=True)


def _named_file(source: Path, root: Path, key: str, value, lines: dict) -> Path:
    line = lines.get(key)
    path = local_path(str(value), root)
    if path is None:
        raise error("FOLIO005", f"{key} '{value}' is outside the manuscript folder", source, line,
                    fix=f"put the file in {root.name}/ and name it by a relative path")
    if not is_regular_file(path):
        raise error("FOLIO006", f"{key} file '{value}' not found", source, line,
                    fix=f"create {path.name} in the manuscript folder or correct the name")
    return path


def _read_lang(metadata: dict, source: Path, line: int | None, reporter) -> None:
    """`lang:` as every edition writes it: a well-formed language tag. A locale's name
    (`en_US`) is read as the tag it means (`en-US`); a language's name (`French`) or
    other words are no tag, and the book is read as English. Either is said."""
    from .labels import language_tag
    written = str(metadata["lang"]).strip()
    tag = language_tag(written)
    if tag == written:
        return
    metadata["lang"] = tag or "en"
    if reporter is not None:
        shown = written[:40]
        reporter.warn(Diagnostic(
            "FOLIO075", f"lang: '{shown}' is not a language tag; read as '{metadata['lang']}'"
            + ("" if tag else " (English)"), source, line,
            fix=f"write 'lang: {tag}'" if tag else "write a language tag: 'en', 'fr', 'de-CH', 'pt-BR'"))


def load(root: Path, style_override: str | None = None, reporter=None) -> Manuscript:
    root = root.resolve()
    source = find_source(root)
    typed = read_text(source, "manuscript", MAX_MANUSCRIPT_BYTES)
    text = composed(typed)
    metadata, lines = read_metadata(source, text)
    extra = metadata_file(source, root, metadata, lines)
    from_file: set = set()
    if extra is not None:   # pandoc's order: the manuscript's own keys win
        file_data, file_lines = read_metadata_file(extra, root)
        from_file = {key for key in file_data if key not in metadata and key != "metadata-file"}
        metadata = {**{k: file_data[k] for k in from_file}, **metadata}
        lines = {**{k: file_lines[k] for k in from_file if k in file_lines}, **lines}

    def origin(key: str) -> Path:
        return extra if key in from_file else source

    shift, derived = 0, False
    if not str(metadata.get("title") or "").strip():
        derived = True
        # Like pandoc's --shift-heading-level-by=-1: a lone top heading is the title.
        tops = top_headings(text)
        if len(tops) == 1 and text.lstrip().startswith("#"):
            metadata["title"], shift = tops[0].strip(), -1
        else:
            metadata["title"] = root.name.replace("-", " ").replace("_", " ").strip().title() or "Untitled"
            if reporter is not None:
                reporter.warn(Diagnostic("FOLIO009", f"the manuscript has no title; using '{metadata['title']}'",
                                         source, 1, fix="start the file with a YAML block: '---', 'title: ...', '---'"))

    if metadata.get("lang") is not None:
        _read_lang(metadata, origin("lang"), lines.get("lang"), reporter)

    bib = metadata.get("bibliography") or []
    bib = list(bib) if isinstance(bib, list) else [bib]
    bibliography = tuple(_named_file(origin("bibliography"), root, "bibliography", b, lines) for b in bib)
    for path in bibliography:
        refuse_bibliography_bombs(path)

    style_name = style_override or str(metadata.get("csl") or csl.DEFAULT_STYLE)
    style = csl.resolve(style_name, root, origin("csl") if not style_override else None,
                        None if style_override else lines.get("csl"))

    dictionary = None
    if metadata.get("dictionary"):
        dictionary = _named_file(origin("dictionary"), root, "dictionary", metadata["dictionary"], lines)
    elif (root / "dictionary.yaml").is_file():
        dictionary = _named_file(source, root, "dictionary", "dictionary.yaml", lines)

    abbreviations = None
    if metadata.get("citation-abbreviations"):
        abbreviations = _named_file(origin("citation-abbreviations"), root, "citation-abbreviations",
                                    metadata["citation-abbreviations"], lines)

    return Manuscript(root, source, text, metadata, lines, bibliography, style, style_name, dictionary,
                      abbreviations, shift, derived, extra, frozenset(from_file), decomposed=text is not typed)


BIBTEX_ENTRY = re.compile(r"^\s*@(?!comment|string|preamble)\w+\s*[{(]\s*([^,\s]+)\s*,", re.I | re.M)
JSON_ID = re.compile(r'"id"\s*:\s*"([^"]+)"')
YAML_ID = re.compile(r"^\s*-?\s*id\s*:\s*['\"]?([^'\"\s]+)", re.M)


def bibliography_entries(path: Path) -> list[tuple[str, int]]:
    """Each entry key in a bibliography file and the line it starts on, in the file's
    order, a key written twice twice."""
    text = composed(path.read_text(encoding="utf-8", errors="replace"))   # as citeproc reads it (citations.py)
    pattern = {".bib": BIBTEX_ENTRY, ".bibtex": BIBTEX_ENTRY, ".json": JSON_ID}.get(path.suffix.lower(), YAML_ID)
    return [(m.group(1), text.count("\n", 0, m.start(1)) + 1) for m in pattern.finditer(text)]


def bibliography_keys(path: Path) -> dict[str, int]:
    """Each entry key in a bibliography file and the line it starts on."""
    return dict(bibliography_entries(path))

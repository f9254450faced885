"""Read a manuscript folder: the Markdown, its YAML metadata and the files it names.

Nothing here runs pandoc; this is the cheap, careful first step that turns every
mistake in the folder into a diagnostic with a file and a line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import csl
from .diagnostics import Diagnostic, error
from .safety import is_inside, local_path

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
def slugify(text: str) -> str:
    """A file-name-safe form of a title: 'A *Small* Book' -> 'a-small-book'."""
    text = re.sub(r"[^\w\s-]", "", text.lower())
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "book"


MAX_MANUSCRIPT_BYTES = 20 * 1024 * 1024
TOP_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t]*(?:\{[^}]*\})?[ \t]*#*$", re.M)
CODE_BLOCK = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


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
    heading_shift: int = 0      # -1 when the manuscript's lone top heading is its title
    derived_title: bool = False  # the title came from a heading or the folder, not the YAML

    @property
    def slug(self) -> str:
        """The editions' file name: `slug:` from the metadata, else the title's words."""
        return slugify(str(self.metadata.get("slug") or self.metadata.get("title")))


def find_source(root: Path) -> Path:
    if not root.is_dir():
        raise error("FOLIO001", f"manuscript folder {root} does not exist", root,
                    fix="pass an existing folder with --manuscript DIR")
    main = root / "book.md"
    candidates = [main] if main.is_file() else sorted(root.glob("*.md"))
    if len(candidates) == 1:
        if not is_inside(candidates[0], root):
            raise error("FOLIO005", f"{candidates[0].name} links to a file outside the manuscript folder",
                        candidates[0], fix="replace the symbolic link with the file itself")
        return candidates[0]
    raise error("FOLIO002", "cannot tell which Markdown file is the manuscript "
                f"({len(candidates)} .md files found)", root,
                fix="name the manuscript book.md")


def refuse_aliases(text: str, source: Path, first_line: int) -> None:
    """YAML aliases can expand a few bytes into gigabytes (a 'billion laughs'): refuse them."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise error("FOLIO004", "YAML aliases (*name) are not allowed in a manuscript", source,
                            event.start_mark.line + first_line, fix="write the value out instead of an alias")
    except yaml.YAMLError:
        return   # reported with its line by the real parse


def read_metadata(source: Path, text: str) -> tuple[dict, dict]:
    """The YAML block at the top of the manuscript, and the line of each top-level key."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, {}
    block = match.group(1)
    refuse_aliases(block, source, 2)
    try:
        node = yaml.compose(block, Loader=yaml.SafeLoader)
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise error("FOLIO004", f"invalid YAML metadata: {problem}", source, line,
                    fix="check the indentation and quote values that contain ': ' or start with a quote or '@'") from None
    if not isinstance(data, dict):
        raise error("FOLIO004", "the YAML metadata must be a mapping of keys to values", source, 2,
                    fix="write one 'key: value' per line")
    lines = {k.value: k.start_mark.line + 2 for k, _ in node.value} if node is not None else {}
    return data, lines


def _named_file(source: Path, root: Path, key: str, value, lines: dict) -> Path:
    line = lines.get(key)
    path = local_path(str(value), root)
    if path is None:
        raise error("FOLIO005", f"{key} '{value}' is outside the manuscript folder", source, line,
                    fix=f"put the file in {root.name}/ and name it by a relative path")
    if not path.is_file():
        raise error("FOLIO006", f"{key} file '{value}' not found", source, line,
                    fix=f"create {path.name} in the manuscript folder or correct the name")
    return path


def load(root: Path, style_override: str | None = None, reporter=None) -> Manuscript:
    root = root.resolve()
    source = find_source(root)
    if source.stat().st_size > MAX_MANUSCRIPT_BYTES:
        raise error("FOLIO007", f"the manuscript is {source.stat().st_size // 2**20} MB, over the "
                    f"{MAX_MANUSCRIPT_BYTES // 2**20} MB limit", source,
                    fix="split very large material out or raise MAX_MANUSCRIPT_BYTES deliberately")
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error("FOLIO008", f"the manuscript is not UTF-8 (byte {exc.start})", source,
                    fix="save the file as UTF-8") from None
    metadata, lines = read_metadata(source, text)
    shift, derived = 0, False
    if not str(metadata.get("title") or "").strip():
        derived = True
        # Like pandoc's --shift-heading-level-by=-1: a lone top heading is the title.
        tops = TOP_HEADING.findall(CODE_BLOCK.sub("", text))
        if len(tops) == 1 and text.lstrip().startswith("#"):
            metadata["title"], shift = tops[0].strip(), -1
        else:
            metadata["title"] = root.name.replace("-", " ").replace("_", " ").strip().title() or "Untitled"
            if reporter is not None:
                reporter.warn(Diagnostic("FOLIO009", f"the manuscript has no title; using '{metadata['title']}'",
                                         source, 1, fix="start the file with a YAML block: '---', 'title: ...', '---'"))

    bib = metadata.get("bibliography") or []
    bib = [bib] if isinstance(bib, str) else list(bib)
    bibliography = tuple(_named_file(source, root, "bibliography", b, lines) for b in bib)

    style_name = style_override or str(metadata.get("csl") or csl.DEFAULT_STYLE)
    style = csl.resolve(style_name, root, source if not style_override else None,
                        None if style_override else lines.get("csl"))

    dictionary = None
    if metadata.get("dictionary"):
        dictionary = _named_file(source, root, "dictionary", metadata["dictionary"], lines)
    elif (root / "dictionary.yaml").is_file():
        dictionary = _named_file(source, root, "dictionary", "dictionary.yaml", lines)

    return Manuscript(root, source, text, metadata, lines, bibliography, style, style_name, dictionary, shift, derived)


BIBTEX_ENTRY = re.compile(r"^\s*@(?!comment|string|preamble)\w+\s*[{(]\s*([^,\s]+)\s*,", re.I | re.M)
JSON_ID = re.compile(r'"id"\s*:\s*"([^"]+)"')
YAML_ID = re.compile(r"^\s*-?\s*id\s*:\s*['\"]?([^'\"\s]+)", re.M)


def bibliography_keys(path: Path) -> dict[str, int]:
    """Each entry key in a bibliography file and the line it starts on."""
    text = path.read_text(encoding="utf-8", errors="replace")
    pattern = {".bib": BIBTEX_ENTRY, ".bibtex": BIBTEX_ENTRY, ".json": JSON_ID}.get(path.suffix.lower(), YAML_ID)
    return {m.group(1): text.count("\n", 0, m.start(1)) + 1 for m in pattern.finditer(text)}

"""Citations rendered by pandoc's citeproc over a skeleton of the AST, and kept.

citeproc reads the whole document to render a few thousand citations: at 50x the
bundled book that is 2 of the 5 s pandoc takes to write HTML, paid again when an
author edits a paragraph that cites nothing. So citeproc is given only the blocks it
would change (`CiteSkeleton`), and what it returns is kept beside the build
(`citeproc.json`, signed as the build state is: state.py) under a hash of everything
it read: the skeleton, the style, the bibliography and abbreviations, pandoc itself.
An edit that leaves the skeleton as it was renders no citation again.

The AST is handled as JSON text block by block, written by orjson (ast.to_json).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path

from . import csl, sandbox, state
from .ast import from_json, to_json

RECORD_VERSION = 3   # 3: bibliographies read composed (a record of 2 may hold keys citeproc missed)

# What citeproc changes besides a citation (pandoc's Text/Pandoc/Citeproc.hs): it
# moves punctuation next to a citation, makes notes of `csl-note` spans (note
# styles), unwraps `csl-quoted` spans, fills the `refs` div (or appends the
# bibliography after the last block, marking a closing heading unnumbered), and
# counts citation positions (ibid, subsequent) in the sections headings make.
# A top-level block whose JSON holds none of these words and no heading comes back
# from citeproc as it went in.
CITEPROC_WORDS = (b'"Cite"', b"csl-note", b"csl-quoted", b'refs"', b"reset-citation-positions")
_PLACEHOLDER = b'{"t":"Para","c":[]}'


def citeproc_sees(block: bytes) -> bool:
    """Whether citeproc must see this top-level block (its JSON) to render the book: any
    block holding a heading too, since headings (and a `references` div opening with
    one) bound the sections where citation positions start again."""
    return b'"t":"Header"' in block or any(word in block for word in CITEPROC_WORDS)


def _head(document: dict) -> bytes:
    """The document's JSON up to its list of blocks."""
    return to_json({key: value for key, value in document.items() if key != "blocks"})[:-1] + b',"blocks":['


@dataclass
class CiteSkeleton:
    """The AST with every block citeproc would leave alone replaced by an empty paragraph."""
    head: bytes
    text: bytearray   # every top-level block's JSON, one after the other
    ends: array   # where each block's JSON ends in `text`
    kept: bytearray   # 1 where citeproc sees the block

    @classmethod
    def of(cls, document: dict) -> "CiteSkeleton":
        # One buffer, not an object a block: tens of thousands of small objects made
        # while the AST is alive would pin its freed pages through pandoc's runs (some
        # 130 MB of a 50x book's build).
        text, ends, kept = bytearray(), array("q"), bytearray()
        for block in document["blocks"]:
            written = to_json(block)
            text += written
            ends.append(len(text))
            kept.append(citeproc_sees(written))
        return cls(_head(document), text, ends, kept)

    def blocks(self):
        """Each top-level block's JSON, in order."""
        view, start = memoryview(self.text), 0
        for end in self.ends:
            yield view[start:end]
            start = end

    def skeleton(self) -> bytes:
        return self.head + b",".join(block if keep else _PLACEHOLDER for block, keep in zip(self.blocks(), self.kept)) \
            + b"]}"

    def filled(self, rendered: "Rendered") -> tuple[bytes, list]:
        """The whole AST again, as its head (the metadata citeproc returned) and each
        top-level block's JSON: each block citeproc saw as it returned it, the
        bibliography it added after the last."""
        seen = iter(rendered.blocks)
        blocks = [next(seen) if keep else block for block, keep in zip(self.blocks(), self.kept)]
        return rendered.head, blocks + rendered.added


@dataclass
class Rendered:
    """What citeproc returned for a skeleton: the blocks it saw, in order; the blocks
    it added (the bibliography); the metadata; what it said."""
    head: bytes
    blocks: list
    added: list
    stderr: str
    messages: list

    @classmethod
    def of(cls, output: bytes, skeleton: CiteSkeleton, stderr: str, messages: list) -> "Rendered":
        document = from_json(output)
        out = document["blocks"]
        if len(out) < len(skeleton.ends):
            raise ValueError("citeproc returned fewer blocks than it was given")
        return cls(_head(document), [to_json(out[i]) for i, keep in enumerate(skeleton.kept) if keep],
                   [to_json(block) for block in out[len(skeleton.ends):]], stderr, messages)


def command(pandoc: str, manuscript, style: Path, bibliographies: list[Path] | None = None) -> list[str]:
    """citeproc over the skeleton, reading only the files folio names (`bibliographies`
    in place of the manuscript's: their composed copies). (`--sandbox` does not
    restrict citeproc: what it reads is decided here.)"""
    args = [pandoc, "--sandbox", "--from", "json", "--to", "json", "--citeproc", "--csl", str(style),
            "--metadata", "link-citations=true"]
    for bib in manuscript.bibliography if bibliographies is None else bibliographies:
        args += ["--bibliography", str(bib)]
    if manuscript.abbreviations:
        args += ["--citation-abbreviations", str(manuscript.abbreviations)]
    return args


def pandoc_identity(pandoc: str, environment: dict) -> bytes:
    """pandoc itself (its binary's size and time) and the environment it runs in, for
    the keys of what is kept between builds: not PATH, which `--sandbox` never runs a
    program from and which shells set differently (pyenv's `python3` puts its own first)."""
    binary = Path(pandoc).stat()
    kept = sorted((k, v) for k, v in environment.items() if k != "PATH")
    return json.dumps([pandoc, binary.st_size, binary.st_mtime_ns, kept]).encode()


def _key(skeleton: bytes, args: list[str], style: bytes, manuscript, pandoc: str, environment: dict) -> str:
    """Everything citeproc's output depends on (the style by its text: its path may be
    a temporary copy's)."""
    digest = hashlib.sha256()

    def add(part: bytes) -> None:
        digest.update(len(part).to_bytes(8, "big") + part)
    add(str(RECORD_VERSION).encode())
    add(skeleton)
    add(json.dumps(args[:args.index("--csl")] + args[args.index("--csl") + 2:]).encode())
    add(style)
    for path in [*manuscript.bibliography, *([manuscript.abbreviations] if manuscript.abbreviations else [])]:
        add(Path(path).read_bytes())
    add(pandoc_identity(pandoc, environment))
    return digest.hexdigest()


# The record: an HMAC of the rest, a line of JSON (version, key, what citeproc said,
# how many blocks follow), then the head and each block's JSON on a line of its own
# (JSON text holds no raw line break).
def _recorded(record: Path | None, key: str) -> Rendered | None:
    """The kept rendering for `key`, if the record holds it and folio wrote it here."""
    if record is None:
        return None
    try:
        blob = record.read_bytes()
    except OSError:
        return None
    signed, data = blob[:state.MAC_BYTES], blob[state.MAC_BYTES:]
    if len(signed) != state.MAC_BYTES or not hmac.compare_digest(signed, state.mac(data)):
        return None   # not folio's (the output folder may sit inside a manuscript folder)
    lines = data.split(b"\n")
    try:
        said = json.loads(lines[0])
    except (ValueError, RecursionError):
        return None
    if not (isinstance(said, dict) and said.get("version") == RECORD_VERSION and said.get("key") == key
            and isinstance(said.get("stderr"), str) and isinstance(said.get("messages"), list)
            and all(isinstance(m, dict) for m in said["messages"])
            and type(said.get("blocks")) is int and 0 <= said["blocks"] <= len(lines) - 3 and lines[-1] == b""):
        return None
    blocks = lines[2:2 + said["blocks"]]
    return Rendered(lines[1], blocks, lines[2 + said["blocks"]:-1], said["stderr"], said["messages"])


def _keep(record: Path | None, key: str, rendered: Rendered) -> None:
    if record is None:
        return
    from .render import atomic_path
    said = json.dumps({"version": RECORD_VERSION, "key": key, "stderr": rendered.stderr,
                       "messages": rendered.messages, "blocks": len(rendered.blocks)}).encode("utf-8")
    data = b"\n".join([said, rendered.head, *rendered.blocks, *rendered.added]) + b"\n"
    with atomic_path(record) as temporary:
        temporary.write_bytes(state.mac(data) + data)


def _composed_copies(paths, folder: Path) -> list[Path]:
    """Each bibliography, or its copy in composed form (NFC) where it was typed with
    combining accents: its keys are then those of the text, which folio reads composed
    (manuscript.load), and pandoc reads no key in two pieces."""
    from .manuscript import composed
    found = []
    for n, path in enumerate(paths):
        try:
            typed = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):   # said by pandoc, as before
            found.append(path)
            continue
        if composed(typed) is typed:
            found.append(path)
            continue
        copy = folder / f"bibliography-{n}" / Path(path).name   # its name: pandoc's errors name it
        copy.parent.mkdir()
        copy.write_text(composed(typed), encoding="utf-8")
        found.append(copy)
    return found


def render(skeleton: CiteSkeleton, manuscript, limits, pandoc: str, environment: dict, read_log,
           failure, record: Path | None) -> Rendered:
    """The skeleton's citations rendered: kept from the last build when nothing citeproc
    reads has changed, else by pandoc. `failure` makes pandoc's error a diagnostic."""
    style_path = manuscript.style
    own_style = not style_path.is_relative_to(csl.STYLES)   # the author's own: pandoc reads folio's copy
    style = csl.checked_copy(style_path) if own_style else style_path.read_bytes()
    text = skeleton.skeleton()
    with tempfile.TemporaryDirectory(prefix="folio-") as tmp:
        if own_style:
            style_path = Path(tmp) / "style.csl"
            style_path.write_bytes(style)
        args = command(pandoc, manuscript, style_path)
        key = _key(text, args, style, manuscript, pandoc, environment)
        kept = _recorded(record, key)
        if kept is not None:
            return kept
        args = command(pandoc, manuscript, style_path, _composed_copies(manuscript.bibliography, Path(tmp)))
        log = Path(tmp) / "cite-log.json"
        cited = sandbox.run(args + [f"--log={log}"], limits, "pandoc", manuscript.source, cwd=manuscript.root,
                            env=environment, input=text)
        messages = read_log(log)
    del text
    stderr = cited.stderr.decode("utf-8", "replace")
    if cited.returncode != 0:
        raise failure(manuscript, stderr.strip())
    rendered = Rendered.of(cited.stdout, skeleton, stderr, messages)
    _keep(record, key, rendered)
    return rendered

"""Citations rendered by pandoc's citeproc over a skeleton of the AST, and kept.

citeproc reads the whole document to render a few thousand citations: at 50x the
bundled book that is 2 of the 5 s pandoc takes to write HTML, paid again when an
author edits a paragraph that cites nothing. So citeproc is given only the blocks it
would change (`CiteSkeleton`), and what it returns is kept beside the build
(`citeproc.json`) under a hash of everything it read: the skeleton, the style, the
bibliography and abbreviations, pandoc itself. An edit that leaves the skeleton as it
was renders no citation again.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import csl, sandbox

RECORD_VERSION = 1

# What citeproc changes besides a citation (pandoc's Text/Pandoc/Citeproc.hs): it
# moves punctuation next to a citation, makes notes of `csl-note` spans (note
# styles), unwraps `csl-quoted` spans, fills the `refs` div (or appends the
# bibliography after the last block, marking a closing heading unnumbered), and
# counts citation positions (ibid, subsequent) in the sections headings make.
# A top-level block whose JSON holds none of these words, and is not a heading,
# comes back from citeproc as it went in.
CITEPROC_WORDS = ('"Cite"', "csl-note", "csl-quoted", 'refs"', "reset-citation-positions")
_PLACEHOLDER = '{"t": "Para", "c": []}'


def citeproc_sees(block: str) -> bool:
    """Whether citeproc must see this top-level block (its JSON) to render the book."""
    return block.startswith('{"t": "Header"') or any(word in block for word in CITEPROC_WORDS)


def _head(document: dict) -> str:
    """The document's JSON up to its list of blocks."""
    return json.dumps({key: value for key, value in document.items() if key != "blocks"})[:-1] + ', "blocks": ['


@dataclass
class CiteSkeleton:
    """The AST with every block citeproc would leave alone replaced by an empty paragraph."""
    head: str
    blocks: list   # each top-level block's JSON
    kept: list   # whether citeproc sees the block

    @classmethod
    def of(cls, document: dict) -> "CiteSkeleton":
        blocks = [json.dumps(block) for block in document["blocks"]]
        return cls(_head(document), blocks, [citeproc_sees(text) for text in blocks])

    def skeleton(self) -> bytes:
        return (self.head + ", ".join(text if keep else _PLACEHOLDER for text, keep in zip(self.blocks, self.kept))
                + "]}").encode("utf-8")

    def filled(self, rendered: "Rendered") -> bytes:
        """The whole AST again: each block citeproc saw as it returned it, the
        bibliography it added after the last, the metadata it returned."""
        seen = iter(rendered.blocks)
        blocks = [next(seen) if keep else text for text, keep in zip(self.blocks, self.kept)]
        return (rendered.head + ", ".join(blocks + rendered.added) + "]}").encode("utf-8")


@dataclass
class Rendered:
    """What citeproc returned for a skeleton: the blocks it saw, in order; the blocks
    it added (the bibliography); the metadata; what it said."""
    head: str
    blocks: list
    added: list
    stderr: str
    messages: list

    @classmethod
    def of(cls, output: bytes, skeleton: CiteSkeleton, stderr: str, messages: list) -> "Rendered":
        document = json.loads(output)
        out = document["blocks"]
        if len(out) < len(skeleton.blocks):
            raise ValueError("citeproc returned fewer blocks than it was given")
        return cls(_head(document), [json.dumps(out[i]) for i, keep in enumerate(skeleton.kept) if keep],
                   [json.dumps(block) for block in out[len(skeleton.blocks):]], stderr, messages)


def command(pandoc: str, manuscript, style: Path) -> list[str]:
    """citeproc over the skeleton, reading only the files folio names. (`--sandbox`
    does not restrict citeproc: what it reads is decided here.)"""
    args = [pandoc, "--sandbox", "--from", "json", "--to", "json", "--citeproc", "--csl", str(style),
            "--metadata", "link-citations=true"]
    for bib in manuscript.bibliography:
        args += ["--bibliography", str(bib)]
    if manuscript.abbreviations:
        args += ["--citation-abbreviations", str(manuscript.abbreviations)]
    return args


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
    binary = Path(pandoc).stat()
    add(json.dumps([pandoc, binary.st_size, binary.st_mtime_ns, sorted(environment.items())]).encode())
    return digest.hexdigest()


def _recorded(record: Path | None, key: str) -> Rendered | None:
    """The kept rendering for `key`, if the record holds it and is sound."""
    if record is None:
        return None
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("version") != RECORD_VERSION or data.get("key") != key:
        return None
    head, blocks, added, stderr, messages = (data.get(k) for k in ("head", "blocks", "added", "stderr", "messages"))
    if not (isinstance(head, str) and isinstance(stderr, str) and isinstance(messages, list)
            and all(isinstance(m, dict) for m in messages)
            and all(isinstance(b, list) and all(isinstance(t, str) for t in b) for b in (blocks, added))):
        return None
    return Rendered(head, blocks, added, stderr, messages)


def _keep(record: Path | None, key: str, rendered: Rendered) -> None:
    if record is None:
        return
    record.parent.mkdir(parents=True, exist_ok=True)
    temporary = record.with_suffix(".tmp")
    temporary.write_text(json.dumps({"version": RECORD_VERSION, "key": key, "head": rendered.head,
                                     "blocks": rendered.blocks, "added": rendered.added,
                                     "stderr": rendered.stderr, "messages": rendered.messages}), encoding="utf-8")
    temporary.replace(record)


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

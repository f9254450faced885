"""The one pandoc run: Markdown with citations in, one HTML document out.

pandoc runs sandboxed (it may read only the files on its command line) with citeproc,
so citations, notes and the bibliography arrive already rendered by the chosen CSL
style. Every edition is made from this single output; pandoc never runs twice.
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pypandoc

from .diagnostics import Diagnostic, BuildError, error, line_of
from .manuscript import Manuscript

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "pandoc" / "book.html"
MISSING_CITATION = re.compile(r"Citeproc: citation (\S+) not found")


@dataclass(frozen=True)
class PandocOutput:
    html: str
    warnings: tuple[str, ...]


def pandoc_binary() -> str:
    return pypandoc.get_pandoc_path()


def command(manuscript: Manuscript, appendix: Path | None = None) -> list[str]:
    inputs = [str(manuscript.source)] + ([str(appendix)] if appendix else [])
    args = [pandoc_binary(), *inputs, "--sandbox",
            "--from", "markdown", "--to", "html5", "--template", str(TEMPLATE),
            "--section-divs", "--wrap=none", "--mathml", "--citeproc", "--csl", str(manuscript.style),
            "--metadata", "link-citations=true"]
    if manuscript.derived_title:
        args += ["--metadata", f"title={manuscript.metadata['title']}"]
    if manuscript.heading_shift:
        args.append(f"--shift-heading-level-by={manuscript.heading_shift}")
    for bib in manuscript.bibliography:
        args += ["--bibliography", str(bib)]
    return args


def _cite_line(manuscript: Manuscript, key: str) -> int | None:
    match = re.search(r"@\{?" + re.escape(key) + r"(?![\w:.#$%&+?<>~/-]*\w)", manuscript.text)
    return line_of(manuscript.text, match.start()) if match else None


def run(manuscript: Manuscript, appendix_markdown: str = "") -> PandocOutput:
    """Run pandoc on the manuscript, plus `appendix_markdown` (the dictionary's
    definitions) so those are rendered by the same run with the same citations."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SOURCE_DATE_EPOCH")}
    with tempfile.TemporaryDirectory(prefix="folio-") as tmp:
        appendix = None
        if appendix_markdown:
            appendix = Path(tmp) / "definitions.md"
            appendix.write_text(appendix_markdown, encoding="utf-8")
        proc = subprocess.run(command(manuscript, appendix), cwd=manuscript.root, capture_output=True,
                              text=True, encoding="utf-8", env=env)
    stderr = proc.stderr.strip()
    if proc.returncode != 0:
        line = re.search(r"line (\d+)", stderr)
        raise error("FOLIO020", f"pandoc could not read the manuscript: {stderr}", manuscript.source,
                    int(line.group(1)) if line else None,
                    fix="correct the Markdown at that line")
    missing = MISSING_CITATION.findall(stderr)
    if missing:
        raise BuildError(*(Diagnostic(
            "FOLIO021", f"citation key '@{key}' is not in the bibliography", manuscript.source,
            _cite_line(manuscript, key),
            fix=(f"add an entry '{key}' to {', '.join(b.name for b in manuscript.bibliography)} or correct the key"
                 if manuscript.bibliography else
                 "the metadata names no bibliography: add 'bibliography: references.bib' and put the entry there"))
            for key in dict.fromkeys(missing)))
    warnings = tuple(line for line in stderr.splitlines() if line.strip())
    return PandocOutput(proc.stdout, warnings)

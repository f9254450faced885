"""The book font: Source Serif Pro (SIL OFL), installed from PyPI with the environment.

It has true italics, small caps (`smcp`, `c2sc`) and old-style figures (`onum`), and
comes with folio's pinned dependencies, so no system font is assumed.
"""
from __future__ import annotations

from pathlib import Path

import font_source_serif_pro

FONT_DIR = Path(font_source_serif_pro.__file__).resolve().parent / "files"
FAMILY = "Source Serif Pro"
FACES = (  # (file, weight, style)
    ("SourceSerifPro-Regular.ttf", 400, "normal"),
    ("SourceSerifPro-It.ttf", 400, "italic"),
    ("SourceSerifPro-Semibold.ttf", 600, "normal"),
    ("SourceSerifPro-SemiboldIt.ttf", 600, "italic"),
    ("SourceSerifPro-Bold.ttf", 700, "normal"),
    ("SourceSerifPro-BoldIt.ttf", 700, "italic"),
)


# The faces the HTML site ships (regular, italic, semibold and its italic).
WEB_FACES = tuple(file for file, weight, _ in FACES if weight in (400, 600))


def font_faces_css() -> str:
    rules = []
    for file, weight, style in FACES:
        rules.append(f'@font-face {{ font-family: "{FAMILY}"; src: url("{(FONT_DIR / file).as_uri()}"); '
                     f"font-weight: {weight}; font-style: {style}; }}")
    return "\n".join(rules)


def font_files() -> list[Path]:
    return [FONT_DIR / file for file, _, _ in FACES]

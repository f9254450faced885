"""The book font: Source Serif Pro (SIL OFL), installed from PyPI with the environment.

It has true italics, small caps (`smcp`, `c2sc`) and old-style figures (`onum`), and
comes with folio's pinned dependencies, so no system font is assumed.
"""
from __future__ import annotations

import re
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


# Always in a web subset, whatever the book holds: what a reader may type into search.
TYPED = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x180)} | set("‘’“”–—…•→←↩·")


def web_subsets(text: str, folder: Path, cache: Path | None = None) -> list[Path]:
    """The site's faces as WOFF2, cut down to the characters the site shows (and those a
    reader types): a chapter page then weighs tens of kilobytes of font, not 500. Cut
    once per set of characters and faces (`cache`): an edit that adds no new character
    reuses them, a font upgraded is cut again."""
    import hashlib
    import shutil
    from fontTools import subset
    wanted = {ord(ch) for ch in set(text) | TYPED}
    faces = "|".join(hashlib.sha256((FONT_DIR / face).read_bytes()).hexdigest() for face in WEB_FACES)
    key = hashlib.sha256((",".join(map(str, sorted(wanted))) + "|" + faces).encode()).hexdigest()[:16]
    kept = cache / key if cache is not None else None
    if kept is not None and all((kept / (Path(face).stem + ".woff2")).is_file() for face in WEB_FACES):
        return [Path(shutil.copy(kept / (Path(face).stem + ".woff2"), folder)) for face in WEB_FACES]
    made = []
    for face in WEB_FACES:
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]   # small caps, old-style figures, kerning, ligatures
        options.name_IDs = ["*"]          # the OFL's notice stays with the font
        options.notdef_outline = True
        font = subset.load_font(str(FONT_DIR / face), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(font)
        target = folder / (Path(face).stem + ".woff2")
        subset.save_font(font, str(target), options)
        made.append(target)
    if kept is not None:
        kept.mkdir(parents=True, exist_ok=True)
        for path in made:
            shutil.copy(path, kept / path.name)
    return made


def font_faces_css() -> str:
    rules = []
    for file, weight, style in FACES:
        rules.append(f'@font-face {{ font-family: "{FAMILY}"; src: url("{(FONT_DIR / file).as_uri()}"); '
                     f"font-weight: {weight}; font-style: {style}; }}")
    return "\n".join(rules)


def font_files() -> list[Path]:
    return [FONT_DIR / file for file, _, _ in FACES]


_SIZED_ARRAY = re.compile(r"([A-Za-z_]\w*)\[(\d+)\]")


class _OpenArrays:
    """WeasyPrint's cffi `ffi` for its font subsetting, but for one call: an array
    typed with its size and filled from a list of that size (`hb_codepoint_t[1319]`)
    is made as an open array (`hb_codepoint_t[]`) from the same list, the same C array."""

    def __init__(self, ffi):
        self._ffi = ffi

    def __getattr__(self, name):
        return getattr(self._ffi, name)

    def new(self, cdecl, init=None):
        sized = _SIZED_ARRAY.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if sized is not None and isinstance(init, (list, tuple)) and len(init) == int(sized.group(2)):
            return self._ffi.new(sized.group(1) + "[]", init)
        return self._ffi.new(cdecl, init)


def subset_arrays_typed_once() -> bool:
    """WeasyPrint subsets every font a unit uses through arrays typed by their length,
    and cffi parses each new type with pycparser (5 ms) once per process: the bundled
    book's layout parsed 60 (0.31 s), and a long book's chapters meet a new length
    with almost every subset. Once per process; whether it is in place."""
    from weasyprint.pdf import fonts as subsetting
    if getattr(subsetting, "ffi", None) is None:
        return False
    if not isinstance(subsetting.ffi, _OpenArrays):
        subsetting.ffi = _OpenArrays(subsetting.ffi)
    return True

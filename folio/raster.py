"""One PDF page drawn as a JPEG, for the EPUB's cover.

pdfium (the `pypdfium2` wheel, which carries its own library) draws the page, so a new
machine needs no poppler to build the editions. The page comes from a PDF that folio
wrote from the author's metadata and cover art, so it is drawn in a child process under
the step's limits (`sandbox.run`), like every other tool that reads the manuscript's
material: `python -m folio.raster SOURCE TARGET SCALE [LEFT TOP WIDTH HEIGHT]`.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from . import sandbox
from .diagnostics import error

QUALITY = 92


def jpeg(pdf: bytes | Path, scale: float, limits: sandbox.Limits, box: tuple[int, int, int, int] | None = None,
         size: tuple[int, int] | None = None) -> bytes:
    """The first page of `pdf` at `scale` pixels a point (its media box), cut to `box`
    (left, top, width, height in pixels) and brought to `size` if given."""
    with tempfile.TemporaryDirectory(prefix="folio-raster-") as tmp:
        source, target = Path(tmp) / "page.pdf", Path(tmp) / "page.jpg"
        if isinstance(pdf, bytes):
            source.write_bytes(pdf)
        else:
            source = pdf
        extra = [str(n) for n in (box or ())] + (["size", *map(str, size)] if size else [])
        done = sandbox.run([sys.executable, "-m", "folio.raster", str(source), str(target), f"{scale:.6f}", *extra],
                           limits, "drawing the cover", None, cwd=Path(__file__).resolve().parent.parent)
        if done.returncode != 0 or not target.is_file():
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] if done.stderr else []
            raise error("FOLIO042", "the EPUB's cover could not be drawn" + (f": {reason[0]}" if reason else ""),
                        fix="check the cover art (`cover-image:`) opens in an image viewer, or leave it out")
        return target.read_bytes()


def _draw(source: str, target: str, scale: float, rest: list[str]) -> None:
    import pypdfium2
    size = None
    if "size" in rest:
        at = rest.index("size")
        size, rest = (int(rest[at + 1]), int(rest[at + 2])), rest[:at]
    document = pypdfium2.PdfDocument(source)
    page = document[0]
    page.set_cropbox(*page.get_mediabox())
    image = page.render(scale=scale).to_pil().convert("RGB")
    if rest:
        left, top, width, height = map(int, rest)
        image = image.crop((left, top, left + width, top + height))
    if size and image.size != size:
        image = image.resize(size)
    image.save(target, "JPEG", quality=QUALITY)


if __name__ == "__main__":
    _draw(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:])

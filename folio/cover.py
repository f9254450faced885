"""The front cover as a raster image.

The EPUB's cover is drawn as SVG from the metadata, but calibre, Kindle conversion
and many reading systems take a cover only from a JPEG or PNG `cover-image`. WeasyPrint
draws the SVG (with the book's fonts, and the system's for other scripts) into a PDF
page of the cover's size, and poppler's pdftoppm turns that page into a JPEG.
"""
from __future__ import annotations

import base64
import shutil
import tempfile
from pathlib import Path

from . import fonts, sandbox
from .diagnostics import error

WIDTH, HEIGHT = 1600, 2400   # px: the 2:3 cover reading systems and stores ask for


def raster(svg: str, limits: sandbox.Limits = sandbox.Limits(60, 1024)) -> bytes:
    """The SVG cover as JPEG bytes."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise error("FOLIO042", "poppler's pdftoppm is not installed; the EPUB's cover cannot be drawn",
                    fix="install poppler-utils (apt-get install poppler-utils)")
    page = (f'<html><body><img alt="" src="data:image/svg+xml;base64,'
            f'{base64.b64encode(svg.encode("utf-8")).decode("ascii")}"></body></html>')
    css = fonts.font_faces_css() + (f"@page {{ size: {WIDTH}px {HEIGHT}px; margin: 0 }} body {{ margin: 0 }} "
                                    f"img {{ display: block; width: {WIDTH}px; height: {HEIGHT}px }}")
    config = FontConfiguration()
    pdf = weasyprint.HTML(string=page).write_pdf(stylesheets=[weasyprint.CSS(string=css, font_config=config)],
                                                 font_config=config)
    with tempfile.TemporaryDirectory(prefix="folio-cover-") as tmp:
        source, target = Path(tmp) / "cover.pdf", Path(tmp) / "cover"
        source.write_bytes(pdf)
        done = sandbox.run([tool, "-jpeg", "-jpegopt", "quality=92", "-singlefile", "-scale-to-x", str(WIDTH),
                            "-scale-to-y", str(HEIGHT), str(source), str(target)], limits, "pdftoppm on the cover",
                           None)
        produced = target.with_suffix(".jpg")
        if done.returncode != 0 or not produced.is_file():
            raise error("FOLIO042", "pdftoppm could not draw the EPUB's cover",
                        fix="check that poppler-utils is installed and works")
        return produced.read_bytes()

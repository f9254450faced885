"""One module per edition, each with `build(book, out) -> Path`, listed in `EDITIONS`."""
from . import epub, html, pdf

EDITIONS = {"pdf": pdf.build, "epub": epub.build, "html": html.build}

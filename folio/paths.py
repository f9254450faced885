"""Where folio's own files live (kept import-free so up-to-date checks stay fast)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
STYLES = ROOT / "styles"
# The layout step's record beside its laid-out.json (editions/pdf.LaidOutBook), which
# the stitch copies into book.json.
LAID_OUT_SUMMARY = "laid-out-summary.json"
STITCH_RECORD = "stitch.json"   # what the last stitch made, for the next to patch (stitch.py)
CITEPROC_RECORD = "citeproc.json"   # the last build's rendered citations, kept (citations.py)
HTML_RECORD = "html-chapters.pickle"   # each chapter's HTML as pandoc wrote it, kept (writing.py)
READ_RECORD = "read.pickle"   # the last whole read of the manuscript and its text, kept (reading.py)
COVER_RECORD = "cover.json"   # what the print wrap was made from, so an edit need not make it again (cover.py)
# The plan the last print file was cut with (press.Plan), and the print file an edit's
# stitch cut with it beside its own save, with its signed record (editions/pdf.py).
PRESS_PLAN = "press-plan.json"
PRINT_BESIDE = "print-beside.pdf"
PRINT_BESIDE_RECORD = "print-beside.json"
# The site step's list of its staged files with their hashes (editions/html.py): the
# html step's input.
STAGED_SITE = "staged.json"


# The rules an edition's stylesheet shares with others, set before its own (which may
# override them): shared.css in every edition, reflowable.css in the EPUB and the site.
SHARED_STYLESHEETS = {"pdf.css": ("shared.css",), "epub.css": ("shared.css", "reflowable.css"),
                      "html.css": ("shared.css", "reflowable.css")}


def stylesheet_parts(name: str) -> tuple[str, ...]:
    """The files of styles/ that `render.stylesheet(name)` joins, in their order."""
    return (*SHARED_STYLESHEETS.get(name, ()), name)


def stylesheet_files(name: str) -> list[Path]:
    """The files `render.stylesheet(name)` is made of: what a step that uses it depends on."""
    return [STYLES / part for part in stylesheet_parts(name)]

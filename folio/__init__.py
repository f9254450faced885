"""folio: one Markdown manuscript in, print-ready PDF, EPUB 3 and HTML editions out."""

__version__ = "0.1.0"

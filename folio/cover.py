"""The front cover as a raster image.

The EPUB's cover is drawn as SVG from the metadata, but calibre, Kindle conversion
and many reading systems take a cover only from a JPEG or PNG `cover-image`. WeasyPrint
draws the SVG (with the book's fonts, and the system's for other scripts) into a PDF
page of the cover's size, and pdfium (`raster.py`) turns that page into a JPEG.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from . import fonts, sandbox
from . import raster as raster_page
from .diagnostics import error

WIDTH, HEIGHT = 1600, 2400   # px: the 2:3 cover reading systems and stores ask for


def raster(svg: str, limits: sandbox.Limits = sandbox.Limits(60, 1024)) -> bytes:
    """The SVG cover as JPEG bytes."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    page = (f'<html><body><img alt="" src="data:image/svg+xml;base64,'
            f'{base64.b64encode(svg.encode("utf-8")).decode("ascii")}"></body></html>')
    css = fonts.font_faces_css() + (f"@page {{ size: {WIDTH}px {HEIGHT}px; margin: 0 }} body {{ margin: 0 }} "
                                    f"img {{ display: block; width: {WIDTH}px; height: {HEIGHT}px }}")
    config = FontConfiguration()
    pdf = weasyprint.HTML(string=page).write_pdf(stylesheets=[weasyprint.CSS(string=css, font_config=config)],
                                                 font_config=config)
    return raster_page.jpeg(pdf, WIDTH / (WIDTH * 0.75), limits, size=(WIDTH, HEIGHT))   # a CSS px is 0.75 pt


# The full wrap for the printer: back, spine and front in one PDF (`<slug>-cover.pdf`).

SAFE = 0.25            # in: text stays this far inside the trim (and the spine's folds)
DEFAULT_PAPER = ("kdp", "white")   # the caliper used when no service is named


@dataclass(frozen=True)
class Wrap:
    """The cover's geometry in inches."""
    trim_width: float
    trim_height: float
    bleed: float
    spine: float
    safe: float = SAFE

    @property
    def width(self) -> float:
        return 2 * self.trim_width + self.spine + 2 * self.bleed

    @property
    def height(self) -> float:
        return self.trim_height + 2 * self.bleed


def wrap_geometry(settings, pages: int) -> Wrap:
    """Trim and bleed from the page settings; the spine from the page count and the
    caliper of the service's paper."""
    from . import press
    from .check import to_points
    name, paper = (settings.target, settings.paper) if settings.target else DEFAULT_PAPER
    target = press.TARGETS[name]
    return Wrap(to_points(settings.width) / 72, to_points(settings.height) / 72, target.bleed,
                round(press.spine_width(target, paper if paper in target.papers else "white", pages), 4))


def barcode_svg(isbn: str) -> str:
    """The ISBN as an EAN-13 barcode (python-barcode), in black ink."""
    from io import BytesIO
    import barcode
    from barcode.writer import SVGWriter
    from . import press
    drawn = BytesIO()
    barcode.get("ean13", isbn.replace("-", ""), writer=SVGWriter()).write(
        drawn, options={"module_width": 0.33, "module_height": 17.0, "font_size": 9, "text_distance": 4.0,
                        "quiet_zone": 3.0, "background": "white", "foreground": "black"})
    return press.black_svg(drawn.getvalue().decode("utf-8"))


PRINT_PPI = 300   # what printers ask of a cover's images


def print_art(data: bytes, icc: Path | None) -> bytes:
    """The author's front cover as the printer takes it: with an output intent, a CMYK
    JPEG converted by LittleCMS (Pillow's ImageCms) from the image's own profile, or
    sRGB, to the intent's; transparency flattened onto white. Without one, as it is."""
    from io import BytesIO
    from PIL import Image, ImageCms
    if icc is None:
        return data
    with Image.open(BytesIO(data)) as image:
        image.load()
        embedded = image.info.get("icc_profile")
        if image.mode == "CMYK":
            rgb = image
        else:
            rgba = image.convert("RGBA")
            rgb = Image.new("RGB", rgba.size, "white")
            rgb.paste(rgba, mask=rgba.getchannel("A"))
        if rgb.mode != "CMYK":
            source = ImageCms.createProfile("sRGB")
            try:   # the image's own profile, if it is a sound RGB one
                own = ImageCms.ImageCmsProfile(BytesIO(embedded)) if embedded else None
                if own is not None and own.profile.xcolor_space.strip() == "RGB":
                    source = own
            except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
                pass
            rgb = ImageCms.profileToProfile(rgb, source, str(icc), outputMode="CMYK",
                                            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
        drawn = BytesIO()
        rgb.save(drawn, "JPEG", quality=92)
        return drawn.getvalue()


def art_warnings(book, geometry: "Wrap") -> list[tuple[str, str]]:
    """(what, fix) for a front cover image too coarse for print or of another shape
    than the front panel with its bleed (it is cropped to fill it)."""
    width, height = book.meta.cover_size
    wanted_w, wanted_h = geometry.trim_width + geometry.bleed, geometry.trim_height + 2 * geometry.bleed
    found = []
    ppi = min(width / wanted_w, height / wanted_h)
    if ppi < PRINT_PPI:
        found.append((f"the cover image is {width}×{height} pixels: {ppi:.0f} ppi on the front panel, "
                      f"which prints soft (printers ask for {PRINT_PPI})",
                      f"supply it at {round(wanted_w * PRINT_PPI)}×{round(wanted_h * PRINT_PPI)} pixels or more"))
    if abs(width / height - wanted_w / wanted_h) > 0.02 * wanted_w / wanted_h:
        found.append((f"the cover image is {width}×{height} pixels, not the front panel's shape "
                      f"({wanted_w:.3f} × {wanted_h:.3f} in with the bleed): its edges are cut off",
                      f"crop it to {wanted_w:.3f} × {wanted_h:.3f} in, keeping text {SAFE} in inside the trim"))
    return found


def wrap_pdf(book, settings, pages: int, target_path: Path, icc: Path | None, warn=None,
             record: Path | None = None) -> Wrap:
    """Lay the wrap out with WeasyPrint from templates/print/cover.html; mark its trim
    and bleed, and give it the print file's output intent. What the printer would
    reject or print badly (a blurb too long for the back cover, running under the
    barcode; a coarse or misshapen cover image) is said to `warn(code, key, what, fix)`.
    Given `record`, a wrap made from the same page and the same inputs is not laid out
    again: an edit to the text seldom moves the page count, and the wrap's layout (and
    WeasyPrint's import) was a second of the print step."""
    from . import press
    from .render import atomic_path, render
    geometry = wrap_geometry(settings, pages)
    name = settings.target or DEFAULT_PAPER[0]
    spine_text = pages >= press.TARGETS[name].spine_text_pages and geometry.spine >= 0.2
    barcode = ""
    if book.meta.isbn:
        barcode = "data:image/svg+xml;base64," + base64.b64encode(barcode_svg(book.meta.isbn).encode()).decode()
    title_size = 34 if len(book.meta.title) <= 18 else 28 if len(book.meta.title) <= 40 else 22
    art = ""
    if book.meta.cover_image:
        kind = "png" if book.meta.cover_image.endswith(".png") and icc is None else "jpeg"
        art = f"data:image/{kind};base64," + base64.b64encode(
            print_art(book.assets[book.meta.cover_image], icc if settings.target else None)).decode()
        if warn is not None:
            for what, fix in art_warnings(book, geometry):
                warn("FOLIO048", "cover-image", what, fix)
    html = render("print/cover.html", meta=book.meta, g=geometry, barcode=barcode, spine_text=spine_text, art=art,
                  family=fonts.FAMILY, font_faces=fonts.font_faces_css(),
                  title_size=round(title_size * geometry.trim_width / 6, 1),
                  spine_size=round(min(11.0, geometry.spine * 72 * 0.42), 1))
    key = _wrap_key(html, settings, icc, book.meta, geometry)
    made = _made_before(record, key, target_path)
    if made is not None and (warn is None or made.get("warned")):
        if warn is not None and made.get("over") is not None:
            _blurb_warning(book, made["over"], warn)
        return geometry
    import pikepdf
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    config = FontConfiguration()
    document = weasyprint.HTML(string=html).render(font_config=config)
    over = None
    if warn is not None:
        def walk(box):   # absolutely positioned boxes sit in placeholders descendants() skips
            yield box
            for child in getattr(box, "children", ()):
                yield from walk(child)
        boxes = [box for box in walk(document.pages[0]._page_box)
                 if getattr(box, "element", None) is not None and getattr(box, "element_tag", "") in ("p", "div")]
        blurb = next((b for b in boxes if b.element.get("class") == "blurb"), None)
        barcode = next((b for b in boxes if b.element.get("class") == "barcode"), None)
        if blurb is not None and barcode is not None:
            bottom = blurb.position_y + blurb.margin_height()
            safe = min(barcode.position_y, (geometry.bleed + geometry.trim_height - geometry.safe) * 96)
            if bottom > safe:
                over = (bottom - safe) / 96
                _blurb_warning(book, over, warn)
    drawn = document.write_pdf(pdf_identifier=b"folio-cover", custom_metadata=False)
    with atomic_path(target_path) as temporary:
        temporary.write_bytes(drawn)
        with pikepdf.open(temporary, allow_overwriting_input=True) as pdf:
            page = pdf.pages[0]
            media = [float(v) for v in page.MediaBox]
            inset = geometry.bleed * 72
            page.obj.TrimBox = pikepdf.Array([media[0] + inset, media[1] + inset, media[2] - inset, media[3] - inset])
            page.obj.BleedBox = pikepdf.Array(media)
            for key in ("/Outlines", "/PageMode"):   # WeasyPrint's bookmark of the cover's title
                if key in pdf.Root:
                    del pdf.Root[key]
            # Any cover is printed in CMYK, for a named service or not: the barcode's
            # form (a transparency group, RGB-blended as WeasyPrint makes them) is no
            # group when nothing on the cover is transparent, else it blends in CMYK.
            press.opaque_groups(pdf)
            press.cmyk_groups(pdf)
            if settings.target and icc is not None:
                press._output_intent(pdf, icc, f"{book.meta.title}: cover", book.meta.modified)
            pdf.save(temporary, deterministic_id=True, force_version="1.4" if settings.target else None)
    if record is not None:
        with atomic_path(record) as temporary:
            temporary.write_text(json.dumps({"key": key, "over": over, "warned": warn is not None,
                                             "made": hashlib.sha256(target_path.read_bytes()).hexdigest()}),
                                 encoding="utf-8")
    return geometry


def _blurb_warning(book, over: float, warn) -> None:
    warn("FOLIO046", "description",
         f"the description ({len(book.meta.description)} characters) is too long for the back "
         f"cover: it runs {over:.1f} in past the space above the barcode",
         "shorten the description to what a back cover holds (about 1,000 characters at this trim size)")


def _wrap_key(html: str, settings, icc: Path | None, meta, geometry) -> str:
    """Everything the wrap's file is made from: the page (which holds the text, the
    images and the geometry), the fonts it names, the output intent, folio's code and
    WeasyPrint's version."""
    from importlib.metadata import version
    from . import press
    digest = hashlib.sha256()
    for part in (html, repr(settings), repr(geometry), meta.title, meta.modified, version("weasyprint"),
                 Path(__file__).read_text(encoding="utf-8"), Path(press.__file__).read_text(encoding="utf-8")):
        digest.update(part.encode("utf-8") + b"\0")
    for path in [*fonts.font_files(), *([icc] if icc is not None else [])]:
        stat = Path(path).stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\0".encode("utf-8"))
    return digest.hexdigest()


def _made_before(record: Path | None, key: str, target: Path) -> dict | None:
    """The record of the wrap in `target`, if it was made from `key` and is unchanged."""
    if record is None:
        return None
    try:
        made = json.loads(record.read_text(encoding="utf-8"))
        over = made.get("over")
        if made.get("key") == key and made.get("made") == hashlib.sha256(target.read_bytes()).hexdigest() \
                and (over is None or type(over) in (int, float)) and isinstance(made.get("warned"), bool):
            return made
    except (OSError, ValueError, AttributeError, RecursionError):
        pass
    return None


def front_jpeg(cover_pdf: Path, spine: float, bleed: float, trim: tuple[float, float],
               limits: sandbox.Limits = sandbox.Limits(60, 1024)) -> bytes:
    """The wrap's front panel as the EPUB's JPEG cover, WIDTH px wide: one cover for
    the printed book, the e-book and the site."""
    resolution = WIDTH / trim[0]
    height = round(trim[1] * resolution)
    left, top = round((bleed + trim[0] + spine) * resolution), round(bleed * resolution)
    return raster_page.jpeg(cover_pdf, resolution / 72, limits, box=(left, top, WIDTH, height))

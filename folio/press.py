"""The print file as a printer takes it: each service's rules as data, and the
finishing of the laid-out PDF (pikepdf, on the qpdf the project already checks with).

WeasyPrint lays the print edition out with bleed on all four sides and the text in
pure black (`device-cmyk(0 0 0 1)`, page.css). This module then makes the file what
the chosen service asks for, without a second layout:
- print-on-demand interiors have no bleed on the binding side: each page loses the
  inside strip (a right-hand page's content moves left by the bleed);
- no link annotations, outline, structure tree or named destinations;
- crop marks, where wanted, outside the bleed on a larger sheet;
- blank pages to reach the page count the service prints (and the blank last page
  Ingram prints its production barcode on);
- a PDF/X-1a output intent with a CMYK ICC profile, and the keys PDF/X requires.

The figures (calipers, page counts) are the services' published ones as of 2026;
they change, so they live here as data and the README says where they come from.
"""
from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

INCH = 72.0


@dataclass(frozen=True)
class Target:
    name: str
    title: str
    bleed_inside: bool                 # bleed on the binding edge too (offset sheets, Lulu)
    min_pages: int
    max_pages: int
    papers: dict = field(default_factory=dict)   # paper -> spine inches per page
    page_multiple: int = 2
    small_multiple: int | None = None  # for trims up to 6.14 × 9.21 in, where it differs
    blank_last_page: bool = False      # the service prints a production barcode there
    marks: bool = False                # crop marks outside the bleed
    spine_text_pages: int = 80         # no spine text below this page count
    trims: tuple = ()                  # allowed (width, height) in inches; () = any
    bleed: float = 0.125               # inches

    def multiple(self, width: float, height: float) -> int:
        if self.small_multiple and width <= 6.14 + 1e-3 and height <= 9.21 + 1e-3:
            return self.small_multiple
        return self.page_multiple


# Trim sizes both KDP and IngramSpark print as paperbacks (inches).
POD_TRIMS = ((5, 8), (5.06, 7.81), (5.25, 8), (5.5, 8.5), (6, 9), (6.14, 9.21), (6.69, 9.61), (7, 10),
             (7.44, 9.69), (7.5, 9.25), (8, 10), (8.25, 6), (8.25, 8.25), (8.5, 8.5), (8.5, 11), (8.27, 11.69))

TARGETS = {
    "kdp": Target("kdp", "Amazon KDP paperback", bleed_inside=False, min_pages=24, max_pages=828,
                  papers={"white": 0.002252, "cream": 0.0025}, trims=POD_TRIMS, spine_text_pages=79),
    "ingramspark": Target("ingramspark", "IngramSpark paperback", bleed_inside=False, min_pages=18, max_pages=1200,
                          papers={"white": 0.002252, "cream": 0.0025}, page_multiple=4, small_multiple=6,
                          blank_last_page=True, trims=POD_TRIMS, spine_text_pages=48),
    "lulu": Target("lulu", "Lulu paperback", bleed_inside=True, min_pages=32, max_pages=800,
                   papers={"white": 0.002252, "cream": 0.0025}, spine_text_pages=80),
    "offset": Target("offset", "a commercial (offset) printer", bleed_inside=True, min_pages=4, max_pages=2000,
                     papers={"white": 0.0025, "cream": 0.0027}, page_multiple=16, marks=True, spine_text_pages=64),
}
PAPERS = sorted({paper for target in TARGETS.values() for paper in target.papers})

# Where Debian keeps a CMYK profile (libgs10-common: Ghostscript's SWOP-like default).
ICC_CANDIDATES = ("/usr/share/color/icc/ghostscript/default_cmyk.icc",
                  "/usr/share/ghostscript/*/iccprofiles/default_cmyk.icc")
OUTPUT_CONDITION = "CGATS TR 001"   # SWOP coated: what Ghostscript's default profile characterises
MARK_LENGTH, MARK_GAP, SHEET_MARGIN = 18.0, 3.0, 6.0   # points


def find_icc_profile() -> Path | None:
    for pattern in ICC_CANDIDATES:
        for found in sorted(glob.glob(pattern)):
            if Path(found).is_file():
                return Path(found)
    return None


def spine_width(target: Target, paper: str, pages: int) -> float:
    """Spine width in inches, from the page count and the paper's caliper per page."""
    return pages * target.papers[paper]


def pages_to_add(target: Target, pages: int, width: float, height: float, last_blank: bool) -> int:
    """Blank pages at the end: to the minimum, a blank last page where wanted, then to
    the multiple the service prints in."""
    total = max(pages, target.min_pages)
    if target.blank_last_page and not last_blank and total == pages:
        total += 1
    multiple = target.multiple(width, height)
    total += (-total) % multiple
    return total - pages


# Finishing the laid-out PDF.

def is_blank(page) -> bool:
    """Nothing drawn on the page: no text, image, line or shading."""
    import pikepdf
    for operands, operator in pikepdf.parse_content_stream(page):
        if str(operator) in ("Tj", "TJ", "'", '"', "Do", "re", "l", "c", "sh"):
            return False
    return True


def label_pages(pdf, first_body: int) -> None:
    """Page labels that match the printed folios: the front matter in roman numerals,
    the body in arabic from 1, so a reader's "go to page 12" lands on the page
    printed 12 (WeasyPrint writes none)."""
    import pikepdf
    numbers = [0, pikepdf.Dictionary(S=pikepdf.Name.r)] if first_body > 0 else []
    numbers += [first_body, pikepdf.Dictionary(S=pikepdf.Name.D, St=1)]
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(numbers))


@dataclass(frozen=True)
class Plan:
    """What a print file is cut with, but the book itself. The print step keeps the
    last one; an edit's stitch cuts the print file with it beside its own save, and
    the print step takes that file only if its plan is this one (editions/pdf.py)."""
    bleed: float
    target: str | None
    crop_marks: bool
    title: str
    modified: str
    first_body: int
    icc: bool      # with the output intent of find_icc_profile()

    @classmethod
    def read(cls, data) -> "Plan | None":
        """A kept plan, or None if it is not as the print step writes it (the state
        folder may sit in a manuscript folder, where a hand could have written one)."""
        if not isinstance(data, dict) or set(data) != set(cls.__dataclass_fields__):
            return None
        if not (type(data["bleed"]) in (int, float) and 0 <= data["bleed"] <= 72
                and (data["target"] is None or data["target"] in TARGETS)
                and all(type(data[key]) is bool for key in ("crop_marks", "icc"))
                and all(isinstance(data[key], str) and len(data[key]) <= 4000 for key in ("title", "modified"))
                and type(data["first_body"]) is int and 0 <= data["first_body"] < 2**31):
            return None
        return cls(**data)

    def cut(self, pdf, boxes: tuple[list, list] | None) -> int:
        """`press` with this plan: the blank pages added."""
        icc = find_icc_profile() if self.icc else None
        return press(pdf, self.bleed, TARGETS.get(self.target or ""), self.crop_marks, self.title, icc,
                     self.modified, self.first_body, boxes)


def finish(source: Path, path: Path, plan: Plan, boxes: tuple[list, list] | None = None) -> int:
    """Write the laid-out book (`source`) to `path` as the file the plan's target takes
    (see module doc); the number of blank pages added at the end. `boxes`: the print
    boxes the stitched book (cut as the screen edition reads) keeps in its record
    (stitch._to_screen)."""
    import pikepdf
    from .sandbox import keep_till_exit
    with pikepdf.open(source) as pdf:
        keep_till_exit(pdf)
        added = plan.cut(pdf, boxes)
        save(pdf, path, TARGETS.get(plan.target or ""))
    return added


def press(pdf, bleed: float, target: Target | None, crop_marks: bool, title: str, icc: Path | None,
          modified: str, first_body: int, boxes: tuple[list, list] | None = None) -> int:
    """`finish` on a book already open (`pdf`, changed in place): the blank pages added."""
    added = 0
    if boxes is not None:
        restore_print_boxes(pdf, *boxes)
    label_pages(pdf, first_body)
    _strip_screen_features(pdf)
    one_ink(pdf)
    if target is not None and not target.bleed_inside and bleed:
        _cut_binding_bleed(pdf, bleed)
    if target is not None:
        first = pdf.pages[0]
        trim = [float(v) for v in first.TrimBox]
        width, height = (trim[2] - trim[0]) / INCH, (trim[3] - trim[1]) / INCH
        added = pages_to_add(target, len(pdf.pages), width, height, is_blank(pdf.pages[-1]))
        for _ in range(added):
            _add_blank(pdf)
    if crop_marks or (target is not None and target.marks):
        _draw_crop_marks(pdf, bleed)
    if target is not None:
        opaque_groups(pdf)
    if target is not None and icc is not None:
        _output_intent(pdf, icc, title, modified)
    return added


def save(pdf, path: Path, target: Target | None) -> None:
    import pikepdf
    pdf.save(path, deterministic_id=True, force_version="1.4" if target is not None else None,
             object_stream_mode=pikepdf.ObjectStreamMode.disable if target is not None else
             pikepdf.ObjectStreamMode.preserve)


def restore_print_boxes(pdf, box_sets: list, page_boxes: list) -> None:
    """Each page's media, bleed and crop boxes as the layout made them, before the
    stitch cut the book to the trim for the screen edition."""
    import pikepdf
    from .stitch import PRINT_BOXES
    for page, index in zip(pdf.pages, page_boxes):
        if index < 0:
            continue
        for key, box in zip(PRINT_BOXES, box_sets[index]):
            if box is not None:
                page.obj[key] = pikepdf.Array(box)
            elif key in page.obj:
                del page.obj[key]


def _luminance(red: float, green: float, blue: float) -> float:
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _is_rgb(space) -> bool:
    import pikepdf
    base = space[0] if isinstance(space, pikepdf.Array) and len(space) else space
    if base == pikepdf.Name.ICCBased:
        return space[1].get("/N") == 3
    if base == pikepdf.Name.Indexed:
        return _is_rgb(space[1])
    return base == pikepdf.Name.DeviceRGB


def _grey_image(image) -> None:
    """A colour or transparent image as greys on white paper (PDF/X-1a allows neither)."""
    import zlib
    import pikepdf
    from PIL import Image
    try:
        picture = pikepdf.PdfImage(image).as_pil_image()
        mask = pikepdf.PdfImage(image.SMask).as_pil_image().convert("L") if "/SMask" in image else None
    except Exception:   # a form pikepdf cannot decode: check.py reports it
        return
    picture = picture.convert("RGB")
    if mask is not None and mask.size == picture.size:
        paper = Image.new("RGB", picture.size, (255, 255, 255))
        picture = Image.composite(picture, paper, mask)
    grey = picture.convert("L")
    if image.get("/Filter") == pikepdf.Name.DCTDecode:   # a photograph stays a JPEG
        from io import BytesIO
        out = BytesIO()
        grey.save(out, format="JPEG", quality=95)
        image.write(out.getvalue(), filter=pikepdf.Name.DCTDecode)
    else:
        image.write(zlib.compress(grey.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
    image.ColorSpace = pikepdf.Name.DeviceGray
    image.BitsPerComponent = 8
    image.Width, image.Height = grey.size
    for key in ("/SMask", "/Decode", "/DecodeParms", "/Mask"):
        if key in image:
            del image[key]


def _greyable(function) -> bool:
    """Whether every part of a colour function is one _grey_function converts (checked
    before any part is changed, so a function is never left half grey)."""
    kind = int(function.get("/FunctionType", -1))
    if kind == 2:
        return True
    return kind == 3 and all(_greyable(part) for part in function.get("/Functions", []))


def _grey_function(function, seen: set) -> bool:
    """An RGB colour function as one of grey (luminance), in place: exponential
    (type 2) and stitching (type 3) functions, which WeasyPrint writes for gradients.
    False for a kind it cannot convert (sampled, PostScript): check.py reports it."""
    if function.objgen != (0, 0) and function.objgen in seen:
        return True
    if not _greyable(function):
        return False
    if function.objgen != (0, 0):
        seen.add(function.objgen)
    kind = int(function.get("/FunctionType", -1))
    if kind == 2:
        for key in ("/C0", "/C1"):
            values = [float(v) for v in function.get(key, [])]
            if len(values) == 3:
                function[key] = [round(_luminance(*values), 4)]
        if "/Range" in function:
            del function["/Range"]
        return True
    if kind == 3:
        return all(_grey_function(part, seen) for part in function.Functions)
    return False


def _grey_shading(shading, seen: set) -> None:
    """An RGB gradient (axial or radial) as a grey one, by luminance."""
    import pikepdf
    if not _is_rgb(shading.get("/ColorSpace")) or isinstance(shading.get("/Function"), pikepdf.Array) \
            or int(shading.get("/ShadingType", 0)) not in (1, 2, 3) or "/Function" not in shading:
        return
    if _grey_function(shading.Function, seen):
        shading.ColorSpace = pikepdf.Name.DeviceGray
        if "/Background" in shading:
            shading.Background = [round(_luminance(*(float(v) for v in shading.Background)), 4)]


def _black_resources(pdf, resources, seen: set) -> None:
    """What a content stream draws through its resources, in one ink: images as
    greys, forms, tiling patterns and soft masks rewritten, gradients and transparency
    groups made grey."""
    import pikepdf
    if resources is None:
        return
    for name, xobject in (resources.get("/XObject") or {}).items():
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        if xobject.get("/Subtype") == pikepdf.Name.Image and (xobject.get("/ColorSpace") != pikepdf.Name.DeviceGray
                                                              or "/SMask" in xobject) \
                and not xobject.get("/ImageMask", False):
            _grey_image(xobject)
        elif xobject.get("/Subtype") == pikepdf.Name.Form:
            group = xobject.get("/Group")
            if group is not None and _is_rgb(group.get("/CS")):
                group.CS = pikepdf.Name.DeviceGray
            _black_content(pdf, xobject, xobject.get("/Resources", resources), seen)
    for name, shading in (resources.get("/Shading") or {}).items():
        _grey_shading(shading, seen)
    for name, pattern in (resources.get("/Pattern") or {}).items():
        if pattern.objgen != (0, 0) and pattern.objgen in seen:
            continue
        seen.add(pattern.objgen)
        if int(pattern.get("/PatternType", 0)) == 2 and "/Shading" in pattern:
            _grey_shading(pattern.Shading, seen)
        elif int(pattern.get("/PatternType", 0)) == 1 and isinstance(pattern, pikepdf.Stream):
            _black_content(pdf, pattern, pattern.get("/Resources", resources), seen)
    for name, state in (resources.get("/ExtGState") or {}).items():
        mask = state.get("/SMask")
        if isinstance(mask, pikepdf.Dictionary) and "/G" in mask and mask.G.objgen not in seen:
            seen.add(mask.G.objgen)
            group = mask.G.get("/Group")
            if group is not None and _is_rgb(group.get("/CS")):
                group.CS = pikepdf.Name.DeviceGray
            if len(mask.get("/BC", [])) == 3:
                mask.BC = [round(_luminance(*(float(v) for v in mask.BC)), 4)]
            _black_content(pdf, mask.G, mask.G.get("/Resources", resources), seen)


def _black_content(pdf, holder, resources, seen: set) -> None:
    """RGB colours in a content stream (an author's SVG figure, drawn by WeasyPrint)
    as tints of black ink, by their luminance; what it draws through its resources
    likewise."""
    import pikepdf
    rgb_spaces = {str(name) for name, space in (resources.get("/ColorSpace") or {}).items() if _is_rgb(space)} \
        if resources is not None else set()
    _black_resources(pdf, resources, seen)
    if isinstance(holder, pikepdf.Page):
        contents = holder.obj.get("/Contents")
        parts = [] if contents is None else list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        raw = b"\n".join(part.read_bytes() for part in parts)
    else:
        raw = holder.read_bytes()
    spaces = [name.encode() for name in rgb_spaces | {"/DeviceRGB"}]
    names = b"|".join(re.escape(name) for name in spaces)
    if not any(word in raw for word in (b"rg", b"RG", *spaces)) \
            or not re.search(rb"\b(rg|RG)\b|(" + names + rb")\s+(cs|CS)\b", raw):
        return   # no RGB here (the text is K already): the page is not rewritten; the
        # plain search first, as the pattern alone took a second over a long book's pages
    out, rgb_fill, rgb_stroke, saved = [], False, False, []
    for operands, operator in pikepdf.parse_content_stream(holder):
        op = str(operator)
        if op == "q":
            saved.append((rgb_fill, rgb_stroke))
        elif op == "Q" and saved:
            rgb_fill, rgb_stroke = saved.pop()
        if op in ("rg", "RG") and len(operands) == 3:
            ink = 1 - _luminance(*(float(v) for v in operands))
            out.append(([0, 0, 0, round(ink, 4)], pikepdf.Operator("k" if op == "rg" else "K")))
            continue
        if op in ("cs", "CS"):
            rgb = operands[0] == pikepdf.Name.DeviceRGB or str(operands[0]) in rgb_spaces
            if op == "cs":
                rgb_fill = rgb
            else:
                rgb_stroke = rgb
            if rgb:
                out.append(([pikepdf.Name.DeviceCMYK], operator))
                continue
        if op in ("sc", "scn", "SC", "SCN") and (rgb_fill if op.islower() else rgb_stroke) and len(operands) == 3:
            ink = 1 - _luminance(*(float(v) for v in operands))
            out.append(([0, 0, 0, round(ink, 4)], operator))
            continue
        out.append((operands, operator))
    data = pikepdf.unparse_content_stream(out)
    if isinstance(holder, pikepdf.Page):
        holder.obj.Contents = pdf.make_stream(data)
    else:
        holder.write(data)


def cmyk_groups(pdf) -> None:
    """WeasyPrint gives its transparency groups an RGB blending space; a cover printed
    in CMYK blends in CMYK."""
    import pikepdf
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Group") is not None and _is_rgb(obj.Group.get("/CS")):
            obj.Group.CS = pikepdf.Name.DeviceCMYK


def one_ink(pdf) -> None:
    """The whole file in black ink: what a one-colour press prints. (The shared layout
    has its text in K already; figures and images keep their colours on screen.)"""
    seen: set = set()
    for page in pdf.pages:
        _black_content(pdf, page, page.obj.get("/Resources"), seen)


def _strip_screen_features(pdf) -> None:
    """Links, bookmarks and tags are for screens; a printer's preflight flags them."""
    import pikepdf
    for page in pdf.pages:
        for key in ("/Annots", "/StructParents"):
            if key in page.obj:
                del page.obj[key]
    for key in ("/Outlines", "/StructTreeRoot", "/MarkInfo", "/Dests", "/ParentTree"):
        if key in pdf.Root:
            del pdf.Root[key]
    # The tags are gone, so the file is no longer the tagged PDF/UA its metadata says.
    if "/Metadata" in pdf.Root:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key in ("pdfuaid:part", "pdfuaid:conformance"):
                if key in meta:
                    del meta[key]
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        del pdf.Root.Names["/Dests"]
        if not pdf.Root.Names.keys():
            del pdf.Root["/Names"]
    pdf.Root.PageMode = pikepdf.Name.UseNone


def _box(values) -> list[float]:
    return [float(v) for v in values]


def _cut_binding_bleed(pdf, bleed: float) -> None:
    """Drop the bleed on the binding edge: the left of a right-hand page (odd pages,
    the first page being a right-hand page), the right of a left-hand one. The sheet
    ends at the trim there; nothing is moved."""
    import pikepdf
    for number, page in enumerate(pdf.pages, start=1):
        media = _box(page.MediaBox)
        trim = _box(page.obj.get("/TrimBox", page.MediaBox))
        if number % 2 == 1:
            media[0] = trim[0]
        else:
            media[2] = trim[2]
        page.MediaBox = pikepdf.Array(media)
        page.obj.BleedBox = pikepdf.Array(media)
        for key in ("/CropBox", "/ArtBox"):
            if key in page.obj:
                del page.obj[key]


def _add_blank(pdf) -> None:
    import pikepdf
    model = pdf.pages[-2] if len(pdf.pages) > 1 else pdf.pages[-1]   # the same side as the page it follows
    blank = pdf.add_blank_page(page_size=(float(model.MediaBox[2]), float(model.MediaBox[3])))
    for key in ("/MediaBox", "/BleedBox", "/TrimBox"):
        if key in model.obj:
            blank.obj[key] = pikepdf.Array(_box(model.obj[key]))


def _draw_crop_marks(pdf, bleed: float) -> None:
    """Crop marks at the trim corners, outside the bleed, on a sheet made larger to
    hold them (marks inside the bleed would be cut off with it)."""
    import pikepdf
    margin = MARK_GAP + MARK_LENGTH + SHEET_MARGIN
    for page in pdf.pages:
        media, trim = _box(page.MediaBox), _box(page.obj.get("/TrimBox", page.MediaBox))
        bleed_box = _box(page.obj.get("/BleedBox", page.MediaBox))
        sheet = [media[0] - margin, media[1] - margin, media[2] + margin, media[3] + margin]
        lines = []
        for x, y in ((trim[0], trim[1]), (trim[2], trim[1]), (trim[0], trim[3]), (trim[2], trim[3])):
            outward_x = -1 if x == trim[0] else 1
            outward_y = -1 if y == trim[1] else 1
            start_x = (bleed_box[0] if outward_x < 0 else bleed_box[2]) + outward_x * MARK_GAP
            start_y = (bleed_box[1] if outward_y < 0 else bleed_box[3]) + outward_y * MARK_GAP
            lines.append(f"{start_x:.3f} {y:.3f} m {start_x + outward_x * MARK_LENGTH:.3f} {y:.3f} l S")
            lines.append(f"{x:.3f} {start_y:.3f} m {x:.3f} {start_y + outward_y * MARK_LENGTH:.3f} l S")
        stream = "q 0 0 0 1 K 0.25 w\n" + "\n".join(lines) + "\nQ\n"
        page.contents_add(pikepdf.Stream(pdf, stream.encode()), prepend=False)
        page.MediaBox = pikepdf.Array(sheet)


def _output_intent(pdf, icc: Path, title: str, modified: str) -> None:
    import pikepdf
    profile = pikepdf.Stream(pdf, icc.read_bytes())
    profile.N = 4
    intent = pikepdf.Dictionary(Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX,
                                OutputConditionIdentifier=OUTPUT_CONDITION, OutputCondition="SWOP (coated)",
                                RegistryName="http://www.color.org", Info=f"CMYK output intent ({icc.name})",
                                DestOutputProfile=profile)
    pdf.Root.OutputIntents = pikepdf.Array([intent])
    stamp = "D:" + re.sub(r"\D", "", modified)[:14].ljust(14, "0") + "Z"
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["pdfx:GTS_PDFXVersion"] = "PDF/X-1a:2003"
        meta["pdf:Trapped"] = "False"   # as the document information says
    info = pdf.docinfo
    info["/Title"] = title
    info["/GTS_PDFXVersion"] = "PDF/X-1a:2003"
    info["/GTS_PDFXConformance"] = "PDF/X-1a:2003"
    info["/Trapped"] = pikepdf.Name.False_
    info["/CreationDate"] = stamp
    info["/ModDate"] = stamp


# Checking a print file against its target (check.py calls this).

RGB_OPERATORS = {"rg", "RG"}


def colour_breaches(path: Path) -> list[tuple[int, str]]:
    """(page, what) for every RGB colour set in a page's content, its forms and images."""
    import pikepdf
    found = []
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for what in _rgb_in(page, page.obj.get("/Resources"), set()):
                found.append((number, what))
    return found


def _rgb_in(content, resources, seen: set) -> list[str]:
    import pikepdf
    said = []
    rgb_spaces = set()
    if resources is not None and "/ColorSpace" in resources:
        for name, space in resources.ColorSpace.items():
            base = space[0] if isinstance(space, pikepdf.Array) else space
            if base == pikepdf.Name.DeviceRGB or (base == pikepdf.Name.ICCBased and space[1].get("/N") == 3):
                rgb_spaces.add(name)
    for operands, operator in pikepdf.parse_content_stream(content):
        op = str(operator)
        if op in RGB_OPERATORS:
            said.append(f"RGB colour {' '.join(str(o) for o in operands)} ({op})")
        elif op in ("cs", "CS") and (operands[0] == pikepdf.Name.DeviceRGB or str(operands[0]) in rgb_spaces):
            said.append(f"RGB colour space ({op} {operands[0]})")
        elif op == "Do" and resources is not None and "/XObject" in resources:
            xobject = resources.XObject.get(str(operands[0]))
            if xobject is None or xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            if xobject.get("/Subtype") == pikepdf.Name.Image:
                space = xobject.get("/ColorSpace")
                base = space[0] if isinstance(space, pikepdf.Array) else space
                if base == pikepdf.Name.DeviceRGB or (base == pikepdf.Name.ICCBased and space[1].get("/N") == 3):
                    said.append(f"an RGB image ({operands[0]})")
            elif xobject.get("/Subtype") == pikepdf.Name.Form:
                if _is_rgb((xobject.get("/Group") or {}).get("/CS")):
                    said.append(f"an RGB transparency group ({operands[0]})")
                said += _rgb_in(xobject, xobject.get("/Resources", resources), seen)
    return said + _rgb_drawn_through(resources, seen)


def _rgb_drawn_through(resources, seen: set) -> list[str]:
    """RGB in what a stream's resources paint with: gradients, patterns, soft masks."""
    import pikepdf
    said = []
    if resources is None:
        return said
    shadings = list((resources.get("/Shading") or {}).items())
    for name, pattern in (resources.get("/Pattern") or {}).items():
        if pattern.objgen != (0, 0) and pattern.objgen in seen:
            continue
        seen.add(pattern.objgen)
        if "/Shading" in pattern:
            shadings.append((name, pattern.Shading))
        elif isinstance(pattern, pikepdf.Stream):
            said += _rgb_in(pattern, pattern.get("/Resources", resources), seen)
    for name, shading in shadings:
        if _is_rgb(shading.get("/ColorSpace")):
            said.append(f"an RGB gradient ({name})")
    for name, state in (resources.get("/ExtGState") or {}).items():
        mask = state.get("/SMask")
        if isinstance(mask, pikepdf.Dictionary) and "/G" in mask and mask.G.objgen not in seen:
            seen.add(mask.G.objgen)
            said += _rgb_in(mask.G, mask.G.get("/Resources", resources), seen)
    return said


def _transparencies(resources, seen: set, groups: bool = False) -> list[str]:
    """What in these resources, their forms and patterns, is transparent: an opacity
    under 1, a soft mask or a blend mode in a graphics state, a soft-masked image, and
    (`groups`) a form that is a transparency group."""
    import pikepdf
    found: list[str] = []
    if resources is None:
        return found
    for name, state in (resources.get("/ExtGState") or {}).items():
        for key in ("/ca", "/CA"):
            if key in state and float(state[key]) < 1:
                found.append(f"an opacity of {float(state[key]):g} ({name})")
                break
        else:
            if isinstance(state.get("/SMask"), pikepdf.Dictionary):
                found.append(f"a soft mask ({name})")
            elif state.get("/BM") not in (None, pikepdf.Name.Normal, pikepdf.Name.Compatible):
                found.append(f"a blend mode {state.BM} ({name})")
    children = list((resources.get("/XObject") or {}).values()) + \
        [p for p in (resources.get("/Pattern") or {}).values() if isinstance(p, pikepdf.Stream)]
    for child in children:
        if child.objgen in seen:
            continue
        seen.add(child.objgen)
        if child.get("/Subtype") == pikepdf.Name.Image and "/SMask" in child:
            found.append("an image with a soft mask")
            continue
        if groups and _is_transparency_group(child):
            found.append(f"a transparency group (object {child.objgen[0]})")
        if "/Resources" in child:
            found += _transparencies(child.Resources, seen, groups)
    return found


def _is_transparency_group(holder) -> bool:
    import pikepdf
    group = holder.get("/Group")
    return isinstance(group, pikepdf.Dictionary) and group.get("/S") == pikepdf.Name.Transparency


def transparency(path: Path) -> list[tuple[int, str]]:
    """(page, what) for every use of transparency, which PDF/X-1a does not allow:
    an opacity under 1 or a soft mask in a graphics state, a soft-masked image, a page
    or form declared a transparency group."""
    import pikepdf
    found = []
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            if _is_transparency_group(page.obj):
                found.append((number, "a page that is a transparency group"))
            found += [(number, what) for what in _transparencies(page.obj.get("/Resources"), set(), groups=True)]
    return list(dict.fromkeys(found))


def opaque_groups(pdf) -> None:
    """WeasyPrint makes a form of every SVG and of the barcode a transparency group,
    which PDF/X-1a does not allow, though most draw nothing transparent: in a file with
    only opaque drawing a group composites the same without it, so it is dropped. A
    file with real transparency anywhere (an opacity may be applied to a group from
    outside it) keeps its groups, for `check` to report."""
    import pikepdf
    seen: set = set()
    if any(_transparencies(page.obj.get("/Resources"), seen) for page in pdf.pages):
        return
    for obj in list(pdf.objects):
        if isinstance(obj, (pikepdf.Stream, pikepdf.Dictionary)) and _is_transparency_group(obj):
            del obj["/Group"]


def black_svg(svg: str) -> str:
    """An SVG's colours as shades of black ink: what a one-colour press can print.
    (#rgb, #rrggbb, rgb(r, g, b) and rgb(r%, g%, b%) as pdftocairo writes them,
    black, white and currentColor.)"""
    def ink(red: float, green: float, blue: float) -> str:
        return f"device-cmyk(0 0 0 {1 - (0.2126 * red + 0.7152 * green + 0.0722 * blue):.3f})"

    def grey(match: re.Match) -> str:
        value = match.group(0)
        if value.lower() in ("black", "currentcolor"):
            return "device-cmyk(0 0 0 1)"
        if value.lower() == "white":
            return "device-cmyk(0 0 0 0)"
        if value.lower().startswith("rgb"):
            parts = re.findall(r"[\d.]+%?", value)
            return ink(*((float(p[:-1]) / 100 if p.endswith("%") else float(p) / 255) for p in parts[:3]))
        digits = value.lstrip("#")
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return ink(*(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)))
    colour = r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|rgb\(\s*[\d.]+%?\s*,\s*[\d.]+%?\s*,\s*[\d.]+%?\s*\)|black|white|currentColor"
    return re.sub(rf"(?<=[\"':\s])({colour})(?=[\"';\s])", grey, svg)


def print_assets(assets: dict[str, bytes]) -> dict[str, bytes]:
    """The book's images as a one-colour press prints them: rasters in greys, SVGs in
    shades of black ink. (A colour interior is not a target folio offers yet.)"""
    from io import BytesIO
    from PIL import Image
    converted = {}
    for name, data in assets.items():
        suffix = Path(name).suffix.lower()
        try:
            if suffix == ".svg":
                converted[name] = black_svg(data.decode("utf-8")).encode("utf-8")
                continue
            if suffix in (".png", ".jpg", ".jpeg", ".gif", ".webp"):
                with Image.open(BytesIO(data)) as image:
                    if image.mode in ("L", "1"):
                        converted[name] = data
                        continue
                    # Flattened onto white paper: PDF/X-1a allows no transparency.
                    rgba = image.convert("RGBA")
                    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                    grey = Image.alpha_composite(paper, rgba).convert("L")
                    out = BytesIO()
                    if suffix in (".jpg", ".jpeg"):
                        grey.save(out, format="JPEG", quality=95)
                    else:
                        grey.save(out, format="PNG")
                    converted[name] = out.getvalue()
                    continue
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        converted[name] = data
    return converted

"""Images an author brings are drawn as they look: a 16-bit greyscale PNG, which
WeasyPrint draws as a black box, becomes 8-bit grey (transforms._eight_bit_grey)."""
from io import BytesIO

from PIL import Image

from folio import transforms


def _png(image) -> bytes:
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_a_16_bit_grey_png_becomes_8_bit_grey_with_its_tones():
    ramp = Image.new("I;16", (3, 1))
    for x, value in enumerate((0, 32768, 65535)):
        ramp.putpixel((x, 0), value)
    data = _png(ramp)
    with Image.open(BytesIO(data)) as before:
        assert before.mode.startswith("I")   # what WeasyPrint cannot draw
    with Image.open(BytesIO(transforms._eight_bit_grey(data))) as after:
        assert after.mode == "L"
        assert [after.getpixel((x, 0)) for x in range(3)] == [0, 128, 255]


def test_other_images_are_left_byte_for_byte():
    for image in (Image.new("L", (2, 2), 90), Image.new("RGB", (2, 2), (1, 2, 3))):
        data = _png(image)
        assert transforms._eight_bit_grey(data) == data
    assert transforms._eight_bit_grey(b"\xff\xd8\xff not a png") == b"\xff\xd8\xff not a png"


def test_a_png_cut_short_is_named_not_carried_into_the_editions(tmp_path):
    """Only its header was read, so a PNG cut to its first bytes passed into the EPUB
    and the site; its chunks' checksums are read now (no decoding)."""
    import pytest
    from folio import bounds
    from folio.diagnostics import BuildError
    whole = _png(Image.new("RGB", (64, 64), (200, 10, 10)))
    good, cut = tmp_path / "good.png", tmp_path / "cut.png"
    good.write_bytes(whole)
    cut.write_bytes(whole[:60])
    assert bounds.check_image(good, tmp_path / "book.md", 3) == (64, 64)
    with pytest.raises(BuildError, match="FOLIO031: image 'cut.png' is not a valid PNG image"):
        bounds.check_image(cut, tmp_path / "book.md", 3)

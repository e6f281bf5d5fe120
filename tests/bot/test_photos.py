"""Photos from residents: real images only, turned upright, metadata removed."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from bot.photos import MAX_PIXELS, PhotoRejected, clean_photo, sniff_format

GPS_IFD, ORIENTATION, MAKE, DATETIME = 0x8825, 0x0112, 0x010F, 0x0132


def phone_photo(fmt: str = "JPEG", size=(60, 40), orientation: int = 6) -> bytes:
    """A photo as a phone saves it: EXIF with the GPS position, the phone, the time and an orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1]))  # left half blue: shows which way is up
    exif = Image.Exif()
    exif[MAKE] = "ResidentPhone 12"
    exif[DATETIME] = "2026:11:20 07:41:02"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 12.0, 30.5), 3: "W", 4: (1.0, 30.0, 2.0)})
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_phone_metadata_is_removed_and_the_photo_turned_upright(fmt):
    original = phone_photo(fmt)
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(GPS_IFD), "the test photo really carries a GPS position"

    photo = clean_photo(original, max_bytes=1_000_000)

    assert b"ResidentPhone" not in photo.data and b"2026:11:20" not in photo.data
    with Image.open(io.BytesIO(photo.data)) as after:
        assert after.format == fmt
        assert not after.getexif(), "no EXIF at all: no GPS, phone or time"
        assert "exif" not in after.info
        # Orientation 6 means "rotate 90 degrees clockwise to view": 60x40 becomes 40x60.
        assert after.size == (40, 60)
        top_left = after.convert("RGB").getpixel((2, 2))
        assert top_left[2] > 150, "the blue half is now on top, as the resident saw it"


def test_png_text_chunks_are_removed():
    image = Image.new("RGB", (10, 10))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jo Bloggs, 14 Foxglove Way")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    assert b"Foxglove" in out.getvalue()
    assert b"Foxglove" not in clean_photo(out.getvalue(), 1_000_000).data


def test_the_colour_profile_is_kept():
    out = io.BytesIO()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (10, 10)).save(out, format="JPEG", icc_profile=profile)
    with Image.open(io.BytesIO(clean_photo(out.getvalue(), 1_000_000).data)) as after:
        assert after.info.get("icc_profile") == profile


def test_gifs_are_accepted_only_where_asked_and_kept_as_png():
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, format="GIF", comment=b"made by Jo")
    with pytest.raises(PhotoRejected):
        clean_photo(out.getvalue(), 1_000_000)
    photo = clean_photo(out.getvalue(), 1_000_000, accepted=("GIF",))
    assert (photo.extension, photo.content_type) == ("png", "image/png")
    assert b"made by Jo" not in photo.data


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # cut off half way (a dropped upload)
    lambda data: data[:200] + bytes(len(data) - 200),  # header, then zeros
])
def test_a_damaged_photo_is_refused_with_words_for_the_resident(damage):
    with pytest.raises(PhotoRejected) as refused:
        clean_photo(damage(phone_photo("JPEG", size=(300, 200))), 1_000_000)
    assert refused.value.status == 415 and "damaged" in refused.value.reason


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # A tiny PNG that claims to be 10,000 x 10,000 pixels.
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")
    assert 10_000 * 10_000 > MAX_PIXELS and len(out.getvalue()) < 100_000
    with pytest.raises(PhotoRejected) as refused:
        clean_photo(out.getvalue(), 1_000_000)
    assert refused.value.status == 413


def test_the_type_is_read_from_the_bytes():
    assert sniff_format(phone_photo("JPEG")) == "JPEG"
    assert sniff_format(b"GIF89a....") == "GIF"
    assert sniff_format(b"<svg onload=alert(1)>") is None
    with pytest.raises(PhotoRejected) as refused:
        clean_photo(b"<svg onload=alert(1)>", 1_000_000)
    assert refused.value.status == 415

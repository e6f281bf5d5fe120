"""Photos from residents: real images only, turned upright, metadata removed."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from bot import photos
from bot.photos import MAX_PIXELS, PhotoRejected, clean_photo, sniff_format
from tests.support.photos import png_bomb

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


@pytest.mark.parametrize("width,height", [
    (8_900, 8_900),  # the 9.7 KB file that cost 450 MB: 79 MP, under the old 80 MP cap
    (9_000, 6_000),  # 54 MP: more than any phone camera makes
    (12_001, 10),  # a side no phone camera makes
    (6_000, 6_000),  # 36 MP in about 4 KB: thousands of pixels per byte, no photo is like that
])
def test_a_canvas_no_phone_makes_is_refused_from_its_header(width, height):
    bomb = png_bomb(width, height)
    assert len(bomb) < 20_000
    with pytest.raises(PhotoRejected) as refused:
        clean_photo(bomb, 10_000_000)
    assert refused.value.status == 413 and "too many pixels" in refused.value.reason


def test_a_plain_large_photo_still_passes():
    # A dark 12 MP frame compresses well (about 280 pixels per byte as PNG), but is a photo.
    out = io.BytesIO()
    Image.new("RGB", (4_000, 3_000), (10, 10, 10)).save(out, format="PNG")
    assert clean_photo(out.getvalue(), 10_000_000).extension == "png"


def test_no_more_than_the_pool_size_decode_at_once(monkeypatch):
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    busy, most = [0], [0]
    lock = threading.Lock()
    real = photos._reencoded

    def slow_reencode(image, source_format):
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        time.sleep(0.05)
        try:
            return real(image, source_format)
        finally:
            with lock:
                busy[0] -= 1

    monkeypatch.setattr(photos, "_reencoded", slow_reencode)
    photo = phone_photo("JPEG")
    with ThreadPoolExecutor(max_workers=8) as callers:  # eight photos arriving together
        results = list(callers.map(lambda _: clean_photo(photo, 1_000_000), range(8)))
    assert len(results) == 8
    assert most[0] == photos.DECODE_WORKERS == 2


async def test_the_shared_pool_runs_photo_work_off_the_event_loop():
    import threading

    name = await photos.in_photo_pool(lambda: threading.current_thread().name)
    assert name.startswith("photo-decode")


MEMORY_PROBE = """
import json, sys, threading
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from bot.channels.sms_media import MediaRejected, MediaStore
from bot.photos import PhotoRejected, clean_photo
from bot.web.uploads import store_photo
from tests.support.photos import png_bomb

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

folder = Path(sys.argv[1])
bomb = png_bomb(8_900, 8_900)
clean_photo(png_bomb(64, 64), 1_000_000)  # warm up: codecs loaded, pool made
before = peak_mb()
media = MediaStore(folder / "media", "https://bot.example", 5_000_000)

def web_upload(_):
    try:
        return store_photo(bomb, folder / "uploads", 10_000_000)
    except PhotoRejected as refused:
        return refused.status

def mms(_):
    try:
        return media.store(bomb, "image/png")
    except MediaRejected:
        return "rejected"

# Four at once, as in the attack: two uploaded to the website, two by MMS.
with ThreadPoolExecutor(max_workers=4) as senders:
    outcomes = list(senders.map(lambda n: (web_upload if n % 2 else mms)(n), range(4)))
print(json.dumps({"growth_mb": peak_mb() - before, "outcomes": outcomes}))
"""


def test_four_tiny_huge_pictures_at_once_keep_memory_bounded(tmp_path):
    """The attack: 9.7 KB PNGs of 8,900 x 8,900 pixels, several at once (was +450 MB each)."""
    import json
    import subprocess
    import sys

    from bot.settings import PROJECT_ROOT

    probe = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(tmp_path)], cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, probe.stderr[-2000:]
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["outcomes"] == ["rejected", 413, "rejected", 413]
    assert result["growth_mb"] < 64, result  # generous: refusing them needs almost nothing

"""Photo uploads: only real JPEG/PNG/WebP images within the limits are stored, cleaned."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.web import uploads


def photo_bytes(fmt: str = "JPEG", size: tuple = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt, extension", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_a_real_photo_is_stored_under_a_random_name_with_its_real_type(tmp_path: Path, fmt: str, extension: str) -> None:
    data = photo_bytes(fmt)
    upload_id = uploads.store_photo(data, tmp_path, max_bytes=1_000_000)
    assert uploads.UPLOAD_ID.match(upload_id) and upload_id.endswith("." + extension)
    with Image.open(tmp_path / upload_id) as stored:  # re-encoded without metadata (tests/bot/test_photos.py)
        assert stored.format == fmt and stored.size == (40, 30)
    assert uploads.photo_path(tmp_path, upload_id) == tmp_path / upload_id
    assert uploads.content_type(upload_id).startswith("image/")
    assert not list(tmp_path.glob(".*.part")), "no half-written files left behind"


@pytest.mark.parametrize(
    "data, status",
    [
        (b"", 400),
        (b"<html><script>alert(1)</script></html>", 415),  # a page pretending to be a photo
        (b"GIF89a" + b"\0" * 40, 415),  # a type we don't take
        (b"\xff\xd8\xff\xe0" + b"\0" * 100, 415),  # JPEG magic, then junk
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, 415),  # PNG magic, binary junk
    ],
)
def test_anything_that_is_not_a_valid_photo_is_refused_with_a_reason(tmp_path: Path, data: bytes, status: int) -> None:
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.store_photo(data, tmp_path, max_bytes=1_000_000)
    assert refused.value.status == status
    assert refused.value.reason  # words for the resident
    assert not any(tmp_path.iterdir()), "nothing stored"


def test_a_photo_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    data = photo_bytes("PNG", (400, 400))
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.store_photo(data, tmp_path, max_bytes=len(data) - 1)
    assert refused.value.status == 413
    assert "too large" in refused.value.reason


def test_a_jpeg_renamed_as_png_is_stored_as_what_it_really_is(tmp_path: Path) -> None:
    assert uploads.store_photo(photo_bytes("JPEG"), tmp_path, 1_000_000).endswith(".jpg")


@pytest.mark.parametrize("bad", ["../../etc/passwd", "abc.jpg", "0" * 32 + ".html", "0" * 32 + ".jpg/../x", ""])
def test_only_well_formed_ids_find_a_file(tmp_path: Path, bad: str) -> None:
    assert uploads.photo_path(tmp_path, bad) is None


def test_uploads_stop_politely_when_the_folder_reaches_its_cap(tmp_path: Path) -> None:
    first = uploads.store_photo(photo_bytes("PNG"), tmp_path, 1_000_000, max_total_bytes=10_000)
    used = uploads.folder_bytes(tmp_path)
    assert 0 < used == (tmp_path / first).stat().st_size

    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.store_photo(photo_bytes("PNG"), tmp_path, 1_000_000, max_total_bytes=used + 10)
    assert refused.value.status == 503
    assert "describe the problem in words" in refused.value.reason
    assert [p.name for p in tmp_path.iterdir()] == [first], "nothing stored, nothing lost"

    # Room again (staff cleared old photos): accepted.
    assert uploads.store_photo(photo_bytes("PNG"), tmp_path, 1_000_000, max_total_bytes=3 * used)

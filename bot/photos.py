"""Photos residents send (web chat uploads, MMS): checked, then cleaned of metadata.

Both channels keep residents' photos and pass them on to staff and back
offices, so both go through ``clean_photo``:

* the bytes must really be an image of an accepted type (magic numbers and a
  full decode by Pillow, whatever type the sender declared), within the size
  and pixel limits;
* a decompression bomb is refused before it is decoded: the header is read
  lazily first, and a canvas larger than any phone camera makes
  (MAX_PIXELS, MAX_SIDE), or far more pixels than the file's bytes could hold
  for a real photo (MAX_PIXELS_PER_BYTE: a 9.7 KB PNG claiming 8,900 x 8,900
  pixels once cost 450 MB to decode), is refused with 413;
* decoding happens at most DECODE_WORKERS at a time per process, however many
  photos arrive at once: web uploads and MMS both go through
  :func:`in_photo_pool`, and :func:`clean_photo` itself waits for a free slot;
* the photo is turned upright and re-encoded *without* its metadata. Phone
  photos carry EXIF: the GPS position where it was taken (often the
  resident's home), the phone's make and serial numbers, the time. None of
  that is needed to fix a pothole, and it would otherwise reach every
  back office the case goes to.
"""

from __future__ import annotations

import asyncio
import io
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Collection, Optional, Tuple, TypeVar

from PIL import Image, ImageOps, UnidentifiedImageError

from bot import messages

# Pillow format -> (extension, content type) we store it as. GIFs (MMS sends
# them) are kept as PNG: one frame, no comment blocks.
STORED_AS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("png", "image/png"),
}
# What phone cameras make: 50 megapixels at most (8,160 x 6,120), no side
# longer than 12,000 pixels. Anything bigger is refused before decoding.
MAX_PIXELS = 50_000_000
MAX_SIDE = 12_000
# Real photos hold at most a few hundred pixels per byte of file (a black frame
# as WebP: ~560; as JPEG: ~65); a bomb holds thousands (1-bit PNG: ~8,000).
# Checked for canvases above MIN_PIXELS_FOR_RATIO (small images cost little).
MAX_PIXELS_PER_BYTE = 1_000
MIN_PIXELS_FOR_RATIO = 1_000_000
# Photos decoded at once per process. One decode of the largest photo takes
# about 4 bytes per pixel (200 MB at 50 MP), so this bounds the memory
# photos can take however many arrive together.
DECODE_WORKERS = 2
JPEG_QUALITY = 90

_decode_slots = threading.BoundedSemaphore(DECODE_WORKERS)
_pool = ThreadPoolExecutor(max_workers=DECODE_WORKERS, thread_name_prefix="photo-decode")
T = TypeVar("T")


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    extension: str
    content_type: str


@dataclass(frozen=True)
class PhotoRejected(Exception):
    """Why a photo was refused, in words a resident understands, with an HTTP status.

    ``reason`` is the English; ``reason_in(language)`` the same from the catalogue
    (``message_id`` with ``values``) in the resident's language.
    """

    status: int
    reason: str
    message_id: str = ""
    values: Tuple[Tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return self.reason

    def reason_in(self, language: str) -> str:
        if not self.message_id:
            return self.reason
        return messages.text(self.message_id, language, **dict(self.values))


def rejected(status: int, message_id: str, **values: Any) -> PhotoRejected:
    """A PhotoRejected whose reason is the catalogue's ``message_id`` (English, and any language on asking)."""
    return PhotoRejected(status, messages.text(message_id, **values), message_id, tuple(sorted(values.items())))


def sniff_format(data: bytes) -> Optional[str]:
    """The image format the bytes really are (by magic numbers), as Pillow names it, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


async def in_photo_pool(function: Callable[..., T], *args: Any) -> T:
    """Run ``function(*args)`` (which cleans a photo) in the shared photo pool, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool, function, *args)


def check_canvas(width: int, height: int, size_in_bytes: int) -> None:
    """Refuse a canvas no phone makes, or one its bytes could not hold as a real photo (PhotoRejected)."""
    pixels = width * height
    if pixels > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise rejected(413, "photo.too_many_pixels")
    if pixels > MIN_PIXELS_FOR_RATIO and pixels > MAX_PIXELS_PER_BYTE * size_in_bytes:
        raise rejected(413, "photo.too_many_pixels")


def clean_photo(data: bytes, max_bytes: int, accepted: Collection[str] = ("JPEG", "PNG", "WEBP")) -> CleanPhoto:
    """The photo, upright and without metadata; raises PhotoRejected.

    Waits for one of the DECODE_WORKERS decode slots, whatever thread calls it.
    """
    if not data:
        raise rejected(400, "photo.empty")
    if len(data) > max_bytes:
        raise rejected(413, "photo.too_large", max_mb=max(1, max_bytes // (1024 * 1024)))
    sniffed = sniff_format(data)
    if sniffed is None or sniffed not in accepted:
        raise rejected(415, "photo.not_a_photo")
    try:
        with warnings.catch_warnings():
            # Pillow only warns about a possible decompression bomb; we refuse it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:  # so far only the header is read
            if image.format != sniffed:
                raise rejected(415, "photo.not_a_photo")
            check_canvas(*image.size, len(data))
            with _decode_slots:
                image.load()  # decodes every byte: a truncated or corrupt file fails here
                return _reencoded(image, sniffed)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise rejected(413, "photo.too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise rejected(415, "photo.damaged") from None


def _reencoded(image: Image.Image, source_format: str) -> CleanPhoto:
    """Upright, re-encoded without EXIF, XMP or text chunks (the colour profile is kept)."""
    icc_profile = image.info.get("icc_profile")
    # In place: no copy of the whole picture when it is already upright.
    ImageOps.exif_transpose(image, in_place=True)
    upright = image
    extension, content_type = STORED_AS[source_format]
    out = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if extension == "jpg":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(out, format="JPEG", quality=JPEG_QUALITY, **options)
    elif extension == "webp":
        upright.save(out, format="WEBP", quality=JPEG_QUALITY, **options)
    else:
        if upright.mode == "P" and "transparency" not in upright.info:
            upright = upright.convert("RGB")
        upright.save(out, format="PNG", **options)
    return CleanPhoto(out.getvalue(), extension, content_type)

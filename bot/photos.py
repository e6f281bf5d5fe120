"""Photos residents send (web chat uploads, MMS): checked, then cleaned of metadata.

Both channels keep residents' photos and pass them on to staff and back
offices, so both go through ``clean_photo``:

* the bytes must really be an image of an accepted type (magic numbers and a
  full decode by Pillow, whatever type the sender declared), within the size
  and pixel limits (a decompression bomb is refused before it is decoded);
* the photo is turned upright and re-encoded *without* its metadata. Phone
  photos carry EXIF: the GPS position where it was taken (often the
  resident's home), the phone's make and serial numbers, the time. None of
  that is needed to fix a pothole, and it would otherwise reach every
  back office the case goes to.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Collection, Optional

from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format -> (extension, content type) we store it as. GIFs (MMS sends
# them) are kept as PNG: one frame, no comment blocks.
STORED_AS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("png", "image/png"),
}
# Larger than any phone camera; anything bigger is refused before decoding.
MAX_PIXELS = 80_000_000
JPEG_QUALITY = 90


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    extension: str
    content_type: str


@dataclass(frozen=True)
class PhotoRejected(Exception):
    """Why a photo was refused, in words a resident understands, with an HTTP status."""

    status: int
    reason: str

    def __str__(self) -> str:
        return self.reason


NOT_A_PHOTO = "That file isn't a photo we can accept. Please send a JPEG, PNG or WebP image."
TOO_MANY_PIXELS = "The photo has too many pixels. Please send a smaller photo."


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


def clean_photo(data: bytes, max_bytes: int, accepted: Collection[str] = ("JPEG", "PNG", "WEBP")) -> CleanPhoto:
    """The photo, upright and without metadata; raises PhotoRejected."""
    if not data:
        raise PhotoRejected(400, "The photo was empty.")
    if len(data) > max_bytes:
        raise PhotoRejected(413, f"The photo is too large. Photos can be up to {max(1, max_bytes // (1024 * 1024))} MB.")
    sniffed = sniff_format(data)
    if sniffed is None or sniffed not in accepted:
        raise PhotoRejected(415, NOT_A_PHOTO)
    try:
        with warnings.catch_warnings():
            # Pillow only warns about a possible decompression bomb; we refuse it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:
            if image.format != sniffed:
                raise PhotoRejected(415, NOT_A_PHOTO)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoRejected(413, TOO_MANY_PIXELS)
            image.load()  # decodes every byte: a truncated or corrupt file fails here
            return _reencoded(image, sniffed)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(413, TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise PhotoRejected(415, "That photo seems to be damaged. Please try another.") from None


def _reencoded(image: Image.Image, source_format: str) -> CleanPhoto:
    """Upright, re-encoded without EXIF, XMP or text chunks (the colour profile is kept)."""
    icc_profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image) or image
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

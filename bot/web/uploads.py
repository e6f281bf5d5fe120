"""Photos residents attach in web chat: checked, stored under VAR_DIR/uploads.

A photo is accepted only when its bytes are a JPEG, PNG or WebP image that
Pillow can parse (whatever the browser claimed the type was), and is no
larger than WEB_UPLOAD_MAX_BYTES. It is stored under a random 128-bit name,
which is the only way to find it again; the web chat channel turns that name
into a URL on our website and puts it in the message metadata as
``media_urls`` (bot/channels/web.py).
"""

from __future__ import annotations

import io
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from PIL import Image, UnidentifiedImageError

# Extension -> MIME type. The extension is chosen from the sniffed bytes.
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
PILLOW_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|webp)$")
# Larger than any phone camera; refuses decompression bombs early.
MAX_PIXELS = 80_000_000


@dataclass(frozen=True)
class UploadRejected(Exception):
    """Why a photo was refused, in words a resident understands."""

    status: int
    reason: str

    def __str__(self) -> str:
        return self.reason


def sniff_extension(data: bytes) -> Optional[str]:
    """The photo type the bytes really are (magic numbers), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_photo(data: bytes, max_bytes: int) -> str:
    """The extension to store a valid photo under; raises UploadRejected."""
    if not data:
        raise UploadRejected(400, "The photo was empty.")
    if len(data) > max_bytes:
        raise UploadRejected(413, f"The photo is too large. Photos can be up to {max_bytes // (1024 * 1024)} MB.")
    extension = sniff_extension(data)
    if extension is None:
        raise UploadRejected(415, "That file isn't a photo we can accept. Please send a JPEG, PNG or WebP image.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if PILLOW_FORMATS.get(image.format or "") != extension:
                raise UploadRejected(415, "That file isn't a photo we can accept. Please send a JPEG, PNG or WebP image.")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UploadRejected(413, "The photo has too many pixels. Please send a smaller photo.")
            image.verify()
    except UploadRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadRejected(415, "That photo seems to be damaged. Please try another.") from None
    return extension


def store_photo(data: bytes, uploads_dir: Path, max_bytes: int) -> str:
    """Check and store a photo; returns its id (``<hex>.<ext>``)."""
    extension = check_photo(data, max_bytes)
    uploads_dir.mkdir(parents=True, exist_ok=True)
    upload_id = f"{uuid.uuid4().hex}.{extension}"
    final = uploads_dir / upload_id
    partial = uploads_dir / f".{upload_id}.part"
    # Written under a temporary name and renamed, so a half-written file is never served.
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, final)
    return upload_id


def photo_path(uploads_dir: Path, upload_id: str) -> Optional[Path]:
    """The stored file for an id, or None (ids are checked, so no path tricks)."""
    if not UPLOAD_ID.match(upload_id):
        return None
    path = uploads_dir / upload_id
    return path if path.is_file() else None


def content_type(upload_id: str) -> str:
    return PHOTO_TYPES[upload_id.rsplit(".", 1)[1]]

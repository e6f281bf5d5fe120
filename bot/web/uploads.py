"""Photos residents attach in web chat: checked, cleaned, stored under VAR_DIR/uploads.

A photo is accepted only when its bytes are a JPEG, PNG or WebP image that
Pillow can decode (whatever the browser claimed the type was), no larger
than WEB_UPLOAD_MAX_BYTES, and while the uploads folder is under
WEB_UPLOADS_MAX_TOTAL_BYTES. It is stored without its metadata (EXIF GPS
position and the like: bot/photos.py) under a random 128-bit name, which is
the only way to find it again; the web chat channel turns that name into a
URL on our website and puts it in the message metadata as ``media_urls``
(bot/channels/web.py).
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Optional

from bot import messages
from bot.photos import PhotoRejected, clean_photo
from bot.private_files import private_dir, write_private

# Extension -> MIME type of what we store.
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|webp)$")
UploadRejected = PhotoRejected

FOLDER_FULL = messages.text("web_upload.folder_full")


def folder_bytes(uploads_dir: Path) -> int:
    """How much the stored photos take up."""
    if not uploads_dir.is_dir():
        return 0
    return sum(entry.stat().st_size for entry in os.scandir(uploads_dir) if entry.is_file())


def store_photo(data: bytes, uploads_dir: Path, max_bytes: int, max_total_bytes: Optional[int] = None) -> str:
    """Check, clean and store a photo; returns its id (``<hex>.<ext>``). Raises UploadRejected."""
    photo = clean_photo(data, max_bytes)
    if max_total_bytes is not None and folder_bytes(uploads_dir) + len(photo.data) > max_total_bytes:
        raise UploadRejected(503, FOLDER_FULL, "web_upload.folder_full")
    private_dir(uploads_dir)
    upload_id = f"{uuid.uuid4().hex}.{photo.extension}"
    final = uploads_dir / upload_id
    partial = uploads_dir / f".{upload_id}.part"
    # Written (0600: our user only) under a temporary name and renamed, so a
    # half-written file is never served.
    write_private(partial, photo.data, sync=True)
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

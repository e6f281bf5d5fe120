"""Photos residents send by MMS: checked, stored under VAR_DIR, served back by us.

Twilio's media URLs need the account credentials, so a back office could not
open them. We fetch each photo once, check its size and that it really is an
image of an accepted type (by its first bytes, not only the declared type),
store it under an unguessable name and pass our own URL on as the case's
``media_url``.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Dict, Optional

# Accepted types, the file extension we store them with, and their magic bytes.
IMAGE_TYPES: Dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
CONTENT_TYPES: Dict[str, str] = {ext: ctype for ctype, ext in IMAGE_TYPES.items()}
STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.(jpg|png|gif|webp)$")
MEDIA_ROUTE = "/webhooks/sms/media"


def sniff_image_type(data: bytes) -> Optional[str]:
    """The image type the bytes really are, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class MediaRejected(ValueError):
    """The attachment is not a photo we accept; the message says why (for the log)."""


class MediaStore:
    """Stores accepted photos in ``directory`` and names their public URLs."""

    def __init__(self, directory: Path, public_base_url: str, max_bytes: int) -> None:
        self.directory = directory
        self.public_base_url = public_base_url.rstrip("/")
        self.max_bytes = max_bytes

    def store(self, data: bytes, declared_type: str) -> str:
        """Check and keep one photo; returns its public URL. Raises MediaRejected."""
        if not data:
            raise MediaRejected("empty attachment")
        if len(data) > self.max_bytes:
            raise MediaRejected("attachment too large")
        actual = sniff_image_type(data)
        if actual is None:
            raise MediaRejected(f"not an accepted image (declared {declared_type[:40]!r})")
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{secrets.token_urlsafe(24)}.{IMAGE_TYPES[actual]}"
        (self.directory / name).write_bytes(data)
        return f"{self.public_base_url}{MEDIA_ROUTE}/{name}"

    def path_for(self, name: str) -> Optional[Path]:
        """The stored file for a name from one of our URLs, or None (never outside the directory)."""
        if not STORED_NAME.match(name):
            return None
        path = self.directory / name
        return path if path.is_file() else None

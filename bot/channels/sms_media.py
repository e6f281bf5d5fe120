"""Photos residents send by MMS: checked, cleaned, stored under VAR_DIR, served back by us.

Twilio's media URLs need the account credentials, so a back office could not
open them. We fetch each photo once, check its size and that it really is an
image of an accepted type (by its bytes, not the declared type), strip its
metadata (bot/photos.py: EXIF GPS position and the like), store it under an
unguessable name and pass our own URL on as the case's ``media_url``.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Dict, Optional

from bot.photos import PhotoRejected, clean_photo
from bot.private_files import private_dir, write_private

# What MMS may bring; GIFs are stored as PNG (bot/photos.py).
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
CONTENT_TYPES: Dict[str, str] = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}
STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.(jpg|png|gif|webp)$")
MEDIA_ROUTE = "/webhooks/sms/media"


class MediaRejected(ValueError):
    """The attachment is not a photo we accept; the message says why (for the log)."""


class MediaStore:
    """Stores accepted photos in ``directory`` and names their public URLs."""

    def __init__(self, directory: Path, public_base_url: str, max_bytes: int) -> None:
        self.directory = directory
        self.public_base_url = public_base_url.rstrip("/")
        self.max_bytes = max_bytes

    def store(self, data: bytes, declared_type: str) -> str:
        """Check, clean and keep one photo; returns its public URL. Raises MediaRejected."""
        try:
            photo = clean_photo(data, self.max_bytes, accepted=ACCEPTED_FORMATS)
        except PhotoRejected as rejected:
            # The declared type is the sender's claim: shortened, for the log only.
            raise MediaRejected(f"{rejected.reason} (declared {declared_type[:40]!r})") from None
        private_dir(self.directory)
        name = f"{secrets.token_urlsafe(24)}.{photo.extension}"
        partial = self.directory / f".{name}.part"
        write_private(partial, photo.data)  # 0600: our user only
        os.replace(partial, self.directory / name)  # never serve a half-written file
        return f"{self.public_base_url}{MEDIA_ROUTE}/{name}"

    def path_for(self, name: str) -> Optional[Path]:
        """The stored file for a name from one of our URLs, or None (never outside the directory)."""
        if not STORED_NAME.match(name):
            return None
        path = self.directory / name
        return path if path.is_file() else None

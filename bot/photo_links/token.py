"""The upload link's token: opaque, short, signed, expiring.

A token is 24 bytes, base64url without padding (32 characters):

    link id (8 random bytes) | expiry (4 bytes, Unix seconds, big-endian) | MAC (12 bytes)

The MAC is HMAC-SHA256 under PHOTO_LINK_SECRET over a purpose label, the id
and the expiry, cut to 96 bits. A forged or altered token fails the MAC
before the database is asked anything; the expiry cannot be moved because it
is signed. Nothing else is in it: which case the link is for, and whether it
has been used, are in our database under the link id (bot/storage/photo_links.py),
so the URL carries no personal data and no secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

ID_BYTES = 8
MAC_BYTES = 12
TOKEN_BYTES = ID_BYTES + 4 + MAC_BYTES
TOKEN_CHARS = 32  # 24 bytes in base64url, no padding
PURPOSE = b"council-photo-link/v1\x00"


class InvalidToken(Exception):
    """The token is malformed, forged or altered (``reason`` is for logs, never for residents)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    """What a genuine token says: which link, and until when."""

    link_id: str  # 16 hex digits
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def _mac(secret: str, link_id: bytes, expires: int) -> bytes:
    message = PURPOSE + link_id + struct.pack(">I", expires)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()[:MAC_BYTES]


def new_link_id() -> str:
    return secrets.token_hex(ID_BYTES)


def sign(secret: str, link_id: str, expires_at: datetime) -> str:
    """The token for link ``link_id`` (16 hex digits), valid until ``expires_at``."""
    if not secret:
        raise ValueError("PHOTO_LINK_SECRET is not set")
    raw_id = bytes.fromhex(link_id)
    if len(raw_id) != ID_BYTES:
        raise ValueError("a link id is 8 bytes")
    expires = int(expires_at.timestamp())
    raw = raw_id + struct.pack(">I", expires) + _mac(secret, raw_id, expires)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def verify(secret: str, token: Optional[str]) -> Claims:
    """The token's claims if it is genuine (expired or not); raises InvalidToken otherwise.

    Expiry is the caller's decision (it gets a different page from a forgery).
    """
    if not secret:
        raise InvalidToken("no secret configured")
    if not isinstance(token, str) or len(token) != TOKEN_CHARS:
        raise InvalidToken("wrong length")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("not base64url") from None
    # base64 decoding ignores some alterations (non-canonical final bits): insist
    # the token is exactly what we would have written, so one link has one spelling.
    if len(raw) != TOKEN_BYTES or base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != token:
        raise InvalidToken("not canonical")
    raw_id, expires_bytes, mac = raw[:ID_BYTES], raw[ID_BYTES:ID_BYTES + 4], raw[ID_BYTES + 4:]
    (expires,) = struct.unpack(">I", expires_bytes)
    if not hmac.compare_digest(mac, _mac(secret, raw_id, expires)):
        raise InvalidToken("bad signature")
    return Claims(raw_id.hex(), datetime.fromtimestamp(expires, tz=timezone.utc))

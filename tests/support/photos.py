"""Hostile pictures for tests, made without ever holding their pixels in memory."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of ``width`` x ``height``: tiny file, huge canvas.

    Pillow holds each pixel of such a picture in a byte (more after
    conversion), so a 9.7 KB file of 8,900 x 8,900 costs hundreds of MB to decode.
    """
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte "none", then the packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")

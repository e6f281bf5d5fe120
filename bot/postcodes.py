"""UK postcodes: spotting, formatting and checking they are in the council's area."""

from __future__ import annotations

import re
from typing import Iterable, Optional

# Outward code (area + district) and inward code (sector digit + unit letters).
# Inward letters never include C, I, K, M, O or V.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s*([0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2})(?![A-Za-z0-9])"
)


def find_postcode(text: str) -> Optional[str]:
    """The first postcode in ``text``, formatted like ``AN1 4GT``, or None."""
    match = _POSTCODE.search(text or "")
    if not match:
        return None
    return f"{match.group(1).upper()} {match.group(2).upper()}"


def looks_like_postcode_attempt(text: str) -> bool:
    """True for short answers that are probably a mistyped postcode ("AN1 4G", "AN14GTT")."""
    compact = re.sub(r"\s", "", text or "")
    return 4 <= len(compact) <= 8 and bool(re.fullmatch(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]*", compact))


def in_area(postcode: str, areas: Iterable[str]) -> bool:
    """True when ``postcode`` falls in one of the districts or sectors ``areas``.

    A district ("AN1") matches every sector of that district but not "AN12";
    a sector ("AN1 4") matches only that sector.
    """
    outward, _, inward = postcode.upper().partition(" ")
    for area in areas:
        area_outward, _, area_sector = area.upper().partition(" ")
        if outward != area_outward:
            continue
        if not area_sector or inward.startswith(area_sector):
            return True
    return False

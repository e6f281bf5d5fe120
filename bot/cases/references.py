"""Case references residents can read out, type on a phone and text back.

Format ``XXXX-XXXX``: eight characters from an alphabet without the look-alikes
0/O, 1/I and U/V, the last one a check character, so a mistyped reference is
recognised as mistyped instead of pointing at someone else's case.

The check is a weighted sum modulo 31. The alphabet has exactly 31 characters
and 31 is prime, so every single wrong character and every swap of two
neighbouring characters changes the check (tests/bot/cases/test_references.py
tries them all).
"""

from __future__ import annotations

import re
import secrets
from typing import Iterable, Iterator, Optional

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
BODY_LENGTH = 7

# Loose pattern for spotting a reference-like token in free text: residents
# drop the hyphen, use spaces or lower case, and type O/0/I/1.
# A lookahead, so overlapping candidates are all seen ("with ab7k 3fq2").
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])(?=([A-Za-z0-9]{4})[\s\-]?([A-Za-z0-9]{4})(?![A-Za-z0-9]))")


def _check_character(body: str) -> str:
    total = sum((position + 1) * _VALUE[ch] for position, ch in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]  # len(ALPHABET) == 31, a prime


def new_reference() -> str:
    """A fresh random reference such as ``AB7K-3FQ2``.

    Always has a digit: in free text, an 8-letter run with no digit is far
    more likely a word ("POTHOLES") than a reference, so find_candidates
    ignores those.
    """
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
        full = body + _check_character(body)
        if any(ch.isdigit() for ch in full):
            return f"{full[:4]}-{full[4:]}"


def normalise(text: str) -> Optional[str]:
    """Canonical ``XXXX-XXXX`` form of a typed reference, or None if it cannot be one."""
    compact = re.sub(r"[\s\-]", "", text).upper()
    if len(compact) != BODY_LENGTH + 1:
        return None
    if any(ch not in _VALUE for ch in compact):
        return None
    return f"{compact[:4]}-{compact[4:]}"


def is_valid(reference: str) -> bool:
    """True when the check character matches (catches most single typos and swaps)."""
    canonical = normalise(reference)
    if canonical is None:
        return False
    compact = canonical.replace("-", "")
    return _check_character(compact[:-1]) == compact[-1]


def find_candidates(text: str) -> list[str]:
    """Reference-like tokens in free text, upper-cased and hyphenated.

    Tokens must contain a digit so ordinary words ("POTHOLES", "with mill")
    are not mistaken for references. Valid references come first, then
    tokens from our alphabet, then the rest (mistyped references).
    """
    found: list[str] = []
    for first, second in _CANDIDATE.findall(text):
        token = (first + second).upper()
        if any(ch.isdigit() for ch in token):
            found.append(f"{token[:4]}-{token[4:]}")
    return sorted(found, key=lambda ref: (not is_valid(ref), normalise(ref) is None))


def valid_among(candidates: Iterable[str]) -> Iterator[str]:
    """The candidates (typed references) that are valid, each in canonical ``XXXX-XXXX`` form."""
    for candidate in candidates:
        canonical = normalise(candidate)
        if canonical is not None and is_valid(canonical):
            yield canonical

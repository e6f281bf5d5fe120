"""The street a free-text place names, normalised, for street-level duplicate matching.

"14 Mill Ln, AN1 4GT", "mill lane" and "Outside no. 3, Mill Lane" all give
``mill lane``: lower case, abbreviations spelt out, house numbers, flats and
postcodes left off, and the words before a street word ("on", "near",
"outside ...") dropped. A place with no street word ("the park by the
library") keeps its normalised words, so only the same description matches.
Used when a report has no coordinates (the gazetteer, when it knows the
street, gives coordinates and a USRN instead).
"""

from __future__ import annotations

import re
from typing import Optional

MAX_KEY_CHARS = 120
_POSTCODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b")
_ABBREVIATIONS = {
    "rd": "road", "st": "street", "ln": "lane", "ave": "avenue", "av": "avenue", "cl": "close",
    "cres": "crescent", "cresc": "crescent", "dr": "drive", "gdns": "gardens", "gr": "grove", "pl": "place",
    "sq": "square", "ter": "terrace", "terr": "terrace", "pk": "park", "ct": "court", "hwy": "highway",
    "wy": "way", "bvd": "boulevard", "blvd": "boulevard",
}
STREET_WORDS = {
    "road", "street", "lane", "avenue", "close", "crescent", "drive", "gardens", "grove", "place", "square",
    "terrace", "way", "walk", "row", "hill", "court", "park", "parade", "mews", "green", "rise", "view",
    "highway", "boulevard", "bypass", "broadway", "croft", "fields", "mead", "yard", "wharf", "circus",
}
# Words that end the street's name when read backwards from the street word.
_BEFORE_STREET = {
    "on", "in", "at", "near", "by", "outside", "opposite", "of", "the", "off", "to", "from", "and", "junction",
    "corner", "end", "top", "bottom", "behind", "beside", "next", "along", "past", "no", "number", "flat",
    "house", "my", "our", "its", "it's", "is", "a", "an", "o", "s", "nr", "opp", "jct", "with",
}
_NUMBER = re.compile(r"^\d+[a-z]?$")


def street_key(location_text: Optional[str]) -> Optional[str]:
    """The normalised street of a free-text place, or None if it names none usable."""
    if not location_text:
        return None
    text = _POSTCODE.sub(" ", location_text.lower())
    if text.strip().startswith("shared location"):
        return None  # the widget's words for coordinates: the coordinates are matched instead
    words = [_ABBREVIATIONS.get(w, w) for w in re.findall(r"[a-z0-9']+", text)]
    words = [w.strip("'") for w in words if w.strip("'")]
    # The last street word names the street ("the corner of High Street and Mill Lane" -> mill lane
    # is as good as any: both are kept apart from other streets).
    for end in range(len(words) - 1, -1, -1):
        if words[end] in STREET_WORDS and end > 0 and words[end - 1] not in _BEFORE_STREET | STREET_WORDS:
            start = end
            while start > 0 and end - start < 4 and words[start - 1] not in _BEFORE_STREET and not _NUMBER.match(
                words[start - 1]
            ):
                start -= 1
            return " ".join(words[start:end + 1])[:MAX_KEY_CHARS]
    rest = [w for w in words if not _NUMBER.match(w) and w not in ("no", "number", "flat", "house")]
    return " ".join(rest)[:MAX_KEY_CHARS] or None


def house_number(location_text: Optional[str]) -> Optional[str]:
    """The house number a place gives ("14 Mill Lane", "outside no. 3"), if any."""
    if not location_text:
        return None
    text = _POSTCODE.sub(" ", location_text.lower())
    found = re.search(r"(?:\b(?:no\.?|number|house)\s*)?\b(\d{1,4}[a-z]?)\b(?=\s*,?\s*[a-z])", text)
    return found.group(1).upper() if found else None

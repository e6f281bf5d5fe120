"""The built-in gazetteer: the council's street list from a CSV file.

Columns (a header row names them; order does not matter; ``docs/places.md``):

``street``, ``locality`` (required; ``town`` is used when a row has no
locality), ``town``, ``usrn``, ``uprn``, ``postcode``, and a position as
``latitude`` + ``longitude`` (WGS84) or ``easting`` + ``northing`` (British
National Grid, converted with pyproj). Rows of the same street in the same
locality (one per postcode, or one per property with its UPRN) make one
street: its postcodes together, its position their average.

A file that cannot be used stops loading with every problem and its line
number (:class:`GazetteerError`), so a bad export is fixed before it reaches
residents rather than half-loaded.
"""

from __future__ import annotations

import csv
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from bot import postcodes
from bot.places.coordinates import grid_to_latlon
from bot.places.gazetteer import PlaceMatch, Street
from bot.places.matching import StreetIndex, name_tokens

COLUMNS = ("street", "locality", "town", "usrn", "uprn", "postcode", "latitude", "longitude", "easting", "northing")
REQUIRED = ("street", "locality")
_USRN = re.compile(r"^[0-9]{1,8}$")  # USRNs are whole numbers of up to 8 digits
_UPRN = re.compile(r"^[0-9]{1,12}$")  # UPRNs of up to 12
# Great Britain and Northern Ireland, generously: a position outside is a mistake.
_UK_LATITUDE = (49.0, 61.5)
_UK_LONGITUDE = (-8.7, 2.1)
# Problems listed before giving up (a file with thousands of bad rows says enough by then).
MAX_PROBLEMS = 20


class GazetteerError(ValueError):
    """The gazetteer file cannot be used; the message lists the problems with line numbers."""


@dataclass
class _Street:
    name: str
    locality: str
    town: str
    usrn: Optional[str]
    postcodes: List[str] = field(default_factory=list)
    positions: List[Tuple[float, float]] = field(default_factory=list)

    def build(self) -> Street:
        latitude = sum(p[0] for p in self.positions) / len(self.positions)
        longitude = sum(p[1] for p in self.positions) / len(self.positions)
        return Street(self.name, self.locality, self.town, self.usrn, tuple(sorted(set(self.postcodes))),
                      round(latitude, 6), round(longitude, 6))


def _number(value: str, column: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{column} {value!r} is not a number")
    return number


def _position(row: Dict[str, str]) -> Tuple[float, float]:
    """(latitude, longitude) from whichever pair the row gives."""
    has_latlon = bool(row.get("latitude") or row.get("longitude"))
    has_grid = bool(row.get("easting") or row.get("northing"))
    if has_latlon and has_grid:
        raise ValueError("give latitude/longitude or easting/northing, not both")
    if has_latlon:
        if not (row.get("latitude") and row.get("longitude")):
            raise ValueError("latitude and longitude must both be given")
        latitude, longitude = _number(row["latitude"], "latitude"), _number(row["longitude"], "longitude")
    elif has_grid:
        if not (row.get("easting") and row.get("northing")):
            raise ValueError("easting and northing must both be given")
        latitude, longitude = grid_to_latlon(_number(row["easting"], "easting"), _number(row["northing"], "northing"))
    else:
        raise ValueError("no position: give latitude/longitude or easting/northing")
    if not (_UK_LATITUDE[0] <= latitude <= _UK_LATITUDE[1] and _UK_LONGITUDE[0] <= longitude <= _UK_LONGITUDE[1]):
        raise ValueError(f"position ({latitude:.5f}, {longitude:.5f}) is not in the UK")
    return latitude, longitude


def _read_row(row: Dict[str, str], streets: "OrderedDict[Tuple, _Street]") -> None:
    """Add one CSV row to ``streets``; ValueError says what is wrong with it."""
    name, locality, town = row.get("street", ""), row.get("locality", ""), row.get("town", "")
    if not name:
        raise ValueError("street is empty")
    if not name_tokens(name):
        raise ValueError(f"street {name!r} has no letters or digits")
    locality = locality or town
    if not locality:
        raise ValueError("locality is empty (and no town)")
    usrn, uprn = row.get("usrn", ""), row.get("uprn", "")
    if usrn and not _USRN.match(usrn):
        raise ValueError(f"usrn {usrn!r} is not a number of up to 8 digits")
    if uprn and not _UPRN.match(uprn):
        raise ValueError(f"uprn {uprn!r} is not a number of up to 12 digits")
    postcode = row.get("postcode", "")
    if postcode:
        formatted = postcodes.find_postcode(postcode)
        if formatted is None or formatted.replace(" ", "") != postcode.upper().replace(" ", ""):
            raise ValueError(f"postcode {postcode!r} is not a full UK postcode")
        postcode = formatted
    position = _position(row)
    key = (name_tokens(name), tuple(locality.lower().split()))
    street = streets.get(key)
    if street is None:
        street = streets[key] = _Street(name=name, locality=locality, town=town or locality, usrn=usrn or None)
    elif usrn and street.usrn and usrn != street.usrn:
        raise ValueError(f"{name}, {locality} already has usrn {street.usrn}, not {usrn}")
    street.usrn = street.usrn or usrn or None
    if postcode:
        street.postcodes.append(postcode)
    street.positions.append(position)


def read_streets(path: Path) -> List[Street]:
    """Every street in the CSV file at ``path``; GazetteerError listing each problem with its line."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise GazetteerError(f"{path}: cannot be read ({error.strerror})") from None
    problems: List[str] = []
    streets: "OrderedDict[Tuple, _Street]" = OrderedDict()
    with handle:
        reader = csv.DictReader(handle)
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise GazetteerError(f"{path}: line 1: the header has no {', '.join(missing)} column "
                                 f"(columns: {', '.join(COLUMNS)})")
        reader.fieldnames = header
        try:
            for row in reader:
                clean = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
                if not any(clean.values()):
                    continue  # blank line
                try:
                    _read_row(clean, streets)
                except ValueError as problem:
                    problems.append(f"line {reader.line_num}: {problem}")
                    if len(problems) >= MAX_PROBLEMS:
                        problems.append("(stopped after this many problems)")
                        break
        except (csv.Error, UnicodeDecodeError) as error:
            problems.append(f"line {reader.line_num}: not readable as CSV ({error})")
    if problems:
        raise GazetteerError(f"{path}: " + "; ".join(problems))
    if not streets:
        raise GazetteerError(f"{path}: no streets")
    return [s.build() for s in streets.values()]


class CsvGazetteer:
    """The :class:`~bot.places.gazetteer.Gazetteer` read from the council's CSV file."""

    def __init__(self, streets: Sequence[Street]) -> None:
        self._index = StreetIndex(streets)
        self._by_usrn = {s.usrn: s for s in streets if s.usrn}

    @classmethod
    def load(cls, path: Path) -> "CsvGazetteer":
        return cls(read_streets(path))

    def recognise(self, text: str) -> PlaceMatch:
        return self._index.recognise(text)

    def choose(self, streets: Sequence[Street], answer: str) -> Optional[Street]:
        return self._index.choose(streets, answer)

    def streets_for_postcode(self, postcode: str) -> List[Street]:
        return self._index.streets_for_postcode(postcode)

    def by_usrn(self, usrn: str) -> Optional[Street]:
        return self._by_usrn.get(usrn)

    def __len__(self) -> int:
        return len(self._index.streets)

"""Grid cells (geohash) and distances, for finding cases near a place quickly.

A case with coordinates is stored with its geohash (``cases.geocell``: the
45 bits of a 9-character geohash as an integer, a cell of about 5 m). A
cell's prefix is a larger cell, and every cell inside it lies in one range of
integers, so "every case in these cells" is a few range scans of an ordinary
B-tree index on SQLite and PostgreSQL alike (no PostGIS, and integers, so no
text collation can change the order):
:func:`search_cells` picks the smallest prefix length whose cells are at least
as large as the search radius, and the cell around the point with its eight
neighbours then covers the whole circle. Candidates are checked afterwards
with the real (haversine) distance.
"""

from __future__ import annotations

import math
from typing import List, Optional, Tuple

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
STORED_PRECISION = 9  # about 4.8 m x 4.8 m (less east-west away from the equator)
EARTH_RADIUS_M = 6_371_008.8
_METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


def encode(latitude: float, longitude: float, precision: int = STORED_PRECISION) -> str:
    """The geohash of a point: the first ``precision`` characters."""
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    chars: List[str] = []
    bits, value, even = 0, 0, True
    while len(chars) < precision:
        box, coordinate = (lon_range, longitude) if even else (lat_range, latitude)
        middle = (box[0] + box[1]) / 2
        if coordinate >= middle:
            value = value * 2 + 1
            box[0] = middle
        else:
            value *= 2
            box[1] = middle
        even = not even
        bits += 1
        if bits == 5:
            chars.append(BASE32[value])
            bits, value = 0, 0
    return "".join(chars)


def cell_size_degrees(precision: int) -> Tuple[float, float]:
    """(latitude height, longitude width) of a cell of this precision, in degrees."""
    total = 5 * precision
    lon_bits = (total + 1) // 2
    lat_bits = total // 2
    return 180.0 / (1 << lat_bits), 360.0 / (1 << lon_bits)


def _cell_centre(latitude: float, longitude: float, precision: int) -> Tuple[float, float]:
    height, width = cell_size_degrees(precision)
    return (math.floor((latitude + 90) / height) + 0.5) * height - 90, (
        math.floor((longitude + 180) / width) + 0.5
    ) * width - 180


def neighbourhood(latitude: float, longitude: float, precision: int) -> List[str]:
    """The cell holding the point and its (up to) eight neighbours, without repeats."""
    height, width = cell_size_degrees(precision)
    centre_lat, centre_lon = _cell_centre(latitude, longitude, precision)
    cells: List[str] = []
    for d_lat in (-1, 0, 1):
        lat = centre_lat + d_lat * height
        if not -90 < lat < 90:
            continue
        for d_lon in (-1, 0, 1):
            lon = (centre_lon + d_lon * width + 180) % 360 - 180
            cell = encode(lat, lon, precision)
            if cell not in cells:
                cells.append(cell)
    return cells


def search_precision(radius_m: float, latitude: float) -> int:
    """The longest prefix whose cells are at least ``radius_m`` across in both directions here."""
    shrink = max(math.cos(math.radians(min(abs(latitude), 89.0))), 1e-6)
    for precision in range(STORED_PRECISION, 0, -1):
        height, width = cell_size_degrees(precision)
        if height * _METRES_PER_DEGREE >= radius_m and width * _METRES_PER_DEGREE * shrink >= radius_m:
            return precision
    return 1


def search_cells(latitude: float, longitude: float, radius_m: float) -> List[str]:
    """Cell prefixes that together cover every point within ``radius_m`` of the point."""
    return neighbourhood(latitude, longitude, search_precision(radius_m, latitude))


def to_int(cell: str) -> int:
    """A geohash as the integer of its bits (5 a character)."""
    value = 0
    for char in cell:
        value = value * 32 + BASE32.index(char)
    return value


def cell_range(prefix: str) -> Tuple[int, int]:
    """[low, high): the stored (full-precision) integer cells that start with ``prefix``."""
    shift = 5 * (STORED_PRECISION - len(prefix))
    low = to_int(prefix) << shift
    return low, low + (1 << shift)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d_lat, d_lon = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(d_lat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def parse_point(latitude: object, longitude: object) -> Optional[Tuple[float, float]]:
    """(lat, lon) from stored text values, or None if either is missing or out of range."""
    try:
        lat, lon = float(latitude), float(longitude)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        return None
    return lat, lon


def cell_for(latitude: object, longitude: object) -> Optional[int]:
    """The stored geocell of a case's coordinates (None without usable coordinates)."""
    point = parse_point(latitude, longitude)
    return to_int(encode(*point)) if point else None

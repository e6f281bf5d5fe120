"""Positions: British National Grid (OSGB36, EPSG:27700) to WGS84 latitude/longitude.

UK councils' gazetteers (LLPG/NLPG extracts, NSG) usually give eastings and
northings; back offices (Open311) and maps want latitude/longitude. pyproj
does the datum change properly (a hand-written Helmert transformation is
out by a few metres), with the transformer built once: building one costs
milliseconds, using it microseconds.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Tuple

from pyproj import Transformer

BRITISH_NATIONAL_GRID = "EPSG:27700"
WGS84 = "EPSG:4326"
# The grid's extent (metres): anything outside is not a place in Great Britain.
MAX_EASTING = 700_000
MAX_NORTHING = 1_300_000


@lru_cache(maxsize=1)
def _to_wgs84() -> Transformer:
    return Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)


@lru_cache(maxsize=1)
def _to_grid() -> Transformer:
    return Transformer.from_crs(WGS84, BRITISH_NATIONAL_GRID, always_xy=True)


def grid_to_latlon(easting: float, northing: float) -> Tuple[float, float]:
    """(latitude, longitude) of a British National Grid position; ValueError outside the grid."""
    if not (0 <= easting <= MAX_EASTING and 0 <= northing <= MAX_NORTHING):
        raise ValueError(f"easting/northing ({easting:g}, {northing:g}) is outside the British National Grid")
    longitude, latitude = _to_wgs84().transform(easting, northing)
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise ValueError(f"easting/northing ({easting:g}, {northing:g}) could not be converted")
    return latitude, longitude


def latlon_to_grid(latitude: float, longitude: float) -> Tuple[float, float]:
    """(easting, northing) of a WGS84 position (the demo generator writes some rows this way)."""
    easting, northing = _to_grid().transform(longitude, latitude)
    return easting, northing

"""The demo gazetteer for the fictional Anytown, and larger made-up ones for benchmarks.

``python -m bot.places.demo`` writes ``council/gazetteer.csv`` (committed, so
``make run`` needs nothing more). The output is the same on every run: names,
postcodes, USRNs and positions come from a seeded random generator. Some
streets share a name across localities ("Mill Lane" in Northfield and in
Easton) so the dialogue's "which one?" question has something to ask; every
fourth street is written with easting/northing (British National Grid) rather
than latitude/longitude, as many councils' exports are, to exercise the
conversion; a few rows are single properties with a UPRN.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from bot.places.coordinates import latlon_to_grid
from bot.settings import PROJECT_ROOT

DEFAULT_PATH = PROJECT_ROOT / "council" / "gazetteer.csv"
TOWN = "Anytown"
# Locality, postcode district, centre (latitude, longitude). Anytown is made up;
# its positions are in open country in the English Midlands.
LOCALITIES: Tuple[Tuple[str, str, float, float], ...] = (
    ("Northfield", "AN1", 52.2130, -1.4820),
    ("Westbury", "AN2", 52.1990, -1.5160),
    ("Southgate", "AN3", 52.1790, -1.4850),
    ("Easton", "AN4", 52.2010, -1.4440),
    ("Hillside", "AN5", 52.2250, -1.5050),
    ("Riverside", "AN6", 52.1870, -1.4560),
    ("Oldtown", "AN7", 52.2060, -1.4980),
    ("Brookfield", "AN8", 52.2220, -1.4550),
    ("Anytown", "AN9", 52.1980, -1.4830),  # the town centre
)
# Streets every test and example relies on: (name, locality, postcodes).
NAMED: Tuple[Tuple[str, str, Tuple[str, ...]], ...] = (
    ("Mill Lane", "Northfield", ("AN1 4GT", "AN1 4GU")),
    ("Mill Lane", "Easton", ("AN4 2LP",)),
    ("Mill Road", "Westbury", ("AN2 3NR",)),
    ("Church Road", "Northfield", ("AN1 2DH",)),
    ("Church Road", "Hillside", ("AN5 1DR",)),
    ("High Street", "Anytown", ("AN9 1HS", "AN9 1HT")),
    ("Station Road", "Anytown", ("AN9 2SR",)),
    ("Elm Close", "Southgate", ("AN3 3EL",)),
    ("St Mary's Road", "Oldtown", ("AN7 1SY",)),
    ("Queen's Avenue", "Riverside", ("AN6 4QA",)),
    ("Victoria Road", "Brookfield", ("AN8 2WR",)),
    ("Victoria Road", "Westbury", ("AN2 5WR",)),
    ("Park Road", "Hillside", ("AN5 3PR",)),
    ("Market Square", "Anytown", ("AN9 1NS",)),
    ("The Green", "Oldtown", ("AN7 2TG",)),
    ("Riverside Walk", "Riverside", ("AN6 1RW",)),
    ("Brook Street", "Brookfield", ("AN8 1BS",)),
    ("London Road", "Southgate", ("AN3 1LR", "AN3 1LS")),
    ("Bridge Street", "Anytown", ("AN9 3BS",)),
    ("Castle Street", "Oldtown", ("AN7 3ST",)),
    ("Acacia Avenue", "Westbury", ("AN2 1AA",)),
    ("Chapel Lane", "Easton", ("AN4 3DL",)),
    ("Chapel Lane", "Southgate", ("AN3 2DL",)),
    ("Orchard Close", "Northfield", ("AN1 5QD",)),
    ("Windmill Hill", "Hillside", ("AN5 2WH",)),
    ("Kingsway", "Easton", ("AN4 1NW",)),
    ("Northgate", "Northfield", ("AN1 1NG",)),
    ("Sycamore Drive", "Brookfield", ("AN8 3SD",)),
    ("Beechwood Crescent", "Riverside", ("AN6 2BD",)),
    ("Hawthorn Gardens", "Hillside", ("AN5 4HG",)),
    ("Rectory Terrace", "Oldtown", ("AN7 4RT",)),
    ("Wellington Court", "Anytown", ("AN9 4WD",)),
)
# Properties with a UPRN (rows of their street), as an address-level export has.
PROPERTIES: Tuple[Tuple[str, str, str, str], ...] = (
    ("Mill Lane", "Northfield", "AN1 4GT", "10023456781"),
    ("Mill Lane", "Northfield", "AN1 4GU", "10023456782"),
    ("High Street", "Anytown", "AN9 1HS", "10023456790"),
)
_FIRST = ("Oak", "Ash", "Beech", "Birch", "Cedar", "Willow", "Hazel", "Holly", "Laurel", "Maple", "Rowan",
          "Poplar", "Alder", "Linden", "Juniper", "Heather", "Bramble", "Meadow", "Orchard", "Spring", "Fox",
          "Badger", "Kestrel", "Heron", "Swallow", "Lark", "Wren", "Robin", "Kingfisher", "Falcon", "Abbey",
          "Albert", "Alexandra", "Archer", "Ashford", "Bedford", "Belmont", "Berkeley", "Blenheim", "Bradley",
          "Brunswick", "Cambridge", "Carlton", "Cavendish", "Chester", "Clarence", "Clifton", "Cromwell",
          "Devonshire", "Dorset", "Durham", "Egerton", "Elmore", "Fairfield", "Gladstone", "Grange", "Grosvenor",
          "Hamilton", "Hanover", "Harcourt", "Kensington", "Lancaster", "Manor", "Marlborough", "Melbourne",
          "Milton", "Nelson", "Newton", "Norfolk", "Oxford", "Palmerston", "Percy", "Portland", "Priory",
          "Regent", "Richmond", "Rutland", "Salisbury", "Sandringham", "Somerset", "Stanley", "Stratford",
          "Sutherland", "Trinity", "Tudor", "Vicarage", "Warwick", "Waverley", "Westminster", "Windsor", "York")
_SECOND = ("", "", "", "", "field", "wood", "dale", "mead", "croft", "brook", "ford", "ley", "holme", "stone")
_TYPES = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Crescent", "Place", "Gardens", "Terrace",
          "Court", "Way", "Grove", "Walk", "Rise", "View", "Mews", "Green", "Row", "Park")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
HEADER = ("street", "locality", "town", "usrn", "uprn", "postcode", "latitude", "longitude", "easting", "northing")


def _postcode(rng: random.Random, district: str) -> str:
    return f"{district} {rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"


def streets(count: int, seed: int = 13) -> List[Tuple[str, str, Tuple[str, ...], float, float]]:
    """``count`` streets (name, locality, postcodes, latitude, longitude): the named ones first.

    Made-up names repeat across localities as real ones do ("Oak Road" in
    three places), at most once per locality.
    """
    rng = random.Random(seed)
    localities = {name: (district, lat, lon) for name, district, lat, lon in LOCALITIES}
    made: List[Tuple[str, str, Tuple[str, ...], float, float]] = []
    taken = set()
    named = {name for name, _, _ in NAMED}  # made-up names never copy a named street's

    def position(locality: str) -> Tuple[float, float]:
        _district, lat, lon = localities[locality]
        return round(lat + rng.uniform(-0.008, 0.008), 6), round(lon + rng.uniform(-0.012, 0.012), 6)

    for name, locality, codes in NAMED:
        taken.add((name, locality))
        made.append((name, locality, codes, *position(locality)))
    attempts = 0
    while len(made) < count:
        attempts += 1
        if attempts > count * 50:
            raise ValueError(f"cannot make {count} distinct street names")
        name = f"{rng.choice(_FIRST)}{rng.choice(_SECOND)} {rng.choice(_TYPES)}"
        locality = rng.choice(LOCALITIES)[0]
        if (name, locality) in taken or name in named:
            continue
        taken.add((name, locality))
        district = localities[locality][0]
        codes = tuple(sorted({_postcode(rng, district) for _ in range(rng.randint(1, 3))}))
        made.append((name, locality, codes, *position(locality)))
    return made[:count]


def rows(count: int, seed: int = 13) -> Iterator[Dict[str, str]]:
    """The CSV rows of a gazetteer of ``count`` streets."""
    for number, (name, locality, codes, latitude, longitude) in enumerate(streets(count, seed)):
        usrn = str(38_000_001 + number)
        for code in codes:
            row = {"street": name, "locality": locality, "town": TOWN, "usrn": usrn, "uprn": "", "postcode": code,
                   "latitude": "", "longitude": "", "easting": "", "northing": ""}
            if number % 4 == 3:
                easting, northing = latlon_to_grid(latitude, longitude)
                row.update(easting=f"{easting:.0f}", northing=f"{northing:.0f}")
            else:
                row.update(latitude=f"{latitude:.6f}", longitude=f"{longitude:.6f}")
            yield row
        for p_name, p_locality, p_code, uprn in PROPERTIES:
            if (p_name, p_locality) == (name, locality):
                yield {"street": name, "locality": locality, "town": TOWN, "usrn": usrn, "uprn": uprn,
                       "postcode": p_code, "latitude": f"{latitude + 0.0004:.6f}",
                       "longitude": f"{longitude - 0.0003:.6f}", "easting": "", "northing": ""}


def write(path: Path, count: int, seed: int = 13) -> int:
    """Write a gazetteer of ``count`` streets to ``path``; the number of rows written."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        for row in rows(count, seed):
            writer.writerow(row)
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the demo Anytown gazetteer (the same file every run).")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--streets", type=int, default=400, help="how many streets (default 400)")
    args = parser.parse_args()
    written = write(args.out, args.streets)
    print(f"Wrote {written} rows ({args.streets} streets) to {args.out}")


if __name__ == "__main__":
    main()

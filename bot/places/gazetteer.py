"""What a gazetteer is to the rest of the bot: streets, and places found in text.

A council's gazetteer (its LLPG, or a street list from the NSG) names each
street once per locality with its Unique Street Reference Number (USRN), the
postcodes along it and a position. The dialogue asks one of these, through the
:class:`Gazetteer` protocol, so a council with its own gazetteer service can
plug in an adapter; the built-in one reads a CSV file (``csv_gazetteer.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Protocol, Sequence, Tuple, runtime_checkable


@dataclass(frozen=True)
class Street:
    """One street in one locality."""

    name: str  # "Mill Lane", as the gazetteer spells it
    locality: str  # "Northfield"; the town when the gazetteer gives no locality
    town: str  # "Anytown"
    usrn: Optional[str]  # Unique Street Reference Number, when the gazetteer has one
    postcodes: Tuple[str, ...]  # full postcodes along the street ("AN1 4GT"), sorted
    latitude: float
    longitude: float

    @property
    def label(self) -> str:
        """ "Mill Lane, Northfield": how the bot names the street back to residents and staff."""
        return f"{self.name}, {self.locality}"

    @property
    def districts(self) -> Tuple[str, ...]:
        """The postcode districts ("AN1") the street is in."""
        return tuple(sorted({p.split(" ")[0] for p in self.postcodes}))


@dataclass(frozen=True)
class PlaceMatch:
    """What the gazetteer made of a resident's words about a place.

    ``streets`` holds every street the words could mean: one (found), several
    (the same name in different localities: ask which) or none (not a street
    we know: kept as free text and flagged for staff).
    """

    text: str
    streets: Tuple[Street, ...] = ()
    span: Optional[Tuple[int, int]] = None  # where the street's name is in ``text``
    house: Optional[str] = None  # "14", "14a", "Flat 2, 14": kept in front of the street
    postcode: Optional[str] = None  # a full postcode or district the words gave ("AN1 4GT", "AN1")
    shared_name: bool = False  # the street's name is in more than one locality (name the locality back)

    @property
    def street(self) -> Optional[Street]:
        """The one street meant, when there is exactly one."""
        return self.streets[0] if len(self.streets) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.streets) > 1

    @property
    def found(self) -> bool:
        return bool(self.streets)


@runtime_checkable
class Gazetteer(Protocol):
    """A council's street list, as the dialogue uses it."""

    def recognise(self, text: str) -> PlaceMatch:
        """The street(s) ``text`` names, with the house number and any postcode it gives."""
        ...

    def choose(self, streets: Sequence[Street], answer: str) -> Optional[Street]:
        """Which of ``streets`` the resident's ``answer`` picks ("Easton", "2", "the AN4 one"), or None."""
        ...

    def streets_for_postcode(self, postcode: str) -> List[Street]:
        """Streets with ``postcode`` (a full postcode, a sector "AN1 4" or a district "AN1")."""
        ...

    def by_usrn(self, usrn: str) -> Optional[Street]:
        """The street with this USRN, or None."""
        ...

    def __len__(self) -> int:
        """How many streets (street-in-a-locality) it holds."""
        ...

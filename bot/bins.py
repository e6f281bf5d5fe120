"""The council's bins: what residents call them and when they are collected."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot import messages
from bot.settings import PROJECT_ROOT

DEFAULT_PATH = PROJECT_ROOT / "council" / "bins.yml"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Words that may come with a bin's own words in an answer that names only the bin: "the black one".
_BIN_FILLER = frozenset("the a my our it it's its was is one bin bins wheelie waste collection bag bags sack "
                        "y fy ein biniau".split())


@dataclass(frozen=True)
class BinType:
    key: str
    name: str
    words: Tuple[str, ...]
    every_weeks: int
    week_offset: int

    def name_in(self, language: str = messages.DEFAULT_LANGUAGE) -> str:
        """The name residents read: the catalogue's ``bin_type.<key>`` in ``language`` (so a Welsh
        resident reads "bin glas (ailgylchu)"), else this file's English ``name`` (a bin a council
        added without catalogue texts; tests/bot/test_bins.py checks council/bins.yml's have them)."""
        message_id = f"bin_type.{self.key}"
        if message_id in messages.message_ids() and language in messages.languages_of(message_id):
            return messages.text(message_id, language)
        return self.name


@dataclass(frozen=True)
class Collection:
    bin_type: BinType
    on: date


class BinSchedule:
    """Reads ``council/bins.yml``; answers "which bin?" and "when is it collected?"."""

    def __init__(self, bin_types: List[BinType], collection_days: Dict[str, str]) -> None:
        self.bin_types = bin_types
        self.collection_days = collection_days

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> "BinSchedule":
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        bin_types = [
            BinType(
                key=key,
                name=spec["name"],
                words=tuple(str(w).lower() for w in spec["words"]),
                every_weeks=int(spec.get("every_weeks", 1)),
                week_offset=int(spec.get("week_offset", 0)),
            )
            for key, spec in raw["bin_types"].items()
        ]
        days = {str(k).upper(): str(v).capitalize() for k, v in raw["collection_days"].items()}
        for area, day in days.items():
            if day not in WEEKDAYS:
                raise ValueError(f"{path}: collection day for {area} must be a weekday name, not {day!r}")
        return cls(bin_types, days)

    def by_key(self, key: str) -> Optional[BinType]:
        return next((b for b in self.bin_types if b.key == key), None)

    def match_bin_type(self, text: str) -> Optional[BinType]:
        """The bin type a resident means ("the green one", "recycling"), or None if unclear."""
        lowered = (text or "").lower().replace("_", " ")
        for bin_type in self.bin_types:
            if lowered.strip() == bin_type.key.replace("_", " "):
                return bin_type
        words = set(re.findall(r"[a-z]+", lowered))
        scores = []
        for bin_type in self.bin_types:
            hits = sum(1 for w in bin_type.words if (" " in w and w in lowered) or w in words)
            scores.append((hits, bin_type))
        scores.sort(key=lambda pair: pair[0], reverse=True)
        if not scores or scores[0][0] == 0:
            return None
        if len(scores) > 1 and scores[1][0] == scores[0][0]:
            return None  # ambiguous, ask again
        return scores[0][1]

    def only_a_bin(self, text: str) -> Optional[BinType]:
        """The bin an answer names when it names nothing else ("general waste", "the blue one"),
        or None: "Green Lane" names a place, as "lane" is neither a bin's word nor filler."""
        if re.search(r"\d", text or ""):
            return None
        bin_type = self.match_bin_type(text)
        if bin_type is None:
            return None
        words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text.lower())
        known = {word for each in self.bin_types for word in each.words}
        return bin_type if words and all(word in known or word in _BIN_FILLER for word in words) else None

    def collection_day(self, postcode: str) -> Optional[str]:
        outward, _, inward = postcode.upper().partition(" ")
        sector = f"{outward} {inward[:1]}"
        return self.collection_days.get(sector) or self.collection_days.get(outward)

    def next_collections(self, postcode: str, today: date) -> List[Collection]:
        """The next collection of each bin type for ``postcode``, soonest first."""
        day_name = self.collection_day(postcode)
        if day_name is None:
            return []
        weekday = WEEKDAYS.index(day_name)
        first = today + timedelta(days=(weekday - today.weekday()) % 7)
        result = []
        for bin_type in self.bin_types:
            candidate = first
            while (candidate.isocalendar()[1] - bin_type.week_offset) % bin_type.every_weeks:
                candidate += timedelta(days=7)
            result.append(Collection(bin_type, candidate))
        return sorted(result, key=lambda c: (c.on, c.bin_type.name))

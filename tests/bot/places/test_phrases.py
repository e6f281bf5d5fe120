"""How well streets are recognised in written location phrases (tests/bot/places/phrases.yml).

The figures (and this bar) are in docs/places.md; `python -m tests.bot.places.test_phrases`
prints them by kind of phrase.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from bot.places.csv_gazetteer import CsvGazetteer
from bot.places.gazetteer import PlaceMatch
from bot.settings import PROJECT_ROOT

PHRASES = Path(__file__).with_name("phrases.yml")
# Measured 250/250 (docs/places.md); a change that loses more than a few fails.
MIN_RATE = 0.95


def load_phrases() -> List[Tuple[str, str, str, str]]:
    return [tuple(p) for p in yaml.safe_load(PHRASES.read_text(encoding="utf-8"))["phrases"]]  # type: ignore[misc]


def right(match: PlaceMatch, street: str, locality: str) -> bool:
    if street == "-":
        return not match.found
    if locality == "?":
        return match.ambiguous and {s.name for s in match.streets} == {street}
    return match.street is not None and (match.street.name, match.street.locality) == (street, locality)


def measure() -> Tuple[Dict[str, Counter], List[str]]:
    gazetteer = CsvGazetteer.load(PROJECT_ROOT / "council" / "gazetteer.csv")
    counts: Dict[str, Counter] = {}
    wrong: List[str] = []
    for kind, text, street, locality in load_phrases():
        match = gazetteer.recognise(text)
        ok = right(match, street, locality)
        counts.setdefault(kind, Counter())["right" if ok else "wrong"] += 1
        if not ok:
            wrong.append(f"{kind}: {text!r} -> {[s.label for s in match.streets]} (expected {street}, {locality})")
    return counts, wrong


def test_there_are_at_least_200_phrases_of_every_kind():
    phrases = load_phrases()
    assert len(phrases) >= 200
    kinds = Counter(kind for kind, *_ in phrases)
    assert set(kinds) == {"plain", "abbreviation", "typo", "house", "landmark", "settled", "ambiguous", "outside"}


def test_recognition_rate():
    counts, wrong = measure()
    total = sum(sum(c.values()) for c in counts.values())
    rate = sum(c["right"] for c in counts.values()) / total
    assert rate >= MIN_RATE, "\n".join(wrong)


def test_the_outside_phrases_really_are_not_in_the_gazetteer():
    """A phrase marked "not a street we know" must not name a street the demo gazetteer has."""
    names = {line.split(",")[0].lower() for line in (PROJECT_ROOT / "council" / "gazetteer.csv").read_text().splitlines()}
    for kind, text, street, _ in load_phrases():
        if street == "-":
            assert not any(name and name in text.lower() for name in names if len(name.split()) > 1), text


if __name__ == "__main__":
    counts, wrong = measure()
    for kind, count in counts.items():
        print(f"{kind:13} {count['right']:3}/{sum(count.values()):3}")
    total = sum(sum(c.values()) for c in counts.values())
    print(f"{'all':13} {sum(c['right'] for c in counts.values()):3}/{total:3}")
    print("\n".join(wrong))

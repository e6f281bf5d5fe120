"""Finding streets in what residents write: typos, abbreviations, house numbers.

Street names and messages are read the same way: lower case, apostrophes
dropped, words split at anything else, and street-type words put in one form
("Lane", "Ln" and "lane" all read "ln"; "St" and "Street" read "st"). A word
the gazetteer does not have is matched to the gazetteer's words within one
edit (two for words of seven letters or more; an edit is a letter added,
dropped, changed or two swapped; the first letter must be right) through a symmetric-delete index: every
gazetteer word is stored under each way of dropping one (or two) of its
letters, so a misspelt word is found by looking up its own deletions rather
than by comparing it with every word (20,000 streets: p50 0.3 ms a message,
``benchmarks/places.py``). A street is found where its words follow each
other in the message; the exact, earliest, longest match wins, and a
postcode, district ("an1") or locality named in the message narrows a name
several localities share.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from bot import postcodes
from bot.places.gazetteer import PlaceMatch, Street

# Street-type words and their abbreviations, each read as one token. "Saint"
# reads like "St" (street) too, so "St Mary's Road" and "Saint Marys Rd" agree.
_TYPE_WORDS: Dict[str, Tuple[str, ...]] = {
    "st": ("street", "st", "str", "saint"),
    "rd": ("road", "rd"),
    "ln": ("lane", "ln"),
    "ave": ("avenue", "ave", "av", "avn"),
    "cl": ("close", "cl"),
    "dr": ("drive", "dr", "drv"),
    "cres": ("crescent", "cres", "cresc", "cr"),
    "pl": ("place", "pl"),
    "gdns": ("gardens", "gdns", "gdn"),
    "ter": ("terrace", "terr", "ter", "tce"),
    "ct": ("court", "ct", "crt"),
    "sq": ("square", "sq"),
    "gro": ("grove", "gro", "gr"),
    "pde": ("parade", "pde"),
    "pk": ("park", "pk"),
    "hl": ("hill", "hl"),
    "wy": ("way", "wy"),
    "wk": ("walk", "wk"),
    "mws": ("mews", "mws"),
    "grn": ("green", "grn"),
    "rw": ("row", "rw"),
    "bvd": ("boulevard", "blvd", "bvd"),
}
TYPE_TOKENS = frozenset(_TYPE_WORDS)  # "rd", "st", "ln", ...: the street-type tokens
# Other words UK addresses shorten, read the same way.
_SHORT_WORDS: Dict[str, Tuple[str, ...]] = {
    "station": ("station", "stn"), "market": ("market", "mkt"), "north": ("north", "nth"),
    "south": ("south", "sth"), "upper": ("upper", "upr"), "lower": ("lower", "lwr"), "great": ("great", "gt"),
}
CANONICAL: Dict[str, str] = {
    word: token for table in (_TYPE_WORDS, _SHORT_WORDS) for token, words in table.items() for word in words
}
# Everyday words never corrected into a street's word ("near" is not "Neat Lane");
# they still match exactly ("The Green", "Mill Lane").
_NOT_CORRECTED = frozenset(
    "the on in at by of and near outside opposite behind beside next to from for my our your their his her "
    "its it is was were are has have had been there here this that these those with without into onto over "
    "under a an bin bins just also very really again still please thanks thank you sorry its not no yes "
    "hole holes light lights road street lane pavement path outside corner end top bottom side front back "
    "house home flat shop shops school park car cars van left right rubbish litter".split()
)
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
_OUTWARD = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)(?![A-Za-z0-9])")
# A house number (and flat) just before the street: "14", "14a", "14-16", "no. 14",
# "flat 2, 14", "Flat 2 14".
_HOUSE = re.compile(
    r"(?<![A-Za-z0-9])(?:(?P<flat>(?:flat|apartment|apt|unit)\.?\s*[0-9]{1,4}[a-z]?)\s*,?\s*)?"
    r"(?:(?<![A-Za-z0-9])(?:number|no\.?|num)\s*)?"
    r"(?<![A-Za-z0-9])(?P<number>[0-9]{1,4}[a-z]?(?:\s*[-/]\s*[0-9]{1,4}[a-z]?)?)\s*,?\s*$",
    re.IGNORECASE,
)
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3}


def _plain(word: str) -> str:
    return word.lower().replace("'", "").replace("’", "")


def words(text: str) -> List[Tuple[str, int, int]]:
    """The words of ``text`` in plain form, with where each is: [("mill", 3, 7), ...]."""
    return [(_plain(m.group(0)), m.start(), m.end()) for m in _WORD.finditer(text or "")]


def canonical(word: str) -> str:
    """One form for street-type words ("lane" -> "ln"); other words as they are."""
    return CANONICAL.get(word, word)


def name_tokens(name: str) -> Tuple[str, ...]:
    """A street or place name as tokens: "St Mary's Road" -> ("st", "marys", "rd")."""
    return tuple(canonical(w) for w, _, _ in words(name))


def allowed_edits(a: str, b: str) -> int:
    """How many edits two words may differ by and still be the same word misspelt."""
    shorter = min(len(a), len(b))
    if shorter >= 7:
        return 2
    return 1 if shorter >= 3 else 0


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two letters is one edit), or limit+1 once over."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        best = current[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[len(b)]


def _deletions(word: str, depth: int) -> Set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


class WordIndex:
    """The gazetteer's words, for finding a misspelt word's intended one quickly."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocabulary: Set[str] = set(vocabulary)
        self._deletes: Dict[str, List[str]] = defaultdict(list)
        for word in self.vocabulary:
            if len(word) >= 4 and not word.isdigit():
                for variant in _deletions(word, 2 if len(word) >= 8 else 1):
                    self._deletes[variant].append(word)
        self._cache: Dict[str, Tuple[Tuple[str, int], ...]] = {}

    def lookup(self, word: str) -> Tuple[Tuple[str, int], ...]:
        """Gazetteer words ``word`` may be, each with the edits between them (0: the word itself)."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        found: Dict[str, int] = {}
        if word in self.vocabulary:
            found[word] = 0
        if len(word) >= 3 and not word.isdigit() and word not in _NOT_CORRECTED:
            for variant in _deletions(word, 2 if len(word) >= 7 else 1):
                for candidate in self._deletes.get(variant, ()):
                    if candidate in found or candidate[0] != word[0]:
                        continue  # nearly every slip keeps the first letter: far fewer words to compare
                    limit = allowed_edits(word, candidate)
                    distance = edit_distance(word, candidate, limit)
                    if distance <= limit:
                        found[candidate] = distance
        result = tuple(found.items())
        if len(self._cache) < 100_000:  # the words residents use repeat; bounded so it cannot grow forever
            self._cache[word] = result
        return result


@dataclass(frozen=True)
class _Hit:
    start: int  # index of the first word
    end: int  # index after the last word
    name: Tuple[str, ...]
    cost: int


class StreetIndex:
    """Every street by its name's tokens, for :meth:`recognise`."""

    def __init__(self, streets: Sequence[Street]) -> None:
        self.streets = list(streets)
        self._by_name: Dict[Tuple[str, ...], List[Street]] = defaultdict(list)
        for street in self.streets:
            tokens = name_tokens(street.name)
            if tokens:
                self._by_name[tokens].append(street)
        self._by_first: Dict[str, List[Tuple[str, ...]]] = defaultdict(list)
        for tokens in self._by_name:
            self._by_first[tokens[0]].append(tokens)
        vocabulary = {w for street in self.streets for w, _, _ in words(street.name)}
        vocabulary |= set(CANONICAL)
        self._words = WordIndex(vocabulary)
        # A name written as one word ("stationroad"), and the gazetteer's words a
        # resident splits in two ("kings way" for Kingsway): matched exactly, one edit each.
        self._joined: Dict[str, Tuple[str, ...]] = {}
        for street in self.streets:
            plain = [w for w, _, _ in words(street.name)]
            if len(plain) > 1:
                self._joined.setdefault("".join(plain), name_tokens(street.name))
        self._districts = {d for street in self.streets for d in street.districts}
        self._by_postcode: Dict[str, List[Street]] = defaultdict(list)
        for street in self.streets:
            for postcode in street.postcodes:
                self._by_postcode[postcode].append(street)

    # -- reading a message ---------------------------------------------------------
    def _tokens_at(self, word: str) -> Dict[str, int]:
        """The name tokens a message word may stand for, each with its cost in edits."""
        found: Dict[str, int] = {}
        for candidate, cost in self._words.lookup(word):
            token = canonical(candidate)
            if token not in found or cost < found[token]:
                found[token] = cost
        return found

    def _hits(self, message_words: Sequence[Tuple[str, int, int]]) -> List[_Hit]:
        options = [self._tokens_at(w) for w, _, _ in message_words]
        # Two message words that are one gazetteer word when joined ("north gate").
        pairs: List[Dict[str, int]] = []
        for (a, _, _), (b, _, _) in zip(message_words, message_words[1:]):
            joined = a + b
            pairs.append({canonical(joined): 1} if joined in self._words.vocabulary and not joined.isdigit() else {})
        hits: List[_Hit] = []

        def walk(name: Tuple[str, ...], k: int, position: int, cost: int, start: int) -> None:
            if k == len(name):
                hits.append(_Hit(start, position, name, cost))
                return
            if position < len(options) and name[k] in options[position]:
                walk(name, k + 1, position + 1, cost + options[position][name[k]], start)
            if position < len(pairs) and name[k] in pairs[position]:
                walk(name, k + 1, position + 2, cost + 1, start)

        for i in range(len(options)):
            firsts = dict(options[i])
            if i < len(pairs):
                for token, cost in pairs[i].items():
                    firsts.setdefault(token, cost)
            for token in firsts:
                for name in self._by_first.get(token, ()):
                    walk(name, 0, i, 0, i)
            joined_name = self._joined.get(message_words[i][0])
            if joined_name is not None:
                hits.append(_Hit(i, i + 1, joined_name, 1))
        return hits

    def recognise(self, text: str) -> PlaceMatch:
        """The street(s) ``text`` names, with the house number and postcode it gives."""
        text = text or ""
        message_words = words(text)
        postcode = postcodes.find_postcode(text) or self._district_in(text)
        hits = [h for h in self._hits(message_words) if not self._misspelt_elsewhere(h, message_words, postcode)]
        if not hits:
            return PlaceMatch(text=text, postcode=postcode)
        # Exact before misspelt, then the earliest, then the longest ("Mill Lane East" over "Mill Lane").
        best = min(hits, key=lambda h: (h.cost > 0, h.start, -(h.end - h.start), h.cost))
        start, end = message_words[best.start][1], message_words[best.end - 1][2]
        streets = self._narrow(self._by_name[best.name], text, message_words, postcode)
        house = _house_number(text[:start])
        return PlaceMatch(text=text, streets=tuple(streets), span=(start, end), house=house, postcode=postcode,
                          shared_name=len(self._by_name[best.name]) > 1)

    def _misspelt_elsewhere(self, hit: _Hit, message_words: Sequence[Tuple[str, int, int]],
                            postcode: Optional[str]) -> bool:
        """True when a misspelt match is more likely a street the gazetteer lacks than a slip.

        "138 Kingsley Terrace" is not Kingsway misspelt: a street-type word follows the
        match that the name does not have. Nor is a misspelt name the street meant when
        the message's postcode or district is not one of the street's. An exact match
        stands either way (the gazetteer may be behind, or the postcode mistyped).
        """
        if hit.cost == 0:
            return False
        if hit.end < len(message_words) and canonical(message_words[hit.end][0]) in TYPE_TOKENS:
            return True
        return bool(postcode) and not _with_postcode(self._by_name[hit.name], postcode)

    def _district_in(self, text: str) -> Optional[str]:
        for match in _OUTWARD.finditer(text):
            district = match.group(1).upper()
            if district in self._districts:
                return district
        return None

    def _narrow(
        self, streets: List[Street], text: str, message_words: Sequence[Tuple[str, int, int]], postcode: Optional[str]
    ) -> List[Street]:
        """Of streets sharing a name, those the message's postcode or locality points to (all if none does)."""
        if len(streets) < 2:
            return list(streets)
        if postcode:
            by_postcode = _with_postcode(streets, postcode)
            if by_postcode:
                streets = by_postcode
        if len(streets) > 1:
            by_place = in_named_place(streets, [w for w, _, _ in message_words])
            if by_place:
                streets = by_place
        return streets

    # -- answers and lookups -------------------------------------------------------
    def choose(self, streets: Sequence[Street], answer: str) -> Optional[Street]:
        """Which of ``streets`` an answer picks: a locality, a postcode or district, or its number."""
        answer_words = [w for w, _, _ in words(answer)]
        if len(answer_words) == 1 and answer_words[0].isdigit():
            index = int(answer_words[0]) - 1
            return streets[index] if 0 <= index < len(streets) else None
        for word in answer_words:
            if word in _ORDINALS and _ORDINALS[word] < len(streets) and len(answer_words) <= 4:
                return streets[_ORDINALS[word]]
        postcode = postcodes.find_postcode(answer) or self._district_in(answer)
        if postcode:
            picked = _with_postcode(streets, postcode)
            if len(picked) == 1:
                return picked[0]
        picked = in_named_place(streets, answer_words)
        return picked[0] if len(picked) == 1 else None

    def streets_for_postcode(self, postcode: str) -> List[Street]:
        """Streets with a full postcode, a sector ("AN1 4") or a district ("AN1")."""
        wanted = " ".join(postcode.upper().split())
        if wanted in self._by_postcode:
            return list(self._by_postcode[wanted])
        return _with_postcode(self.streets, wanted)


def _with_postcode(streets: Sequence[Street], postcode: str) -> List[Street]:
    """Streets with this full postcode, else in its sector, else in its district."""
    postcode = postcode.upper()
    outward, _, inward = postcode.partition(" ")
    exact = [s for s in streets if postcode in s.postcodes]
    if exact or not inward:
        return exact or [s for s in streets if outward in s.districts]
    sector = f"{outward} {inward[:1]}"
    return [s for s in streets if any(p.startswith(sector) for p in s.postcodes)] or [
        s for s in streets if outward in s.districts
    ]


def in_named_place(streets: Sequence[Street], message: Sequence[str]) -> List[Street]:
    """Streets whose locality (else town) the words name; none when the words name none of them."""
    said = set(message)
    for field in ("locality", "town"):
        named: Dict[str, bool] = {}
        for street in streets:
            place = getattr(street, field)
            if place not in named:
                named[place] = _names(message, said, name_tokens(place))
        picked = [s for s in streets if named[getattr(s, field)]]
        if picked and (field == "locality" or len(picked) < len(streets)):
            return picked
    return []


def _same_word(word: str, token: str) -> bool:
    """``word`` is ``token`` or ``token`` misspelt (keeping its first letter, as nearly every slip does)."""
    if word == token:
        return True
    if word in _NOT_CORRECTED or word[:1] != token[:1]:
        return False
    limit = allowed_edits(word, token)
    return limit > 0 and edit_distance(word, token, limit) <= limit


def _names(message: Sequence[str], said: Set[str], place: Tuple[str, ...]) -> bool:
    """True when the words say ``place`` (allowing a misspelling per word)."""
    if not place:
        return False
    if len(place) == 1 and place[0] in said:
        return True
    for i in range(len(message) - len(place) + 1):
        if all(_same_word(message[i + k], token) for k, token in enumerate(place)):
            return True
    return False


def _house_number(before: str) -> Optional[str]:
    """ "14", "14a", "Flat 2, 14" from the words just before a street's name."""
    match = _HOUSE.search(before)
    if not match:
        return None
    number = re.sub(r"\s+", "", match.group("number")).lower()
    flat = match.group("flat")
    if flat:
        kind, digits = re.match(r"([a-z]+)\.?\s*(.+)", flat, re.IGNORECASE).groups()  # type: ignore[union-attr]
        return f"{kind.capitalize()} {digits}, {number}"
    return number

"""Which of the council's languages a resident's message is written in.

A real language-identification model (lingua-language-detector: character
n-gram models of Welsh and English shipped inside the package, loaded for
those two only, in Rust) does the work, with two things around it that short
council messages need (measured in docs/languages.md):

* Names are not evidence. Street and place names ("Heol y Felin", "Mill
  Lane", "Caerdydd"), postcodes, references, numbers and e-mail addresses are
  masked first, so "pothole on Ffordd Pengam" is English and "mae twll ar Mill
  Lane" is Welsh.
* One- and two-word answers ("ie", "diolch", "yes", "ok") are too short for
  any n-gram model: a small list of each language's short replies decides
  them, and anything else that short decides nothing.

The answer is a language with a confidence, or None when the message is not
evidence either way ("12", "do", "Ford Fiesta"); the conversation's language
then stays as it is (bot/language/conversation.py). Welsh and English mixed in
one message is decided by the model over the whole (masked) message: mostly
Welsh with an English loanword is Welsh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import FrozenSet, Optional, Sequence

# How sure the model must be before a message counts as evidence of a language.
# At 0.7 no message of our samples was given the wrong language
# (tests/bot/language/samples.yml; docs/languages.md).
MIN_CONFIDENCE = 0.7
# Fewer letters than this (after masking) decide nothing, unless a short reply below.
MIN_LETTERS = 6

# What residents reply in one or two words, by language. Only words that are
# not also the other language's ("do", "na", "helo" are English words or
# spellings as well, so they are not here).
SHORT_REPLIES = {
    "cy": frozenset({
        "ie", "iawn", "ia", "diolch", "diolch yn fawr", "diolch yn fawr iawn", "naddo", "nac oes", "oes",
        "ydw", "nac ydw", "ydy", "nac ydy", "ydi", "dim diolch", "ie plis", "ia plis", "ie os gwelwch yn dda",
        "bore da", "prynhawn da", "noswaith dda", "nos da", "shwmae", "sut mae", "hwyl", "hwyl fawr",
        "gallwch", "na allwch", "cewch", "na chewch", "yndw", "yndi", "wrth gwrs", "dim", "dwi ddim yn siwr",
        "dwn i ddim", "sai'n gwybod", "heddiw", "ddoe", "neithiwr", "echdoe", "wythnos diwethaf",
    }),
    "en": frozenset({
        # Not "ok", "hi", "hello", "thanks", "sure", "cheers": Welsh speakers write them too (and
        # the web chat widget opens every conversation with a hidden "hello").
        "yes", "no", "thank you", "thankyou", "yep", "yeah", "nope", "no thanks",
        "yes please", "no thank you", "good morning", "good afternoon", "goodbye", "not sure", "today",
        "yesterday", "last night", "last week",
    }),
}

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})
_MASKS = [
    re.compile(r"\S+@\S+|https?://\S+"),                                   # e-mail, links
    re.compile(r"\b[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\b"),           # postcodes
    re.compile(r"\b[A-Za-z0-9]{4}-[A-Za-z0-9]{4}\b"),                        # case references
    # Names: a run of capitalised words, with Welsh and English connectors inside
    # ("Heol y Felin", "Stryd y Castell", "Maes-y-Coed", "Church Street").
    re.compile(r"(?<![\w'])[A-ZÂÊÎÔÛŴŶ][\w'-]*(?:\s+(?:(?:y|yr|'r|a|of|the|de|la)\s+)?[A-ZÂÊÎÔÛŴŶ][\w'-]*)*"),
    # A street written in lower case with the Welsh article: "heol y felin", "lon yr eglwys".
    re.compile(r"\b(?:heol|ffordd|stryd|l[oô]n|cilgant|maes|rhodfa|teras|clos|llwyn|parc|cae|bryn)\s+(?:y|yr)\s+\w+",
               re.IGNORECASE),
    re.compile(r"\d+\w*"),                                                   # numbers, "3am", "12a"
]
_NOT_LETTERS = re.compile(r"[^\w'\s-]+|_")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Guess:
    """A language and how sure the step is of it (0..1)."""

    language: str
    confidence: float
    # Words in the message once names, numbers and postcodes are masked (what a switch is counted on).
    words: int = 0


def _normalised(text: str) -> str:
    """Lower case, plain apostrophes, no punctuation, single spaces (for the short replies)."""
    plain = _NOT_LETTERS.sub(" ", text.translate(_APOSTROPHES).lower())
    return _SPACES.sub(" ", plain).strip(" '-")


def masked(text: str) -> str:
    """``text`` without names, postcodes, references, numbers, addresses: what is evidence of a language."""
    text = text.translate(_APOSTROPHES)
    first, rest = _SPACES.split(text.strip(), 1) if _SPACES.search(text.strip()) else (text.strip(), "")
    # A capital at the start of the message is a sentence's, not a name's: keep the first word.
    for pattern in _MASKS:
        rest = pattern.sub(" ", rest)
    for pattern in (_MASKS[0], _MASKS[1], _MASKS[2], _MASKS[5]):
        first = pattern.sub(" ", first)
    return _SPACES.sub(" ", f"{first} {rest}").strip()


@lru_cache(maxsize=4)
def _detector(languages: FrozenSet[str]):  # type: ignore[no-untyped-def]
    """lingua's detector for ``languages`` only (built once per set: for Welsh and English about
    0.7 s of CPU and 86 MB, measured; its n-gram models are loaded at once, not per message)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    wanted = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in sorted(languages)]
    return LanguageDetectorBuilder.from_languages(*wanted).with_preloaded_language_models().build()


class Identifier:
    """Identifies which of ``languages`` a message is in (at least two; the council's COUNCIL_LANGUAGES)."""

    def __init__(self, languages: Sequence[str]) -> None:
        if len(set(languages)) < 2:
            raise ValueError("language identification needs two or more languages to choose from")
        self.languages = frozenset(languages)
        self._model = _detector(self.languages)

    def identify(self, text: str) -> Optional[Guess]:
        """The language ``text`` is written in, or None when it is no evidence either way."""
        if not text:
            return None
        short = _normalised(text)
        for language in self.languages & SHORT_REPLIES.keys():
            if short in SHORT_REPLIES[language]:
                return Guess(language, 1.0, len(short.split()))
        words = masked(text)
        if sum(ch.isalpha() for ch in words) < MIN_LETTERS or len(words.split()) < 2:
            return None
        best = self._model.compute_language_confidence_values(words)[0]
        code = best.language.iso_code_639_1.name.lower()
        if best.value < MIN_CONFIDENCE or code not in self.languages:
            return None
        return Guess(code, round(best.value, 3), len(words.split()))

"""A conversation's language, turn by turn: the resident's choice first, then what they write.

* "Cymraeg", "Welsh", "English", "Saesneg" (alone, or "in Welsh", "yn
  Gymraeg", "English please", ...), the web chat's language toggle and the
  SMS keywords are a *choice*: the conversation is in that language from then
  on, whatever the resident writes.
* Until a choice, each message the identification step is sure of
  (bot/language/identify.py) sets the language; a message it is not sure of
  ("ok", "12", a street name) leaves it as it is.

Pure functions of the text and the conversation's state: the Rasa server's
hook (bot/language/rasa_hook.py) keeps the state in the tracker's slots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from bot.language.identify import Identifier

# Slots in domain.yml (influence_conversation: false: they choose words, not what the bot does).
LANGUAGE_SLOT = "language"
CHOSEN_SLOT = "language_chosen"
# The intent a choice is read as (domain.yml; data/rules/language.yml answers it).
CHOOSE_INTENT = "choose_language"

# Each language's names, in both languages, and what residents put around them.
_NAMES = {
    "cy": ("cymraeg", "gymraeg", "welsh", "cym"),
    "en": ("english", "saesneg", "eng"),
}
_AROUND = (r"(?:(?:in|yn|iaith|language|please|plis|plz|os gwelwch yn dda|diolch|switch to|change to|newid i|"
           r"i|to|speak|siarad|can we|could we|ga i|gaf i|i'd like|hoffwn i|would like)\s+)*")
_AFTER = r"(?:\s+(?:please|plis|plz|os gwelwch yn dda|diolch|language|iaith|only|yn unig))*"


def _choice_pattern(names: Sequence[str]) -> "re.Pattern[str]":
    return re.compile(r"^\W*" + _AROUND + r"(?:" + "|".join(names) + r")" + _AFTER + r"\W*$", re.IGNORECASE)


_CHOICES = {language: _choice_pattern(names) for language, names in _NAMES.items()}


def chosen_language(text: str, languages: Sequence[str]) -> Optional[str]:
    """The language ``text`` asks for ("Cymraeg", "in English please"), if it is one the council serves."""
    plain = (text or "").replace("’", "'").strip()
    if not plain or len(plain) > 60:
        return None
    for language in languages:
        pattern = _CHOICES.get(language)
        if pattern is not None and pattern.match(plain):
            return language
    return None


@dataclass(frozen=True)
class Decision:
    """The conversation's language after a message, and whether the resident chose it."""

    language: str
    chosen: bool
    choice: bool  # this message was itself a choice


def decide(
    text: str,
    current: Optional[str],
    chosen_before: bool,
    languages: Sequence[str],
    identifier: Optional[Identifier],
    requested: Optional[str] = None,
) -> Decision:
    """The language after ``text``: an explicit choice (``requested``, or the words), else the
    earlier choice, else what ``text`` is written in when the identifier is sure, else ``current``."""
    current = current if current in languages else languages[0]
    choice = requested if requested in languages else chosen_language(text, languages)
    if choice:
        return Decision(choice, True, True)
    if chosen_before or identifier is None:
        return Decision(current, chosen_before, False)
    guess = identifier.identify(text)
    return Decision(guess.language if guess else current, False, False)

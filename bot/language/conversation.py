"""A conversation's language, turn by turn: the resident's choice first, then what they write.

* "Cymraeg", "Welsh", "English", "Saesneg" (alone, or "in Welsh", "yn
  Gymraeg", "English please", ...), the web chat's language toggle and the
  SMS keywords are a *choice*: the conversation is in that language from then
  on, whatever the resident writes.
* Until a choice, each message the identification step is sure of
  (bot/language/identify.py) sets the language; a message it is not sure of
  ("ok", "12", a street name) leaves it as it is.
* Once the resident has written in the conversation's language, a short
  message in the other ("yes", "thank you", "talk to a person" in a Welsh
  conversation; "diolch" in an English one) does not change it: bilingual
  residents mix the two, and a reply in the other language mid-report is
  jarring. A message of ``SWITCH_MIN_WORDS`` words or more does, and so does a
  choice.

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
# True once a message the identification step was sure of was in the conversation's language.
CONFIRMED_SLOT = "language_confirmed"
# The intent a choice is read as (domain.yml; data/rules/language.yml answers it).
CHOOSE_INTENT = "choose_language"
# The intent a choice of a language the council does not serve is read as ("Cymraeg" to an
# English-only council): the bot says which language it works in, instead of "I didn't understand".
UNSERVED_INTENT = "unserved_language"
# Words (names, numbers and postcodes aside) a message in the other language needs to
# change a language the resident has already written in.
SWITCH_MIN_WORDS = 6

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


def unserved_language(text: str, languages: Sequence[str]) -> Optional[str]:
    """The language ``text`` asks for when it is one we know but the council does not serve."""
    asked = chosen_language(text, tuple(_NAMES))
    return asked if asked is not None and asked not in languages else None


@dataclass(frozen=True)
class Decision:
    """The conversation's language after a message, and whether the resident chose it."""

    language: str
    chosen: bool
    choice: bool  # this message was itself a choice
    confirmed: bool = False  # the resident has written in ``language`` (it sticks: see above)


def decide(
    text: str,
    current: Optional[str],
    chosen_before: bool,
    languages: Sequence[str],
    identifier: Optional[Identifier],
    requested: Optional[str] = None,
    confirmed: bool = False,
) -> Decision:
    """The language after ``text``: an explicit choice (``requested``, or the words), else the
    earlier choice, else what ``text`` is written in when the identifier is sure (and, once
    the resident has written in ``current`` (``confirmed``), the message is long enough to
    change it), else ``current``."""
    if current not in languages:
        current, confirmed = languages[0], False
    choice = requested if requested in languages else chosen_language(text, languages)
    if choice:
        return Decision(choice, True, True, confirmed=True)
    if chosen_before or identifier is None:
        return Decision(current, chosen_before, False, confirmed)
    guess = identifier.identify(text)
    if guess is None:
        return Decision(current, False, False, confirmed)
    if guess.language == current:
        return Decision(current, False, False, confirmed=True)
    if confirmed and guess.words < SWITCH_MIN_WORDS:
        return Decision(current, False, False, confirmed)
    return Decision(guess.language, False, False, confirmed=True)

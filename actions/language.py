"""The conversation's language for what the actions say (the slot ``language``: bot/language).

The slot holds what the resident wrote or chose; a language the council does
not serve (COUNCIL_LANGUAGES changed since) falls back to the council's default,
so a text is never asked for in a language the catalogue may lack.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from actions import services


def of(tracker: Tracker) -> str:
    """The language to answer this conversation in."""
    languages = services.settings().council_languages
    value = tracker.get_slot("language") if "language" in tracker.slots else None
    return value if value in languages else languages[0]

"""Claims for damage or injury: a report gets a problem fixed; a claim is made elsewhere.

A resident whose tyre a pothole burst, or whose mother tripped on a broken slab,
is told after the report (or after following a report someone made already)
where to claim from the council. Read from the report's description
(bot/answers.mentions_damage_or_injury); the report itself is not a claim.
"""

from __future__ import annotations

from typing import Optional

from rasa_sdk.executor import CollectingDispatcher

from actions import services
from bot import answers, messages


# Reports whose damage is not the resident's: an abandoned car with its tyres slashed.
NOT_THEIRS = frozenset({"abandoned_vehicle"})


def tell_how_to_claim(dispatcher: CollectingDispatcher, description: Optional[str], language: str,
                      category: Optional[str]) -> None:
    """Say where to claim when the description says the problem damaged or hurt something."""
    if category not in NOT_THEIRS and answers.mentions_damage_or_injury(description or ""):
        dispatcher.utter_message(text=messages.text(
            "report.damage_claim", language, council_website=services.settings().council_website))

"""Complaints told inside a report: the report gets the problem fixed; a complaint is made elsewhere.

"This is a complaint. My street light has been out for 3 months" is read as a
street light report, and the form takes it. After the reference the resident
is told where to complain, and that a person is there if they want one: what
they asked for is not silently dropped. So is a resident who follows a report
someone made already (actions/duplicates.py). (A message that is only a complaint,
"the bin crew were rude", goes to a person at once: actions/escalation.py.)
"""

from __future__ import annotations

from typing import Optional

from rasa_sdk.executor import CollectingDispatcher

from actions import services
from bot import answers, messages


def tell_how_to_complain(dispatcher: CollectingDispatcher, description: Optional[str], language: str) -> None:
    """Say where to complain when the report's description says the resident wants to."""
    if answers.mentions_complaint(description or ""):
        dispatcher.utter_message(text=messages.text(
            "report.complaint_route", language, council_website=services.settings().council_website))

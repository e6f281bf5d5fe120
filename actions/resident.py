"""What we know about the resident beside what they typed."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from actions import services


# What the contact_phone slot holds for an SMS resident who did not type a
# number: the number they are texting from, looked up when the case is made,
# so the tracker never holds it (it also reads well in the report's read-back).
THIS_NUMBER = "this number"


def contact_phone(tracker: Tracker, value: Optional[str]) -> Optional[str]:
    """The number a contact_phone slot value stands for (THIS_NUMBER: the SMS number)."""
    return known_phone(tracker) if value == THIS_NUMBER else value


def known_phone(tracker: Tracker) -> Optional[str]:
    """The resident's number when they are texting us, else None.

    Looked up by the pseudonymous conversation id (bot/storage/sms.py): the
    SMS channel keeps the number out of Rasa's tracker.
    """
    if not tracker.sender_id.startswith("sms-"):  # only the SMS channel issues these ids
        return None
    return services.sms_store().phone_for(tracker.sender_id)

"""What we know about the resident beside what they typed."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from actions import services


def known_phone(tracker: Tracker) -> Optional[str]:
    """The resident's number when they are texting us, else None.

    Looked up by the pseudonymous conversation id (bot/storage/sms.py): the
    SMS channel keeps the number out of Rasa's tracker.
    """
    if not tracker.sender_id.startswith("sms-"):  # only the SMS channel issues these ids
        return None
    return services.sms_store().phone_for(tracker.sender_id)

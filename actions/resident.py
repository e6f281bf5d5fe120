"""What the channel told us about the resident, read from the tracker."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker


def known_phone(tracker: Tracker) -> Optional[str]:
    """The resident's number when the channel tells us (SMS sets metadata["phone"]), else None."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            phone = (event.get("metadata") or {}).get("phone")
            if phone:
                return str(phone)
    return None

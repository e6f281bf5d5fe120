"""A link to add photos, sent with the reference of a new SMS report (issue 13).

Twilio carries no MMS in the UK, so an SMS resident cannot attach a photo to
their text: once the report has a reference they get a one-time link to an
upload page on the council website instead (bot/photo_links). Web chat
residents attach photos in the chat, so they get no link.
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services

logger = logging.getLogger(__name__)


def offer_link(dispatcher: CollectingDispatcher, tracker: Tracker, case_id: int) -> None:
    """Send ``utter_photo_link`` for the new case when the resident is texting us (and links are on)."""
    if tracker.get_latest_input_channel() != "sms":
        return
    links = services.photo_links()
    if not links.enabled:
        logger.info("No photo link offered: PHOTO_LINK_SECRET is not set")
        return
    url = links.issue(case_id)
    if url:
        dispatcher.utter_message(response="utter_photo_link", photo_link=url, photo_link_hours=links.hours)

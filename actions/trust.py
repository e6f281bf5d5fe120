"""What an action re-checks before it acts on what a tracker says.

The forms validate every answer, but an action call carries the whole
tracker (slots, channel, conversation id), and the action server is a network
service: whatever reaches ``action_finish_report`` or an escalation is
checked again here, so a forged or tampered call cannot create or deliver a
case with a place outside the council's area, someone else's photos, a
made-up contact, or another channel's conversation.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from pathlib import Path
from typing import Any, List, Optional

from bot import answers, postcodes
from bot.cases.model import NewCase
from bot.categories import BY_KEY
from bot.conversations import SMS_ID, belongs_to
from bot.settings import Settings

logger = logging.getLogger(__name__)

# Photo names as our two stores issue them: bot/web/uploads.py (web chat
# uploads) and bot/channels/sms_media.py (MMS); tests/actions/test_trust.py
# checks both stores' URLs pass.
WEB_UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|webp)$")
SMS_MEDIA_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.(?:jpg|png|gif|webp)$")
# Web chat takes 5 a message and MMS 10; a report gathers a few messages' worth.
MAX_PHOTOS = 20
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
# Rasa's own shell (`make shell`, local): its ids are free-form.
SHELL_CHANNEL = "cmdline"


class Untrusted(ValueError):
    """A value no conversation could have produced; ``reason`` is for the log (no personal data)."""

    def __init__(self, reason: str, postcode: Optional[str] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.postcode = postcode  # set when the place is outside the council's area


def conversation_problem(channel: Optional[str], conversation_id: str) -> Optional[str]:
    """Why this conversation id cannot be one ``channel`` issued (None: it can)."""
    if channel == SHELL_CHANNEL:
        return None if not SMS_ID.match(conversation_id) else "shell conversation with an SMS id"
    if not belongs_to(channel, conversation_id):
        return f"conversation id is not one the {channel or 'unknown'} channel issues"
    return None


def own_photo(url: Any, settings: Settings) -> Optional[Path]:
    """Where one of our own photo URLs is stored (it may have been removed since), or None."""
    if not isinstance(url, str):
        return None
    stores = [(f"{settings.web_public_url}/chat/uploads/", WEB_UPLOAD_NAME, settings.uploads_dir)]
    if settings.public_base_url:
        stores.append((f"{settings.public_base_url}/webhooks/sms/media/", SMS_MEDIA_NAME, settings.sms_media_dir))
    for prefix, name_shape, directory in stores:
        if url.startswith(prefix) and name_shape.match(url[len(prefix):]):
            return directory / url[len(prefix):]
    return None


def _check_text(name: str, value: Any, limit: int) -> None:
    if value is not None and not isinstance(value, (str, bool, int, float)):
        raise Untrusted(f"{name} is not a plain value")
    if isinstance(value, str) and len(value) > limit:
        raise Untrusted(f"{name} is longer than any message")


def _possible_phone(phone: Any, channel: Optional[str]) -> bool:
    """A UK number as the form reads them, or (SMS only: the number texting us) any E.164 number."""
    if not isinstance(phone, str):
        return False
    if answers.parse_uk_phone(phone) == phone:
        return True
    return channel == "sms" and bool(E164.match(phone))


def checked_case(case: NewCase, settings: Settings) -> NewCase:
    """``case`` as it may be created (photos since removed left out), or Untrusted."""
    category = BY_KEY.get(case.category)
    if category is None:
        raise Untrusted("unknown category")
    problem = conversation_problem(case.channel, case.conversation_id)
    if problem:
        raise Untrusted(problem)
    limit = settings.max_message_chars
    for name in ("location_text", "postcode", "latitude", "longitude", "description", "contact_phone",
                 "contact_email"):
        _check_text(name, getattr(case, name), limit)
    if not isinstance(case.details, dict):
        raise Untrusted("details are not a mapping")
    for name, value in case.details.items():
        _check_text(f"detail {str(name)[:40]}", value, limit)
    if not case.location_text:
        raise Untrusted("no location")
    # No postcode is possible: a resident who cannot give one may skip it (the way on).
    if case.postcode is not None:
        if not isinstance(case.postcode, str) or postcodes.find_postcode(case.postcode) != case.postcode:
            raise Untrusted("postcode missing or malformed")
        if not postcodes.in_area(case.postcode, settings.postcode_areas):
            raise Untrusted("postcode outside the council's area", postcode=case.postcode)
    if (case.latitude is None) != (case.longitude is None):
        raise Untrusted("half a position")
    if case.latitude is not None:
        try:
            latitude, longitude = float(str(case.latitude)), float(str(case.longitude))
        except ValueError:
            raise Untrusted("position is not numbers") from None
        if not (math.isfinite(latitude) and math.isfinite(longitude)
                and -90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise Untrusted("position out of range")
    if case.contact_phone is not None and not _possible_phone(case.contact_phone, case.channel):
        raise Untrusted("contact phone is not a number a resident could give")
    if case.contact_email is not None and answers.find_email(str(case.contact_email)) != case.contact_email:
        raise Untrusted("contact email is not an address")
    if (case.contact_phone or case.contact_email) and not case.contact_consent:
        raise Untrusted("contact details without consent")
    if not isinstance(case.media_urls, list) or len(case.media_urls) > MAX_PHOTOS:
        raise Untrusted("too many photos")
    kept: List[str] = []
    for url in case.media_urls:
        path = own_photo(url, settings)
        if path is None:
            raise Untrusted("photo URL that is not one of ours")
        if path.is_file():
            kept.append(url)
        else:
            # Ours, but gone (retention, or never stored): the case goes without it.
            logger.warning("A photo of conversation %s is no longer stored; left out of the case",
                           case.conversation_id[:12])
    return dataclasses.replace(case, media_urls=kept)

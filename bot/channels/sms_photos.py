"""By SMS, "I've got a photo" gets a one-time upload link, not the NLU (issue 13).

Twilio carries no MMS in the UK. A resident who texts that they have a photo
(bot/photo_links/asking.py: short messages about sending a photo and nothing
else) is answered by the channel itself, like HELP: a new link for their
latest report that is still open, or, before they have one, a promise of a
link once it is made. MMS photos, where the carrier delivers them, still go
into the conversation as before (bot/channels/sms.py).
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy.engine import Engine

from bot import messages
from bot.cases.model import CLOSED, Case
from bot.photo_links.asking import asks_to_send_photo
from bot.photo_links.service import PhotoLinks
from bot.settings import Settings
from bot.storage.cases import CaseStore


class SmsPhotoLinks:
    """Answers a resident asking to send a photo (call from a thread: it uses the database)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.cases = CaseStore(engine)
        self.links = PhotoLinks(engine, settings)
        self.settings = settings

    @staticmethod
    def wanted(body: str, media_count: int) -> bool:
        """The message asks how to send a photo (and brings none: an MMS goes to the conversation)."""
        return media_count == 0 and asks_to_send_photo(body)

    def reply(self, conversation_id: str, language: str = messages.DEFAULT_LANGUAGE) -> str:
        """The answer, in ``language`` (the conversation's, as the channel knows it)."""
        if not self.links.enabled:
            return messages.text("photo_link.unavailable", language, council_phone=self.settings.council_phone)
        case = self._latest_open_case(conversation_id)
        if case is None:
            return messages.text("photo_link.no_report", language)
        url = self.links.issue(case.id)
        if url is None:
            return messages.text("photo_link.too_many_links", language)
        return messages.text("photo_link.link", language, reference=case.reference, hours=self.links.hours, link=url)

    def _latest_open_case(self, conversation_id: str) -> Optional[Case]:
        open_cases = [c for c in self.cases.for_conversation(conversation_id) if c.status != CLOSED]
        return open_cases[-1] if open_cases else None

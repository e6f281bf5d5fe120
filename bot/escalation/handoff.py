"""Speaking on a resident's own channel, and pausing/resuming the bot, via Rasa's HTTP API.

Staff replies are appended to the conversation's tracker as ``BotUttered``
events with ``execute_side_effects=true&output_channel=latest``: Rasa records
them and sends them through the output channel of the channel the resident
last used (SMS through the Twilio API, web chat through its socket). The REST
channel has no push: its replies are recorded in the tracker only, and a
REST client sees them by reading the tracker (GET /conversations/{id}/tracker).
The HTTP calls are bot/rasa_api.py's, which the delivery worker uses too.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from bot import messages
from bot.rasa_api import RasaApi, RasaApiError

MAX_REPLY_CHARS = 1600  # ten SMS segments; longer replies belong in an email or letter

# What the resident is told when staff end their part (bot/messages/catalogue.yml, handoff.*).
# Closing is staff speaking (labelled with the team's name); the hand-back notice is the assistant's.
def closing_message(language: str = messages.DEFAULT_LANGUAGE) -> str:
    """Staff's closing words when they type none, in the conversation's language."""
    return messages.text("handoff.closing", language)


def handed_back_notice(language: str = messages.DEFAULT_LANGUAGE) -> str:
    """The assistant's notice that it is back, in the conversation's language."""
    return messages.text("handoff.handed_back", language)


class HandoffError(RuntimeError):
    """Rasa did not accept the events; the message says why (shown to staff, no secrets)."""


def staff_reply_event(text: str, staff_id: int, staff_name: str) -> Dict[str, Any]:
    return {
        "event": "bot",
        "text": text,
        "timestamp": time.time(),
        "metadata": {"from_staff": True, "staff_id": staff_id, "staff_name": staff_name},
    }


def resume_events() -> List[Dict[str, Any]]:
    # action_listen after resuming puts the tracker where rules expect it:
    # the next resident message follows a "listen", as in any other turn.
    now = time.time()
    return [{"event": "resume", "timestamp": now}, {"event": "action", "name": "action_listen", "timestamp": now}]


class RasaConversations:
    """Rasa's conversation API (``--enable-api``), authenticated with RASA_API_TOKEN."""

    def __init__(self, rasa_url: str, token: Optional[str], timeout: float = 30.0) -> None:
        self.api = RasaApi(rasa_url, token, timeout)

    async def append(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        """Record events and carry out their side effects (sending messages) on the resident's channel."""
        try:
            await self.api.append(conversation_id, events)
        except RasaApiError as error:
            raise HandoffError(str(error)) from None

    async def reply(self, conversation_id: str, text: str, staff_id: int, staff_name: str) -> None:
        await self.append(conversation_id, [staff_reply_event(text, staff_id, staff_name)])

    async def hand_back(self, conversation_id: str, message: Optional[str] = None,
                        staff_id: int = 0, staff_name: str = "", notice: Optional[str] = None) -> None:
        """Staff's last word (if any), then ``notice`` from the assistant (if any), then the bot resumes."""
        events = [staff_reply_event(message, staff_id, staff_name)] if message else []
        if notice:
            events.append({"event": "bot", "text": notice, "timestamp": time.time()})
        await self.append(conversation_id, events + resume_events())

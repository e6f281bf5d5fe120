"""The language step in the Rasa server: each user message may set the conversation's language.

Installed by bot/rasa_server.py for every council.
``MessageProcessor._handle_message_with_tracker`` (where Rasa logs the user's
message, after ``action_session_start`` and before any action is predicted) is
wrapped so that:

* a choice of a language the council does not serve ("Cymraeg" to an
  English-only council) is read as the intent ``unserved_language``: the bot
  says which language it works in rather than "I didn't understand". For a
  council that serves one language, this is all the step does;
* a choice ("Cymraeg", "English", the widget's toggle: metadata
  ``{"language": "cy"}``) is read as the intent ``choose_language`` without
  running NLU on it, and sets the slots ``language`` and ``language_chosen``;
* any other message sets ``language`` when the identification step is sure
  of it and the resident has not chosen, and ``language_confirmed`` once the
  resident has written in it (bot/language/conversation.py).

The slots are set in-process, in the same turn, so the responses Rasa picks
by their ``language`` condition (domain.yml) and the actions that read the
slot already see the new language; no extra call to the action server (the
step costs about 0.1 ms a message: docs/languages.md).
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Awaitable, Callable, Dict, Optional, Sequence

from bot.language import current
from bot.language.conversation import (
    CHOOSE_INTENT,
    CHOSEN_SLOT,
    CONFIRMED_SLOT,
    LANGUAGE_SLOT,
    UNSERVED_INTENT,
    decide,
    unserved_language,
)
from bot.language.identify import Identifier

# Message metadata a channel may set for an explicit choice (the web chat's toggle).
METADATA_KEY = "language"


def choice_parse(text: str, language: str, intent_name: str = CHOOSE_INTENT) -> Dict[str, Any]:
    """Rasa's parse data for a language choice (what NLU would return, certain)."""
    intent = {"name": intent_name, "confidence": 1.0}
    return {"text": text, "intent": intent, "entities": [], "intent_ranking": [intent],
            "language_choice": language}


def requested_language(metadata: Optional[Dict[str, Any]], languages: Sequence[str]) -> Optional[str]:
    """The language a channel's metadata asks for (the widget's toggle), if the council serves it."""
    value = (metadata or {}).get(METADATA_KEY)
    return value if isinstance(value, str) and value in languages else None


def wrap(handle: Callable[..., Awaitable[None]], languages: Sequence[str],
         identifier: Optional[Identifier] = None) -> Callable[..., Awaitable[None]]:
    """``handle`` (Rasa's ``_handle_message_with_tracker``) with the language step around it."""
    from rasa.shared.core.events import SlotSet

    several = len(set(languages)) > 1
    identifier = identifier or (Identifier(languages) if several else None)

    @wraps(handle)
    async def with_language(self: Any, message: Any, tracker: Any) -> None:
        unserved = None if message.parse_data else unserved_language(message.text or "", languages)
        if unserved:
            message.parse_data = choice_parse(message.text or "", unserved, UNSERVED_INTENT)
        if unserved or not several:
            await handle(self, message, tracker)
            return
        chosen_before = bool(tracker.get_slot(CHOSEN_SLOT))
        confirmed_before = bool(tracker.get_slot(CONFIRMED_SLOT))
        decision = decide(message.text or "", tracker.get_slot(LANGUAGE_SLOT), chosen_before, languages,
                          identifier, requested_language(message.metadata, languages), confirmed_before)
        if decision.choice and not message.parse_data:
            message.parse_data = choice_parse(message.text or "", decision.language)
        await handle(self, message, tracker)
        if tracker.get_slot(LANGUAGE_SLOT) != decision.language:
            tracker.update(SlotSet(LANGUAGE_SLOT, decision.language), self.domain)
        if decision.chosen and not chosen_before:
            tracker.update(SlotSet(CHOSEN_SLOT, True), self.domain)
        if decision.confirmed != confirmed_before:
            tracker.update(SlotSet(CONFIRMED_SLOT, decision.confirmed), self.domain)
        current.remember(tracker.sender_id, decision.language)

    with_language.language_step = True  # type: ignore[attr-defined]
    return with_language


def install(languages: Sequence[str]) -> None:
    """Wrap Rasa's message processor (idempotent)."""
    from rasa.core.processor import MessageProcessor

    handle = MessageProcessor._handle_message_with_tracker
    if not getattr(handle, "language_step", False):
        MessageProcessor._handle_message_with_tracker = wrap(handle, languages)  # type: ignore[assignment]

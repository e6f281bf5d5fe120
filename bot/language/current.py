"""The language each conversation is in now, as the language step last decided it.

The language step (bot/language/rasa_hook.py) notes it every turn; the web
chat's output channel (bot/channels/web.py) reads it to mark each reply with
its language (the widget's ``lang`` attributes, for screen readers), and the
SMS channel to word keyword replies and staff replies in it. In one process
(``make run``) an in-process map is enough; with REDIS_URL (several Rasa
replicas) it is kept in Redis (bot/shared_state.py), so a staff reply
reaching another replica than the one that took the resident's last turn is
still worded in the conversation's language. A conversation not known
(never seen, or forgotten) gets None: callers fall back to the council's
default. Bounded in memory (the oldest forgotten first); in Redis each value
expires after the conversation retention period.
"""

from __future__ import annotations

from threading import Lock
from typing import Optional

from bot.settings import load_settings
from bot.shared_state import KeyValues, shared_state

MAX_CONVERSATIONS = 50_000

_values: Optional[KeyValues] = None
_lock = Lock()


def _store() -> KeyValues:
    global _values
    with _lock:
        if _values is None:
            settings = load_settings()
            _values = shared_state(settings).key_values(
                "language", MAX_CONVERSATIONS, settings.retention_conversation_days * 86400)
        return _values


def remember(conversation_id: str, language: str) -> None:
    _store().set(conversation_id, language)


def latest(conversation_id: str) -> Optional[str]:
    return _store().get(conversation_id)

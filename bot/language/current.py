"""The language each conversation is in now, as this Rasa server last decided it.

The language step (bot/language/rasa_hook.py) notes it every turn; the web
chat's output channel (bot/channels/web.py) reads it to mark each reply with
its language (the widget's ``lang`` attributes, for screen readers). Replies to
a message are sent by the process that handled it, so an in-process map is
enough; a conversation this process has not seen yet (a staff reply through
another replica) is simply not marked, and the widget keeps the panel's
language. Bounded: the oldest conversations are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Optional

MAX_CONVERSATIONS = 50_000

_latest: "OrderedDict[str, str]" = OrderedDict()
_lock = Lock()


def remember(conversation_id: str, language: str) -> None:
    with _lock:
        _latest[conversation_id] = language
        _latest.move_to_end(conversation_id)
        while len(_latest) > MAX_CONVERSATIONS:
            _latest.popitem(last=False)


def latest(conversation_id: str) -> Optional[str]:
    with _lock:
        return _latest.get(conversation_id)

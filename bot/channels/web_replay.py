"""Messages a web chat resident missed while their socket was away, for replay.

Every message the web channel emits to a conversation's room gets a ``seq``
that only ever increases for that conversation, and is kept here for a while.
A browser that comes back (signal regained, tab woken, page reloaded) sends
the last ``seq`` it displayed in ``session_request`` and is sent, on its own
socket, the kept messages after it (bot/channels/web.py).

``seq`` is drawn from one counter for the whole process that starts at the
clock's milliseconds and never goes back, rather than 1, 2, 3 per
conversation: the numbers then keep increasing for a browser across a
restart of the Rasa server and after a conversation was dropped from the
buffer, so a browser never mistakes a new message for one it has shown.

Kept in memory, per Rasa process, like socket.io's sessions and rooms.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, List, Optional

# Enough for several turns or a run of staff replies; a resident away for
# longer reloads the page and keeps what the widget stored.
MAX_MESSAGES_PER_CONVERSATION = 50
# More web chats than one Rasa process has active in an hour; at worst
# 50,000 small dicts (a few tens of MB). The least recently active go first.
MAX_CONVERSATIONS = 1000
# A phone out of signal or a sleeping tab is usually back within minutes, and
# the widget ends an idle chat after 30 minutes; older messages are dropped.
MAX_AGE_SECONDS = 3600.0
# The largest integer a browser holds exactly (Number.MAX_SAFE_INTEGER).
MAX_SEQ = 2**53 - 1


@dataclass(frozen=True)
class _Kept:
    seq: int
    at: float
    payload: Dict[str, Any]


def parse_last_seq(raw: Any) -> Optional[int]:
    """A browser's ``last_seq`` if it is a plausible one, else None (no replay)."""
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_SEQ:
        return None
    return raw


class ReplayBuffer:
    """Numbers a conversation's messages and keeps the latest ones (bounded, expiring)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        max_messages: int = MAX_MESSAGES_PER_CONVERSATION,
        max_conversations: int = MAX_CONVERSATIONS,
        max_age: float = MAX_AGE_SECONDS,
    ) -> None:
        self._clock = clock
        self._max_messages = max_messages
        self._max_conversations = max_conversations
        self._max_age = max_age
        self._last_seq = 0
        # Least recently active conversation first.
        self._conversations: "OrderedDict[str, Deque[_Kept]]" = OrderedDict()
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()

    def __len__(self) -> int:
        """How many conversations have messages kept."""
        return len(self._conversations)

    def lock(self, conversation_id: str) -> asyncio.Lock:
        """Hold while numbering and emitting, or joining and replaying, so a socket gets seqs in order.

        Exists only while someone holds or waits for it.
        """
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    def record(self, conversation_id: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        """The payload with the conversation's next ``seq``, kept for replay."""
        now = self._clock()
        self._last_seq = max(self._last_seq + 1, int(now * 1000))
        numbered = {**payload, "seq": self._last_seq}
        kept = self._conversations.pop(conversation_id, None) or deque(maxlen=self._max_messages)
        kept.append(_Kept(self._last_seq, now, numbered))
        self._conversations[conversation_id] = kept
        self._drop_old(now)
        return numbered

    def since(self, conversation_id: str, last_seq: int) -> List[Dict[str, Any]]:
        """The kept payloads of this conversation after ``last_seq``, oldest first."""
        oldest = self._clock() - self._max_age
        kept = self._conversations.get(conversation_id, ())
        return [m.payload for m in kept if m.seq > last_seq and m.at >= oldest]

    def _drop_old(self, now: float) -> None:
        while self._conversations:
            conversation_id, kept = next(iter(self._conversations.items()))
            if len(self._conversations) <= self._max_conversations and kept[-1].at >= now - self._max_age:
                return
            del self._conversations[conversation_id]

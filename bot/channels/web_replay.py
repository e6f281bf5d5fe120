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

Kept in memory by one Rasa process, or in Redis when REDIS_URL is set, so a
browser that comes back through another replica is replayed the same
messages, numbered by one counter (bot/shared_state.py).
"""

from __future__ import annotations

import time
from typing import Any, AsyncContextManager, Callable, Dict, List, Optional

from bot.shared_state import KeyedLocks, MemoryKeyedLocks, MemoryNumberedLog, NumberedLog, SharedState

# Enough for several turns or a run of staff replies; a resident away for
# longer reloads the page and keeps what the widget stored.
MAX_MESSAGES_PER_CONVERSATION = 50
# More web chats than one Rasa process has active in an hour; at worst
# 50,000 small dicts (a few tens of MB). The least recently active go first.
# (In Redis each conversation's list expires MAX_AGE_SECONDS after its last message.)
MAX_CONVERSATIONS = 1000
# A phone out of signal or a sleeping tab is usually back within minutes, and
# the widget ends an idle chat after 30 minutes; older messages are dropped.
MAX_AGE_SECONDS = 3600.0
# The largest integer a browser holds exactly (Number.MAX_SAFE_INTEGER).
MAX_SEQ = 2**53 - 1


def parse_last_seq(raw: Any) -> Optional[int]:
    """A browser's ``last_seq`` if it is a plausible one, else None (no replay)."""
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_SEQ:
        return None
    return raw


class ReplayBuffer:
    """Numbers a conversation's messages and keeps the latest ones (bounded, expiring).

    In memory by default; ``ReplayBuffer.shared(state)`` is the one every replica shares.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        max_messages: int = MAX_MESSAGES_PER_CONVERSATION,
        max_conversations: int = MAX_CONVERSATIONS,
        max_age: float = MAX_AGE_SECONDS,
        log: Optional[NumberedLog] = None,
        locks: Optional[KeyedLocks] = None,
    ) -> None:
        self._log = log or MemoryNumberedLog(max_messages, max_conversations, max_age, clock)
        self._locks = locks or MemoryKeyedLocks()

    @classmethod
    def shared(cls, state: SharedState) -> "ReplayBuffer":
        """In Redis with REDIS_URL (several Rasa replicas), else in this process's memory."""
        return cls(
            log=state.numbered_log("web-replay", MAX_MESSAGES_PER_CONVERSATION, MAX_CONVERSATIONS, MAX_AGE_SECONDS),
            locks=state.locks("web-replay"),
        )

    def __len__(self) -> int:
        """How many conversations have messages kept (memory only)."""
        return len(self._log)  # type: ignore[arg-type]

    def lock(self, conversation_id: str) -> AsyncContextManager[None]:
        """Hold while numbering and emitting, or joining and replaying, so a socket gets seqs in order
        (across replicas when shared)."""
        return self._locks.hold(conversation_id)

    async def record(self, conversation_id: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        """The payload with the conversation's next ``seq``, kept for replay."""
        return await self._log.append(conversation_id, payload)

    async def since(self, conversation_id: str, last_seq: int) -> List[Dict[str, Any]]:
        """The kept payloads of this conversation after ``last_seq``, oldest first."""
        return await self._log.since(conversation_id, last_seq)

"""Which channel a conversation id belongs to.

Every input channel writes into Rasa's one tracker store, keyed by
conversation id alone, so a channel that let its caller choose any id could
write into another channel's conversation (and, for SMS, have the bot text
that resident). Each channel's ids therefore have their own shape:

* SMS: ``sms-`` and 20 hex digits, issued by bot/storage/sms.py per phone number;
* web chat: 32 lowercase hex digits, issued by bot/channels/web.py;
* REST: what the caller names (letters, digits and ``_.:@-``, up to 64),
  never one of the shapes above.

The channels refuse ids of another channel's shape, and the actions check a
conversation's id against the channel it says it came from before they
create a case or queue it for staff.
"""

from __future__ import annotations

import re
from typing import Optional

SMS_CHANNEL, WEB_CHANNEL, REST_CHANNEL = "sms", "web", "rest"

SMS_ID = re.compile(r"^sms-[0-9a-f]{20}$")
WEB_ID = re.compile(r"^[0-9a-f]{32}$")
REST_SENDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$")
# Any id that looks like another channel's, in any case: refused on REST.
_RESERVED = re.compile(r"^(?:sms-|[0-9a-f]{32}$)", re.IGNORECASE)


def owner(conversation_id: str) -> Optional[str]:
    """The channel whose id shape this is ("sms", "web"), or None for a free-form id."""
    if SMS_ID.match(conversation_id):
        return SMS_CHANNEL
    if WEB_ID.match(conversation_id):
        return WEB_CHANNEL
    return None


def rest_sender_problem(sender: object) -> Optional[str]:
    """Why a REST caller may not use this sender id (None: it may)."""
    if not isinstance(sender, str) or not sender:
        return "sender is required: a string naming the conversation"
    if not REST_SENDER.match(sender):
        return "sender must be 1 to 64 letters, digits or _.:@- characters"
    if _RESERVED.match(sender):
        return "sender has the form of another channel's conversation id"
    return None


def belongs_to(channel: Optional[str], conversation_id: str) -> bool:
    """Whether ``conversation_id`` has the shape ``channel`` issues (False for a channel not ours)."""
    if channel == SMS_CHANNEL:
        return bool(SMS_ID.match(conversation_id))
    if channel == WEB_CHANNEL:
        return bool(WEB_ID.match(conversation_id))
    if channel == REST_CHANNEL:
        return rest_sender_problem(conversation_id) is None
    return False

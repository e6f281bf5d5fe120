"""A client's own id for its message, so a message sent twice is answered once.

Clients that may send a message again (a load balancer retrying a REST call,
the web chat widget re-sending after a reconnect) give each message an id of
their own. The channel checks it here and marks the message with
``CLIENT_MESSAGE_ID``; the Rasa server then answers an id the conversation
already has from the record instead of taking a second turn
(bot/rasa_retries.py). Kept apart from that module because it is light: the
website imports the web channel, and must not load Rasa's processor.
"""

from __future__ import annotations

import re
from typing import Any, Optional

# Metadata key the channels set on a message whose id the client chose.
CLIENT_MESSAGE_ID = "client_message_id"
# Enough for a UUID or a counter, nothing that needs escaping (\Z: not even a final newline, which $ lets by).
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}\Z")


def client_message_id(raw: Any) -> Optional[str]:
    """``raw`` if it is an acceptable client message id, else None (never raises)."""
    if isinstance(raw, str) and MESSAGE_ID.match(raw):
        return raw
    return None

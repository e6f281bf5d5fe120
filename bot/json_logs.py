"""Logs as JSON lines (LOG_FORMAT=json), each carrying the conversation it belongs to.

The channel guard (bot/channels/guard.py) and the action server set the
conversation id of the turn they work on in a context variable; asyncio
copies it into every task the turn starts, so each record logged meanwhile,
ours, Rasa's or Sanic's, gets ``"conversation_id"``. Conversation ids are
pseudonymous (bot/conversations.py), and are masked like the message
(bot/redaction.py), which the record already is when it is formatted: no
phone number or email address reaches a JSON line either.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, Optional

CONVERSATION_ID: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("conversation_id", default=None)
PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s - %(message)s"


def set_conversation(conversation_id: Optional[str]) -> contextvars.Token:
    """Mark what is logged from here on in this task (and tasks it starts) as this conversation's."""
    return CONVERSATION_ID.set(conversation_id or None)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, conversation_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        from bot.conversations import owner
        from bot.redaction import redact

        entry: Dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        conversation = getattr(record, "conversation_id", None) or CONVERSATION_ID.get()
        if conversation:
            # Ids we issue (SMS, web chat) are random; a REST caller's free-form one is masked like text.
            conversation = str(conversation)
            entry["conversation_id"] = conversation if owner(conversation) else redact(conversation)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def json_wanted(environ: Optional[Any] = None) -> bool:
    """LOG_FORMAT=json in the environment (bot/settings.py validates the value for services)."""
    return (environ or os.environ).get("LOG_FORMAT", "").strip().lower() == "json"


def apply_to_handlers(logger_names: Iterable[str] = ()) -> None:
    """With LOG_FORMAT=json, format every handler of the root logger (and of ``logger_names``) as JSON lines.

    For processes whose logging a library set up (Rasa installs its own
    coloured console handler after reading logging.yml).
    """
    if not json_wanted():
        return
    for logger in [logging.getLogger(), *(logging.getLogger(name) for name in logger_names)]:
        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())


def formatter_from_environment(**_options: Any) -> logging.Formatter:
    """logging.yml's formatter: JSON lines when LOG_FORMAT=json, else the plain project format."""
    return JsonFormatter() if json_wanted() else logging.Formatter(PLAIN_FORMAT)

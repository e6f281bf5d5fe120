"""The boundary every resident message passes before Rasa sees it.

Each of our input channels wraps Rasa's ``on_new_message`` callback with
:func:`guard_messages`, so whatever arrives (empty, huge, binary, hostile) is
turned into plain text the same way on every channel.

Card numbers, bank details and National Insurance numbers are masked here
(bot/redaction.py), before Rasa stores or logs the message, and the resident
is told not to send them (``utter_sensitive_data_masked`` in domain.yml).
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

import yaml
from rasa.core.channels.channel import UserMessage

from bot import metrics
from bot.json_logs import set_conversation
from bot.redaction import MASKS, mask_financial
from bot.settings import PROJECT_ROOT, load_settings

logger = logging.getLogger(__name__)
MASKED_RESPONSE = "utter_sensitive_data_masked"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

# Rasa reads "/intent{...}" as that intent with those entities, bypassing NLU.
# On a public channel that would let anyone set slots, so leading slashes go.
_LEADING_SLASHES = re.compile(r"^[\s/]+")
# Control characters other than tab and newline (binary junk, NULs, escape codes).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# How much of a cut message is kept, as a multiple of the cut: a long letter
# survives whole, but a 10 MB message does not become 10 MB in every copy of
# the tracker (Rasa stores each event's metadata, and replays it every turn).
KEPT_ORIGINAL_FACTOR = 8


def clean_text(text: Optional[str], max_chars: int) -> Tuple[str, Dict[str, Any]]:
    """Plain text Rasa can safely parse, and notes for the message metadata.

    Returns the cleaned text and a dict describing what was changed (kept in
    the tracker so nothing the resident sent is silently lost, up to
    ``KEPT_ORIGINAL_FACTOR * max_chars`` characters of it).
    """
    notes: Dict[str, Any] = {}
    raw = text if isinstance(text, str) else ""
    # Work on no more than can be kept (and one character to tell it was longer).
    kept = KEPT_ORIGINAL_FACTOR * max_chars
    if len(raw) > kept + 1:
        notes["original_length"] = len(raw)
        raw = raw[: kept + 1]
    # Lone surrogates (invalid UTF-16 halves) cannot be stored or encoded.
    cleaned = raw.encode("utf-8", "replace").decode("utf-8", "replace")
    cleaned = unicodedata.normalize("NFC", _CONTROL.sub(" ", cleaned))
    # Before anything is kept: the original text in the notes is masked too.
    cleaned, masked = mask_financial(cleaned)
    # The SMS channel masks the text before it records it (bot/channels/sms.py);
    # its placeholders still mean the resident sent such details.
    masked = sorted(set(masked) | {kind for kind, mask in MASKS.items() if mask in cleaned})
    if masked:
        notes["masked"] = masked
    if cleaned.lstrip().startswith("/"):
        notes["leading_slash_removed"] = True
        cleaned = _LEADING_SLASHES.sub("", cleaned)
    cleaned = cleaned.strip()
    if len(cleaned) > max_chars:
        notes["original_text"] = cleaned[:kept]
        notes.setdefault("original_length", len(cleaned))
        if len(cleaned) > kept or notes["original_length"] > kept:
            notes["original_truncated"] = True
        cleaned = cleaned[:max_chars]
    return cleaned, notes


def guard_messages(on_new_message: OnNewMessage, max_chars: Optional[int] = None) -> OnNewMessage:
    """Wrap Rasa's callback so every message is cleaned first.

    Called by each of our channels when the Rasa server builds its routes, which
    is also where our fixes to Rasa's internals are installed: only the Rasa
    server needs them (importing them loads TensorFlow).
    """
    from bot import rasa_patches

    rasa_patches.apply()
    limit = max_chars or load_settings().max_message_chars

    async def guarded(message: UserMessage) -> Any:
        cleaned, notes = clean_text(message.text, limit)
        message.text = cleaned
        if notes:
            metadata = dict(message.metadata or {})
            metadata["guard"] = notes
            message.metadata = metadata
        if notes.get("masked") and message.output_channel is not None:
            # Before the bot's own reply, on the resident's channel (SMS sends both as one text).
            try:
                await message.output_channel.send_text_message(
                    message.sender_id, masked_notice(message.output_channel.name()))
            except Exception:  # the turn itself must still happen
                logger.exception("Could not send the masked-details notice")
        # Every record logged during this turn names its conversation (LOG_FORMAT=json).
        set_conversation(message.sender_id)
        started = time.perf_counter()
        try:
            return await on_new_message(message)
        finally:
            metrics.TURN_SECONDS.labels(metrics.label(message.input_channel)).observe(time.perf_counter() - started)

    return guarded


@lru_cache(maxsize=8)
def masked_notice(channel: Optional[str] = None) -> str:
    """The text of ``utter_sensitive_data_masked`` (domain.yml) for ``channel``."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    variants = domain["responses"][MASKED_RESPONSE]
    chosen = next((v for v in variants if v.get("channel") == channel), None)
    chosen = chosen or next(v for v in variants if not v.get("channel"))
    return str(chosen["text"])

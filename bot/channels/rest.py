"""Rasa's REST channel, for developers and tests, closed to everyone else.

``POST /webhooks/rest/webhook`` with ``{"sender": ..., "message": ...}``; the
bot's replies come back in the body (``?stream=true``: one JSON line each).
It shares the Rasa server's public port with web chat and SMS, so:

* it is off unless REST_CHANNEL_ENABLED is set (``make run`` and the tests
  set it): then it has no routes at all;
* every call needs ``Authorization: Bearer <RASA_API_TOKEN>`` (401 without,
  403 wrong; constant-time comparison); on without a token, it refuses to start;
* the body must be a JSON object (``application/json``, at most
  ``MAX_BODY_BYTES``) with a string ``message`` and a ``sender``; anything else
  is a 400 (413, 415) with ``{"error": reason}``, never a 500 or silence;
* the sender must not have the shape of another channel's conversation id
  (bot/conversations.py): REST cannot write into an SMS or web conversation;
* the input channel is always "rest", whatever the body says;
* metadata passes the web chat's allow-list (a shared location, photos
  uploaded to our own website): a ``phone`` (which would skip the contact
  question as SMS does) or outside ``media_urls`` are dropped;
* every message passes the shared guard (bot/channels/guard.py);
* a client that may retry (a load balancer does, when a Rasa replica dies
  mid-turn) sends its own ``message_id`` (1-64 letters, digits, ``.:_-``): a
  message id the conversation already has is answered from the record, not
  handled again (bot/rasa_retries.py).
"""

from __future__ import annotations

import hmac
import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple, Union

from rasa.core.channels import rest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.channels.guard import guard_messages
from bot.channels.message_ids import CLIENT_MESSAGE_ID, client_message_id
from bot.channels.web import safe_metadata
from bot.conversations import REST_CHANNEL, rest_sender_problem
from bot.settings import Settings, load_settings

logger = logging.getLogger(__name__)

# Far above any message the guard keeps (8 x MAX_MESSAGE_CHARS); a bigger body
# is refused before it is parsed.
MAX_BODY_BYTES = 256 * 1024


class RequestRefused(Exception):
    """A REST call we will not handle; ``status`` and ``reason`` are the answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_token(header: Optional[str], token: str) -> None:
    """Raise RequestRefused unless ``header`` is ``Bearer <token>``."""
    if not header or not header.startswith("Bearer "):
        raise RequestRefused(401, "Authorization: Bearer <RASA_API_TOKEN> is required")
    if not hmac.compare_digest(header[len("Bearer "):].strip().encode("utf-8"), token.encode("utf-8")):
        raise RequestRefused(403, "wrong token")


def parse_call(
    content_type: Optional[str], body: bytes, upload_base_url: str, uploads_dir: Optional[Path] = None
) -> Tuple[str, str, Dict[str, Any], Optional[str]]:
    """(sender, message, metadata, the client's message id or None) of a REST call,
    or RequestRefused saying why not."""
    if (content_type or "").split(";", 1)[0].strip().lower() != "application/json":
        raise RequestRefused(415, "Content-Type must be application/json")
    if len(body) > MAX_BODY_BYTES:
        raise RequestRefused(413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        call = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RequestRefused(400, "body is not valid JSON") from None
    if not isinstance(call, dict):
        raise RequestRefused(400, 'body must be a JSON object: {"sender": ..., "message": ...}')
    problem = rest_sender_problem(call.get("sender"))
    if problem:
        raise RequestRefused(400, problem)
    message = call.get("message")
    if not isinstance(message, str):
        raise RequestRefused(400, "message must be a string")
    message_id = call.get("message_id")
    if message_id is not None and client_message_id(message_id) is None:
        raise RequestRefused(400, "message_id must be 1-64 letters, digits or . : _ -")
    # Photo ids that were never uploaded are dropped, as on the web chat.
    metadata = safe_metadata(call.get("metadata"), upload_base_url, uploads_dir)
    if message_id is not None:
        metadata[CLIENT_MESSAGE_ID] = True
    return call["sender"], message, metadata, message_id


def _with_message_id(
    handler: Callable[[UserMessage], Awaitable[Any]], message_id: Optional[str]
) -> Callable[[UserMessage], Awaitable[Any]]:
    """``handler`` for messages Rasa's streaming code builds, given the client's id."""
    async def handle(message: UserMessage) -> Any:
        if message_id is not None:
            message.message_id = message_id
        return await handler(message)

    return handle


class RestInput(rest.RestInput):
    """Synchronous JSON API (see module docs)."""

    @classmethod
    def name(cls) -> Text:
        return REST_CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "RestInput":
        # Ignores credentials.yml: settings only come from the environment.
        return cls(load_settings())

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or load_settings()
        if self.settings.rest_channel_enabled:
            self.settings.require("rasa_api_token")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        if not self.settings.rest_channel_enabled:
            return webhook  # no routes: every REST URL is a 404
        guarded = guard_messages(on_new_message)
        token = str(self.settings.rasa_api_token)
        upload_base_url = self.settings.web_public_url

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                check_token(request.headers.get("Authorization"), token)
                sender, text, metadata, message_id = parse_call(
                    request.headers.get("Content-Type"), request.body, upload_base_url, self.settings.uploads_dir
                )
            except RequestRefused as refused:
                return response.json({"error": refused.reason}, status=refused.status)
            if request.args.get("stream", "").lower() == "true":
                return response.stream(
                    self.stream_response(_with_message_id(guarded, message_id), text, sender, REST_CHANNEL, metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            try:
                await guarded(UserMessage(text, collector, sender, input_channel=REST_CHANNEL, metadata=metadata,
                                          message_id=message_id))
            except Exception:
                # Not the text: it may carry personal data.
                logger.exception("REST message could not be handled (conversation %s)", sender[:12])
                return response.json({"error": "the message could not be handled"}, status=500)
            return response.json(collector.messages)

        return webhook

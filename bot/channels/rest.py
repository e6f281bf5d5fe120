"""Rasa's REST channel behind our message guard (same URL: /webhooks/rest/webhook)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Text

from rasa.core.channels import rest
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint

from bot.channels.guard import guard_messages


class RestInput(rest.RestInput):
    """Synchronous JSON API: POST {"sender": ..., "message": ...}, replies in the body."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(guard_messages(on_new_message))

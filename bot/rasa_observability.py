"""The Rasa server's ``/health``, ``/ready``, ``/metrics`` and the series only it can record.

Installed by bot/rasa_server.py before Rasa builds its app:

* ``rasa.core.run.configure_app`` is wrapped so the app Rasa serves gets our
  three routes (bot/endpoints.py) and a timer on the SMS webhook (how long
  Twilio waits for our acknowledgement);
* ``MessageProcessor._handle_message_with_tracker`` (where Rasa logs the
  parsed user message) is wrapped to record the NLU confidence of the chosen
  intent and count NLU fallbacks, by channel.

Turn latency is recorded by the channel guard every message passes
(bot/channels/guard.py). Nothing here reads or labels what a resident typed.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import Any, Callable, List

from bot import health, metrics
from bot.conversations import REST_CHANNEL, SMS_CHANNEL, WEB_CHANNEL
from bot.endpoints import add_sanic_routes
from bot.json_logs import apply_to_handlers
from bot.redaction import THIRD_PARTY_LOGGERS
from bot.settings import Settings

# The SMS channel's Twilio webhook (credentials.yml: bot.channels.sms.SmsInput, name "sms").
SMS_WEBHOOK_PATH = "/webhooks/sms/webhook"
NLU_FALLBACK_INTENT = "nlu_fallback"
CHANNELS = (REST_CHANNEL, WEB_CHANNEL, SMS_CHANNEL)


def action_server_health_url(settings: Settings) -> str:
    """The action server's /health, beside the /webhook Rasa calls."""
    base = settings.action_endpoint
    return (base[: -len("/webhook")] if base.endswith("/webhook") else base.rstrip("/")) + "/health"


def readiness_checks(settings: Settings, app: Any) -> List[health.Check]:
    """Ready: the model is loaded, the tracker store and our database answer, the action server and Redis are up."""

    def model_loaded() -> None:
        agent = getattr(app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            raise RuntimeError("no model loaded")

    return [
        health.Check("model", model_loaded),
        health.database("tracker_store", settings.tracker_store_url),
        health.database("database", settings.database_url),
        health.http("action_server", action_server_health_url(settings)),
        *health.optional_redis(settings.redis_url),
    ]


def instrument_app(app: Any, settings: Settings) -> Any:
    """Add the routes and the SMS acknowledgement timer to Rasa's Sanic app."""
    add_sanic_routes(app, readiness_checks(settings, app), settings.metrics_token)
    # Rasa has set up its logging by now (its coloured handler replaces logging.yml's formatter).
    apply_to_handlers(THIRD_PARTY_LOGGERS)
    for channel in CHANNELS:  # present from the start, at zero
        metrics.TURN_SECONDS.labels(channel)
        metrics.FALLBACKS.labels(channel)

    @app.middleware("request")
    async def start_timer(request: Any) -> None:
        if request.path == SMS_WEBHOOK_PATH:
            request.ctx.metrics_started = time.perf_counter()

    @app.middleware("response")
    async def stop_timer(request: Any, _response: Any) -> None:
        started = getattr(request.ctx, "metrics_started", None)
        if started is not None:
            metrics.SMS_ACK_SECONDS.observe(time.perf_counter() - started)

    return app


def record_understanding(tracker: Any, channel: Any) -> None:
    """The confidence of the intent NLU chose for the latest message, and a fallback when it was unsure."""
    latest = getattr(tracker, "latest_message", None)
    intent = (getattr(latest, "intent", None) or {}) if latest is not None else {}
    confidence = intent.get("confidence")
    if isinstance(confidence, (int, float)):
        metrics.NLU_CONFIDENCE.observe(float(confidence))
    if intent.get("name") == NLU_FALLBACK_INTENT:
        metrics.FALLBACKS.labels(metrics.label(channel)).inc()


def install(settings: Settings) -> None:
    """Wrap Rasa's app factory and message processor (idempotent)."""
    import rasa.core.run
    from rasa.core.processor import MessageProcessor

    configure_app: Callable[..., Any] = rasa.core.run.configure_app
    if not getattr(configure_app, "observed", False):
        @wraps(configure_app)
        def observed_configure_app(*args: Any, **kwargs: Any) -> Any:
            return instrument_app(configure_app(*args, **kwargs), settings)

        observed_configure_app.observed = True  # type: ignore[attr-defined]
        rasa.core.run.configure_app = observed_configure_app

    handle = MessageProcessor._handle_message_with_tracker
    if not getattr(handle, "observed", False):
        @wraps(handle)
        async def observed_handle(self: Any, message: Any, tracker: Any) -> None:
            await handle(self, message, tracker)
            try:
                record_understanding(tracker, message.input_channel)
            except Exception:  # metrics must never break a turn
                pass

        observed_handle.observed = True  # type: ignore[attr-defined]
        MessageProcessor._handle_message_with_tracker = observed_handle  # type: ignore[assignment]

"""Prometheus series every service exposes at ``/metrics`` (docs/operations.md).

One process-wide registry (prometheus_client's default, which also carries
the process and Python collectors). Each service records the series it owns:
the Rasa server turns, NLU and SMS acknowledgements; the delivery worker the
outbox and notifications; the staff console the escalation queue. Labels are
only ever fixed, small sets (channel names, back-office names from
council/routing.yml, notification kinds): never a conversation id, phone
number, reference or anything a resident typed.

``/metrics`` is not public: it answers only ``Authorization: Bearer
<METRICS_TOKEN>`` (compared in constant time) and is off (404) when
METRICS_TOKEN is not set. There is no default token.
"""

from __future__ import annotations

import hmac
import re
from typing import Callable, Optional, Tuple

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

# A turn: from the message reaching our channel guard to the bot's last reply.
TURN_SECONDS = Histogram(
    "council_turn_seconds", "Time to handle one resident message, by input channel",
    ["channel"], buckets=(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30),
)
NLU_CONFIDENCE = Histogram(
    "council_nlu_confidence", "Confidence of the intent NLU chose for each resident message",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
)
FALLBACKS = Counter(
    "council_nlu_fallbacks", "Resident messages NLU was unsure of (nlu_fallback: the bot asked instead)",
    ["channel"],
)
SMS_ACK_SECONDS = Histogram(
    "council_sms_ack_seconds", "Time to answer a Twilio webhook (Twilio gives up after 15 s)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15),
)
ESCALATIONS_WAITING = Gauge(
    "council_escalations_waiting", "Conversations waiting for a member of staff, by priority", ["priority"],
)
ESCALATION_OLDEST_SECONDS = Gauge(
    "council_escalation_oldest_wait_seconds", "How long the longest-waiting conversation has waited for staff",
    ["priority"],
)
OUTBOX_PENDING = Gauge(
    "council_outbox_pending", "Cases not yet delivered to their back office", ["backoffice"],
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "council_outbox_oldest_pending_seconds", "Age of the oldest case not yet delivered", ["backoffice"],
)
DELIVERY_FAILURES = Counter(
    "council_delivery_failures", "Failed deliveries of a case to a back office (retry: will be tried again; "
    "rejected: refused, needs staff)", ["backoffice", "outcome"],
)
NOTIFICATION_FAILURES = Counter(
    "council_notification_failures", "Status messages to residents that could not be sent", ["kind"],
)
ANALYTICS_REFRESH_FAILURES = Counter(
    "council_analytics_refresh_failures", "Background refreshes of the analytics rollup that failed (the "
    "delivery worker goes on; the next refresh catches up)",
)

# Starts with a letter: a phone number, an email address or a free text never passes.
_LABEL = re.compile(r"^[a-z][a-z0-9_\-]{0,29}$")


def label(value: Optional[str], default: str = "other") -> str:
    """A label value from a small known vocabulary; anything unexpected becomes ``default``."""
    text = (value or "").strip().lower()
    return text if _LABEL.match(text) else default


def authorization_problem(header: Optional[str], token: Optional[str]) -> Optional[int]:
    """The status refusing a /metrics request (404 when metrics are off), or None to serve it."""
    if not token:
        return 404
    scheme, _, offered = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not offered.strip():
        return 401
    return None if hmac.compare_digest(offered.strip().encode("utf-8"), token.encode("utf-8")) else 403


def exposition(refresh: Optional[Callable[[], None]] = None) -> Tuple[bytes, str]:
    """The registry in Prometheus' text format (after ``refresh`` updates the gauges read at scrape time)."""
    if refresh is not None:
        refresh()
    return generate_latest(), CONTENT_TYPE_LATEST

"""Telling a resident their case was accepted or closed, on the channel they used.

Goes through Rasa's HTTP API (``POST /conversations/{id}/tracker/events`` with
``output_channel=latest&execute_side_effects=true``): Rasa appends the message
to the conversation and sends it through the resident's latest input channel,
if that channel can push (implements ``get_output_channel``). The REST API
cannot, so for those conversations the notification is recorded as
``no_push_channel`` instead of being silently dropped; staff see it either way.

One row per case and kind (``notifications`` table, unique), written before
sending: two workers, or a retried poll, never tell a resident twice. Residents
who followed the case ("me too", bot/storage/followers.py) are told the same
news on their own channel, each with a row of their own (kind
``f<follower id>-closed``...), so each is told once too, whether or not the
reporter agreed to be contacted.

A notification that failed (Rasa restarting, a network blip) is tried again
with the text first written, after 1, 2, 4, 8 then 16 minutes
(``RETRY_DELAYS``); after that it stays ``failed`` for staff to see. A retry
is claimed by moving the row from ``failed`` to ``sending`` in one update, so
two workers never send the same retry. A row left ``sending`` by a crash is
not retried: the message may have gone, and texting a resident twice is
worse than once too few.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from datetime import timedelta
from typing import Optional, Sequence

from sqlalchemy.engine import Engine

from bot import messages, metrics
from bot.cases.model import CLOSED, IN_PROGRESS, OPEN, Case
from bot.messages import DEFAULT_LANGUAGE
from bot.categories import BY_KEY
from bot.rasa_api import RasaApi, RasaApiError
from bot.settings import Settings
from bot.storage import tracker_events
from bot.storage.database import make_engine
from bot.storage.followers import Follower, FollowerStore
from bot.storage.notifications import FAILED, NO_PUSH, SENT, NotificationStore
from bot.storage.outbox import Clock, utcnow

logger = logging.getLogger(__name__)

ACCEPTED, CLOSED_KIND = "accepted", "closed"
# A public update staff wrote on the case page: each its own kind ("update-" + random), so
# there can be many per case while the (case, kind) uniqueness still stops double sends.
UPDATE_PREFIX = "update-"
# Photos arrived through an upload link: "photos-" + the link's id (bot/photo_links).
PHOTOS_PREFIX = "photos-"
MAX_UPDATE_CHARS = 1000
# A follower's copy of a notification ("me too" residents, bot/storage/followers.py): kind
# "f<follower id>-accepted" / "f<follower id>-closed", so (case, kind) stays unique per
# follower and each is told once; staff updates are random kinds for followers too.
FOLLOWER_PREFIX = "f"
_FOLLOWER_KIND = re.compile(r"^f[0-9]+-")
# Minutes to wait before each retry of a failed notification.
RETRY_DELAYS = (1, 2, 4, 8, 16)


def follower_kind(follower_id: int, kind: str) -> str:
    return f"{FOLLOWER_PREFIX}{follower_id}-{kind}"


def metric_kind(kind: str) -> str:
    """The kind as a metrics label: every staff update is one "update" (their kinds are random)."""
    if _FOLLOWER_KIND.match(kind):
        kind = kind.split("-", 1)[1]  # a follower's copy counts as its kind (never one label per follower)
    if kind.startswith(PHOTOS_PREFIX):
        return "photos"
    return "update" if kind.startswith(UPDATE_PREFIX) else metrics.label(kind)


METRIC_KINDS = (ACCEPTED, CLOSED_KIND, "update", "photos")


def kind_for(new_status: str) -> Optional[str]:
    """Which notification a status change deserves (None: none)."""
    if new_status == CLOSED:
        return CLOSED_KIND
    if new_status in (OPEN, IN_PROGRESS):
        return ACCEPTED
    return None


def case_language(language: Optional[str], languages: Sequence[str]) -> str:
    """The language to write to a resident in: their conversation's (stored with the case or
    follower) while the council still serves it, else the council's default."""
    return language if language and language in languages else (languages[0] if languages else DEFAULT_LANGUAGE)


def _title(case: Case, language: str = DEFAULT_LANGUAGE) -> str:
    if case.category not in BY_KEY:
        return messages.text("case_update.unknown_kind", language)
    return BY_KEY[case.category].title if language == DEFAULT_LANGUAGE else messages.text(
        f"category.{case.category}.title", language)


def _team_says(note: Optional[str], language: str = DEFAULT_LANGUAGE) -> str:
    """ " The team says: ..." with the back office's note cut to keep the text one message or two; "" without one."""
    if not note:
        return ""
    clipped = " ".join(note.split())
    return " " + messages.text("case_update.team_says", language,
                               note=clipped if len(clipped) <= 200 else clipped[:199] + "…")


def message_text(case: Case, kind: str, note: Optional[str] = None, language: str = DEFAULT_LANGUAGE) -> str:
    """Short and SMS-safe (texts: bot/messages/catalogue.yml, case_update.*), in ``language``."""
    if kind == ACCEPTED:
        text = messages.text("case_update.accepted", language, title=_title(case, language), reference=case.reference)
        if case.backoffice_reference and case.backoffice_reference != case.reference:
            text += " " + messages.text("case_update.their_reference", language,
                                        backoffice_reference=case.backoffice_reference)
        return text
    return (messages.text("case_update.closed", language, title=_title(case, language), reference=case.reference)
            + _team_says(note, language))


def follower_text(case: Case, kind: str, note: Optional[str] = None, language: str = DEFAULT_LANGUAGE) -> str:
    """What a follower is told: the same news, about the report they said "me too" to."""
    values = {"title": _title(case, language), "reference": case.reference}
    if kind == ACCEPTED:
        return messages.text("follower_update.accepted", language, **values)
    if is_update(kind):
        return messages.text("follower_update.staff_update", language,
                             note=" ".join((note or "").split())[:MAX_UPDATE_CHARS], **values)
    return messages.text("follower_update.closed", language, **values) + _team_says(note, language)


def update_text(case: Case, text: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A public update from staff, with the report it is about, in ``language``."""
    return messages.text("case_update.staff_update", language, title=_title(case, language), reference=case.reference,
                         note=" ".join(text.split())[:MAX_UPDATE_CHARS])


def is_update(kind: str) -> bool:
    return kind.startswith(UPDATE_PREFIX)


# Rasa stamps the events it writes with its own clock: a margin for another host's clock.
SEND_CLOCK_SKEW_SECONDS = 1.0


class RasaNotifier:
    """Sends notifications through Rasa's API and records each outcome."""

    def __init__(
        self,
        engine: Engine,
        rasa_url: str,
        api_token: Optional[str],
        push_channels: Sequence[str],
        clock: Clock = utcnow,
        timeout_seconds: float = 10.0,
        team_name: Optional[str] = None,
        languages: Sequence[str] = (DEFAULT_LANGUAGE,),
        tracker_engine: Optional[Engine] = None,
    ) -> None:
        self.engine = engine
        # Rasa's tracker store: what a send wrote is taken back there if the person was erased meanwhile.
        self.tracker_engine = tracker_engine
        self.rows = NotificationStore(engine)
        self.api_token = api_token
        self.rasa = RasaApi(rasa_url, api_token, timeout_seconds)
        self.push_channels = set(push_channels)
        self.clock = clock
        # Public updates are staff speaking: the channels label them with the team's name.
        self.team_name = team_name
        # COUNCIL_LANGUAGES: each resident is written to in their case's (or follow's) language.
        self.languages = tuple(languages)

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> "RasaNotifier":
        """The notifier as each service builds it (the delivery worker, the console, the upload page)."""
        return cls(engine, settings.rasa_url, settings.rasa_api_token, settings.notify_push_channels,
                   team_name=settings.council_team_name, languages=settings.council_languages,
                   tracker_engine=make_engine(settings.tracker_store_url))

    async def close(self) -> None:
        await self.rasa.close()

    def _claim(self, case: Case, kind: str, text: str, follower: Optional[Follower] = None) -> Optional[int]:
        """Record the notification before sending; None if it was already sent or tried."""
        return self.rows.claim(case.id, kind, follower.channel if follower else case.channel, text, self.clock(),
                               follower_id=follower.id if follower else None)

    def _record(self, row_id: int, attempts: int, state: str, channel: Optional[str], detail: str) -> None:
        retry_at = None
        if state == FAILED and attempts <= len(RETRY_DELAYS):
            retry_at = self.clock() + timedelta(minutes=RETRY_DELAYS[attempts - 1])
        self.rows.record(row_id, state, detail, channel, retry_at)

    async def notify(self, case: Case, kind: str, note: Optional[str] = None) -> Optional[str]:
        """Tell the resident (if they agreed to contact), then each follower; returns the resident's state."""
        state = None
        if case.contact_consent:
            text = message_text(case, kind, note, case_language(case.language, self.languages))
            row_id = self._claim(case, kind, text)
            if row_id is not None:
                state = await self._attempt(row_id, 1, case.reference, case.conversation_id, kind, text)
        for follower in FollowerStore(self.engine).for_case(case.id):
            # Following is asking for the case's news: each follower once per kind.
            mine = follower_kind(follower.id, kind)
            words = follower_text(case, kind, note, case_language(follower.language, self.languages))
            follower_row = self._claim(case, mine, words, follower)
            if follower_row is not None:
                await self._attempt(follower_row, 1, case.reference, follower.conversation_id, mine, words)
        return state

    async def notify_update(self, case: Case, text: str) -> Optional[str]:
        """Send staff's public update to the resident (if they agreed to contact) and each follower."""
        state = None
        if case.contact_consent:
            message = update_text(case, text, case_language(case.language, self.languages))
            row_id = self._claim(case, UPDATE_PREFIX + secrets.token_hex(6), message)
            if row_id is not None:
                state = await self._attempt(row_id, 1, case.reference, case.conversation_id, UPDATE_PREFIX, message)
        for follower in FollowerStore(self.engine).for_case(case.id):
            words = follower_text(case, UPDATE_PREFIX, text, case_language(follower.language, self.languages))
            follower_row = self._claim(case, UPDATE_PREFIX + secrets.token_hex(6), words, follower)
            if follower_row is not None:
                await self._attempt(follower_row, 1, case.reference, follower.conversation_id, UPDATE_PREFIX, words)
        return state

    async def notify_photos(self, case: Case, link_id: str, text: str) -> Optional[str]:
        """Tell the resident the photos they sent through an upload link arrived (bot/photo_links).

        Sent whatever ``contact_consent`` says: it answers what the resident has just
        done, like a reply, and is no update on the case. Once per link (its own kind).
        """
        kind = PHOTOS_PREFIX + link_id[:12]
        row_id = self._claim(case, kind, text)
        if row_id is None:
            return None
        return await self._attempt(row_id, 1, case.reference, case.conversation_id, kind, text)

    async def retry_due(self, limit: int = 20) -> int:
        """Try again the failed notifications whose time has come; returns how many were tried."""
        due = self.rows.due_retries(self.clock(), limit)
        tried = 0
        for row in due:
            attempts = (row["attempts"] or 1) + 1
            if not self.rows.claim_retry(row["id"], attempts):
                continue  # another worker took it
            tried += 1
            await self._attempt(row["id"], attempts, row["reference"], row["conversation_id"], row["kind"], row["text"])
        return tried

    async def _attempt(self, row_id: int, attempts: int, reference: str, conversation_id: str, kind: str,
                       text: str) -> str:
        # Erasure (bot/privacy/erasure.py) deletes a person's cases and notification rows, then their
        # conversations. A row gone before the send: they were erased, so nothing is sent. A row gone
        # after it: they were erased while it was sent, and if the erasure had already cleared the
        # conversation, what the send wrote there (the message, and a new session Rasa may have
        # started for it) would be all that was left of them. It is taken back.
        if not self.rows.exists(row_id):
            logger.info("Not telling the resident of case %s it was %s: erased meanwhile", reference, kind)
            return FAILED
        started = time.time() - SEND_CLOCK_SKEW_SECONDS
        state, channel, detail = await self._send(conversation_id, text, from_staff=is_update(kind))
        if not self.rows.exists(row_id):
            taken_back = 0
            if self.tracker_engine is not None:
                taken_back = tracker_events.erase_since(self.tracker_engine, conversation_id, started)
            logger.info("The resident of case %s was erased while told it was %s; %d events taken back",
                        reference, kind, taken_back)
            return state
        self._record(row_id, attempts, state, channel, detail)
        if state == FAILED:
            metrics.NOTIFICATION_FAILURES.labels(metric_kind(kind)).inc()
        if state == SENT:
            logger.info("Told the resident of case %s it was %s (channel %s, attempt %d)", reference, kind, channel,
                        attempts)
        elif state == FAILED and attempts <= len(RETRY_DELAYS):
            logger.warning("Could not tell the resident of case %s it was %s (attempt %d, will retry): %s",
                           reference, kind, attempts, detail)
        else:
            logger.warning("Could not tell the resident of case %s it was %s: %s", reference, kind, detail)
        return state

    async def _send(self, conversation_id: str, text: str, from_staff: bool = False) -> tuple[str, Optional[str], str]:
        if not self.api_token:
            return FAILED, None, "RASA_API_TOKEN is not set, so the worker cannot use Rasa's API"
        try:
            channel = await self.rasa.latest_channel(conversation_id)
        except RasaApiError as error:
            return FAILED, None, str(error)
        if channel not in self.push_channels:
            return NO_PUSH, channel, f"the resident's channel ({channel or 'unknown'}) cannot receive messages we start"
        try:
            await self.rasa.append(conversation_id, [self._event(text, from_staff)])
        except RasaApiError as error:
            return FAILED, channel, str(error)
        return SENT, channel, "sent"

    def _event(self, text: str, from_staff: bool) -> dict:
        event: dict = {"event": "bot", "text": text}
        if from_staff:
            event["metadata"] = {"from_staff": True, "staff_name": self.team_name or "Council staff"}
        return event

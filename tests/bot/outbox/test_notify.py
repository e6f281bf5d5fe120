"""Notifications to residents: sent once, and retried when Rasa could not take them."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import create_engine, select

from bot.outbox.notify import ACCEPTED, CLOSED_KIND, RETRY_DELAYS, RasaNotifier
from bot.storage import tracker_events
from bot.storage.schema import notifications
from tests.support.delivery import FakeClock, new_case


class RasaConversationApi:
    """Rasa's conversation endpoints the notifier uses, failing the first ``failures`` sends."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: List[Dict[str, Any]] = []

    async def tracker(self, request: web.Request) -> web.Response:
        # As Rasa is run (bot/rasa_server.py): the token in a header, never in the URL.
        assert request.headers["Authorization"] == "Bearer api-token" and "token" not in request.query
        return web.json_response({"sender_id": request.match_info["conversation"], "latest_input_channel": "twilio"})

    async def events(self, request: web.Request) -> web.Response:
        assert request.query["output_channel"] == "latest"
        assert request.headers["Authorization"] == "Bearer api-token" and "token" not in request.query
        if self.failures > 0:
            self.failures -= 1
            return web.json_response({"status": "failure", "message": "restarting"}, status=503)
        self.sent.append({"conversation": request.match_info["conversation"], "events": await request.json()})
        return web.json_response({"sender_id": request.match_info["conversation"], "events": []})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/conversations/{conversation}/tracker", self.tracker)
        app.router.add_post("/conversations/{conversation}/tracker/events", self.events)
        return app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def notifier_for(api: RasaConversationApi, case_store, clock) -> tuple[RasaNotifier, TestServer]:
    server = TestServer(api.app())
    await server.start_server()
    return RasaNotifier(case_store.engine, str(server.make_url("")), "api-token", ["twilio"], clock=clock), server


def rows(case_store) -> List[Dict[str, Any]]:
    with case_store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(notifications)).mappings()]


async def test_a_failed_notification_is_sent_on_a_later_round_with_the_same_text(case_store, clock):
    api = RasaConversationApi(failures=2)
    notifier, server = await notifier_for(api, case_store, clock)
    case = case_store.create(new_case(conversation="sms:+447700900123", channel="twilio"), "sms:+447700900123")
    try:
        assert await notifier.notify(case, CLOSED_KIND, note="Filled in on Tuesday") == "failed"
        assert await notifier.retry_due() == 0, "not before its time"
        clock.advance(RETRY_DELAYS[0] * 60)
        assert await notifier.retry_due() == 1  # fails again
        assert await notifier.retry_due() == 0
        clock.advance(RETRY_DELAYS[1] * 60)
        assert await notifier.retry_due() == 1  # Rasa is back
        clock.advance(3600)
        assert await notifier.retry_due() == 0, "sent: never again"
    finally:
        await notifier.close()
        await server.close()

    [sent] = api.sent
    assert sent["conversation"] == "sms:+447700900123"
    [event] = sent["events"]
    assert event["event"] == "bot" and case.reference in event["text"] and "Filled in on Tuesday" in event["text"]
    [row] = rows(case_store)
    assert (row["state"], row["attempts"], row["next_attempt_at"]) == ("sent", 3, None)


async def test_retries_stop_after_the_last_delay_and_the_failure_stays_for_staff(case_store, clock):
    api = RasaConversationApi(failures=100)
    notifier, server = await notifier_for(api, case_store, clock)
    case = case_store.create(new_case(), "resident-1")
    try:
        await notifier.notify(case, ACCEPTED)
        for delay in RETRY_DELAYS:
            clock.advance(delay * 60)
            assert await notifier.retry_due() == 1
        clock.advance(24 * 3600)
        assert await notifier.retry_due() == 0
    finally:
        await notifier.close()
        await server.close()
    [row] = rows(case_store)
    assert (row["state"], row["attempts"], row["next_attempt_at"]) == ("failed", 1 + len(RETRY_DELAYS), None)
    assert "503" in row["detail"]
    assert api.sent == []


async def test_two_workers_never_send_the_same_retry(case_store, clock):
    api = RasaConversationApi(failures=1)
    first, server = await notifier_for(api, case_store, clock)
    second = RasaNotifier(case_store.engine, first.rasa.rasa_url, "api-token", ["twilio"], clock=clock)
    case = case_store.create(new_case(), "resident-1")
    try:
        await first.notify(case, ACCEPTED)
        clock.advance(RETRY_DELAYS[0] * 60)
        # The second worker finds the row already claimed by the first.
        assert first.rows.claim_retry(rows(case_store)[0]["id"], 2)
        assert await second.retry_due() == 0
    finally:
        await first.close()
        await second.close()
        await server.close()
    assert rows(case_store)[0]["state"] == "sending"


async def test_a_public_update_goes_out_as_the_team_and_each_is_its_own_row(case_store, clock):
    api = RasaConversationApi()
    notifier, server = await notifier_for(api, case_store, clock)
    notifier.team_name = "Anytown Borough Council team"
    case = case_store.create(new_case(conversation="sms:+447700900124", channel="twilio"), "update-test")
    try:
        assert await notifier.notify_update(case, "We'll  be there\non Tuesday.") == "sent"
        assert await notifier.notify_update(case, "Done.") == "sent"
    finally:
        await notifier.close()
        await server.close()
    [event] = api.sent[0]["events"]
    assert event["text"].startswith("Update on your ") and event["text"].endswith(
        f"report {case.reference}: We'll be there on Tuesday.")  # spaces and line breaks tidied for SMS
    assert event["metadata"] == {"from_staff": True, "staff_name": "Anytown Borough Council team"}
    assert [r["state"] for r in rows(case_store)] == ["sent", "sent"]  # two updates, two rows


async def test_updates_are_written_in_the_language_of_the_case(case_store, clock):
    from dataclasses import replace

    from bot import messages
    from bot.outbox.notify import message_text, update_text

    api = RasaConversationApi()
    server = TestServer(api.app())
    await server.start_server()
    notifier = RasaNotifier(case_store.engine, str(server.make_url("")), "api-token", ["twilio"], clock=clock,
                            languages=("cy", "en"))
    welsh = case_store.create(replace(new_case(conversation="sms:+447700900201", channel="twilio"), language="cy"),
                              "cy-case")
    english = case_store.create(replace(new_case(conversation="sms:+447700900202", channel="twilio"), language="en"),
                               "en-case")
    older = case_store.create(new_case(conversation="sms:+447700900203", channel="twilio"), "no-language")
    try:
        for case in (welsh, english, older):
            await notifier.notify(case, ACCEPTED)
        await notifier.notify_update(welsh, "Bydd y tîm yno ddydd Mawrth.")
    finally:
        await notifier.close()
        await server.close()

    said = {s["conversation"]: [e["text"] for e in s["events"]] for s in api.sent[:3]}
    assert said["sms:+447700900201"] == [message_text(welsh, ACCEPTED, language="cy")]
    assert message_text(welsh, ACCEPTED, language="cy") != message_text(welsh, ACCEPTED)
    assert welsh.reference in said["sms:+447700900201"][0]
    assert said["sms:+447700900202"] == [message_text(english, ACCEPTED)]
    assert said["sms:+447700900203"] == [message_text(older, ACCEPTED, language="cy")]  # the council's default
    assert api.sent[3]["events"][0]["text"] == update_text(welsh, "Bydd y tîm yno ddydd Mawrth.", "cy")
    assert messages.template("case_update.staff_update", "cy").split("{")[0] in api.sent[3]["events"][0]["text"]


class ErasedWhileSending(RasaConversationApi):
    """Rasa writes the message to the conversation; meanwhile the person is erased, their
    conversation first (as if the erasure had got there already), then their case."""

    def __init__(self, case_store, tracker_engine, case_id: int) -> None:
        super().__init__()
        self.case_store, self.tracker_engine, self.case_id = case_store, tracker_engine, case_id

    async def events(self, request: web.Request) -> web.Response:
        import time

        response = await super().events(request)
        with self.tracker_engine.begin() as conn:
            for name in ("session_started", "bot"):  # a new session for the emptied conversation, then the message
                conn.execute(tracker_events.events.insert().values(
                    sender_id=request.match_info["conversation"], type_name=name, timestamp=time.time(), data="{}"))
        self.case_store.erase([self.case_id])
        return response


def _tracker_engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker_events.events.metadata.create_all(engine)
    return engine


async def test_a_message_sent_while_its_resident_is_erased_leaves_nothing_in_the_conversation(case_store, clock,
                                                                                              tmp_path):
    tracker_engine = _tracker_engine(tmp_path)
    with tracker_engine.begin() as conn:  # someone else's conversation is not touched
        conn.execute(tracker_events.events.insert().values(sender_id="other", type_name="bot", timestamp=0, data="{}"))
    case = case_store.create(new_case(conversation="sms-erased", channel="twilio"), "sms-erased")
    api = ErasedWhileSending(case_store, tracker_engine, case.id)
    notifier, server = await notifier_for(api, case_store, clock)
    notifier.tracker_engine = tracker_engine
    try:
        await notifier.notify(case, ACCEPTED)
    finally:
        await notifier.close()
        await server.close()
    assert len(api.sent) == 1 and rows(case_store) == []
    with tracker_engine.connect() as conn:
        left = [r.sender_id for r in conn.execute(select(tracker_events.events.c.sender_id))]
    assert left == ["other"]


async def test_nothing_is_sent_for_a_notification_erased_before_its_send(case_store, clock):
    api = RasaConversationApi()
    notifier, server = await notifier_for(api, case_store, clock)
    case = case_store.create(new_case(conversation="sms-gone", channel="twilio"), "sms-gone")
    row_id = notifier._claim(case, ACCEPTED, "text")
    case_store.erase([case.id])
    try:
        await notifier._attempt(row_id, 1, case.reference, case.conversation_id, ACCEPTED, "text")
    finally:
        await notifier.close()
        await server.close()
    assert api.sent == []

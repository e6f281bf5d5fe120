"""Followers ("me too") get the case's news on their own conversation, each exactly once."""

from __future__ import annotations

from bot.outbox.notify import ACCEPTED, CLOSED_KIND, RETRY_DELAYS, RasaNotifier, metric_kind
from bot.storage.followers import FollowerStore
from tests.bot.outbox.test_notify import RasaConversationApi, clock, notifier_for, rows  # noqa: F401
from tests.support.delivery import new_case


def _sent_to(api: RasaConversationApi) -> list:
    return [(s["conversation"], s["events"][0]["text"]) for s in api.sent]


async def test_followers_are_told_when_the_case_closes_once_each(case_store, clock):
    api = RasaConversationApi()
    notifier, server = await notifier_for(api, case_store, clock)
    case = case_store.create(new_case(conversation="reporter"), "reporter:1")
    store = FollowerStore(case_store.engine)
    store.add(case.id, "sms-follower", "twilio")
    store.add(case.id, "web-follower", "twilio")
    second_worker = RasaNotifier(case_store.engine, notifier.rasa.rasa_url, "api-token", ["twilio"], clock=clock)
    try:
        assert await notifier.notify(case, CLOSED_KIND, note="Filled in") == "sent"
        # Another worker (or a repeated poll) seeing the same change tells nobody again.
        assert await second_worker.notify(case, CLOSED_KIND, note="Filled in") is None
    finally:
        await notifier.close()
        await second_worker.close()
        await server.close()
    sent = _sent_to(api)
    assert [c for c, _ in sent] == ["reporter", "sms-follower", "web-follower"]
    follower_text = dict(sent)["sms-follower"]
    assert case.reference in follower_text and "you're following has been closed" in follower_text
    assert "Filled in" in follower_text
    assert sorted(r["kind"] for r in rows(case_store)) == sorted(
        ["closed"] + [f"f{f.id}-closed" for f in store.for_case(case.id)])


async def test_followers_hear_even_when_the_reporter_did_not_want_contact(case_store, clock):
    api = RasaConversationApi()
    notifier, server = await notifier_for(api, case_store, clock)
    case = case_store.create(new_case(conversation="reporter", contact_consent=False), "reporter:1")
    FollowerStore(case_store.engine).add(case.id, "sms-follower", "twilio")
    try:
        assert await notifier.notify(case, ACCEPTED) is None  # nothing to the reporter
        await notifier.notify_update(case, "Booked for Tuesday.")
    finally:
        await notifier.close()
        await server.close()
    assert [c for c, _ in _sent_to(api)] == ["sms-follower", "sms-follower"]
    assert "Booked for Tuesday." in _sent_to(api)[1][1]


async def test_a_follower_copy_that_failed_is_retried_to_the_follower(case_store, clock):
    api = RasaConversationApi(failures=1)
    notifier, server = await notifier_for(api, case_store, clock)
    case = case_store.create(new_case(conversation="reporter", contact_consent=False), "reporter:1")
    FollowerStore(case_store.engine).add(case.id, "sms-follower", "twilio")
    try:
        await notifier.notify(case, CLOSED_KIND)
        clock.advance(RETRY_DELAYS[0] * 60)
        assert await notifier.retry_due() == 1
    finally:
        await notifier.close()
        await server.close()
    assert [c for c, _ in _sent_to(api)] == ["sms-follower"]
    [row] = rows(case_store)
    assert row["state"] == "sent" and row["follower_id"] is not None


def test_follower_kinds_are_one_metrics_label():
    assert metric_kind("f12-closed") == "closed" and metric_kind("f7-update-0a1b2c") == "update"

"""Forged action calls: what action_finish_report and escalations re-check (actions/trust.py).

Each tracker here is what an attacker could post to the action server with
hand-made slots; none may create a case or queue a conversation for staff.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any, Dict, List, Optional

import pytest
from PIL import Image
from rasa_sdk.executor import CollectingDispatcher

from actions import escalation, reports, services, trust
from bot.channels.sms_media import MediaStore
from bot.channels.web import safe_metadata
from bot.web.uploads import store_photo
from tests.conftest import user_event

REST_SENDER = "resident-1"
SMS_ID = "sms-0123456789abcdef0123"
WEB_ID = "0123456789abcdef0123456789abcdef"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def sms_settings(environment, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Settings with an SMS channel's public address, as `make run` has."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://council.example")
    services.reset()
    return services.settings()


def finish(make_tracker, slots: Dict[str, Any], sender_id: str = REST_SENDER,  # type: ignore[no-untyped-def]
           channel: str = "rest") -> tuple[List[Dict[str, Any]], List[Any]]:
    tracker = make_tracker(user_event("yes", intent="affirm", message_id="confirm-1", metadata={"channel": channel}),
                           slots=slots, sender_id=sender_id)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(reports.ActionFinishReport().run(dispatcher, tracker, {}))
    return dispatcher.messages, services.case_store().for_conversation(sender_id)


def missed_bin(**changes: Any) -> Dict[str, Any]:
    slots = {"location": "14 Foxglove Way", "postcode": "AN1 4GT", "bin_type": "recycling",
             "collection_day": "tuesday", "contact_consent": False, "report_confirmed": True,
             "report_category": "missed_bin"}
    slots.update(changes)
    return slots


def test_a_report_as_the_form_leaves_it_becomes_a_case_with_our_own_photos(sms_settings, make_tracker):
    upload = store_photo(png(), sms_settings.uploads_dir, 10_000_000)
    [web_photo] = safe_metadata({"uploads": [upload]}, sms_settings.web_public_url)["media_urls"]
    sms_photo = MediaStore(sms_settings.sms_media_dir, "https://council.example", 10_000_000).store(png(), "image/png")
    messages, cases = finish(make_tracker, missed_bin(media_urls=[web_photo, sms_photo]))
    assert len(cases) == 1, messages
    assert cases[0].media_urls == [web_photo, sms_photo]
    assert cases[0].reference in messages[0]["text"]


def test_a_postcode_outside_the_area_creates_no_case(environment, make_tracker):
    messages, cases = finish(make_tracker, missed_bin(postcode="SW1A 1AA"))
    assert cases == []
    assert messages == [{**messages[0], "response": "utter_outside_area", "postcode": "SW1A 1AA"}]


@pytest.mark.parametrize("changes", [
    {"postcode": "not a postcode"},
    {"postcode": "an1 4gt"},  # the form always stores it formatted
    {"location": None},
    {"contact_consent": True, "contact_phone": "+19005550100"},  # anyone's number, for our texts
    {"contact_consent": True, "contact_email": "x@"},
    {"description": "x" * 100_000},
    {"latitude": "95.0", "longitude": "0.1"},
    {"latitude": "51.5"},
    {"report_category": "missed_bin", "bin_type": {"$gt": ""}},
])
def test_slots_no_form_could_have_filled_create_no_case(environment, make_tracker, changes):
    messages, cases = finish(make_tracker, missed_bin(**changes))
    assert cases == []
    assert messages[0]["response"] == "utter_talk_to_human"  # the resident still has a way on


@pytest.mark.parametrize("url", [
    "https://attacker.example/photo.jpg",
    "http://127.0.0.1:5010/chat/uploads/../../council.db",
    "http://127.0.0.1:5010/chat/uploads/0123456789abcdef0123456789abcdef.jpg?x=https://attacker.example",
    "https://council.example.attacker.example/webhooks/sms/media/abcdefghijklmnopqrstuvwx.jpg",
    "javascript:alert(1)",
])
def test_a_photo_that_is_not_ours_creates_no_case(sms_settings, make_tracker, url):
    _, cases = finish(make_tracker, missed_bin(media_urls=[url]))
    assert cases == []


def test_a_postcode_the_resident_skipped_still_makes_a_case(environment, make_tracker):
    # After three unusable postcodes the form offers to go on without one (actions/reports.py).
    _, [case] = finish(make_tracker, missed_bin(postcode=reports.answers.SKIP))
    assert case.postcode is None


def test_one_of_our_photos_that_is_gone_is_left_out(environment, make_tracker):
    gone = f"{services.settings().web_public_url}/chat/uploads/{'ab' * 16}.jpg"
    _, [case] = finish(make_tracker, missed_bin(media_urls=[gone]))
    assert case.media_urls == []


@pytest.mark.parametrize("sender_id,channel", [
    (SMS_ID, "rest"),  # REST writing into an SMS resident's conversation
    (WEB_ID, "rest"),
    (REST_SENDER, "sms"),  # an SMS "conversation" not issued by the SMS channel
    (SMS_ID, "web"),
    (REST_SENDER, "made_up"),
])
def test_a_conversation_id_from_another_channel_creates_no_case(environment, make_tracker, sender_id, channel):
    _, cases = finish(make_tracker, missed_bin(), sender_id=sender_id, channel=channel)
    assert cases == []


def test_each_channel_keeps_its_own_conversations(environment, make_tracker):
    # Three different streets: the same street would be offered as a duplicate (actions/duplicates.py).
    for sender_id, channel, street in ((SMS_ID, "sms", "Foxglove Way"), (WEB_ID, "web", "Mill Lane"),
                                       (REST_SENDER, "rest", "Station Road")):
        _, cases = finish(make_tracker, missed_bin(location=f"14 {street}"), sender_id=sender_id, channel=channel)
        assert len(cases) == 1, channel


def escalate(make_tracker, sender_id: str, channel: str, text: str = "person please") -> List[Any]:  # type: ignore[no-untyped-def]
    tracker = make_tracker(user_event(text, "talk_to_human", metadata={"channel": channel}), sender_id=sender_id)
    dispatcher = CollectingDispatcher()
    return asyncio.run(escalation.ActionEscalate().run(dispatcher, tracker, {}))


@pytest.mark.parametrize("sender_id,channel", [(SMS_ID, "rest"), (WEB_ID, "rest"), (REST_SENDER, "web")])
def test_an_escalation_into_another_channels_conversation_queues_nothing(environment, make_tracker, sender_id,
                                                                          channel):
    events = escalate(make_tracker, sender_id, channel)
    assert services.escalation_store().queue() == []
    assert not any(e.get("event") == "pause" for e in events)


def test_an_escalation_keeps_no_more_text_than_any_message(environment, make_tracker):
    escalate(make_tracker, REST_SENDER, "rest", "person please " * 10_000)
    [queued] = services.escalation_store().queue()
    assert len(queued.trigger_text or "") == services.settings().max_message_chars


def test_own_photo_accepts_only_our_two_stores(sms_settings):
    base = sms_settings.web_public_url
    assert trust.own_photo(f"{base}/chat/uploads/{'ab' * 16}.png", sms_settings) == sms_settings.uploads_dir / f"{'ab' * 16}.png"
    assert trust.own_photo(f"{base}/chat/uploads/{'ab' * 16}.exe", sms_settings) is None
    assert trust.own_photo(None, sms_settings) is None
    without_sms: Optional[Any] = trust.own_photo(
        "https://council.example/webhooks/sms/media/abcdefghijklmnopqrstuvwx.jpg", sms_settings)
    assert without_sms == sms_settings.sms_media_dir / "abcdefghijklmnopqrstuvwx.jpg"

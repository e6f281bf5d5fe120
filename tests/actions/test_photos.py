"""An SMS report's reference comes with a one-time link to add photos (MMS does not reach us in the UK)."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import reports, services
from bot.photo_links.service import PATH_PREFIX, LinkState
from tests.conftest import user_event

SMS_CONVERSATION = "sms-0123456789abcdef0123"


def _slots() -> Dict[str, Any]:
    return {"location": "Mill Lane", "postcode": None, "defect_surface": "road", "defect_size": "plate",
            "defect_danger": True, "description": "deep hole", "contact_consent": False,
            "report_confirmed": True, "report_category": "pothole"}


def _finish(make_tracker, channel: str, sender: str, message_id: str = "confirm-1") -> List[Dict[str, Any]]:
    tracker = make_tracker(user_event("yes", intent="affirm", message_id=message_id, metadata={"channel": channel}),
                           slots=_slots(), sender_id=sender)
    dispatcher = CollectingDispatcher()
    asyncio.run(reports.ActionFinishReport().run(dispatcher, tracker, {}))
    return dispatcher.messages


@pytest.fixture
def with_secret(environment, monkeypatch):
    monkeypatch.setenv("PHOTO_LINK_SECRET", "a secret for the action tests")
    services.reset()
    return environment


def test_an_sms_report_gets_a_working_link_for_its_case(with_secret, make_tracker):
    messages = _finish(make_tracker, "sms", SMS_CONVERSATION)
    [case] = services.case_store().for_conversation(SMS_CONVERSATION)
    assert case.reference in messages[0]["text"]
    [link] = [m for m in messages if m.get("response") == "utter_photo_link"]
    assert link["photo_link_hours"] == 24
    url = link["photo_link"]
    assert PATH_PREFIX in url and case.reference not in url
    opened = services.photo_links().open(url.rsplit(PATH_PREFIX, 1)[1])
    assert opened.state is LinkState.USABLE and opened.row.case_id == case.id


def test_web_chat_residents_get_no_link(with_secret, make_tracker):
    messages = _finish(make_tracker, "rest", "resident-1")
    assert services.case_store().for_conversation("resident-1")
    assert not [m for m in messages if m.get("response") == "utter_photo_link"]


def test_without_a_secret_the_report_is_made_without_a_link(environment, make_tracker, monkeypatch):
    monkeypatch.delenv("PHOTO_LINK_SECRET", raising=False)
    services.reset()
    messages = _finish(make_tracker, "sms", SMS_CONVERSATION)
    assert services.case_store().for_conversation(SMS_CONVERSATION)
    assert [m.get("response") for m in messages if m.get("response") == "utter_photo_link"] == []

"""Session start: the council's details, and the conversation's language kept across sessions."""

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.session import ActionSessionStart
from tests.conftest import user_event


def start(tracker):
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker, {}))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def welsh_council(environment, monkeypatch):
    monkeypatch.setenv("COUNCIL_LANGUAGES", "cy,en")
    services.reset()


def test_a_new_conversation_is_in_the_councils_default_language(welsh_council, make_tracker):
    assert start(make_tracker(user_event("hi")))["language"] == "cy"


def test_english_only_councils_start_in_english(environment, monkeypatch, make_tracker):
    monkeypatch.delenv("COUNCIL_LANGUAGES", raising=False)
    assert start(make_tracker(user_event("hi")))["language"] == "en"


def test_a_later_session_keeps_the_residents_language_and_choice(welsh_council, make_tracker):
    slots = start(make_tracker(user_event("hi"), slots={"language": "en", "language_chosen": True}))
    assert slots["language"] == "en" and slots["language_chosen"] is True
    written = start(make_tracker(user_event("hi"), slots={"language": "cy", "language_confirmed": True}))
    assert written["language"] == "cy" and written["language_confirmed"] is True


def test_a_language_the_council_no_longer_serves_is_not_kept(environment, monkeypatch, make_tracker):
    monkeypatch.setenv("COUNCIL_LANGUAGES", "en")
    services.reset()
    assert start(make_tracker(user_event("hi"), slots={"language": "cy", "language_chosen": True}))["language"] == "en"


def test_the_privacy_notice_is_the_assistants_own_or_the_councils_override(environment, monkeypatch, make_tracker):
    monkeypatch.setenv("WEB_PUBLIC_URL", "https://chat.anytown.gov.uk")
    services.reset()
    assert start(make_tracker(user_event("hi")))["privacy_url"] == "https://chat.anytown.gov.uk/privacy"
    monkeypatch.setenv("WEB_PRIVACY_URL", "https://www.anytown.gov.uk/privacy/assistant")
    services.reset()
    assert start(make_tracker(user_event("hi")))["privacy_url"] == "https://www.anytown.gov.uk/privacy/assistant"

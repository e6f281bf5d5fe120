"""The language step around Rasa's own message handling, with the project's domain and a real tracker."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.language import rasa_hook
from bot.language.identify import Identifier
from bot.settings import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
RASA_HANDLE = inspect.unwrap(MessageProcessor._handle_message_with_tracker)


class Processor:
    """What Rasa's _handle_message_with_tracker uses of its MessageProcessor; NLU answers "greet"."""

    def __init__(self) -> None:
        self.domain = DOMAIN
        self.parsed = []

    async def parse_message(self, message, tracker=None):
        self.parsed.append(message.text)
        return {"text": message.text, "intent": {"name": "greet", "confidence": 0.9}, "entities": []}

    def _log_slots(self, tracker) -> None:
        pass


@pytest.fixture(scope="module")
def handle():
    return rasa_hook.wrap(RASA_HANDLE, ("cy", "en"), Identifier(("cy", "en")))


def say(handle, processor, tracker, text, metadata=None):
    asyncio.run(handle(processor, UserMessage(text, sender_id=tracker.sender_id, metadata=metadata), tracker))


def new_tracker(language="cy"):
    tracker = DialogueStateTracker("conversation", DOMAIN.slots)
    tracker.slots["language"].value = language  # what action_session_start sets
    return tracker


def test_a_choice_skips_nlu_sets_the_language_and_sticks(handle):
    processor, tracker = Processor(), new_tracker("cy")
    say(handle, processor, tracker, "English please")
    assert processor.parsed == []
    assert tracker.latest_message.intent["name"] == "choose_language"
    assert tracker.get_slot("language") == "en" and tracker.get_slot("language_chosen") is True
    say(handle, processor, tracker, "mae twll mawr yn y ffordd tu allan i'r ysgol")
    assert processor.parsed == ["mae twll mawr yn y ffordd tu allan i'r ysgol"]
    assert tracker.get_slot("language") == "en"


def test_what_the_resident_writes_sets_the_language_until_they_choose(handle):
    processor, tracker = Processor(), new_tracker("en")
    say(handle, processor, tracker, "mae'r bin heb ei gasglu ers wythnos")
    assert tracker.get_slot("language") == "cy" and not tracker.get_slot("language_chosen")
    say(handle, processor, tracker, "Station Road")  # a street name: no evidence, no change
    assert tracker.get_slot("language") == "cy"
    say(handle, processor, tracker, "actually can you tell me when my recycling is collected")
    assert tracker.get_slot("language") == "en"


def test_the_widget_toggle_is_a_choice(handle):
    processor, tracker = Processor(), new_tracker("en")
    say(handle, processor, tracker, "Cymraeg", metadata={"language": "cy"})
    assert tracker.get_slot("language") == "cy" and tracker.get_slot("language_chosen") is True
    assert tracker.latest_message.intent["name"] == "choose_language"


def test_the_slot_is_set_after_the_users_message_and_only_when_it_changes(handle):
    processor, tracker = Processor(), new_tracker("en")
    say(handle, processor, tracker, "hello there, my bin was not emptied this week")
    assert [type(e).__name__ for e in tracker.events] == ["UserUttered", "SlotSet"]  # written in: confirmed
    assert tracker.get_slot("language_confirmed") is True
    say(handle, processor, tracker, "it was the green recycling bin this time")
    assert [type(e).__name__ for e in tracker.events][-2:] == ["SlotSet", "UserUttered"]  # nothing changed
    say(handle, processor, tracker, "dydy'r bin ddim wedi cael ei wagio")
    assert [type(e).__name__ for e in tracker.events][-2:] == ["UserUttered", "SlotSet"]
    assert tracker.get_slot("language") == "cy"


def test_a_short_message_in_the_other_language_keeps_a_language_the_resident_wrote_in(handle):
    processor, tracker = Processor(), new_tracker("en")
    say(handle, processor, tracker, "mae twll mawr yn y ffordd tu allan i'r ysgol")
    for text in ("talk to a person", "yes", "thank you"):
        say(handle, processor, tracker, text)
        assert tracker.get_slot("language") == "cy", text


def test_an_english_only_council_answers_a_request_for_welsh_and_sets_no_slots():
    handle = rasa_hook.wrap(RASA_HANDLE, ("en",))
    processor, tracker = Processor(), new_tracker("en")
    say(handle, processor, tracker, "Cymraeg")
    assert processor.parsed == []
    assert tracker.latest_message.intent["name"] == "unserved_language"
    assert tracker.get_slot("language") == "en" and not tracker.get_slot("language_chosen")
    # Everything else goes to NLU as it is, and the language never changes.
    say(handle, processor, tracker, "mae'r bin heb ei gasglu ers wythnos")
    say(handle, processor, tracker, "English please")
    assert processor.parsed == ["mae'r bin heb ei gasglu ers wythnos", "English please"]
    assert tracker.get_slot("language") == "en" and not tracker.get_slot("language_chosen")


def test_install_wraps_once_for_any_council(monkeypatch):
    monkeypatch.setattr(MessageProcessor, "_handle_message_with_tracker", RASA_HANDLE)
    rasa_hook.install(("en",))
    wrapped = MessageProcessor._handle_message_with_tracker
    assert wrapped is not RASA_HANDLE and getattr(wrapped, "language_step", False)
    rasa_hook.install(("cy", "en"))
    assert MessageProcessor._handle_message_with_tracker is wrapped
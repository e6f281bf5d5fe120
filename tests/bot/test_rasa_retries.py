"""Which answers a message sent again is answered with (bot/rasa_retries.py), over real Rasa trackers.

The path through a socket is in tests/bot/channels/test_web_message_ids.py; through the whole Rasa
server in tests/e2e/test_rest_conversation.py and tests/e2e/test_web_chat.py.
"""

from __future__ import annotations

from typing import List, Optional

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_retries import answers_already_given


def conversation(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("resident", list(events), slots=Domain.empty().slots)


def texts(answers: Optional[List[BotUttered]]) -> Optional[List[str]]:
    return None if answers is None else [answer.text for answer in answers]


def turn(text: str, message_id: str, *answers: str) -> List[Event]:
    """A turn as Rasa's processor records it: the message, each action then its answer, listening again."""
    events: List[Event] = [UserUttered(text, message_id=message_id)]
    for answer in answers:
        events += [ActionExecuted("utter_answer"), BotUttered(answer)]
    return events + [ActionExecuted(ACTION_LISTEN_NAME)]


def test_a_turn_is_answered_with_its_own_answers() -> None:
    tracker = conversation(ActionExecuted(ACTION_LISTEN_NAME), *turn("my bin", "m1", "Sorry.", "Which address?"),
                           *turn("12 Mill Lane", "m2", "Postcode?"))
    assert texts(answers_already_given(tracker, "m1")) == ["Sorry.", "Which address?"]
    assert texts(answers_already_given(tracker, "m2")) == ["Postcode?"]
    assert answers_already_given(tracker, "m3") is None, "not seen: a new message, handled as usual"


def test_a_staff_reply_or_a_case_update_after_the_turn_is_not_one_of_its_answers() -> None:
    """Appended through Rasa's HTTP API after the turn: the resident had it already."""
    tracker = conversation(*turn("hello", "m1", "What can I help with?"),
                           BotUttered("Hi, this is Sam from the council.", metadata={"from_staff": True}),
                           BotUttered("Your report AB12-CD34 has been fixed."))
    assert texts(answers_already_given(tracker, "m1")) == ["What can I help with?"]


def test_a_message_to_staff_while_paused_has_no_answers_from_the_bot() -> None:
    """While staff have the conversation Rasa runs no action: the staff replies after it are not answers,
    and the message is not handled a second time either."""
    tracker = conversation(*turn("a person please", "m1", "Putting you through."), ConversationPaused(),
                           UserUttered("it's about my bin", message_id="m2"),
                           BotUttered("Hi, I'm Sam. Which address?", metadata={"from_staff": True}))
    assert answers_already_given(tracker, "m2") == []

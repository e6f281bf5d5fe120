"""When the bot hands over to a person, on real rasa_sdk trackers and a real SQLite queue."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import escalation, services
from actions.escalation import ActionEscalate, ActionNotUnderstood
from actions.reports import VALIDATORS
from tests.conftest import user_event

OPEN = datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc)  # Wednesday 11:00 in London
CLOSED = datetime(2026, 7, 4, 20, 0, tzinfo=timezone.utc)  # Saturday 21:00 in London


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("response") or m.get("text") for m in dispatcher.messages]


def paused(events: List[Dict[str, Any]]) -> bool:
    return any(e.get("event") == "pause" for e in events)


async def run(action, tracker) -> tuple[CollectingDispatcher, List[Dict[str, Any]]]:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher, events


@pytest.fixture(autouse=True)
def staffed_now(environment, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Pin "now" inside staffed hours unless a test says otherwise."""
    original = escalation.escalate

    def at(now: datetime):  # type: ignore[no-untyped-def]
        def call(dispatcher, tracker, reason, category=None, now_=None, **kwargs):  # type: ignore[no-untyped-def]
            return original(dispatcher, tracker, reason, category, now=now, **kwargs)
        monkeypatch.setattr(escalation, "escalate", call)

    at(OPEN)
    staffed_now.at = at  # type: ignore[attr-defined]


async def test_asking_for_a_person_queues_pauses_and_says_what_happens(make_tracker) -> None:
    tracker = make_tracker(user_event("can I talk to a real person", "talk_to_human"))
    dispatcher, events = await run(ActionEscalate(), tracker)
    assert responses(dispatcher) == ["utter_escalate_person", "utter_handoff_staffed"]
    assert paused(events)
    [queued] = services.escalation_store().queue()
    assert (queued.conversation_id, queued.reason, queued.priority, queued.state) == (
        "resident-1", "talk_to_human", "normal", "waiting")
    assert queued.trigger_text == "can I talk to a real person"


async def test_urgent_words_give_emergency_numbers_first_even_if_nlu_missed_them(make_tracker) -> None:
    # NLU called it a housing repair: the phrase matcher still treats it as urgent.
    tracker = make_tracker(user_event("I can smell gas in my flat", "report_housing_repair", 0.9))
    dispatcher, events = await run(ActionEscalate(), tracker)
    assert responses(dispatcher)[0] == "utter_emergency"
    assert paused(events)
    [queued] = services.escalation_store().queue()
    assert (queued.reason, queued.priority, queued.urgent_category) == ("urgent", "urgent", "gas")


async def test_complaint_escalates_with_normal_priority(make_tracker) -> None:
    tracker = make_tracker(user_event("I want to complain about a member of staff", "complain"))
    dispatcher, _ = await run(ActionEscalate(), tracker)
    assert responses(dispatcher)[0] == "utter_escalate_complaint"
    assert services.escalation_store().queue()[0].reason == "complaint"


async def test_outside_staffed_hours_the_resident_is_told_when(make_tracker) -> None:
    staffed_now.at(CLOSED)  # type: ignore[attr-defined]
    tracker = make_tracker(user_event("I want to speak to someone", "talk_to_human"))
    dispatcher, _ = await run(ActionEscalate(), tracker)
    message = dispatcher.messages[-1]
    assert message["response"] == "utter_handoff_out_of_hours"
    assert message["reply_when"] == "on Monday at 8am"
    assert message["staffed_hours"] == "Monday to Friday 8am to 6pm"


async def test_urgent_outside_hours_also_points_to_the_out_of_hours_line(make_tracker) -> None:
    staffed_now.at(CLOSED)  # type: ignore[attr-defined]
    tracker = make_tracker(user_event("my neighbour is abusing his kids", "emergency", 1.0))
    dispatcher, _ = await run(ActionEscalate(), tracker)
    assert responses(dispatcher) == ["utter_emergency", "utter_handoff_out_of_hours", "utter_handoff_urgent_out_of_hours"]


async def test_sms_number_is_kept_for_search(make_tracker) -> None:
    # Looked up by the pseudonymous conversation id: the tracker never holds the number.
    conversation = services.sms_store().conversation_for("+447700900123")
    tracker = make_tracker(user_event("person please", "talk_to_human", metadata={"channel": "sms"}),
                           sender_id=conversation)
    await run(ActionEscalate(), tracker)
    assert services.escalation_store().queue()[0].phone == "+447700900123"


async def test_a_phone_number_in_message_metadata_is_not_believed(make_tracker) -> None:
    tracker = make_tracker(user_event("person please", "talk_to_human", metadata={"phone": "+447700900123"}))
    await run(ActionEscalate(), tracker)
    assert services.escalation_store().queue()[0].phone is None


async def test_first_fallback_apologises_without_escalating(make_tracker) -> None:
    tracker = make_tracker(user_event("asdf qwer", "nlu_fallback", 0.3), history=[user_event("hello", "greet")])
    dispatcher, events = await run(ActionNotUnderstood(), tracker)
    assert responses(dispatcher) == ["utter_default"]
    assert events == [] and services.escalation_store().queue() == []


async def test_second_fallback_in_a_row_escalates(make_tracker) -> None:
    history = [user_event("hello", "greet"), {"event": "bot", "text": "hi"}, user_event("zzz", "nlu_fallback", 0.2)]
    tracker = make_tracker(user_event("qqq", "nlu_fallback", 0.2, message_id="m2"), history=history)
    dispatcher, events = await run(ActionNotUnderstood(), tracker)
    assert responses(dispatcher)[0] == "utter_escalate_not_understood"
    assert paused(events)
    assert services.escalation_store().queue()[0].reason == "repeated_fallback"


async def test_fallbacks_before_a_hand_back_do_not_count(make_tracker) -> None:
    history = [user_event("zzz", "nlu_fallback", 0.2), {"event": "pause"}, {"event": "resume"}]
    tracker = make_tracker(user_event("qqq", "nlu_fallback", 0.2, message_id="m2"), history=history)
    dispatcher, events = await run(ActionNotUnderstood(), tracker)
    assert responses(dispatcher) == ["utter_default"] and not paused(events)


async def test_urgent_fallback_escalates_at_once(make_tracker) -> None:
    tracker = make_tracker(user_event("there is a dangerous structure hmm", "nlu_fallback", 0.2))
    dispatcher, events = await run(ActionNotUnderstood(), tracker)
    assert responses(dispatcher)[0] == "utter_emergency" and paused(events)


def pothole_validator():  # type: ignore[no-untyped-def]
    return next(v for v in VALIDATORS if v().name() == "validate_pothole_form")()


async def test_asking_for_a_person_mid_form_ends_the_form_and_escalates(make_tracker) -> None:
    tracker = make_tracker(
        user_event("actually can I speak to a human", "talk_to_human", 0.95),
        slots={"requested_slot": "defect_surface", "location": "Mill Lane"},
        form="pothole_form",
    )
    dispatcher, events = await run(pothole_validator(), tracker)
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert {"event": "slot", "name": "location", "value": None, "timestamp": None} in events
    assert paused(events)
    assert responses(dispatcher) == ["utter_escalate_person", "utter_handoff_staffed"]
    assert services.escalation_store().queue()[0].reason == "talk_to_human"


async def test_escalating_mid_form_keeps_the_half_collected_report_for_staff(make_tracker) -> None:
    tracker = make_tracker(
        user_event("can I talk to someone", "talk_to_human", 0.95),
        slots={"requested_slot": "defect_danger", "location": "Mill Lane", "defect_surface": "road",
               "defect_size": "x" * 10_000, "failed_answers": {"slot": "defect_danger", "count": 1},
               "media_urls": ["https://example.org/a.jpg", {"not": "a url"}]},
        form="pothole_form",
    )
    _dispatcher, events = await run(pothole_validator(), tracker)
    assert paused(events)
    assert {"event": "slot", "name": "location", "value": None, "timestamp": None} in events  # the dialogue forgets
    draft = services.escalation_store().queue()[0].draft  # the escalation keeps it
    assert draft is not None
    assert draft["report_category"] == "pothole" and draft["location"] == "Mill Lane" and draft["defect_surface"] == "road"
    assert len(draft["defect_size"]) == services.settings().max_message_chars  # no longer than a message
    assert draft["media_urls"] == ["https://example.org/a.jpg"] and "failed_answers" not in draft


async def test_urgent_words_as_a_form_answer_escalate(make_tracker) -> None:
    # Asked to describe the pothole, the resident says something urgent: NLU's
    # "inform" does not matter, the words do.
    tracker = make_tracker(
        user_event("the wall next to it is about to collapse", "inform", 0.6),
        slots={"requested_slot": "description", "location": "Mill Lane"},
        form="pothole_form",
    )
    dispatcher, events = await run(pothole_validator(), tracker)
    assert responses(dispatcher)[0] == "utter_emergency"
    assert paused(events)
    assert services.escalation_store().queue()[0].priority == "urgent"


async def test_an_ordinary_form_answer_does_not_escalate(make_tracker) -> None:
    tracker = make_tracker(
        user_event("about the size of a dinner plate", "inform", 0.8),
        slots={"requested_slot": "defect_size", "location": "Mill Lane"},
        form="pothole_form",
    )
    _, events = await run(pothole_validator(), tracker)
    assert not paused(events)
    assert services.escalation_store().queue() == []


async def test_escalating_twice_keeps_one_queue_entry_and_raises_priority(make_tracker) -> None:
    await run(ActionEscalate(), make_tracker(user_event("a person please", "talk_to_human")))
    await run(ActionEscalate(), make_tracker(user_event("I smell gas", "emergency", 1.0)))
    [queued] = services.escalation_store().queue()
    assert queued.priority == "urgent" and queued.urgent_category == "gas"


async def test_a_welsh_conversation_is_told_the_hours_in_welsh_and_queued_with_its_language(
        make_tracker, monkeypatch) -> None:
    from bot import messages

    monkeypatch.setenv("COUNCIL_LANGUAGES", "cy,en")
    services.reset()
    staffed_now.at(CLOSED)  # type: ignore[attr-defined]
    tracker = make_tracker(user_event("dw i eisiau siarad â rhywun", "talk_to_human"), slots={"language": "cy"})
    dispatcher, _ = await run(ActionEscalate(), tracker)
    message = dispatcher.messages[-1]
    monday = messages.text("hours.day.0", "cy")
    assert message["reply_when"] == messages.text("hours.day_at", "cy", day=monday,
                                                  clock=messages.text("hours.am", "cy", clock="8"))
    assert monday in message["staffed_hours"] and message["staffed_hours"] != "Monday to Friday 8am to 6pm"
    assert services.escalation_store().open_for_conversation(tracker.sender_id).language == "cy"

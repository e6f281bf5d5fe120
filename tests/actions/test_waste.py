import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions import waste
from tests.conftest import user_event


def _run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher.messages


def test_postcode_in_the_question_answers_at_once(environment, make_tracker):
    slots, _ = _run(waste.ValidateBinDayForm(), make_tracker(user_event("when is my bin day AN1 4GT", intent="bin_day_enquiry")))
    assert slots == {"postcode": "AN1 4GT", "requested_slot": None}


def test_bin_day_lists_each_bin_on_the_districts_day(environment, make_tracker):
    _, messages = _run(waste.ActionBinDay(), make_tracker(user_event("x"), slots={"postcode": "AN2 1AB"}))
    text = messages[0]["text"]
    assert "AN2 1AB" in text
    assert text.count("Tuesday") == 4  # AN2 is collected on Tuesdays; four bin types


def test_outside_the_area_is_refused(environment, make_tracker):
    slots, messages = _run(waste.ValidateBinDayForm(), make_tracker(user_event("SW1A 1AA", intent="inform")))
    assert slots["postcode"] is None
    assert messages[0]["response"] == "utter_outside_area"

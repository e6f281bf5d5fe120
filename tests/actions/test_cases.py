import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions import cases, services
from bot.backoffice import references
from bot.backoffice.base import NewCase
from tests.conftest import user_event


def _run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher.messages


def _make_case(conversation="resident-1"):
    return services.case_store().create(
        NewCase(category="pothole", conversation_id=conversation, channel="rest", location_text="Mill Lane"),
        idempotency_key=f"{conversation}:m1")


def test_reference_in_the_question_is_found(environment, make_tracker):
    case = _make_case("someone-else")
    text = f"whats happening with {case.reference.lower().replace('-', ' ')}?"
    slots, _ = _run(cases.ValidateCaseStatusForm(), make_tracker(user_event(text, intent="case_status")))
    assert slots["case_reference"] == case.reference
    assert slots["requested_slot"] is None


def test_no_reference_uses_this_conversations_latest_case(environment, make_tracker):
    case = _make_case()
    slots, _ = _run(cases.ValidateCaseStatusForm(), make_tracker(user_event("any news on my report", intent="case_status")))
    assert slots["case_reference"] == case.reference


def test_no_reference_and_no_case_asks_for_it(environment, make_tracker):
    slots, _ = _run(cases.ValidateCaseStatusForm(), make_tracker(user_event("any update?", intent="case_status")))
    assert slots["requested_slot"] == "case_reference"


def test_mistyped_reference_gets_a_helpful_answer(environment, make_tracker):
    good = references.new_reference()
    typo = good[:-1] + next(ch for ch in references.ALPHABET if ch != good[-1])
    slots, messages = _run(cases.ValidateCaseStatusForm(),
                           make_tracker(user_event(f"status of {typo}", intent="case_status")))
    assert slots["requested_slot"] == "case_reference"
    assert messages[0]["response"] == "utter_invalid_reference"


def test_status_is_told_with_the_back_office_reference(environment, make_tracker):
    case = _make_case()
    services.case_store().record_status(case.id, "in_progress", source="test", backoffice_reference="HW-99812")
    _, messages = _run(cases.ActionCaseStatus(), make_tracker(user_event("x"), slots={"case_reference": case.reference}))
    assert case.reference in messages[0]["text"]
    assert "being worked on" in messages[0]["text"]
    assert "HW-99812" in messages[0]["text"]


def test_unknown_valid_reference_says_so(environment, make_tracker):
    reference = references.new_reference()
    _, messages = _run(cases.ActionCaseStatus(), make_tracker(user_event("x"), slots={"case_reference": reference}))
    assert "can't find" in messages[0]["text"]

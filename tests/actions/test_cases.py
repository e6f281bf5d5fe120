import asyncio

import pytest

from rasa_sdk.executor import CollectingDispatcher

from actions import cases, services
from bot.cases import references
from bot.cases.model import NewCase
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
    assert messages[0]["text"].startswith(f"Your pothole or damaged path report {case.reference} (made ")
    # Every status reads as English after the colon ("has been being worked on" before).
    assert "): being worked on. The team's own reference is HW-99812." in messages[0]["text"]


def test_unknown_valid_reference_says_so(environment, make_tracker):
    reference = references.new_reference()
    _, messages = _run(cases.ActionCaseStatus(), make_tracker(user_event("x"), slots={"case_reference": reference}))
    assert "can't find" in messages[0]["text"]


# ----- no trap after a mistyped reference (issue 11) -----------------------------------
def _waiting_for_reference(make_tracker, text, intent, confidence=0.95, failed=None):
    good = references.new_reference()
    typo = good[:-1] + next(ch for ch in references.ALPHABET if ch != good[-1])
    history = [user_event(f"status of {typo}", intent="case_status")]
    slots = {"requested_slot": "case_reference", "failed_answers": failed}
    return make_tracker(user_event(text, intent=intent, confidence=confidence, message_id="m2"),
                        slots=slots, form="case_status_form", history=history)


def _events(action, tracker):
    dispatcher = CollectingDispatcher()
    return asyncio.run(action.run(dispatcher, tracker, {})), dispatcher.messages


def test_talk_to_a_person_after_a_mistyped_reference_reaches_a_person(environment, make_tracker):
    # Even when NLU is unsure what "Talk to a person" is, it is never read as a reference.
    for intent, confidence in (("talk_to_human", 0.95), ("nlu_fallback", 0.3)):
        events, messages = _events(cases.ValidateCaseStatusForm(),
                                   _waiting_for_reference(make_tracker, "Talk to a person", intent, confidence))
        assert any(e.get("event") == "pause" for e in events)
        assert "utter_invalid_reference" not in [m.get("response") for m in messages]
    assert services.escalation_store().queue()[0].reason == "talk_to_human"


def test_a_new_report_after_a_mistyped_reference_starts_it(environment, make_tracker):
    events, messages = _events(cases.ValidateCaseStatusForm(),
                               _waiting_for_reference(make_tracker, "my bin wasn't collected", "report_missed_bin"))
    assert {"event": "followup", "name": "missed_bin_form"} in [
        {"event": e.get("event"), "name": e.get("name")} for e in events]
    assert not messages


def test_drop_leaves_the_reference_question(environment, make_tracker):
    slots, messages = _run(cases.ValidateCaseStatusForm(), _waiting_for_reference(make_tracker, "drop", "inform"))
    assert slots["requested_slot"] is None
    assert messages[0]["response"] == "utter_nothing_to_confirm"


def test_the_third_unreadable_reference_ends_the_question_with_a_way_on(environment, make_tracker):
    failed = None
    for attempt in range(1, 4):
        slots, messages = _run(cases.ValidateCaseStatusForm(),
                               _waiting_for_reference(make_tracker, "ZZZZ-9999", "case_status", failed=failed))
        failed = slots.get("failed_answers")
        if attempt < 3:
            assert messages[0]["response"] == "utter_invalid_reference"
            assert slots["requested_slot"] == "case_reference"
    assert messages[0]["response"] == "utter_reference_way_on"
    assert slots["requested_slot"] is None


@pytest.mark.parametrize("text, intent", [
    ("i dont have it", "inform"), ("I lost the text", "inform"), ("no", "deny"), ("not sure", "inform"),
    ("never got one", "inform"), ("sgen i ddim", "inform"),
])
def test_no_reference_to_give_gets_a_way_on_at_once(environment, make_tracker, text, intent):
    """Not "That reference doesn't look right" three times: asking again cannot help."""
    slots, messages = _run(cases.ValidateCaseStatusForm(), _waiting_for_reference(make_tracker, text, intent))
    assert messages[0]["response"] == "utter_no_reference"
    assert slots["requested_slot"] is None and slots["case_reference"] is None

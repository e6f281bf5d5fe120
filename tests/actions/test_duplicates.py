"""The duplicate offer and both answers, on real trackers and a real (SQLite) case store."""

import asyncio
from typing import Any, Dict, List

import pytest
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import choices, duplicates, reports, services
from bot.cases.model import CLOSED, NewCase
from bot.storage.followers import FollowerStore
from bot.storage.schema import cases
from tests.conftest import user_event


def run(action: Any, tracker: Any):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action().run(dispatcher, tracker, {}))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots, dispatcher.messages, events


def _slots(**overrides) -> Dict[str, Any]:
    values = {"location": "outside 14 Mill Lane", "postcode": None, "defect_surface": "road", "defect_size": "plate",
              "defect_danger": False, "description": "deep hole", "contact_consent": False,
              "contact_phone": None, "contact_email": None, "report_confirmed": True, "report_category": "pothole"}
    values.update(overrides)
    return values


def _existing(location="14 Mill Ln", category="pothole", **fields):
    return services.case_store().create(
        NewCase(category=category, conversation_id="first-resident", channel="web", location_text=location, **fields),
        idempotency_key=f"first:{category}:{location}",
    )


def _offered(make_tracker, **slots) -> List[Any]:
    tracker = make_tracker(user_event("yes", intent="affirm", message_id="confirm-1"), slots=_slots(**slots))
    return run(reports.ActionFinishReport, tracker)


def _answer(make_tracker, text: str, offer: Dict[str, Any], failed=None, sender="resident-1", **slots):
    tracker = make_tracker(user_event(text, message_id=f"answer-{text}"),
                           slots={**_slots(**slots), "choice_offer": offer, "requested_slot": "choice",
                                  "failed_answers": failed},
                           form="choice_form", sender_id=sender)
    return run(choices.ValidateChoiceForm, tracker)


def test_an_open_case_like_the_report_is_offered_before_a_case_is_made(environment, make_tracker):
    first = _existing()
    slots, messages, events = _offered(make_tracker)
    offer = slots["choice_offer"]
    assert offer["kind"] == "duplicate" and offer["reference"] == first.reference
    assert FollowupAction("choice_form") in events
    assert "location" not in slots  # the report is kept until the resident answers
    assert messages == []
    assert services.case_store().for_conversation("resident-1") == []

    tracker = make_tracker(user_event("yes"), slots={"choice_offer": offer}, form="choice_form")
    _, asked, _ = run(choices.ActionAskChoice, tracker)
    assert asked[0]["response"] == "utter_duplicate_found"
    assert (asked[0]["problem"], asked[0]["place"], asked[0]["age"]) == (
        "a pothole or damaged path", "on Mill Lane near number 14", "today")
    assert asked[0]["reference"] == first.reference
    assert asked[0]["status"] == duplicates.STATUS_WAITING


def test_no_offer_for_another_kind_or_a_closed_case(environment, make_tracker):
    _existing(category="streetlight")
    closed = _existing()
    services.case_store().record_status(closed.id, CLOSED, source="test")
    slots, messages, _ = _offered(make_tracker)
    assert slots["case_reference"] and "Your reference is" in messages[0]["text"]


def test_household_requests_are_never_offered(environment, make_tracker):
    services.case_store().create(
        NewCase(category="missed_bin", conversation_id="neighbour", channel="web", location_text="12 Mill Lane"),
        idempotency_key="neighbour")
    slots, _, _ = _offered(make_tracker, report_category="missed_bin", location="14 Mill Lane",
                           bin_type="recycling", collection_day="tuesday")
    assert slots["case_reference"]  # made at once: the neighbour's missed bin is not this household's


def test_shared_coordinates_find_a_case_nearby(environment, make_tracker):
    first = _existing(location="Shared location (52.48620, -1.89040)", latitude="52.486200", longitude="-1.890400")
    slots, _, _ = _offered(make_tracker, location="Shared location (52.48640, -1.89040)",
                           latitude="52.486400", longitude="-1.890400")
    assert slots["choice_offer"]["reference"] == first.reference
    assert slots["choice_offer"]["place"] == "about 20 metres from there"


def test_the_offer_can_be_turned_off(environment, make_tracker, monkeypatch):
    monkeypatch.setenv("DUPLICATE_DAYS", "0")
    services.reset()
    _existing()
    slots, _, _ = _offered(make_tracker)
    assert slots["case_reference"]


def test_same_problem_follows_the_case_without_making_another(environment, make_tracker):
    first = _existing()
    offer = _offered(make_tracker)[0]["choice_offer"]
    slots, messages, events = _answer(make_tracker, "same", offer)
    assert messages[0]["response"] == "utter_duplicate_followed" and messages[0]["reference"] == first.reference
    followers = FollowerStore(services.case_store().engine).for_case(first.id)
    assert [(f.conversation_id, f.description) for f in followers] == [("resident-1", "deep hole")]
    assert services.case_store().for_conversation("resident-1") == []
    assert slots["location"] is None and slots["report_confirmed"] is None  # the report is done with
    assert slots["requested_slot"] is None and slots["choice_offer"] is None
    # By SMS "1" is the first option's payload; typed words work too.
    assert duplicates.read("1") == duplicates.read("Me too!") == duplicates.SAME


@pytest.mark.parametrize("described, note", [
    ("deep hole, it burst my tyre", "report.damage_claim"),  # following the case is not a claim either
    ("this is a complaint, the hole has been there for months", "report.complaint_route"),
])
def test_following_a_case_after_damage_or_a_complaint_is_told_where_to_go(environment, make_tracker, described, note):
    from bot import messages

    _existing()
    offer = _offered(make_tracker, description=described)[0]["choice_offer"]
    _, said, _ = _answer(make_tracker, "same", offer, description=described)
    told = messages.text(note, "en", council_website=services.settings().council_website)
    assert [m.get("text") for m in said][1:] == [told]
    _, said, _ = _answer(make_tracker, "same", offer, sender="resident-2")  # "deep hole": neither
    assert told not in [m.get("text") for m in said]


@pytest.mark.parametrize("text, intent", [("ok thanks", "thank"), ("bye", "goodbye"), ("Diolch!", "thank")])
def test_thanks_or_bye_to_the_question_leaves_without_a_second_report(environment, make_tracker, text, intent):
    # "thanks" and "bye" had got "Please choose one of the options." twice, then a person.
    first = _existing()
    offer = _offered(make_tracker)[0]["choice_offer"]
    tracker = make_tracker(user_event(text, intent=intent, confidence=0.9, message_id=f"answer-{text}"),
                           slots={**_slots(), "choice_offer": offer, "requested_slot": "choice"}, form="choice_form")
    slots, said, _ = run(choices.ValidateChoiceForm, tracker)
    assert said[0]["text"].startswith("OK. We already know about it") or said[0]["text"].startswith("Iawn.")
    assert first.reference in said[0]["text"]
    assert slots["case_reference"] == first.reference  # "what's the news?" next asks about it
    assert slots["location"] is None and slots["requested_slot"] is None
    assert services.case_store().for_conversation("resident-1") == []
    assert FollowerStore(services.case_store().engine).count(first.id) == 0  # not followed without asking


def test_different_makes_the_case_naming_the_possible_duplicate(environment, make_tracker):
    first = _existing()
    offer = _offered(make_tracker)[0]["choice_offer"]
    slots, messages, _ = _answer(make_tracker, "different", offer)
    made = services.case_store().for_conversation("resident-1")
    assert len(made) == 1 and slots["case_reference"] == made[0].reference
    assert made[0].reference in messages[0]["text"]
    with services.case_store().engine.connect() as conn:
        assert conn.execute(select(cases.c.duplicate_of).where(cases.c.id == made[0].id)).scalar() == first.id
    assert slots["location"] is None
    assert FollowerStore(services.case_store().engine).count(first.id) == 0


def test_the_reporter_answering_same_is_told_it_is_theirs(environment, make_tracker):
    first = _existing()
    offer = _offered(make_tracker)[0]["choice_offer"]
    _, messages, _ = _answer(make_tracker, "same", offer, sender="first-resident")
    assert messages[0]["response"] == "utter_duplicate_yours"
    assert FollowerStore(services.case_store().engine).count(first.id) == 0


def test_drop_leaves_nothing_behind(environment, make_tracker):
    _existing()
    offer = _offered(make_tracker)[0]["choice_offer"]
    slots, messages, _ = _answer(make_tracker, "drop", offer)
    assert messages[0]["response"] == "utter_report_cancelled"
    assert slots["location"] is None and slots["choice_offer"] is None
    assert services.case_store().for_conversation("resident-1") == []


def test_answers_that_choose_nothing_are_asked_again_then_a_person_is_offered(environment, make_tracker):
    _existing()
    offer = _offered(make_tracker)[0]["choice_offer"]
    slots, messages, _ = _answer(make_tracker, "purple", offer)
    assert messages[0]["response"] == "utter_please_choose" and slots["requested_slot"] == "choice"
    slots, messages, _ = _answer(make_tracker, "purple", offer, failed={"slot": "choice", "count": 2})
    assert messages[0]["response"] == "utter_way_on_person"


def test_an_offer_naming_another_kind_of_case_is_not_followed(environment, make_tracker):
    light = _existing(category="streetlight")
    offer = {"kind": "duplicate", "case_id": light.id, "reference": light.reference, "category": "pothole"}
    _answer(make_tracker, "same", offer)
    assert FollowerStore(services.case_store().engine).count(light.id) == 0
    assert len(services.case_store().for_conversation("resident-1")) == 1


def test_the_offer_is_worded_in_welsh_and_the_welsh_buttons_answer_it(environment, make_tracker, monkeypatch):
    monkeypatch.setenv("COUNCIL_LANGUAGES", "en,cy")
    services.reset()
    first = _existing()
    slots, _, _ = _offered(make_tracker, language="cy")
    offer = slots["choice_offer"]
    assert (offer["problem"], offer["place"], offer["age"], offer["status"]) == (
        "twll yn y ffordd neu lwybr wedi'i ddifrodi", "ar Mill Lane ger rhif 14", "heddiw",
        duplicates.messages.text("duplicate.waiting", "cy"))
    # What the Welsh buttons send (domain.yml, from bot/messages/catalogue.yml) chooses each answer.
    same = duplicates.messages.text("button.same_problem_keep_me_updated.says", "cy")
    _, messages, _ = _answer(make_tracker, same, offer, language="cy")
    assert messages[0]["response"] == "utter_duplicate_followed" and messages[0]["reference"] == first.reference
    assert duplicates.read(duplicates.messages.text("button.it_s_different_report_it.says", "cy")) == duplicates.DIFFERENT
    assert duplicates.read(duplicates.messages.text("button.different_sms.says", "cy")) == duplicates.DIFFERENT
    assert duplicates.read(duplicates.messages.text("button.same_problem_sms.says", "cy")) == duplicates.SAME

"""Asking instead of guessing, and the next problem of a message, on real rasa_sdk trackers."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from rasa_sdk.executor import CollectingDispatcher

from actions import choices, reports, services
from bot.categories import BY_INTENT, BY_KEY
from tests.actions.test_problems import two_problem_message
from tests.conftest import user_event

STREETLIGHT = reports.VALIDATORS[[c.key for c in reports.CATEGORIES].index("streetlight")]
MISSED_BIN = reports.VALIDATORS[[c.key for c in reports.CATEGORIES].index("missed_bin")]


def run(action: Any, tracker: Any) -> tuple[Dict[str, Any], List[Dict[str, Any]], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots, dispatcher.messages, events


def followup(events: List[Dict[str, Any]]) -> Optional[str]:
    return next((e["name"] for e in events if e.get("event") == "followup"), None)


def paused(events: List[Dict[str, Any]]) -> bool:
    return any(e.get("event") == "pause" for e in events)


def unsure(text: str = "the light thing by the park on Elm Road", ranking: Optional[List[tuple]] = None,
           entities: Optional[List[Dict[str, Any]]] = None, message_id: str = "m1") -> Dict[str, Any]:
    """A message the FallbackClassifier could not decide on, with NLU's candidates."""
    event = user_event(text, intent="nlu_fallback", confidence=0.3, entities=entities, message_id=message_id)
    ranking = ranking or [("nlu_fallback", 0.3), ("report_streetlight", 0.28), ("thank", 0.25),
                          ("report_tree", 0.2), ("affirm", 0.1), ("report_parking", 0.12), ("report_graffiti", 0.11)]
    event["parse_data"]["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return event


def offered(entities: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    return {"kind": choices.WHICH_PROBLEM, "options": ["report_streetlight", "report_tree", "report_parking"],
            "message": {"text": "the light thing by the park on Elm Road", "entities": entities or []}}


# ----- which problem? ---------------------------------------------------------------
def test_unsure_message_offers_the_likeliest_reports_and_never_dialogue_acts(environment, make_tracker):
    slots, _, _ = run(choices.ValidateChoiceForm(), make_tracker(unsure()))
    assert slots["requested_slot"] == "choice"
    assert slots["choice_offer"]["options"] == ["report_streetlight", "report_tree", "report_parking"]

    dispatcher = CollectingDispatcher()
    asyncio.run(choices.ActionAskChoice().run(
        dispatcher, make_tracker(unsure(), slots={"choice_offer": slots["choice_offer"]}), {}))
    [question] = dispatcher.messages
    assert question["response"] == "utter_choose_problem"
    assert [b["title"] for b in question["buttons"]] == [
        "Street light fault", "Tree problem", "Parking problem", "Something else"]
    # Payloads are plain words the guard passes unchanged, never "/intent{...}".
    assert all(not b["payload"].startswith("/") for b in question["buttons"])


def test_the_bin_day_offered_among_the_choices_is_a_button_and_choosing_it_asks_the_postcode(
        environment, make_tracker):
    message = unsure("can u tell me wen my bins are", ranking=[
        ("nlu_fallback", 0.5), ("request_new_bin", 0.38), ("bin_day_enquiry", 0.26), ("report_missed_bin", 0.13)])
    slots, _, _ = run(choices.ValidateChoiceForm(), make_tracker(message))
    offer = slots["choice_offer"]
    assert offer["options"] == ["request_new_bin", "bin_day_enquiry", "report_missed_bin"]
    dispatcher = CollectingDispatcher()
    asyncio.run(choices.ActionAskChoice().run(dispatcher, make_tracker(message, slots={"choice_offer": offer}), {}))
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == [
        "New or replacement bin", "Bin day", "Missed bin collection", "Something else"]
    for answer in ("Bin day", "2", "the day"):
        _, _, events = run(choices.ValidateChoiceForm(), _answer(make_tracker, answer, offer=offer))
        assert followup(events) == "bin_day_form", answer


def test_no_plausible_report_gets_the_plain_not_understood(environment, make_tracker):
    message = unsure("ok then", ranking=[("nlu_fallback", 0.3), ("affirm", 0.29), ("thank", 0.27),
                                         ("report_tree", 0.02)])
    slots, messages, _ = run(choices.ValidateChoiceForm(), make_tracker(message))
    assert slots["requested_slot"] is None
    assert messages[0]["response"] == "utter_default"


def _answer(make_tracker, text: str, intent: str = "inform", confidence: float = 0.6, offer=None, **kwargs):
    return make_tracker(user_event(text, intent=intent, confidence=confidence, message_id="m2"),
                        slots={"choice_offer": offer or offered(), "requested_slot": "choice", **kwargs},
                        form="choice_form", history=[unsure()])


def test_answer_by_number_starts_that_report_with_the_first_messages_place(environment, make_tracker):
    place = [{"entity": "location", "value": "Elm Road", "start": 30, "end": 38}]
    slots, _, events = run(choices.ValidateChoiceForm(), _answer(make_tracker, "1", offer=offered(place)))
    assert followup(events) == "streetlight_form"
    assert slots["carried_message"] == {"intent": "report_streetlight",
                                        "text": "the light thing by the park on Elm Road", "entities": place}
    assert slots["requested_slot"] is None and slots["choice_offer"] is None

    # The form then starts from that message, not from "1".
    tracker = make_tracker(user_event("1", intent="inform", message_id="m2"), form="streetlight_form",
                           slots={"carried_message": slots["carried_message"]})
    started, _, _ = run(STREETLIGHT(), tracker)
    assert started["location"] == "Elm Road"
    assert started["description"] == "the light thing by the park on Elm Road"
    assert started["carried_message"] is None


def test_answer_by_button_text_by_words_or_by_ordinal(environment, make_tracker):
    for text, expected in [("Tree problem", "tree_form"), ("the parking one", "parking_form"),
                           ("street lights", "streetlight_form"), ("second", "tree_form"), ("3", "parking_form")]:
        _, _, events = run(choices.ValidateChoiceForm(), _answer(make_tracker, text))
        assert followup(events) == expected, text


def test_something_else_asks_again_and_a_second_miss_reaches_a_person(environment, make_tracker):
    slots, messages, events = run(choices.ValidateChoiceForm(), _answer(make_tracker, "4"))
    assert messages[0]["response"] == "utter_describe_again"
    assert slots["choice"] == choices.SOMETHING_ELSE and followup(events) is None

    # The description again is still unclear: the choice form starts on it and hands over.
    history = [unsure(), user_event("4", intent="inform", message_id="m2"),
               {"event": "slot", "name": "choice", "value": choices.SOMETHING_ELSE}]
    tracker = make_tracker(unsure("its the thing", message_id="m3"), history=history)
    _, messages, events = run(choices.ValidateChoiceForm(), tracker)
    assert paused(events)
    assert messages[0]["response"] == "utter_escalate_not_understood"
    assert services.escalation_store().queue()[0].reason == "repeated_fallback"


def test_an_answer_nobody_understands_is_the_second_miss(environment, make_tracker):
    tracker = make_tracker(unsure("zzqv wxkp", ranking=[("nlu_fallback", 0.3)], message_id="m2"),
                           slots={"choice_offer": offered(), "requested_slot": "choice"},
                           form="choice_form", history=[unsure()])
    _, _, events = run(choices.ValidateChoiceForm(), tracker)
    assert paused(events)


def test_talk_to_a_person_while_choosing_reaches_a_person(environment, make_tracker):
    _, _, events = run(choices.ValidateChoiceForm(), _answer(make_tracker, "talk to a person", confidence=0.2))
    assert paused(events)
    assert services.escalation_store().queue()[0].reason == "talk_to_human"


def test_a_clear_new_request_instead_of_an_answer_is_started(environment, make_tracker):
    tracker = _answer(make_tracker, "my bin wasn't collected", intent="report_missed_bin", confidence=0.95)
    _, _, events = run(choices.ValidateChoiceForm(), tracker)
    assert followup(events) == "missed_bin_form"


def test_unreadable_answers_are_re_asked_then_a_person_is_offered(environment, make_tracker):
    failed = None
    for attempt in range(1, 4):
        slots, messages, _ = run(choices.ValidateChoiceForm(),
                                 _answer(make_tracker, "hello", intent="greet", failed_answers=failed))
        failed = slots["failed_answers"]
        assert slots["requested_slot"] == "choice"
        expected = "utter_way_on_person" if attempt == 3 else "utter_please_choose"
        assert messages[0]["response"] == expected


# ----- the next problem of a message ---------------------------------------------------
def test_two_problem_message_starts_the_first_with_only_its_own_place(environment, make_tracker):
    slots, _, _ = run(MISSED_BIN(), make_tracker(two_problem_message(), form="missed_bin_form"))
    assert slots["location"] == "Mill Lane"
    assert "postcode" not in slots  # AN1 4GT is the street light's
    assert slots["pending_problems"] == [{"intent": "report_streetlight",
                                          "text": "the street light on Station Road AN1 4GT is flickering",
                                          "location": "Station Road", "postcode": "AN1 4GT", "entities": []}]
    assert slots["requested_slot"] == "postcode"


def test_a_problem_told_beside_a_question_is_offered_after_the_answer(environment, make_tracker):
    # "how do I pay my council tax? also my bin wasn't collected": the FAQ was answered and the
    # bin dropped (seen hand-trying).
    text = "how do i pay my council tax? also my bin wasnt collected this week on Mill Lane"
    start = text.index("also")
    street = text.index("Mill Lane")
    event = user_event(text, intent="faq", faq="faq/council_tax", entities=[
        {"entity": "further_problem", "value": "report_missed_bin", "start": start, "end": len(text)},
        {"entity": "location", "value": "Mill Lane", "start": street, "end": street + len("Mill Lane")}])
    slots, said, events = run(choices.ActionOfferMentionedProblems(), make_tracker(event))
    assert said == []  # the answer was the rule's utter_faq; this only offers
    assert followup(events) == "choice_form" and slots["choice_offer"] == {"kind": choices.NEXT_PROBLEM}
    (problem,) = slots["pending_problems"]
    assert problem["intent"] == "report_missed_bin" and problem["location"] == "Mill Lane"
    # A question alone offers nothing; nor does one inside a form (the form reads it).
    assert run(choices.ActionOfferMentionedProblems(),
               make_tracker(user_event("how do i pay my council tax", intent="faq")))[2] == []
    assert run(choices.ActionOfferMentionedProblems(), make_tracker(event, form="pothole_form"))[2] == []


PENDING = [{"intent": "report_streetlight", "text": "the street light on Station Road is flickering",
            "location": "Station Road", "postcode": None}]


def _finished_report(make_tracker, confirmed: bool):
    slots = {"report_confirmed": confirmed, "location": "Mill Lane", "postcode": "AN1 4GT", "bin_type": "recycling",
             "collection_day": "Tuesday", "contact_consent": False, "pending_problems": PENDING}
    return make_tracker(user_event("yes", intent="affirm"), slots=slots, form="missed_bin_form")


def test_after_the_first_report_the_next_problem_is_offered(environment, make_tracker):
    for confirmed in (True, False):  # made, or dropped
        slots, _, events = run(reports.ActionFinishReport(), _finished_report(make_tracker, confirmed))
        assert followup(events) == "choice_form"
        assert slots["choice_offer"] == {"kind": choices.NEXT_PROBLEM}
    # Nothing pending: nothing offered.
    tracker = make_tracker(user_event("yes", intent="affirm"), slots={"report_confirmed": False})
    _, _, events = run(reports.ActionFinishReport(), tracker)
    assert followup(events) is None


def test_the_offer_names_the_problem_and_its_place(environment, make_tracker):
    tracker = make_tracker(user_event("yes", intent="affirm"),
                           slots={"choice_offer": {"kind": choices.NEXT_PROBLEM}, "pending_problems": PENDING})
    slots, _, _ = run(choices.ValidateChoiceForm(), tracker)
    assert slots == {"requested_slot": "choice"}
    dispatcher = CollectingDispatcher()
    asyncio.run(choices.ActionAskChoice().run(dispatcher, tracker, {}))
    [offer] = dispatcher.messages
    assert offer["response"] == "utter_offer_next_problem"
    assert offer["problem"] + offer["place"] == "a street light fault on Station Road"


def test_the_welsh_offer_puts_the_place_in_brackets(environment, make_tracker, monkeypatch):
    monkeypatch.setenv("COUNCIL_LANGUAGES", "cy,en")
    tracker = make_tracker(user_event("ie", intent="affirm"),
                           slots={"choice_offer": {"kind": choices.NEXT_PROBLEM}, "pending_problems": PENDING,
                                  "language": "cy"})
    dispatcher = CollectingDispatcher()
    asyncio.run(choices.ActionAskChoice().run(dispatcher, tracker, {}))
    [offer] = dispatcher.messages
    assert offer["place"] == " (Station Road)" and " on " not in offer["problem"] + offer["place"]


def _next_answer(make_tracker, text: str, intent: str, pending=PENDING):
    return make_tracker(user_event(text, intent=intent, message_id="m9"), form="choice_form",
                        slots={"choice_offer": {"kind": choices.NEXT_PROBLEM}, "pending_problems": pending,
                               "requested_slot": "choice"})


def test_yes_starts_the_next_report_at_its_own_place(environment, make_tracker):
    slots, _, events = run(choices.ValidateChoiceForm(), _next_answer(make_tracker, "yes", "affirm"))
    assert followup(events) == "streetlight_form"
    assert slots["pending_problems"] == []
    tracker = make_tracker(user_event("yes", intent="affirm", message_id="m9"), form="streetlight_form",
                           slots={"carried_message": slots["carried_message"]})
    started, _, _ = run(STREETLIGHT(), tracker)
    assert started["location"] == "Station Road"
    assert started["description"] == "the street light on Station Road is flickering"
    assert started["report_category"] == BY_KEY["streetlight"].key


def test_a_next_problem_on_the_first_ones_street_keeps_its_postcode(environment, make_tracker):
    # "...14 mill lane AN1 4GT also the street light outside no 20 is out": the light is at
    # 20 Mill Lane with the first part's postcode, which says which Mill Lane. The street
    # light form asks no postcode, and it had asked "Mill Lane in Northfield or in Easton?".
    pending = [{"intent": "report_streetlight", "text": "the street light outside no 20 is out",
                "location": "20 Mill Lane", "postcode": "AN1 4GT", "entities": []}]
    slots, _, _ = run(choices.ValidateChoiceForm(), _next_answer(make_tracker, "yes", "affirm", pending))
    tracker = make_tracker(user_event("yes", intent="affirm", message_id="m9"), form="streetlight_form",
                           slots={"carried_message": slots["carried_message"]})
    started, _, _ = run(STREETLIGHT(), tracker)
    assert started["location"] == "20 Mill Lane, Northfield"
    assert started["requested_slot"] != "location_choice"


def test_no_drops_it_and_offers_the_one_after(environment, make_tracker):
    slots, messages, events = run(choices.ValidateChoiceForm(), _next_answer(make_tracker, "no", "deny"))
    assert messages[0]["response"] == "utter_next_problem_dropped"
    assert slots["pending_problems"] == [] and slots["requested_slot"] is None and followup(events) is None

    two = PENDING + [{"intent": "report_graffiti", "text": "graffiti on the bridge", "location": "the bridge",
                      "postcode": None}]
    slots, _, _ = run(choices.ValidateChoiceForm(), _next_answer(make_tracker, "drop", "inform", pending=two))
    assert slots["pending_problems"] == two[1:] and slots["requested_slot"] == "choice"


def test_read_option_only_chooses_among_what_was_offered():
    options = ["report_streetlight", "report_tree"]
    assert choices.read_option("Report pothole", options) is None
    assert choices.read_option("/report_pothole", options) is None
    assert choices.read_option("3", options) == choices.SOMETHING_ELSE
    assert choices.read_option("4", options) is None
    assert choices.read_option("whatever", options, intent="report_pothole", confidence=0.99) is None
    assert choices.read_option("whatever", options, intent="report_tree", confidence=0.6) == "report_tree"


def test_a_welsh_conversation_is_offered_welsh_labels_and_either_languages_label_is_read(
        environment, monkeypatch, make_tracker):
    from bot import messages

    monkeypatch.setenv("COUNCIL_LANGUAGES", "cy,en")
    services.reset()
    offer = offered()
    dispatcher = CollectingDispatcher()
    asyncio.run(choices.ActionAskChoice().run(
        dispatcher, make_tracker(unsure(), slots={"choice_offer": offer, "language": "cy"}), {}))
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == [BY_INTENT[o].choice_label_in("cy") for o in offer["options"]] + [
        messages.text("choice.something_else", "cy")]
    assert titles[0] != "Street light fault"
    options = offer["options"]
    assert choices.read_option(titles[1], options, lang="cy") == "report_tree"
    assert choices.read_option("Tree problem", options, lang="cy") == "report_tree"  # a button sent before a switch
    assert choices.read_option("yr ail", options, lang="cy") == "report_tree"
    assert choices.read_option("rhywbeth arall", options, lang="cy") == choices.SOMETHING_ELSE
    assert choices.read_option("yr un parcio", options, lang="cy") == "report_parking"  # a word only its label has

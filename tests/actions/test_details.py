"""A place sent with no report under way is kept for the report that follows (actions/details.py)."""

from actions import details, reports
from tests.actions.test_reports import run
from tests.conftest import user_event

FLYTIPPING = reports.VALIDATORS[[c.key for c in reports.CATEGORIES].index("flytipping")]


def test_a_place_on_its_own_is_kept_and_the_bot_asks_what_the_problem_is(environment, make_tracker):
    message = user_event("outside 14 Foxglove Way", intent="inform",
                         entities=[{"entity": "location", "value": "14 Foxglove Way", "start": 8, "end": 23}])
    slots, messages, _ = run(details.ActionDetailsWithoutReport, make_tracker(message))
    assert slots == {"mentioned_place": {"text": "outside 14 Foxglove Way",
                                         "entities": [{"entity": "location", "value": "14 Foxglove Way"}],
                                         "place": "14 Foxglove Way", "messages": 1}}
    assert [m["text"] for m in messages] == [
        "What's the problem there (14 Foxglove Way)? For example rubbish dumped, a pothole or a street light that's out."]


def test_a_postcode_or_a_street_the_gazetteer_knows_is_a_place_too(environment, make_tracker):
    for text, place in (("AN1 4GT", "AN1 4GT"), ("on mill lane", "Mill Lane")):
        slots, _, _ = run(details.ActionDetailsWithoutReport, make_tracker(user_event(text, intent="inform")))
        assert slots["mentioned_place"]["place"] == place, text


def test_a_detail_that_is_not_a_place_gets_the_help_menu_and_keeps_nothing(environment, make_tracker):
    slots, messages, _ = run(details.ActionDetailsWithoutReport, make_tracker(user_event("last tuesday", intent="inform")))
    assert slots == {} and [m["response"] for m in messages] == ["utter_help_menu"]


def test_the_report_that_follows_starts_from_the_kept_place(environment, make_tracker):
    kept = {"text": "outside 14 Foxglove Way AN1 4GT",
            "entities": [{"entity": "location", "value": "14 Foxglove Way"}, {"entity": "postcode", "value": "AN1 4GT"}],
            "place": "14 Foxglove Way", "messages": 1}
    tracker = make_tracker(user_event("rubbish dumped", intent="report_flytipping"), form="flytipping_form",
                           slots={"mentioned_place": kept}, history=[user_event("outside 14 Foxglove Way")])
    slots, _, _ = run(FLYTIPPING, tracker)
    assert slots["location"] == "14 Foxglove Way"
    assert slots["description"] == "rubbish dumped outside 14 Foxglove Way AN1 4GT"  # read as one message
    assert slots["mentioned_place"] is None  # used once
    assert slots["requested_slot"] != "location"


def test_a_report_that_names_its_own_place_ignores_the_kept_one(environment, make_tracker):
    kept = {"text": "outside 14 Foxglove Way", "entities": [{"entity": "location", "value": "14 Foxglove Way"}],
            "place": "14 Foxglove Way", "messages": 1}
    tracker = make_tracker(
        user_event("rubbish dumped on Mill Lane", intent="report_flytipping",
                   entities=[{"entity": "location", "value": "Mill Lane", "start": 18, "end": 27}]),
        form="flytipping_form", slots={"mentioned_place": kept}, history=[user_event("outside 14 Foxglove Way")])
    slots, _, _ = run(FLYTIPPING, tracker)
    assert slots["location"] == "Mill Lane" and slots["mentioned_place"] is None


def test_a_place_kept_before_other_messages_is_not_used(environment, make_tracker):
    kept = {"text": "outside 14 Foxglove Way", "entities": [{"entity": "location", "value": "14 Foxglove Way"}],
            "place": "14 Foxglove Way", "messages": 1}
    history = [user_event("outside 14 Foxglove Way"), user_event("when is my bin day AN1 4GT")]
    tracker = make_tracker(user_event("there's a pothole", intent="report_pothole"), form="pothole_form",
                           slots={"mentioned_place": kept}, history=history)
    slots, _, _ = run(reports.VALIDATORS[[c.key for c in reports.CATEGORIES].index("pothole")], tracker)
    assert "location" not in slots and slots["requested_slot"] == "location"
    assert slots["mentioned_place"] is None


def test_the_kept_place_keeps_the_house_number_the_gazetteer_finds(environment):
    message = user_event("number 12 Station Road", intent="inform",
                         entities=[{"entity": "location", "value": "Station Road", "start": 10, "end": 22}])
    kept = details.mentioned_place(message["parse_data"])
    assert kept["place"] == "12 Station Road"
    assert kept["entities"] == [{"entity": "location", "value": "12 Station Road"}]


def test_a_bin_day_question_straight_after_a_postcode_uses_it(environment, make_tracker):
    from actions import waste

    kept = {"text": "AN1 4GT", "entities": [{"entity": "postcode", "value": "AN1 4GT"}], "place": "AN1 4GT",
            "messages": 1}
    tracker = make_tracker(user_event("when is my bin day", intent="bin_day_enquiry"), form="bin_day_form",
                           slots={"mentioned_place": kept}, history=[user_event("AN1 4GT")])
    slots, _, _ = run(waste.ValidateBinDayForm, tracker)
    assert slots == {"mentioned_place": None, "postcode": "AN1 4GT", "requested_slot": None}


def test_a_callback_asked_for_with_no_report_under_way_reaches_a_person(environment, make_tracker):
    from actions import services

    message = user_event("can you call me back on 07700 900123", intent="inform")
    _, messages, events = run(details.ActionDetailsWithoutReport, make_tracker(message))
    assert messages[0]["response"] == "utter_escalate_person"
    assert any(e.get("event") == "pause" for e in events)
    [queued] = services.escalation_store().queue()
    assert queued.reason == "talk_to_human" and queued.trigger_text == "can you call me back on 07700 900123"

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


def test_bin_day_in_welsh_names_days_and_months_in_welsh(environment, make_tracker, monkeypatch):
    from actions import services

    monkeypatch.setenv("COUNCIL_LANGUAGES", "en,cy")
    services.reset()
    _, messages = _run(waste.ActionBinDay(), make_tracker(user_event("x"), slots={"postcode": "AN2 1AB", "language": "cy"}))
    text = messages[0]["text"]
    assert text.startswith("Y casgliadau nesaf ar gyfer AN2 1AB:")
    assert text.count("dydd Mawrth") == 4 and "Tuesday" not in text
    assert not any(month in text for month in ("January", "February", "March", "April", "May", "June", "July",
                                                "August", "September", "October", "November", "December"))
    # The bins by their Welsh names, none by its English one (council/bins.yml's name).
    assert "bin glas (ailgylchu)" in text and "cadi bwyd" in text
    assert not any(name in text for name in ("recycling", "garden waste", "general waste", "food caddy"))


def test_outside_the_area_is_refused(environment, make_tracker):
    slots, messages = _run(waste.ValidateBinDayForm(), make_tracker(user_event("SW1A 1AA", intent="inform")))
    assert slots["postcode"] is None
    assert messages[0]["response"] == "utter_outside_area"


# ----- no trap on the postcode question (issue 11) --------------------------------------
def _waiting_for_postcode(make_tracker, text, intent="inform", confidence=0.6, failed=None):
    return make_tracker(user_event(text, intent=intent, confidence=confidence, message_id="m2"),
                        slots={"requested_slot": "postcode", "failed_answers": failed}, form="bin_day_form",
                        history=[user_event("when is my bin day", intent="bin_day_enquiry")])


def test_talk_to_a_person_on_the_postcode_question_reaches_a_person(environment, make_tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(waste.ValidateBinDayForm().run(
        dispatcher, _waiting_for_postcode(make_tracker, "talk to a person", "nlu_fallback", 0.3), {}))
    assert any(e.get("event") == "pause" for e in events)


def test_a_report_instead_of_a_postcode_starts_it(environment, make_tracker):
    dispatcher = CollectingDispatcher()
    tracker = _waiting_for_postcode(make_tracker, "there's a pothole on Mill Lane", "report_pothole", 0.95)
    events = asyncio.run(waste.ValidateBinDayForm().run(dispatcher, tracker, {}))
    assert ("followup", "pothole_form") in [(e.get("event"), e.get("name")) for e in events]


def test_third_unreadable_postcode_ends_the_question_with_a_way_on(environment, make_tracker):
    failed = None
    for attempt in range(1, 4):
        slots, messages = _run(waste.ValidateBinDayForm(), _waiting_for_postcode(make_tracker, "AN1", failed=failed))
        failed = slots.get("failed_answers")
        expected = "utter_bin_day_way_on" if attempt == 3 else "utter_invalid_postcode"
        assert messages[0]["response"] == expected
    assert slots["requested_slot"] is None


# ----- a street instead of a postcode ---------------------------------------------------
def test_a_street_with_one_postcode_gives_it(environment, make_tracker):
    # "14 station road" at "What's the postcode?" had got "That doesn't look like a full postcode."
    slots, messages = _run(waste.ValidateBinDayForm(), _waiting_for_postcode(make_tracker, "14 station road"))
    assert (slots["postcode"], slots["requested_slot"]) == ("AN9 2SR", None)
    assert messages == []
    # In the question itself too.
    slots, _ = _run(waste.ValidateBinDayForm(), make_tracker(
        user_event("when is my bin day at 4 station road", intent="bin_day_enquiry")))
    assert (slots["postcode"], slots["requested_slot"]) == ("AN9 2SR", None)


def test_a_street_with_several_postcodes_is_shown_them(environment, make_tracker):
    # Mill Lane: AN1 4GT and AN1 4GU in Northfield, AN4 2LP in Easton (council/gazetteer.csv).
    slots, messages = _run(waste.ValidateBinDayForm(), _waiting_for_postcode(make_tracker, "14 mill lane"))
    assert (slots["postcode"], slots["requested_slot"]) == (None, "postcode")
    assert messages[0]["text"] == ("Mill Lane has more than one postcode, and collection days go by postcode. "
                                   "What's yours? For example: AN1 4GT, AN1 4GU, AN4 2LP.")
    assert slots["failed_answers"]["count"] == 1  # still an answer that could not be used: 3 get a way on
    slots, _ = _run(waste.ValidateBinDayForm(), make_tracker(
        user_event("when is my bin day, 14 mill lane", intent="bin_day_enquiry")))
    assert slots["requested_slot"] == "postcode"

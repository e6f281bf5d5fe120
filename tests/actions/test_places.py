"""Places in the report forms, on real rasa_sdk trackers and the demo gazetteer (council/gazetteer.csv).

"Mill Lane" is in Northfield (AN1 4GT, USRN 38000001) and in Easton (AN4 2LP,
USRN 38000002); "Mill Road" only in Westbury; "Station Road" only in Anytown.
"""

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import places, reports, services
from bot.categories import BY_KEY
from tests.conftest import user_event

POTHOLE = reports.VALIDATORS[[c.key for c in reports.CATEGORIES].index("pothole")]
MISSED_BIN = reports.VALIDATORS[[c.key for c in reports.CATEGORIES].index("missed_bin")]


def run(action: Any, tracker: Any) -> tuple[Dict[str, Any], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action().run(dispatcher, tracker, {}))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher.messages


class Conversation:
    """One form, turn by turn: each answer runs the validator on the slots so far."""

    def __init__(self, make_tracker: Any, form: str = "pothole_form", validator: Any = POTHOLE,
                 slots: Optional[Dict[str, Any]] = None) -> None:
        self.make_tracker, self.form, self.validator = make_tracker, form, validator
        self.slots: Dict[str, Any] = dict(slots or {"requested_slot": "location"})
        self.messages: List[Dict[str, Any]] = []
        self.turns = 0

    def say(self, text: str, intent: str = "inform", entities: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
        self.turns += 1
        tracker = self.make_tracker(user_event(text, intent=intent, entities=entities, message_id=f"m{self.turns}"),
                                    form=self.form, slots=self.slots)
        changed, self.messages = run(self.validator, tracker)
        self.slots.update(changed)
        return changed

    def at_the_read_back(self) -> None:
        """The pothole form's other answers given: the next turn answers "Is that right?"."""
        self.slots.update(defect_surface="road", defect_size="big", defect_danger=False, description="deep hole",
                          contact_consent=False, requested_slot="report_confirmed")

    def tracker(self) -> Any:
        return self.make_tracker(user_event("yes", intent="affirm", message_id="end"), slots=self.slots)


def test_a_street_in_two_localities_is_asked_about_and_the_answer_settles_it(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("Mill Lane")
    assert talk.slots["requested_slot"] == "location_choice"
    assert talk.slots["place"]["status"] == "ambiguous"
    # The question the form asks, with a way on ("Not sure").
    dispatcher = CollectingDispatcher()
    asyncio.run(places.ActionAskLocationChoice().run(dispatcher, make_tracker(user_event("Mill Lane"), slots=talk.slots), {}))
    [question] = dispatcher.messages
    assert question["response"] == "utter_ask_location_choice"
    assert (question["street"], question["localities"]) == ("Mill Lane", "Northfield or in Easton")
    assert [b["title"] for b in question["buttons"]] == ["Northfield", "Easton", "Not sure"]

    talk.say("easton")
    assert talk.slots["location"] == "Mill Lane, Easton"
    assert talk.slots["place"]["usrn"] == "38000002"
    assert talk.slots["requested_slot"] == "defect_surface"


@pytest.mark.parametrize("answer", ["14", "number 14", "it's no. 14"])
def test_a_house_number_given_for_which_locality_is_kept_and_the_question_asked_again(
        environment, make_tracker, answer):
    talk = Conversation(make_tracker)
    talk.say("Mill Lane")
    talk.say(answer)
    assert talk.slots["location"] == "14 Mill Lane" and talk.slots["requested_slot"] == "location_choice"
    assert not talk.slots.get("failed_answers") and talk.messages == []  # not "Please choose one of the options"
    talk.say("easton")
    assert talk.slots["location"] == "14 Mill Lane, Easton"


def test_a_bare_number_within_the_options_is_still_a_choice(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("Mill Lane")
    talk.say("2")  # by SMS: "Reply 1 for Northfield, 2 for Easton, 3 for Not sure"
    assert talk.slots["location"] == "Mill Lane, Easton"


def test_a_postcode_typed_with_the_place_settles_it_in_a_form_that_asks_no_postcode(environment, make_tracker):
    # The pothole form has no postcode question: before, "an1 4gt" was ignored and the bot
    # asked "Mill Lane in Northfield or in Easton?".
    talk = Conversation(make_tracker, slots={})
    text = "pothole outside 4 mill ln an1 4gt"
    talk.say(text, intent="report_pothole",
             entities=[{"entity": "location", "value": "4 mill ln", "start": text.index("4 mill"), "end": text.index(" an1")}])
    assert talk.slots["place"]["usrn"] == "38000001"
    assert talk.slots["location"] == "4 Mill Lane, Northfield"
    assert talk.slots["requested_slot"] == "defect_surface"


def test_a_landmark_before_a_street_the_nlu_missed_is_kept(environment, make_tracker):
    # Lower case with a postcode, the entity extractor marked no place: the gazetteer found
    # Mill Lane and "by the bus stop" was lost from the read-back and the case.
    talk = Conversation(make_tracker, slots={"requested_slot": None})  # the report's first message
    talk.say("pothole by the bus stop on mill lane an1 4gt", intent="report_pothole")
    assert talk.slots["location"] == "by the bus stop on Mill Lane, Northfield"
    assert talk.slots["place"]["usrn"] == "38000001"
    # Who did something is not where: "by the crew on Station Road" is just Station Road.
    assert places.street_in_message("bin left half full by the crew on station road") == "Station Road"
    # The gazetteer's spelling, with the resident's own words before it.
    assert places.street_in_message("rubbish opposite no. 4 on station rd") == "opposite no. 4 on Station Road"


def test_the_answer_may_be_the_number_of_the_option_or_a_district(environment, make_tracker):
    for answer, usrn in (("1", "38000001"), ("2", "38000002"), ("the AN4 one", "38000002"), ("northfeild", "38000001")):
        talk = Conversation(make_tracker)
        talk.say("Mill Lane")
        talk.say(answer)
        assert talk.slots["place"]["usrn"] == usrn, answer


def test_not_sure_goes_on_without_and_staff_are_told(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("outside the Co-op on Mill Lane")
    talk.say("not sure")
    assert talk.slots["location_choice"] == "unknown"
    assert talk.slots["requested_slot"] == "defect_surface"
    case = reports.build_case(BY_KEY["pothole"], talk.tracker())
    assert case.location_text == "outside the Co-op on Mill Lane"
    assert case.usrn is None and case.place_latitude is None
    assert "Mill Lane, Northfield or Mill Lane, Easton" in case.place_note


def test_answers_that_pick_nothing_are_re_asked_then_skip_is_offered(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("Mill Lane")
    talk.say("the blue one")
    assert talk.messages[0]["response"] == "utter_please_choose"
    assert talk.slots["requested_slot"] == "location_choice"
    talk.say("purple")
    talk.say("dunno mate, green?")
    assert talk.messages[0]["response"] == "utter_way_on_skip"
    talk.say("skip")
    assert talk.slots["location_choice"] == "unknown" and talk.slots["requested_slot"] == "defect_surface"


def test_the_postcode_question_comes_first_and_settles_it(environment, make_tracker):
    talk = Conversation(make_tracker, form="missed_bin_form", validator=MISSED_BIN)
    talk.say("12 Mill Lane")
    assert talk.slots["requested_slot"] == "postcode"  # not "which Mill Lane?": the postcode may tell
    talk.say("AN4 2LP")
    assert talk.slots["location"] == "12 Mill Lane, Easton"
    assert talk.slots["place"]["usrn"] == "38000002"
    assert talk.slots["requested_slot"] == "bin_type"


def test_a_postcode_that_does_not_settle_it_still_gets_the_question(environment, make_tracker):
    talk = Conversation(make_tracker, form="missed_bin_form", validator=MISSED_BIN)
    talk.say("12 Mill Lane")
    talk.say("AN9 1HS")  # in the area, but on neither Mill Lane
    assert talk.slots["requested_slot"] == "location_choice"


def test_a_locality_or_district_in_the_answer_settles_it_at_once(environment, make_tracker):
    for text, usrn in (("14 Mill Lane, Easton", "38000002"), ("mill ln an1", "38000001")):
        talk = Conversation(make_tracker)
        talk.say(text)
        assert talk.slots["place"]["usrn"] == usrn and talk.slots["requested_slot"] == "defect_surface", text


def test_the_correction_keeps_the_house_number(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("14 Mill Lane")
    talk.say("Northfield")
    assert talk.slots["location"] == "14 Mill Lane, Northfield"
    talk.at_the_read_back()
    talk.say("sorry, it's Mill Road", entities=[{"entity": "location", "value": "Mill Road"}])
    assert talk.slots["location"] == "14 Mill Road"
    assert talk.slots["place"]["usrn"] == "38000003"
    assert talk.slots["requested_slot"] == "report_confirmed"  # read back again
    assert "pothole or damaged path at 14 Mill Road." in reports.summarise(BY_KEY["pothole"], talk.tracker())


def test_the_correction_is_understood_even_when_nlu_marks_no_place(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("14 Station Road")
    talk.at_the_read_back()
    talk.say("no, it's mill rd")
    assert talk.slots["location"] == "14 Mill Road"
    assert talk.slots["report_confirmed"] is None


def test_a_correction_keeps_the_landmark(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("outside the Co-op on Station Road")
    talk.slots.update(requested_slot="defect_surface")
    talk.say("sorry, it's Mill Road not Station Road", entities=[{"entity": "location", "value": "Mill Road"}])
    assert talk.slots["location"] == "outside the Co-op on Mill Road"


def test_a_found_street_gives_the_case_its_usrn_and_position(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("by the bus stop on statoin rd")
    assert talk.slots["location"] == "by the bus stop on Station Road"
    case = reports.build_case(BY_KEY["pothole"], talk.tracker())
    street = services.gazetteer().by_usrn(case.usrn)
    assert street.name == "Station Road"
    assert (case.place_latitude, case.place_longitude) == (f"{street.latitude:.6f}", f"{street.longitude:.6f}")
    assert case.latitude is None and case.place_note is None


def test_a_place_outside_the_gazetteer_is_kept_as_typed_and_flagged(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("the alley behind the chip shop on Nowhere Street")
    assert talk.slots["location"] == "the alley behind the chip shop on Nowhere Street"
    assert talk.slots["requested_slot"] == "defect_surface"
    case = reports.build_case(BY_KEY["pothole"], talk.tracker())
    assert case.usrn is None and "not found in the council's gazetteer" in case.place_note


def test_a_forged_place_slot_is_not_believed(environment, make_tracker):
    forged = {"status": "found", "street": "Nowhere", "locality": "Mars", "usrn": "99999999",
              "latitude": "0", "longitude": "0"}
    tracker = make_tracker(user_event("yes", intent="affirm"), slots={"location": "x", "place": forged})
    case = reports.build_case(BY_KEY["pothole"], tracker)
    assert case.usrn is None and case.place_latitude is None


def test_finishing_stores_the_usrn_on_the_case(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("14 Station Road")
    talk.slots.update(defect_surface="road", defect_size="big", defect_danger=False, description="deep hole",
                      contact_consent=False, report_confirmed=True)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(user_event("yes", intent="affirm"), slots=talk.slots)
    asyncio.run(reports.ActionFinishReport().run(dispatcher, tracker, {}))
    [case] = services.case_store().for_conversation("resident-1")
    assert case.usrn == talk.slots["place"]["usrn"] and case.place_latitude and case.place_note is None


def test_without_a_gazetteer_places_are_kept_as_typed(environment, make_tracker, monkeypatch):
    monkeypatch.setenv("GAZETTEER_FILE", "")
    services.reset()
    talk = Conversation(make_tracker)
    talk.say("Mill Lane")
    assert talk.slots["location"] == "Mill Lane" and talk.slots["requested_slot"] == "defect_surface"
    assert reports.build_case(BY_KEY["pothole"], talk.tracker()).place_note is None


def test_a_street_with_one_postcode_gives_a_case_without_one_its_postcode(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("12 station rd")
    assert reports.build_case(BY_KEY["pothole"], talk.tracker()).postcode == "AN9 2SR"
    talk = Conversation(make_tracker)
    talk.say("mill lane an1")  # Mill Lane, Northfield has two postcodes: none is guessed
    assert reports.build_case(BY_KEY["pothole"], talk.tracker()).postcode is None


def test_a_forged_span_in_the_place_slot_does_not_break_the_choice(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("outside the Co-op on Mill Lane")
    talk.slots["place"] = {**talk.slots["place"], "span": ["x", None]}
    talk.say("Easton")
    assert talk.slots["location"] == "outside the Co-op on Mill Lane, Easton"
    assert talk.slots["place"]["usrn"] == "38000002"


def test_a_correction_at_another_question_is_understood_when_nlu_marks_no_place(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("Mill Road by the school")
    assert talk.slots["requested_slot"] == "defect_surface"
    talk.say("sorry, it's Station Road not Mill Road")  # no entity: the "road" in it is not the answer
    assert talk.slots["location"] == "Station Road by the school"
    assert talk.slots.get("defect_surface") is None and talk.slots["requested_slot"] == "defect_surface"
    assert talk.messages[0]["text"] == "Thanks, I've updated that."
    talk.say("it's the road")  # no correction words, no street: an answer
    assert talk.slots["defect_surface"] == "road"


FLYTIPPING = reports.VALIDATORS[[c.key for c in reports.CATEGORIES].index("flytipping")]


@pytest.mark.parametrize("text, expected", [
    ("actually it's on mill road not elm close", "Mill Road"),
    ("sorry wrong street, it's 4 station road", "4 Station Road"),
    ("sorry I meant Station Road", "Station Road"),
    ("it's Mill Road not Elm Close", "Mill Road"),
])
def test_a_place_put_right_at_a_free_text_question_is_the_place_not_the_answer(
        environment, make_tracker, text, expected):
    talk = Conversation(make_tracker, form="flytipping_form", validator=FLYTIPPING)
    talk.say("Elm Close")
    assert talk.slots["requested_slot"] == "description"
    talk.say(text)
    assert talk.slots["location"].startswith(expected) and talk.slots["place"]["street"] != "Elm Close"
    assert talk.slots.get("description") is None and talk.slots["requested_slot"] == "description"
    assert talk.messages[0]["text"] == "Thanks, I've updated that."


@pytest.mark.parametrize("text", [
    "sorry it's a sofa not a mattress",  # no street
    "actually the bags are from the shop on mill road",  # a street, but not put right: part of the answer
    "sorry, it's still on elm close, three bags",  # the same street
    "a fridge and two mattresses dumped on the corner by mill road, they have been there since last week",
])
def test_a_free_text_answer_naming_a_street_is_still_the_answer(environment, make_tracker, text):
    talk = Conversation(make_tracker, form="flytipping_form", validator=FLYTIPPING)
    talk.say("Elm Close")
    talk.say(text)
    assert talk.slots["description"] == text and talk.slots["location"].startswith("Elm Close")


def test_a_locality_given_for_the_postcode_says_which_street(environment, make_tracker):
    talk = Conversation(make_tracker, form="missed_bin_form", validator=MISSED_BIN)
    talk.say("Mill Lane")
    assert talk.slots["requested_slot"] == "postcode"
    talk.say("northfield")  # Mill Lane, Northfield has two postcodes: still asked, not "doesn't look like a postcode"
    assert talk.slots["place"]["usrn"] == "38000001" and talk.slots["location"] == "Mill Lane, Northfield"
    assert talk.slots["requested_slot"] == "postcode" and talk.messages[0]["text"] == "Thanks, I've updated that."
    assert talk.slots.get(reports.FAILED_SLOT) is None
    easton = Conversation(make_tracker, form="missed_bin_form", validator=MISSED_BIN)
    easton.say("Mill Lane")
    easton.say("it's in Easton")  # one postcode there: not asked at all
    assert easton.slots["place"]["usrn"] == "38000002" and easton.slots["postcode"] == "AN4 2LP"
    assert easton.slots["requested_slot"] not in ("postcode", "location_choice")


def test_a_new_house_number_corrects_the_place_at_another_question(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("14 Station Road")
    assert talk.slots["requested_slot"] == "defect_surface"
    talk.say("actually it's 16 not 14")
    assert talk.slots["location"] == "16 Station Road" and talk.slots["place"]["house"] == "16"
    assert talk.slots.get("defect_surface") is None and talk.slots["requested_slot"] == "defect_surface"
    assert talk.messages[0]["text"] == "Thanks, I've updated that."


def test_a_new_house_number_at_the_read_back_is_read_back_again(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("14 Station Road")
    talk.at_the_read_back()
    talk.say("no sorry, it's number 16")
    assert talk.slots["location"] == "16 Station Road" and talk.slots["report_confirmed"] is None
    assert talk.slots["requested_slot"] == "report_confirmed"
    assert "pothole or damaged path at 16 Station Road." in reports.summarise(BY_KEY["pothole"], talk.tracker())


def test_a_bare_number_or_a_phone_number_is_not_taken_for_a_house(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("14 Station Road")
    talk.say("actually 2")  # may answer a numbered question: the place stays
    talk.say("sorry, number 0161 496 0000")
    talk.say("sorry, 16 not 12")  # the place has no number 12
    assert talk.slots["location"] == "14 Station Road"


def test_a_street_in_the_first_message_is_found_when_nlu_marks_none(environment, make_tracker):
    tracker = make_tracker(user_event("My green bin wasn't emptied on Mill Lane AN1 4GT this week",
                                      intent="report_missed_bin",
                                      entities=[{"entity": "postcode", "value": "AN1 4GT"}]), form="missed_bin_form")
    slots, _ = run(MISSED_BIN, tracker)
    assert slots["location"] == "Mill Lane, Northfield" and slots["place"]["usrn"] == "38000001"
    # "The Green" is a street, but not in "the green bin wasn't emptied".
    tracker = make_tracker(user_event("the green bin wasn't emptied", intent="report_missed_bin"), form="missed_bin_form")
    slots, _ = run(MISSED_BIN, tracker)
    assert slots.get("location") is None and slots["requested_slot"] == "location"


def test_the_which_locality_question_is_worded_in_the_conversations_language(environment, monkeypatch, make_tracker):
    from bot import messages

    monkeypatch.setenv("COUNCIL_LANGUAGES", "cy,en")
    services.reset()
    talk = Conversation(make_tracker)
    talk.say("Mill Lane")
    dispatcher = CollectingDispatcher()
    asyncio.run(places.ActionAskLocationChoice().run(
        dispatcher, make_tracker(user_event("Mill Lane"), slots={**talk.slots, "language": "cy"}), {}))
    [question] = dispatcher.messages
    assert question["localities"] == messages.text("place.localities", "cy", some="Northfield", last="Easton")
    assert question["buttons"][-1] == {"title": messages.text("place.not_sure", "cy"), "payload": "not sure"}


@pytest.mark.parametrize("text, location, plain, expected", [
    ("actually it's 16 not 14", "14 Mill Lane, Northfield", False, "16 Mill Lane, Northfield"),
    ("sorry, not 14, 16", "14 Mill Lane", False, "16 Mill Lane"),
    ("not 14 but 16", "14 Mill Lane", False, "16 Mill Lane"),
    ("sorry it's no. 16a", "14 Mill Lane", False, "16a Mill Lane"),
    ("sori, rhif 16 nid 14", "14 Heol y Bont", False, "16 Heol y Bont"),
    ("sorry, number 16", "Mill Lane", True, "16 Mill Lane"),  # a plain street takes the number
    ("sorry, number 16", "outside the Co-op on Mill Lane", False, None),  # a landmark does not
    ("16 not 14", "16 Mill Lane", False, None),  # nothing changes
    ("actually 2", "14 Mill Lane", False, None),
    ("sorry, number 0161 496 0000", "14 Mill Lane", False, None),
    ("sorry, it's number 16", None, False, None),
])
def test_corrected_house_number(text, location, plain, expected):
    assert places.corrected_house_number(text, location, plain) == expected


def test_a_house_on_a_street_the_gazetteer_does_not_know_is_kept_as_typed(environment, make_tracker):
    """Not only its postcode: the house number is what the crew needs."""
    tracker = make_tracker(user_event("hi my bins wasnt emptied again!! 3rd time this month. 22 kingsley terrace AN3 5TR",
                                      intent="report_missed_bin",
                                      entities=[{"entity": "postcode", "value": "AN3 5TR"}]), form="missed_bin_form")
    slots, _ = run(MISSED_BIN, tracker)
    assert slots["location"] == "22 Kingsley Terrace" and slots["postcode"] == "AN3 5TR"
    assert slots["place"]["status"] == places.NOT_FOUND  # flagged for staff as not in the gazetteer


def test_an_unknown_street_typed_in_lower_case_is_read_back_capitalised(environment, make_tracker):
    talk = Conversation(make_tracker)
    talk.say("outside no 12 foxglove way")  # as the NLU marks it: the whole answer is the place
    assert talk.slots["location"] == "outside no 12 Foxglove Way"
    assert talk.slots["place"]["status"] == places.NOT_FOUND
    talk = Conversation(make_tracker)
    talk.say("by the old mill, 12 foxglove WAY")  # typed with capitals: kept as the resident wrote it
    assert talk.slots["location"] == "by the old mill, 12 foxglove WAY"


@pytest.mark.parametrize("value, expected", [
    ("no 12 foxglove way", "no 12 Foxglove Way"),
    ("the corner by 3 old mill close", "the corner by 3 Old Mill Close"),
    ("elm park", "Elm Park"),
    ("old foxglove way", "Old Foxglove Way"),
    ("the park", None),
    ("by the shops", None),
    ("park", None),
    ("behind the garages", None),
    ("12 Foxglove way", None),
])
def test_unknown_street_capitalised(value, expected):
    assert places.unknown_street_capitalised(value) == expected


@pytest.mark.parametrize("text, expected", [
    ("my bin wasnt emptied, 22 kingsley terrace AN3 5TR", "22 Kingsley Terrace"),
    ("car parked outside 5 acacia ave for weeks", "5 Acacia Ave"),
    ("2 black sacks dumped by 4 cedar court", "4 Cedar Court"),
    ("been there 12 months on the road", None),
    ("I have 2 big green bins at the back", None),
    ("at least 3 weeks now", None),
    ("07700 900123 is my number", None),
])
def test_address_as_typed(text, expected):
    assert places.address_as_typed(text) == expected


def test_a_place_the_nlu_starts_mid_street_is_widened_to_the_whole_street(environment, make_tracker):
    """The CRF gave "lane and station road" for "... the corner of mill lane and station road":
    read back as "lane and Station Road", with Mill Lane (in two localities) lost."""
    text = "the lights out on the corner of mill lane and station road"
    tracker = make_tracker(user_event(text, intent="report_pothole",
                                      entities=[{"entity": "location", "value": "lane and station road"}]),
                           form="pothole_form")
    slots, _ = run(POTHOLE, tracker)
    assert slots["location"] == "mill lane and station road"
    assert slots["place"]["status"] == places.AMBIGUOUS and slots["requested_slot"] == places.CHOICE_SLOT


@pytest.mark.parametrize("text, value, expected", [
    ("the lights out on the corner of mill lane and station road", "lane and station road",
     "mill lane and station road"),
    ("bins not emptied at 14 mill lane an1", "lane", "mill lane"),
    ("pothole on Mill Lane", "Mill Lane", "Mill Lane"),
    ("outside the co-op on station road", "station road", "station road"),
    ("fly tipping on holt road", "road", "road"),  # not a street the gazetteer knows
    # The entity extractor gave "Elm Close" for "12 Elm Close" (and "14 Mill Lane" whole): the noise
    # report was read back "at Elm Close", its house lost (seen hand-trying).
    ("12 Elm Close", "Elm Close", "12 Elm Close"),
    ("no. 7b, Elm Close", "Elm Close", "no. 7b, Elm Close"),
    ("flat 3, 12 Elm Close", "12 Elm Close", "12 Elm Close"),
    ("been there since 2019 Elm Close", "Elm Close", "Elm Close"),  # a year is no house number
])
def test_whole_place(text, value, expected):
    assert places.whole_place(text, value) == expected


def test_a_house_number_the_entity_left_out_is_kept_in_the_answer(environment, make_tracker):
    tracker = make_tracker(user_event("12 Elm Close", intent="inform",
                                      entities=[{"entity": "location", "value": "Elm Close"}]),
                           form="pothole_form", slots={"requested_slot": "location"})
    slots, _ = run(POTHOLE, tracker)
    assert slots["location"].startswith("12 Elm Close")


def test_a_locality_named_in_the_first_message_settles_which_street(environment, make_tracker):
    text = "there is graffiti all over the bus shelter on Mill Lane Easton, rude words"
    tracker = make_tracker(user_event(text, intent="report_graffiti",
                                      entities=[{"entity": "location", "value": "the bus shelter on Mill Lane"}]),
                           form="graffiti_form")
    slots, _ = run(reports.VALIDATORS[[c.key for c in reports.CATEGORIES].index("graffiti")], tracker)
    assert slots["place"]["usrn"] == "38000002" and slots["requested_slot"] != places.CHOICE_SLOT
    # Both named, or neither: the resident is asked.
    for text in ("graffiti on Mill Lane, not sure if Easton or Northfield", "graffiti on Mill Lane"):
        tracker = make_tracker(user_event(text, intent="report_graffiti",
                                          entities=[{"entity": "location", "value": "Mill Lane"}]), form="graffiti_form")
        slots, _ = run(reports.VALIDATORS[[c.key for c in reports.CATEGORIES].index("graffiti")], tracker)
        assert slots["requested_slot"] == places.CHOICE_SLOT, text


@pytest.mark.parametrize("text, expected", [
    ("there's a pothole outside number 4", "4"),
    ("at no. 12b", "12b"),
    ("twll y tu allan i rif 4", None),  # mutated "rhif": not read as one
    ("twll tu allan i rhif 7", "7"),
    ("been there 12 months", None),
])
def test_named_house_number(text, expected):
    assert places.named_house_number(text) == expected

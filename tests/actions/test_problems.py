"""Several problems in one message: splitting it by the NLU's further_problem spans."""

from actions import problems
from tests.conftest import user_event

TEXT = "My bin wasn't collected on Mill Lane and also the street light on Station Road AN1 4GT is flickering"


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def _parsed(text: str, intent: str, *entities: tuple[str, str, str]) -> dict:
    """Parse data with (entity, value, the words it spans) entities, as the NLU gives them."""
    return user_event(text, intent=intent, entities=[
        {"entity": name, "value": value, "start": _span(text, words)[0], "end": _span(text, words)[1]}
        for name, value, words in entities
    ])["parse_data"]


def two_problem_message(text: str = TEXT) -> dict:
    """Parse data as the NLU's SeveralProblems component marks a second problem."""
    further = "the street light on Station Road AN1 4GT is flickering"
    s, e = _span(text, further)
    ms, me = _span(text, "Mill Lane")
    ss, se = _span(text, "Station Road")
    ps, pe = _span(text, "AN1 4GT")
    return user_event(text, intent="report_missed_bin", entities=[
        {"entity": "location", "value": "Mill Lane", "start": ms, "end": me, "extractor": "CRFEntityExtractor"},
        {"entity": "further_problem", "value": "report_streetlight", "start": s, "end": e,
         "extractor": "SeveralProblems"},
        {"entity": "location", "value": "Station Road", "start": ss, "end": se, "extractor": "CRFEntityExtractor"},
        {"entity": "postcode", "value": "AN1 4GT", "start": ps, "end": pe, "extractor": "RegexEntityExtractor"},
    ])


def test_each_problem_keeps_its_own_place():
    first, further = problems.split(two_problem_message()["parse_data"])
    assert [(e["entity"], e["value"]) for e in first["entities"]] == [("location", "Mill Lane")]
    assert first["text"] == "My bin wasn't collected on Mill Lane"
    assert further == [{"intent": "report_streetlight", "text": "the street light on Station Road AN1 4GT is flickering",
                        "location": "Station Road", "postcode": "AN1 4GT", "entities": []}]


def test_a_message_with_one_problem_is_unchanged():
    message = user_event("pothole on Mill Lane", intent="report_pothole")["parse_data"]
    assert problems.split(message) == (message, [])


def test_a_further_problem_we_cannot_report_or_a_broken_span_is_ignored():
    text = "pothole on Mill Lane and what day is my bin"
    s, e = _span(text, "what day is my bin")
    message = user_event(text, intent="report_pothole", entities=[
        {"entity": "further_problem", "value": "bin_day_enquiry", "start": s, "end": e},
        {"entity": "further_problem", "value": "report_graffiti", "start": 5, "end": 500},
    ])["parse_data"]
    first, further = problems.split(message)
    assert further == []
    assert first["text"] == "pothole on Mill Lane"


def test_a_further_problem_keeps_the_word_that_placed_it():
    # The entity extractor leaves "by" out of "by the bus stop on Station Road": the offer
    # said "a street light fault on the bus stop on Station Road".
    text = "Rubbish dumped on Mill Lane. Also the street light by the bus stop on Station Road is out"
    further = "the street light by the bus stop on Station Road is out"
    s, e = _span(text, further)
    ls, le = _span(text, "the bus stop on Station Road")
    message = user_event(text, intent="report_flytipping", entities=[
        {"entity": "further_problem", "value": "report_streetlight", "start": s, "end": e},
        {"entity": "location", "value": "the bus stop on Station Road", "start": ls, "end": le},
    ])["parse_data"]
    (problem,) = problems.split(message)[1]
    assert problems.place_phrase(problem) == " by the bus stop on Station Road"
    # "next to" is two words; a place with no such word before it reads as before.
    assert problems.place_phrase({"location": "the school", "preposition": "next to"}) == " next to the school"
    assert problems.place_phrase({"location": "the school"}) == " at the school"
    # A hand-made slot value with an unknown word is not read back.
    assert problems.place_phrase({"location": "Station Road", "preposition": "<b>"}) == " on Station Road"
    # In Welsh the place stays in brackets.
    assert problems.place_phrase({"location": "the bus stop", "preposition": "by"}, "cy") == " (the bus stop)"


def test_a_further_problem_keeps_the_word_before_its_own_place_of_several():
    # NLU marked "recycling" (in "next to the recycling bins") and "the Co-op" as places; the
    # part's place is the last, and the word before the first was taken: "fly-tipping on the Co-op".
    text = ("The lamp post by the bus stop on Station Road is flashing. Also there's a load of black bags "
            "dumped next to the recycling bins behind the Co-op. Many thanks, Sue")
    message = _parsed(text, "report_streetlight",
                      ("further_problem", "report_flytipping",
                       "Also there's a load of black bags dumped next to the recycling bins behind the Co-op."),
                      ("location", "recycling", "recycling"), ("location", "the Co-op", "the Co-op"))
    (problem,) = problems.split(message)[1]
    assert problems.place_phrase(problem) == " behind the Co-op"
    # Its details, as staff read them: without "Also" and the sign-off.
    assert problem["text"] == "there's a load of black bags dumped next to the recycling bins behind the Co-op."


def test_place_phrases_read_naturally():
    assert problems.place_phrase({"location": "Station Road"}) == " on Station Road"
    assert problems.place_phrase({"location": "12 Mill Lane"}) == " at 12 Mill Lane"
    assert problems.place_phrase({"location": "outside the Co-op"}) == " outside the Co-op"
    assert problems.place_phrase({"location": "the Co-op"}) == " at the Co-op"
    assert problems.place_phrase({"location": "the bus stop on Station Road"}) == " at the bus stop on Station Road"
    assert problems.place_phrase({"location": "the High Street"}) == " on the High Street"
    assert problems.place_phrase({"location": "the Avenue by the park"}) == " on the Avenue by the park"
    assert problems.place_phrase({"postcode": "AN1 4GT"}) == " at AN1 4GT"
    assert problems.place_phrase({"location": None}) == ""
    # Welsh: no English preposition inside a Welsh sentence.
    assert problems.place_phrase({"location": "Station Road"}, "cy") == " (Station Road)"
    assert problems.place_phrase({"location": None}, "cy") == ""


def test_the_further_problem_may_come_first_in_the_text():
    text = "My green bin wasn't emptied on Mill Lane this week and also the street light outside 5 Station Road flickers"
    message = _parsed(text, "report_streetlight",
                      ("further_problem", "report_missed_bin", "My green bin wasn't emptied on Mill Lane this week"),
                      ("bin_type", "green bin", "green bin"), ("location", "Mill Lane", "Mill Lane"),
                      ("location", "5 Station Road", "5 Station Road"))
    first, further = problems.split(message)
    assert first["text"] == "the street light outside 5 Station Road flickers"
    assert [e["value"] for e in first["entities"]] == ["5 Station Road"]
    assert further == [{"intent": "report_missed_bin", "text": "My green bin wasn't emptied on Mill Lane this week",
                        "location": "Mill Lane", "postcode": None,
                        "entities": [{"entity": "bin_type", "value": "green bin"}]}]
    assert problems.as_message(further[0])["entities"] == [{"entity": "location", "value": "Mill Lane"},
                                                          {"entity": "bin_type", "value": "green bin"}]


def test_a_further_problem_without_a_marked_place_gets_the_street_the_gazetteer_finds(environment):
    message = two_problem_message()["parse_data"]
    message["entities"] = [e for e in message["entities"] if e["value"] != "Station Road"]  # NLU missed it
    _first, [further] = problems.split(message)
    assert further["location"] == "Station Road"


def _first_then(text: str, first_place: str, further: str, intent: str = "report_pothole", postcode: str = "") -> dict:
    s, e = _span(text, further)
    ls, le = _span(text, first_place)
    entities = [{"entity": "location", "value": first_place, "start": ls, "end": le},
                {"entity": "further_problem", "value": intent, "start": s, "end": e}]
    if postcode:
        ps, pe = _span(text, postcode)
        entities.append({"entity": "postcode", "value": postcode, "start": ps, "end": pe})
    return user_event(text, intent="report_missed_bin", entities=entities)["parse_data"]


def test_a_further_problem_placed_by_a_house_number_is_on_the_first_problems_street(environment):
    text = "The bins at 12 Ash Grove weren't collected and there's a pothole outside number 4"
    _first, [further] = problems.split(_first_then(text, "12 Ash Grove", "there's a pothole outside number 4"))
    assert (further["location"], further["postcode"]) == ("4 Ash Grove", None)


def test_a_further_problem_on_the_same_road_takes_the_first_problems_street_and_postcode(environment):
    text = "bin not emptied at 12 Mill Lane AN1 4GT, also a pothole on the same road"
    _first, [further] = problems.split(
        _first_then(text, "12 Mill Lane", "a pothole on the same road", postcode="AN1 4GT"))
    assert (further["location"], further["postcode"]) == ("Mill Lane", "AN1 4GT")


def test_a_further_problem_that_points_nowhere_is_still_asked_where(environment):
    for further_text in ("there's a massive pothole on the way to school", "a pothole at number 4"):
        text = f"The bins weren't collected and {further_text}"
        message = user_event(text, intent="report_missed_bin", entities=[
            {"entity": "further_problem", "value": "report_pothole", "start": text.index(further_text),
             "end": len(text)}])["parse_data"]
        _first, [further] = problems.split(message)
        assert further["location"] is None, further_text  # the first problem named no street either


def test_a_further_problem_on_the_reports_street_takes_the_locality_the_resident_chose():
    # "Mill Lane in Northfield or in Easton?" had been asked again for the pothole at 12 Mill Lane.
    place = {"street": "Mill Lane", "locality": "Northfield"}
    pending = [{"intent": "report_pothole", "location": "12 Mill Lane"},
               {"intent": "report_streetlight", "location": "Station Road"},
               {"intent": "report_graffiti", "location": "Mill Lane, Northfield"},
               {"intent": "report_litter", "location": None}]
    placed = problems.with_the_reports_locality(pending, place)
    assert [p["location"] for p in placed] == ["12 Mill Lane, Northfield", "Station Road", "Mill Lane, Northfield", None]
    # Street-type words in any form, but no misspelling allowance: Hill Lane is another street.
    others = [{"intent": "report_pothole", "location": "outside 14 mill ln"},
              {"intent": "report_pothole", "location": "Hill Lane"}]
    assert [p["location"] for p in problems.with_the_reports_locality(others, place)] == [
        "outside 14 mill ln, Northfield", "Hill Lane"]
    assert problems.with_the_reports_locality(pending, None) == pending
    assert problems.with_the_reports_locality(pending, {"street": "Mill Lane"}) == pending

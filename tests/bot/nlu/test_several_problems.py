"""Messages are cut into the parts that may each report a problem."""

import pytest

from bot.nlu.several_problems import is_problem_intent, parts, split_at_and, tells_of_a_problem_put_right


def _texts(text):
    return [text[b:e] for b, e in parts(text)]


def test_sentences_and_also_start_new_parts():
    assert _texts("The bin was not emptied on Mill Lane. Also the street light outside number 12 flickers all night") == [
        "The bin was not emptied on Mill Lane.", "Also the street light outside number 12 flickers all night"]
    assert _texts("my recycling wasnt collected this week and also the street light on station road is flickering") == [
        "my recycling wasnt collected this week", "and also the street light on station road is flickering"]


def test_a_comma_then_and_with_a_new_subject_starts_a_new_part():
    # Read whole, a van and a street light came out as an even question between them.
    text = "there's a white van been dumped on elm close for 2 weeks, and the street light outside no 6 is out"
    assert _texts(text) == ["there's a white van been dumped on elm close for 2 weeks",
                            "and the street light outside no 6 is out"]
    assert _texts("mae fan wedi'i gadael ar Elm Close ers pythefnos, ac mae'r golau stryd wedi torri") == [
        "mae fan wedi'i gadael ar Elm Close ers pythefnos", "ac mae'r golau stryd wedi torri"]
    # Without a comma, or before something that is not a new subject, "and" does not cut.
    assert len(parts("the light is out and the pole is leaning over the road")) == 1
    assert len(parts("bins not collected on Mill Lane, and not for the first time either")) == 1


def test_short_pieces_join_their_neighbour():
    assert _texts("Bins missed. Again!") == ["Bins missed. Again!"]
    text = "Hi. Black bin not collected at 4 ash road, third time. Please sort it. Thanks"
    assert _texts(text) == [text]


def test_spans_point_into_the_message():
    text = "Pothole on Elm Road is getting deeper; plus the lamp by the school is out every night"
    spans = parts(text)
    assert len(spans) == 2 and all(0 <= b < e <= len(text) for b, e in spans)


def test_only_reports_and_requests_are_problems():
    assert is_problem_intent("report_streetlight") and is_problem_intent("request_bulky_waste")
    assert not is_problem_intent("thank") and not is_problem_intent("faq") and not is_problem_intent("case_status")


@pytest.mark.parametrize("part", [
    "Last year you fixed the pothole outside our house very quickly, thank you for that.",
    "The graffiti on the bridge was removed in the spring.",
    "Thanks for sorting the street light last month.",
    "They repaired the fence by the school in June.",
])
def test_a_problem_put_right_is_history(part):
    assert tells_of_a_problem_put_right(part)


@pytest.mark.parametrize("part", [
    "The pothole on Mill Lane was fixed in May but it has opened up again.",
    "The dog waste bin was removed last year and now there's mess all along the path.",
    "The light was repaired and it's still flickering.",
    "The street light outside number 12 flickers all night.",
    "My bin wasn't collected.",
])
def test_a_problem_that_is_back_or_never_put_right_is_not_history(part):
    assert not tells_of_a_problem_put_right(part)


def test_welsh_words_for_also_and_another_thing_start_new_parts():
    text = "mae'r bin ailgylchu heb ei gasglu ar Mill Lane ac hefyd mae golau stryd wedi torri ar Station Road"
    assert _texts(text) == ["mae'r bin ailgylchu heb ei gasglu ar Mill Lane",
                            "ac hefyd mae golau stryd wedi torri ar Station Road"]
    assert _texts("mae'r golau wedi torri ers wythnos, peth arall, mae sbwriel wedi'i adael ar y gornel") == [
        "mae'r golau wedi torri ers wythnos", "peth arall, mae sbwriel wedi'i adael ar y gornel"]
    # "hefyd" at the end of a clause ("broken too") is not a new subject.
    assert _texts("mae'r bin wedi torri hefyd") == ["mae'r bin wedi torri hefyd"]


def _cuts(text):
    return [[text[b:e] for b, e in halves] for halves in split_at_and(text, (0, len(text)))]


def test_and_without_a_comma_before_a_new_subject_is_only_a_candidate_cut():
    # Typed without commas; the classifier cuts here only if both sides report different problems.
    assert _cuts("the bins werent emptied on tues and the streetlight by the post box is out") == [
        ["the bins werent emptied on tues", "the streetlight by the post box is out"]]
    assert _cuts("mae'r bin heb ei gasglu ers dydd Llun ac mae'r golau stryd wedi torri") == [
        ["mae'r bin heb ei gasglu ers dydd Llun", "mae'r golau stryd wedi torri"]]
    # Each side must be long enough to be a problem of its own; "and" before anything else is no cut.
    assert _cuts("bin missed and the light is out") == []
    assert _cuts("the drain is blocked and smells really bad in the heat") == []

"""The trained intent classifier on messages written the way residents write (not from any dev set)."""

import asyncio

import pytest
from rasa.core.agent import Agent

from bot.model import ensure_model


@pytest.fixture(scope="module")
def agent() -> Agent:
    return Agent.load(str(ensure_model()))


def _parse(agent, text):
    return asyncio.run(agent.parse_message(text))


@pytest.mark.parametrize("text, intent", [
    # Courtesy around a report does not decide the intent (issue 11's examples, reworded).
    ("Hi there, I think our bin got missed by mistake this morning. Please could someone come back for it", "report_missed_bin"),
    ("my recycling wasnt collected this week", "report_missed_bin"),
    ("Hello, a sofa and two mattresses have been left on the verge by the garages on Holt Road. Many thanks", "report_flytipping"),
    ("the light by number 12 flickers all night then goes off, third time I've reported it", "report_streetlight"),
    ("Silver car parked on Ribble Close since March, flat tyres and no tax", "report_abandoned_vehicle"),
    ("thanks very much", "thank"),
    ("hello", "greet"),
])
def test_reports_in_residents_own_words(agent, text, intent):
    assert _parse(agent, text)["intent"]["name"] == intent


def test_the_ranking_has_calibrated_confidences(agent):
    ranking = _parse(agent, "pothole outside 14 Mill Lane")["intent_ranking"]
    assert ranking[0]["name"] == "report_pothole"
    assert 0.5 < ranking[0]["confidence"] <= 1.0
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 0.2  # the top ten of a distribution


def test_a_second_problem_in_the_message_is_found_with_its_span(agent):
    text = "My black bin wasn't emptied on Mill Lane this week. Also the street light outside number 12 Station Road flickers all night"
    parsed = _parse(agent, text)
    assert parsed["intent"]["name"] == "report_missed_bin"
    further = [e for e in parsed["entities"] if e["entity"] == "further_problem"]
    assert [e["value"] for e in further] == ["report_streetlight"]
    assert text[further[0]["start"]:further[0]["end"]].startswith("Also the street light")


@pytest.mark.parametrize("text", [
    "Black bags dumped by the garages on Holt Road, third time this month. Please remove them",
    "Pothole on Elm Road is getting deeper and deeper. It has been there for weeks and nobody has filled it",
])
def test_one_problem_told_at_length_is_one_problem(agent, text):
    parsed = _parse(agent, text)
    assert not [e for e in parsed["entities"] if e["entity"] == "further_problem"]

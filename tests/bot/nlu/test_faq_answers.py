"""FAQ answers (bot/nlu/faq_answers.py): chosen for FAQ messages only, with the trained model."""

import asyncio

import pytest
from rasa.core.agent import Agent

from bot import messages
from bot.model import ensure_model


@pytest.fixture(scope="module")
def agent() -> Agent:
    return Agent.load(str(ensure_model()))


def test_a_faq_gets_its_answer(agent):
    parsed = asyncio.run(agent.parse_message("how do I pay my council tax"))
    assert parsed["intent"]["name"] == "faq"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/council_tax"


@pytest.mark.parametrize("text", ["my bin wasn't collected", "massive pothole on Mill Lane", "hello"])
def test_other_messages_skip_the_selector(agent, text):
    parsed = asyncio.run(agent.parse_message(text))
    assert parsed["intent"]["name"] != "faq"
    assert "faq" not in (parsed.get("response_selector") or {})




@pytest.mark.parametrize("text", [
    "we've got mice in the kitchen cupboards, can you send someone",
    "how much to get a wasps nest removed",
    "mae llygod mawr yn yr ardd gefn",
])
def test_pests_at_home_get_the_pest_control_answer(agent, text):
    parsed = asyncio.run(agent.parse_message(text))
    assert parsed["intent"]["name"] == "faq"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/pest_control"


@pytest.mark.parametrize("text", [
    "rats all round the bins at the council flats on Mill Lane",
    "button.report_pests_outside.says:en",  # what the pest control answer's button sends
    "button.report_pests_outside.says:cy",
])
def test_pests_outside_are_a_report(agent, text):
    if text.startswith("button."):
        key, language = text.rsplit(":", 1)
        text = messages.text(key, language)
    parsed = asyncio.run(agent.parse_message(text))
    assert parsed["intent"]["name"] == "report_other_problem", parsed["intent_ranking"][:3]


def test_rats_by_a_home_are_pests_not_an_emergency(agent):
    """Was read as an emergency: the 999 line, then handed to staff. The alley may be anyone's, so the
    pest control answer (with its button to report pests outside) or a report will both do."""
    parsed = asyncio.run(agent.parse_message("there are rats in the alley behind my house"))
    assert parsed["intent"]["name"] in ("faq", "report_other_problem"), parsed["intent_ranking"][:3]


def test_the_answer_is_where_rasas_retrieval_actions_read_it(agent):
    """Same shape as Rasa's ResponseSelector output: utter action, responses, confidence, ranking."""
    selector = asyncio.run(agent.parse_message("when is the tip open"))["response_selector"]
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["faq"]["response"]
    assert response["utter_action"] == f"utter_{response['intent_response_key']}"
    assert response["intent_response_key"].startswith("faq/")
    assert response["responses"] and "text" in response["responses"][0]
    assert 0 < response["confidence"] <= 1
    ranking = selector["faq"]["ranking"]
    assert ranking[0]["intent_response_key"] == response["intent_response_key"]
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)

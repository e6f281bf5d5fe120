"""FaqResponseSelector: answers are chosen for FAQ messages only, with the trained model."""

import asyncio

import pytest
from rasa.core.agent import Agent

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

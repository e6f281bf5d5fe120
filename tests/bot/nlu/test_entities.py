"""Places, bin types and dates come out of the trained model (CRFEntityExtractor and regexes)."""

import asyncio

import pytest
from rasa.core.agent import Agent

from bot.model import ensure_model


@pytest.fixture(scope="module")
def agent() -> Agent:
    return Agent.load(str(ensure_model()))


@pytest.mark.parametrize("text, entity, value, extractor", [
    ("my black bin was missed", "bin_type", "black bin", "CRFEntityExtractor"),
    ("massive pothole on Mill Lane", "location", "Mill Lane", "CRFEntityExtractor"),
    ("bins not collected on AN1 4GT", "postcode", "AN1 4GT", "RegexEntityExtractor"),
])
def test_the_model_finds_entities(agent, text, entity, value, extractor):
    entities = asyncio.run(agent.parse_message(text))["entities"]
    assert (entity, value, extractor) in [(e["entity"], e["value"], e["extractor"]) for e in entities]

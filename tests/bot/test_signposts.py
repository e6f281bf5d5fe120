"""Out-of-scope messages get the right place to go, and every signpost is a real response."""

import pytest
import yaml

from bot import signposts
from bot.settings import PROJECT_ROOT


@pytest.mark.parametrize("text,topic", [
    ("how do I apply for universal credit", "benefits"),
    ("my PIP payment hasn't arrived", "benefits"),
    ("I need to renew my passport", "passport"),
    ("can I get a GP appointment", "health"),
    ("where is the nearest NHS dentist", "health"),
    ("I want to report a burglary", "police"),
    ("people dealing drugs on the corner every night", "police"),
    ("there's a drug dealer selling from a car outside the school", "police"),
    ("my van got broken into last night", "police"),
    ("mae pobl yn gwerthu cyffuriau ar y gornel", "police"),
    ("my bin was broken", None),  # broken, but nothing broken into
    ("I'm worried her partner is controlling and abusive, she's not allowed out", "safeguarding"),
    ("I think the old man next door is being neglected by his carers", "safeguarding"),
    ("dw i'n poeni bod plentyn drws nesa yn cael ei gam-drin", "safeguarding"),
    ("my brother has gone missing and his phone is off", "police"),
    ("my landlord won't give my deposit back", "dispute"),
    ("I'd like to make a freedom of information request", "foi"),
    ("how do I tax my car, road tax", "driving"),
    ("there's a power cut on our street", "power"),
    ("burst water main on the high street", "water"),
    ("no water coming out of my taps since this morning", "water"),
    ("my water bill has gone up again", "water"),
    ("mae pibell ddŵr wedi byrstio ar y stryd", "water"),
    ("are you a real person?", "assistant"),
    ("is this a robot", "assistant"),
    ("wyt ti'n berson go iawn?", "assistant"),
    ("is this a real pothole report", None),
    ("what's the weather like", None),
    ("tell me a joke", None),
])
def test_topic_is_read_from_the_words(text, topic):
    found, response = signposts.signpost_for(text)
    assert found == topic
    assert response == (signposts.GENERAL_RESPONSE if topic is None else dict(
        (t, r) for t, _, r in signposts.TOPICS)[topic])


@pytest.mark.parametrize("text, expected", [
    ("how long will it take to fix?", "utter_after_reporting"),
    ("what happens now", "utter_after_reporting"),
    ("how long does a passport take", "utter_signpost_passport"),  # a signpost's topic first
    ("how long is a piece of string, tell me a joke, I am bored, anything at all really", "utter_out_of_scope"),
])
def test_a_question_about_what_follows_a_report_gets_that_answer(text, expected):
    assert signposts.signpost_for(text)[1] == expected


def test_every_signpost_is_a_domain_response():
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
    for _, _, response in signposts.TOPICS:
        assert response in responses, response
    assert signposts.GENERAL_RESPONSE in responses and signposts.AFTER_REPORTING[1] in responses


async def test_out_of_scope_action_answers_with_the_signpost(make_tracker, environment):
    from rasa_sdk.executor import CollectingDispatcher

    from actions.scope import ActionOutOfScope
    from tests.conftest import user_event

    dispatcher = CollectingDispatcher()
    await ActionOutOfScope().run(dispatcher, make_tracker(user_event("universal credit help", "out_of_scope")), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_signpost_benefits"]


@pytest.mark.parametrize("text, fault", [
    ("water pouring out of the ground on the pavement, think its a burst pipe", True),
    ("there's a water leak in the road outside number 8, been running for days", True),
    ("dim dŵr o'r tap ers y bore", True),
    # The council's: water through a ceiling (a housing repair), a flooded road (a drain).
    ("water coming through my ceiling from the flat above", False),
    ("the road is flooded every time it rains", False),
    # A burst pipe at home: a council tenant's housing repair.
    ("burst pipe under the sink in my council flat, water everywhere", False),
    ("mae pibell wedi byrstio yn fy fflat", False),
    ("water pouring out of the ground outside my house, must be a burst main", True),
    # A report that names the company whose works left a hole is still a report.
    ("the Thames Water meter cover in the pavement is missing and someone will trip", False),
    ("the road was dug up by the water company and the patch has sunk", False),
])
def test_only_a_water_fault_itself_is_sent_to_the_water_company_by_the_nlu_rule(text, fault):
    assert signposts.names_a_water_supply_fault(text) is fault

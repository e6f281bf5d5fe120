"""Keyboard mash is not understood, whatever the model makes of it (bot/nlu/keyboard_mash.py)."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.keyboard_mash import KeyboardMashClassifier, is_mash


@pytest.mark.parametrize("text", ["asdf", "asdf jkl;", "lkjhg fdsa", "poiuytr", "xcvbnm asdfg", "zxcvb", "qwerty",
                                  "ghjk", "mnbvcx"])
def test_runs_along_a_keyboard_row_are_mash(text):
    assert is_mash(text)


@pytest.mark.parametrize("text", [
    "", "yes", "ok", "thnks", "thx", "pls", "hmm", "lol", "hahaha", "bins", "ffordd", "cwm", "twll", "rhwng", "hwyl",
    "Blackthorn", "Larkspur Way", "northfield", "strengths", "asda", "sdf", "asdf 12", "AN1 4GT", "ASDF",
    "asdf the bin was missed", "my bin asdf", "asdf jkl qwer tyui poiu",
])
def test_words_names_numbers_and_real_messages_are_not(text):
    assert not is_mash(text)


def test_the_component_makes_mash_not_understood_and_keeps_other_readings():
    mash, words = Message(data={"text": "asdf jkl"}), Message(data={"text": "missed bin"})
    for message in (mash, words):
        message.set("intent", {"name": "inform", "confidence": 0.79}, add_to_output=True)
        message.set("intent_ranking", [{"name": "inform", "confidence": 0.79}], add_to_output=True)
    KeyboardMashClassifier.create({}, None, None, None).process([mash, words])  # type: ignore[arg-type]
    assert mash.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    assert words.get("intent")["name"] == "inform"

"""A conversation's language turn by turn: choices stick and beat detection; uncertain messages change nothing."""

from __future__ import annotations

import pytest

from bot.language.conversation import chosen_language, decide, unserved_language
from bot.language.identify import Identifier

BOTH = ("cy", "en")


@pytest.fixture(scope="module")
def identifier() -> Identifier:
    return Identifier(BOTH)


@pytest.mark.parametrize("text,language", [
    ("Cymraeg", "cy"), ("cymraeg plis", "cy"), ("Welsh", "cy"), ("yn Gymraeg os gwelwch yn dda", "cy"),
    ("in Welsh please", "cy"), ("English", "en"), ("Saesneg", "en"), ("english please", "en"),
    ("Can we speak English", "en"), ("  ENGLISH! ", "en"),
])
def test_choices(text, language):
    assert chosen_language(text, BOTH) == language


@pytest.mark.parametrize("text", [
    "the Welsh bin is not emptied", "I speak English but my mum speaks Cymraeg", "Welsh Water dug up the road",
    "english", "",
])
def test_sentences_that_name_a_language_are_not_choices(text):
    expected = "en" if text == "english" else None
    assert chosen_language(text, BOTH) == expected


def test_a_language_the_council_does_not_serve_is_no_choice():
    assert chosen_language("Cymraeg", ("en", "fr")) is None


@pytest.mark.parametrize("text,languages,expected", [
    ("Cymraeg", ("en",), "cy"), ("in Welsh please", ("en",), "cy"), ("CYMRAEG", ("en",), "cy"),
    ("English please", ("cy",), "en"),
    # Served, or not a request for a language at all: nothing to say.
    ("Cymraeg", BOTH, None), ("English", ("en",), None), ("Welsh Water dug up the road", ("en",), None),
    ("", ("en",), None),
])
def test_a_request_for_a_language_the_council_does_not_serve(text, languages, expected):
    assert unserved_language(text, languages) == expected


def test_the_first_message_sets_the_language(identifier):
    decision = decide("mae'r bin heb ei gasglu", "en", False, BOTH, identifier)
    assert decision.language == "cy" and not decision.chosen


def test_a_street_name_or_loanword_does_not_flip_welsh_to_english(identifier):
    for text in ("Station Road", "ok", "AN1 4GT", "recycling"):
        assert decide(text, "cy", False, BOTH, identifier).language == "cy"


def test_a_choice_sticks_and_beats_what_the_resident_writes(identifier):
    chosen = decide("English", "cy", False, BOTH, identifier)
    assert chosen.language == "en" and chosen.chosen and chosen.choice
    later = decide("mae twll mawr yn y ffordd tu allan i'r ysgol", chosen.language, chosen.chosen, BOTH, identifier)
    assert later.language == "en" and later.chosen and not later.choice


def test_a_new_choice_replaces_the_old_one(identifier):
    assert decide("Cymraeg", "en", True, BOTH, identifier).language == "cy"


def test_the_widget_toggle_is_a_choice_whatever_the_text(identifier):
    decision = decide("Cymraeg", "en", False, BOTH, identifier, requested="en")
    assert decision.language == "en" and decision.choice


def test_an_unknown_current_language_falls_back_to_the_council_default(identifier):
    assert decide("12", None, False, BOTH, identifier).language == "cy"
    assert decide("12", "fr", False, ("en", "cy"), identifier).language == "en"


def test_the_widgets_hidden_hello_leaves_a_welsh_council_in_welsh(identifier):
    # widget.js sends config.greeting ("hello") when a chat starts, before the resident types.
    assert decide("hello", "cy", False, BOTH, identifier).language == "cy"


def test_once_written_in_a_short_message_in_the_other_language_does_not_switch(identifier):
    first = decide("mae'r bin heb ei gasglu eto wythnos yma", "en", False, BOTH, identifier)
    assert first.language == "cy" and first.confirmed
    for text in ("talk to a person", "yes", "no thank you", "the light is still broken"):
        assert decide(text, "cy", False, BOTH, identifier, confirmed=True).language == "cy", text
    english = decide("actually could you tell me when my recycling is collected", "cy", False, BOTH, identifier,
                     confirmed=True)
    assert english.language == "en" and english.confirmed  # six words or more: the resident changed


def test_before_the_resident_has_written_in_it_any_sure_message_sets_the_language(identifier):
    # The council's default (Welsh first here) is not the resident's: "yes" settles it.
    assert decide("yes", "cy", False, BOTH, identifier).language == "en"
    assert decide("12", "cy", False, BOTH, identifier).confirmed is False  # no evidence, nothing confirmed
    assert decide("diolch", "en", False, ("en", "cy"), identifier, confirmed=True).language == "en"


def test_a_choice_always_switches_and_confirms(identifier):
    decision = decide("English", "cy", False, BOTH, identifier, confirmed=True)
    assert decision.language == "en" and decision.chosen and decision.confirmed

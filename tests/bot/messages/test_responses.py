"""domain.yml's responses come from the catalogue, in every language, and English stays as it was."""

import pytest
import yaml
from rasa.core.nlg.generator import ResponseVariationFilter

from bot import messages
from bot.messages import responses
from bot.settings import PROJECT_ROOT

DOMAIN = (PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")
WRITTEN = yaml.safe_load(DOMAIN)["responses"]
CHANNELS = ["sms", "socketio", "rest", "council_web"]
STRUCTURE = responses.structure()


def test_domain_yml_responses_are_written_from_the_catalogue():
    """Fails when domain.yml's responses and the catalogue (or responses.yml) drift apart."""
    assert responses.current_section(DOMAIN) == responses.render(), (
        "run `.venv/bin/python -m bot.messages.responses` (never edit domain.yml's responses by hand)")


def test_the_drift_check_sees_a_changed_text(monkeypatch):
    texts, review = messages._loaded()
    changed = {k: dict(v) for k, v in texts.items()}
    changed["response.goodbye"]["cy"] = "Da bo."
    monkeypatch.setattr(messages, "_loaded", lambda: (changed, review))
    assert responses.current_section(DOMAIN) != responses.render()
    assert responses.main(["--check"]) == 1


def test_writing_the_section_keeps_the_rest_of_domain_yml():
    rewritten = responses.with_responses(DOMAIN, responses.render())
    assert rewritten == DOMAIN  # up to date: writing changes nothing
    before, after = yaml.safe_load(DOMAIN), yaml.safe_load(responses.with_responses(DOMAIN, "responses:\n  utter_x:\n    - text: x\n"))
    assert after["responses"] == {"utter_x": [{"text": "x"}]}
    assert {k: v for k, v in after.items() if k != "responses"} == {k: v for k, v in before.items() if k != "responses"}


def test_every_response_has_every_catalogue_language():
    assert set(WRITTEN) == set(STRUCTURE) and len(WRITTEN) >= 57
    for name, specs in STRUCTURE.items():
        for language in responses.languages():
            if language == "en":
                mine = [v for v in WRITTEN[name] if "condition" not in v]
            else:
                mine = [v for v in WRITTEN[name] if v.get("condition") == [
                    {"type": "slot", "name": "language", "value": language}]]
            assert [v.get("channel") for v in mine] == [s.get("channel") for s in specs], (name, language)
            assert [len(v.get("buttons") or []) for v in mine] == [len(s.get("buttons") or []) for s in specs]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("slots", [{}, {"language": "en"}, {"language": None}])
def test_an_english_conversation_gets_exactly_the_english_variations(channel, slots):
    """English-only councils (language en, or no language slot set) see no Welsh and no change."""
    chooser = ResponseVariationFilter(WRITTEN)
    for name in WRITTEN:
        chosen = chooser.responses_for_utter_action(name, channel, slots)
        english = [v for v in WRITTEN[name] if "condition" not in v]
        expected = [v for v in english if v.get("channel") == channel] or [v for v in english if not v.get("channel")]
        assert chosen == expected, name
        for variant in chosen:
            spec_text = next(s["text"] for s in STRUCTURE[name]
                             if s.get("channel") == variant.get("channel"))
            assert variant["text"] == messages.template(spec_text, "en")


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_welsh_conversation_gets_only_welsh_variations(channel):
    chooser = ResponseVariationFilter(WRITTEN)
    for name in WRITTEN:
        chosen = chooser.responses_for_utter_action(name, channel, {"language": "cy"})
        assert chosen and all(v.get("condition") for v in chosen), name
        specs = STRUCTURE[name]
        channel_specs = [s for s in specs if s.get("channel") == channel] or [s for s in specs if not s.get("channel")]
        assert [v["text"] for v in chosen] == [messages.template(s["text"], "cy") for s in channel_specs]


def test_buttons_say_words_in_their_language():
    [welsh] = [v for v in WRITTEN["utter_ask_defect_danger"] if v.get("condition")]
    assert welsh["buttons"] == [{"title": "Ie", "payload": "ie"}, {"title": "Na", "payload": "na"}]
    [english] = [v for v in WRITTEN["utter_ask_defect_danger"] if not v.get("condition")]
    assert english["buttons"] == [{"title": "Yes", "payload": "yes"}, {"title": "No", "payload": "no"}]


def test_a_malformed_structure_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "responses.yml"
    bad.write_text("utter_x:\n  - text: response.goodbye\n    buttons: [yes, no]\n", encoding="utf-8")
    monkeypatch.setattr(responses, "STRUCTURE_FILE", bad)
    with pytest.raises(messages.MessageError, match="button keys"):
        responses.structure()

"""The catalogue of what residents read: strict look-ups, and every id in every language the council enables."""

import string

import pytest
import yaml

from bot import messages
from bot.messages import MessageError
from bot.settings import load_settings


def test_a_text_is_filled_from_its_values_and_extra_values_are_ignored():
    assert messages.text("sms.failure", council_phone="01632 960000", council_name="unused") == (
        "Sorry, something went wrong on our side. Please try again, or call us on 01632 960000.")


def test_an_unknown_id_is_an_error_not_a_blank():
    with pytest.raises(MessageError, match="sms.no_such_text"):
        messages.text("sms.no_such_text")


def test_a_missing_placeholder_is_an_error_naming_it():
    with pytest.raises(MessageError, match="council_phone"):
        messages.text("sms.failure")
    with pytest.raises(MessageError, match="hours, link"):
        messages.text("photo_link.link", reference="AN-1")


def test_a_language_the_text_lacks_is_an_error():
    with pytest.raises(MessageError, match="'fr'"):
        messages.text("handoff.closing", "fr")


@pytest.mark.parametrize("council_languages", [None, "en", "cy,en", "en,cy"])
def test_every_id_has_every_language_the_council_enables(council_languages):
    """The parity test: COUNCIL_LANGUAGES as this machine sets it, and as a Welsh council sets it."""
    env = None if council_languages is None else {"COUNCIL_LANGUAGES": council_languages}
    languages = load_settings(env).council_languages
    assert messages.missing_languages(languages) == {}


def test_the_parity_check_names_the_ids_a_language_lacks():
    assert set(messages.missing_languages(["en", "fr"])) == set(messages.message_ids())
    assert messages.missing_languages(["en", "cy"]) == {}
    texts, _ = messages.parse(yaml.safe_load("""
        a.both: {en: "Hello.", cy: "Helo."}
        b.english_only: {en: "Bye."}
    """))
    assert {i: [lang for lang in ("en", "cy") if lang not in by] for i, by in texts.items()} == {
        "a.both": [], "b.english_only": ["cy"]}


# Texts the same in Welsh as in English by design: only placeholders, or a word both languages use.
SAME_IN_WELSH = {"sms.from_staff", "bin_day.collection", "report.readback_detail", "report.label.bin_type",
                 "category.other_problem.title", "category.graffiti.title", "category.graffiti.mention", "date.long"}


def test_welsh_is_written_not_copied():
    """A Welsh text the same as the English is a missed translation."""
    same = {i for i in messages.message_ids() if messages.template(i, "cy") == messages.template(i)}
    assert same == SAME_IN_WELSH


def test_every_translation_has_the_same_placeholders_as_the_english():
    for message_id in messages.message_ids():
        english = messages.placeholders(message_id)
        for language in messages.languages_of(message_id):
            assert messages.placeholders(message_id, language) == english, (message_id, language)


def test_every_text_is_a_valid_format_string():
    for message_id in messages.message_ids():
        list(string.Formatter().parse(messages.template(message_id)))


def test_the_review_flag_lists_translations_to_check():
    texts, review = messages.parse(yaml.safe_load("""
        a.reviewed: {en: "Hello.", cy: "Helo.", review: true}
        b.one: {en: "Bye.", cy: "Hwyl.", fr: "Salut.", review: [cy]}
        c.checked: {en: "Yes.", cy: "Ie."}
    """))
    assert texts["c.checked"] == {"en": "Yes.", "cy": "Ie."}
    assert review == {"a.reviewed": frozenset({"cy"}), "b.one": frozenset({"cy"})}


@pytest.mark.parametrize("entry, problem", [
    ({"cy": "Helo."}, "no 'en' text"),
    ({"en": ""}, "non-empty"),
    ({"en": "Hello.", "review": "yes"}, "review must be"),
    ("Hello.", "must map languages"),
])
def test_a_malformed_entry_is_refused(entry, problem):
    with pytest.raises(MessageError, match=problem):
        messages.parse({"a.text": entry})



def test_every_case_status_has_a_description():
    from bot.cases.model import STATUS_ORDER

    for status in STATUS_ORDER:
        assert messages.text(f"case_status.{status}")


def test_docs_welsh_md_lists_exactly_the_texts_flagged_for_review():
    import re

    from bot.settings import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "welsh.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([\w.]+)` \|", doc.split("## Texts for a translator to check")[1], re.MULTILINE)
    assert sorted(listed) == sorted(message_id for message_id, _ in messages.needs_review("cy"))

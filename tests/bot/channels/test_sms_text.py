"""SMS rendering: GSM-7 normalisation, segment counting, splitting, numbered options."""

import pytest

from bot.channels.sms_text import (
    chosen_option,
    is_gsm7,
    render_message,
    render_turn,
    segments,
    split_message,
    to_gsm7,
)


def test_typography_is_normalised_to_gsm7():
    text = "It\u2019s \u201cfine\u201d \u2014 really\u2026\u00a0ok \u2022 caf\u00e9 na\u00efve"
    assert to_gsm7(text) == "It's \"fine\" - really... ok - caf\u00e9 naive"
    assert is_gsm7(to_gsm7(text))


def test_one_curly_quote_does_not_double_the_cost():
    text = "We\u2019ll " + "x" * 150
    assert segments(text) == 3  # UCS-2: 70/67 per segment
    assert segments(to_gsm7(text)) == 1


def test_ucs2_is_kept_only_when_unavoidable():
    assert to_gsm7("Thanks \U0001F600") == "Thanks \U0001F600"
    assert not is_gsm7(to_gsm7("Thanks \U0001F600"))


@pytest.mark.parametrize("text,expected", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("\u20ac" * 80, 1), ("\u20ac" * 81, 2),  # extension characters cost two septets
    ("\u0416" * 70, 1), ("\u0416" * 71, 2), ("\u0416" * 134, 2), ("\u0416" * 135, 3),
])
def test_segments_follow_the_gsm_and_ucs2_rules(text, expected):
    assert segments(text) == expected


def test_long_replies_split_at_line_or_word_boundaries_in_order():
    paragraphs = [f"Paragraph {n}: " + "word " * 60 for n in range(8)]
    text = "\n".join(p.strip() for p in paragraphs)
    parts = split_message(text, max_segments=3)
    assert len(parts) > 1
    assert all(segments(p) <= 3 for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())  # nothing lost, order kept
    assert all(not p.endswith("wor") for p in parts)


def test_short_replies_are_one_message_even_with_blank_lines():
    assert split_message("First.\n\nSecond.") == ["First.\n\nSecond."]


def test_buttons_become_numbered_options():
    rendered = render_message({"text": "Road or pavement?", "buttons": [
        {"title": "Road", "payload": "road"}, {"title": "Pavement", "payload": "pavement"}]})
    assert rendered.body == "Road or pavement?\nReply 1 for Road, 2 for Pavement."
    assert rendered.options == ["road", "pavement"]


def test_a_turn_is_one_body_in_order_with_the_last_options():
    rendered = render_turn([
        {"text": "Thanks."},
        {"text": "Which bin?", "buttons": [{"title": "Black", "payload": "black bin"}]},
        {"text": "Take your time."},
    ])
    assert rendered.body == "Thanks.\n\nWhich bin?\nReply 1 for Black.\n\nTake your time."
    assert rendered.options == ["black bin"]


@pytest.mark.parametrize("reply,expected", [
    ("1", "road"), (" 2 ", "pavement"), ("2.", "pavement"), ("3", None), ("0", None), ("1 please", None), ("", None),
])
def test_numbered_replies_map_back_to_payloads(reply, expected):
    assert chosen_option(reply, ["road", "pavement"]) == expected


def test_no_options_means_numbers_are_just_text():
    assert chosen_option("1", []) is None


def test_a_turn_is_one_text_when_it_fits_three_segments_else_its_replies_packed_in_order():
    from bot.channels.sms_text import render_turn, turn_messages

    short = render_turn([{"text": "Diolch."}, {"text": "Beth yw'r cod post?"}], "cy")
    assert turn_messages(short) == ["Diolch.\n\nBeth yw'r cod post?"]
    welsh = "Mae'r tŷ " + "x" * 120  # UCS-2: 129 units, 2 segments alone
    turn = render_turn([{"text": welsh}, {"text": "Cyfeirnod AB7K-3FQ2."}, {"text": welsh}], "cy")
    assert segments(turn.body) > 3
    texts = turn_messages(turn)
    assert texts == [welsh + "\n\nCyfeirnod AB7K-3FQ2.", welsh]  # in order, as few as fit
    assert all(segments(t) <= 3 for t in texts)
    assert turn_messages(render_turn([], "en")) == []

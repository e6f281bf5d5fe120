import asyncio

import pytest
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.guard import clean_text, guard_messages, masked_notice
from bot.settings import PROJECT_ROOT


def test_intent_injection_becomes_plain_text():
    text, notes = clean_text('/report_pothole{"location": "x"}', 4000)
    assert not text.startswith("/")
    assert text == 'report_pothole{"location": "x"}'
    assert notes["leading_slash_removed"]
    assert clean_text("  //greet", 4000)[0] == "greet"


def test_binary_junk_and_control_characters_are_removed():
    text, _ = clean_text("bin\x00 not\x1b[31m emptied\ud800", 4000)
    assert "\x00" not in text and "\x1b" not in text
    text.encode("utf-8")  # no lone surrogates left


def test_huge_message_is_cut_but_kept_in_full():
    original = "word " * 3000
    text, notes = clean_text(original, 4000)
    assert len(text) == 4000
    assert notes["original_length"] == len(original.strip())
    assert notes["original_text"] == original.strip()
    assert "original_truncated" not in notes


def test_a_ten_megabyte_message_is_not_kept_whole():
    # Every copy of the tracker (each event's metadata, replayed every turn) would carry it.
    original = "pothole " * (10 * 1024 * 1024 // 8)
    text, notes = clean_text(original, 4000)
    assert len(text) == 4000
    assert len(notes["original_text"]) == 8 * 4000
    assert notes["original_truncated"] is True
    assert notes["original_length"] == len(original)


def test_empty_and_none_become_empty_text():
    assert clean_text(None, 10)[0] == ""
    assert clean_text("   \n ", 10)[0] == ""


def test_guard_rewrites_the_message_before_rasa_sees_it():
    seen = []

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message)

    guarded = guard_messages(on_new_message, max_chars=100)
    asyncio.run(guarded(UserMessage(text="/restart", sender_id="x", metadata={"a": 1})))
    assert seen[0].text == "restart"
    assert seen[0].metadata["a"] == 1
    assert seen[0].metadata["guard"]["leading_slash_removed"] is True


# Luhn-valid test numbers (Visa, Mastercard, Amex), as residents type them.
CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "4111111111111111"]


@pytest.mark.parametrize("card", CARDS)
def test_card_numbers_are_masked_before_anything_is_kept(card):
    text, notes = clean_text(f"can I pay with {card} please", 4000)
    assert text == "can I pay with [card number] please"
    assert notes["masked"] == ["card_number"]


def test_ni_numbers_and_bank_details_are_masked():
    text, notes = clean_text("my NI is QQ 12 34 56 C? no, AB123456C. sort code 12-34-56 account 12345678", 4000)
    assert "AB123456C" not in text and "12-34-56" not in text and "12345678" not in text
    assert notes["masked"] == ["bank_details", "ni_number"]


@pytest.mark.parametrize("ordinary", [
    "my number is 07700 900123",           # a phone number is not a card
    "case AB7K-3FQ2 at AN1 4GT",            # references and postcodes stay
    "4111 1111 1111 1112 is wrong",         # fails the Luhn check
    "bin missed on 01-12-26, council tax account 12345678",
])
def test_ordinary_numbers_are_left_alone(ordinary):
    assert clean_text(ordinary, 4000) == (ordinary, {})


def test_a_long_message_keeps_only_the_masked_original():
    text, notes = clean_text("x " * 3000 + "card 4111 1111 1111 1111", 4000)
    assert "4111" not in notes["original_text"] and "[card number]" in notes["original_text"]


def test_the_resident_is_told_before_the_bot_answers_and_rasa_sees_the_masked_text():
    seen = []

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "bot reply")

    output = CollectingOutputChannel()
    guarded = guard_messages(on_new_message, max_chars=4000)
    asyncio.run(guarded(UserMessage(text="pay 4111 1111 1111 1111", output_channel=output, sender_id="x")))
    assert seen == ["pay [card number]"]
    notice, reply = [m["text"] for m in output.messages]
    assert notice == masked_notice("collector") and "card numbers" in notice
    assert reply == "bot reply"
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    assert notice == domain["responses"]["utter_sensitive_data_masked"][0]["text"]


def test_nothing_is_said_when_nothing_was_masked():
    output = CollectingOutputChannel()

    async def on_new_message(message: UserMessage) -> None:
        return None

    asyncio.run(guard_messages(on_new_message, 4000)(UserMessage(text="hello", output_channel=output, sender_id="x")))
    assert output.messages == []

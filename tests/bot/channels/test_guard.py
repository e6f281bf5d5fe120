import asyncio

from rasa.core.channels.channel import UserMessage

from bot.channels.guard import clean_text, guard_messages


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

"""LOG_FORMAT=json (bot/json_logs.py): parseable lines, the conversation id, no personal data."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from bot import redaction
from bot.json_logs import JsonFormatter, formatter_from_environment, set_conversation


@pytest.fixture()
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(redaction.RedactingFilter())
    logger = logging.getLogger("tests.json_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_record_is_one_json_line_with_its_conversation(json_log) -> None:
    logger, stream = json_log

    async def turn(conversation: str) -> None:
        set_conversation(conversation)
        await asyncio.sleep(0)
        logger.info("turn handled for case %s", "AB7K-3FQ2")

    async def both() -> None:
        await asyncio.gather(turn("sms-0123456789abcdef0123"), turn("0123456789abcdef0123456789abcdef"))
        logger.info("outside any turn")

    asyncio.run(both())
    entries = lines(stream)
    assert [e.get("conversation_id") for e in entries] == [
        "sms-0123456789abcdef0123", "0123456789abcdef0123456789abcdef", None]
    assert entries[0]["message"] == "turn handled for case AB7K-3FQ2"
    assert entries[0]["level"] == "INFO" and entries[0]["logger"] == "tests.json_logs" and entries[0]["time"]


def test_no_phone_number_or_email_reaches_a_line(json_log) -> None:
    logger, stream = json_log
    set_conversation("resident@example.com")  # a REST caller may name a conversation like this
    logger.info("contact %s or %s", "07700 900123", "resident@example.com")
    try:
        raise ValueError("bad phone +44 7700 900123")
    except ValueError:
        logger.exception("failed for jane.doe@example.org")
    set_conversation(None)
    text = stream.getvalue()
    for personal in ("07700 900123", "7700 900123", "resident@example.com", "jane.doe@example.org"):
        assert personal not in text
    entries = lines(stream)
    assert len(entries) == 2 and "ValueError" in entries[1]["exception"]


def test_the_format_is_chosen_by_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert isinstance(formatter_from_environment(), JsonFormatter)
    monkeypatch.delenv("LOG_FORMAT")
    assert not isinstance(formatter_from_environment(), JsonFormatter)


def test_settings_refuse_an_unknown_format() -> None:
    from bot.settings import ConfigError, load_settings

    assert load_settings({"LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_settings({"LOG_FORMAT": "xml"})

"""Personal data is masked in log records (bot/redaction.py)."""

import logging
import subprocess
import sys

import pytest

from bot.redaction import RedactingFilter, redact
from bot.settings import PROJECT_ROOT


@pytest.mark.parametrize("personal", ["07700 900123", "+44 7700 900123", "01632 960000", "jo.bloggs@example.com",
                                      "AN1 4GT", "sw1a1aa"])
def test_personal_data_is_masked(personal):
    masked = redact(f"resident said {personal} today")
    assert personal not in masked
    assert masked.startswith("resident said [") and masked.endswith("] today")


def test_ordinary_text_and_case_references_are_kept():
    text = "case AB7K-3FQ2 delivered to waste in 120 ms (attempt 3)"
    assert redact(text) == text


def test_filter_masks_the_formatted_message_including_arguments():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sending to %s: %s", ("+447700900123", "hi"), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "sending to [phone]: hi"


def test_every_entry_point_logs_through_the_filter():
    # A fresh process, as the worker, console, website and stand-ins start.
    code = (
        "import logging; from bot import redaction; redaction.configure_logging(); "
        "logging.getLogger('demo').info('texting %s at %s', '07700 900123', 'jo@example.com')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert "texting [phone] at [email]" in result.stderr
    assert "07700" not in result.stderr and "jo@example.com" not in result.stderr


@pytest.mark.parametrize("financial, mask", [("4111 1111 1111 1111", "[card number]"),
                                             ("AB 12 34 56 C", "[NI number]"),
                                             ("12-34-56 12345678", "[bank details] [bank details]")])
def test_financial_details_are_masked_in_logs(financial, mask):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "resident said %s", (financial,), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == f"resident said {mask}"

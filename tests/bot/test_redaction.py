"""Personal data is masked in log records (bot/redaction.py)."""

import logging
import os
import subprocess
import sys

import pytest

from bot.redaction import RedactingFilter, redact, remember_secrets
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


SANIC_LOGS = """
import logging, sys
{setup}
from sanic import Sanic
Sanic("after_our_logging")  # Sanic configures its own loggers and handlers here, after ours
from sanic.log import access_logger, error_logger, logger
url = "http://127.0.0.1:5005/conversations/sms-1/tracker?token=tok-SECRET-123456&phone=07700900123"
try:
    raise ValueError("bad request from jo@example.com at " + url)
except ValueError:
    error_logger.exception("Exception occurred while handling uri: %s", repr(url))
logger.info("Authorization: Bearer tok-SECRET-123456 for 07700 900123")
access_logger.info("", extra={{"status": 500, "byte": 0, "host": "127.0.0.1:5005", "request": "GET " + url}})
logging.getLogger("rasa.core.processor").warning("texting +447700900123 with %s", "tok-SECRET-123456")
"""


@pytest.mark.parametrize("setup", [
    # the worker, console, website and stand-ins
    "from bot import redaction; redaction.configure_logging()",
    # the Rasa server and the action server (logging.yml, as rasa and rasa_sdk load it)
    "import logging.config, yaml; logging.config.dictConfig(yaml.safe_load(open('logging.yml')))",
])
def test_sanics_and_rasas_own_loggers_are_redacted_too(setup):
    """Sanic's error logger wrote whole URLs with ?token= to var/logs/rasa-server.log."""
    code = SANIC_LOGS.format(setup=setup)
    env = {**os.environ, "RASA_API_TOKEN": "tok-SECRET-123456"}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    logged = result.stdout + result.stderr
    assert "Exception occurred while handling uri" in logged and "ValueError" in logged  # really written
    assert "GET http://127.0.0.1:5005/conversations/sms-1/tracker" in logged  # the access line too
    for secret in ("tok-SECRET-123456", "07700900123", "07700 900123", "+447700900123", "jo@example.com"):
        assert secret not in logged, secret


def test_secrets_are_masked_wherever_they_appear():
    remember_secrets({"RASA_API_TOKEN": "a-per-run-token-value", "BIND_HOST": "127.0.0.1"})
    assert redact("sent a-per-run-token-value to 127.0.0.1") == "sent [secret] to 127.0.0.1"
    assert redact("GET /x?include_events=NONE&token=abc123&y=1") == "GET /x?include_events=NONE&token=[secret]&y=1"
    assert redact("{'Authorization': 'Basic QUM6dG9rZW4='}") == "{'Authorization': 'Basic [secret]'}"
    assert redact("Authorization failed; the bearer of bad news") == "Authorization failed; the bearer of bad news"

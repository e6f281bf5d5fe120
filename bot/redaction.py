"""Keep residents' personal data out of logs.

A logging filter that masks phone numbers, email addresses and postcodes in
every record before any handler writes it. Installed by logging.yml, which
`make run` passes to the Rasa server and the action server.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_PATTERNS = [
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"(?<![\w])(?:\+|00)\d[\d\s\-()]{7,16}\d"), "[phone]"),
    (re.compile(r"(?<!\d)0\d{2,4}[\s\-]?\d{3,4}[\s\-]?\d{3,4}(?!\d)"), "[phone]"),
    (re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}(?![A-Za-z0-9])"), "[postcode]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = ()
        return True


LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s - %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Logging for our own processes (worker, console, website, stand-ins): the
    project's format, with personal data masked in every record."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    install()


def install(logger: Any = None) -> None:
    """Add the filter to every handler of ``logger`` (default: the root logger)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())

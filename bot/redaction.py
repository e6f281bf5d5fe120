"""Keep residents' personal data out of logs, and financial details out of everything.

A logging filter that masks phone numbers, email addresses and postcodes in
every record before any handler writes it. Installed by logging.yml, which
`make run` passes to the Rasa server and the action server.

:func:`mask_financial` finds payment card numbers (13-19 digits passing the
Luhn check, with spaces or dashes), National Insurance numbers and UK bank
details (a sort code with an account number). The council never needs them
from a chat or a text, so the message guard (bot/channels/guard.py) masks
them before anything is stored, and the log filter masks them too.
"""

from __future__ import annotations

import logging
import re
from typing import Any, List, Tuple

# 13-19 digits, single spaces or dashes allowed between them ("4111 1111-1111 1111").
_CARD = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
# National Insurance number: two prefix letters (D, F, I, Q, U, V never; O never
# second; BG, GB, KN, NK, NT, TN, ZZ never allocated), six digits, suffix A-D.
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!(?:BG|GB|KN|NK|NT|TN|ZZ))[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D](?![A-Za-z0-9])",
    re.IGNORECASE,
)
# Sort code (12-34-56, 12 34 56, or six digits after the words "sort code") and
# an 8-digit account number (or one after the word "account").
_SORT_CODE = re.compile(r"(?<![\d])\d{2}[-\u2013 ]\d{2}[-\u2013 ]\d{2}(?![\d])")
_SORT_CODE_WORDS = re.compile(r"(sort\s*code\W{0,3})(\d{6}|\d{2}[-\u2013 ]\d{2}[-\u2013 ]\d{2})(?![\d])", re.IGNORECASE)
_ACCOUNT = re.compile(r"(?<![\d])\d{8}(?![\d])")
# Both side by side, either way round (a date and an unrelated number
# with words between them are not bank details).
_SORT_CODE_AND_ACCOUNT = re.compile(
    rf"{_SORT_CODE.pattern}[^\w]{{1,5}}{_ACCOUNT.pattern}|{_ACCOUNT.pattern}[^\w]{{1,5}}{_SORT_CODE.pattern}"
)
# "bank account": a council tax account number is not a bank detail.
_ACCOUNT_WORDS = re.compile(r"(bank\s*account\s*(?:number|no\.?|num)?\W{0,3})(\d{7,8})(?![\d])", re.IGNORECASE)

CARD, NI_NUMBER, BANK_DETAILS = "card_number", "ni_number", "bank_details"
MASKS = {CARD: "[card number]", NI_NUMBER: "[NI number]", BANK_DETAILS: "[bank details]"}


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def mask_financial(text: str) -> Tuple[str, List[str]]:
    """``text`` with card numbers, NI numbers and bank details masked, and which kinds were found.

    A card number must pass the Luhn check, so a long reference or a phone
    number is left alone. Bank details are masked when a sort code comes with
    an account number, or either is named ("sort code 123456", "bank
    account 12345678"); then every sort code and account number in the
    message is masked.
    """
    found: List[str] = []

    def card(match: "re.Match[str]") -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if _luhn_valid(digits) and len(set(digits)) > 1:
            found.append(CARD)
            return MASKS[CARD]
        return match.group(0)

    text = _CARD.sub(card, text)
    text, count = _NINO.subn(MASKS[NI_NUMBER], text)
    if count:
        found.append(NI_NUMBER)
    text, named_sort = _SORT_CODE_WORDS.subn(lambda m: m.group(1) + MASKS[BANK_DETAILS], text)
    text, named_account = _ACCOUNT_WORDS.subn(lambda m: m.group(1) + MASKS[BANK_DETAILS], text)
    text, together = _SORT_CODE_AND_ACCOUNT.subn(
        lambda m: _SORT_CODE.sub(MASKS[BANK_DETAILS], _ACCOUNT.sub(MASKS[BANK_DETAILS], m.group(0))), text)
    if named_sort or named_account or together:
        # Once a message clearly holds bank details, every sort code and
        # account number in it is masked ("sort code 12-34-56, account 12345678").
        text = _ACCOUNT.sub(MASKS[BANK_DETAILS], _SORT_CODE.sub(MASKS[BANK_DETAILS], text))
        found.append(BANK_DETAILS)
    return text, sorted(set(found))


_PATTERNS = [
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"(?<![\w])(?:\+|00)\d[\d\s\-()]{7,16}\d"), "[phone]"),
    (re.compile(r"(?<!\d)0\d{2,4}[\s\-]?\d{3,4}[\s\-]?\d{3,4}(?!\d)"), "[phone]"),
    (re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}(?![A-Za-z0-9])"), "[postcode]"),
]


def redact(text: str) -> str:
    text = mask_financial(text)[0]
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

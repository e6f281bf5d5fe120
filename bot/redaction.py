"""Keep residents' personal data out of logs, and financial details out of everything.

Every log record is masked before any handler writes it: phone numbers,
email addresses, postcodes, and secrets (the values of our own secret
settings, ``?token=``-style URL parameters, bearer and basic credentials).
:func:`install` does it for every logger of a process, including Sanic's
own (``sanic.error`` writes whole request URLs) and Rasa's, whatever
handlers they configure later: records are masked as they are made (a log
record factory), and Sanic's access records, whose URL travels in extra
fields, by a filter on their logger. Entry points call
:func:`configure_logging`; the Rasa server and the action server get it
through logging.yml's filter (:func:`logging_yml_filter`).

:func:`mask_financial` finds payment card numbers (13-19 digits passing the
Luhn check, with spaces or dashes), National Insurance numbers and UK bank
details (a sort code with an account number). The council never needs them
from a chat or a text, so the message guard (bot/channels/guard.py) masks
them before anything is stored, and the log filter masks them too.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, Iterable, List, Mapping, Optional, Tuple

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


SECRET = "[secret]"
_SECRET_PATTERNS = [
    # token=..., api_key=..., Signature=... in URLs and query strings
    (re.compile(r"(?i)((?:[?&;]|\b)(?:token|auth_token|access_token|api_key|apikey|key|signature|password|secret)=)"
                r"[^&\s'\"#;]+"), r"\1" + SECRET),
    # Authorization: Bearer/Basic <credentials>, and any bearer token
    (re.compile(r"(?i)\b(authorization['\"]?\s*[:=]\s*['\"]?(?:(?:bearer|basic)\s+)?)[^\s'\",}]+"), r"\1" + SECRET),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + SECRET),
]
# Settings whose values are secrets (bot/settings.py): masked wherever they appear.
_SECRET_NAMES = re.compile(r"(?:TOKEN|SECRET|SECRET_KEY|PASSWORD|API_KEY|AUTH_TOKEN)$")
_known_secrets: List[str] = []


def remember_secrets(environ: Mapping[str, str]) -> None:
    """Mask the values of secret settings (``*_TOKEN``, ``*_SECRET_KEY``, ...) found in ``environ``."""
    values = {value for name, value in environ.items() if _SECRET_NAMES.search(name) and len(value or "") >= 8}
    _known_secrets[:] = sorted(values | set(_known_secrets), key=len, reverse=True)


def redact(text: str) -> str:
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, SECRET)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    text = mask_financial(text)[0]
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# LogRecord's own attributes; anything else on a record came in ``extra``
# (Sanic's access log puts the request line there).
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def redact_record(record: logging.LogRecord, extras: bool = True) -> logging.LogRecord:
    """Mask the message, its arguments, the formatted exception and any extra text of ``record``."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not lose the record
        message = str(record.msg)
    record.msg = redact(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    if extras:
        for name, value in list(vars(record).items()):
            if name not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, name, redact(value))
    return record


class RedactingFilter(logging.Filter):
    """Rewrites each record with personal data and secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s - %(message)s"


# Loggers that set up their own handlers (Sanic's) or log URLs in extra fields.
THIRD_PARTY_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets", "rasa",
                       "rasa_sdk", "aiohttp.access", "aiohttp.server", "engineio.server", "socketio.server")


def configure_logging(level: int = logging.INFO) -> None:
    """Logging for our own processes (worker, console, website, stand-ins): the
    project's format (JSON lines with LOG_FORMAT=json: bot/json_logs.py), with
    personal data and secrets masked in every record."""
    from bot.json_logs import apply_to_handlers

    logging.basicConfig(level=level, format=LOG_FORMAT)
    apply_to_handlers()
    install()


def install(logger: Any = None, environ: Optional[Mapping[str, str]] = None) -> None:
    """Mask every record of this process, whichever logger and handler it goes through.

    Installs the masking record factory, a filter on the third-party loggers
    (and ``logger``, if given) and on every handler of the root logger, and
    remembers the secret settings in ``environ`` (default: ``os.environ``).
    """
    remember_secrets(os.environ if environ is None else environ)
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacts", False):
        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            # Extras are added after the record is made: the logger filters mask those.
            return redact_record(factory(*args, **kwargs), extras=False)

        redacting_factory.redacts = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(redacting_factory)
    targets: Iterable[logging.Logger] = [logging.getLogger(name) for name in THIRD_PARTY_LOGGERS]
    for target in [*targets, *([logger] if logger is not None else [])]:
        _add_filter(target)
    for handler in logging.getLogger().handlers:
        _add_filter(handler)


def _add_filter(target: Any) -> None:
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


def logging_yml_filter() -> RedactingFilter:
    """logging.yml's ``redact`` filter: installs masking for the whole process, then filters its handler."""
    install()
    return RedactingFilter()

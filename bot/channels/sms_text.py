"""Turning the bot's messages into SMS text: GSM-7, segments, numbered options.

An SMS costs one segment per 160 GSM-7 characters (153 each once split), but
a single character outside GSM-7 (a curly quote, an emoji) switches the whole
message to UCS-2 at 70 (67) characters per segment. So typographic characters
are normalised to their GSM-7 look-alikes first; UCS-2 is kept only when the
text really needs it: Welsh letters (ŵ, ŷ, â, ê, î, ô, û) keep their
circumflexes, since a Welsh text without them is misspelt (docs/welsh.md: Welsh replies are written to fit 3 UCS-2 segments), and a
resident's name in another script stays as it is.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from bot import messages

# GSM 03.38 basic character set, and the extension table (each costs 2 septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Look-alikes that keep a message in GSM-7.
_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u2023": "-", "\u25cf": "-",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u2007": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\t": " ",
    "\u00d7": "x", "\u2122": "TM", "\u00a9": "(c)", "\u00ae": "(R)", "\u00bd": "1/2", "\u00bc": "1/4",
    "\u00be": "3/4",
}

# Welsh's circumflexed letters (the to bach), which GSM-7 lacks: kept, not stripped of
# their accents; any one of them makes the message UCS-2. (Our Welsh texts use no other
# accent outside GSM-7; a resident's "naïve" still becomes "naive".)
WELSH_LETTERS = frozenset("âêîôûŵŷÂÊÎÔÛŴŶ")

GSM7_SINGLE, GSM7_MULTI = 160, 153  # septets per segment
UCS2_SINGLE, UCS2_MULTI = 70, 67  # UTF-16 code units per segment
# Above this many segments a reply is sent as several messages (Twilio's body
# limit is 1600 characters, and long concatenations arrive unreliably).
MAX_SEGMENTS_PER_MESSAGE = 10


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def to_gsm7(text: str) -> str:
    """The text with typographic characters replaced by GSM-7 look-alikes.

    Accented letters outside GSM-7 lose their accent (as Twilio's smart
    encoding does), except Welsh letters (WELSH_LETTERS); anything else (emoji,
    other scripts) is left alone.
    """
    out: List[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION or ch in WELSH_LETTERS:
            out.append(ch)
        elif ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
        else:
            base = unicodedata.normalize("NFKD", ch)
            stripped = "".join(c for c in base if not unicodedata.combining(c))
            out.append(stripped if stripped and is_gsm7(stripped) else ch)
    # Collapse the runs of spaces that replacements can leave, but keep line breaks.
    return re.sub(r"[ ]{2,}", " ", "".join(out))


def is_sms_text(text: str) -> bool:
    """Only GSM-7 and Welsh letters: what our own texts may hold (no curly quotes, dashes, emoji)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION or ch in WELSH_LETTERS for ch in text)


def _units(text: str) -> int:
    """The length that counts for segments: septets (GSM-7) or UTF-16 units (UCS-2)."""
    if is_gsm7(text):
        return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS segments ``text`` costs."""
    units = _units(text)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if is_gsm7(text) else (UCS2_SINGLE, UCS2_MULTI)
    if units <= single:
        return 1
    return math.ceil(units / multi)


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def split_message(text: str, max_segments: int = MAX_SEGMENTS_PER_MESSAGE) -> List[str]:
    """Split a long reply into messages of at most ``max_segments`` each.

    Cuts at a line break if there is one in the last third of the allowance,
    else at a space, so words and lines stay whole. Each part is sent (and
    concatenated on the phone) as one message, in order.
    """
    text = text.strip()
    if segments(text) <= max_segments:
        return [text] if text else []
    parts: List[str] = []
    rest = text
    while rest:
        if segments(rest) <= max_segments:
            parts.append(rest)
            break
        # The longest prefix that still fits.
        low, high = 1, len(rest)
        while low < high:
            mid = (low + high + 1) // 2
            if segments(rest[:mid]) <= max_segments:
                low = mid
            else:
                high = mid - 1
        cut = low
        window = rest[:cut]
        newline = window.rfind("\n")
        space = window.rfind(" ")
        if newline > cut * 2 // 3:
            cut = newline
        elif space > cut // 2:
            cut = space
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [p for p in parts if p]


ELLIPSIS = "..."  # GSM-7 (the one-character ellipsis would make a text UCS-2)
MIN_ECHO = 15  # characters of a resident's answer kept at least, so it is still recognisable
NO_LIMIT = 10_000  # an echo "limit" that cuts nothing (the web read-back; fit_echo's first try)


def shorten(value: str, limit: int) -> str:
    """``value`` cut to at most ``limit`` characters, at a word where one is near, ending "..."."""
    value = " ".join(value.split())
    if len(value) <= limit:
        return value
    cut = value[:max(limit - len(ELLIPSIS), 1)]
    space = cut.rfind(" ")
    if space >= len(cut) * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def fit_echo(build: Callable[[int, int], str], details: int, fits: Callable[[str], bool]) -> str:
    """The fullest text ``build(limit, shown)`` that ``fits``, for texts that repeat residents' answers.

    ``build`` writes the text with every echoed answer cut to ``limit`` characters
    (``shorten``) and only the first ``shown`` of its ``details`` lines. Tried in
    order: everything whole; all details with answers cut to the longest common
    limit that fits (at least MIN_ECHO); then fewer details. If nothing fits,
    the shortest form (the caller's text is then as short as it can be).
    """
    whole = build(NO_LIMIT, details)
    if fits(whole):
        return whole
    for shown in range(details, -1, -1):
        if not fits(build(MIN_ECHO, shown)):
            continue
        low, high = MIN_ECHO, len(whole)  # the largest limit that still fits
        while low < high:
            mid = (low + high + 1) // 2
            if fits(build(mid, shown)):
                low = mid
            else:
                high = mid - 1
        return build(low, shown)
    return build(MIN_ECHO, 0)


def numbered_options(buttons: Sequence[Dict[str, Any]], language: str = messages.DEFAULT_LANGUAGE) -> str:
    """'Reply 1 for Road, 2 for Pavement.' for a message's buttons, in ``language``."""
    choices = [messages.text("sms.option", language, number=i,
                             label=str(b.get("title") or b.get("payload") or "").strip())
               for i, b in enumerate(buttons, 1)]
    return messages.text("sms.options", language, options=", ".join(choices))


def option_payloads(buttons: Sequence[Dict[str, Any]]) -> List[str]:
    return [str(b.get("payload") or b.get("title") or "") for b in buttons]


_OPTION_REPLY = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def chosen_option(text: str, payloads: Sequence[str]) -> Optional[str]:
    """The payload of option N when the reply is just "N" and there was an option N."""
    match = _OPTION_REPLY.match(text or "")
    if not match or not payloads:
        return None
    index = int(match.group(1))
    return payloads[index - 1] if 1 <= index <= len(payloads) else None


@dataclass
class Rendered:
    """One reply rendered for SMS: the body, and the options it offered."""

    body: str
    options: List[str]
    parts: List[str] = field(default_factory=list)  # each message's own body (a turn's: render_turn)


def render_message(message: Dict[str, Any], language: str = messages.DEFAULT_LANGUAGE) -> Rendered:
    """One bot message (text, buttons, image...) as SMS text (numbered options in ``language``)."""
    lines: List[str] = []
    text = str(message.get("text") or "").strip()
    if text:
        lines.append(text)
    buttons = message.get("buttons") or message.get("quick_replies") or []
    buttons = [b for b in buttons if isinstance(b, dict)]
    if buttons:
        lines.append(numbered_options(buttons, language))
    for key in ("image", "attachment"):
        if isinstance(message.get(key), str) and message[key]:
            lines.append(message[key])
    return Rendered(to_gsm7("\n".join(lines)), option_payloads(buttons))


def render_turn(messages: Iterable[Dict[str, Any]], language: str = "en") -> Rendered:
    """All the bot's replies to one message, as one SMS body (so they arrive in order).

    The options are those of the last message that offered any.
    """
    bodies: List[str] = []
    options: List[str] = []
    for message in messages:
        rendered = render_message(message, language)
        if rendered.body:
            bodies.append(rendered.body)
        if rendered.options:
            options = rendered.options
    return Rendered("\n\n".join(bodies), options, bodies)


MAX_SEGMENTS_PER_REPLY = 3  # issue 15: each reply at most 3 segments, in either language


def turn_messages(rendered: Rendered, max_segments: int = MAX_SEGMENTS_PER_REPLY) -> List[str]:
    """The SMS a turn is sent as: one body when it fits ``max_segments``, else its replies packed in
    order into as few texts as fit (each reply alone fits: tests/bot/channels/test_sms_responses.py).

    A Welsh reference and photo link ("baw cŵn": UCS-2, 67 characters a segment) would otherwise
    be one text of 5 segments.
    """
    if segments(rendered.body) <= max_segments or len(rendered.parts) < 2:
        return [rendered.body] if rendered.body else []
    texts: List[str] = []
    for part in rendered.parts:
        joined = texts[-1] + "\n\n" + part if texts else part
        if texts and segments(joined) <= max_segments:
            texts[-1] = joined
        else:
            texts.append(part)
    return texts

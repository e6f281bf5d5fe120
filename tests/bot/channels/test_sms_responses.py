"""Lint: every response the SMS channel can send fits at most 3 segments, in every language.

English is GSM-7 (160/153 characters a segment). Welsh keeps its letters
(ŵ ŷ â ê î ô û ... are not all in GSM-7), so a Welsh text holding one is
UCS-2 (70/67 a segment) and is counted so; no other character outside
GSM-7 is allowed in our own texts in any language.

Covers the domain's responses in each language (as Rasa picks them: the
`channel: sms` variant where there is one, else the general one; the
language's conditioned variants before the unconditioned English ones),
the FAQ answers (domain.yml's utter_faq/*; any left in data/), the
channel's own texts (HELP, opt-in, photo refused) and the texts actions
build (report summary, reference, case status), all rendered exactly as the
channel renders them (buttons as numbered options).
"""

from __future__ import annotations

import re
import string
from datetime import datetime, timezone
from typing import Any, Dict, List, Tuple

import pytest
import yaml

from actions.cases import describe
from actions.reports import ActionAskReportConfirmed
from bot import messages
from bot.cases.model import Case
from bot.categories import CATEGORIES
from bot.channels import sms
from bot.channels.sms_text import encoding, is_gsm7, is_sms_text, render_message, segments
from bot.messages.responses import LANGUAGE_SLOT, languages
from bot.photo_links import texts as photo_texts
from bot.settings import PROJECT_ROOT, load_settings
from rasa_sdk.executor import CollectingDispatcher
from tests.conftest import user_event

MAX_SEGMENTS = 3
# Typical values for the slots responses mention (long but realistic).
SAMPLE_VALUES = {"postcode": "AN12 3XY"}
# The longest upload link a council is likely to send (bot/photo_links: a 32-character token).
LONG_PHOTO_LINK = "https://www.anytown-borough.gov.uk/p/" + "Ab3-" * 8
SAMPLE_VALUES.update(photo_link=LONG_PHOTO_LINK, photo_link_hours="24", reference="AB7K-3FQ2",
                     backoffice_reference="SR-2026-0001234")
# Welsh values the code fills in (long ones; "yn ôl" and "cŵn" make a text UCS-2).
SAMPLE_VALUES_CY = {"problem": "twll yn y ffordd neu lwybr wedi'i ddifrodi", "place": "ar Mill Lane ger rhif 14",
                    "age": "12 diwrnod yn ôl", "staffed_hours": "rhwng dydd Llun a dydd Gwener, o 8yb tan 6yh",
                    "reply_when": "ddydd Llun am 8yb", "title": "baw cŵn",
                    "status": max((messages.template(f"duplicate.{k}", "cy") for k in ("waiting", "with_council")), key=len)}


def _for_language(variant: Dict[str, Any], language: str) -> bool:
    return all(c.get("type") == "slot" and c.get("name") == LANGUAGE_SLOT and c.get("value") == language
               for c in variant["condition"])


def _sms_variants(variants: List[Dict[str, Any]], language: str = "en") -> List[Dict[str, Any]]:
    """The variants Rasa 3.6 may pick on the SMS channel in a conversation in ``language``.

    As rasa.core.nlg.generator.ResponseVariationFilter orders them: the language's
    conditioned channel: sms ones, else the unconditioned channel: sms ones, else
    the language's conditioned general ones, else the unconditioned general ones.
    """
    conditioned = [v for v in variants if v.get("condition") and _for_language(v, language)]
    default = [v for v in variants if not v.get("condition")]
    for group in ([v for v in conditioned if v.get("channel") == "sms"], [v for v in default if v.get("channel") == "sms"],
                  [v for v in conditioned if not v.get("channel")], [v for v in default if not v.get("channel")]):
        if group:
            return group
    return []


LANGUAGES = languages()


def _responses() -> List[Tuple[str, str, Dict[str, Any]]]:
    """(response, language, variant) of every variant the SMS channel may send, in every language."""
    found: List[Tuple[str, str, Dict[str, Any]]] = []
    for path in [PROJECT_ROOT / "domain.yml", *sorted((PROJECT_ROOT / "data").rglob("*.yml"))]:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (content.get("responses") or {}).items():
            for language in LANGUAGES:
                for variant in _sms_variants(variants, language):
                    # Another language's fallback is the English variant, linted as English already.
                    if language == "en" or variant.get("condition"):
                        found.append((name, language, variant))
    return found


# Stand-ins for values without a sample: typical length, and in Welsh with a letter that makes it UCS-2.
STAND_IN = {"en": "Monday to Friday 8am-6pm", "cy": "dydd Llun i ddydd Gwener, 8yb-6yh, tŷ"}
SAMPLES = {"cy": SAMPLE_VALUES_CY}


def _fill(text: str, language: str = "en") -> str:
    settings = load_settings({})
    values = {
        "council_name": settings.council_name,
        "council_phone": settings.council_phone,
        "council_out_of_hours_phone": settings.council_out_of_hours_phone,
        "council_website": settings.council_website,
        "privacy_url": settings.web_privacy_url,
        **SAMPLE_VALUES,
        **SAMPLES.get(language, {}),
    }
    names = [field for _, field, _, _ in string.Formatter().parse(text) if field]
    # Slots with no sample get a typical-length stand-in, so new responses are linted too.
    values.update({n: STAND_IN.get(language, STAND_IN["en"]) for n in names if n not in values})
    return text.format(**values)


def _assert_sms_friendly(name: str, body: str, language: str = "en") -> None:
    if language == "en":
        assert is_gsm7(body), f"{name} is not GSM-7: {[c for c in body if not is_gsm7(c)]}"
    else:
        assert is_sms_text(body), f"{name} has characters outside GSM-7 that are not Welsh letters: " \
                                  f"{[c for c in body if not is_sms_text(c)]}"
    assert segments(body) <= MAX_SEGMENTS, (
        f"{name} costs {segments(body)} {encoding(body)} segments ({len(body)} chars): {body!r}")


RESPONSES = _responses()


def test_every_response_is_found():
    names = {name for name, _, _ in RESPONSES}
    assert "utter_greet" in names and any(n.startswith("utter_faq/") for n in names)
    assert {language for _, language, _ in RESPONSES} == set(LANGUAGES)


@pytest.mark.parametrize("name,language,variant", RESPONSES,
                         ids=[f"{n}-{lang}-{i}" for i, (n, lang, _) in enumerate(RESPONSES)])
def test_response_fits_sms(name: str, language: str, variant: Dict[str, Any]):
    message = {"text": _fill(variant.get("text", ""), language), "buttons": variant.get("buttons") or []}
    rendered = render_message(message, language)
    # The raw text must already be fit to send: rendering may not silently change our own wording.
    assert (is_gsm7 if language == "en" else is_sms_text)(message["text"]), f"{name} has characters outside GSM-7"
    assert rendered.body.startswith(message["text"])
    _assert_sms_friendly(name, rendered.body, language)


def test_welsh_is_counted_as_ucs2_and_keeps_its_letters():
    """A Welsh reply is not stripped of its circumflexes, and costs UCS-2 segments."""
    welsh = "Beth yw cyfeiriad y lle mae'r sŵn yn dod ohono? Rhowch enw'r stryd a rhif y tŷ, neu god post os gwelwch yn dda."
    rendered = render_message({"text": welsh})
    assert rendered.body == welsh and encoding(welsh) == "UCS-2"
    assert len(welsh) == 111 and segments(welsh) == 2  # 111 UTF-16 units: 2 x 67, not 1 x 160
    assert segments(welsh.replace("ŵ", "w").replace("ŷ", "y")) == 1


@pytest.mark.parametrize(
    "template", [sms.HELP_TEXT, sms.OPTED_IN_TEXT, sms.OPTED_OUT_TEXT, sms.MEDIA_REJECTED_TEXT, sms.FAILURE_TEXT]
)
def test_channel_texts_fit_sms(template: str):
    settings = load_settings({})
    body = template.format(council_name=settings.council_name, council_phone=settings.council_phone,
                           council_website=settings.council_website, max_mb=5,
                           privacy_url=settings.web_privacy_url)
    _assert_sms_friendly(template[:30], body)


# Long answers, as residents type them. The Welsh ones hold "ŵ" and "ŷ" (UCS-2: 201 characters for 3
# segments), in the answers the read-back repeats and in the kinds of report ("baw cŵn", "problem sŵn").
LONG_ANSWERS = {
    "en": {
        "location": "outside 12 Mill Lane, by the bus stop opposite the primary school gates", "postcode": "AN1 4GT",
        "bin_type": "recycling", "collection_day": "Tuesday", "defect_surface": "road",
        "defect_size": "about the size of a dinner plate and quite deep, maybe ten centimetres",
        "defect_danger": True,
        "description": "Three black bags and an old mattress dumped by the bins, and some of the bags have split open",
        "noise_type": "very loud music with a heavy bass from the flat upstairs", "noise_when": "weekends after midnight",
        "noise_frequency": "every week since May, sometimes twice a week", "vehicle_registration": "AB12 CDE",
        "vehicle_make": "Ford Focus estate", "vehicle_colour": "silver with a dented blue door",
        "vehicle_duration": "three weeks at least, it has not moved", "bulky_items": "a sofa, a fridge and two mattresses",
        "bin_reason": "stolen", "contact_consent": True, "contact_phone": "+447700900123",
        "contact_email": "resident.with.a.long.name@example.com",
    },
    "cy": {
        "location": "tu allan i 12 Mill Lane, wrth ymyl y safle bws gyferbyn â'r ysgol gynradd", "postcode": "AN1 4GT",
        "bin_type": "recycling", "collection_day": "Tuesday", "defect_surface": "pavement",
        "defect_size": "tua maint plât cinio ac yn eithaf dwfn, efallai deg centimetr",
        "defect_danger": True,
        "description": "Tri bag du a hen fatres wedi'u gadael wrth y biniau, ac mae rhai o'r bagiau wedi rhwygo'n agored",
        "noise_type": "cerddoriaeth uchel iawn o'r fflat uwchben, a chŵn yn cyfarth", "noise_when": "penwythnos ar ôl hanner nos",
        "noise_frequency": "bob wythnos ers mis Mai, weithiau ddwywaith yr wythnos", "vehicle_registration": "AB12 CDE",
        "vehicle_make": "Ford Focus ystad", "vehicle_colour": "arian gyda drws glas wedi'i dolcio",
        "vehicle_duration": "tair wythnos o leiaf, dydy hi ddim wedi symud", "bulky_items": "soffa, oergell a dwy fatres",
        "bin_reason": "damaged", "contact_consent": True, "contact_phone": "+447700900123",
        "contact_email": "preswylydd.gydag.enw.hir@example.com",
    },
}


async def _read_back(category, language: str, channel: str, make_tracker, monkeypatch, slots=None,
                     said_before=()) -> Dict[str, Any]:
    from actions import services

    monkeypatch.setenv("COUNCIL_LANGUAGES", ",".join(LANGUAGES))
    services.reset()
    tracker = make_tracker(user_event("yes", metadata={"channel": channel}),
                           slots={"language": language, **LONG_ANSWERS[language], **(slots or {})}, form=category.form)
    tracker.events += [{"event": "bot", "text": text} for text in said_before]  # earlier this turn
    dispatcher = CollectingDispatcher()
    await ActionAskReportConfirmed().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    return message


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("category", CATEGORIES, ids=[c.key for c in CATEGORIES])
async def test_report_summary_fits_sms(category, language, make_tracker, environment, monkeypatch):
    """The SMS read-back of long answers fits 3 segments, in Welsh (UCS-2) as in English."""
    message = await _read_back(category, language, "sms", make_tracker, monkeypatch)
    assert messages.text("report.is_that_right", language) in message["text"]  # really in that language
    body = render_message(message, language).body
    _assert_sms_friendly(f"summary of {category.key} [{language}]", body, language)
    # Cut, not emptied: the place's first words are still there.
    assert LONG_ANSWERS[language]["location"][:10] in body


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_sms_read_back_fits_with_what_was_said_before_it(language, make_tracker, environment,
                                                                   monkeypatch):
    """All replies to one message go as one SMS body: a line said before the read-back counts too."""
    before = messages.text("report.updated", language)
    category = next(c for c in CATEGORIES if c.key == "noise")
    message = await _read_back(category, language, "sms", make_tracker, monkeypatch, said_before=[before])
    body = before + "\n\n" + render_message(message, language).body
    _assert_sms_friendly(f"update and summary [{language}]", body, language)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_long_sms_answers_are_cut_with_an_ellipsis_the_web_read_back_and_the_case_keep_them(
        language, make_tracker, environment, monkeypatch):
    from actions.reports import build_case

    category = next(c for c in CATEGORIES if c.key == "abandoned_vehicle")
    longer = {"vehicle_colour": " ".join([LONG_ANSWERS[language]["vehicle_colour"]] * 5)}
    answers = {**LONG_ANSWERS[language], **longer}
    by_sms = (await _read_back(category, language, "sms", make_tracker, monkeypatch, slots=longer))["text"]
    assert "..." in by_sms and answers["vehicle_colour"] not in by_sms
    assert answers["vehicle_registration"] in by_sms  # short answers stay whole
    on_the_web = (await _read_back(category, language, "web", make_tracker, monkeypatch, slots=longer))["text"]
    assert answers["vehicle_colour"] in on_the_web and answers["location"] in on_the_web and "..." not in on_the_web
    tracker = make_tracker(user_event("yes", metadata={"channel": "sms"}), form=category.form,
                           slots={"language": language, "report_confirmed": True, **answers})
    case = build_case(category, tracker)
    assert case.details["vehicle_colour"] == answers["vehicle_colour"] and case.location_text == answers["location"]


def test_a_read_back_too_long_even_cut_leaves_out_the_last_details_and_says_so():
    from bot.channels.sms_text import fit_echo, shorten

    lines = [f"Detail {i}: " + "word " * 30 for i in range(40)]

    def build(limit: int, shown: int) -> str:
        kept = [shorten(line, limit) for line in lines[:shown]]
        return "\n".join(kept + ([f"(and {len(lines) - shown} more)"] if shown < len(lines) else []))

    text = fit_echo(build, len(lines), lambda t: segments(t) <= MAX_SEGMENTS)
    assert segments(text) <= MAX_SEGMENTS and text.endswith("more)") and "Detail 0..." in text
    assert "Detail 39" not in text  # the last ones are left out, the first ones kept
    assert fit_echo(build, 1, lambda t: True) == build(10_000, 1)  # whole when it fits


@pytest.mark.parametrize("language", LANGUAGES)
def test_finish_texts_fit_sms_in_every_language(language: str):
    for category in CATEGORIES:
        title = messages.text(f"category.{category.key}.title", language)
        for message_id in ("report.received", "report.received_contact"):
            body = messages.text(message_id, language, title=title, reference="AB7K-3FQ2")
            _assert_sms_friendly(f"finish {category.key} [{language}]", body, language)


def test_finish_and_status_texts_fit_sms():
    for category in CATEGORIES:
        for message_id in ("report.received", "report.received_contact"):
            body = messages.text(message_id, title=category.title, reference="AB7K-3FQ2")
            _assert_sms_friendly(f"finish {category.key}", body)
        now = datetime(2026, 9, 30, tzinfo=timezone.utc)
        case = Case(id=1, reference="AB7K-3FQ2", category=category.key, status="in_progress",
                    conversation_id="sms-x", channel="sms", created_at=now, updated_at=now,
                    backoffice_reference="SR-2026-0001234")
        _assert_sms_friendly(f"status {category.key}", describe(case))


PHOTO_LINK_TEXTS = [photo_texts.LINK_TEXT, photo_texts.NO_REPORT_TEXT, photo_texts.TOO_MANY_LINKS_TEXT,
                    photo_texts.UNAVAILABLE_TEXT, photo_texts.ARRIVED_TEXT]


def _fill_photo_text(template: str) -> str:
    return template.format(reference="AB7K-3FQ2", hours=24, link=LONG_PHOTO_LINK, council_phone="01632 960000",
                           count_words=photo_texts.count_words(5))


@pytest.mark.parametrize("template", PHOTO_LINK_TEXTS)
def test_photo_link_texts_fit_sms(template: str):
    _assert_sms_friendly(template[:30], _fill_photo_text(template))


@pytest.mark.parametrize("language", LANGUAGES)
def test_reference_with_the_photo_link_fits_sms(language: str):
    """The reference and the upload link are one turn: one SMS body when it fits 3 segments (every
    kind of report whose title keeps the text GSM-7), else two texts of at most 3 each (Welsh
    titles with "ŵ": "baw cŵn", "problem sŵn")."""
    from bot.channels.sms_text import render_turn, turn_messages

    variants = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]["utter_photo_link"]
    [variant] = _sms_variants(variants, language)
    link = _fill(variant["text"], language)
    assert LONG_PHOTO_LINK in link
    for category in CATEGORIES:
        title = messages.text(f"category.{category.key}.title", language)
        for message_id in ("report.received", "report.received_contact"):
            reference = messages.text(message_id, language, title=title, reference="AB7K-3FQ2")
            texts = turn_messages(render_turn([{"text": reference}, {"text": link}], language))
            for text in texts:
                _assert_sms_friendly(f"{message_id} and photo link [{language}]", text, language)
            assert len(texts) == (1 if is_gsm7(title) else 2), (category.key, message_id, texts)


def _action_texts() -> List[Tuple[str, str]]:
    """Every literal or f-string ``utter_message(text=...)`` in actions/, placeholders filled."""
    import ast

    found: List[Tuple[str, str]] = []
    for path in sorted((PROJECT_ROOT / "actions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "utter_message"):
                continue
            for keyword in node.keywords:
                if keyword.arg != "text":
                    continue
                value = keyword.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.append((f"{path.name}:{node.lineno}", value.value))
                elif isinstance(value, ast.JoinedStr):
                    text = "".join(
                        part.value if isinstance(part, ast.Constant) else "Typical value 12345"
                        for part in value.values
                    )
                    found.append((f"{path.name}:{node.lineno}", text))
    return found


# Words of web pages and the chat widget (bot/web/page_text.py): read in a browser, never texted.
WEB_ONLY = ("privacy.", "home.", "bins.", "site.", "widget.", "language.")


def _catalogue_texts() -> List[Tuple[str, str]]:
    """Every text in bot/messages/catalogue.yml, in every language it has, placeholders filled.

    Some are only shown on web pages; they are linted alike, so any can be sent by SMS.
    """
    found = []
    for message_id in messages.message_ids():
        if message_id.startswith(("response.", "button.")):
            continue  # dialogue responses: linted above as Rasa sends them by SMS (domain.yml)
        if message_id.startswith(WEB_ONLY):
            continue
        for language in messages.languages_of(message_id):
            found.append((f"{message_id}[{language}]", _fill(messages.template(message_id, language), language)))
    return found


# Literal texts still in actions/, and the message catalogue's texts (most of what code says).
ACTION_TEXTS = _action_texts() + _catalogue_texts()


def test_action_texts_are_found():
    assert len(ACTION_TEXTS) >= 5
    assert any(where.startswith("report.received") for where, _ in ACTION_TEXTS)


@pytest.mark.parametrize("where,text", ACTION_TEXTS, ids=[w for w, _ in ACTION_TEXTS])
def test_action_texts_fit_sms(where: str, text: str):
    language = re.search(r"\[(\w+)\]$", where).group(1) if where.endswith("]") else "en"
    _assert_sms_friendly(where, text, language)


async def test_bin_day_answer_fits_sms(make_tracker, environment):
    from actions.waste import ActionBinDay

    dispatcher = CollectingDispatcher()
    await ActionBinDay().run(dispatcher, make_tracker(user_event("AN1 4GT"), slots={"postcode": "AN1 4GT"}), {})
    assert dispatcher.messages
    for message in dispatcher.messages:
        _assert_sms_friendly("bin day", render_message(message).body)


# ----- opt-out keywords (issue 11) ----------------------------------------------------
# By SMS "cancel" is a carrier opt-out keyword: a resident who typed it to leave a
# report was unsubscribed from every text, case updates included.
_CANCEL = re.compile(r"\bcancel", re.IGNORECASE)  # "cancelled" teaches it too


def _sms_texts() -> List[Tuple[str, str]]:
    texts = [(name, _fill(variant.get("text", ""), language)) for name, language, variant in RESPONSES]
    texts += [(where, text) for where, text in ACTION_TEXTS]
    for template in (sms.HELP_TEXT, sms.OPTED_IN_TEXT, sms.OPTED_OUT_TEXT, sms.MEDIA_REJECTED_TEXT, sms.FAILURE_TEXT):
        texts.append((template[:30], _fill(template)))
    texts += [(template[:30], _fill_photo_text(template)) for template in PHOTO_LINK_TEXTS]
    return texts


def test_nothing_sent_by_sms_says_cancel():
    said = [(where, text) for where, text in _sms_texts() if _CANCEL.search(text)]
    assert not said, said


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_word_taught_for_leaving_a_report_is_not_a_carrier_keyword_and_works(language: str):
    """In each language: Welsh texts teach a Welsh word (GOLLWNG), never an opt-out keyword."""
    from bot import answers

    [variant] = _sms_variants(yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]["utter_sms_how_to_drop"],
                              language)
    taught = re.search(r"(?:Reply|Atebwch) ([A-Z]+)", variant["text"]).group(1)
    assert taught not in sms.STOP_WORDS | sms.START_WORDS | sms.HELP_WORDS
    assert taught not in {"STOPIO", "DECHRAU", "CANSLO", "DIDDYMU"}  # Welsh words a council may add as opt-outs
    assert sms.keyword(taught) is None  # reaches the conversation
    assert answers.is_abandon(taught) and answers.is_abandon(taught.lower() + ".")
    assert taught in messages.template("sms.help", language)
    assert (taught == "DROP") is (language == "en")  # Welsh texts teach the Welsh word


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_photo_keyword_taught_is_understood_and_is_the_languages_own(language: str):
    from bot.photo_links.asking import asks_to_send_photo

    taught = {re.search(r"\b([A-Z]{4,})\b", messages.template(message_id, language)).group(1)
              for message_id in ("upload_page.link_used_now", "upload_page.expired_new", "upload_page.used_more",
                                 "upload_page.invalid_more")}
    assert taught == {"PHOTO" if language == "en" else "LLUNIAU"}
    [word] = taught
    assert asks_to_send_photo(word) and asks_to_send_photo(word.lower()) and sms.keyword(word) is None


def test_opt_out_confirmation_says_how_to_come_back():
    assert "START" in sms.OPTED_OUT_TEXT and "START" in sms.START_WORDS

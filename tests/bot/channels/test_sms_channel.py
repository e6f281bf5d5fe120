"""SMS channel parts against the Twilio stand-in's real HTTP API (in-process server)."""

from __future__ import annotations

import io

import pytest
from aiohttp.test_utils import TestServer
from PIL import Image

from bot.channels.sms import SmsInput, SmsPushOutput, SmsSender, keyword
from bot.channels.sms_media import MediaRejected, MediaStore
from bot.channels.twilio_client import TwilioClient
from bot.sandbox.twilio_api import Sandbox, sandbox_environment
from bot.settings import ConfigError, load_settings
from bot.storage.database import create_schema, make_engine
from bot.storage.sms import SmsStore
from tests.support.sms import TINY_PNG

SID, TOKEN, NUMBER = "AC" + "0" * 32, "t" * 32, "+447700900000"


@pytest.mark.parametrize("text,expected", [
    ("STOP", "stop"), ("stop", "stop"), (" Stop. ", "stop"), ("unsubscribe", "stop"), ("Cancel", "stop"),
    ("end", "stop"), ("QUIT", "stop"), ("stopall", "stop"), ("start", "start"), ("YES", "start"),
    ("unstop", "start"), ("help", "help"), ("please stop", None), ("stop the noise", None), ("", None),
    ("revoke", "stop"), ("OptOut", "stop"),  # the rest of Twilio's default opt-out words
    ("CYMORTH", "help"), ("cymorth.", "help"),  # Welsh for help: only ever the HELP text, never an opt-out
    # Welsh opt-out words are Twilio's to decide (Advanced Opt-Out); without its verdict the
    # resident is told to send STOP. DECHRAU (start) goes to the conversation.
    ("STOPIO", "how_to_stop"), ("stopio.", "how_to_stop"), ("Dad-danysgrifio", "how_to_stop"), ("DECHRAU", None),
])
def test_keywords_are_single_words_in_any_case(text, expected):
    assert keyword(text) == expected


@pytest.mark.parametrize("text,opt_out_type,expected", [
    ("STOPIO", "STOP", "stop"),  # a keyword the council added in Twilio's Advanced Opt-Out (Welsh)
    ("DECHRAU", "START", "start"), ("CYMORTH", "HELP", "help"),
    ("stop the noise", None, None),  # no verdict: our own word list decides
    ("STOP", "", "stop"), ("hello", "NONSENSE", None),
])
def test_twilios_opt_out_verdict_wins_over_the_word_list(text, opt_out_type, expected):
    assert keyword(text, opt_out_type or None) == expected


@pytest.fixture
async def twilio():
    sandbox = Sandbox(SID, TOKEN, NUMBER, "http://127.0.0.1:9/unused")
    server = TestServer(sandbox.app())
    await server.start_server()
    client = TwilioClient(SID, TOKEN, str(server.make_url("")).rstrip("/"), backoff_seconds=0.01)
    yield sandbox, client
    await client.close()
    await server.close()


@pytest.fixture
def store(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sms.db'}")
    create_schema(engine)
    return SmsStore(engine)


async def test_sends_with_basic_auth_and_gets_a_twilio_shaped_answer(twilio):
    sandbox, client = twilio
    result = await client.send_message("+447700900123", NUMBER, "Hello")
    assert result.ok and result.sid.startswith("SM") and result.status == "queued"
    assert sandbox.messages[-1]["body"] == "Hello"


async def test_wrong_credentials_are_a_permanent_error(twilio):
    sandbox, client = twilio
    bad = TwilioClient(SID, "wrong", client.base_url, backoff_seconds=0.01)
    result = await bad.send_message("+447700900123", NUMBER, "Hello")
    await bad.close()
    assert not result.ok and result.error_code == "20003" and result.attempts == 1


async def test_429_and_5xx_are_retried_with_backoff(twilio):
    sandbox, client = twilio
    sandbox.faults.fail_next = [429, 500, 503]
    result = await client.send_message("+447700900123", NUMBER, "Hello")
    assert result.ok and result.attempts == 4


async def test_giving_up_after_the_last_attempt(twilio):
    sandbox, client = twilio
    sandbox.faults.fail_next = [500] * 10
    result = await client.send_message("+447700900123", NUMBER, "Hello")
    assert not result.ok and result.attempts == client.max_attempts


@pytest.mark.parametrize("to,code", [("07700 900123", "21211"), ("+447700900999", "21610")])
async def test_invalid_or_opted_out_numbers_are_not_retried(twilio, to, code):
    sandbox, client = twilio
    sandbox.faults.opted_out = {"+447700900999"}
    result = await client.send_message(to, NUMBER, "Hello")
    assert not result.ok and result.error_code == code and result.attempts == 1


async def test_media_is_fetched_with_credentials_and_only_from_the_api_host(twilio):
    sandbox, client = twilio
    sandbox.media["ME1"] = ("image/png", TINY_PNG)
    url = f"{client.base_url}/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"
    data, content_type = await client.fetch_media(url, 1000)
    assert data == TINY_PNG and content_type == "image/png"
    with pytest.raises(ValueError, match="too large"):
        await client.fetch_media(url, 10)
    with pytest.raises(ValueError, match="not on the Twilio API host"):
        await client.fetch_media("http://attacker.example/steal", 1000)


async def test_the_sender_never_sends_to_an_opted_out_number(twilio, store):
    sandbox, client = twilio
    sender = SmsSender(client, store, NUMBER, "")
    store.suppress("+447700900123", "STOP", "resident")
    [result] = await sender.send("sms-x", "+447700900123", "Your report is fixed")
    assert result.status == "blocked"
    assert sandbox.messages == []
    assert store.delivery_problems()[0]["error_message"].startswith("not sent: the resident opted out")


async def test_very_long_replies_go_as_several_messages_in_order(twilio, store):
    sandbox, client = twilio
    sender = SmsSender(client, store, NUMBER, "")
    text = " ".join(f"w{n}" for n in range(800))
    results = await sender.send("sms-x", "+447700900123", text)
    assert len(results) > 1 and all(r.ok for r in results)
    assert " ".join(m["body"] for m in sandbox.messages) == text


def test_images_are_checked_by_content_not_declared_type(tmp_path):
    media = MediaStore(tmp_path, "https://bot.example", max_bytes=1000)
    url = media.store(TINY_PNG, "application/octet-stream")
    assert url.startswith("https://bot.example/webhooks/sms/media/") and url.endswith(".png")
    with Image.open(media.path_for(url.rsplit("/", 1)[1])) as stored:  # re-encoded, metadata removed
        assert stored.format == "PNG" and stored.size == Image.open(io.BytesIO(TINY_PNG)).size
    with pytest.raises(MediaRejected):
        media.store(b"<html><script>alert(1)</script>", "image/jpeg")
    with pytest.raises(MediaRejected):
        media.store(TINY_PNG + b"\0" * 1000, "image/png")
    with pytest.raises(MediaRejected):
        media.store(b"", "image/png")
    assert media.path_for("../sms.db") is None and media.path_for("x.png") is None
    gif = io.BytesIO()
    Image.new("P", (4, 4)).save(gif, format="GIF")
    assert media.store(gif.getvalue(), "image/gif").endswith(".png")  # GIFs from MMS kept, as PNG


def test_missing_twilio_settings_stop_the_channel_by_name(tmp_path):
    settings = load_settings({"VAR_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": SID})
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN.*TWILIO_NUMBER.*PUBLIC_BASE_URL"):
        SmsInput(settings)


def test_the_sandbox_environment_is_per_run_and_never_overrides_real_credentials():
    first, second = sandbox_environment({}), sandbox_environment({})
    assert first["TWILIO_SANDBOX"] == "1" and first["TWILIO_AUTH_TOKEN"] != second["TWILIO_AUTH_TOKEN"]
    assert first["TWILIO_API_BASE_URL"].startswith("http://127.0.0.1:")
    real = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}
    assert sandbox_environment(real) == real


async def test_one_failing_message_does_not_stop_the_numbers_queue():
    import asyncio

    from bot.channels.sms import OrderedWork
    from bot.shared_state import MemoryKeyedLocks
    from bot.storage.sms import InboundMessage

    handled = []
    rows = [InboundMessage(n, f"SM{n}", "+447700900123", "sms-x", body, [])
            for n, body in enumerate(["first", "boom", "second", "third"])]
    unfinished = list(rows)

    async def pending(_phone: str):
        return list(unfinished)

    async def handler(item: InboundMessage) -> None:
        if item.body == "boom":
            raise RuntimeError("database unreachable")  # left unfinished, like a row that could not be marked
        await asyncio.sleep(0.01 if item.body == "first" else 0)
        handled.append(item.body)
        unfinished.remove(item)

    work = OrderedWork(handler, pending, MemoryKeyedLocks())
    for _ in rows:
        work.put("+447700900123")
    while work.busy:
        await asyncio.sleep(0.01)
    assert handled == ["first", "second", "third"]
    assert [m.body for m in unfinished] == ["boom"], "kept for the next sweep, not retried in a loop"


def test_a_re_split_signed_webhook_is_not_a_new_message():
    """Twilio signs keys and values run together, so moving text between them keeps the signature."""
    from multidict import MultiDict
    from twilio.request_validator import RequestValidator

    from bot.channels.sms import message_sid

    sid = "SM" + "0123456789abcdef" * 2
    url = "https://bot.example/webhooks/sms/webhook"
    genuine = {"Body": "hello", "From": "+447700900123", "MessageSid": sid, "NumMedia": "0", "SmsMessageSid": sid}
    signature = RequestValidator(TOKEN).compute_signature(url, genuine)
    resplit = {k: v for k, v in genuine.items() if k != "NumMedia"}
    resplit["MessageSid"] = sid + "NumMedia0"
    assert RequestValidator(TOKEN).validate(url, resplit, signature), "the attack really keeps the signature"

    assert message_sid(MultiDict(genuine)) == sid
    assert message_sid(MultiDict(resplit)) is None
    only_new = {k: v for k, v in resplit.items() if k != "SmsMessageSid"}
    assert message_sid(MultiDict(only_new)) is None  # not SM/MM + 32 hex digits
    assert message_sid(MultiDict({**genuine, "SmsMessageSid": "MM" + "0" * 32})) is None
    assert message_sid(MultiDict({"MessageSid": "MM" + "f" * 32})) == "MM" + "f" * 32
    for bad in ("", "SM1", "SM" + "0" * 31, "SM" + "0" * 33, "XX" + "0" * 32, "SM" + "A" * 32, " SM" + "0" * 32):
        assert message_sid(MultiDict({"MessageSid": bad})) is None, bad


async def test_staff_messages_pushed_by_sms_say_which_team_is_talking(twilio, store):
    sandbox, client = twilio
    output = SmsPushOutput(SmsSender(client, store, NUMBER, ""), "Anytown Borough Council team")
    conversation = store.conversation_for("+447700900123")
    # As Rasa passes a staff reply's event metadata (bot/escalation/handoff.py) to the output channel.
    await output.send_response(conversation, {"text": "Hi, Jo here.", "from_staff": True, "staff_name": "Jo"})
    await output.send_response(conversation, {"text": "Your report has been closed."})
    assert [m["body"] for m in sandbox.messages] == [
        "Anytown Borough Council team: Hi, Jo here.", "Your report has been closed."]


async def test_staff_label_and_keyword_replies_are_in_the_conversations_language(twilio, store, tmp_path):
    from bot import messages
    from bot.language import current

    sandbox, client = twilio
    output = SmsPushOutput(SmsSender(client, store, NUMBER, ""), "Tîm Cyngor Sir")
    welsh = store.conversation_for("+447700900124")
    current.remember(welsh, "cy")  # as the language step does each turn (bot/language/rasa_hook.py)
    await output.send_response(welsh, {"text": "Helo, Jo sydd yma.", "from_staff": True})
    assert sandbox.messages[-1]["body"] == messages.text("sms.from_staff", "cy", team="Tîm Cyngor Sir",
                                                         text="Helo, Jo sydd yma.")
    # The team's name by language (Settings.team_names): the Welsh one in a Welsh conversation.
    named = SmsPushOutput(SmsSender(client, store, NUMBER, ""), {"en": "County team", "cy": "Tîm y Sir"})
    await named.send_response(welsh, {"text": "Helo eto.", "from_staff": True})
    assert sandbox.messages[-1]["body"] == messages.text("sms.from_staff", "cy", team="Tîm y Sir", text="Helo eto.")

    channel = SmsInput(load_settings({"VAR_DIR": str(tmp_path), "COUNCIL_LANGUAGES": "en,cy",
                                      "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_NUMBER": NUMBER,
                                      "PUBLIC_BASE_URL": "https://chat.example.gov.uk"}))
    assert channel._text("sms.help", welsh) == messages.text("sms.help", "cy", **_values(channel))
    assert channel._text("sms.help", "sms-someone-else") == messages.text("sms.help", "en", **_values(channel))


def _values(channel):  # type: ignore[no-untyped-def]
    s = channel.settings
    return dict(council_name=s.council_name, council_phone=s.council_phone, council_website=s.council_website,
                privacy_url=s.web_privacy_url, max_mb=s.sms_media_max_bytes // (1024 * 1024))


async def test_a_turn_that_would_pass_three_segments_goes_as_several_texts_in_order(twilio, store):
    from bot.channels.sms import SmsTurnOutput

    sandbox, client = twilio
    output = SmsTurnOutput(SmsSender(client, store, NUMBER, ""), "sms-turn", "+447700900125")
    reference = "Diolch. Mae eich adroddiad (baw cŵn) wedi dod i law. Eich cyfeirnod yw AB7K-3FQ2."
    link = "I ychwanegu lluniau, agorwch y ddolen hon: https://www.anytown-borough.gov.uk/p/" + "Ab3-" * 20
    await output.send_response("sms-turn", {"text": reference})
    await output.send_response("sms-turn", {"text": link})
    results = await output.flush()
    assert [m["body"] for m in sandbox.messages] == [reference, link] and all(r.ok for r in results)
    await output.send_response("sms-turn", {"text": "Diolch."})
    await output.send_response("sms-turn", {"text": "Beth yw'r cod post?"})
    await output.flush()
    assert sandbox.messages[-1]["body"] == "Diolch.\n\nBeth yw'r cod post?"  # fits: one text, as before

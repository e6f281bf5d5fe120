"""The SMS channel against the real Rasa server, action server and the Twilio stand-in."""

from __future__ import annotations

import io
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image
from sqlalchemy import select

from bot.launcher import wait_until_healthy
from bot.settings import PROJECT_ROOT
from bot.storage.cases import CaseStore
from bot.storage.schema import cases, sms_messages
from tests.support.sms import TINY_PNG, SmsClient, sms_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmsClient]:
    stack = sms_stack(Path(tmp_path_factory.mktemp("sms-stack")))
    try:
        yield SmsClient(stack)
    finally:
        stack.stop()


@pytest.fixture(autouse=True)
def no_faults(sms: SmsClient) -> Iterator[None]:
    sms.faults()
    yield
    sms.faults()


def test_signed_message_is_answered_through_the_twilio_api(sms: SmsClient):
    phone = "+447700900001"
    sent = sms.send_via_network(phone, "hello")
    assert sent["webhook_status"] == 200 and "<Response></Response>" in sent["webhook_body"]
    [reply] = sms.wait_for_replies(phone, 1)
    assert "assistant" in reply["body"] and "Reply 1 for Report a problem" in reply["body"]
    assert reply["num_segments"] <= 3
    # The delivery receipts come back signed and move the status to delivered.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (sms.store.message(reply["sid"]) or {}).get("status") != "delivered":
        time.sleep(0.1)
    assert sms.store.message(reply["sid"])["status"] == "delivered"
    # Rasa never sees the number: the conversation id is pseudonymous.
    conversation = sms.conversation(phone)
    assert conversation.startswith("sms-") and phone not in conversation


def test_numbered_reply_means_that_option(sms: SmsClient):
    phone = "+447700900002"
    sms.send_via_network(phone, "hi")
    sms.wait_for_replies(phone, 1)
    sms.send_via_network(phone, "2")  # "Bin day"
    replies = sms.wait_for_replies(phone, 2)
    assert "postcode" in replies[1]["body"].lower()
    assert sms.user_texts(phone)[-1] == "when is my bin day"


def test_another_postcode_after_a_bin_day_answer_gets_that_postcodes_bin_day(sms: SmsClient):
    phone = "+447700900090"
    sms.send_via_network(phone, "when is my bin day")
    assert "postcode" in sms.wait_for_replies(phone, 1)[0]["body"].lower()
    sms.send_via_network(phone, "AN1 4GT")
    assert "AN1 4GT" in sms.wait_for_replies(phone, 2)[1]["body"]
    sms.send_via_network(phone, "AN4 2LP")  # checking a relative's address: not a start of a report
    assert "AN4 2LP" in sms.wait_for_replies(phone, 3)[2]["body"]


def test_cymraeg_by_sms_to_an_english_only_council_is_answered_in_both_languages(sms: SmsClient):
    phone = "+447700900091"
    sms.send_via_network(phone, "CYMRAEG")
    [reply] = sms.wait_for_replies(phone, 1)
    assert "only help in English" in reply["body"] and "dim ond yn Saesneg" in reply["body"]
    assert reply["num_segments"] <= 3


def test_forged_unsigned_and_tampered_webhooks_are_refused_and_not_recorded(sms: SmsClient):
    phone = "+447700900003"
    assert sms.text(phone, "hello")[0] == 200
    sms.wait_for_replies(phone, 1)
    before = sms.user_texts(phone)

    unsigned = sms.params(phone, "report a pothole")
    assert sms.webhook(unsigned, signature=None)[0] == 403
    forged = sms.params(phone, "report a pothole")
    assert sms.webhook(forged, signature="bm90IGEgc2lnbmF0dXJl")[0] == 403
    tampered = sms.params(phone, "hello")
    signature = sms.sign(sms.webhook_url, tampered)
    tampered["Body"] = "/report_pothole{\"location\": \"forged\"}"
    assert sms.webhook(tampered, signature=signature)[0] == 403
    wrong_url = sms.params(phone, "hello")
    assert sms.webhook(wrong_url, signature=sms.sign("https://evil.example/webhooks/sms/webhook", wrong_url))[0] == 403
    forged_receipt = sms.post_form(sms.status_url, {"MessageSid": "SMx", "MessageStatus": "delivered"}, "AAAA")
    assert forged_receipt[0] == 403
    # A captured webhook re-split: Twilio signs keys and values run together, so
    # "MessageSid=SM...NumMedia0" without NumMedia keeps the signature, as a new SID.
    captured = sms.params(phone, "hello")
    signature = sms.sign(sms.webhook_url, captured)
    resplit = {k: v for k, v in captured.items() if k != "NumMedia"}
    resplit["MessageSid"] = captured["MessageSid"] + "NumMedia0"
    assert sms.webhook(resplit, signature=signature)[0] == 400

    time.sleep(1.0)
    assert sms.user_texts(phone) == before
    for params in (unsigned, forged, tampered, wrong_url, resplit):
        assert sms.store.message(params["MessageSid"]) is None
    assert len(sms.replies(phone)) == 1


def test_same_message_sid_twice_is_one_turn(sms: SmsClient):
    phone = "+447700900004"
    params = sms.params(phone, "hello")
    assert sms.webhook(params)[0] == 200
    assert sms.webhook(params)[0] == 200  # Twilio retried: acknowledged, not processed again
    sms.wait_until_processed(params["MessageSid"])
    sms.wait_for_replies(phone, 1)
    time.sleep(1.0)
    assert sms.user_texts(phone) == ["hello"]
    assert len(sms.replies(phone)) == 1


def test_messages_from_one_number_are_handled_in_order(sms: SmsClient):
    phone = "+447700900005"
    first, second, third = sms.params(phone, "hello"), sms.params(phone, "2"), sms.params(phone, "thanks")
    # All three acknowledged before the first has been answered.
    for params in (first, second, third):
        assert sms.webhook(params)[0] == 200
    sms.wait_until_processed(third["MessageSid"])
    # "2" only means "bin day" if "hello" (which offered the options) was handled first.
    assert sms.user_texts(phone) == ["hello", "when is my bin day", "thanks"]
    replies = sms.wait_for_replies(phone, 3)
    assert "assistant" in replies[0]["body"]
    assert "postcode" in replies[1]["body"].lower()
    assert replies[0]["index"] < replies[1]["index"] < replies[2]["index"]


def test_a_custom_opt_out_keyword_twilio_recognised_is_honoured(sms: SmsClient):
    # Advanced Opt-Out is set up with Welsh keywords; Twilio marks the webhook with OptOutType.
    phone = "+447700900017"
    sms.send_via_network(phone, "hello")
    sms.wait_for_replies(phone, 1)
    turns = len(sms.user_texts(phone))

    stop = sms.params(phone, "STOPIO")
    assert sms.webhook({**stop, "OptOutType": "STOP"})[0] == 200
    sms.wait_until_processed(stop["MessageSid"])
    assert sms.store.suppression(phone)["keyword"] == "STOPIO"
    assert len(sms.replies(phone)) == 1, "Twilio confirmed this opt-out itself: no second confirmation"
    later = sms.params(phone, "helo eto")
    sms.webhook(later)
    assert sms.wait_until_processed(later["MessageSid"])["status"] == "ignored"
    assert len(sms.user_texts(phone)) == turns, "the keyword never reached the bot"

    start = sms.params(phone, "DECHRAU")
    sms.webhook({**start, "OptOutType": "START"})
    replies = sms.wait_for_replies(phone, 2)
    assert "again" in replies[1]["body"]
    assert sms.store.suppression(phone) is None


def test_stop_silences_the_number_until_start(sms: SmsClient):
    phone = "+447700900006"
    sms.send_via_network(phone, "hello")
    sms.wait_for_replies(phone, 1)
    conversation = sms.conversation(phone)
    turns = len(sms.user_texts(phone))

    stop = sms.send_via_network(phone, "Stop")
    sms.wait_until_processed(stop["sid"])
    later = sms.send_via_network(phone, "hello again")
    assert sms.wait_until_processed(later["sid"])["status"] == "ignored"
    # Staff or the worker trying to reach the resident are blocked too, with the reason recorded.
    assert sms.push(conversation, "Your report has been updated.") == 200
    time.sleep(1.0)
    # One confirmation that says how to come back, then silence.
    replies = sms.replies(phone)
    assert len(replies) == 2 and "START" in replies[1]["body"]
    assert len(sms.user_texts(phone)) == turns  # no NLU either
    blocked = [m for m in sms.store.messages(conversation) if m["status"] == "blocked"]
    assert blocked and "opted out" in blocked[0]["error_message"]
    assert sms.store.suppression(phone)["source"] == "resident"

    sms.send_via_network(phone, "START")
    replies = sms.wait_for_replies(phone, 3)
    assert "again" in replies[2]["body"]
    sms.send_via_network(phone, "hello")
    assert "assistant" in sms.wait_for_replies(phone, 4)[3]["body"]


def test_help_gives_the_council_contact_details(sms: SmsClient):
    phone = "+447700900007"
    sms.send_via_network(phone, "help")
    [reply] = sms.wait_for_replies(phone, 1)
    assert sms.settings.council_phone in reply["body"] and sms.settings.council_website in reply["body"]
    assert sms.user_texts(phone) == []


def test_mms_photo_ends_up_on_the_case(sms: SmsClient):
    phone = "+447700900008"
    answers = [  # first matching cue wins: the summary mentions earlier answers
        ("is that right", "1"),  # "Reply 1 for Yes, send it"
        ("contact you", "no"),
        ("or in easton", "Northfield"),  # two Mill Lanes in the gazetteer: which one
        ("where", "outside 12 Mill Lane by the bus stop"),
        ("dumped", "three black bags and an old mattress"),
        ("describe", "three black bags and an old mattress"),
    ]
    sms.send_via_network(phone, "someone has dumped rubbish in the street",
                         photos=[("image/png", TINY_PNG)])
    for turn in range(2, 10):
        last = sms.wait_for_replies(phone, turn - 1)[-1]["body"]
        if "reference is" in last:
            break
        answer = next((a for cue, a in answers if cue in last.lower()), None)
        assert answer is not None, f"unexpected question: {last}"
        sms.send_via_network(phone, answer)
    else:
        raise AssertionError(f"no case created: {sms.replies(phone)}")
    store = CaseStore(sms.store.engine)
    [case] = store.for_conversation(sms.conversation(phone))
    assert case.channel == "sms" and case.category == "flytipping"
    [url] = case.media_urls
    assert url.startswith(f"{sms.settings.public_base_url}/webhooks/sms/media/")
    with urllib.request.urlopen(url, timeout=10) as response:
        served, content_type = response.read(), response.headers["Content-Type"]
    # The same picture, re-encoded without its metadata (bot/photos.py).
    assert content_type == "image/png"
    with Image.open(io.BytesIO(served)) as image, Image.open(io.BytesIO(TINY_PNG)) as sent:
        assert image.convert("RGBA").tobytes() == sent.convert("RGBA").tobytes()
    # The photo is ours to serve; Twilio's credentialed URL is not what the back office gets.
    assert sms.settings.twilio_api_base_url not in url


def test_something_that_is_not_a_photo_is_refused_politely(sms: SmsClient):
    phone = "+447700900009"
    sent = sms.send_via_network(phone, "", photos=[("image/jpeg", b"MZ\x90\x00 this is an executable")])
    assert sent["webhook_status"] == 200  # Twilio signs the blank Body too
    [reply] = sms.wait_for_replies(phone, 1)
    assert "couldn't use your photo" in reply["body"]


def test_delivery_status_never_moves_backwards(sms: SmsClient):
    phone = "+447700900010"
    sms.send_via_network(phone, "hello")
    [reply] = sms.wait_for_replies(phone, 1)
    sid = reply["sid"]
    deadline = time.monotonic() + 10
    # The reply's row is written once Twilio's API has answered with its sid,
    # which can be just after the resident's phone has it.
    while time.monotonic() < deadline and (sms.store.message(sid) or {}).get("status") != "delivered":
        time.sleep(0.1)
    for late in ("sent", "queued", "sending", "sent", "delivered"):
        assert sms.status_callback(sid, late) == 200
    assert sms.store.message(sid)["status"] == "delivered"


def test_undelivered_messages_are_recorded_for_staff(sms: SmsClient):
    phone = "+447700900011"
    sms.faults(undeliverable=[phone])
    sms.send_via_network(phone, "hello")
    [reply] = sms.wait_for_replies(phone, 1)
    deadline = time.monotonic() + 10
    # The phone can have the text before its row is written (once Twilio's API answers).
    while time.monotonic() < deadline and (sms.store.message(reply["sid"]) or {}).get("status") != "undelivered":
        time.sleep(0.1)
    assert sms.status_callback(reply["sid"], "sent") == 200  # late and out of order
    row = sms.store.message(reply["sid"])
    assert row["status"] == "undelivered" and row["error_code"] == "30003"
    assert reply["sid"] in [p["sid"] for p in sms.store.delivery_problems()]


def test_slow_twilio_never_delays_the_acknowledgement(sms: SmsClient):
    phone = "+447700900012"
    sms.faults(delay_seconds=3.0)
    acks = [sms.text(phone, text) for text in ("hello", "thanks", "bye")]
    assert all(status == 200 for status, _ in acks)
    assert max(seconds for _, seconds in acks) < 1.0
    replies = sms.wait_for_replies(phone, 3, timeout=40)
    assert "assistant" in replies[0]["body"]


def test_rate_limits_and_server_errors_are_retried(sms: SmsClient):
    phone = "+447700900013"
    sms.faults(fail_next=[429, 503])
    sms.send_via_network(phone, "hello")
    [reply] = sms.wait_for_replies(phone, 1, timeout=20)
    assert "assistant" in reply["body"]


def test_permanent_errors_are_not_retried_and_opt_outs_are_remembered(sms: SmsClient):
    phone = "+447700900014"
    sms.faults(opted_out=[phone])  # opted out at Twilio (e.g. texted STOP to another of our numbers)
    sent = sms.send_via_network(phone, "hello")
    sms.wait_until_processed(sent["sid"])
    conversation = sms.conversation(phone)
    [failed] = [m for m in sms.store.messages(conversation) if m["direction"] == "outbound"]
    assert failed["status"] == "failed" and failed["error_code"] == "21610"
    assert sms.store.suppression(phone)["source"] == "twilio"


def test_staff_and_worker_can_push_a_message_to_the_resident(sms: SmsClient):
    phone = "+447700900015"
    sms.send_via_network(phone, "hello")
    sms.wait_for_replies(phone, 1)
    assert sms.push(sms.conversation(phone), "Your report AB7K-3FQ2 has been fixed. Thank you.") == 200
    replies = sms.wait_for_replies(phone, 2)
    assert replies[1]["body"] == "Your report AB7K-3FQ2 has been fixed. Thank you."


def test_phone_numbers_stay_out_of_the_logs(sms: SmsClient):
    logs = "\n".join(p.read_text(errors="replace") for p in sms.stack.var_dir.glob("*.log"))
    assert "Rejected an SMS webhook" in logs  # the whole logs, not just their tails
    for n in range(1, 16):
        assert f"+4477009000{n:02d}" not in logs
    assert sms.stack.env["TWILIO_AUTH_TOKEN"] not in logs


def test_messages_accepted_before_a_restart_are_answered_after_it(sms: SmsClient):
    """Acknowledged to Twilio, then the server stopped before answering: nothing is lost."""
    phone = "+447700900016"
    rasa = next(s for s in sms.stack.services if s.name == "Rasa server")
    rasa.process.send_signal(signal.SIGINT)
    rasa.process.wait(timeout=30)
    # What the webhook had stored when the server went down.
    first = sms.store.accept_inbound(sms.new_sid(), phone, "hello", [])
    second = sms.store.accept_inbound(sms.new_sid(), phone, "2", [])
    log = open(sms.stack.var_dir / "rasa-server-restarted.log", "ab")
    rasa.process = subprocess.Popen(rasa.argv, cwd=PROJECT_ROOT, env={**sms.stack.env, **rasa.env},
                                    stdout=log, stderr=subprocess.STDOUT)
    wait_until_healthy(rasa)
    sms.wait_until_processed(second.sid, timeout=60)
    assert sms.user_texts(phone) == ["hello", "when is my bin day"]  # in order, option mapped
    replies = sms.wait_for_replies(phone, 2)
    assert "assistant" in replies[0]["body"] and "postcode" in replies[1]["body"].lower()
    assert sms.store.message(first.sid)["status"] == "processed"


def test_nothing_is_left_unprocessed(sms: SmsClient):
    with sms.store.engine.connect() as conn:
        stuck = conn.execute(
            select(sms_messages.c.sid, sms_messages.c.status).where(
                sms_messages.c.direction == "inbound", sms_messages.c.status.in_(("received", "processing", "failed"))
            )
        ).all()
        assert stuck == []
        assert conn.execute(select(cases.c.id)).all()  # the MMS test created a case

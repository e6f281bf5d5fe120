"""A whole conversation over the REST channel against the real Rasa and action servers."""

import json
import re
import urllib.error
import urllib.request
import uuid

import pytest
from sqlalchemy import create_engine, text

from bot import messages
from bot.cases.model import STATUS_ORDER
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


def _sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_from_hello_to_a_case_reference_and_its_status(stack):
    me = _sender()
    assert "assistant" in stack.say_text(me, "hi")
    reply = stack.say_text(me, "my bin wasn't collected")
    assert "address" in reply.lower()
    reply = stack.say_text(me, "14 Foxglove Way, AN1 4GT")
    assert "which bin" in reply.lower()
    reply = stack.say_text(me, "the blue one")
    assert "which day" in reply.lower()
    reply = stack.say_text(me, "tuesday")
    assert "contact you" in reply.lower()
    reply = stack.say_text(me, "yes")
    assert "phone number" in reply.lower()
    reply = stack.say_text(me, "07700 900123")
    assert "email" in reply.lower()
    reply = stack.say_text(me, "skip")
    assert "14 Foxglove Way" in reply and "blue bin (recycling)" in reply and "Is that right?" in reply
    reply = stack.say_text(me, "yes")
    reference = REFERENCE.search(reply).group(0)

    store = CaseStore(make_engine(stack.settings.database_url))
    case = store.get_by_reference(reference)
    assert case is not None
    assert case.category == "missed_bin" and case.postcode == "AN1 4GT" and case.channel == "rest"
    assert case.details == {"bin_type": "recycling", "collection_day": "Tuesday"}
    assert case.contact_phone == "+447700900123" and case.contact_consent
    assert case.conversation_id == me

    reply = stack.say_text(_sender(), f"what's happening with {reference}?")
    assert reference in reply
    # The delivery worker may already have passed it on: any true status will do.
    assert any(description in reply for description in (messages.text(f"case_status.{status}") for status in STATUS_ORDER))
    # As the confirmation invites: the reference alone, as a resident copies it from a text.
    for text in (reference, reference.lower().replace("-", " ") + "?", f"my reference is {reference}"):
        reply = stack.say_text(_sender(), text)
        assert reference in reply and any(
            messages.text(f"case_status.{status}") in reply for status in STATUS_ORDER), (text, reply)


def test_a_resident_who_does_not_follow_is_asked_again_and_nothing_is_sent(stack):
    """ "huh" at the read-back was read as a yes and sent the report."""
    me = _sender()
    stack.say_text(me, "my neighbours play loud music every night after midnight")
    stack.say_text(me, "9 Foxglove Way AN1 4GT")
    reply = stack.say_text(me, "no")
    assert "Is that right?" in reply and "loud music" in reply
    for confused in ("huh", "what?", "I don't understand"):
        reply = stack.say_text(me, confused)
        assert "reference" not in reply.lower() and "cancelled" not in reply.lower(), (confused, reply)
    store = CaseStore(make_engine(stack.settings.database_url))
    assert store.for_conversation(me) == []
    assert REFERENCE.search(stack.say_text(me, "yes"))


def test_asking_an_english_only_council_for_welsh_says_so_in_both_and_keeps_the_report(stack):
    me = _sender()
    reply = stack.say_text(me, "Cymraeg")
    assert "only help in English" in reply and "dim ond yn Saesneg" in reply
    assert "address" in stack.say_text(me, "my bin wasn't collected").lower()
    reply = stack.say_text(me, "in Welsh please")
    assert "dim ond yn Saesneg" in reply and "address" in reply.lower()
    assert "which bin" in stack.say_text(me, "14 Foxglove Way, AN1 4GT").lower()


def test_a_place_sent_first_is_where_the_report_that_follows_is(stack):
    me = _sender()
    assert "What's the problem there (14 Foxglove Way)?" in stack.say_text(me, "outside 14 Foxglove Way")
    reply = stack.say_text(me, "rubbish dumped, an old mattress and bags")
    assert "where is it" not in reply.lower() and "contact you" in reply.lower()
    assert "fly-tipping at 14 Foxglove Way" in stack.say_text(me, "no")
    # A postcode first, then a bin day question: the postcode is not asked for again.
    me = _sender()
    assert "(AN1 4GT)" in stack.say_text(me, "AN1 4GT")
    reply = stack.say_text(me, "when is my bin day")
    assert "postcode" not in reply.lower() and "AN1 4GT" in reply


def test_naming_what_to_change_at_the_read_back_asks_it_again(stack):
    me = _sender()
    stack.say_text(me, "fly tipping on station road")
    stack.say_text(me, "sofa and a fridge")
    assert "Is that right?" in stack.say_text(me, "no")
    assert "where is it" in stack.say_text(me, "change the address").lower()
    reply = stack.say_text(me, "14 Mill Road")
    assert "fly-tipping at 14 Mill Road" in reply and "Is that right?" in reply


def test_conversation_is_stored_in_the_sql_tracker_store(stack):
    me = _sender()
    stack.say(me, "hello")
    engine = create_engine(stack.settings.tracker_store_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": me}).scalar_one()
    assert count > 0


def test_correction_mid_form_and_cancel(stack):
    me = _sender()
    stack.say_text(me, "pothole")
    stack.say_text(me, "Mill Road by the school")
    reply = stack.say_text(me, "sorry, it's Mill Lane not Mill Road")
    # Two Mill Lanes in the gazetteer (council/gazetteer.csv): the bot asks which.
    assert "mill lane in northfield or in easton?" in reply.lower()
    reply = stack.say_text(me, "Easton")
    assert "road or on the pavement" in reply.lower()
    reply = stack.say_text(me, "cancel")
    assert "cancelled" in reply.lower()
    store = CaseStore(make_engine(stack.settings.database_url))
    assert store.for_conversation(me) == []


@pytest.mark.parametrize("message", [
    "",
    "x" * 10_000,
    "😡😡😡",
    "\x00\x01\x02\xff binary \x1b[2J",
    "¿Dónde está el ayuntamiento? Je voudrais parler à quelqu'un",
    '/report_pothole{"location": "injected"}',
    "/restart",
])
def test_bad_input_gets_a_reply_and_nothing_crashes(stack, message):
    me = _sender()
    stack.say_text(me, "pothole")
    assert "road or on the pavement" in stack.say_text(me, "Station Road").lower()  # something already given
    replies = stack.say(me, message)
    assert replies and all(r.get("text") for r in replies)
    # The form and what was given survive; the resident can carry on.
    reply = stack.say_text(me, "road")
    assert "how big" in reply.lower()


def test_injected_intent_cannot_set_slots(stack):
    me = _sender()
    stack.say_text(me, '/report_missed_bin{"bin_type": "garden_waste", "report_confirmed": true}')
    store = CaseStore(make_engine(stack.settings.database_url))
    assert store.for_conversation(me) == []
    request = urllib.request.Request(f"{stack.rasa_url}/conversations/{me}/tracker",
                                     headers={"Authorization": f"Bearer {stack.settings.rasa_api_token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        tracker = json.loads(response.read())
    assert tracker["slots"]["report_confirmed"] is None
    assert tracker["slots"]["bin_type"] is None
    # The text reached NLU as text (Rasa's "/intent{...}" shortcut would keep no text).
    assert tracker["latest_message"]["text"].startswith("report_missed_bin{")


def test_personal_data_stays_out_of_the_server_logs(stack):
    me = _sender()
    for message in ("pothole", "outside 7 Wren Court AN4 2RD", "road", "big", "no", "its deep",
                 "yes", "07700 900555", "wren.resident@example.com", "yes"):
        stack.say(me, message)
    logs = stack.logs(tail=None)
    assert "Case " in logs  # the logs were read: the case creation is logged, by reference only
    for personal in ("Wren Court", "07700 900555", "447700900555", "wren.resident@example.com", "AN4 2RD"):
        assert personal not in logs


def test_report_a_problem_then_saying_what_it_is_starts_the_right_form(stack):
    me = _sender()
    reply = stack.say_text(me, "I want to report a problem")
    assert "what's the problem" in reply.lower()
    reply = stack.say_text(me, "my bin wasn't collected")
    assert "missed bin" in reply.lower()
    assert "address where the bin wasn't collected" in reply.lower()
    reply = stack.say_text(me, "14 Foxglove Way, AN1 4GT")
    assert "which bin" in reply.lower()


def _post(stack, body: bytes, headers=None):
    """A raw REST channel call: (status, JSON answer)."""
    request = urllib.request.Request(f"{stack.rasa_url}/webhooks/rest/webhook", data=body,
                                     headers=stack.rest_headers if headers is None else headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _tracker(stack, sender: str):
    request = urllib.request.Request(f"{stack.rasa_url}/conversations/{sender}/tracker",
                                     headers={"Authorization": f"Bearer {stack.settings.rasa_api_token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_rest_calls_need_the_api_token(stack):
    body = json.dumps({"sender": _sender(), "message": "hi"}).encode()
    assert _post(stack, body, {"Content-Type": "application/json"})[0] == 401
    assert _post(stack, body, {"Content-Type": "application/json", "Authorization": "Bearer wrong"})[0] == 403
    # A web page can post text/plain cross-site without a preflight (and without the token).
    assert _post(stack, body, {**stack.rest_headers, "Content-Type": "text/plain"})[0] == 415


@pytest.mark.parametrize("body", [
    b"", b"[]", b'"hello"', b"{not json", b'{"sender": "x", "message": 42}', b'{"message": "hi"}',
    b'{"sender": "sms-0123456789abcdef0123", "message": "hi"}',  # an SMS resident's conversation
    b'{"sender": "0123456789abcdef0123456789abcdef", "message": "hi"}',  # a web chat's
])
def test_bad_rest_calls_get_400_and_a_reason(stack, body):
    status, answer = _post(stack, body)
    assert status == 400 and answer["error"]


def test_rest_metadata_and_channel_name_cannot_pretend_to_be_sms(stack):
    me = _sender()
    status, _ = _post(stack, json.dumps({
        "sender": me, "message": "hello", "input_channel": "sms",
        "metadata": {"phone": "+447700900999", "media_urls": ["https://attacker.example/x.jpg"],
                     "location": {"latitude": 52.1, "longitude": -1.2}},
    }).encode())
    assert status == 200
    [event] = [e for e in _tracker(stack, me)["events"] if e["event"] == "user"]
    assert event["input_channel"] == "rest"
    assert event["metadata"]["location"] == {"latitude": 52.1, "longitude": -1.2}
    assert "phone" not in event["metadata"] and "media_urls" not in event["metadata"]


def test_a_huge_message_is_refused_and_a_long_one_is_not_kept_whole(stack):
    me = _sender()
    huge = json.dumps({"sender": me, "message": "pothole " * (10 * 1024 * 1024 // 8)}).encode()
    assert _post(stack, huge)[0] == 413
    long = "there is a pothole " * 12_000  # 216,000 characters, under the body limit
    assert _post(stack, json.dumps({"sender": me, "message": long}).encode())[0] == 200
    [event] = [e for e in _tracker(stack, me)["events"] if e["event"] == "user"]
    assert len(event["text"]) == stack.settings.max_message_chars
    assert len(event["metadata"]["guard"]["original_text"]) == 8 * stack.settings.max_message_chars


def test_a_message_sent_again_with_its_id_is_answered_once_and_makes_one_case(stack):
    """A load balancer's retry (bot/rasa_retries.py): the same reply again, one turn, one case."""
    me = _sender()

    def say(text: str, message_id: str) -> str:
        body = json.dumps({"sender": me, "message": text, "message_id": message_id}).encode()
        request = urllib.request.Request(f"{stack.rasa_url}/webhooks/rest/webhook", data=body, headers=stack.rest_headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            return "\n".join(m.get("text", "") for m in json.loads(response.read()))

    turns = ["hi", "my bin wasn't collected", "14 Foxglove Way, AN1 4GT", "the blue one", "tuesday", "no"]
    for number, words in enumerate(turns):
        say(words, f"{me}-{number}")
    # The read-back, then its answer sent twice (the first answer lost on its way back).
    assert say(turns[-1], f"{me}-{len(turns) - 1}").count("Is that right?") == 1
    first = say("yes", f"{me}-confirm")
    again = say("yes", f"{me}-confirm")
    reference = REFERENCE.search(first).group(0)
    assert again == first
    engine = create_engine(stack.settings.tracker_store_url)
    with engine.connect() as conn:
        user_turns = conn.execute(text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
                                  {"s": me}).scalars().all()
    with create_engine(stack.settings.database_url).connect() as conn:
        cases = conn.execute(text("SELECT reference FROM cases WHERE conversation_id = :s"), {"s": me}).scalars().all()
    assert len(user_turns) == len(turns) + 1
    assert cases == [reference]
    # A new id is a new message, as before.
    say("thanks", f"{me}-thanks")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"),
                            {"s": me}).scalar_one() == len(turns) + 2


def test_the_rasa_server_runs_without_tensorflow(stack):
    # bot/tensorflow_deferred.py: Rasa's TensorFlow modules are never used by this
    # pipeline, so the server that has answered turns has not loaded the library.
    assert "assistant" in stack.say_text(_sender(), "hi")
    rasa = next(service for service in stack.services if service.name == "Rasa server")
    with open(f"/proc/{rasa.process.pid}/maps", encoding="utf-8") as maps:
        assert "libtensorflow" not in maps.read()


def test_the_servers_settle_their_garbage_collector_once_loaded(stack):
    # bot/gc_tuning.py: once the model and the actions are loaded, both servers
    # freeze them out of the collector's scans (about 9% of a turn's CPU).
    assert "assistant" in stack.say_text(_sender(), "hi")
    for name in ("Rasa server", "action server"):
        log = (stack.var_dir / f"{name.replace(' ', '-').lower()}.log").read_text(errors="replace")
        settled = re.search(r"gc settled: (\d+) objects frozen", log)
        assert settled, f"{name} never settled its collector"
        assert int(settled.group(1)) > 10_000


def test_pests_at_home_get_the_pest_control_service_and_its_button_reports_pests_outside(stack):
    me = _sender()
    answer = stack.say(me, "we've got mice in the kitchen cupboards, can you send someone")
    said = " ".join(m.get("text", "") for m in answer)
    assert "pest control" in said and "https://www.anytown.gov.uk/pest-control" in said
    buttons = answer[-1].get("buttons") or []
    assert [b["title"] for b in buttons] == [messages.text("button.report_pests_outside")]
    # Pressing it (what the widget sends) starts a report of another kind of problem, which asks what
    # the problem is: the button's words are not a description for the back office.
    reply = stack.say_text(me, buttons[0]["payload"])
    assert "what's the problem" in reply.lower(), reply
    assert _tracker(stack, me)["active_loop"].get("name") == "other_problem_form"
    reply = stack.say_text(me, "rats running round the bin store")
    assert "where" in reply.lower(), reply


def test_drug_dealing_is_signposted_to_the_police_not_offered_as_a_report(stack):
    reply = stack.say_text(_sender(), "people dealing drugs on the corner every night")
    assert reply == messages.text("response.signpost_police")


def test_a_burst_water_main_is_signposted_to_the_water_company_not_handed_over_as_an_emergency(stack):
    me = _sender()
    reply = stack.say_text(me, "water pouring out of the ground on the pavement by the school, think its a burst pipe")
    assert reply == messages.text("response.signpost_water")
    assert _tracker(stack, me)["paused"] is False  # not handed to staff as an emergency


def test_saying_mid_report_that_it_is_the_wrong_kind_starts_the_right_report(stack):
    me = _sender()
    stack.say_text(me, "my bin wasnt collected")
    stack.say_text(me, "12 Mill Lane")
    assert "which bin" in stack.say_text(me, "AN1 4GT").lower()
    # Before, every later question answered this with "Sorry, I didn't catch that".
    reply = stack.say_text(me, "wrong one, I wanted to report graffiti")
    assert reply.startswith(messages.text("report.switched", mention="graffiti")), reply
    assert _tracker(stack, me)["active_loop"].get("name") == "graffiti_form"


def test_a_change_of_kind_in_the_street_keeps_the_place_and_asks_for_a_description(stack):
    me = _sender()
    assert "road or on the pavement" in stack.say_text(me, "pothole on Station Road").lower()
    reply = stack.say_text(me, "sorry I meant a blocked drain not a pothole")
    # Still Station Road (not asked where again), and the correction is not filed as the description.
    assert "describe the problem" in reply.lower() and "where is it" not in reply.lower(), reply
    tracker = _tracker(stack, me)
    assert tracker["active_loop"].get("name") == "blocked_drain_form"
    assert "Station Road" in (tracker["slots"].get("location") or "")
    assert tracker["slots"].get("description") is None

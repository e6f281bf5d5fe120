import json

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import rasa_patches
from bot.channels.guard import guard_messages


def _action() -> RemoteAction:
    return RemoteAction("action_x", None)


def test_patch_is_installed_when_a_channel_wraps_rasas_callback():
    async def on_new_message(message):  # pragma: no cover - never called
        return None

    RemoteAction._validate_action_result = rasa_patches._original_validate_action_result
    try:
        guard_messages(on_new_message, max_chars=10)
        assert RemoteAction._validate_action_result is rasa_patches._validate_action_result
    finally:
        rasa_patches.apply()


def test_valid_action_server_responses_still_pass():
    ok = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]}
    assert _action()._validate_action_result(ok) is True


@pytest.mark.parametrize("bad", [{"events": "not a list"}, {"events": [{"no_event_key": 1}]},
                                 {"responses": [{"text": "x"}], "events": [{"event": 7}]}])
def test_invalid_responses_are_still_rejected(bad):
    with pytest.raises(ValidationError):
        _action()._validate_action_result(bad)
    with pytest.raises(ValidationError):
        rasa_patches._original_validate_action_result(_action(), bad)


RESPONSES = [
    {"events": [{"event": "slot", "name": "location", "value": "Mill Lane"}, {"event": "followup", "name": "pothole_form"},
                {"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot", "value": None}],
     "responses": [{"text": "Thanks", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]},
    {"events": [{"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 0.9},
                 "entities": [{"entity": "location", "value": "Mill Lane", "start": 0, "end": 9}]}},
                {"event": "action", "name": "utter_greet", "policy": None, "confidence": 1.0},
                {"event": "bot", "text": "Hello"}, {"event": "session_started"}, {"event": "reset_slots"},
                {"event": "restart", "timestamp": 1.5}, {"event": "action_execution_rejected", "name": "x"}]},
    {"events": [], "responses": []},
    {},
    # Rejected:
    {"events": [{"event": "slot", "name": "location"}]},  # no value
    {"events": [{"event": "teleport"}]},  # not an event
    {"events": [{"event": "user", "parse_data": {"intent": {"confidence": "high"}}}]},
    {"events": [{"event": "entities", "entities": [{"entity": "postcode"}]}]},  # entity without value
    {"events": [{"event": "slot", "name": 7, "value": 1}]},
    {"events": [{"event": "bot", "timestamp": "yesterday"}]},
    {"events": [{"event": "action", "hide_rule_turn": "yes"}]},
    {"events": [7]},
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": "hello"},
]


@pytest.mark.parametrize("response", RESPONSES)
def test_responses_get_the_same_verdict_as_from_rasas_own_check(response):
    def verdict(validate) -> bool:
        try:
            return validate(_action(), response)
        except ValidationError:
            return False

    assert verdict(rasa_patches._validate_action_result) == verdict(rasa_patches._original_validate_action_result)


def test_the_rejected_examples_really_are_rejected():
    # ...and by the per-event check, not the fallback for unknown schema shapes.
    assert len(rasa_patches._action_response_validator()._per_event) == 23
    rejected = [r for r in RESPONSES if not _valid_for_rasa(r)]
    assert len(rejected) == 9


def _valid_for_rasa(response) -> bool:
    try:
        return rasa_patches._original_validate_action_result(_action(), response)
    except ValidationError:
        return False


def test_action_calls_reuse_one_connection_and_answer_as_rasas_request_does():
    """EndpointConfig.request on a kept session: same body, headers, answers and errors,
    one TCP connection for several calls instead of one each; the domain is sent only
    when the action server (here its own DomainsByDigest) does not hold it."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    from bot.action_server import DOMAIN_NEEDED, DomainsByDigest

    rasa_patches.apply()
    seen = []
    domains = DomainsByDigest()

    async def webhook(request: web.Request) -> web.Response:
        sent = await request.json()
        received = json.loads(json.dumps(sent))
        if not domains.complete(received):
            seen.append((request.transport.get_extra_info("peername")[1], None, None, sent, None))
            return web.json_response({"error": "domain needed"}, status=DOMAIN_NEEDED)
        seen.append((request.transport.get_extra_info("peername")[1], request.headers.get("Authorization"),
                     request.content_type, sent, received))
        if request.query.get("fail"):
            return web.Response(status=500, text="broken")
        if request.query.get("plain"):
            return web.Response(text="not json")
        return web.json_response({"events": [], "responses": [{"text": "héllo"}]})

    async def scenario() -> list:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"Authorization": "Bearer t0ken"})
        body = {"next_action": "action_x", "tracker": {"events": [{"event": "user", "text": "ünïcode", "timestamp": 1.5}]}}
        answers = [await endpoint.request(json=body, method="post", timeout=30) for _ in range(3)]
        # Action calls with the domain: the action server gets the same JSON each time, the domain
        # itself only once (encoded once), and it is named by digest otherwise.
        domain = {"responses": {"utter_hi": [{"text": "Shwmae, sut mae? \"ŵ\" / ŷ"}]}, "forms": {"f": {}}}
        for name in ("action_y", "action_z"):
            answers.append(await endpoint.request(json={**body, "next_action": name, "domain": domain}, method="post"))
        encoded = rasa_patches._encoded_domain["json"]
        await endpoint.request(json={"domain": domain}, method="post")
        assert rasa_patches._encoded_domain["json"] is encoded
        answers.append(await endpoint.request(json=body, method="post", params={"plain": "1"}))
        try:
            await endpoint.request(json=body, method="post", params={"fail": "1"})
        except ClientResponseError as error:
            answers.append(error.status)
        await runner.cleanup()
        return answers

    answers = asyncio.run(scenario())
    digest = rasa_patches._encoded_domain["digest"]
    action_calls = [(sent, received) for *_, sent, received in seen if "domain_digest" in sent]
    # action_y: named by digest, refused (449), sent again with the domain; action_z and the
    # last call: named by digest only, completed by the action server.
    assert [(sent.get("next_action"), "domain" in sent, received is not None) for sent, received in action_calls] == [
        ("action_y", False, False), ("action_y", True, True), ("action_z", False, True), (None, False, True)]
    assert all(sent["domain_digest"] == digest for sent, _ in action_calls)
    completed = [received for _, received in action_calls if received is not None]
    assert all(received["domain"] == {"responses": {"utter_hi": [{"text": "Shwmae, sut mae? \"ŵ\" / ŷ"}]},
                                      "forms": {"f": {}}} for received in completed)
    assert completed[1]["tracker"]["events"][0]["text"] == "ünïcode"
    assert completed[2] == {"domain": completed[0]["domain"], "domain_digest": digest}
    assert answers[3:5] == [{"events": [], "responses": [{"text": "héllo"}]}] * 2  # the 449 never reaches Rasa
    plain = [entry for entry in seen if "domain_digest" not in entry[3]]
    assert answers[:3] == [{"events": [], "responses": [{"text": "héllo"}]}] * 3
    assert answers[5] is None and answers[6] == 500
    assert {port for port, *_ in plain[:3]} == {plain[0][0]}  # one connection for the three calls
    assert all(auth == "Bearer t0ken" and kind == "application/json" for _, auth, kind, _, _ in plain)
    assert plain[0][3]["tracker"]["events"][0] == {"event": "user", "text": "ünïcode", "timestamp": 1.5}
    assert "domain_digest" not in plain[0][3]  # calls without a domain are sent as they were


# ----- 6. debug-log copies, 7. event types ----------------------------------------
@pytest.fixture
def structlog_level():
    """Set Rasa's structlog level for a test; INFO (the servers' default) afterwards."""
    import logging

    from rasa.utils.log_utils import configure_structlog

    yield lambda level: configure_structlog(level)
    configure_structlog(logging.INFO)


def test_rasas_debug_log_copies_are_skipped_only_while_debug_logging_is_off(structlog_level):
    import logging

    import rasa.core.actions.forms
    import rasa.core.policies.rule_policy
    import rasa.core.processor

    rasa_patches.apply()
    events = [{"event": "slot", "name": "x", "value": [1, 2]}]
    for module in (rasa.core.processor, rasa.core.actions.forms, rasa.core.policies.rule_policy):
        structlog_level(logging.INFO)
        assert module.copy.deepcopy(events) is events
        structlog_level(logging.DEBUG)
        copied = module.copy.deepcopy(events)
        assert copied == events and copied is not events and copied[0] is not events[0]
        assert module.copy.copy is __import__("copy").copy  # the rest of the module is the real one


def test_tracker_states_are_formatted_only_for_a_debug_log(structlog_level):
    import logging

    from rasa.core.policies.policy import Policy

    rasa_patches.apply()
    states = [{"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}}]
    structlog_level(logging.INFO)
    assert Policy.format_tracker_states(states) == ""
    structlog_level(logging.DEBUG)
    assert Policy.format_tracker_states(states) == rasa_patches._original_format_tracker_states(states)
    assert "user intent: greet" in Policy.format_tracker_states(states)


def test_event_types_resolve_as_rasas_own_lookup_does():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    rasa_patches.apply()
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "slot", "action", "active_loop", "session_started"} <= names
    for name in names:
        assert Event.resolve_by_type(name) is rasa_patches._original_resolve_by_type(name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    # A tracker's events read back through the table are the same events.
    user = Event.from_parameters({"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}})
    assert type(user).__name__ == "UserUttered" and user.text == "hi"


# A form whose two slots share an entity: a mapping with a role sets one slot only (unique), one
# without sets either (not unique); the other mapping types are not about entities at all.
TRIP_DOMAIN = """
entities: [city]
slots:
  departure:
    type: text
    mappings: [{type: from_entity, entity: city, role: from}, {type: from_entity, entity: city}, {type: from_text}]
  arrival:
    type: text
    mappings: [{type: from_entity, entity: city, role: to}, {type: from_entity, entity: city},
               {type: from_intent, intent: affirm, value: x}]
  note:
    type: text
    mappings: [{type: custom}]
forms:
  trip_form:
    required_slots: [departure, arrival]
"""


def test_a_forms_unique_entity_mappings_are_worked_out_once_per_domain():
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.domain import Domain

    rasa_patches.apply()
    domain = Domain.from_yaml(TRIP_DOMAIN)
    unique = {"type": "from_entity", "entity": "city", "role": "from"}
    shared = {"type": "from_entity", "entity": "city"}
    worked_out = []
    original = FormAction._create_unique_entity_mappings

    def counting(self, domain):
        worked_out.append(domain)
        return original(self, domain)

    FormAction._create_unique_entity_mappings = counting
    try:
        for _ in range(3):  # as ActionExtractSlots does: a new FormAction each time
            assert FormAction("trip_form", None).entity_mapping_is_unique(unique, domain) is True
            assert FormAction("trip_form", None).entity_mapping_is_unique(shared, domain) is False
        assert worked_out == [domain]
        other = Domain.from_dict(domain.as_dict())  # a new model's domain is worked out afresh
        assert FormAction("trip_form", None).entity_mapping_is_unique(unique, other) is True
        assert len(worked_out) == 2
    finally:
        FormAction._create_unique_entity_mappings = original


def test_slot_extractions_unique_mapping_check_answers_as_rasas():
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActiveLoop, SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    rasa_patches.apply()
    domain = Domain.from_yaml(TRIP_DOMAIN)
    action = ActionExtractSlots(None)
    trackers = [DialogueStateTracker("a", domain.slots)]
    for requested in (None, "departure", "arrival"):
        tracker = DialogueStateTracker("b", domain.slots)
        tracker.update(ActiveLoop("trip_form"))
        tracker.update(SlotSet("requested_slot", requested))
        trackers.append(tracker)
    answers = []
    for tracker in trackers:
        for slot in domain.slots:
            for mapping in slot.mappings:
                ours = action._fails_unique_entity_mapping_check(slot.name, mapping, tracker, domain)
                rasas = rasa_patches._original_fails_unique_check(action, slot.name, mapping, tracker, domain)
                assert ours == rasas
                answers.append(ours)
    assert True in answers and False in answers  # both answers were exercised


def test_default_actions_are_made_once_per_endpoint():
    import rasa.core.actions.action as rasa_actions
    from rasa.utils.endpoints import EndpointConfig

    rasa_patches.apply()
    endpoint = EndpointConfig("http://localhost:5055/webhook")
    first, second = rasa_actions.default_actions(endpoint), rasa_actions.default_actions(endpoint)
    assert [a.name() for a in first] == [a.name() for a in rasa_patches._original_default_actions(endpoint)]
    assert first is not second and all(a is b for a, b in zip(first, second))
    other = rasa_actions.default_actions(EndpointConfig("http://localhost:5056/webhook"))
    assert other[0] is not first[0]
    extract = next(a for a in other if a.name() == "action_extract_slots")
    assert extract._action_endpoint.url == "http://localhost:5056/webhook"

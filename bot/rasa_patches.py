"""Performance fixes for Rasa 3.6 internals, applied when the Rasa server builds our channels' routes
(bot/channels/guard.py: guard_messages), which is before it loads the model.

1. Action-server responses. Measured with py-spy on the Rasa server during
   `python -m benchmarks.rest`: 48% of its CPU went to
   ``RemoteAction._validate_action_result``, because ``jsonschema.validate``
   checks the *schema itself* against its meta-schema on every call (and on
   jsonschema 4.17 that is the slow draft 2020-12 one). The schema is a
   constant, so we compile a validator for it once, and check each event
   against the schema of its own type instead of trying all 23 (see
   ``_ActionResponseValidator``). Responses are accepted and rejected
   exactly as before.

2. Running the prediction graphs: without dask's scheduler
   (bot/rasa_graph_runner.py), a tenth of the server's CPU.

3. Calling the action server. Rasa opens a new HTTP client session, and so a
   new TCP connection, for every call (a form turn makes two or three), and
   encodes the tracker it sends with the standard library's JSON encoder:
   together 10% of the server's CPU in the profile. Each endpoint now keeps
   one session per event loop, whose connections are reused (and dropped
   after 3 s idle, before the action server's 5 s keep-alive ends, so a
   request never goes out on a connection the server is closing), with
   ujson (already installed for Sanic) as its encoder. Requests, headers,
   errors and answers are otherwise Rasa's own (``_request``).

4. The domain in every action call. Rasa sends the whole domain (47 KB of
   JSON, both languages' responses) with each call to the action server and
   encodes it afresh each time; the action server decodes it each time (a
   fifth of its CPU). It is the same object for the life of the model, so it
   is encoded once, and sent only when the action server does not hold it
   yet: a call names the domain by its SHA-256 digest, and the action server
   (bot/action_server.py) keeps the domains it was sent by digest, answering
   449 for one it does not hold, when the call is sent again with the domain
   (``_action_call_body``, ``_request``). Rasa Pro later did the same.

5. Tracker copies, applied events and RulePolicy's states without replaying
   the whole session each time (bot/rasa_trackers.py).

6. Debug-log copies. Rasa's processor, forms and RulePolicy deep-copy events,
   slots and formatted states for every ``structlogger.debug`` call, whether
   or not debug logging is on (the arguments are built before the call), and
   RulePolicy formats the tracker's states as text for the same log line.
   In those three modules ``copy.deepcopy`` is used only for such log calls,
   so there it copies only when debug logging is on (``_DebugLogCopy``), as
   does the states' formatting. About 3% of the server's CPU (py-spy).

7. Event types. Every event read back from the action server or the tracker
   store is matched to its class by walking all of ``Event``'s subclasses
   (with an ``inspect.isabstract`` check for each); about 2% of the server's
   CPU. A name-to-class table, rebuilt when a name is not in it, answers the
   same (``_resolve_event_type``).

8. Unique entity mappings. Extracting slots makes a new ``FormAction`` for
   every from-entity slot mapping of the active form, and each works out the
   form's unique mappings from the whole domain again (about 1.5% of the
   server's CPU); they depend only on the form and the domain, so they are
   worked out once per form and domain (``_entity_mapping_is_unique``).

9. The CRF entity extractor's features and tags (bot/rasa_crf.py): a
   50-word message's entity extraction from about 17 ms to a third of that.

10. Slot extraction's per-mapping checks. ``ActionExtractSlots`` asks, for
    every mapping of every slot on every turn, whether a from-entity mapping
    is unique, formatting an enum to find out the mapping's type first; the
    type is compared with a string made once (``_fails_unique_entity_mapping_check``).
    Its default actions (twelve objects made for every action looked up by
    name) are made once per action endpoint: they hold nothing but it.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import os
import ssl
from functools import lru_cache
from typing import Any, Dict, Optional, Text, Tuple

import aiohttp
import structlog
import ujson
from aiohttp.client_exceptions import ContentTypeError
from jsonschema.validators import validator_for
import rasa.core.actions.action
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.policies.policy import Policy
from rasa.shared.core.constants import MAPPING_TYPE, SlotMappingType
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

# The action server's answer to a call naming a domain it does not hold.
from bot.action_server import DOMAIN_NEEDED

_original_validate_action_result = RemoteAction._validate_action_result
_original_format_tracker_states = Policy.format_tracker_states
_original_resolve_by_type = Event.resolve_by_type
_original_entity_mapping_is_unique = FormAction.entity_mapping_is_unique
_original_fails_unique_check = ActionExtractSlots._fails_unique_entity_mapping_check
_original_default_actions = rasa.core.actions.action.default_actions
_FROM_ENTITY = str(SlotMappingType.FROM_ENTITY)
_original_request = EndpointConfig.request
# Idle connections to an endpoint are closed after this many seconds (Sanic,
# which the action server runs on, closes them after 5).
KEEPALIVE_SECONDS = 3.0


class _ActionResponseValidator:
    """Validates action-server responses against Rasa's schema, event by event.

    In the schema each event must match ``oneOf`` 23 alternatives, one per
    event type, told apart by the constant ``event`` name. ``oneOf`` tries
    all 23 for every event; since at most the one with the event's own name
    can match, checking that one alone accepts and rejects exactly the same
    responses, for a fraction of the work.
    """

    def __init__(self, schema: Dict[Text, Any]) -> None:
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)  # once, at first use
        self._whole = validator_class(schema)
        self._per_event: Optional[Dict[Text, Any]] = None
        outer = copy.deepcopy(schema)
        event_schema = outer["properties"]["events"]["items"]
        alternatives = event_schema.pop("oneOf", [])
        names = [alternative.get("properties", {}).get("event", {}).get("const") for alternative in alternatives]
        if alternatives and None not in names and len(set(names)) == len(names):
            self._outer = validator_class(outer)
            self._per_event = {
                name: validator_class({**event_schema, "allOf": [alternative]})
                for name, alternative in zip(names, alternatives)
            }

    def validate(self, result: Dict[Text, Any]) -> None:
        from jsonschema import ValidationError

        if self._per_event is None:  # a schema of another shape: check it whole
            self._whole.validate(result)
            return
        self._outer.validate(result)  # the shape, and every event an object with an "event" name
        for event in result.get("events") or []:
            validator = self._per_event.get(event["event"])
            if validator is None:
                raise ValidationError(f"{event['event']!r} is not an event Rasa knows")
            validator.validate(event)


@lru_cache(maxsize=1)
def _action_response_validator() -> _ActionResponseValidator:
    return _ActionResponseValidator(RemoteAction.action_response_format_spec())


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError

    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as error:
        # Same message as Rasa's own implementation.
        error.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid."
        )
        raise error


def _kept_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The endpoint's client session for the running event loop, made on first use."""
    loop = asyncio.get_running_loop()
    kept = endpoint.__dict__.get("_kept_session")
    if kept is None or kept[0] is not loop or kept[1].closed:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"]) if endpoint.basic_auth else None
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            json_serialize=ujson.dumps,
        )
        kept = endpoint.__dict__["_kept_session"] = (loop, session)
    return kept[1]


# The encoded domain, by the identity of the dictionary Rasa sends (Domain.as_dict() returns
# the same object for the life of a model); a new model's domain replaces it.
_encoded_domain: Dict[str, Any] = {"of": None, "json": b"", "digest": ""}


def _domain_json(domain: Dict[Text, Any]) -> Tuple[bytes, str]:
    """The domain's JSON and its digest, worked out once per domain."""
    if _encoded_domain["of"] is not domain:
        encoded = ujson.dumps(domain, ensure_ascii=False).encode("utf-8")
        _encoded_domain.update(of=domain, json=encoded, digest=hashlib.sha256(encoded).hexdigest())
    return _encoded_domain["json"], _encoded_domain["digest"]


def _action_call_body(payload: Dict[Text, Any], with_domain: bool = True) -> bytes:
    """The JSON of an action call: the domain's digest, and the domain itself (encoded once per
    domain) only ``with_domain``; the action server keeps the domains it was sent by digest."""
    domain_json, digest = _domain_json(payload["domain"])
    rest = ujson.dumps({**{key: value for key, value in payload.items() if key != "domain"},
                        "domain_digest": digest}, ensure_ascii=False).encode("utf-8")
    if not with_domain:
        return rest
    return rest[:-1] + b',"domain":' + domain_json + b"}"


async def _request(
    self: EndpointConfig,
    method: Text = "post",
    subpath: Optional[Text] = None,
    content_type: Optional[Text] = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Optional[Any]:
    """``EndpointConfig.request`` on the endpoint's kept session (see the module docstring).

    An action call goes without the domain, naming it by digest; when the action server does
    not hold that domain yet (its first call, a restart, a new model) it answers 449 and the
    call is sent again with the domain."""
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(kwargs.pop("headers", None) or {})
    headers.update(self.headers or {})
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
            ) from e
    body = kwargs.get("json")
    action_call = isinstance(body, dict) and isinstance(body.get("domain"), dict)
    if action_call:
        del kwargs["json"]
    for with_domain in (False, True) if action_call else (True,):
        if action_call:
            kwargs["data"] = _action_call_body(body, with_domain)  # type: ignore[arg-type]
        async with _kept_session(self).request(
            method,
            concat_url(self.url, subpath),
            headers=headers,
            params=self.combine_parameters(kwargs),
            compress=compress,
            ssl=sslcontext,
            **kwargs,
        ) as response:
            if response.status == DOMAIN_NEEDED and not with_domain:
                await response.read()
                continue
            if response.status >= 400:
                raise ClientResponseError(response.status, response.reason, await response.content.read())
            try:
                return await response.json()
            except ContentTypeError:
                return None
    return None


def debug_logging() -> bool:
    """Whether Rasa's structlog debug lines are written (Rasa configures a filtering logger
    whose ``debug`` is structlog's no-op when they are not)."""
    wrapper = structlog.get_config()["wrapper_class"]
    return getattr(getattr(wrapper, "debug", None), "__name__", "") != "_nop"


class _DebugLogCopy:
    """Stands in for the ``copy`` module in Rasa modules that deep-copy only for debug logs."""

    @staticmethod
    def deepcopy(value: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
        return copy.deepcopy(value, memo) if debug_logging() else value

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _format_tracker_states(states: Any) -> Text:
    """``Policy.format_tracker_states``, only when the text will be logged."""
    return _original_format_tracker_states(states) if debug_logging() else ""


_event_types: Dict[Text, Any] = {}


def _resolve_event_type(type_name: Text, default: Optional[Any] = None) -> Optional[Any]:
    """``Event.resolve_by_type`` from a table (the first subclass with the name, as Rasa's loop finds)."""
    found = _event_types.get(type_name)
    if found is None:
        table: Dict[Text, Any] = {}
        for cls in all_subclasses(Event):
            table.setdefault(cls.type_name, cls)
        _event_types.clear()
        _event_types.update(table)
        found = table.get(type_name)
    if found is not None:
        return found
    return _original_resolve_by_type(type_name, default)


# (form name, domain) -> that form's unique from-entity mappings; the domains are held, so
# their ids are not reused; emptied when it passes 256 entries (a few models' forms).
_unique_mappings: Dict[Any, Any] = {}


def _entity_mapping_is_unique(self: FormAction, slot_mapping: Dict[Text, Any], domain: Any) -> bool:
    """``FormAction.entity_mapping_is_unique`` with the form's unique mappings worked out once."""
    if not self._have_unique_entity_mappings_been_initialized:
        key = (self.name(), id(domain))
        held = _unique_mappings.get(key)
        if held is None or held[0] is not domain:
            if len(_unique_mappings) > 256:
                _unique_mappings.clear()
            held = _unique_mappings[key] = (domain, self._create_unique_entity_mappings(domain))
        self._unique_entity_mappings = held[1]
        self._have_unique_entity_mappings_been_initialized = True
    return _original_entity_mapping_is_unique(self, slot_mapping, domain)


def _fails_unique_entity_mapping_check(
    self: ActionExtractSlots, slot_name: Text, mapping: Dict[Text, Any], tracker: Any, domain: Any
) -> bool:
    """Rasa's check, answered at once for the mappings it is not about (not from an entity)."""
    if mapping[MAPPING_TYPE] != _FROM_ENTITY:
        return False
    return _original_fails_unique_check(self, slot_name, mapping, tracker, domain)


_default_actions: Dict[str, Any] = {"endpoint": None, "actions": None}


def _cached_default_actions(action_endpoint: Optional[EndpointConfig] = None) -> Any:
    """Rasa's default actions for ``action_endpoint``, made once per endpoint (a fresh list each
    call, as callers may change the list; the actions themselves hold only the endpoint)."""
    if _default_actions["actions"] is None or _default_actions["endpoint"] is not action_endpoint:
        _default_actions.update(endpoint=action_endpoint, actions=_original_default_actions(action_endpoint))
    return list(_default_actions["actions"])


def apply() -> None:
    """Install the fixes (idempotent)."""
    import rasa.core.actions.forms
    import rasa.core.policies.rule_policy
    import rasa.core.processor

    from bot import rasa_crf, rasa_retries, rasa_trackers
    from bot.rasa_graph_runner import SequentialGraphRunner

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[attr-defined,misc]
    EndpointConfig.request = _request  # type: ignore[method-assign]
    rasa_trackers.apply()
    rasa_retries.apply()
    rasa_crf.apply()
    for module in (rasa.core.processor, rasa.core.actions.forms, rasa.core.policies.rule_policy):
        module.copy = _DebugLogCopy()  # type: ignore[attr-defined]
    Policy.format_tracker_states = staticmethod(_format_tracker_states)  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(_resolve_event_type)  # type: ignore[assignment]
    FormAction.entity_mapping_is_unique = _entity_mapping_is_unique  # type: ignore[method-assign]
    ActionExtractSlots._fails_unique_entity_mapping_check = _fails_unique_entity_mapping_check  # type: ignore[method-assign]
    rasa.core.actions.action.default_actions = _cached_default_actions

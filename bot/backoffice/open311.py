"""Open311 GeoReport v2 back offices (the standard UK systems and FixMyStreet speak).

One :class:`Open311CaseSystem` per configured back office; it knows the
routes (category -> service code and attribute mapping) that use it.

The spec (https://wiki.open311.org/GeoReport_v2/) in brief:
``GET services.{fmt}``, ``GET services/{code}.{fmt}``, ``POST requests.{fmt}``
(form-encoded) answering a ``service_request_id`` or only a ``token`` (then
``GET tokens/{token}.{fmt}``), ``GET requests/{id}.{fmt}`` for the status,
``GET requests.{fmt}?service_code=&start_date=`` to search. XML is required
by the spec, JSON optional; errors are a list of ``{code, description}``.

Real servers deviate; :class:`Open311Config` switches each deviation so a
council connects a slightly non-standard server by configuration:
``field_names`` (e.g. ``address`` instead of ``address_string``), errors shaped
``{code, detail}`` (always accepted), ids as strings or numbers (always
accepted), ``tokens: false`` (no tokens endpoint: the request is found by our
reference instead), ``server_error_is_rejection`` (a 500 carrying an error
list where a 400 belongs), ``defaults`` (values for fields a server requires
although the spec makes them optional), ``contact_fields: false`` (it has no
email or phone fields: staff are told on the case instead). Shapes are
always accepted: ``<service_requests>`` or ``<requests>`` (and single
``<service_request>``/``<request>``) wrappers, a bare object instead of a
list, a reply carrying only a token.

Duplicates: our reference goes with every request (as the
``attribute[<correlation_attribute>]`` and on the description's last line).
After an uncertain attempt (time-out after sending, an unreadable reply, a
500) the worker never sends the case again by itself: it calls
:meth:`Open311CaseSystem.find_existing`, adopts the request found, and
flags the case for staff after a bounded number of look-ups that found
nothing (bot/outbox/worker.py). Only those two places count
(:func:`is_our_request`): the reference quoted in someone else's text is
not our request. A search reply in a shape we cannot read is an error, never
"not found".

The routing file's options for this adapter, and their checks, are here
(:data:`ADAPTER`, see bot/backoffice/registry.py).

Nothing personal is logged: replies are redacted (bot/redaction.py) and cut
short before they reach a log line or the case record.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote, urlparse

import aiohttp
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from bot.backoffice.base import BaseCaseSystem, Capabilities, FurtherReport, LiveProblem
from bot.backoffice.errors import DeliveryError, Rejected, TemporaryFailure, Uncertain, Vanished
from bot.backoffice.registry import (
    Adapter, BuildContext, check_bool, check_positive, check_secret_env, text_or_none,
)
from bot.cases.model import CLOSED, IN_PROGRESS, OPEN, SENT, STATUS_ORDER, Case, StatusUpdate, Submission
from bot.categories import BY_KEY
from bot.redaction import redact

logger = logging.getLogger(__name__)

DESCRIPTION_MAX = 4000  # the spec's limit for description
RAW_LOG_CHARS = 500  # how much of an unreadable reply goes into the log

# GeoReport v2 has "open" and "closed"; FixMyStreet's extended states are common in the UK.
DEFAULT_STATUS_MAP: Dict[str, str] = {
    "open": OPEN,
    "for_triage": OPEN,
    "investigating": IN_PROGRESS,
    "in_progress": IN_PROGRESS,
    "action_scheduled": IN_PROGRESS,
    "closed": CLOSED,
    "fixed": CLOSED,
    "duplicate": CLOSED,
    "not_councils_responsibility": CLOSED,
    "no_further_action": CLOSED,
    "internal_referral": CLOSED,
}

# XML elements whose children always form a list, even when there is only one.
_XML_LISTS = {"service_requests", "requests", "services", "errors", "attributes", "values"}

# Wrappers real servers put around a list of records (or one record), by the spec's name for the list.
_WRAPPERS = {
    "service_requests": ("service_requests", "requests", "service_request", "request"),
    "services": ("services", "service"),
}
# HTTP statuses from a proxy or a server that is down: the request was not processed.
_NOT_PROCESSED = (502, 503, 504)


class UnreadableReply(Exception):
    """A reply in neither the XML nor the JSON shape we understand."""


@dataclass(frozen=True)
class Open311Route:
    """How one category is sent: its service code and attribute mapping."""

    service_code: str
    # attribute code at the back office -> our field (a case field or a category detail)
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Open311Config:
    """One back office's connection and deviations from the spec."""

    name: str
    endpoint: str  # base URL, e.g. https://council.example/open311/v2/
    api_key: Optional[str] = None  # the value, read from the env var routing.yml names
    jurisdiction_id: Optional[str] = None
    format: str = "xml"  # xml (the spec's required format) or json
    timeout_seconds: float = 15.0
    field_names: Mapping[str, str] = field(default_factory=dict)  # spec name -> server's name
    tokens: bool = True  # False: no tokens endpoint
    server_error_is_rejection: bool = False  # a 5xx carrying an error list means "invalid"
    defaults: Mapping[str, str] = field(default_factory=dict)  # values for fields it requires
    correlation_attribute: str = "council_reference"
    lookup: str = "search"  # search | param | none (how to find a request by our reference)
    lookup_param: Optional[str] = None  # for lookup: param, the query parameter to filter on
    lookup_window_hours: float = 48.0
    status_map: Mapping[str, str] = field(default_factory=dict)  # extra/overriding status names
    contact_fields: bool = True  # False: it has no email/phone fields (staff are told on the case)
    key_check: bool = True  # check-routing --live may test the API key with a request it must refuse
    # Not GeoReport v2 (it has no call for it): a server that takes a comment on a request
    # says where, e.g. "requests/{service_request_id}/comments"; further reports ("me too")
    # are then POSTed there as ``comment``. None: it cannot take them (staff are relied on).
    comments_path: Optional[str] = None


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def raw_for_log(body: bytes) -> str:
    """A reply body made safe for a log line: decoded, redacted, cut short."""
    return redact(_clip(body.decode("utf-8", errors="replace"), RAW_LOG_CHARS))


# ----- reading replies ---------------------------------------------------------
def _xml_to_obj(element: Any) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    if element.tag in _XML_LISTS:
        return [_xml_to_obj(child) for child in children]
    result: Dict[str, Any] = {}
    for child in children:
        value = _xml_to_obj(child)
        if child.tag in result:  # repeated element: keep them all
            previous = result[child.tag]
            result[child.tag] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            result[child.tag] = value
    return result


def parse_body(body: bytes, content_type: str = "", expected: str = "xml") -> Any:
    """XML or JSON reply as Python data; XML comes back as ``{root_tag: content}``.

    The content type decides when it is clear, else the first character, else
    the configured format. Raises :class:`UnreadableReply`.
    """
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if not text:
        raise UnreadableReply("empty reply")
    kind = "json" if "json" in content_type else "xml" if "xml" in content_type else ""
    if not kind:
        kind = "xml" if text.startswith("<") else "json" if text[0] in "[{" else expected
    if kind == "json":
        try:
            return json.loads(text)
        except ValueError as error:
            raise UnreadableReply(f"malformed JSON ({error.msg} at position {error.pos})") from None
    try:
        root = ElementTree.fromstring(text.encode("utf-8"))
    except DefusedXmlException as error:
        raise UnreadableReply(f"XML refused for safety ({type(error).__name__})") from None
    except ElementTree.ParseError as error:
        raise UnreadableReply(f"malformed XML ({error})") from None
    return {root.tag: _xml_to_obj(root)}


def _unwrap(data: Any, wrappers: Tuple[str, ...]) -> Any:
    """``{"requests": {"request": [...]}}`` -> ``[...]``: drop single-key wrappers we know, at most three deep."""
    for _ in range(3):
        if isinstance(data, dict) and len(data) == 1 and next(iter(data)) in wrappers:
            data = next(iter(data.values()))
        else:
            break
    return data


def records(data: Any, container: str) -> List[Dict[str, Any]]:
    """The list of records in a reply: ``[{...}]`` (JSON), ``{container: [...]}`` (XML or wrapped JSON).

    Accepted too: the common other wrappers (``<requests>`` for
    ``<service_requests>``, ``{"service_request": {...}}``), a single object
    instead of a list, and each record wrapped in its own element. Raises
    :class:`UnreadableReply` for anything else.
    """
    wrappers = _WRAPPERS.get(container, (container,))
    data = _unwrap(data, wrappers)
    if isinstance(data, str) and not data.strip():
        return []  # <service_requests/>: an empty list in XML
    if isinstance(data, dict):
        data = [data]
    if isinstance(data, list):
        data = [_unwrap(item, wrappers) for item in data]
        if all(isinstance(item, dict) for item in data):
            return data
    raise UnreadableReply(f"expected a list of {container}, got {type(data).__name__}")


def errors_in(data: Any) -> List[Tuple[str, str]]:
    """(code, description) pairs from an error reply; [] when it is not one.

    Accepts the spec's ``[{code, description}]``, ``<errors><error>…``, and the
    common deviations ``{code, detail}``, ``{"errors": [...]}``, ``{"error": "..."}``.
    """
    if isinstance(data, dict) and "errors" in data:
        data = data["errors"]
    if isinstance(data, dict) and "error" in data and not ("code" in data or "description" in data):
        data = data["error"]
    if isinstance(data, str) and data:
        return [("", data)]
    if isinstance(data, dict):
        data = [data]
    found: List[Tuple[str, str]] = []
    if isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and ("description" in item or "detail" in item or "message" in item):
                text = item.get("description") or item.get("detail") or item.get("message") or ""
                found.append((str(item.get("code", "")), str(text)))
    return found


def describe_errors(errors: List[Tuple[str, str]]) -> str:
    return "; ".join(redact(_clip(f"{code} {text}".strip(), 200)) for code, text in errors) or "no details given"


def _id(value: Any) -> Optional[str]:
    """Ids come as numbers or strings; we keep strings."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


REFERENCE_LINE = "Reference: {reference}"


def reference_line(reference: str) -> str:
    """The line we end every description with (build_description)."""
    return REFERENCE_LINE.format(reference=reference)


def is_our_request(record: Mapping[str, Any], reference: str, correlation_attribute: str) -> bool:
    """True only when ``record`` carries ``reference`` where *we* put it.

    That is our correlation attribute (top level, as an ``attributes`` map or
    as a list of ``{code, value}``), or the description's last line written
    exactly as :func:`build_description` writes it. The reference anywhere
    else, e.g. in text another resident typed ("same one as report
    AB7K-3FQ2"), is not ours: taking it would record our case as delivered
    under someone else's request, and it would never be sent.
    """
    if _text(record.get(correlation_attribute)) == reference:
        return True
    attributes = record.get("attributes")
    if isinstance(attributes, Mapping) and _text(attributes.get(correlation_attribute)) == reference:
        return True
    if isinstance(attributes, list):
        for item in attributes:
            if isinstance(item, Mapping) and item.get("code") == correlation_attribute:
                if _text(item.get("value")) == reference:
                    return True
    description = record.get("description")
    if isinstance(description, str):
        lines = [line.strip() for line in description.strip().splitlines()]
        return bool(lines) and lines[-1] == reference_line(reference)
    return False


def _text(value: Any) -> Optional[str]:
    return value.strip() if isinstance(value, str) else None


# ----- the request we send ------------------------------------------------------
def case_field(case: Case, name: str) -> Any:
    """A case field (``location_text``) or one of its category details (``bin_type``)."""
    if name in case.details:
        return case.details[name]
    return getattr(case, name, None)


def _address(case: Case) -> str:
    """The location as typed, with the postcode unless it is already in it."""
    parts = [case.location_text] if case.location_text else []
    if case.postcode and case.postcode.replace(" ", "") not in (case.location_text or "").upper().replace(" ", ""):
        parts.append(case.postcode)
    return ", ".join(parts)


def build_description(case: Case, limit: int = DESCRIPTION_MAX) -> str:
    """The description: what the resident said, the details, and our reference last.

    Cut to ``limit`` characters without ever losing the reference line (the
    back office's staff and our duplicate check both rely on it).
    """
    title = BY_KEY[case.category].title if case.category in BY_KEY else case.category
    lines = [case.description or f"Report of a {title}."]
    if case.location_text or case.postcode:
        lines.append(f"Location: {_address(case)}")
    for key, value in sorted(case.details.items()):
        lines.append(f"{key.replace('_', ' ').capitalize()}: {value}")
    for url in case.media_urls[1:]:
        lines.append(f"Photo: {url}")
    tail = "\n" + reference_line(case.reference)
    body = "\n".join(lines)
    if len(body) + len(tail) > limit:
        body = body[: limit - len(tail) - 1] + "…"
    return body + tail


class Open311CaseSystem(BaseCaseSystem):
    """:class:`~bot.backoffice.base.CaseSystem` for one GeoReport v2 back office."""

    def __init__(self, config: Open311Config, routes: Mapping[str, Open311Route]) -> None:
        self.name = config.name
        self.config = config
        self.routes = dict(routes)
        self.base = config.endpoint.rstrip("/") + "/"
        self._session: Optional[aiohttp.ClientSession] = None
        self.status_map = {**DEFAULT_STATUS_MAP, **{k.lower(): v for k, v in config.status_map.items()}}

    @property
    def timeout_seconds(self) -> float:  # type: ignore[override]
        return self.config.timeout_seconds

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        return Capabilities(
            finds_existing=self.config.lookup != "none",
            resolves_tokens=True,
            polls_status=True,
            stores_contact=self.config.contact_fields,
            adds_reports=self.config.comments_path is not None,
        )

    # -- plumbing ----------------------------------------------------------------
    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout_seconds),
                headers={"User-Agent": "council-assistant/1 (Open311 GeoReport v2)"},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _url(self, path: str) -> str:
        return f"{self.base}{path}.{self.config.format}"

    def _common(self) -> Dict[str, str]:
        return {"jurisdiction_id": self.config.jurisdiction_id} if self.config.jurisdiction_id else {}

    async def _call(
        self, method: str, path: str, params: Optional[Dict[str, str]] = None, data: Optional[Dict[str, str]] = None
    ) -> Tuple[int, bytes, str]:
        """One HTTP exchange; connection problems become :class:`DeliveryError`.

        A POST that fails after it may have reached the server is
        :class:`Uncertain` (it may be stored); anything else is temporary.
        """
        sending = method == "POST"
        try:
            async with self._client().request(method, self._url(path), params=params, data=data) as response:
                body = await response.read()
                return response.status, body, response.headers.get("Content-Type", "")
        except aiohttp.ClientConnectorError as error:
            raise TemporaryFailure(f"cannot connect to {self.name} ({type(error).__name__})") from None
        except asyncio.TimeoutError:
            cls = Uncertain if sending else TemporaryFailure
            raise cls(f"{self.name} did not answer within {self.config.timeout_seconds:g} s") from None
        except aiohttp.ClientError as error:
            cls = Uncertain if sending else TemporaryFailure
            raise cls(f"connection to {self.name} failed ({type(error).__name__})") from None

    def _failure(self, status: int, body: bytes, content_type: str, action: str, sending: bool) -> DeliveryError:
        """Explain a non-2xx reply (logged and written to the case record)."""
        try:
            errors = errors_in(parse_body(body, content_type, self.config.format))
        except UnreadableReply:
            errors = []
        detail = describe_errors(errors) if errors else f"reply: {raw_for_log(body) or 'empty'}"
        where = f"{self.name} {action}"
        if status in (401, 403):
            return Rejected(f"{where}: HTTP {status}, the API key was refused ({detail}); check the key configured for {self.name}", status)
        if status == 404:
            return Rejected(f"{where}: HTTP 404, not found ({detail}); check the endpoint and service code", status)
        if status == 429:
            return TemporaryFailure(f"{where}: HTTP 429, too many requests ({detail})", status)
        if 400 <= status < 500:
            return Rejected(f"{where}: HTTP {status}, the back office rejected the request ({detail})", status)
        if status >= 500 and errors and self.config.server_error_is_rejection:
            return Rejected(f"{where}: HTTP {status} with an error list, treated as a rejection ({detail})", status)
        if status in _NOT_PROCESSED:  # a gateway or a server down for maintenance: nothing was stored
            return TemporaryFailure(f"{where}: HTTP {status}, the back office is unavailable ({detail})", status)
        if "html" in content_type.lower() or body.lstrip()[:1] == b"<" and b"<html" in body[:500].lower():
            detail = f"an HTML error page: {detail}"
        # A 500 may come after the request was stored, or for a request the server can never accept.
        cls = Uncertain if sending else TemporaryFailure
        return cls(f"{where}: HTTP {status}, server error ({detail})", status)

    def _read(self, body: bytes, content_type: str, container: str, action: str, sending: bool) -> List[Dict[str, Any]]:
        try:
            return records(parse_body(body, content_type, self.config.format), container)
        except UnreadableReply as error:
            logger.warning("%s %s: unreadable reply (%s): %s", self.name, action, error, raw_for_log(body))
            cls = Uncertain if sending else TemporaryFailure
            raise cls(f"{self.name} {action}: unreadable reply ({error})") from None

    # -- discovery -----------------------------------------------------------------
    async def services(self) -> List[Dict[str, Any]]:
        """``GET services``: the service codes this back office accepts."""
        status, body, ctype = await self._call("GET", "services", params=self._common())
        if status != 200:
            raise self._failure(status, body, ctype, "service list", sending=False)
        return self._read(body, ctype, "services", "service list", sending=False)

    async def service_definition(self, service_code: str) -> Dict[str, Any]:
        """``GET services/{code}``: the attributes a service asks for."""
        status, body, ctype = await self._call("GET", f"services/{quote(service_code, safe='')}", params=self._common())
        if status != 200:
            raise self._failure(status, body, ctype, "service definition", sending=False)
        try:
            data = parse_body(body, ctype, self.config.format)
        except UnreadableReply as error:
            raise TemporaryFailure(f"{self.name} service definition: unreadable reply ({error})") from None
        definition = data.get("service_definition", data) if isinstance(data, dict) else None
        if not isinstance(definition, dict):
            raise TemporaryFailure(f"{self.name} service definition: unexpected shape")
        attributes = definition.get("attributes") or []
        definition["attributes"] = attributes if isinstance(attributes, list) else [attributes]
        return definition

    # -- delivery --------------------------------------------------------------------
    def request_fields(self, case: Case) -> Dict[str, str]:
        """The form fields of ``POST requests`` for ``case`` (api_key included)."""
        route = self.routes.get(case.category)
        if route is None:
            raise Rejected(f"{self.name} has no route for category {case.category}")
        fields: Dict[str, str] = {"service_code": route.service_code, **self._common()}
        if self.config.api_key:
            fields["api_key"] = self.config.api_key
        if case.latitude and case.longitude:
            fields["lat"], fields["long"] = str(case.latitude), str(case.longitude)
        elif case.place_latitude and case.place_longitude:
            # No position shared: the street's, from the council's gazetteer (bot/places).
            fields["lat"], fields["long"] = str(case.place_latitude), str(case.place_longitude)
        where = _address(case)
        if where:
            fields["address_string"] = where
        fields["description"] = build_description(case)
        if case.contact_consent and self.config.contact_fields:
            if case.contact_email:
                fields["email"] = case.contact_email
            if case.contact_phone:
                fields["phone"] = case.contact_phone
        if case.media_urls:
            fields["media_url"] = case.media_urls[0]
        for code, source in route.attributes.items():
            value = case_field(case, source)
            if value not in (None, ""):
                fields[f"attribute[{code}]"] = str(value)
        fields[f"attribute[{self.config.correlation_attribute}]"] = case.reference
        for name, value in self.config.defaults.items():
            fields.setdefault(name, value)
        # The server's own names for spec fields (e.g. address_string -> address).
        return {self.config.field_names.get(name, name): value for name, value in fields.items()}

    async def submit(self, case: Case) -> Submission:
        status, body, ctype = await self._call("POST", "requests", data=self.request_fields(case))
        if not 200 <= status < 300:
            raise self._failure(status, body, ctype, "new request", sending=True)
        found = self._read(body, ctype, "service_requests", "new request", sending=True)
        first = found[0] if found else {}
        request_id, token = _id(first.get("service_request_id")), _id(first.get("token"))
        if request_id is None and token is None:
            logger.warning("%s new request: no id and no token in reply: %s", self.name, raw_for_log(body))
            raise Uncertain(f"{self.name} new request: the reply carried neither a service_request_id nor a token")
        return Submission(backoffice_reference=request_id, status=SENT, token=token)

    async def add_report(self, case: Case, report: FurtherReport) -> None:
        """POST the further report as a comment on the request (only with ``comments_path``)."""
        if not self.config.comments_path or not case.backoffice_reference:
            raise TemporaryFailure(f"{self.name}: no request id to comment on yet")
        path = self.config.comments_path.format(service_request_id=quote(case.backoffice_reference, safe=""))
        fields = {**self._common(), "comment": report.summary(case.reference)}
        if self.config.api_key:
            fields["api_key"] = self.config.api_key
        status, body, ctype = await self._call("POST", path, data=fields)
        if not 200 <= status < 300:
            raise self._failure(status, body, ctype, "further report", sending=True)

    async def resolve_token(self, case: Case, token: str) -> Optional[str]:
        """The service_request_id behind ``token``, or None while the back office has none yet."""
        if not self.config.tokens:
            existing = await self.find_existing(case)
            return existing.backoffice_reference if existing else None
        status, body, ctype = await self._call("GET", f"tokens/{quote(token, safe='')}", params=self._common())
        if status == 404:
            return None
        if status != 200:
            raise self._failure(status, body, ctype, "token lookup", sending=False)
        for record in self._read(body, ctype, "service_requests", "token lookup", sending=False):
            request_id = _id(record.get("service_request_id"))
            if request_id:
                return request_id
        return None

    async def find_existing(self, case: Case) -> Optional[Submission]:
        """The request this back office already holds for ``case`` (looked up by our reference)."""
        route = self.routes.get(case.category)
        if self.config.lookup == "none" or route is None:
            return None
        params = self._common()
        if self.config.lookup == "param" and self.config.lookup_param:
            params[self.config.lookup_param] = case.reference
        else:
            created = case.created_at or datetime.now(timezone.utc)
            if created.tzinfo is None:  # SQLite returns naive datetimes; we store UTC
                created = created.replace(tzinfo=timezone.utc)
            since = created - timedelta(hours=1)
            until = datetime.now(timezone.utc) + timedelta(hours=self.config.lookup_window_hours)
            params.update(
                service_code=route.service_code,
                start_date=since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                end_date=until.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        status, body, ctype = await self._call("GET", "requests", params=params)
        if status != 200:
            raise self._failure(status, body, ctype, "duplicate check", sending=False)
        found = self._read(body, ctype, "service_requests", "duplicate check", sending=False)
        if found and not any(_id(record.get("service_request_id")) for record in found):
            # Not "no such request": a list we cannot read. Treating it as "not found" re-sent cases forever.
            logger.warning("%s duplicate check: no service_request_id in the reply: %s", self.name, raw_for_log(body))
            raise TemporaryFailure(f"{self.name} duplicate check: a reply in a shape we cannot read (no service_request_id)")
        for record in found:
            if is_our_request(record, case.reference, self.config.correlation_attribute):
                request_id = _id(record.get("service_request_id"))
                if request_id:
                    return Submission(backoffice_reference=request_id, status=SENT)
        return None

    # -- status --------------------------------------------------------------------------
    def map_status(self, raw: Any) -> Optional[str]:
        return self.status_map.get(str(raw or "").strip().lower())

    async def fetch_status(self, case: Case) -> Optional[StatusUpdate]:
        request_id = case.backoffice_reference
        if not request_id:
            return None
        status, body, ctype = await self._call("GET", f"requests/{quote(request_id, safe='')}", params=self._common())
        if status == 404:
            raise Vanished(f"{self.name} status check: HTTP 404, it no longer knows request {request_id} "
                           "(withdrawn, merged, deleted or held for moderation?)", status)
        if status != 200:
            raise self._failure(status, body, ctype, "status check", sending=False)
        found = self._read(body, ctype, "service_requests", "status check", sending=False)
        if not found:  # some servers answer an empty list, not 404, for an id they do not know
            raise Vanished(f"{self.name} status check: an empty reply for request {request_id}, it no longer knows it")
        record = next((r for r in found if _id(r.get("service_request_id")) in (request_id, None)), None)
        if record is None:
            return None
        mapped = self.map_status(record.get("status"))
        if mapped is None:
            logger.warning("%s status check: unknown status %r for a request", self.name, _clip(str(record.get("status")), 40))
            return None
        notes = record.get("status_notes")
        return StatusUpdate(
            status=mapped,
            note=_clip(notes, 1000) if isinstance(notes, str) and notes else None,
            backoffice_reference=request_id,
        )

    # -- check-routing --live -------------------------------------------------------------
    async def check_live(self) -> List[LiveProblem]:
        """The service list (every routed service code offered?) and, with an API key, a key test.

        GeoReport v2 has no "check my key" call, so the key test is a new
        request the spec says must be refused (no service code, no location)
        sent with our key: 401/403 means the key is refused; any other
        refusal means the key got past authentication.
        """
        problems: List[LiveProblem] = []
        try:
            offered = {_id(s.get("service_code")) for s in await self.services()}
        except DeliveryError as error:
            return [LiveProblem(f"service list: {error.reason}")]
        for category, route in sorted(self.routes.items()):
            if route.service_code not in offered:
                problems.append(LiveProblem(
                    f"routes.{category}: service_code {route.service_code!r} is not in {self.name}'s service list "
                    f"({', '.join(sorted(c for c in offered if c)) or 'empty'})"))
        for category, route in sorted(self.routes.items()):
            if route.service_code in offered:
                problems += await self._check_attributes(category, route)
        if not self.config.contact_fields:
            problems.append(LiveProblem(
                f"{self.name} cannot store contact details (contact_fields: false): residents' phone and email stay "
                "in our case record and staff are told on each case", fatal=False))
        if self.config.api_key and self.config.key_check:
            problems += await self._check_key()
        return problems

    async def _check_attributes(self, category: str, route: Open311Route) -> List[LiveProblem]:
        """Attributes the service requires that we never send (it would refuse every case), or send unasked."""
        try:
            definition = await self.service_definition(route.service_code)
        except DeliveryError as error:
            if error.http_status == 404:  # a service without attributes may have no definition
                return []
            return [LiveProblem(f"routes.{category}: service definition of {route.service_code}: {error.reason}",
                                fatal=False)]
        codes = {str(a.get("code")): a for a in definition["attributes"] if isinstance(a, dict)}
        sent = set(route.attributes) | {self.config.correlation_attribute}
        found: List[LiveProblem] = []
        for code, attribute in sorted(codes.items()):
            required = str(attribute.get("required", "")).lower() == "true"
            variable = str(attribute.get("variable", "true")).lower() != "false"
            if required and variable and code not in sent and f"attribute[{code}]" not in self.config.defaults:
                found.append(LiveProblem(f"routes.{category}: {route.service_code} requires attribute {code!r}, "
                                         "which the route does not send (add it to attributes or defaults)"))
        unknown = sorted(set(route.attributes) - set(codes))
        if codes and unknown:
            found.append(LiveProblem(f"routes.{category}: {route.service_code} does not ask for "
                                     f"{', '.join(map(repr, unknown))}; the back office may drop them", fatal=False))
        return found

    async def _check_key(self) -> List[LiveProblem]:
        fields = {**self._common(), "api_key": self.config.api_key or "", "service_code": ""}
        try:
            status, body, ctype = await self._call("POST", "requests", data=fields)
        except DeliveryError as error:
            return [LiveProblem(f"key test: {error.reason}")]
        if status in (401, 403):
            return [LiveProblem(f"key test: HTTP {status}, the API key was refused; check the key configured for {self.name}")]
        if 200 <= status < 300:
            return [LiveProblem(f"key test: {self.name} accepted a request with no service code and no location; "
                                "look for a stray test request there and tell the supplier", fatal=False)]
        if status >= 500:
            return [LiveProblem(f"key test: HTTP {status}; the key could not be tested", fatal=False)]
        return []


# ----- the routing file's options for this adapter ---------------------------------------------
OPTIONS = frozenset({
    "endpoint", "endpoint_env", "api_key_env", "jurisdiction_id", "format", "timeout_seconds",
    "field_names", "tokens", "server_error_is_rejection", "defaults", "correlation_attribute", "lookup",
    "lookup_param", "lookup_window_hours", "status_map", "contact_fields", "key_check", "comments_path",
})


def endpoint_from(opts: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    from_env = environ.get(opts["endpoint_env"]) if opts.get("endpoint_env") else None
    return str(from_env or opts.get("endpoint") or "")


def _check_url(url: str, where: str, problems: List[str]) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"{where}: {url!r} is not an http(s) URL")


def check_options(name: str, opts: Mapping[str, Any], environ: Optional[Mapping[str, str]], problems: List[str]) -> None:
    """Every problem with one Open311 back office's options (``environ`` given: also the variables they name)."""
    where = f"backoffices.{name}"
    if not opts.get("endpoint") and not opts.get("endpoint_env"):
        problems.append(f"{where}: needs an endpoint (or endpoint_env naming a variable that holds it)")
    elif environ is not None:
        url = endpoint_from(opts, environ)
        if not url:
            problems.append(f"{where}: endpoint_env {opts['endpoint_env']} is not set and there is no endpoint")
        else:
            _check_url(url, f"{where}.endpoint", problems)
    elif opts.get("endpoint"):
        _check_url(str(opts["endpoint"]), f"{where}.endpoint", problems)
    check_secret_env(where, opts, "api_key", "api_key_env", environ, problems, label="API key")
    if opts.get("format", "xml") not in ("xml", "json"):
        problems.append(f"{where}.format: must be xml or json, not {opts.get('format')!r}")
    if opts.get("lookup", "search") not in ("search", "param", "none"):
        problems.append(f"{where}.lookup: must be search, param or none, not {opts.get('lookup')!r}")
    if opts.get("lookup") == "param" and not opts.get("lookup_param"):
        problems.append(f"{where}: lookup: param needs lookup_param (the query parameter to send our reference in)")
    for key in ("field_names", "defaults", "status_map"):
        if key in opts and not isinstance(opts[key], dict):
            problems.append(f"{where}.{key}: must be a mapping (name: value)")
    for raw, ours in (opts.get("status_map") or {}).items() if isinstance(opts.get("status_map"), dict) else []:
        if ours not in STATUS_ORDER:
            problems.append(f"{where}.status_map.{raw}: {ours!r} is not one of {', '.join(STATUS_ORDER)}")
    check_positive(where, opts, ["timeout_seconds", "lookup_window_hours"], problems)
    check_bool(where, opts, ["tokens", "server_error_is_rejection", "contact_fields", "key_check"], problems)
    comments = opts.get("comments_path")
    if comments is not None and (not isinstance(comments, str) or "{service_request_id}" not in comments):
        problems.append(f"{where}.comments_path: must be a path with {{service_request_id}} in it, "
                        "e.g. requests/{service_request_id}/comments")


def config_from(name: str, opts: Mapping[str, Any], environ: Mapping[str, str]) -> Open311Config:
    return Open311Config(
        name=name,
        endpoint=endpoint_from(opts, environ),
        api_key=environ.get(opts["api_key_env"]) if opts.get("api_key_env") else None,
        jurisdiction_id=text_or_none(opts.get("jurisdiction_id")),
        format=opts.get("format", "xml"),
        timeout_seconds=float(opts.get("timeout_seconds", 15)),
        field_names=dict(opts.get("field_names") or {}),
        tokens=bool(opts.get("tokens", True)),
        server_error_is_rejection=bool(opts.get("server_error_is_rejection", False)),
        defaults={k: str(v) for k, v in (opts.get("defaults") or {}).items()},
        correlation_attribute=str(opts.get("correlation_attribute", "council_reference")),
        lookup=opts.get("lookup", "search"),
        lookup_param=text_or_none(opts.get("lookup_param")),
        lookup_window_hours=float(opts.get("lookup_window_hours", 48)),
        status_map=dict(opts.get("status_map") or {}),
        contact_fields=bool(opts.get("contact_fields", True)),
        key_check=bool(opts.get("key_check", True)),
        comments_path=text_or_none(opts.get("comments_path")),
    )


def build(context: BuildContext) -> Open311CaseSystem:
    routes = {c: Open311Route(r.service_code or "", dict(r.attributes)) for c, r in context.routes.items()}
    return Open311CaseSystem(config_from(context.name, context.options, context.environ), routes)


ADAPTER = Adapter(
    key="open311",
    summary="Open311 GeoReport v2",
    options=OPTIONS,
    check=check_options,
    build=build,
    needs_service_code=True,
)

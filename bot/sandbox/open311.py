"""A stand-in council back office that speaks Open311 GeoReport v2.

`make run` starts it as the default destination of council/routing.yml, so a
demo shows a report travel all the way to a "council system" and come back
with status updates. Tests and demos switch its behaviour at run time:

    curl -X POST http://127.0.0.1:5085/admin/mode -d '{"down": true}'
    # down: every GeoReport call answers 503; slow_seconds: delay every answer;
    # error: answer every call with that HTTP status and a spec error list, or
    #        "malformed_xml" / "malformed_json" (200 with a broken body);
    # accept_then_timeout: store a new request, then hang for hang_seconds;
    # token_only: answer a new request with a token only (resolve via tokens/{token}).
    # Deviations real servers show (docs/delivery.md, "Back offices as they really are"):
    # xml_list_tag: "requests" wraps XML request lists in <requests>, not <service_requests>;
    # json_shape: "object" (a bare object, not a one-item list) or "wrapped" ({"service_requests": [...]});
    # moderation: new requests are hidden from search and status look-ups (404);
    # contact_fields: false drops email and phone (it has no such fields);
    # html_500_services: service codes it answers with a 500 HTML page (never stored);
    # reply_after_store: "garbage" stores the request, then answers 200 with a body nobody can read;
    # required_attributes: {"HW_POTHOLE": ["usrn"]} makes its definition require attributes we do not send.
    curl -X DELETE http://127.0.0.1:5085/admin/requests/1   # the request vanishes (404 on look-ups)
    curl -X POST http://127.0.0.1:5085/admin/requests/1 -d '{"status": "closed", "status_notes": "Fixed"}'
    curl http://127.0.0.1:5085/admin/requests

Its service list comes from the Open311 routes in council/routing.yml, so it
accepts exactly the service codes the worker sends. It keeps requests in
memory (a stand-in, not a store) and never logs what residents wrote.
Bind it to localhost only: the admin endpoints have no authentication.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web

from bot.categories import BY_KEY
from bot import redaction

logger = logging.getLogger(__name__)

PREFIX = "/open311/v2"
DESCRIPTION_MAX = 4000
# Fields GET requests returns (the spec's list; no contact details, no attributes).
PUBLIC_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)


@dataclass
class Modes:
    down: bool = False
    slow_seconds: float = 0.0
    error: Optional[Any] = None  # an HTTP status, "malformed_xml" or "malformed_json"
    accept_then_timeout: bool = False
    hang_seconds: float = 30.0
    token_only: bool = False
    xml_list_tag: str = "service_requests"
    json_shape: str = "list"  # list | object | wrapped
    moderation: bool = False
    contact_fields: bool = True
    html_500_services: List[str] = field(default_factory=list)
    reply_after_store: Optional[str] = None  # "garbage"
    required_attributes: Dict[str, List[str]] = field(default_factory=dict)  # service code -> extra required codes


@dataclass
class Service:
    code: str
    name: str
    group: str
    attributes: List[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def services_from_routing(routing: Any) -> List[Service]:
    """The services the Open311 back offices in routing.yml expect."""
    found: Dict[str, Service] = {}
    for route in routing.routes.values():
        if routing.backoffices[route.backoffice].adapter != "open311" or not route.service_code:
            continue
        title = BY_KEY[route.category].title if route.category in BY_KEY else route.category
        found[route.service_code] = Service(route.service_code, title.capitalize(), route.backoffice, list(route.attributes))
    return list(found.values())


def render(kind: str, root: str, item: str, rows: List[Dict[str, Any]]) -> web.Response:
    """A GeoReport list (``<root><item>…``) as XML, or a JSON array."""
    if kind == "json":
        return web.json_response(rows)
    top = ElementTree.Element(root)
    for row in rows:
        element = ElementTree.SubElement(top, item)
        _fill(element, row)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(top, encoding="utf-8", xml_declaration=False)
    return web.Response(body=body, content_type="text/xml", charset="utf-8")


def _fill(element: Any, row: Dict[str, Any]) -> None:
    for key, value in row.items():
        child = ElementTree.SubElement(element, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list):
            for entry in value:
                _fill(ElementTree.SubElement(child, key.rstrip("s")), entry)
        elif value is not None:
            child.text = str(value).lower() if isinstance(value, bool) else str(value)


def error_response(kind: str, status: int, description: str) -> web.Response:
    response = render(kind, "errors", "error", [{"code": status, "description": description}])
    response.set_status(status)
    return response


class Sandbox:
    """The server's state: services, stored requests, switches."""

    def __init__(self, services: List[Service], api_key: Optional[str], jurisdiction_id: Optional[str] = None) -> None:
        self.services = {s.code: s for s in services}
        self.api_key = api_key
        self.jurisdiction_id = jurisdiction_id
        self.modes = Modes()
        self.requests: Dict[str, Dict[str, Any]] = {}
        self.tokens: Dict[str, str] = {}
        self.post_count = 0  # requests stored
        self.posts_received = 0  # POST requests that reached it, stored or not
        self._next_id = 1000

    # -- helpers ------------------------------------------------------------------
    async def _gate(self, kind: str) -> Optional[web.Response]:
        """Apply the switches that affect every GeoReport call."""
        if self.modes.slow_seconds:
            await asyncio.sleep(self.modes.slow_seconds)
        if self.modes.down:
            return error_response(kind, 503, "The back office is down for maintenance.")
        error = self.modes.error
        if error == "malformed_xml":
            return web.Response(text='<?xml version="1.0"?><service_requests><request><service_request_id>1', content_type="text/xml")
        if error == "malformed_json":
            return web.Response(text='[{"service_request_id": 1,', content_type="application/json")
        if isinstance(error, int):
            return error_response(kind, error, f"Simulated error {error}.")
        return None

    @staticmethod
    def _kind(request: web.Request) -> str:
        return "json" if request.match_info.get("fmt") == "json" else "xml"

    def _requests_reply(self, kind: str, rows: List[Dict[str, Any]]) -> web.Response:
        """A list of requests, in this server's shape (the spec's unless a deviation is switched on)."""
        if kind == "json" and self.modes.json_shape == "object" and len(rows) == 1:
            return web.json_response(rows[0])
        if kind == "json" and self.modes.json_shape == "wrapped":
            return web.json_response({"service_requests": rows})
        return render(kind, self.modes.xml_list_tag if kind == "xml" else "service_requests", "request", rows)

    def _visible(self, record: Dict[str, Any]) -> bool:
        return not record.get("hidden")

    # -- GeoReport v2 ------------------------------------------------------------------
    async def list_services(self, request: web.Request) -> web.Response:
        kind = self._kind(request)
        blocked = await self._gate(kind)
        if blocked is not None:
            return blocked
        rows = [
            {"service_code": s.code, "service_name": s.name, "description": s.name, "metadata": bool(s.attributes),
             "type": "realtime", "keywords": "", "group": s.group}
            for s in self.services.values()
        ]
        return render(kind, "services", "service", rows)

    async def service_definition(self, request: web.Request) -> web.Response:
        kind = self._kind(request)
        blocked = await self._gate(kind)
        if blocked is not None:
            return blocked
        service = self.services.get(request.match_info["code"])
        if service is None:
            return error_response(kind, 404, "No service with that code.")
        attributes = [
            {"variable": True, "code": code, "datatype": "string", "required": False, "datatype_description": "",
             "order": order, "description": code.replace("_", " ").capitalize()}
            for order, code in enumerate(service.attributes, start=1)
        ] + [
            {"variable": True, "code": code, "datatype": "string", "required": True, "datatype_description": "",
             "order": 100 + order, "description": code.replace("_", " ").capitalize()}
            for order, code in enumerate(self.modes.required_attributes.get(service.code, []))
        ]
        if kind == "json":
            return web.json_response({"service_code": service.code, "attributes": attributes})
        top = ElementTree.Element("service_definition")
        ElementTree.SubElement(top, "service_code").text = service.code
        holder = ElementTree.SubElement(top, "attributes")
        for attribute in attributes:
            _fill(ElementTree.SubElement(holder, "attribute"), attribute)
        return web.Response(body=ElementTree.tostring(top, encoding="utf-8"), content_type="text/xml", charset="utf-8")

    async def create_request(self, request: web.Request) -> web.Response:
        kind = self._kind(request)
        self.posts_received += 1
        blocked = await self._gate(kind)
        if blocked is not None:
            return blocked
        form = await request.post()
        if self.api_key and form.get("api_key") != self.api_key:
            return error_response(kind, 403, "Invalid api_key received -- can't proceed with create_request.")
        code = str(form.get("service_code") or "")
        if code not in self.services:
            return error_response(kind, 400, f"service_code {code or '(missing)'} not found.")
        if not (form.get("lat") and form.get("long")) and not form.get("address_string") and not form.get("address_id"):
            return error_response(kind, 400, "A location is required: lat and long, address_string or address_id.")
        if code in self.modes.html_500_services:
            return web.Response(status=500, content_type="text/html",
                                text="<html><head><title>Error</title></head><body><h1>Internal Server Error</h1></body></html>")
        description = str(form.get("description") or "")
        if len(description) > DESCRIPTION_MAX:
            return error_response(kind, 400, f"description is longer than {DESCRIPTION_MAX} characters.")
        self._next_id += 1
        request_id = str(self._next_id)
        now = _now()
        self.requests[request_id] = {
            "service_request_id": request_id,
            "status": "open",
            "status_notes": "",
            "service_name": self.services[code].name,
            "service_code": code,
            "description": description,
            "agency_responsible": self.services[code].group,
            "service_notice": "",
            "requested_datetime": now,
            "updated_datetime": now,
            "address": str(form.get("address_string") or ""),
            "lat": str(form.get("lat") or ""),
            "long": str(form.get("long") or ""),
            "media_url": str(form.get("media_url") or ""),
            # Kept for tests and demos, never returned by GET requests:
            "attributes": {k[10:-1]: str(v) for k, v in form.items() if k.startswith("attribute[") and k.endswith("]")},
            "contact": ({"email": form.get("email"), "phone": form.get("phone")} if self.modes.contact_fields
                        else {"email": None, "phone": None}),
            "hidden": self.modes.moderation,
        }
        self.post_count += 1
        logger.info("Stored request %s (service %s)", request_id, code)
        if self.modes.accept_then_timeout:
            await asyncio.sleep(self.modes.hang_seconds)
        if self.modes.reply_after_store == "garbage":
            return web.Response(text="<html><body>Thank you, your report has been received.</body></html>",
                                content_type="text/html")
        if self.modes.token_only:
            token = secrets.token_hex(8)
            self.tokens[token] = request_id
            return self._requests_reply(kind, [{"token": token}])
        return self._requests_reply(kind, [{"service_request_id": request_id, "service_notice": "", "account_id": None}])

    def _public(self, record: Dict[str, Any]) -> Dict[str, Any]:
        return {k: record.get(k) for k in PUBLIC_FIELDS if k in record}

    async def search_requests(self, request: web.Request) -> web.Response:
        kind = self._kind(request)
        blocked = await self._gate(kind)
        if blocked is not None:
            return blocked
        query = request.query
        rows = [r for r in self.requests.values() if self._visible(r)]
        if query.get("service_request_id"):
            wanted = {part.strip() for part in query["service_request_id"].split(",")}
            rows = [r for r in rows if r["service_request_id"] in wanted]
        else:
            if query.get("service_code"):
                codes = set(query["service_code"].split(","))
                rows = [r for r in rows if r["service_code"] in codes]
            if query.get("status"):
                rows = [r for r in rows if r["status"] in query["status"].split(",")]
            start = _parse_time(query.get("start_date", ""))
            end = _parse_time(query.get("end_date", ""))
            if start:
                rows = [r for r in rows if _parse_time(r["requested_datetime"]) >= start]  # type: ignore[operator]
            if end:
                rows = [r for r in rows if _parse_time(r["requested_datetime"]) <= end]  # type: ignore[operator]
        return self._requests_reply(kind, [self._public(r) for r in rows[-1000:]])

    async def get_request(self, request: web.Request) -> web.Response:
        kind = self._kind(request)
        blocked = await self._gate(kind)
        if blocked is not None:
            return blocked
        record = self.requests.get(request.match_info["id"])
        if record is None or not self._visible(record):
            return error_response(kind, 404, "No request with that id.")
        return self._requests_reply(kind, [self._public(record)])

    async def add_comment(self, request: web.Request) -> web.Response:
        """Not GeoReport v2: the comments extension some servers have (routing option comments_path)."""
        kind = self._kind(request)
        blocked = await self._gate(kind)
        if blocked is not None:
            return blocked
        form = await request.post()
        if self.api_key and form.get("api_key") != self.api_key:
            return error_response(kind, 403, "Invalid api_key received -- can't proceed with comment.")
        record = self.requests.get(request.match_info["id"])
        if record is None or not self._visible(record):
            return error_response(kind, 404, "No request with that id.")
        comment = str(form.get("comment") or "").strip()
        if not comment:
            return error_response(kind, 400, "comment is required.")
        record.setdefault("comments", []).append({"comment": comment, "at": _now()})
        return self._requests_reply(kind, [{"service_request_id": record["service_request_id"]}])

    async def get_token(self, request: web.Request) -> web.Response:
        kind = self._kind(request)
        blocked = await self._gate(kind)
        if blocked is not None:
            return blocked
        token = request.match_info["token"]
        if token not in self.tokens:
            return error_response(kind, 404, "No such token.")
        return self._requests_reply(kind, [{"service_request_id": self.tokens[token], "token": token}])

    # -- switches and inspection (local use only) ---------------------------------------
    async def admin_state(self, _request: web.Request) -> web.Response:
        return web.json_response({"modes": self.modes.__dict__, "requests": len(self.requests), "posts": self.post_count,
                                  "posts_received": self.posts_received})

    async def admin_mode(self, request: web.Request) -> web.Response:
        try:
            changes = await request.json()
        except ValueError:
            return web.json_response({"error": "send a JSON object"}, status=400)
        if not isinstance(changes, dict) or set(changes) - set(Modes.__dataclass_fields__):
            return web.json_response({"error": f"known switches: {', '.join(Modes.__dataclass_fields__)}"}, status=400)
        for key, value in changes.items():
            setattr(self.modes, key, value)
        return web.json_response({"modes": self.modes.__dict__})

    async def admin_reset(self, _request: web.Request) -> web.Response:
        self.modes = Modes()
        self.requests.clear()
        self.tokens.clear()
        self.post_count = 0
        self.posts_received = 0
        return web.json_response({"ok": True})

    async def admin_requests(self, _request: web.Request) -> web.Response:
        return web.json_response(list(self.requests.values()))

    async def admin_update(self, request: web.Request) -> web.Response:
        record = self.requests.get(request.match_info["id"])
        if record is None:
            return web.json_response({"error": "no such request"}, status=404)
        try:
            change = await request.json()
        except ValueError:
            change = None
        if not isinstance(change, dict):
            return web.json_response({"error": "send a JSON object"}, status=400)
        if change.get("status") not in ("open", "in_progress", "action_scheduled", "fixed", "closed"):
            return web.json_response({"error": "status must be open, in_progress, action_scheduled, fixed or closed"}, status=400)
        record.update(status=change["status"], status_notes=str(change.get("status_notes") or ""), updated_datetime=_now())
        return web.json_response(self._public(record))

    async def admin_delete(self, request: web.Request) -> web.Response:
        """The request vanishes (withdrawn, merged, deleted): look-ups answer 404 from now on."""
        if self.requests.pop(request.match_info["id"], None) is None:
            return web.json_response({"error": "no such request"}, status=404)
        return web.json_response({"ok": True})

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "requests": len(self.requests)})


def make_app(sandbox: Sandbox) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    fmt = r"{fmt:(xml|json)}"
    app.add_routes([
        web.get(f"{PREFIX}/services.{fmt}", sandbox.list_services),
        web.get(f"{PREFIX}/services/{{code}}.{fmt}", sandbox.service_definition),
        web.post(f"{PREFIX}/requests.{fmt}", sandbox.create_request),
        web.get(f"{PREFIX}/requests.{fmt}", sandbox.search_requests),
        web.get(f"{PREFIX}/requests/{{id}}.{fmt}", sandbox.get_request),
        web.post(f"{PREFIX}/requests/{{id}}/comments.{fmt}", sandbox.add_comment),
        web.get(f"{PREFIX}/tokens/{{token}}.{fmt}", sandbox.get_token),
        web.get("/admin/state", sandbox.admin_state),
        web.post("/admin/mode", sandbox.admin_mode),
        web.post("/admin/reset", sandbox.admin_reset),
        web.get("/admin/requests", sandbox.admin_requests),
        web.post("/admin/requests/{id}", sandbox.admin_update),
        web.delete("/admin/requests/{id}", sandbox.admin_delete),
        web.get("/health", sandbox.health),
    ])
    return app


async def start(sandbox: Sandbox, host: str, port: int) -> Tuple[web.AppRunner, str]:
    """Serve ``sandbox`` in the running loop; returns the runner and the GeoReport base URL."""
    runner = web.AppRunner(make_app(sandbox), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, f"http://{host}:{port}{PREFIX}/"


def main(argv: Optional[List[str]] = None) -> int:
    from bot.routing import load_routing
    from bot.settings import load_settings

    parser = argparse.ArgumentParser(description="Stand-in Open311 GeoReport v2 back office")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    redaction.configure_logging()
    settings = load_settings()
    routing = load_routing(settings.routing_file)
    sandbox = Sandbox(services_from_routing(routing), api_key=os.environ.get("OPEN311_SANDBOX_API_KEY") or None)
    if sandbox.api_key is None:
        logger.warning("OPEN311_SANDBOX_API_KEY is not set: the sandbox accepts any api_key")
    web.run_app(make_app(sandbox), host=settings.bind_host, port=args.port or settings.open311_sandbox_port,
                access_log=None, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Which back office each kind of report goes to (council/routing.yml).

The file names back offices (adapter + connection + deviations) and routes
each category (bot/categories.py) to one of them with its service code and
attribute mapping. :func:`load_routing` checks the whole file and reports
every problem at once, with where it is, so `make run` can refuse to start
with a message a council officer can act on. Secrets are referenced by
environment variable name (``api_key_env``, ``password_env``), never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import urlparse

import yaml

from bot.backoffice.base import CaseSystem
from bot.cases.model import STATUS_ORDER
from bot.backoffice.email import EmailCaseSystem, EmailConfig
from bot.backoffice.open311 import Open311CaseSystem, Open311Config, Open311Route
from bot.categories import BY_KEY, CATEGORIES
from bot.settings import ConfigError

ADAPTERS = ("open311", "email", "builtin")
# Case fields a route's attributes may send (besides the category's details).
CASE_FIELDS = ("reference", "location_text", "postcode", "latitude", "longitude", "description", "channel")

_OPEN311_KEYS = {
    "adapter", "endpoint", "endpoint_env", "api_key_env", "jurisdiction_id", "format", "timeout_seconds",
    "field_names", "tokens", "server_error_is_rejection", "defaults", "correlation_attribute", "lookup",
    "lookup_param", "lookup_window_hours", "status_map",
}
_EMAIL_KEYS = {
    "adapter", "host", "port", "username", "password_env", "from", "to", "starttls", "ca_file",
    "timeout_seconds", "subject_prefix",
}
_ROUTE_KEYS = {"backoffice", "service_code", "attributes"}


class RoutingError(ConfigError):
    """council/routing.yml cannot be used; the message lists every problem."""


@dataclass(frozen=True)
class Route:
    category: str
    backoffice: str
    service_code: Optional[str] = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BackofficeSpec:
    name: str
    adapter: str
    options: Mapping[str, Any]


@dataclass(frozen=True)
class Routing:
    path: Path
    backoffices: Mapping[str, BackofficeSpec]
    routes: Mapping[str, Route]

    def backoffice_for(self, category: str) -> str:
        """The back office for ``category`` (other_problem's when the category is unknown)."""
        route = self.routes.get(category) or self.routes["other_problem"]
        return route.backoffice

    def build(self, environ: Mapping[str, str], store: Any = None) -> Dict[str, CaseSystem]:
        """One adapter per back office, with secrets read from ``environ`` now."""
        systems: Dict[str, CaseSystem] = {}
        for name, spec in self.backoffices.items():
            opts = spec.options
            if spec.adapter == "open311":
                routes = {
                    r.category: Open311Route(r.service_code or "", dict(r.attributes))
                    for r in self.routes.values()
                    if r.backoffice == name
                }
                systems[name] = Open311CaseSystem(
                    Open311Config(
                        name=name,
                        endpoint=_endpoint(opts, environ),
                        api_key=environ.get(opts["api_key_env"]) if opts.get("api_key_env") else None,
                        jurisdiction_id=_str(opts.get("jurisdiction_id")),
                        format=opts.get("format", "xml"),
                        timeout_seconds=float(opts.get("timeout_seconds", 15)),
                        field_names=dict(opts.get("field_names") or {}),
                        tokens=bool(opts.get("tokens", True)),
                        server_error_is_rejection=bool(opts.get("server_error_is_rejection", False)),
                        defaults={k: str(v) for k, v in (opts.get("defaults") or {}).items()},
                        correlation_attribute=str(opts.get("correlation_attribute", "council_reference")),
                        lookup=opts.get("lookup", "search"),
                        lookup_param=_str(opts.get("lookup_param")),
                        lookup_window_hours=float(opts.get("lookup_window_hours", 48)),
                        status_map=dict(opts.get("status_map") or {}),
                    ),
                    routes,
                )
            elif spec.adapter == "email":
                systems[name] = EmailCaseSystem(
                    EmailConfig(
                        name=name,
                        host=opts["host"],
                        port=int(opts.get("port", 587)),
                        to_address=opts["to"],
                        from_address=opts["from"],
                        username=_str(opts.get("username")),
                        password=environ.get(opts["password_env"]) if opts.get("password_env") else None,
                        starttls=bool(opts.get("starttls", True)),
                        ca_file=_str(opts.get("ca_file")),
                        timeout_seconds=float(opts.get("timeout_seconds", 30)),
                        subject_prefix=str(opts.get("subject_prefix", "[Report]")),
                    )
                )
            else:
                from bot.backoffice.builtin import BuiltinCaseSystem

                if store is None:
                    raise RoutingError(f"back office {name!r} (builtin) needs the case store")
                systems[name] = BuiltinCaseSystem(store, name=name)
        return systems


def _str(value: Any) -> Optional[str]:
    return None if value is None or value == "" else str(value)


def _endpoint(opts: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    from_env = environ.get(opts["endpoint_env"]) if opts.get("endpoint_env") else None
    return str(from_env or opts.get("endpoint") or "")


def _check_url(url: str, where: str, problems: List[str]) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"{where}: {url!r} is not an http(s) URL")


def _check_open311(name: str, opts: Mapping[str, Any], environ: Optional[Mapping[str, str]], problems: List[str]) -> None:
    where = f"backoffices.{name}"
    if not opts.get("endpoint") and not opts.get("endpoint_env"):
        problems.append(f"{where}: needs an endpoint (or endpoint_env naming a variable that holds it)")
    elif environ is not None:
        url = _endpoint(opts, environ)
        if not url:
            problems.append(f"{where}: endpoint_env {opts['endpoint_env']} is not set and there is no endpoint")
        else:
            _check_url(url, f"{where}.endpoint", problems)
    elif opts.get("endpoint"):
        _check_url(str(opts["endpoint"]), f"{where}.endpoint", problems)
    if "api_key" in opts:
        problems.append(f"{where}: do not put the API key in this file; set api_key_env to the name of a variable that holds it")
    if opts.get("api_key_env") and environ is not None and not environ.get(opts["api_key_env"]):
        problems.append(f"{where}: the environment variable {opts['api_key_env']} (api_key_env) is not set")
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
    for key in ("timeout_seconds", "lookup_window_hours"):
        if key in opts and (not isinstance(opts[key], (int, float)) or opts[key] <= 0):
            problems.append(f"{where}.{key}: must be a positive number")


def _check_email(name: str, opts: Mapping[str, Any], environ: Optional[Mapping[str, str]], problems: List[str]) -> None:
    where = f"backoffices.{name}"
    for key in ("host", "from", "to"):
        if not opts.get(key):
            problems.append(f"{where}: needs {key}")
    for key in ("from", "to"):
        if opts.get(key) and "@" not in str(opts[key]):
            problems.append(f"{where}.{key}: {opts[key]!r} is not an email address")
    if "password" in opts:
        problems.append(f"{where}: do not put the password in this file; set password_env to the name of a variable that holds it")
    if opts.get("username") and not opts.get("password_env"):
        problems.append(f"{where}: username is set but password_env is not")
    if opts.get("password_env") and environ is not None and not environ.get(opts["password_env"]):
        problems.append(f"{where}: the environment variable {opts['password_env']} (password_env) is not set")
    if "port" in opts and (not isinstance(opts["port"], int) or not 0 < opts["port"] < 65536):
        problems.append(f"{where}.port: must be a port number")
    if opts.get("ca_file") and not Path(str(opts["ca_file"])).is_file():
        problems.append(f"{where}.ca_file: {opts['ca_file']} does not exist")


def parse_routing(data: Any, path: Path, environ: Optional[Mapping[str, str]] = None) -> Routing:
    """Check and convert the YAML document; ``environ`` given means also check the variables it names."""
    problems: List[str] = []
    if not isinstance(data, dict):
        raise RoutingError(f"{path}: expected 'backoffices:' and 'routes:' sections, found {type(data).__name__}")
    for key in data:
        if key not in ("backoffices", "routes"):
            problems.append(f"{key}: unknown section (expected backoffices and routes)")
    raw_offices = data.get("backoffices")
    raw_routes = data.get("routes")
    if not isinstance(raw_offices, dict) or not raw_offices:
        problems.append("backoffices: missing or empty (name at least one back office)")
        raw_offices = {}
    if not isinstance(raw_routes, dict) or not raw_routes:
        problems.append("routes: missing or empty (route every category)")
        raw_routes = {}

    offices: Dict[str, BackofficeSpec] = {}
    for name, opts in raw_offices.items():
        where = f"backoffices.{name}"
        if not isinstance(opts, dict):
            problems.append(f"{where}: must be a mapping of options")
            continue
        adapter = opts.get("adapter")
        if adapter not in ADAPTERS:
            problems.append(f"{where}.adapter: {adapter!r} is not one of {', '.join(ADAPTERS)}")
            continue
        allowed = {"open311": _OPEN311_KEYS, "email": _EMAIL_KEYS, "builtin": {"adapter"}}[adapter]
        for key in sorted(set(opts) - allowed):
            problems.append(f"{where}.{key}: unknown option for adapter {adapter} (known: {', '.join(sorted(allowed))})")
        if adapter == "open311":
            _check_open311(str(name), opts, environ, problems)
        elif adapter == "email":
            _check_email(str(name), opts, environ, problems)
        offices[str(name)] = BackofficeSpec(str(name), adapter, dict(opts))

    routes: Dict[str, Route] = {}
    for category, spec in raw_routes.items():
        where = f"routes.{category}"
        if category not in BY_KEY:
            problems.append(f"{where}: no such category (known: {', '.join(c.key for c in CATEGORIES)})")
            continue
        if not isinstance(spec, dict):
            problems.append(f"{where}: must be a mapping with backoffice and service_code")
            continue
        for key in sorted(set(spec) - _ROUTE_KEYS):
            problems.append(f"{where}.{key}: unknown option (known: {', '.join(sorted(_ROUTE_KEYS))})")
        office = spec.get("backoffice")
        if office not in raw_offices:
            problems.append(f"{where}.backoffice: {office!r} is not a back office in this file (known: {', '.join(map(str, raw_offices)) or 'none'})")
            continue
        adapter = offices[office].adapter if office in offices else None
        if adapter == "open311" and not spec.get("service_code"):
            problems.append(f"{where}: needs a service_code (back office {office} speaks Open311)")
        attributes = spec.get("attributes") or {}
        if not isinstance(attributes, dict):
            problems.append(f"{where}.attributes: must be a mapping (their attribute code: our field)")
            attributes = {}
        known = set(BY_KEY[category].detail_slots) | set(CASE_FIELDS)
        for code, ours in attributes.items():
            if ours not in known:
                problems.append(f"{where}.attributes.{code}: {ours!r} is not a field of {category} (known: {', '.join(sorted(known))})")
        routes[category] = Route(category, office, _str(spec.get("service_code")), {str(k): str(v) for k, v in attributes.items()})

    unrouted = [c.key for c in CATEGORIES if c.key not in raw_routes]
    if unrouted:
        problems.append(f"routes: no route for {', '.join(unrouted)} (every category needs one)")
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise RoutingError(f"{path} has {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n{listing}")
    return Routing(path=path, backoffices=offices, routes=routes)


def load_routing(path: Path, environ: Optional[Mapping[str, str]] = None) -> Routing:
    """Read and check the routing file (see :func:`parse_routing`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoutingError(f"Routing file {path} does not exist (set ROUTING_FILE or create it)") from None
    except OSError as error:
        raise RoutingError(f"Routing file {path} cannot be read: {error.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise RoutingError(f"{path} is not valid YAML{at}: {problem}") from None
    return parse_routing(data, path, environ)

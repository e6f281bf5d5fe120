"""Which back office each kind of report goes to (council/routing.yml).

The file names back offices (adapter + connection + deviations) and routes
each category (bot/categories.py) to one of them with its service code and
attribute mapping. :func:`load_routing` checks the whole file and reports
every problem at once, with where it is, so `make run` can refuse to start
with a message a council officer can act on. Secrets are referenced by
environment variable name (``api_key_env``, ``password_env``), never stored.
Each adapter's options and their checks belong to its product's module
(bot/backoffice/registry.py); this module checks the file's shape and routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml

from bot.backoffice.base import CaseSystem
from bot.backoffice.registry import BuildContext, RouteSpec, adapters, text_or_none
from bot.categories import BY_KEY, CATEGORIES
from bot.settings import ConfigError

# Case fields a route's attributes may send (besides the category's details).
CASE_FIELDS = ("reference", "location_text", "postcode", "latitude", "longitude", "description", "channel")
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
        products = adapters()
        for name, spec in self.backoffices.items():
            routes = {
                r.category: RouteSpec(r.category, r.service_code, dict(r.attributes))
                for r in self.routes.values() if r.backoffice == name
            }
            try:
                systems[name] = products[spec.adapter].build(BuildContext(name, spec.options, environ, routes, store))
            except ValueError as error:
                raise RoutingError(str(error)) from None
        return systems


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
    products = adapters()
    for name, opts in raw_offices.items():
        where = f"backoffices.{name}"
        if not isinstance(opts, dict):
            problems.append(f"{where}: must be a mapping of options")
            continue
        adapter = opts.get("adapter")
        product = products.get(adapter) if isinstance(adapter, str) else None
        if product is None:
            problems.append(f"{where}.adapter: {adapter!r} is not one of {', '.join(sorted(products))}")
            continue
        allowed = set(product.options) | {"adapter"}
        for key in sorted(set(opts) - allowed):
            problems.append(f"{where}.{key}: unknown option for adapter {adapter} (known: {', '.join(sorted(allowed))})")
        product.check(str(name), opts, environ, problems)
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
        product = products.get(offices[office].adapter) if office in offices else None
        if product is not None and product.needs_service_code and not spec.get("service_code"):
            problems.append(f"{where}: needs a service_code (back office {office} speaks {product.summary})")
        attributes = spec.get("attributes") or {}
        if not isinstance(attributes, dict):
            problems.append(f"{where}.attributes: must be a mapping (their attribute code: our field)")
            attributes = {}
        known = set(BY_KEY[category].detail_slots) | set(CASE_FIELDS)
        for code, ours in attributes.items():
            if ours not in known:
                problems.append(f"{where}.attributes.{code}: {ours!r} is not a field of {category} (known: {', '.join(sorted(known))})")
        routes[category] = Route(category, office, text_or_none(spec.get("service_code")), {str(k): str(v) for k, v in attributes.items()})

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

"""The back-office products we can deliver to, each defined by its own module.

Every module in ``bot/backoffice/`` that defines ``ADAPTER = Adapter(...)`` is
a product: the ``adapter:`` name routing.yml uses, the options it accepts,
how they are checked, and how an adapter is built from them. Adding a
product is therefore one module (plus its tests); the routing file's checks
(bot/routing.py) and the worker need no change. A council whose server bends
a product's rules gets a small subclass in that product's module, or an
option (see ``open311.py``).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional

from bot.backoffice.base import CaseSystem

# Modules of this package that are not products.
_NOT_PRODUCTS = {"base", "errors", "registry"}


@dataclass(frozen=True)
class RouteSpec:
    """One category routed to a back office: its service code and attribute mapping."""

    category: str
    service_code: Optional[str] = None
    # attribute code at the back office -> our field (a case field or a category detail)
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildContext:
    """What an adapter is built from: its options, secrets' environment, its routes, our case store."""

    name: str
    options: Mapping[str, Any]
    environ: Mapping[str, str]
    routes: Mapping[str, RouteSpec]
    store: Any = None  # bot.storage.cases.CaseStore, for the built-in back office


# check(name, options, environ or None, problems): append every problem found, with where it is.
Checker = Callable[[str, Mapping[str, Any], Optional[Mapping[str, str]], List[str]], None]


@dataclass(frozen=True)
class Adapter:
    """One product: its name in routing.yml, its options and their checks, and its builder."""

    key: str
    summary: str
    options: FrozenSet[str]
    check: Checker
    build: Callable[[BuildContext], CaseSystem]
    needs_service_code: bool = False  # routes to it must name a service_code


def _no_check(_name: str, _options: Mapping[str, Any], _environ: Optional[Mapping[str, str]], _problems: List[str]) -> None:
    return None


NO_CHECK: Checker = _no_check
_ADAPTERS: Dict[str, Adapter] = {}


def adapters() -> Dict[str, Adapter]:
    """Every product, by ``adapter:`` name (the package's modules are imported the first time)."""
    if not _ADAPTERS:
        import bot.backoffice as package

        for module in pkgutil.iter_modules(package.__path__):
            if module.name in _NOT_PRODUCTS or module.name.startswith("_"):
                continue
            found = getattr(importlib.import_module(f"bot.backoffice.{module.name}"), "ADAPTER", None)
            if isinstance(found, Adapter):
                if found.key in _ADAPTERS:
                    raise RuntimeError(f"two back-office modules register adapter {found.key!r}")
                _ADAPTERS[found.key] = found
    return dict(_ADAPTERS)


def adapter(key: str) -> Optional[Adapter]:
    return adapters().get(key)


# ----- helpers the products' checks share --------------------------------------------------------
def check_secret_env(where: str, opts: Mapping[str, Any], key: str, env_key: str,
                     environ: Optional[Mapping[str, str]], problems: List[str], label: str = "") -> None:
    """A secret is named by an environment variable, never written in the file."""
    if key in opts:
        problems.append(f"{where}: do not put the {label or key.replace('_', ' ')} in this file; "
                        f"set {env_key} to the name of a variable that holds it")
    if opts.get(env_key) and environ is not None and not environ.get(opts[env_key]):
        problems.append(f"{where}: the environment variable {opts[env_key]} ({env_key}) is not set")


def check_positive(where: str, opts: Mapping[str, Any], keys: List[str], problems: List[str]) -> None:
    for key in keys:
        if key in opts and (isinstance(opts[key], bool) or not isinstance(opts[key], (int, float)) or opts[key] <= 0):
            problems.append(f"{where}.{key}: must be a positive number")


def check_bool(where: str, opts: Mapping[str, Any], keys: List[str], problems: List[str]) -> None:
    for key in keys:
        if key in opts and not isinstance(opts[key], bool):
            problems.append(f"{where}.{key}: must be true or false")


def text_or_none(value: Any) -> Optional[str]:
    return None if value is None or value == "" else str(value)

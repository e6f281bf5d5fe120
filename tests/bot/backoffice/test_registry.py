"""The product registry: each back-office module owns its options, their checks and its capabilities."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml

import bot.backoffice as package
from bot.backoffice import registry
from bot.backoffice.base import CaseSystem
from bot.routing import RoutingError, parse_routing
from bot.settings import PROJECT_ROOT

ENV = {"OPEN311_SANDBOX_API_KEY": "k", "OPEN311_SANDBOX_URL": "http://127.0.0.1:9/open311/v2/"}


def shipped() -> Dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "council" / "routing.yml").read_text())


def problems(data: Any) -> str:
    with pytest.raises(RoutingError) as error:
        parse_routing(data, Path("routing.yml"), ENV)
    return str(error.value)


def test_every_product_module_registers_itself():
    found = registry.adapters()
    assert set(found) == {"open311", "email", "builtin"}
    assert found["open311"].needs_service_code and not found["email"].needs_service_code
    assert "contact_fields" in found["open311"].options and "password_env" in found["email"].options


def test_each_product_checks_its_own_options():
    data = shipped()
    data["backoffices"]["waste"].update(contact_fields="no", key_check=1, timeout_seconds=0)
    data["backoffices"]["mail"] = {"adapter": "email", "host": "smtp.example", "from": "bot", "to": "team@example",
                                   "port": True, "starttls": "yes", "password": "x"}
    data["backoffices"]["own"] = {"adapter": "builtin", "endpoint": "http://x/"}
    found = problems(data)
    assert "backoffices.waste.contact_fields: must be true or false" in found
    assert "backoffices.waste.key_check: must be true or false" in found
    assert "backoffices.waste.timeout_seconds: must be a positive number" in found
    assert "backoffices.mail.from: 'bot' is not an email address" in found
    assert "backoffices.mail.port: must be a port number" in found
    assert "backoffices.mail.starttls: must be true or false" in found
    assert "backoffices.mail: do not put the password in this file" in found
    assert "backoffices.own.endpoint: unknown option for adapter builtin (known: adapter)" in found


def test_capabilities_are_declared_not_probed():
    data = shipped()
    data["backoffices"]["mail"] = {"adapter": "email", "host": "smtp.example", "from": "bot@example", "to": "t@example"}
    data["backoffices"]["own"] = {"adapter": "builtin"}
    data["backoffices"]["highways"].update(lookup="none", contact_fields=False)
    data["routes"]["noise"] = {"backoffice": "mail"}
    data["routes"]["graffiti"] = {"backoffice": "own"}
    systems = parse_routing(data, Path("routing.yml"), ENV).build(ENV, store=object())
    assert all(isinstance(system, CaseSystem) for system in systems.values())
    waste, highways, mail, own = (systems[n].capabilities for n in ("waste", "highways", "mail", "own"))
    assert waste.finds_existing and waste.resolves_tokens and waste.polls_status and waste.stores_contact
    assert not highways.finds_existing and not highways.stores_contact
    assert mail.idempotent_submit and not mail.polls_status and not mail.finds_existing
    assert own.polls_status and own.idempotent_submit


@pytest.fixture
def fax_product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A new product, as a council would add one: a single module in the package."""
    (tmp_path / "fax.py").write_text(textwrap.dedent('''
        from bot.backoffice.base import BaseCaseSystem, Capabilities
        from bot.backoffice.registry import Adapter
        from bot.cases.model import SENT, Submission

        class FaxCaseSystem(BaseCaseSystem):
            capabilities = Capabilities(polls_status=False)

            def __init__(self, name, number):
                self.name, self.number = name, number

            async def submit(self, case):
                return Submission(backoffice_reference=None, status=SENT)

            async def fetch_status(self, case):
                return None

        def check(name, opts, environ, problems):
            if not str(opts.get("number", "")).startswith("+44"):
                problems.append(f"backoffices.{name}.number: must be a UK number in +44 form")

        ADAPTER = Adapter(key="fax", summary="fax", options=frozenset({"number"}), check=check,
                          build=lambda ctx: FaxCaseSystem(ctx.name, ctx.options["number"]))
    '''))
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_ADAPTERS", {})
    yield
    sys.modules.pop("bot.backoffice.fax", None)


def test_a_new_product_is_one_module(fax_product):
    data = shipped()
    data["backoffices"]["planning"] = {"adapter": "fax", "number": "01632 960000", "colour": True}
    data["routes"]["noise"] = {"backoffice": "planning"}
    found = problems(data)
    assert "backoffices.planning.number: must be a UK number in +44 form" in found
    assert "backoffices.planning.colour: unknown option for adapter fax (known: adapter, number)" in found

    data["backoffices"]["planning"] = {"adapter": "fax", "number": "+441632960000"}
    systems = parse_routing(data, Path("routing.yml"), ENV).build(ENV)
    assert type(systems["planning"]).__name__ == "FaxCaseSystem" and systems["planning"].number == "+441632960000"
    assert isinstance(systems["planning"], CaseSystem)

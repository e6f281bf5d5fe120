"""council/routing.yml: the shipped file is valid, and every kind of mistake gets a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from bot.backoffice.open311 import Open311CaseSystem
from bot.categories import CATEGORIES
from bot.routing import RoutingError, load_routing, parse_routing
from bot.settings import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "council" / "routing.yml"
ENV = {"OPEN311_SANDBOX_API_KEY": "k"}


def shipped() -> Dict[str, Any]:
    return yaml.safe_load(SHIPPED.read_text())


def problems(data: Any, environ: Dict[str, str] = ENV) -> str:
    with pytest.raises(RoutingError) as error:
        parse_routing(data, Path("routing.yml"), environ)
    return str(error.value)


def test_the_shipped_file_routes_every_category_to_several_back_offices():
    routing = load_routing(SHIPPED, ENV)
    assert set(routing.routes) == {c.key for c in CATEGORIES}
    assert routing.backoffice_for("pothole") == "highways"
    assert routing.backoffice_for("missed_bin") == "waste"
    assert routing.backoffice_for("graffiti") == "general"
    assert routing.backoffice_for("no_such_thing") == "general"  # unknown falls back to other_problem's
    systems = routing.build({**ENV, "OPEN311_SANDBOX_URL": "http://127.0.0.1:9/open311/v2/"})
    assert {n: type(s) for n, s in systems.items()} == {n: Open311CaseSystem for n in ("waste", "highways", "general")}
    assert systems["waste"].config.format == "xml" and systems["highways"].config.format == "json"
    assert systems["highways"].base == "http://127.0.0.1:9/open311/v2/"
    assert systems["highways"].config.api_key == "k"
    assert systems["highways"].routes["pothole"].attributes["surface"] == "defect_surface"


def test_every_problem_is_listed_with_where_it_is():
    data = shipped()
    data["backoffices"]["highways"]["adapter"] = "open312"
    data["backoffices"]["waste"]["format"] = "csv"
    data["backoffices"]["waste"]["endpont"] = "typo"
    data["routes"]["potholes"] = data["routes"].pop("pothole")
    data["routes"]["graffiti"]["backoffice"] = "streetscene"
    data["routes"]["litter"]["attributes"] = {"bags": "bag_count"}
    del data["routes"]["noise"]["service_code"]
    message = problems(data)
    for expected in (
        "backoffices.highways.adapter: 'open312' is not one of builtin, email, open311",
        "backoffices.waste.format: must be xml or json",
        "backoffices.waste.endpont: unknown option for adapter open311",
        "routes.potholes: no such category",
        "routes.graffiti.backoffice: 'streetscene' is not a back office in this file",
        "routes.litter.attributes.bags: 'bag_count' is not a field of litter",
        "routes.noise: needs a service_code",
        "routes: no route for pothole",
    ):
        assert expected in message, message
    assert message.startswith("routing.yml has ")


def test_secrets_are_referenced_never_written_in_the_file():
    data = shipped()
    data["backoffices"]["waste"]["api_key"] = "plain-text-key"
    assert "do not put the API key in this file" in problems(data)
    assert "OPEN311_SANDBOX_API_KEY (api_key_env) is not set" in problems(shipped(), environ={})


def test_email_back_office_checks():
    data = shipped()
    data["backoffices"]["mail"] = {"adapter": "email", "host": "smtp.x", "from": "bot", "username": "u", "password": "p"}
    data["routes"]["noise"] = {"backoffice": "mail"}
    message = problems(data)
    assert "backoffices.mail: needs to" in message
    assert "backoffices.mail.from: 'bot' is not an email address" in message
    assert "do not put the password in this file" in message
    assert "username is set but password_env is not" in message


def test_a_bad_endpoint_from_the_environment_is_caught():
    assert "'ftp://x' is not an http(s) URL" in problems(shipped(), environ={**ENV, "OPEN311_SANDBOX_URL": "ftp://x"})


def test_unreadable_files(tmp_path: Path):
    with pytest.raises(RoutingError, match="does not exist"):
        load_routing(tmp_path / "missing.yml", ENV)
    broken = tmp_path / "broken.yml"
    broken.write_text("backoffices:\n  waste: {adapter: open311\nroutes: []\n")
    with pytest.raises(RoutingError, match=r"is not valid YAML at line \d+, column \d+"):
        load_routing(broken, ENV)
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    with pytest.raises(RoutingError, match="expected 'backoffices:' and 'routes:' sections"):
        load_routing(empty, ENV)


def test_make_run_refuses_to_start_with_a_readable_message(tmp_path: Path):
    data = shipped()
    data["routes"]["potholes"] = data["routes"].pop("pothole")
    path = tmp_path / "routing.yml"
    path.write_text(yaml.safe_dump(data))
    env = {**os.environ, "ROUTING_FILE": str(path), "VAR_DIR": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot.launcher"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Configuration error:" in done.stderr and "routes.potholes: no such category" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Starting" not in done.stdout  # nothing was started

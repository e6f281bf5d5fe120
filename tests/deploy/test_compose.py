"""deploy/compose.yaml: valid against the Compose Specification's schema, and true to the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from tests.deploy.files import (
    DEPLOY, DEVELOPMENT_ONLY, PLATFORM_VARIABLES, POSTGRES_IMAGE_VARIABLES, SERVICES, URL_CREDENTIALS,
    as_in_image, compose, container_environment, env_example, env_example_set, is_secret, routing_variables,
    settings_variables,
)

# The Compose Specification's JSON schema, as docker-compose 1.29.2 ships it
# (compose/config/compose_spec.json, Apache-2.0): offline, no container engine needed.
SCHEMA = json.loads((Path(__file__).parent / "compose_spec.json").read_text(encoding="utf-8"))


def schema_errors(document: dict) -> list:
    return [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft201909Validator(SCHEMA).iter_errors(document)]


def test_compose_file_is_valid_against_the_compose_specification():
    assert schema_errors(compose()) == []


def test_the_schema_catches_a_wrong_condition_and_a_misspelt_key():
    document = compose()
    document["services"]["rasa"]["depends_on"]["redis"]["condition"] = "healthy"
    document["services"]["worker"]["comand"] = ["python"]
    assert len(schema_errors(document)) == 2


def test_official_images_for_postgres_and_redis_and_ours_for_every_service():
    services = compose()["services"]
    assert set(services) == set(SERVICES) | {"postgres", "redis"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    images = {services[name]["image"] for name in SERVICES}
    assert len(images) == 1  # one image, the command chooses the service
    assert all("build" not in services[name] for name in services)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_runs_the_launchers_command_with_its_environment(name, launcher_for):
    service = compose()["services"][name]
    environment = container_environment(name)
    launched = launcher_for(environment)[SERVICES[name]]
    assert service["command"] == as_in_image(launched.argv)
    assert "entrypoint" not in service
    for key, value in launched.env.items():
        if is_secret(key) or key in routing_variables():
            assert key in env_example_set(), f"{key} must reach {name} from .env"
        else:
            assert environment.get(key) == value, key


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_listens_on_all_interfaces_is_checked_and_waits_for_what_it_needs(name):
    service = compose()["services"][name]
    environment = container_environment(name)
    # 127.0.0.1 inside a container is unreachable from the others.
    assert environment["BIND_HOST"] == "0.0.0.0"
    assert service["env_file"] == [".env"]
    assert service["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/healthcheck.py"]
    assert service["read_only"] is True and service["tmpfs"] == ["/tmp"]
    assert all(c == {"condition": "service_healthy"} for c in service["depends_on"].values())
    assert "postgres" in service["depends_on"] or "rasa" in service["depends_on"]
    # var/ on a named volume at VAR_DIR (created owned by the image's user from /app/var).
    assert f"var:{environment['VAR_DIR']}" in service["volumes"]
    # Published only on the host's loopback: the council's TLS proxy is in front.
    assert all(port.startswith("127.0.0.1:") for port in service.get("ports", []))


def test_rasa_is_reached_by_name_not_by_bind_host():
    environment = container_environment("worker")
    assert environment["RASA_URL"] == "http://rasa:5005"
    assert environment["ACTION_SERVER_URL"] == "http://actions:5055/webhook"
    assert environment["DATABASE_URL"].startswith("postgresql+psycopg2://")
    assert "@postgres:5432/" in environment["TRACKER_STORE_URL"]
    assert environment["REDIS_URL"] == "redis://redis:6379/0"


def test_databases_are_not_reachable_from_outside():
    document = compose()
    assert document["networks"]["backend"]["internal"] is True
    for name in ("postgres", "redis"):
        assert document["services"][name]["networks"] == ["backend"]
        assert "ports" not in document["services"][name]


def test_every_variable_is_a_known_setting_and_every_setting_is_listed():
    known = set(settings_variables()) | PLATFORM_VARIABLES | routing_variables()
    listed = set(env_example())
    for name in SERVICES:
        listed |= set(compose()["services"][name].get("environment") or {})
    # POSTGRES_PASSWORD: compose fills it into the database URLs and the postgres container.
    assert listed - known == {"POSTGRES_PASSWORD"}
    assert set(compose()["services"]["postgres"]["environment"]) <= POSTGRES_IMAGE_VARIABLES
    missing = set(settings_variables()) - DEVELOPMENT_ONLY - listed
    assert missing == set(), f"add {sorted(missing)} to deploy/env.example (commented out, with the default)"


def test_no_secret_has_a_value_in_any_deployment_file():
    for name, value in env_example().items():
        if is_secret(name):
            assert value == "", f"env.example gives {name} a value"
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            if is_secret(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", value), f"{name}: {key} must only name a variable"
    for path in DEPLOY.rglob("*"):
        if path.is_file() and path.suffix != ".py":
            text = path.read_text(encoding="utf-8")
            assert not URL_CREDENTIALS.search(text), f"{path.name} has a password in a URL"
            for line in text.splitlines():
                match = re.match(r"^\s*-?\s*\{?\s*(?:name:\s*)?([A-Z][A-Z0-9_]*)\s*[=:]\s*(\S.*)$", line)
                if match and is_secret(match.group(1)):
                    assert match.group(2).startswith("${"), f"{path.name}: {line.strip()}"


def test_secret_checks_catch_a_value():
    # The patterns above find a token written into a file or a URL.
    assert URL_CREDENTIALS.search("postgresql://council:hunter2@db/council")
    assert not URL_CREDENTIALS.search("postgresql://council:${POSTGRES_PASSWORD}@db/council")
    assert is_secret("RASA_API_TOKEN") and is_secret("TWILIO_ACCOUNT_SID") and not is_secret("RASA_URL")

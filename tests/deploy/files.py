"""What the deployment files say, read once, and what the code says they should say.

Fast: everything here parses files and builds the launcher's service definitions
in-process; no server, container engine or network is needed.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import yaml

from bot import launcher
from bot.settings import PROJECT_ROOT, Settings, load_settings

DEPLOY = PROJECT_ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
APP = "/app"  # where the Dockerfile puts the project
MODEL_DIR = "/app/models"
ENDPOINTS = "/app/deploy/endpoints.yml"

# compose service / Kubernetes "council-<name>" -> the launcher's Service.name
SERVICES = {
    "actions": "action server",
    "rasa": "Rasa server",
    "worker": "delivery worker",
    "console": "staff console",
    "website": "website",
}

# Variables read by Python, Rasa or the libraries, not by bot/settings.py.
PLATFORM_VARIABLES = {
    "PATH", "PYTHONPATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "HOME",
    "RASA_TELEMETRY_ENABLED",  # bot/telemetry.py
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",  # bot/launcher.py sets them for Rasa
    "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK",  # build stages only
}
# The official postgres image's settings (its container only).
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}
# Local stand-ins `make run` starts; never deployed.
DEVELOPMENT_ONLY = {"TWILIO_SANDBOX", "TWILIO_SANDBOX_PORT", "OPEN311_SANDBOX_PORT", "TWILIO_API_BASE_URL"}

SECRET_NAME = re.compile(r"(TOKEN|SECRET|SECRET_KEY|PASSWORD|API_KEY|_SID)$")
# A URL with a password in it, unless the password is a ${REFERENCE} filled at run time.
URL_CREDENTIALS = re.compile(r"://[^/\s:@]+:(?!\$\{)[^/\s@]+@")


def is_secret(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def settings_variables() -> List[str]:
    """Every variable bot/settings.py reads (the names load_settings looks up)."""
    names: List[str] = []
    for name in re.findall(r'"([A-Z][A-Z0-9_]+)"', inspect.getsource(load_settings)):
        if name not in names:
            names.append(name)
    return names


def routing_variables() -> set:
    """Variables council/routing.yml names for endpoints and credentials (examples in comments included)."""
    text = (PROJECT_ROOT / "council" / "routing.yml").read_text(encoding="utf-8")
    return set(re.findall(r"_env:\s*([A-Z][A-Z0-9_]+)", text))


def env_example() -> Dict[str, str]:
    """deploy/env.example's variables: set lines and commented-out 'NAME=default' lines."""
    found: Dict[str, str] = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            found[match.group(2)] = "" if match.group(1) else match.group(3)
    return found


def env_example_set() -> Dict[str, str]:
    """Only the uncommented lines (what the .env made from it sets)."""
    found = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def kubernetes_documents() -> Iterator[Tuple[Path, dict]]:
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                yield path, document


def deployments() -> Dict[str, dict]:
    """Kubernetes Deployment name without 'council-' -> its Deployment."""
    return {
        d["metadata"]["name"][len("council-"):]: d
        for _, d in kubernetes_documents() if d["kind"] == "Deployment"
    }


def config_map() -> Dict[str, str]:
    (found,) = [d for _, d in kubernetes_documents() if d["kind"] == "ConfigMap"]
    return found["data"]


def container_environment(compose_service: str) -> Dict[str, str]:
    """The environment compose gives a service: .env (from env.example) under its environment:."""
    service = compose()["services"][compose_service]
    return {**env_example_set(), **{k: str(v) for k, v in (service.get("environment") or {}).items()}}


def launcher_services(settings: Settings) -> Dict[str, launcher.Service]:
    """The launcher's own definitions of every deployed service, for ``settings``."""
    services = launcher.core_services(settings, Path(MODEL_DIR), Path(ENDPOINTS))
    services += launcher.delivery_services(settings)
    services.append(launcher.web_service(settings))
    services.append(launcher.console_service(settings))
    return {s.name: s for s in services}


def as_in_image(argv: List[str]) -> List[str]:
    """The launcher's argv as it reads inside the image: `python`, paths under /app."""
    python = [sys.executable]
    head = ["python"] if argv[:1] == python else argv[:1]
    return head + [a.replace(str(PROJECT_ROOT), APP) for a in argv[1:]]

"""deploy/kubernetes/: valid against Kubernetes' own schemas, and true to the code."""

from __future__ import annotations

import copy
import functools
import json
import re
import warnings
from pathlib import Path

import jsonschema
import pytest

from tests.deploy.files import (
    SERVICES, as_in_image, config_map, deployments, env_example, is_secret, kubernetes_documents,
    PLATFORM_VARIABLES, routing_variables, settings_variables,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # it imports distutils and pkg_resources
    import kubernetes_validate
    from kubernetes_validate.utils import ValidationError

# The Kubernetes version whose OpenAPI schemas kubernetes-validate bundles (offline).
KUBERNETES_VERSION = "1.28.0"
REPLICAS = {"rasa": 2, "actions": 2, "worker": 2, "console": 1, "website": 1}
SECRET = "council-assistant"


SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{KUBERNETES_VERSION}-local-strict"


@functools.lru_cache(maxsize=None)
def _validator(kind: str, api_version: str) -> jsonschema.protocols.Validator:
    """kubernetes_validate.validate's schema and resolver, built once per kind (it rebuilds them every call)."""
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)  # networking.k8s.io/v1 -> networking-v1
    path = SCHEMAS / f"{kind.lower()}-{group}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    resolver = jsonschema.RefResolver(base_uri=path.parent.as_uri() + "/", referrer=schema)
    return jsonschema.validators.validator_for(schema)(schema, resolver=resolver)


def validate(document: dict) -> None:
    error = jsonschema.exceptions.best_match(_validator(document["kind"], document["apiVersion"]).iter_errors(document))
    if error is not None:
        raise ValidationError(error, version=KUBERNETES_VERSION)


def test_the_library_itself_agrees():
    kubernetes_validate.validate(deployments()["rasa"], KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("path,document", [
    pytest.param(p, d, id=f"{p.name}:{d['kind']}:{d['metadata']['name']}") for p, d in kubernetes_documents()
])
def test_every_manifest_is_valid_against_the_official_schema(path, document):
    try:
        validate(document)
    except ValidationError as error:
        pytest.fail(f"{path.name} {document['kind']}: {error.message} at {list(error.path)}")


def test_the_validator_catches_a_misspelt_field_and_a_wrong_type():
    # So a passing test above means something: strict schemas, offline.
    rasa = deployments()["rasa"]
    misspelt = copy.deepcopy(rasa)
    misspelt["spec"]["template"]["spec"]["containers"][0]["readynessProbe"] = {}
    wrong_type = copy.deepcopy(rasa)
    wrong_type["spec"]["replicas"] = "two"
    for broken in (misspelt, wrong_type):
        with pytest.raises(ValidationError):
            validate(broken)


def test_every_service_is_deployed_with_its_replicas():
    found = deployments()
    assert set(found) == set(SERVICES)
    assert {name: d["spec"]["replicas"] for name, d in found.items()} == REPLICAS
    services = {d["metadata"]["name"] for _, d in kubernetes_documents() if d["kind"] == "Service"}
    assert services == {f"council-{name}" for name in SERVICES}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_probes_resources_and_security(name):
    pod = deployments()[name]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    port = container["ports"][0]["name"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": port}
    # Liveness never consults a dependency: a database outage must not restart every replica.
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": port}
    resources = container["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # A read-only root needs somewhere to write: /tmp, and VAR_DIR on the shared volume.
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/app/var"} <= mounts
    assert config_map()["VAR_DIR"].startswith("/app/var")


def test_rasa_memory_leaves_room_above_the_measured_resident_size():
    # docs/benchmarks.md, 2026-12-02: 446-461 MB resident with the model loaded (the
    # language identifier built at load; TensorFlow no longer loaded); a request a quarter above that.
    container = deployments()["rasa"]["spec"]["template"]["spec"]["containers"][0]
    assert _mebibytes(container["resources"]["requests"]["memory"]) * 1.048576 >= 461 * 1.25
    assert _mebibytes(container["resources"]["limits"]["memory"]) > _mebibytes(container["resources"]["requests"]["memory"])


def _mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


def test_secrets_come_only_from_the_named_secret():
    for path, document in kubernetes_documents():
        assert document["kind"] != "Secret", f"{path.name}: secret values never go in a file"
    assert not [name for name in config_map() if is_secret(name) or name in ("DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL")]
    for name, deployment in deployments().items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        refs = [source for source in container["envFrom"] if "secretRef" in source]
        assert refs == [{"secretRef": {"name": SECRET}}], name
        for variable in container.get("env", []):
            assert not is_secret(variable["name"]) or "valueFrom" in variable, (name, variable["name"])


def test_every_variable_the_containers_read_is_a_known_setting():
    known = set(settings_variables()) | PLATFORM_VARIABLES | routing_variables()
    names = set(config_map())
    for deployment in deployments().values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        names |= {v["name"] for v in container.get("env", [])}
    assert names - known == set()
    # ... and the Secret holds the secrets env.example lists (README.md says how to make it).
    assert {n for n in env_example() if is_secret(n)} - known == {"POSTGRES_PASSWORD"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_commands_are_the_launchers(name, launcher_for):
    container = deployments()[name]["spec"]["template"]["spec"]["containers"][0]
    environment = {**config_map(), **{v["name"]: v["value"] for v in container.get("env", []) if "value" in v}}
    service = launcher_for(environment)[SERVICES[name]]
    assert container["command"] == as_in_image(service.argv)
    assert "args" not in container
    # What the launcher adds to a service's environment is there too (secrets from the Secret).
    for key, value in service.env.items():
        if is_secret(key) or key in routing_variables():
            continue
        assert environment.get(key) == value, key
    assert {"name": "http", "containerPort": _port(service.health_url)} == container["ports"][0]


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])

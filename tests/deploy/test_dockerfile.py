"""deploy/Dockerfile and .dockerignore: non-root, no secrets or residents' data in layers.

No container engine runs here, so the image is not built (docs/operations.md);
these read the instructions the way Docker would.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import List, Tuple

from bot.settings import PROJECT_ROOT
from tests.deploy.files import DEPLOY, PLATFORM_VARIABLES, is_secret, settings_variables


def instructions(text: str) -> List[Tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#")))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


DOCKERFILE = instructions((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))


def final_stage(steps: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    last = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last:]


def env_names(arguments: str) -> List[str]:
    return re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", arguments)


def dockerignore() -> List[str]:
    lines = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [l.strip() for l in lines if l.strip() and not l.startswith("#")]


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` (relative to the repository) out of the build context."""
    for pattern in dockerignore():
        pattern = pattern.rstrip("/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, pattern.replace("**/", "")) for p in prefixes):
            return True
    return False


def test_python_310_slim_base_and_non_root_user():
    (base,) = [a for k, a in DOCKERFILE if k == "ARG" and a.startswith("PYTHON_IMAGE=")]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.10-slim(-\w+)?", base)
    stage = final_stage(DOCKERFILE)
    assert stage[0] == ("FROM", "${PYTHON_IMAGE}")
    users = [a for k, a in stage if k == "USER"]
    assert users, "the final stage must switch to an unprivileged user"
    user = users[-1].split(":")[0]
    assert user not in ("0", "root") and int(user) >= 1000
    # Nothing runs as root after the switch.
    after = stage[[k for k, _ in stage].index("USER"):]
    assert [k for k, _ in after if k == "RUN"] == []


def test_installs_exactly_what_the_makefile_installs():
    runs = " ".join(a for k, a in DOCKERFILE if k == "RUN")
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install -r requirements.lock" in makefile.replace("--progress-bar on ", "")
    assert "pip install -r /tmp/requirements.lock" in runs
    assert "pip install --no-deps -r /tmp/requirements-nodeps.lock" in runs
    pip = re.search(r"pip==([\d.]+)", makefile).group(1)
    assert f"pip install pip=={pip}" in runs


def test_model_is_trained_at_build_time_and_telemetry_is_off():
    runs = [a for k, a in DOCKERFILE if k == "RUN"]
    assert "python -m bot.model ensure" in runs
    envs = " ".join(a for k, a in final_stage(DOCKERFILE) if k == "ENV")
    assert "RASA_TELEMETRY_ENABLED=false" in envs
    assert "BIND_HOST=0.0.0.0" in envs


def test_no_secret_in_any_layer_and_every_variable_known():
    known = set(settings_variables()) | PLATFORM_VARIABLES
    for keyword, arguments in DOCKERFILE:
        if keyword in ("ENV", "ARG"):
            for name in env_names(arguments) or [arguments.split("=")[0]]:
                assert not is_secret(name), f"{keyword} {name}: secrets come from the environment at run time"
                assert keyword == "ARG" or name in known, name


def test_no_env_file_var_or_models_are_copied_in():
    copies = [a for k, a in DOCKERFILE if k in ("COPY", "ADD")]
    for arguments in copies:
        if "--from=" in arguments:
            continue  # from an earlier stage, not the build context
        sources = arguments.split()[:-1]
        for source in sources:
            assert not re.search(r"(^|/)(\.env|var|models)(/|$)", source), arguments
    # `COPY . /app` takes the whole context: .dockerignore must keep these out.
    for path in (".env", "deploy/.env", "var/council.db", "models/council-x.tar.gz", ".venv/bin/python",
                 "node_modules/x", ".git/config"):
        assert ignored(path), path
    assert not ignored("bot/settings.py") and not ignored("deploy/endpoints.yml")


def test_one_healthcheck_for_every_service_through_the_running_command():
    (check,) = [a for k, a in DOCKERFILE if k == "HEALTHCHECK"]
    assert check.endswith('CMD ["python", "/app/deploy/healthcheck.py"]')
    assert (DEPLOY / "healthcheck.py").exists()


def test_the_dockerfile_reader_sees_a_root_user():
    # The checks above read USER lines: a Dockerfile ending as root fails them.
    steps = instructions("FROM python:3.10-slim\nUSER 10001\nFROM python:3.10-slim\nRUN id\n")
    assert [a for k, a in final_stage(steps) if k == "USER"] == []

"""The launcher's service definitions, built from a container's environment."""

from __future__ import annotations

from typing import Callable, Dict

import pytest

from bot import launcher
from bot.settings import load_settings
from bot.storage.database import create_schema, make_engine
from tests.deploy.files import launcher_services


@pytest.fixture(scope="session")
def launcher_for(tmp_path_factory) -> Callable[[Dict[str, str]], Dict[str, launcher.Service]]:
    """Build the launcher's services from a container environment (settings as the container reads them)."""
    var_dir = tmp_path_factory.mktemp("deploy")
    database = var_dir / "council.db"
    create_schema(make_engine(f"sqlite:///{database}"))  # the console's banner counts staff

    def build(environment: Dict[str, str]) -> Dict[str, launcher.Service]:
        # Values compose fills in at run time (${...}) and empty ones are left to defaults;
        # the databases are a local file here, since only the argv and env are compared.
        env = {k: v for k, v in environment.items() if "${" not in v and v != ""}
        env.update(DATABASE_URL=f"sqlite:///{database}", VAR_DIR=str(var_dir))
        return launcher_services(load_settings(env))

    return build

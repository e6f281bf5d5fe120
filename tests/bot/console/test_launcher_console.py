"""`make run` starts the console and says where it is and how to get the first admin."""

from pathlib import Path

from bot.launcher import console_service, with_run_secrets
from bot.settings import load_settings
from bot.storage.database import create_schema, make_engine
from bot.storage.staff import StaffStore


def test_banner_names_the_console_and_how_to_create_the_first_admin(tmp_path: Path) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path), "CONSOLE_PORT": "5999"})
    create_schema(make_engine(settings.database_url))
    banner = console_service(settings).banner
    assert "console" in banner.lower() and "http://127.0.0.1:5999/" in banner
    assert "python -m bot.console create-admin" in banner and "CONSOLE_ADMIN_PASSWORD" in banner
    StaffStore(make_engine(settings.database_url)).create("a@anytown.gov.uk", "A", "admin", "a long password!")
    assert "create-admin" not in console_service(settings).banner


def test_make_run_generates_a_console_secret_only_when_missing() -> None:
    assert len(with_run_secrets({})["CONSOLE_SECRET_KEY"]) >= 32
    assert with_run_secrets({"CONSOLE_SECRET_KEY": "given"})["CONSOLE_SECRET_KEY"] == "given"

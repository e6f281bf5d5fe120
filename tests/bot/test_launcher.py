"""The launcher's service definitions, and how the Rasa server gets its API token."""

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from bot.launcher import core_services
from bot.rasa_server import rasa_arguments
from bot.settings import load_settings


def rasa_service(token: str):
    settings = load_settings({"RASA_API_TOKEN": token})
    return next(s for s in core_services(settings, Path("model.tar.gz"), Path("endpoints.yml")) if s.name == "Rasa server")


def test_the_api_token_is_never_on_the_command_line():
    # Every local user can read a process's command line (ps); only its owner can read its environment.
    service = rasa_service("s3cret-token-value")
    assert not any("s3cret" in argument for argument in service.argv)
    assert service.env["RASA_API_TOKEN"] == "s3cret-token-value"


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--looks-like-an-option", "plain_Token-123"])
def test_rasa_receives_the_api_token_whatever_its_first_character(token):
    # Per-run tokens come from secrets.token_urlsafe, whose alphabet includes "-".
    service = rasa_service(token)
    argv = rasa_arguments(service.argv[service.argv.index("bot.rasa_server") + 1:], service.env["RASA_API_TOKEN"])
    assert argv[:2] == ["rasa", "run"]
    args = create_argument_parser().parse_args(argv[1:])
    assert args.auth_token == token
    assert args.enable_api and str(args.port) == service.argv[service.argv.index("--port") + 1]

"""The launcher's service definitions."""

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from bot.launcher import core_services
from bot.settings import load_settings


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--looks-like-an-option", "plain_Token-123"])
def test_rasa_server_receives_the_api_token_whatever_its_first_character(token):
    # Per-run tokens come from secrets.token_urlsafe, whose alphabet includes "-".
    settings = load_settings({"RASA_API_TOKEN": token})
    rasa = next(s for s in core_services(settings, Path("model.tar.gz"), Path("endpoints.yml")) if s.name == "Rasa server")
    args = create_argument_parser().parse_args(rasa.argv[rasa.argv.index("rasa") + 1:])
    assert args.auth_token == token
    assert args.enable_api

"""The launcher's service definitions, and how the Rasa server gets its API token."""

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from bot.launcher import core_services, render_endpoints, with_run_secrets
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


def test_the_action_server_is_ours_bound_and_given_its_token_outside_the_command_line():
    settings = load_settings({"ACTION_SERVER_TOKEN": "act-s3cret", "RASA_API_TOKEN": "api"})
    services = {s.name: s for s in core_services(settings, Path("model.tar.gz"), Path("endpoints.yml"))}
    action = services["action server"]
    assert action.argv[1:3] == ["-m", "bot.action_server"]  # not rasa_sdk's own, which listens on 0.0.0.0
    for service in services.values():
        assert not any("act-s3cret" in argument for argument in service.argv)
        # One checks the token, the other sends it.
        assert service.env["ACTION_SERVER_TOKEN"] == "act-s3cret"


def test_rasa_sends_the_action_server_token_but_the_file_holds_only_its_name(tmp_path, monkeypatch):
    from rasa.utils.endpoints import read_endpoint_config

    path = render_endpoints(load_settings({}), tmp_path)
    assert "ACTION_SERVER_TOKEN" in path.read_text() and "per-run-value" not in path.read_text()
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "per-run-value")
    endpoint = read_endpoint_config(str(path), "action_endpoint")  # what Rasa itself reads
    assert endpoint.headers == {"Authorization": "Bearer per-run-value"}
    assert endpoint.url == load_settings({}).action_endpoint


def test_a_run_gets_its_own_action_server_token_and_the_rest_channel():
    env = with_run_secrets({})
    assert len(env["ACTION_SERVER_TOKEN"]) >= 40 and env["ACTION_SERVER_TOKEN"] != with_run_secrets({})["ACTION_SERVER_TOKEN"]
    assert load_settings(env).rest_channel_enabled
    given = with_run_secrets({"ACTION_SERVER_TOKEN": "given", "REST_CHANNEL_ENABLED": "false"})
    assert given["ACTION_SERVER_TOKEN"] == "given" and not load_settings(given).rest_channel_enabled


def test_production_defaults_have_no_rest_channel_and_no_action_token():
    settings = load_settings({})
    assert not settings.rest_channel_enabled and settings.action_server_token is None


def test_the_banner_says_whether_the_rest_channel_is_on():
    def banner(env):
        settings = load_settings(env)
        return next(s for s in core_services(settings, Path("m"), Path("e")) if s.name == "Rasa server").banner

    assert "REST channel off" in banner({})
    assert "/webhooks/rest/webhook with the API token" in banner({"REST_CHANNEL_ENABLED": "1", "RASA_API_TOKEN": "t"})


def test_a_run_gets_its_own_photo_link_secret_and_production_has_none():
    env = with_run_secrets({})
    assert len(env["PHOTO_LINK_SECRET"]) >= 40 and env["PHOTO_LINK_SECRET"] != with_run_secrets({})["PHOTO_LINK_SECRET"]
    assert with_run_secrets({"PHOTO_LINK_SECRET": "given"})["PHOTO_LINK_SECRET"] == "given"
    assert load_settings({}).photo_link_secret is None
    assert load_settings({}).photo_link_hours == 24

"""deploy/endpoints.yml: what the launcher would write, with the action server's URL from the environment."""

from __future__ import annotations

from rasa.shared.utils.io import read_yaml_file

from bot.launcher import render_endpoints
from bot.settings import load_settings
from tests.deploy.files import DEPLOY


def test_same_as_the_launchers_endpoints_once_rasa_fills_in_the_environment(tmp_path, monkeypatch):
    url = "http://council-actions:5055/webhook"
    monkeypatch.setenv("ACTION_SERVER_URL", url)
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "a-token-from-the-platform")
    rendered = render_endpoints(load_settings({"ACTION_SERVER_URL": url}), tmp_path)
    ours = read_yaml_file(str(DEPLOY / "endpoints.yml"))
    assert ours == read_yaml_file(str(rendered))
    assert ours["action_endpoint"]["headers"] == {"Authorization": "Bearer a-token-from-the-platform"}


def test_no_address_or_secret_is_written_in_it():
    text = (DEPLOY / "endpoints.yml").read_text(encoding="utf-8")
    assert "${ACTION_SERVER_URL}" in text and "${ACTION_SERVER_TOKEN}" in text
    assert "http://" not in text.split("action_endpoint:", 1)[1]

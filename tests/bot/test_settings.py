import pytest

from bot.settings import ConfigError, load_settings


def test_defaults_are_embedded_sqlite_under_var_dir(tmp_path):
    settings = load_settings({"VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'council.db'}"
    assert settings.tracker_store_url == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert settings.rasa_port == 5005 and settings.action_server_port == 5055
    assert settings.action_endpoint == "http://127.0.0.1:5055/webhook"


def test_secrets_have_no_default():
    settings = load_settings({})
    assert settings.twilio_auth_token is None
    assert settings.console_secret_key is None
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        settings.require("twilio_auth_token")


def test_postcode_areas_are_normalised():
    settings = load_settings({"COUNCIL_POSTCODE_AREAS": " an1, bx3  4 ,"})
    assert settings.postcode_areas == ("AN1", "BX3 4")


@pytest.mark.parametrize("value", ["abc", "-1", "0"])
def test_bad_numbers_fail_with_the_variable_name(value):
    with pytest.raises(ConfigError, match="RASA_PORT"):
        load_settings({"RASA_PORT": value})

import pytest

from bot.settings import PROJECT_ROOT, ConfigError, load_settings


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


def test_rasa_url_defaults_to_bind_host_and_can_name_another_host():
    # The worker, console and website reach Rasa here; in containers (deploy/) Rasa is
    # another host and BIND_HOST is 0.0.0.0, which is no address to connect to.
    assert load_settings({"BIND_HOST": "10.0.0.5", "RASA_PORT": "5105"}).rasa_url == "http://10.0.0.5:5105"
    settings = load_settings({"BIND_HOST": "0.0.0.0", "RASA_URL": "http://rasa:5005/"})
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.web_chat_socket_url == "http://rasa:5005"


def test_the_gazetteer_file_defaults_to_the_councils_and_empty_means_none(tmp_path):
    assert load_settings({}).gazetteer_file == PROJECT_ROOT / "council" / "gazetteer.csv"
    assert load_settings({"GAZETTEER_FILE": str(tmp_path / "streets.csv")}).gazetteer_file == tmp_path / "streets.csv"
    assert load_settings({"GAZETTEER_FILE": " "}).gazetteer_file is None


def test_council_languages_default_to_english_and_keep_their_order():
    assert load_settings({}).council_languages == ("en",)
    assert load_settings({"COUNCIL_LANGUAGES": " CY, en ,cy"}).council_languages == ("cy", "en")


@pytest.mark.parametrize("value", ["welsh", "en,c", ",", "en;cy"])
def test_bad_council_languages_fail_with_the_variable_name(value):
    with pytest.raises(ConfigError, match="COUNCIL_LANGUAGES"):
        load_settings({"COUNCIL_LANGUAGES": value})


def test_the_staff_teams_name_in_each_language_the_council_serves():
    from bot.settings import team_name_in

    english_only = load_settings({"COUNCIL_NAME": "Anytown Borough Council"})
    assert english_only.team_names() == {"en": "Anytown Borough Council team"}
    welsh_first = load_settings({"COUNCIL_NAME": "Cyngor Gwynedd", "COUNCIL_LANGUAGES": "cy,en",
                                 "COUNCIL_TEAM_NAME_CY": "Tîm Cyswllt Gwynedd"})
    assert list(welsh_first.team_names().items()) == [("cy", "Tîm Cyswllt Gwynedd"), ("en", "Cyngor Gwynedd team")]
    assert team_name_in(welsh_first.team_names(), "en") == "Cyngor Gwynedd team"
    assert team_name_in(welsh_first.team_names(), None) == "Tîm Cyswllt Gwynedd"  # the council's default
    assert team_name_in("One name", "cy") == "One name" and team_name_in(None, "cy") is None

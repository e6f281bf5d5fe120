import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import bot.channels  # noqa: F401  (importing the channels installs the patches)
from bot import rasa_patches


def _action() -> RemoteAction:
    return RemoteAction("action_x", None)


def test_patch_is_installed_by_importing_the_channels():
    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result


def test_valid_action_server_responses_still_pass():
    ok = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]}
    assert _action()._validate_action_result(ok) is True


@pytest.mark.parametrize("bad", [{"events": "not a list"}, {"events": [{"no_event_key": 1}]},
                                 {"responses": [{"text": "x"}], "events": [{"event": 7}]}])
def test_invalid_responses_are_still_rejected(bad):
    with pytest.raises(ValidationError):
        _action()._validate_action_result(bad)
    with pytest.raises(ValidationError):
        rasa_patches._original_validate_action_result(_action(), bad)

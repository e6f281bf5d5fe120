import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import rasa_patches
from bot.channels.guard import guard_messages


def _action() -> RemoteAction:
    return RemoteAction("action_x", None)


def test_patch_is_installed_when_a_channel_wraps_rasas_callback():
    async def on_new_message(message):  # pragma: no cover - never called
        return None

    RemoteAction._validate_action_result = rasa_patches._original_validate_action_result
    try:
        guard_messages(on_new_message, max_chars=10)
        assert RemoteAction._validate_action_result is rasa_patches._validate_action_result
    finally:
        rasa_patches.apply()


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

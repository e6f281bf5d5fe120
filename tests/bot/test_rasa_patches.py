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


def test_models_loaded_for_prediction_predict_exactly_as_rasa_loads_them(monkeypatch):
    """The load without a training step gives the same intents, confidences,
    entities and FAQ answers as Rasa's own load, on held-out messages."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.utils.tensorflow.models import RasaModel

    from bot.model import ensure_model
    from bot.nlu_evaluation import HOLDOUT

    rasa_patches.apply()
    texts = [example.get("text") for example in load_data(str(HOLDOUT)).intent_examples][::8]

    def predictions(agent: Agent) -> list:
        async def parse_all() -> list:
            return [await agent.parse_message(text) for text in texts]

        return [(p["intent"]["name"], round(p["intent"]["confidence"], 5),
                 [(e["entity"], e["value"]) for e in p["entities"]],
                 ((p.get("response_selector") or {}).get("faq") or {}).get("response", {}).get("intent_response_key"))
                for p in asyncio.run(parse_all())]

    patched = predictions(Agent.load(str(ensure_model())))
    monkeypatch.setattr(RasaModel, "load", rasa_patches._original_model_load)
    original = predictions(Agent.load(str(ensure_model())))
    assert len(texts) > 60
    assert patched == original
    assert {intent for intent, *_ in patched} >= {"faq", "greet", "report_pothole"}

"""Performance fixes for Rasa 3.6 internals, applied when the Rasa server builds our channels' routes
(bot/channels/guard.py: guard_messages), which is before it loads the model.

1. Action-server responses. Measured with py-spy on the Rasa server during
   `python -m benchmarks.rest`: 48% of its CPU went to
   ``RemoteAction._validate_action_result``, because ``jsonschema.validate``
   checks the *schema itself* against its meta-schema on every call (and on
   jsonschema 4.17 that is the slow draft 2020-12 one). The schema is a
   constant, so we compile a validator for it once, and check each event
   against the schema of its own type instead of trying all 23 (see
   ``_ActionResponseValidator``). Responses are accepted and rejected
   exactly as before.

2. Loading TensorFlow models (DIET, ResponseSelector). To create the weights
   before reading them from disk, Rasa *trains* each model for one step: that
   traces the whole training graph (gradients, optimiser) and creates the
   optimiser's state, none of which predicting uses. It took 530 MB of the
   server's 1.16 GB. One forward pass creates the same weights; the loaded
   model then predicts exactly as before (tests/bot/test_rasa_patches.py
   compares them). Fine-tuning (``rasa train --finetune``) keeps Rasa's path.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Dict, Optional, Text

from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

_original_validate_action_result = RemoteAction._validate_action_result
_original_model_load: Any = None


class _ActionResponseValidator:
    """Validates action-server responses against Rasa's schema, event by event.

    In the schema each event must match ``oneOf`` 23 alternatives, one per
    event type, told apart by the constant ``event`` name. ``oneOf`` tries
    all 23 for every event; since at most the one with the event's own name
    can match, checking that one alone accepts and rejects exactly the same
    responses, for a fraction of the work.
    """

    def __init__(self, schema: Dict[Text, Any]) -> None:
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)  # once, at first use
        self._whole = validator_class(schema)
        self._per_event: Optional[Dict[Text, Any]] = None
        outer = copy.deepcopy(schema)
        event_schema = outer["properties"]["events"]["items"]
        alternatives = event_schema.pop("oneOf", [])
        names = [alternative.get("properties", {}).get("event", {}).get("const") for alternative in alternatives]
        if alternatives and None not in names and len(set(names)) == len(names):
            self._outer = validator_class(outer)
            self._per_event = {
                name: validator_class({**event_schema, "allOf": [alternative]})
                for name, alternative in zip(names, alternatives)
            }

    def validate(self, result: Dict[Text, Any]) -> None:
        from jsonschema import ValidationError

        if self._per_event is None:  # a schema of another shape: check it whole
            self._whole.validate(result)
            return
        self._outer.validate(result)  # the shape, and every event an object with an "event" name
        for event in result.get("events") or []:
            validator = self._per_event.get(event["event"])
            if validator is None:
                raise ValidationError(f"{event['event']!r} is not an event Rasa knows")
            validator.validate(event)


@lru_cache(maxsize=1)
def _action_response_validator() -> _ActionResponseValidator:
    return _ActionResponseValidator(RemoteAction.action_response_format_spec())


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError

    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as error:
        # Same message as Rasa's own implementation.
        error.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid."
        )
        raise error


def _load_for_prediction(
    cls: Any,
    model_file_name: Text,
    model_data_example: Any,
    predict_data_example: Optional[Any] = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """``RasaModel.load`` without the training step (see the module docstring)."""
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    if finetune_mode:
        return _original_model_load.__func__(
            cls, model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs
        )
    model = cls(*args, **kwargs)
    batch_in, _ = RasaBatchDataGenerator(model_data_example, batch_size=1)[0]
    model.batch_loss(batch_in)  # eagerly, once: every layer builds its weights
    # The checkpoint also holds the optimiser's state, which predicting never reads.
    model.load_weights(model_file_name).expect_partial()
    if predict_data_example:
        model.run_inference(predict_data_example)  # trace the prediction graph now, not on the first message
    return model


def apply() -> None:
    """Install the fixes (idempotent)."""
    global _original_model_load
    from rasa.utils.tensorflow.models import RasaModel

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    if _original_model_load is None:
        _original_model_load = RasaModel.__dict__["load"]
        RasaModel.load = classmethod(_load_for_prediction)  # type: ignore[assignment,method-assign]

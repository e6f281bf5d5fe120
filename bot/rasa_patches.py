"""Performance fixes for Rasa 3.6 internals, applied when the Rasa server builds our channels' routes
(bot/channels/guard.py: guard_messages).

Measured with py-spy on the Rasa server during `python -m benchmarks.rest`:
48% of its CPU went to ``RemoteAction._validate_action_result``, because
``jsonschema.validate`` checks the *schema itself* against its meta-schema on
every call (and on jsonschema 4.17 that is the slow draft 2020-12 one). The
schema is a constant, so we compile a validator for it once. Responses are
validated exactly as before; only the repeated meta-schema check goes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

_original_validate_action_result = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, at first use
    return validator_class(schema)


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


def apply() -> None:
    """Install the fixes (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]

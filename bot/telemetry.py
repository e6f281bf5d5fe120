"""Nothing leaves for third parties: Rasa's telemetry and error reporting are off.

Rasa 3.6 sends usage telemetry to Segment and exceptions to its Sentry
(``*.ingest.sentry.io``) unless told not to; both carry data about our
service to a third party we have no data-protection agreement with. Both
are switched by one variable, ``RASA_TELEMETRY_ENABLED``: with ``false``,
``rasa.telemetry`` sends no events and ``initialize_error_reporting`` never
initialises Sentry (both are wrapped in ``ensure_telemetry_enabled``). The
variable wins over the user's ``~/.config/rasa/global.yml``.

:func:`no_telemetry` sets it in a process's own environment (the Rasa
server, model training) and in the environment the launcher gives every
service; ``tests/e2e/test_no_outbound.py`` checks no process connects
anywhere but this machine.
"""

from __future__ import annotations

from typing import MutableMapping

TELEMETRY_OFF = {"RASA_TELEMETRY_ENABLED": "false"}
# Keys that would point Rasa's reporting somewhere else: never passed on.
WRITE_KEYS = ("RASA_TELEMETRY_WRITE_KEY", "RASA_EXCEPTION_WRITE_KEY")


def no_telemetry(environ: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``environ`` with Rasa's telemetry and error reporting off (changed in place and returned)."""
    environ.update(TELEMETRY_OFF)
    for key in WRITE_KEYS:
        environ.pop(key, None)
    return environ

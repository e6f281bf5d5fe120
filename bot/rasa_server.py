"""``python -m bot.rasa_server ARGS``: ``rasa run ARGS``, with the HTTP API token from the environment.

Rasa only takes its API token on the command line (``--auth-token``), and a
process's command line is readable by every user of the machine (``ps``).
This starts Rasa in-process with the token from ``RASA_API_TOKEN`` added to
the arguments Rasa parses, so it never appears in the process list.

Rasa 3.6 reads that token only from the URL (``?token=``), where proxies,
browsers and Sanic's own error log write it down. Here its HTTP API takes the
token from ``Authorization: Bearer <token>`` instead, and refuses any request
that puts one in the URL (:func:`header_auth`). Rasa's telemetry and its
Sentry error reports are off (:func:`no_telemetry`), every log line is
redacted (bot/redaction.py), the garbage collector stops rescanning the
loaded model (bot/gc_tuning.py), and Rasa's TensorFlow modules, which this
pipeline never uses, are loaded only if something uses them
(bot/tensorflow_deferred.py).
"""

from __future__ import annotations

import hmac
import os
import sys
from functools import wraps
from http import HTTPStatus
from inspect import isawaitable
from typing import Any, Callable, List, Optional

from bot import private_files, redaction
from bot.telemetry import no_telemetry

URL_TOKEN_REFUSED = "Send the API token as 'Authorization: Bearer <token>', never in the URL."


def rasa_arguments(args: List[str], token: Optional[str]) -> List[str]:
    """The ``sys.argv`` Rasa's own entry point should see."""
    # "=" form: a token may begin with "-", which argparse would take for an option.
    return ["rasa", "run", *args, *([f"--auth-token={token}"] if token else [])]


def bearer_token(request: Any) -> Optional[str]:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = request.headers.get("Authorization") or ""
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def header_auth(requires_auth: Callable[..., Any]) -> Callable[..., Any]:
    """Rasa's ``requires_auth`` decorator factory, taking the token from the Authorization header.

    A matching bearer token is let through; ``?token=`` is refused (401) even
    when right; anything else goes to Rasa's own check (JWT, or no auth at all
    when Rasa runs without a token).
    """
    from rasa.server import ErrorResponse

    def factory(app: Any, token: Optional[str] = None) -> Callable[..., Any]:
        rasa_check = requires_auth(app, token)

        def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
            checked = rasa_check(handler)

            @wraps(handler)
            async def decorated(request: Any, *args: Any, **kwargs: Any) -> Any:
                if "token" in request.args:
                    raise ErrorResponse(HTTPStatus.UNAUTHORIZED, "NotAuthenticated", URL_TOKEN_REFUSED)
                supplied = bearer_token(request)
                if token is not None and supplied is not None and hmac.compare_digest(
                    supplied.encode("utf-8"), token.encode("utf-8")
                ):
                    result = handler(request, *args, **kwargs)
                    return await result if isawaitable(result) else result
                return await checked(request, *args, **kwargs)

            return decorated

        return decorator

    return factory


def main() -> None:
    from bot import tensorflow_deferred
    from bot.settings import load_settings

    # Before anything imports Rasa: its TensorFlow modules load only if used
    # (none are by this pipeline: 6.5 s of CPU and 350 MB saved per server).
    tensorflow_deferred.install()

    no_telemetry(os.environ)  # before Rasa reads it
    settings = load_settings()
    private_files.restrict(settings.var_dir)
    redaction.install()
    import rasa.core.run
    import rasa.server

    from bot import gc_tuning, rasa_observability
    from bot.language import rasa_hook as language_hook

    # /health, /ready, /metrics and the NLU and SMS series (docs/operations.md).
    rasa_observability.install(settings)
    # Once the model has loaded, the collector stops rescanning it (about 9% of a turn's CPU).
    configure_app = rasa.core.run.configure_app
    rasa.core.run.configure_app = lambda *args, **kwargs: gc_tuning.settle_after_start(
        configure_app(*args, **kwargs))
    # The conversation's language, for councils serving more than one; for every council, a
    # request for a language it does not serve gets an answer (docs/languages.md).
    language_hook.install(settings.council_languages)
    from rasa.__main__ import main as rasa_main

    rasa.server.requires_auth = header_auth(rasa.server.requires_auth)
    sys.argv = rasa_arguments(sys.argv[1:], os.environ.get("RASA_API_TOKEN") or None)
    rasa_main()


if __name__ == "__main__":
    main()

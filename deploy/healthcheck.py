"""The image's HEALTHCHECK: GET /health of whichever service this container runs.

One image runs every service, so the check reads the container's main command
(/proc/1/cmdline), finds which of our modules it starts, and asks that service's
own port (from bot/settings.py, so RASA_PORT and friends are honoured) on
127.0.0.1. Exit 0 when it answers 200, 1 otherwise (Docker's convention).
Liveness only: /ready is for load balancers (docs/operations.md).
"""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path
from typing import List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.settings import Settings, load_settings  # noqa: E402

# The module each service is started as (bot/launcher.py) -> its port setting.
PORTS = {
    "bot.rasa_server": "rasa_port",
    "bot.action_server": "action_server_port",
    "bot.outbox": "outbox_worker_port",
    "bot.console": "console_port",
    "bot.web": "web_port",
}


def service_port(argv: Sequence[str], settings: Settings) -> Optional[int]:
    """The port of the service ``argv`` starts (``python -m <module> ...``), or None."""
    for flag, module in zip(argv, argv[1:]):
        if flag == "-m" and module in PORTS:
            return int(getattr(settings, PORTS[module]))
    return None


def main_command(path: Path = Path("/proc/1/cmdline")) -> List[str]:
    return [part for part in path.read_bytes().decode("utf-8", "replace").split("\0") if part]


def main() -> int:
    port = service_port(main_command(), load_settings())
    if port is None:
        print("not one of our services", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"/health on port {port}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bot.rasa_server ARGS``: ``rasa run ARGS``, with the HTTP API token from the environment.

Rasa only takes its API token on the command line (``--auth-token``), and a
process's command line is readable by every user of the machine (``ps``).
This starts Rasa in-process with the token from ``RASA_API_TOKEN`` added to
the arguments Rasa parses, so it never appears in the process list.
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional


def rasa_arguments(args: List[str], token: Optional[str]) -> List[str]:
    """The ``sys.argv`` Rasa's own entry point should see."""
    # "=" form: a token may begin with "-", which argparse would take for an option.
    return ["rasa", "run", *args, *([f"--auth-token={token}"] if token else [])]


def main() -> None:
    from rasa.__main__ import main as rasa_main

    sys.argv = rasa_arguments(sys.argv[1:], os.environ.get("RASA_API_TOKEN") or None)
    rasa_main()


if __name__ == "__main__":
    main()

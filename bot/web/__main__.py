"""``python -m bot.web``: serve the demo council website with the chat widget."""

from __future__ import annotations

import logging
import sys

from bot.settings import ConfigError, load_settings
from bot.web.app import run


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())

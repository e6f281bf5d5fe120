"""``python -m bot.web``: serve the demo council website with the chat widget."""

from __future__ import annotations

import sys

from bot.settings import ConfigError, load_settings
from bot.web.app import run
from bot import private_files, redaction


def main() -> int:
    redaction.configure_logging()
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    private_files.restrict(settings.var_dir)
    run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())

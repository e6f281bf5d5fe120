"""``python -m bot.console serve`` runs the staff console; ``create-admin`` makes an admin account.

serve: needs CONSOLE_SECRET_KEY (signs session cookies) and RASA_API_TOKEN
(to speak on residents' channels). When CONSOLE_ADMIN_EMAIL and
CONSOLE_ADMIN_PASSWORD are set and that account doesn't exist, it is created.

create-admin --email you@council.gov.uk [--name "Your Name"]: asks for the
password twice (or reads CONSOLE_ADMIN_PASSWORD). There is no default password.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from typing import List, Optional

from bot.settings import ConfigError, Settings, load_settings
from bot.storage.database import create_schema, make_engine
from bot.storage.staff import StaffError, StaffStore
from bot import private_files, redaction

logger = logging.getLogger("bot.console")


def ensure_env_admin(settings: Settings, store: StaffStore) -> Optional[str]:
    """Create the admin named by CONSOLE_ADMIN_EMAIL/PASSWORD if missing. Returns what happened."""
    if not (settings.console_admin_email and settings.console_admin_password):
        return None
    if store.by_email(settings.console_admin_email) is not None:
        return "exists"
    store.create(settings.console_admin_email, "Administrator", "admin", settings.console_admin_password)
    return "created"


def serve(settings: Settings) -> int:
    from bot.console.app import create_app
    from bot.console.context import Console
    from bot.escalation.hours import HoursError

    try:
        settings.require("console_secret_key", "rasa_api_token")
        app_console = Console.from_settings(settings)
        ensure_env_admin(settings, app_console.staff)
    except (ConfigError, HoursError, StaffError) as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    if app_console.staff.count() == 0:
        print("No staff accounts yet: create the first admin with "
              "`.venv/bin/python -m bot.console create-admin --email you@example.gov.uk`", flush=True)
    app = create_app(app_console)
    app.run(host=settings.bind_host, port=settings.console_port, access_log=False, motd=False, workers=1)
    return 0


def create_admin(settings: Settings, email: str, name: str) -> int:
    password = os.environ.get("CONSOLE_ADMIN_PASSWORD") or ""
    if not password:
        if not sys.stdin.isatty():
            print("Set CONSOLE_ADMIN_PASSWORD or run this in a terminal to type the password.", file=sys.stderr)
            return 2
        password = getpass.getpass("Password (at least 12 characters): ")
        if getpass.getpass("Same password again: ") != password:
            print("The passwords don't match.", file=sys.stderr)
            return 2
    engine = make_engine(settings.database_url)
    create_schema(engine)
    try:
        member = StaffStore(engine).create(email, name, "admin", password)
    except StaffError as error:
        print(str(error), file=sys.stderr)
        return 2
    print(f"Admin account created for {member.email}. Sign in at http://{settings.bind_host}:{settings.console_port}/sign-in")
    return 0


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.console")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the staff console")
    admin = commands.add_parser("create-admin", help="create an admin account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    args = parser.parse_args(argv)
    redaction.configure_logging()
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    private_files.restrict(settings.var_dir)
    if args.command == "serve":
        return serve(settings)
    return create_admin(settings, args.email, args.name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

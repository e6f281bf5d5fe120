"""python -m bot.privacy export|erase --phone ... | --email ... | --reference ...

  export  writes one zip with everything held about the person
          (--out PATH; default ./subject-access-<hash>.zip, readable by you only)
  erase   removes it; --dry-run counts only; a case still open holds the
          erasure unless --force
  strip-tracker-phones
          once, after upgrading: removes the SMS numbers older versions
          wrote into every SMS message's metadata in Rasa's tracker

Both are recorded in the audit log (who ran it, the selector's kind and a
hash of it, the counts), never the data itself.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import List, Optional

from bot.privacy.archive import export_subject
from bot.privacy.erasure import erase_subject
from bot.privacy.subject import DataStores, Selector, SelectorError, find_subject


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.privacy", description="Residents' data rights.")
    commands = parser.add_subparsers(dest="command", required=True)
    strip = commands.add_parser(
        "strip-tracker-phones", help="once, after upgrading: remove SMS numbers older versions put in the tracker")
    strip.add_argument("--dry-run", action="store_true", help="count them; change nothing")
    for name, text in (("export", "subject access: one zip with everything held"),
                       ("erase", "erasure: remove everything held")):
        command = commands.add_parser(name, help=text, description=text)
        selector = command.add_mutually_exclusive_group(required=True)
        selector.add_argument("--phone", help="a phone number (07700 900123 or +447700900123)")
        selector.add_argument("--email", help="an email address")
        selector.add_argument("--reference", help="a case reference (AB7K-3FQ2)")
        if name == "export":
            command.add_argument("--out", type=Path, help="where to write the zip")
        else:
            command.add_argument("--dry-run", action="store_true", help="count what would be removed; remove nothing")
            command.add_argument("--force", action="store_true", help="erase even while a case is still open")
    return parser


def _user() -> str:
    """Who ran the command, for the audit log (the account name; "unknown" in a bare container)."""
    try:
        return getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry
        return "unknown"


def main(argv: Optional[List[str]] = None) -> int:
    from bot import redaction
    from bot.settings import ConfigError, load_settings

    args = _parser().parse_args(argv)
    redaction.configure_logging()
    if args.command == "strip-tracker-phones":
        from bot.storage.database import flush_deleted, make_engine
        from bot.storage.tracker_events import strip_phone_metadata

        tracker_engine = make_engine(load_settings().tracker_store_url)
        count = strip_phone_metadata(tracker_engine, dry_run=args.dry_run)
        if not args.dry_run:
            flush_deleted(tracker_engine)
        print(f"{'Would remove' if args.dry_run else 'Removed'} the phone number from {count} stored messages")
        return 0
    kind = next(k for k in ("phone", "email", "reference") if getattr(args, k))
    try:
        selector = Selector.parse(kind, getattr(args, kind))
        settings = load_settings()
    except (SelectorError, ConfigError) as error:
        print(f"Cannot do that: {error}", file=sys.stderr)
        return 2
    stores = DataStores.from_settings(settings)
    subject = find_subject(stores, selector)
    operator = f"command line ({_user()})"
    if args.command == "export":
        out = args.out or Path(f"subject-access-{selector.digest()}.zip")
        _content, counts = export_subject(stores, subject, settings.council_name, out)
        stores.audit.record(None, "privacy_export", None, by=operator, selector=selector.kind,
                            subject=selector.digest(), counts={k: v for k, v in counts.items() if v})
        print(f"Wrote {out}: " + (", ".join(f"{k}: {v}" for k, v in counts.items() if v) or "nothing is held"))
        return 0
    report = erase_subject(stores, subject, None, operator, dry_run=args.dry_run, force=args.force)
    print(report)
    return 1 if report.held else 0


if __name__ == "__main__":
    sys.exit(main())

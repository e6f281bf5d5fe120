"""python -m bot.analytics: the service's figures for a range of days, as the console's dashboard shows them.

    python -m bot.analytics                          # the last 30 days
    python -m bot.analytics --from 2026-01-01 --to 2026-12-31
    python -m bot.analytics --figure containment --csv   # one figure, as CSV
    python -m bot.analytics --rebuild                # summarise every tracker event again

It first brings the rollup up to date with Rasa's tracker store (only the
events added since the last run), unless --no-refresh. Definitions:
docs/analytics.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional
from zoneinfo import ZoneInfo


def main(argv: Optional[List[str]] = None) -> int:
    from bot import private_files, redaction
    from bot.analytics.export import as_text, to_csv
    from bot.analytics.figures import Period, compute
    from bot.analytics.rollup import rebuild, update
    from bot.settings import ConfigError, load_settings
    from bot.storage.database import create_schema, make_engine

    parser = argparse.ArgumentParser(prog="python -m bot.analytics", description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day (default: 30 days ago)")
    parser.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day (default: today)")
    parser.add_argument("--figure", metavar="KEY", help="only this figure (conversations, cases, containment, ...)")
    parser.add_argument("--csv", action="store_true", help="CSV instead of text (with --figure)")
    parser.add_argument("--no-refresh", action="store_true", help="do not read new tracker events first")
    parser.add_argument("--rebuild", action="store_true", help="forget the rollup and summarise every event again")
    args = parser.parse_args(argv)
    redaction.configure_logging()
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    if args.csv and not args.figure:
        print("--csv needs --figure KEY (one figure per CSV).", file=sys.stderr)
        return 2
    private_files.restrict(settings.var_dir)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    tracker_engine = make_engine(settings.tracker_store_url)
    began = time.perf_counter()
    if args.rebuild:
        read = rebuild(engine, tracker_engine)
        print(f"Rollup rebuilt from {read} tracker events in {time.perf_counter() - began:.1f} s.", file=sys.stderr)
    elif not args.no_refresh:
        read, _ = update(engine, tracker_engine)
        if read:
            print(f"Rollup: {read} new tracker events read in {time.perf_counter() - began:.1f} s.", file=sys.stderr)
    period, problems = Period.parse({"from": args.first, "to": args.last}, ZoneInfo(settings.staffed_timezone))
    for problem in problems:
        print(problem, file=sys.stderr)
    figures = compute(engine, period)
    if args.figure:
        figures = [f for f in figures if f.key == args.figure]
        if not figures:
            keys = ", ".join(f.key for f in compute(engine, period))
            print(f"No figure called {args.figure!r}. Figures: {keys}.", file=sys.stderr)
            return 2
    if args.csv:
        sys.stdout.write(to_csv(figures[0], period))
        return 0
    print(f"Service analytics, {period.first:%d %b %Y} to {period.last:%d %b %Y} ({settings.staffed_timezone})\n")
    print("\n\n".join(as_text(f) for f in figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m review migrate`` creates or upgrades the review database; ``prune`` applies retention."""
from __future__ import annotations

import argparse
import sys

from review import db as database
from review.log import prune, retention_days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("migrate", "create or upgrade the review database"),
                            ("prune", "delete entries older than REVIEW_RETENTION_DAYS")):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--url", help="database URL (default: $REVIEW_DB_URL or the SQLite file)")
    args = parser.parse_args(argv)
    url = args.url or database.review_url()
    if args.command == "migrate":
        database.migrate(url)
        print("review database is up to date")
        return 0
    with database.session(url) as db:
        print(f"pruned {prune(db)} entries older than {retention_days()} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m handover migrate`` creates or upgrades handover's tables in the review log's database.

Every process also migrates on its first use of the store (handover/db.py), but a start script runs this first
(scripts/prod/ctl.sh) before any server starts: otherwise the Rasa processes, the action server and the console all
create the tables of a new database at the same moment, and those that lose the race fail their first use of the
store (logged, and tried again at the next use).
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from handover import db as database


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handover", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="create or upgrade handover's tables")
    migrate.add_argument("--url", help="database URL (default: $REVIEW_DB_URL or the SQLite file)")
    args = parser.parse_args(argv)
    database.migrate(args.url or database.handover_url())
    print("handover tables are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

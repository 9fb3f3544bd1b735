"""Command line: ``python -m knowledge load`` builds the database; ``search`` looks into it."""
from __future__ import annotations

import argparse
import sys

from knowledge import db as database
from knowledge.loader import KnowledgeDataError, load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    load_cmd = commands.add_parser("load", help="validate the YAML data and (re)build the database")
    load_cmd.add_argument("--url", help="database URL (default: $KNOWLEDGE_DB_URL or the SQLite file)")
    search_cmd = commands.add_parser("search", help="ranked free-text search over the programs")
    search_cmd.add_argument("query")
    search_cmd.add_argument("--limit", type=int, default=5)
    args = parser.parse_args(argv)

    url = getattr(args, "url", None) or database.database_url()
    if args.command == "load":
        try:
            data = load(url)
        except KnowledgeDataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        places = sum(len(program.places) for program in data.programs)
        desks = sum(len(program.desks) for program in data.programs)
        rules = sum(len(program.rules) for program in data.programs)
        print(f"loaded {len(data.programs)} programs, {desks} desks, {places} places, {rules} rules into "
              f"{database.engine_for(url).url.render_as_string(hide_password=True)}")
        return 0
    if args.command == "search":
        from knowledge.search import search

        with database.session(url) as db:
            for hit in search(db, args.query, limit=args.limit):
                print(f"{hit.score:6.2f}  §{hit.section:<2} {hit.name}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())

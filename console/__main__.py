"""``python -m console``: serve the staff console and print its URL and password.

Login settings from the environment (console/auth.py): CONSOLE_PASSWORD, CONSOLE_SESSION_IDLE_MINUTES (30),
CONSOLE_SESSION_MAX_HOURS (12), CONSOLE_TRUSTED_PROXIES (none: forwarded headers are ignored). One worker: the
sessions live in this process's memory.
"""
from __future__ import annotations

import argparse
import os

from console.app import create_app
from console.auth import Gate, Settings, configured_password


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m console")
    parser.add_argument("--host", default="127.0.0.1", help="internal use: loopback by default")
    parser.add_argument("--port", type=int, default=5010)
    args = parser.parse_args()
    try:
        settings = Settings.from_env()
    except ValueError as error:
        parser.error(str(error))
    password, generated = configured_password()
    # The review page reads the review log the assistant's actions write: REVIEW_DB_URL (review/db.py).
    app = create_app(Gate(password, settings), rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005"),
                     rasa_token=os.environ.get("RASA_API_TOKEN"), review_url=os.environ.get("REVIEW_DB_URL") or None)
    print(f"staff console: http://{args.host}:{args.port}/", flush=True)
    if generated:
        print(f"console password (generated; set CONSOLE_PASSWORD to choose one): {password}", flush=True)
    proxies = ", ".join(map(str, settings.trusted_proxies)) or "none (forwarded headers ignored)"
    print(f"sessions end after {settings.idle_seconds / 60:g} min idle or {settings.max_seconds / 3600:g} h; "
          f"trusted proxies: {proxies}", flush=True)
    app.run(host=args.host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()

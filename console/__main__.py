"""``python -m console``: serve the staff console and print its URL and password.

Settings from the environment (common/settings.py): the login's CONSOLE_PASSWORD, CONSOLE_SESSION_IDLE_MINUTES,
CONSOLE_SESSION_MAX_HOURS and CONSOLE_TRUSTED_PROXIES (console/auth.py); RASA_URL and RASA_API_TOKEN (the assistant
that ranks candidates); REVIEW_DB_URL (the review log). A bad value stops the start, naming the variable. One
worker: the sessions live in this process's memory.
"""
from __future__ import annotations

import argparse

from common.settings import settings
from console.app import create_app
from console.auth import Gate, Settings, configured_password


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m console")
    parser.add_argument("--host", default="127.0.0.1", help="internal use: loopback by default")
    parser.add_argument("--port", type=int, default=5010)
    args = parser.parse_args()
    try:
        current = settings()
    except ValueError as error:  # SettingsError, naming each bad variable
        parser.error(str(error))
    login = Settings.from_env()
    password, generated = configured_password()
    token = current.rasa_api_token
    # The review page reads the review log the assistant's actions write: REVIEW_DB_URL (review/db.py).
    app = create_app(Gate(password, login), rasa_url=current.rasa_url,
                     rasa_token=token.get_secret_value() if token else None, review_url=current.review_db_url)
    print(f"staff console: http://{args.host}:{args.port}/", flush=True)
    if generated:
        print(f"console password (generated; set CONSOLE_PASSWORD to choose one): {password}", flush=True)
    proxies = ", ".join(map(str, login.trusted_proxies)) or "none (forwarded headers ignored)"
    print(f"sessions end after {login.idle_seconds / 60:g} min idle or {login.max_seconds / 3600:g} h; "
          f"trusted proxies: {proxies}", flush=True)
    app.run(host=args.host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()

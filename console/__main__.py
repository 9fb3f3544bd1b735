"""``python -m console``: serve the staff console and print its URL (and, at the very first start, a login).

Settings from the environment (common/settings.py): CONSOLE_SESSION_IDLE_MINUTES, CONSOLE_SESSION_MAX_HOURS and
CONSOLE_TRUSTED_PROXIES (console/auth.py); RASA_URL and RASA_API_TOKEN (the assistant that ranks candidates);
REVIEW_DB_URL (the review log, which also holds the staff accounts and sessions). A bad value stops the start,
naming the variable.

Zero set-up: when the database has no staff account at all, the console creates ``staff`` (「スタッフ」) with
CONSOLE_PASSWORD, or with a random password that it prints once with the URL. Once accounts exist, nothing secret is
printed: ``python -m console.accounts`` adds, disables and resets them. Sessions live in the database, so a restart
logs no one out, and several console processes may serve the same database.
"""
from __future__ import annotations

import argparse
from typing import List

from common.settings import settings
from console.accounts import passwords, store
from console.app import create_app
from console.auth import Gate, Settings
from review import db as review_db


def first_account(url: str) -> List[str]:
    """Create the first account if there is none; what to print about it (a generated password, once)."""
    configured = settings().console_password
    password = configured.get_secret_value() if configured is not None else passwords.generate()
    with review_db.session(url) as db:
        if store.create_first(db, password):
            if configured is not None:
                return [f"console login: {store.FIRST_LOGIN} (the first account), password: CONSOLE_PASSWORD"]
            return [f"console login: {store.FIRST_LOGIN} (the first account), password (generated, shown only now; "
                    f"`python -m console.accounts reset {store.FIRST_LOGIN}` sets another): {password}"]
        accounts = store.count(db)
    note = f"console accounts: {accounts} (`python -m console.accounts list`)"
    if configured is not None:
        note += "; CONSOLE_PASSWORD is used only when there is no account yet"
    return [note]


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
    token = current.rasa_api_token
    # The review page reads the review log the assistant's actions write: REVIEW_DB_URL (review/db.py); the staff
    # accounts and sessions live in the same database.
    url = current.review_db_url or review_db.review_url()
    app = create_app(Gate(url, login), rasa_url=current.rasa_url,
                     rasa_token=token.get_secret_value() if token else None, review_url=url)
    print(f"staff console: http://{args.host}:{args.port}/", flush=True)
    for line in first_account(url):
        print(line, flush=True)
    proxies = ", ".join(map(str, login.trusted_proxies)) or "none (forwarded headers ignored)"
    print(f"sessions end after {login.idle_seconds / 60:g} min idle or {login.max_seconds / 3600:g} h; "
          f"trusted proxies: {proxies}", flush=True)
    app.run(host=args.host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()

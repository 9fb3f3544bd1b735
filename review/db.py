"""Where the review log lives, from ``REVIEW_DB_URL``: SQLite by default, PostgreSQL by URL in production.

The schema is the project's own Alembic migrations (review/migrations/), applied once per process and
URL before the first session, so a new database needs no set-up step and an old one is upgraded.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session, sessionmaker

from common.settings import settings
from knowledge.db import engine_for

DEFAULT_DB_PATH = Path(__file__).resolve().parent / "review.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_migrating = threading.Lock()


def review_url() -> str:
    return settings().review_db_url or f"sqlite:///{DEFAULT_DB_PATH}"


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@lru_cache(maxsize=None)
def _session_factory(url: str) -> sessionmaker:
    with _migrating:
        migrate(url)
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


def session(url: str | None = None) -> Session:
    """A new session on the (migrated) review database; use it as a context manager."""
    return _session_factory(url or review_url())()

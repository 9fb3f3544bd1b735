"""Where handover's tables live: the review log's database (``REVIEW_DB_URL``, one home for the URL in review/db.py).

The schema is handover's own Alembic migrations (handover/migrations/, version table ``handover_alembic_version``),
applied once per process and URL before the first session, like the review log's: the two histories share the
database and never each other's revisions.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.orm import sessionmaker

from knowledge.db import engine_for
from review.db import review_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_migrating = threading.Lock()


def handover_url() -> str:
    """The review log's database URL (``REVIEW_DB_URL``, SQLite ``review/review.db`` by default)."""
    return review_url()


def migrate(url: str) -> None:
    """Bring handover's tables at ``url`` to the newest schema (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@lru_cache(maxsize=None)
def session_factory(url: str) -> sessionmaker:
    """Sessions on the database at ``url``, migrated first (once per process and URL)."""
    with _migrating:
        migrate(url)
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)

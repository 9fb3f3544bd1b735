"""One engine and one session factory for the whole process, from ``KNOWLEDGE_DB_URL``.

SQLite by default (a file under the project: nothing to set up), PostgreSQL by URL in production.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from common.settings import settings

DEFAULT_DB_PATH = Path(__file__).resolve().parent / "knowledge.db"


def database_url() -> str:
    return settings().knowledge_db_url or f"sqlite:///{DEFAULT_DB_PATH}"


@lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    """Engines are cached per URL: each holds a pool, and building one per query would leak them.

    On SQLite every session reads in one transaction (one snapshot): Python's driver opens none for reads, so each
    statement would read the latest commit, and an answer read while the knowledge is reloaded could mix the old
    program row with the new desks (tests/e2e/test_faults.py)."""
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_manual_transactions)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_manual_transactions(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # the driver's own BEGIN handling off: SQLAlchemy's "begin" event does it


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN")


@lru_cache(maxsize=None)
def _session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


def session(url: str | None = None) -> Session:
    """A new session on the configured database (one factory per URL); use it as a context manager."""
    return _session_factory(url or database_url())()

"""One engine and one session factory for the whole process, from ``KNOWLEDGE_DB_URL``.

SQLite by default (a file under the project: nothing to set up), PostgreSQL by URL in production.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from common.settings import settings

DEFAULT_DB_PATH = Path(__file__).resolve().parent / "knowledge.db"
SQLITE_POOL_SIZE = 5  # connections kept open per SQLite file and process (more are opened, and closed, when busy)


def database_url() -> str:
    return settings().knowledge_db_url or f"sqlite:///{DEFAULT_DB_PATH}"


@lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    """Engines are cached per URL: each holds a pool, and building one per query would leak them.

    On SQLite every session reads in one transaction (one snapshot): Python's driver opens none for reads, so each
    statement would read the latest commit, and an answer read while the knowledge is reloaded could mix the old
    program row with the new desks (tests/e2e/test_faults.py).

    A SQLite file keeps its connections open in a pool: SQLAlchemy 1.4 opens a new one for every session on a file
    by default, and the handover check made on every user message spent most of its time connecting (at 16
    concurrent, Rasa's CPU per turn 33.7 -> 28.3 ms with the pool). Its overflow is unbounded, as it was with a
    connection per session, so a busy moment never waits for a connection. A file cannot drop a connection as a
    server can: no ping before use."""
    sqlite_file = _is_sqlite_file(url)
    pooling = (dict(poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=-1,
                    connect_args={"check_same_thread": False}) if sqlite_file else dict(pool_pre_ping=True))
    engine = create_engine(url, future=True, **pooling)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_manual_transactions)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _is_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    database = parsed.database or ""
    return (parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
            and parsed.query.get("mode") != "memory")


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

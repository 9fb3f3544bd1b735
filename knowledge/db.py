"""One engine and one session factory for the whole process, from ``KNOWLEDGE_DB_URL``.

SQLite by default (a file under the project: nothing to set up), PostgreSQL by URL in production.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DB_PATH = Path(__file__).resolve().parent / "knowledge.db"


def database_url() -> str:
    return os.environ.get("KNOWLEDGE_DB_URL") or f"sqlite:///{DEFAULT_DB_PATH}"


@lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    """Engines are cached per URL: each holds a pool, and building one per query would leak them."""
    return create_engine(url, future=True, pool_pre_ping=True)


@lru_cache(maxsize=None)
def _session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


def session(url: str | None = None) -> Session:
    """A new session on the configured database (one factory per URL); use it as a context manager."""
    return _session_factory(url or database_url())()

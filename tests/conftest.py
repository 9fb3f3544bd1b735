"""Shared fixtures: a real knowledge database built by the real loader, on SQLite and PostgreSQL.

PostgreSQL runs when ``TEST_POSTGRES_URL`` points at a server (``.ci/run`` starts one on loopback);
each test session then works in a database of its own that is dropped afterwards.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from knowledge.db import session
from knowledge.loader import load

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "knowledge" / "source" / "aomori-support-guide-III.txt"


def _postgres_database():
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        if os.environ.get("CI"):
            pytest.fail("TEST_POSTGRES_URL must be set in CI: .ci/run starts PostgreSQL")
        pytest.skip("TEST_POSTGRES_URL is not set (run `bash scripts/test-postgres.sh` or .ci/run)")
    name = f"knowledge_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    return admin, name, url


@contextlib.contextmanager
def database_url(backend: str, directory: Path, name: str) -> Iterator[str]:
    """A new, empty database on ``backend`` (a SQLite file in ``directory``, or a PostgreSQL database of its own,
    dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / name}"
        return
    admin, database, url = _postgres_database()
    try:
        yield url
    finally:
        from knowledge.db import engine_for

        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def kb_url(request, tmp_path_factory):
    """URL of a database loaded from the project's YAML, once per backend per test session."""
    with database_url(request.param, tmp_path_factory.mktemp("kb"), "knowledge.db") as url:
        load(url)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def review_url(request, tmp_path):
    """URL of a new, empty review log (created by its migrations on first use), per backend."""
    with database_url(request.param, tmp_path, "review.db") as url:
        yield url


@pytest.fixture
def review_db(review_url):
    from review import db as review_database

    with review_database.session(review_url) as session:
        yield session


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    """A session on a SQLite knowledge database built by the real loader: what replies and records are checked
    against (module-scoped, for the tests that need the store's facts but not both backends)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.db'}"
    load(url)
    with session(url) as db_session:
        yield db_session


@pytest.fixture
def db(kb_url):
    with session(kb_url) as db_session:
        yield db_session


@pytest.fixture(scope="session")
def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")

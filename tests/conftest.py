"""Shared fixtures: a real knowledge database built by the real loader, on SQLite and PostgreSQL.

PostgreSQL runs when ``TEST_POSTGRES_URL`` points at a server (``.ci/run`` starts one on loopback);
each test session then works in a database of its own that is dropped afterwards.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

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


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def kb_url(request, tmp_path_factory):
    """URL of a database loaded from the project's YAML, once per backend per test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.db'}"
        load(url)
        yield url
        return
    admin, name, url = _postgres_database()
    load(url)
    yield url
    from knowledge.db import engine_for

    engine_for(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


@pytest.fixture
def db(kb_url):
    with session(kb_url) as db_session:
        yield db_session


@pytest.fixture(scope="session")
def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")

"""A SQLite file's connections are kept open between sessions (knowledge/db.py engine_for): every user message's
handover check opened one before, and connecting cost more than the query."""
from __future__ import annotations

import threading

from sqlalchemy import event, text

from knowledge.db import SQLITE_POOL_SIZE, engine_for, session


def test_sessions_on_a_sqlite_file_reuse_connections_from_threads(tmp_path):
    url = f"sqlite:///{tmp_path / 'pool.db'}"
    connects = []
    event.listen(engine_for(url), "connect", lambda *_: connects.append(1))

    def read() -> None:
        for _ in range(10):
            with session(url) as db:
                assert db.execute(text("select 1")).scalar() == 1

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= len(connects) <= SQLITE_POOL_SIZE
    engine_for(url).dispose()


def test_a_session_on_a_pooled_sqlite_file_sees_what_another_committed(tmp_path):
    """A kept connection must not keep an old snapshot: each session reads in a transaction of its own."""
    url = f"sqlite:///{tmp_path / 'snapshot.db'}"
    with session(url) as db, db.begin():
        db.execute(text("create table t (x integer)"))
    with session(url) as reader:
        assert reader.execute(text("select count(*) from t")).scalar() == 0
    with session(url) as writer, writer.begin():
        writer.execute(text("insert into t values (1)"))
    with session(url) as reader:
        assert reader.execute(text("select count(*) from t")).scalar() == 1
    engine_for(url).dispose()

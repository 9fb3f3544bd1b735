"""The review log on a real database (SQLite and PostgreSQL), created by the project's migrations."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from knowledge.db import engine_for
from review import db as review_database
from review import log
from review.models import Setting, Turn


@pytest.fixture
def db(review_db):
    return review_db


def record(db, sender="U1234567890abcdef", turn="m1", kind="answer", text="後継ぎがいない", program=21):
    log.record_turn(db, sender, turn, "line", kind, text, "program_business_succession",
                    [{"section": 21, "score": 0.91}], program)


def test_migrations_create_the_tables_and_are_idempotent(review_url):
    review_database.migrate(review_url)
    review_database.migrate(review_url)  # a second run changes nothing
    tables = set(inspect(engine_for(review_url)).get_table_names())
    assert {"review_turns", "review_settings", "review_alembic_version"} <= tables


def test_a_turn_is_stored_masked_under_a_salted_hash(db, monkeypatch):
    monkeypatch.delenv("REVIEW_SALT", raising=False)
    record(db, text="担当の佐藤さんから090-1234-5678に折り返しをお願いします")
    [turn] = db.execute(select(Turn)).scalars().all()
    assert "090-1234-5678" not in turn.text and "[電話番号]" in turn.text
    assert turn.conversation != "U1234567890abcdef" and "U1234567890abcdef" not in turn.conversation
    assert len(turn.conversation) == 32 and turn.channel == "line" and turn.program == 21
    assert turn.candidates == [{"section": 21, "score": 0.91}]
    salt = db.get(Setting, log.SALT_KEY).value
    assert log.conversation_key(db, "U1234567890abcdef") == turn.conversation and len(salt) == 64


def test_the_same_sender_is_one_conversation_and_another_is_another(db):
    assert log.conversation_key(db, "U1") == log.conversation_key(db, "U1") != log.conversation_key(db, "U2")


def test_a_retried_turn_is_recorded_once(db):
    record(db)
    record(db)
    assert len(log.turns(db)) == 1


def test_feedback_is_stored_with_its_turn_and_can_change(db):
    record(db, turn="m1")
    record(db, turn="m2", program=6)
    assert log.record_feedback(db, "U1234567890abcdef", "m1", "down").turn == "m1"
    assert log.record_feedback(db, "U1234567890abcdef", "m1", "up").feedback == "up"
    by_turn = {t.turn: t.feedback for t in log.turns(db)}
    assert by_turn == {"m1": "up", "m2": None}
    assert log.record_feedback(db, "U1234567890abcdef", None, "down").turn == "m2"  # no id: the latest answer
    assert log.record_feedback(db, "someone-else", "m1", "down") is None  # not their turn
    with pytest.raises(ValueError):
        log.record_feedback(db, "U1234567890abcdef", "m1", "meh")


def test_retention_prunes_old_entries_only(db, monkeypatch):
    record(db, turn="old")
    record(db, turn="new")
    old = db.execute(select(Turn).where(Turn.turn == "old")).scalar_one()
    old.at = log.now() - timedelta(days=91)
    db.commit()
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "90")
    assert log.prune(db) == 1
    assert [t.turn for t in log.turns(db)] == ["new"]
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "7")
    assert log.prune(db, at=log.now() + timedelta(days=8)) == 1 and log.turns(db) == []


def test_writers_prune_on_a_schedule(db, monkeypatch):
    record(db, turn="old")
    db.execute(select(Turn)).scalar_one().at = log.now() - timedelta(days=400)
    db.commit()
    monkeypatch.setitem(log._last_prune, "at", None)  # no prune yet in this process (true at any uptime)
    record(db, turn="new")  # the write runs the scheduled prune
    assert [t.turn for t in log.turns(db)] == ["new"]


def test_prune_in_a_session_that_holds_turns_read_back(db, monkeypatch):
    """SQLite reads times back naive: removing the pruned turns from the session must not compare them with the
    (aware) cutoff and fail, and a pruned turn must not stay in the session."""
    monkeypatch.setitem(log._last_prune, "at", time.monotonic())  # no scheduled prune while recording
    record(db, turn="old")
    record(db, turn="new")
    db.expire_all()
    held = log.turns(db)  # read back from the database, and still referenced while pruning
    assert [t.turn for t in held] == ["old", "new"]
    assert log.prune(db, at=log.now() + timedelta(days=log.retention_days() + 1)) == 2
    assert log.turns(db) == [] and all(t not in db for t in held)

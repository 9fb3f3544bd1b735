"""The handover store (handover/store.py) on a real database made by its migrations: SQLite in ``tmp_path`` always,
PostgreSQL too when ``TEST_POSTGRES_URL`` is set (the ``review_url`` fixture of tests/conftest.py: handover's tables
live in the review log's database).

Races are run for real: two threads, each with an engine of its own on the same database (a second URL naming the
same file or database), released together by a barrier. Times are passed as ``now``, or read from the wall clock
moved by time-machine.
"""
from __future__ import annotations

import ast
import logging
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, List

import pytest
import time_machine
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, func, inspect, select, text

from common.settings import MAX_MESSAGE_CHARS
from handover import contract, models
from handover import db as handover_db
from handover.records import Callback
from handover.store import HandoverClosed, HandoverStore, MessageTooLong, StoreError
from knowledge.db import engine_for
from knowledge.hours import JST
from review import db as review_db

ROOT = Path(__file__).resolve().parents[2]
UTC = timezone.utc
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=JST)  # a Friday, within staffed hours
CONTACT = "090-8765-4321"
EMAIL = "sato.k@example.co.jp"


@pytest.fixture
def store(review_url, monkeypatch) -> HandoverStore:
    for name in ("HANDOVER_QUEUE_TIMEOUT_SECONDS", "HANDOVER_DEFAULT_WAIT_SECONDS", "HANDOVER_RETENTION_DAYS",
                 "CALLBACK_RETENTION_DAYS", "HANDOVER_STAFFED_HOURS"):
        monkeypatch.delenv(name, raising=False)
    return HandoverStore(review_url)


@pytest.fixture
def second_store(store, review_url):
    """A store on the same database through an engine (and connection pool) of its own, as another process has."""
    url = review_url + ("?timeout=30" if review_url.startswith("sqlite") else "?application_name=second")
    yield HandoverStore(url)
    engine_for(url).dispose()  # before the database is dropped


def race(*calls: Callable[[], Any]) -> List[Any]:
    """Run the calls in threads released at the same moment; their results in order (an exception is raised)."""
    barrier = threading.Barrier(len(calls))
    results: List[Any] = [None] * len(calls)
    errors: List[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:  # re-raised in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise errors[0]
    return results


def count(store: HandoverStore, table: Any) -> int:
    with handover_db.session_factory(store.url)() as db:
        return int(db.execute(select(func.count()).select_from(table)).scalar_one())


def connected(store: HandoverStore, sender: str = "U1", channel: str = "line", now: datetime = T0) -> int:
    handover = store.request(sender, channel, 21, [21, 6], now=now)
    assert store.take(handover.id, "sato", "佐藤", now=now + timedelta(seconds=30))
    return handover.id


# ---- the schema ----------------------------------------------------------------------------------------------------

def test_migrations_make_the_tables_beside_the_review_log_with_a_version_table_of_their_own(review_url):
    review_db.migrate(review_url)
    handover_db.migrate(review_url)
    handover_db.migrate(review_url)  # a second run changes nothing
    tables = set(inspect(engine_for(review_url)).get_table_names())
    assert {"handovers", "handover_messages", "callback_requests", "staff_presence",
            "handover_alembic_version", "review_turns", "review_alembic_version"} <= tables
    with engine_for(review_url).connect() as connection:
        assert connection.execute(text("SELECT version_num FROM handover_alembic_version")).scalars().all() == [
            _head(handover_db.MIGRATIONS)]
        assert connection.execute(text("SELECT version_num FROM review_alembic_version")).scalars().all() == [
            _head(review_db.MIGRATIONS)]


def _head(migrations: Path) -> str:
    """The newest revision of a migrations folder: each log keeps its own chain, so each table holds its own head."""
    return ScriptDirectory(str(migrations)).get_current_head()


def test_the_migration_makes_what_the_models_declare(review_url):
    handover_db.migrate(review_url)
    with engine_for(review_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": "handover_alembic_version"})
        # Other tables of the database (the review log's, SQLite's own) are none of these models' business.
        differences = [d for d in compare_metadata(context, models.Base.metadata) if d[0] != "remove_table"]
    assert differences == []


def test_finding_a_senders_active_handover_is_one_indexed_query(store):
    if not store.url.startswith("sqlite"):
        pytest.skip("the query plan is read on SQLite")
    store.request("U1", "line", now=T0)
    engine = engine_for(store.url)
    statements: List[Any] = []

    def record(_connection, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert store.active("U1").sender == "U1"
    finally:
        event.remove(engine, "before_cursor_execute", record)
    [(statement, parameters)] = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    with engine.connect() as connection:
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                                           parameters))
    assert "USING INDEX" in plan and "SCAN" not in plan, plan


# ---- the queue -----------------------------------------------------------------------------------------------------

def test_asking_twice_while_queued_or_connected_is_one_handover(store):
    first = store.request("U1", "line", 21, [21, 6], now=T0)
    assert (first.state, first.channel, first.focus, first.candidates) == ("queued", "line", 21, (21, 6))
    assert first.requested_at == T0 and first.requested_at.tzinfo is not None
    assert store.request("U1", "line", 21, [21, 6], now=T0 + timedelta(seconds=5)).id == first.id
    assert store.take(first.id, "sato", "佐藤", now=T0 + timedelta(seconds=10))
    assert store.request("U1", "line", now=T0 + timedelta(seconds=20)).id == first.id  # connected: the same one
    assert store.active("U1").state == "connected"
    assert count(store, models.Handover) == 1
    assert store.end(first.id, "returned", now=T0 + timedelta(minutes=5))
    assert store.active("U1") is None
    again = store.request("U1", "line", now=T0 + timedelta(minutes=6))  # after the end: a new one
    assert again.id != first.id and count(store, models.Handover) == 2


def test_two_processes_asking_at_once_make_one_handover(store, second_store):
    for index in range(5):
        sender = f"U-race-{index}"
        one, other = race(lambda: store.request(sender, "rest", now=T0),
                          lambda: second_store.request(sender, "rest", now=T0))
        assert one.id == other.id
    assert count(store, models.Handover) == 5


def test_the_database_refuses_a_second_active_handover_for_a_sender(store):
    store.request("U1", "line", now=T0)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with handover_db.session_factory(store.url)() as db, db.begin():
            db.add(models.Handover(sender="U1", channel="line", state="connected", candidates=[],
                                   requested_at=T0, updated_at=T0))


def test_positions_count_queued_handovers_oldest_first(store):
    a = store.request("A", "rest", now=T0)
    b = store.request("B", "line", now=T0 + timedelta(seconds=1))
    c = store.request("C", "rest", now=T0 + timedelta(seconds=2))
    assert [store.position(h.id) for h in (a, b, c)] == [1, 2, 3]
    assert [h.id for h in store.waiting()] == [a.id, b.id, c.id]
    assert store.take(a.id, "sato", "佐藤", now=T0 + timedelta(seconds=3))
    assert [store.position(h.id) for h in (a, b, c)] == [None, 1, 2]  # a is connected, no longer in line
    assert [h.id for h in store.waiting()] == [a.id, b.id, c.id]     # still the console's: connected
    assert store.end(b.id, "user_left", now=T0 + timedelta(seconds=4))
    assert store.position(c.id) == 1 and [h.id for h in store.waiting()] == [a.id, c.id]
    assert store.position(9999) is None


def test_the_wait_is_the_position_times_the_default_without_history(store, monkeypatch):
    a = store.request("A", "rest", now=T0)
    b = store.request("B", "rest", now=T0 + timedelta(seconds=1))
    assert (store.expected_wait_seconds(a.id), store.expected_wait_seconds(b.id)) == (180, 360)
    monkeypatch.setenv("HANDOVER_DEFAULT_WAIT_SECONDS", "100")
    assert store.expected_wait_seconds(b.id) == 200
    assert store.queued_state(b.id) == {"state": "queued", "position": 2, "wait_seconds": 200}


def test_the_wait_is_the_position_times_the_median_handling_time(store):
    for index, minutes in enumerate((1, 5, 3)):  # handled in 1, 5 and 3 minutes: the median is 3
        handover = store.request(f"H{index}", "rest", now=T0)
        assert store.take(handover.id, "sato", "佐藤", now=T0 + timedelta(minutes=1))
        assert store.end(handover.id, "returned", now=T0 + timedelta(minutes=1 + minutes))
    first = store.request("A", "rest", now=T0 + timedelta(minutes=10))
    second = store.request("B", "rest", now=T0 + timedelta(minutes=11))
    assert store.handling_seconds() == 180
    assert (store.expected_wait_seconds(first.id), store.expected_wait_seconds(second.id)) == (180, 360)
    assert store.take(first.id, "sato", "佐藤", now=T0 + timedelta(minutes=12))
    assert store.expected_wait_seconds(first.id) is None and store.expected_wait_seconds(second.id) == 180


# ---- taking --------------------------------------------------------------------------------------------------------

def test_taking_connects_and_tells_the_user(store):
    handover = store.request("U1", "line", now=T0)
    assert store.take(handover.id, "sato", "佐藤", now=T0 + timedelta(seconds=40))
    taken = store.get(handover.id)
    assert (taken.state, taken.taken_by, taken.taken_by_name) == ("connected", "sato", "佐藤")
    assert taken.taken_at == T0 + timedelta(seconds=40)
    [told] = store.messages_after("U1")
    assert told.author == "system" and "佐藤" in told.text
    assert told.custom == {"handover": {"state": "connected", "staff": "佐藤"}}


def test_of_two_staff_taking_at_once_exactly_one_gets_it(store, second_store):
    for index in range(5):
        handover = store.request(f"U{index}", "rest", now=T0)
        results = race(lambda: store.take(handover.id, "sato", "佐藤", now=T0),
                       lambda: second_store.take(handover.id, "kimura", "木村", now=T0))
        assert sorted(results) == [False, True], results
        winner = ("sato", "佐藤") if results[0] else ("kimura", "木村")
        taken = store.get(handover.id)
        assert (taken.taken_by, taken.taken_by_name) == winner
        assert len(store.messages(handover.id)) == 1  # one "connected" message, not two


def test_a_handover_cannot_be_taken_once_taken_expired_or_ended(store):
    handover = store.request("U1", "line", now=T0)
    assert store.take(handover.id, "sato", "佐藤", now=T0)
    assert not store.take(handover.id, "kimura", "木村", now=T0)
    late = store.request("U2", "line", now=T0)
    assert [h.id for h in store.expire_queued(now=T0 + timedelta(minutes=10))] == [late.id]
    assert not store.take(late.id, "sato", "佐藤", now=T0 + timedelta(minutes=10))
    left = store.request("U3", "line", now=T0)
    assert store.end(left.id, "user_left", now=T0)
    assert not store.take(left.id, "sato", "佐藤", now=T0)
    assert not store.take(9999, "sato", "佐藤", now=T0)


# ---- messages ------------------------------------------------------------------------------------------------------

def test_a_message_over_the_cap_is_refused_and_nothing_is_stored(store):
    handover_id = connected(store)
    before = count(store, models.Message)
    with pytest.raises(MessageTooLong) as raised:
        store.add_message(handover_id, "user", "あ" * (MAX_MESSAGE_CHARS + 1), key="k1", now=T0)
    assert raised.value.limit == MAX_MESSAGE_CHARS and raised.value.length == MAX_MESSAGE_CHARS + 1
    assert isinstance(raised.value, ValueError)
    assert count(store, models.Message) == before
    assert store.get(handover_id).updated_at == T0 + timedelta(seconds=30)  # untouched
    at_cap = store.add_message(handover_id, "user", "あ" * MAX_MESSAGE_CHARS, key="k1", now=T0)
    assert len(at_cap.text) == MAX_MESSAGE_CHARS and count(store, models.Message) == before + 1


def test_a_retry_with_the_same_key_stores_nothing_twice(store):
    handover_id = connected(store)
    first = store.add_message(handover_id, "staff", "お電話番号を伺えますか", key="c-1", now=T0)
    again = store.add_message(handover_id, "staff", "お電話番号を伺えますか", key="c-1", now=T0 + timedelta(seconds=3))
    assert again.id == first.id and again.created_at == first.created_at
    other = store.add_message(handover_id, "staff", "お電話番号を伺えますか", key="c-2", now=T0)
    unkeyed = [store.add_message(handover_id, "user", "はい", now=T0) for _ in range(2)]  # no key: each is new
    assert len({first.id, other.id, *(m.id for m in unkeyed)}) == 4
    assert store.end(handover_id, "returned", now=T0 + timedelta(minutes=1))
    # the retry of a message sent just before the end still finds it, instead of being refused as too late
    assert store.add_message(handover_id, "staff", "お電話番号を伺えますか", key="c-1", now=T0).id == first.id
    another = connected(store, sender="U2")
    assert store.add_message(another, "staff", "はじめまして", key="c-1", now=T0).id != first.id  # per handover


def test_two_processes_retrying_at_once_store_one_message(store, second_store):
    handover_id = connected(store)
    for index in range(5):
        key = f"k-{index}"
        one, other = race(lambda: store.add_message(handover_id, "user", "資金繰りの相談です", key=key, now=T0),
                          lambda: second_store.add_message(handover_id, "user", "資金繰りの相談です", key=key, now=T0))
        assert one.id == other.id
    assert len([m for m in store.messages(handover_id) if m.author == "user"]) == 5


def test_who_may_write_when(store):
    handover = store.request("U1", "rest", now=T0)
    assert store.add_message(handover.id, "user", "急ぎです", now=T0).author == "user"  # waiting: staff read it later
    with pytest.raises(HandoverClosed):
        store.add_message(handover.id, "staff", "お待たせしました", now=T0)  # nobody took it yet
    assert store.take(handover.id, "sato", "佐藤", now=T0)
    store.add_message(handover.id, "staff", "お待たせしました", now=T0)
    assert store.end(handover.id, "returned", now=T0)
    for author in ("user", "staff"):
        with pytest.raises(HandoverClosed):
            store.add_message(handover.id, author, "まだいますか", now=T0)
    with pytest.raises(HandoverClosed):
        store.add_message(9999, "user", "こんにちは", now=T0)
    with pytest.raises(ValueError):
        store.add_message(handover.id, "bot", "こんにちは", now=T0)


def test_the_web_chat_gets_staff_and_system_messages_after_its_cursor(store):
    handover_id = connected(store, sender="web-1", channel="rest")
    store.add_message(handover_id, "user", "補助金について", now=T0)
    card = {"programs": [{"section": 6, "slug": "funding", "name": "資金", "desk": "窓口", "phone": "017-000-0000"}]}
    staff = store.add_message(handover_id, "staff", "こちらの制度です", custom=card, now=T0)
    connected_to(store, "web-2")
    delivered = store.messages_after("web-1")
    assert [m.author for m in delivered] == ["system", "staff"]
    assert [m.id for m in delivered] == sorted(m.id for m in delivered)
    assert delivered[-1].custom == card and delivered[-1].sender == "web-1"
    assert store.messages_after("web-1", after_id=staff.id) == []
    later = store.add_message(handover_id, "staff", "ほかにご質問は？", now=T0)
    assert [m.id for m in store.messages_after("web-1", after_id=staff.id)] == [later.id]
    assert [m.author for m in store.messages(handover_id)] == ["system", "user", "staff", "staff"]  # the console's


def connected_to(store: HandoverStore, sender: str) -> None:
    handover_id = connected(store, sender=sender, channel="rest")
    store.add_message(handover_id, "staff", "別の方へのメッセージ", now=T0)


# ---- the LINE outbox -----------------------------------------------------------------------------------------------

def outbox(store: HandoverStore, messages: int) -> List[int]:
    handover_id = connected(store, sender="Uline")
    ids = [m.id for m in store.messages(handover_id)]  # the "connected" message
    ids += [store.add_message(handover_id, "staff", f"メッセージ{n}", now=T0).id for n in range(messages - 1)]
    store.add_message(handover_id, "user", "ユーザーの発言は送らない", now=T0)
    connected_to(store, "web-1")  # the web chat's are not LINE's to push
    return ids


def test_a_users_later_messages_wait_behind_an_earlier_one_still_claimed(store):
    """A push that failed (or a worker that died holding its claim) keeps the message claimed until the lease lapses:
    what staff write meanwhile must not overtake it. Other users' messages go out as usual."""
    ids = outbox(store, 2)  # "Uline": connected notice and a staff message
    first = store.claim_undelivered("line", "worker-1", now=T0, lease_seconds=60)
    assert [m.id for m in first] == ids
    store.mark_delivered([ids[0]], now=T0)  # the first pushed; the second failed (retried after the lease)
    handover_id = store.active("Uline").id
    later = store.add_message(handover_id, "staff", "続けてのメッセージ", now=T0 + timedelta(seconds=1))
    other = connected(store, sender="Uother")
    others = [m.id for m in store.messages(other)]
    waiting = store.claim_undelivered("line", "worker-2", now=T0 + timedelta(seconds=2), lease_seconds=60)
    assert [m.id for m in waiting] == others  # "Uline"'s newest waits behind its claimed one
    after_lease = store.claim_undelivered("line", "worker-2", now=T0 + timedelta(seconds=60), lease_seconds=60)
    assert [m.id for m in after_lease] == [ids[1], later.id]  # together, in order


def test_two_workers_never_claim_the_same_message(store, second_store):
    ids = outbox(store, 12)
    one, other = race(lambda: store.claim_undelivered("line", "worker-1", now=T0, limit=7),
                      lambda: second_store.claim_undelivered("line", "worker-2", now=T0, limit=7))
    one_ids, other_ids = {m.id for m in one}, {m.id for m in other}
    assert not one_ids & other_ids
    # The first seven, and the other five when the second claim ran while the first was being made (PostgreSQL skips
    # the rows the first has locked); after it, they wait behind the first's live claim (one user's, in order).
    assert one_ids | other_ids in (set(ids[:7]), set(ids))
    assert {m.claimed_by.split("#")[0] for m in one} <= {"worker-1"}
    assert store.claim_undelivered("line", "worker-3", now=T0 + timedelta(seconds=59)) == []  # all held


def test_a_claim_by_one_worker_is_not_claimed_again_until_its_lease_expires(store):
    ids = outbox(store, 3)
    claimed = store.claim_undelivered("line", "worker-1", now=T0, lease_seconds=60)
    assert [m.id for m in claimed] == ids and all(m.author in ("staff", "system") for m in claimed)
    assert store.claim_undelivered("line", "worker-1", now=T0, lease_seconds=60) == []  # even the same worker
    assert store.claim_undelivered("line", "worker-2", now=T0 + timedelta(seconds=59), lease_seconds=60) == []
    store.mark_delivered([ids[0]], now=T0 + timedelta(seconds=1))  # worker-1 pushed one, then died
    reclaimed = store.claim_undelivered("line", "worker-2", now=T0 + timedelta(seconds=60), lease_seconds=60)
    assert [m.id for m in reclaimed] == ids[1:]  # the expired claim is worker-2's now; the pushed one is not
    assert store.mark_delivered([m.id for m in reclaimed], now=T0 + timedelta(seconds=61)) == 2
    assert store.mark_delivered(ids, now=T0 + timedelta(seconds=62)) == 0  # already marked
    assert store.claim_undelivered("line", "worker-3", now=T0 + timedelta(hours=1)) == []
    delivered = [m for m in store.messages(store.active("Uline").id) if m.author != "user"]
    assert all(m.delivered_at is not None for m in delivered)


# ---- timing out ----------------------------------------------------------------------------------------------------

def test_a_request_not_taken_in_time_times_out_and_the_user_is_told(store):
    waiting = store.request("U1", "line", now=T0)
    taken = store.request("U2", "line", now=T0)
    assert store.take(taken.id, "sato", "佐藤", now=T0 + timedelta(seconds=1))
    assert store.expire_queued(now=T0 + timedelta(seconds=599), timeout_seconds=600) == []
    [expired] = store.expire_queued(now=T0 + timedelta(seconds=600), timeout_seconds=600)
    assert (expired.id, expired.state, expired.outcome) == (waiting.id, "timed_out", "timed_out")
    assert expired.ended_at == T0 + timedelta(seconds=600)
    assert store.active("U1") is None and store.get(taken.id).state == "connected"  # connected ones stay
    [told] = store.messages_after("U1")
    assert told.author == "system" and told.text == contract.TIMED_OUT_TEXT
    assert told.custom == {"handover": {"state": "unavailable", "callback": True,
                                        "next_staffed": "2026-11-27T10:10:00+09:00"}}  # staffed now: busy, not closed
    assert store.expire_queued(now=T0 + timedelta(hours=1), timeout_seconds=600) == []  # once


def test_the_timeout_comes_from_the_settings_and_the_clock(store, monkeypatch):
    monkeypatch.setenv("HANDOVER_QUEUE_TIMEOUT_SECONDS", "120")
    evening = datetime(2026, 11, 27, 17, 14, tzinfo=JST)
    with time_machine.travel(evening.astimezone(UTC), tick=False):
        handover = store.request("U1", "rest")
        assert handover.requested_at == evening
    with time_machine.travel((evening + timedelta(seconds=119)).astimezone(UTC), tick=False):
        assert store.expire_queued() == []
    with time_machine.travel((evening + timedelta(seconds=120)).astimezone(UTC), tick=False):
        assert [h.id for h in store.expire_queued()] == [handover.id]
    [told] = store.messages_after("U1")
    assert told.custom["handover"]["next_staffed"] == "2026-11-30T08:30:00+09:00"  # Friday evening: Monday


def test_a_take_and_an_expiry_at_once_leave_one_outcome(store, second_store):
    for index in range(5):
        handover = store.request(f"U{index}", "rest", now=T0)
        took, expired = race(lambda: store.take(handover.id, "sato", "佐藤", now=T0 + timedelta(seconds=600)),
                             lambda: second_store.expire_queued(now=T0 + timedelta(seconds=600), timeout_seconds=600))
        state = store.get(handover.id).state
        assert (took, bool(expired), state) in ((True, False, "connected"), (False, True, "timed_out"))
        assert len(store.messages(handover.id)) == 1


# ---- ending ----------------------------------------------------------------------------------------------------------

def test_ending(store):
    handover_id = connected(store)
    assert store.end(handover_id, "returned", now=T0 + timedelta(minutes=3))
    ended = store.get(handover_id)
    assert (ended.state, ended.outcome, ended.ended_at) == ("ended", "returned", T0 + timedelta(minutes=3))
    assert store.messages_after("U1")[-1].custom == {"handover": {"state": "ended"}}
    assert not store.end(handover_id, "user_left", now=T0 + timedelta(minutes=4))  # once
    left = store.request("U2", "rest", now=T0)
    assert store.end(left.id, "user_left", now=T0)
    assert store.messages_after("U2") == []  # the user's own turn answers them
    with pytest.raises(ValueError):
        store.end(connected(store, sender="U3"), "timed_out", now=T0)


# ---- staff presence ------------------------------------------------------------------------------------------------

def test_staff_seen_recently_are_on_duty(store):
    store.seen("sato", "佐藤", now=T0)
    store.seen("kimura", "木村", now=T0 + timedelta(seconds=30))
    store.seen("sato", "佐藤 花子", now=T0 + timedelta(seconds=60))  # seen again, a new display name
    assert [(p.login, p.name) for p in store.on_duty(now=T0 + timedelta(seconds=90), within_seconds=90)] == [
        ("sato", "佐藤 花子"), ("kimura", "木村")]
    assert [p.login for p in store.on_duty(now=T0 + timedelta(seconds=121), within_seconds=90)] == ["sato"]
    assert store.on_duty(now=T0 + timedelta(seconds=151), within_seconds=90) == []
    assert count(store, models.StaffPresence) == 2


# ---- call-back requests --------------------------------------------------------------------------------------------

def test_call_back_requests_move_forward_only(store):
    first = store.add_callback("U1", "line", 6, "資金繰りについて相談したい", CONTACT, now=T0)
    second = store.add_callback(None, "rest", None, "事業承継", EMAIL, now=T0 + timedelta(seconds=1))
    assert (first.status, first.section, first.contact, first.done_at) == ("new", 6, CONTACT, None)
    assert [c.id for c in store.callbacks()] == [first.id, second.id]
    assert store.set_callback_status(first.id, "in_progress", now=T0 + timedelta(minutes=1))
    assert not store.set_callback_status(first.id, "in_progress", now=T0)
    assert store.set_callback_status(first.id, "done", now=T0 + timedelta(minutes=2))
    assert not store.set_callback_status(first.id, "in_progress", now=T0)  # done is done
    assert store.set_callback_status(second.id, "done", now=T0 + timedelta(minutes=3))  # new → done directly
    assert not store.set_callback_status(9999, "done", now=T0)
    with pytest.raises(ValueError):
        store.set_callback_status(second.id, "new", now=T0)
    [done_first, done_second] = store.callbacks("done")
    assert done_first.done_at == T0 + timedelta(minutes=2) and done_second.updated_at == T0 + timedelta(minutes=3)
    assert store.callbacks("new") == []


def test_a_contact_is_never_logged(store, caplog):
    # The root logger at DEBUG: the store's logs at every level. (SQLAlchemy's statement log keeps its own level,
    # WARNING: at INFO it would print parameters, see handover/store.py.)
    caplog.set_level(logging.DEBUG)
    callback = store.add_callback("U1", "line", 6, "資金繰り", CONTACT, now=T0)
    store.set_callback_status(callback.id, "in_progress", now=T0)
    store.callbacks()
    store.set_callback_status(callback.id, "done", now=T0)
    store.prune_callbacks(now=T0 + timedelta(days=31))
    with pytest.raises(ValueError) as too_long:
        store.add_callback("U1", "line", 6, "資金繰り", EMAIL * 20, now=T0)
    assert EMAIL not in str(too_long.value)
    refuse_callbacks(store)
    with pytest.raises(StoreError) as failed:
        store.add_callback("U1", "line", 6, "資金繰り", EMAIL, now=T0)
    # The database's own message quotes the parameters: it is neither the message nor attached as a cause.
    assert failed.value.__cause__ is None and failed.value.__context__ is None
    logging.getLogger("a.caller").exception("could not store a call-back request", exc_info=failed.value)
    records = caplog.records
    assert records, "the store logged nothing to check"
    for secret in (CONTACT, EMAIL):
        assert secret not in caplog.text
        assert not any(secret in repr(vars(record)) for record in records)
    assert CONTACT not in repr(callback) and "資金繰り" not in repr(callback)


def refuse_callbacks(store: HandoverStore) -> None:
    """Make the database refuse new call-back requests (its error then quotes the statement's parameters)."""
    with engine_for(store.url).begin() as connection:
        if store.url.startswith("sqlite"):
            connection.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON callback_requests "
                                       "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:
            connection.exec_driver_sql("ALTER TABLE callback_requests ADD CONSTRAINT refuse CHECK (false) NOT VALID")


def test_the_records_show_no_personal_data_in_their_repr(store):
    handover_id = connected(store, sender="Uabcdef0123456789")
    message = store.add_message(handover_id, "user", "090-1111-2222に電話ください", now=T0)
    for record in (store.get(handover_id), message):
        assert "Uabcdef0123456789" not in repr(record) and "090-1111-2222" not in repr(record)
    assert isinstance(store.add_callback("U1", "rest", None, "x", CONTACT, now=T0), Callback)


# ---- retention -----------------------------------------------------------------------------------------------------

def test_call_back_requests_done_longer_ago_than_the_retention_are_deleted(store, monkeypatch):
    monkeypatch.setenv("CALLBACK_RETENTION_DAYS", "30")
    done = store.add_callback("U1", "line", 6, "資金繰り", CONTACT, now=T0)
    store.set_callback_status(done.id, "done", now=T0)
    open_ = store.add_callback("U2", "line", 6, "資金繰り", EMAIL, now=T0 - timedelta(days=90))  # never done
    working = store.add_callback("U3", "line", 6, "承継", EMAIL, now=T0 - timedelta(days=90))
    store.set_callback_status(working.id, "in_progress", now=T0 - timedelta(days=89))
    assert store.prune_callbacks(now=T0 + timedelta(days=30)) == 0  # exactly at the boundary: kept
    assert store.prune_callbacks(now=T0 + timedelta(days=30, seconds=1)) == 1
    assert [c.id for c in store.callbacks()] == [open_.id, working.id]
    assert store.prune_callbacks(now=T0 + timedelta(days=7, seconds=1), retention_days=7) == 0


def test_handovers_ended_longer_ago_than_the_retention_lose_their_messages_and_sender(store, monkeypatch):
    monkeypatch.setenv("HANDOVER_RETENTION_DAYS", "30")
    old_id = connected(store, sender="Uold")
    store.add_message(old_id, "user", "090-1111-2222 です", now=T0)
    ended_at = T0 + timedelta(minutes=5)
    assert store.end(old_id, "returned", now=ended_at)
    still_open = connected(store, sender="Uopen", now=T0 - timedelta(days=60))  # never ended: kept whole
    assert store.prune_handovers(now=ended_at + timedelta(days=30)) == 0  # exactly at the boundary: kept
    assert len(store.messages(old_id)) == 3 and store.get(old_id).sender == "Uold"
    assert store.prune_handovers(now=ended_at + timedelta(days=30, seconds=1)) == 1
    pruned = store.get(old_id)
    assert pruned.sender is None and store.messages(old_id) == [] and store.messages_after("Uold") == []
    assert (pruned.state, pruned.outcome, pruned.taken_by, pruned.taken_by_name) == ("ended", "returned", "sato", "佐藤")
    assert (pruned.requested_at, pruned.taken_at, pruned.ended_at) == (T0, T0 + timedelta(seconds=30), ended_at)
    assert store.get(still_open).sender == "Uopen" and len(store.messages(still_open)) == 1
    assert store.prune_handovers(now=ended_at + timedelta(days=60)) == 0  # once
    assert store.figures(days=1, now=T0).requests == 1  # the record still counts (the other was 60 days ago)


# ---- figures ---------------------------------------------------------------------------------------------------------

def test_figures_count_per_japanese_day_with_the_median_wait_and_the_timed_out_share(store):
    now = datetime(2026, 11, 27, 12, 0, tzinfo=JST)

    def handled(sender: str, requested: datetime, wait_seconds: int) -> None:
        handover = store.request(sender, "rest", now=requested)
        assert store.take(handover.id, "sato", "佐藤", now=requested + timedelta(seconds=wait_seconds))
        assert store.end(handover.id, "returned", now=requested + timedelta(seconds=wait_seconds + 300))

    handled("before", datetime(2026, 11, 20, 23, 59, tzinfo=JST), 10_000)  # the day before the window
    handled("first-day", datetime(2026, 11, 21, 0, 0, tzinfo=JST), 60)     # 15:00 UTC on the 20th
    handled("late", datetime(2026, 11, 26, 23, 59, tzinfo=JST), 180)
    handled("midnight", datetime(2026, 11, 27, 0, 0, tzinfo=JST), 240)
    store.request("timed-out", "line", now=datetime(2026, 11, 27, 9, 0, tzinfo=JST))
    assert len(store.expire_queued(now=datetime(2026, 11, 27, 9, 10, tzinfo=JST), timeout_seconds=600)) == 1
    store.request("waiting", "line", now=datetime(2026, 11, 27, 11, 59, tzinfo=JST))

    figures = store.figures(days=7, now=now)
    assert [(day.isoformat(), n) for day, n in figures.per_day] == [
        ("2026-11-21", 1), ("2026-11-22", 0), ("2026-11-23", 0), ("2026-11-24", 0), ("2026-11-25", 0),
        ("2026-11-26", 1), ("2026-11-27", 3)]
    assert (figures.requests, figures.taken, figures.median_wait_seconds) == (5, 3, 180)
    assert (figures.timed_out, figures.timed_out_share) == (1, 0.25)  # of the four no longer queued
    empty = store.figures(days=3, now=datetime(2027, 3, 1, tzinfo=JST))
    assert empty.requests == 0 and empty.median_wait_seconds is None and empty.timed_out_share is None
    assert len(empty.per_day) == 3


# ---- the reply contract ------------------------------------------------------------------------------------------------

def test_the_contract_objects_have_exactly_these_keys():
    assert contract.queued(2, 360) == {"state": "queued", "position": 2, "wait_seconds": 360}
    assert contract.connected("佐藤") == {"state": "connected", "staff": "佐藤"}
    assert contract.ended() == {"state": "ended"}
    monday = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Monday 08:30 in Japan
    assert contract.unavailable(False, monday) == {"state": "unavailable", "callback": False,
                                                   "next_staffed": "2026-11-30T08:30:00+09:00"}
    assert contract.custom(contract.ended()) == {contract.KEY: {"state": "ended"}} == {"handover": {"state": "ended"}}
    for bad in (lambda: contract.queued(0, 10), lambda: contract.queued(1, -1),
                lambda: contract.unavailable(True, datetime(2026, 11, 30, 8, 30))):
        with pytest.raises(ValueError):
            bad()


# ---- checks and the package's place ------------------------------------------------------------------------------------

def test_a_naive_moment_or_an_unknown_channel_is_refused(store):
    with pytest.raises(ValueError):
        store.request("U1", "line", now=datetime(2026, 11, 27, 10, 0))
    with pytest.raises(ValueError):
        store.request("U1", "facebook", now=T0)
    with pytest.raises(ValueError):
        store.request("U" * 129, "rest", now=T0)
    assert count(store, models.Handover) == 0


def test_the_package_uses_no_rasa_no_http_and_no_layer_above_it():
    above = {"bot", "console", "eval", "webchat", "rasa", "rasa_sdk", "sanic", "aiohttp", "httpx", "requests"}
    for path in (ROOT / "handover").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not {name.split(".")[0] for name in names} & above, f"{path.name} imports {names}"

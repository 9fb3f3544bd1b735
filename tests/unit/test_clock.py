"""Behaviour that depends on the clock, checked under a controlled one: the opening hours the assistant reports
(knowledge/hours.py with knowledge/calendar.yml and jpholiday), the review log's retention and prune schedule
(review/log.py) and conversation expiry (bot/tracker_store.py).

Wall-clock time is moved with ``time_machine``; it does not move ``time.monotonic``, which is replaced by a
settable clock where a test needs the uptime of a machine that has just booted (monotonic near 0).
Destinations are given in UTC so that the process's local time zone is UTC during travel, as on the servers:
an answer that took the local date for Japan's would show here.
"""
from __future__ import annotations

import asyncio
import importlib.util
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.actions.question_actions import ActionAnswerField
from bot.tracker_store import SWEEP_EVERY_SECONDS, ExpiringInMemoryTrackerStore, ExpiringSQLTrackerStore
from knowledge import facts, query
from knowledge.hours import JST
from review import log
from review.models import Turn
from tests.unit.test_actions import run

UTC = ZoneInfo("UTC")
DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
OPEN = "ただいま受付時間内です。"


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


def travel(moment: datetime) -> time_machine.travel:
    """Stop the wall clock at ``moment``, with the process's local time zone set to UTC."""
    return time_machine.travel(moment.astimezone(UTC), tick=False)


class Monotonic:
    """A settable ``time.monotonic``: seconds since boot."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


# ---- opening hours, as the assistant reports them ---------------------------------------------------------------

@pytest.fixture
def store(kb_url, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DB_URL", kb_url)


def hours_reply(moment: datetime) -> str:
    """The assistant's answer to 「受付時間は？」 about §2 (平日 8:30～17:15, closed on holidays and 年末年始) at
    ``moment``."""
    with travel(moment):
        return run(ActionAnswerField(), "受付時間は？", "ask_hours", slots={"program": "2"}).text


def next_opening_text(moment: datetime) -> str:
    return f"ただいま受付時間外です。次の受付開始は{facts.moment_text(moment)}です。"


def test_the_clock_under_travel_is_the_destination():
    with travel(jst(2026, 11, 27, 0, 0)):
        assert datetime.now(JST) == jst(2026, 11, 27, 0, 0)
        assert datetime.now(timezone.utc) == datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)
        assert datetime.now().date().day == 26  # the local zone is UTC: the local date is the day before Japan's


@pytest.mark.parametrize("moment", [
    jst(2026, 11, 27, 10, 0),   # Friday morning
    jst(2026, 11, 27, 8, 30),   # opening moment
    jst(2026, 11, 27, 17, 14),  # a minute before closing
    jst(2026, 11, 24, 13, 0),   # Tuesday after 勤労感謝の日
    jst(2026, 12, 28, 16, 0),   # last working day of the year
])
def test_a_weekday_during_hours_is_open(store, moment):
    reply = hours_reply(moment)
    assert OPEN in reply and "次の受付開始" not in reply, reply
    assert "受付時間：平日8：30～17：15" in reply


@pytest.mark.parametrize("moment, opens", [
    (jst(2026, 11, 23, 10, 0), jst(2026, 11, 24, 8, 30)),  # 勤労感謝の日 (Monday): Tuesday
    (jst(2026, 5, 6, 10, 0), jst(2026, 5, 7, 8, 30)),      # 振替休日 for 憲法記念日 on a Sunday
    (jst(2026, 5, 2, 10, 0), jst(2026, 5, 7, 8, 30)),      # Saturday in Golden Week: five days closed
    (jst(2026, 9, 22, 10, 0), jst(2026, 9, 24, 8, 30)),    # 国民の休日 between 敬老の日 and 秋分の日
    (jst(2027, 1, 1, 10, 0), jst(2027, 1, 4, 8, 30)),      # 元日, in the year-end closure
    (jst(2026, 12, 29, 9, 0), jst(2027, 1, 4, 8, 30)),     # first day of the year-end closure
])
def test_on_a_public_holiday_the_next_opening_is_the_next_business_day_at_opening(store, moment, opens):
    assert next_opening_text(opens) in hours_reply(moment)


@pytest.mark.parametrize("moment, opens", [
    (jst(2026, 11, 28, 10, 0), jst(2026, 11, 30, 8, 30)),  # Saturday
    (jst(2026, 11, 29, 23, 59), jst(2026, 11, 30, 8, 30)),  # Sunday night
    (jst(2026, 11, 21, 12, 0), jst(2026, 11, 24, 8, 30)),  # Saturday before 勤労感謝の日 (Monday)
    (jst(2026, 11, 27, 17, 15), jst(2026, 11, 30, 8, 30)),  # Friday, closing moment
])
def test_on_a_weekend_the_next_opening_is_monday_at_opening(store, moment, opens):
    assert next_opening_text(opens) in hours_reply(moment)


@pytest.mark.parametrize("moment, opens", [
    # 00:00 Friday in Japan is 15:00 Thursday in UTC: today in Japan, not Thursday's closing
    (jst(2026, 11, 27, 0, 0), jst(2026, 11, 27, 8, 30)),
    # 00:00 Saturday in Japan is 15:00 Friday in UTC, inside Friday's hours there: closed, Monday next
    (jst(2026, 11, 28, 0, 0), jst(2026, 11, 30, 8, 30)),
    # 00:00 on 勤労感謝の日 in Japan is 15:00 Sunday in UTC
    (jst(2026, 11, 23, 0, 0), jst(2026, 11, 24, 8, 30)),
    # 00:00 on the 4th of January in Japan is 15:00 on the 3rd, still 年末年始, in UTC: opens that morning
    (jst(2027, 1, 4, 0, 0), jst(2027, 1, 4, 8, 30)),
    # a second before midnight in Japan (14:59:59 UTC): still the evening before
    (jst(2026, 11, 26, 23, 59, 59), jst(2026, 11, 27, 8, 30)),
])
def test_at_midnight_in_japan_the_day_is_japans(store, moment, opens):
    assert next_opening_text(opens) in hours_reply(moment)


def test_the_hours_moment_is_read_at_each_question(store):
    """A process started on a closed day answers from the clock of each question, not of its start."""
    assert "次の受付開始" in hours_reply(jst(2026, 11, 23, 10, 0))
    assert OPEN in hours_reply(jst(2026, 11, 24, 10, 0))


def test_open_status_of_naive_moments_is_japan_time(db):
    desk = query.program(db, 2).main_desk
    assert query.open_status(db, desk, datetime(2026, 11, 27, 10, 0)).is_open is True
    assert query.open_status(db, desk, datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)).is_open is True  # 10:00
    assert query.open_status(db, desk, datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)).is_open is False  # 19:00


# ---- the review log: retention and the prune schedule -----------------------------------------------------------

def record(db, turn: str, sender: str = "U1234567890abcdef", writer=log) -> None:
    writer.record_turn(db, sender, turn, "line", "answer", "後継ぎがいない", "program_business_succession",
                       [{"section": 21, "score": 0.91}], 21)


@pytest.fixture
def uptime(monkeypatch):
    """``time.monotonic`` at 5 s after boot, settable."""
    clock = Monotonic(5.0)
    monkeypatch.setattr(time, "monotonic", clock)
    return clock


def started_log():
    """review/log.py as a process that has just started has it: its module state as first set, apart from the
    module the other tests share."""
    spec = importlib.util.spec_from_file_location("review_log_just_started", log.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_first_write_just_after_boot_prunes(review_db, uptime, monkeypatch):
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "90")
    monkeypatch.setitem(log._last_prune, "at", uptime.now)  # no prune while the old turn is written
    start = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)
    with travel(start - timedelta(days=91)):
        record(review_db, "old")
    restarted = started_log()
    with travel(start):
        record(review_db, "new", writer=restarted)  # 5 s after boot: monotonic is far below PRUNE_EVERY_SECONDS
    assert [t.turn for t in log.turns(review_db)] == ["new"]
    assert restarted._last_prune["at"] == 5.0


def test_writers_prune_at_most_once_an_hour_of_uptime(review_db, uptime, monkeypatch):
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "90")
    monkeypatch.setitem(log._last_prune, "at", None)  # no prune yet in this process
    start = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)
    with travel(start):
        record(review_db, "first")  # the first prune, at 5 s of uptime
    uptime.now += log.PRUNE_EVERY_SECONDS - 1
    with travel(start + timedelta(days=91)):
        record(review_db, "second")  # "first" is past retention, but the hour is not over
        assert {t.turn for t in log.turns(review_db)} == {"first", "second"}
    uptime.now += 1
    with travel(start + timedelta(days=91, seconds=1)):
        record(review_db, "third")  # an hour after the first prune: the next
    assert [t.turn for t in log.turns(review_db)] == ["second", "third"]


def test_retention_is_counted_from_the_clock(review_db, monkeypatch):
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "90")
    monkeypatch.setitem(log._last_prune, "at", time.monotonic())  # no scheduled prune during the test
    start = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)  # midnight in Japan
    with travel(start):
        record(review_db, "kept")
        [turn] = log.turns(review_db)
        assert (turn.at if turn.at.tzinfo else turn.at.replace(tzinfo=timezone.utc)) == start
    with travel(start + timedelta(days=90)):
        assert log.prune(review_db) == 0  # exactly 90 days old: kept
    with travel(start + timedelta(days=90, seconds=1)):
        assert log.prune(review_db) == 1
    assert review_db.query(Turn).count() == 0


# ---- conversation expiry -------------------------------------------------------------------------------------------

def tracker(sender: str) -> DialogueStateTracker:
    """A conversation of one message, its events stamped with the (travelled) wall clock."""
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"),
        UserUttered("後継ぎがいない", {"name": "program_business_succession", "confidence": 0.9}),
    ])


def test_memory_store_started_just_after_boot_sweeps_on_schedule():
    uptime = Monotonic(5.0)  # the store's clock is time.monotonic: seconds since boot
    store = ExpiringInMemoryTrackerStore(DOMAIN, retention_hours=1, clock=uptime)
    asyncio.run(store.save(tracker("early")))
    uptime.now += 3600 + 1
    asyncio.run(store.save(tracker("later")))  # past the sweep interval: the idle conversation goes
    assert set(store.store) == {"later"}
    uptime.now += SWEEP_EVERY_SECONDS - 1
    asyncio.run(store.save(tracker("again")))
    assert set(store.store) == {"later", "again"}


def test_memory_store_keeps_a_conversation_for_the_retention_period():
    uptime = Monotonic(0.5)
    store = ExpiringInMemoryTrackerStore(DOMAIN, retention_hours=1, clock=uptime)
    asyncio.run(store.save(tracker("someone")))
    uptime.now += 3600
    assert store.sweep() == 0 and set(store.store) == {"someone"}  # idle exactly the retention period: kept
    uptime.now += 1
    assert store.sweep() == 1 and store.store == {}


def test_sql_store_expires_conversations_by_the_wall_clock(tmp_path):
    start = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)  # midnight in Japan
    with travel(start):
        store = ExpiringSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "trackers.db"),
                                        retention_days=30)  # the default clock: time.time
        asyncio.run(store.save(tracker("old")))
    with travel(start + timedelta(days=29)):
        asyncio.run(store.save(tracker("recent")))  # a save after the sweep interval sweeps; nothing is idle yet
        assert store.sweep() == 0
    with travel(start + timedelta(days=30, seconds=1)):
        asyncio.run(store.save(tracker("new")))  # the save sweeps: "old" is idle for longer than 30 days
        with store.session_scope() as session:
            senders = {row.sender_id for row in session.query(store.SQLEvent.sender_id)}
    assert senders == {"recent", "new"}

"""The review page's handover figures: requests per day, the median wait (request → take) and the share that timed
out, for the review page's range of Japan-time days (handover/figures.py, HandoverStore.figures_between, the
console's /api/review/figures).

Known handovers are made through the store's own transitions (request, take, end, expire) at given moments, on a
real review database made by the migrations: SQLite always, PostgreSQL too when ``TEST_POSTGRES_URL`` is set (the
``review_url`` fixture of tests/conftest.py). The console is the real app served through ASGI
(tests/unit/console_asgi.py), logged into with a real account.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from console.accounts import store as accounts
from console.app import create_app
from console.auth import Gate, Settings
from handover.store import HandoverStore
from knowledge.db import engine_for
from knowledge.hours import JST
from knowledge.loader import load
from review import db as review_db
from tests.unit.console_asgi import Browser, Served, app_name

pytestmark = pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning")

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery staple"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 in Japan time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=JST)


@pytest.fixture
def store(review_url, monkeypatch) -> HandoverStore:
    for name in ("HANDOVER_QUEUE_TIMEOUT_SECONDS", "HANDOVER_DEFAULT_WAIT_SECONDS", "HANDOVER_STAFFED_HOURS"):
        monkeypatch.delenv(name, raising=False)
    store = HandoverStore(review_url)
    yield store
    engine_for(review_url).dispose()  # before a PostgreSQL database is dropped


@pytest.fixture
def known(store) -> HandoverStore:
    """Nine handovers over 20–23 November 2026 (Japan time), each through the store's transitions:

    - 20th 23:59: taken after 10 000 s (the day before the range the tests pick);
    - 21st 00:00 (15:00 UTC on the 20th): taken after 60 s;        21st 12:00: timed out;
    - 22nd 10:00: taken after 120 s;  10:30: taken after 300 s;    11:00: the user left the queue;
    - 22nd 23:59: taken after 600 s (taken on the 23rd: it counts on the day it was asked);
    - 23rd 09:00: still queued (neither taken nor timed out: not in the timed-out share);
    - 24th 00:00: the day after the range.
    """
    def taken(sender: str, requested: datetime, wait_seconds: int) -> None:
        handover = store.request(sender, "rest", now=requested)
        assert store.take(handover.id, "sato", "佐藤", now=requested + timedelta(seconds=wait_seconds))
        assert store.end(handover.id, "returned", now=requested + timedelta(seconds=wait_seconds + 300))

    taken("before", at(20, 23, 59), 10_000)
    taken("midnight", at(21, 0, 0), 60)
    store.request("timed-out", "line", now=at(21, 12))
    assert len(store.expire_queued(now=at(21, 12, 10), timeout_seconds=600)) == 1
    taken("two-minutes", at(22, 10, 0), 120)
    taken("five-minutes", at(22, 10, 30), 300)
    left = store.request("left", "rest", now=at(22, 11))
    assert store.end(left.id, "user_left", now=at(22, 11, 2))
    taken("late", at(22, 23, 59), 600)
    store.request("waiting", "line", now=at(23, 9))
    taken("after", at(24, 0, 0), 30)
    return store


def test_the_figures_count_the_days_asked_with_the_median_wait_and_the_timed_out_share(known):
    figures = known.figures_between(date(2026, 11, 21), date(2026, 11, 23))
    assert [(day.isoformat(), count) for day, count in figures.per_day] == [
        ("2026-11-21", 2), ("2026-11-22", 4), ("2026-11-23", 1)]
    assert (figures.requests, figures.taken) == (7, 4)
    assert figures.median_wait_seconds == 210  # of 60, 120, 300, 600: the two middle ones' mean
    # One timed out of the six no longer queued (four taken, one timed out, one who left); the queued one waits.
    assert (figures.timed_out, figures.timed_out_share) == (1, pytest.approx(1 / 6))


def test_one_day_and_its_japanese_midnight(known):
    day = known.figures_between(date(2026, 11, 21), date(2026, 11, 21))
    assert [(d.isoformat(), n) for d, n in day.per_day] == [("2026-11-21", 2)]
    assert (day.requests, day.taken, day.median_wait_seconds, day.timed_out_share) == (2, 1, 60, 0.5)
    before = known.figures_between(date(2026, 11, 20), date(2026, 11, 20))
    assert (before.requests, before.median_wait_seconds) == (1, 10_000)  # 23:59 JST, not 00:00 the next day


def test_open_ends_run_from_the_first_request_to_the_last(known):
    everything = known.figures_between()
    assert everything.per_day[0][0] == date(2026, 11, 20) and everything.per_day[-1][0] == date(2026, 11, 24)
    assert everything.requests == 9 and everything.median_wait_seconds == 210  # 30 60 120 300 600 10000
    since = known.figures_between(start=date(2026, 11, 23))
    assert [(d.isoformat(), n) for d, n in since.per_day] == [("2026-11-23", 1), ("2026-11-24", 1)]
    assert since.timed_out_share == 0.0  # the one no longer queued was taken
    capped = known.figures_between(end=date(2026, 11, 24), max_days=2)
    assert [d.isoformat() for d, _ in capped.per_day] == ["2026-11-23", "2026-11-24"]


def test_a_range_without_handovers_has_its_days_and_no_rates(known):
    empty = known.figures_between(date(2026, 12, 1), date(2026, 12, 3))
    assert [n for _, n in empty.per_day] == [0, 0, 0]
    assert (empty.requests, empty.taken, empty.median_wait_seconds, empty.timed_out_share) == (0, 0, None, None)
    assert known.figures_between(date(2026, 12, 1)).per_day == ()  # open end, nothing after the start


def test_the_last_days_figures_are_the_same_count(known):
    last_three = known.figures(days=3, now=at(23, 12))
    assert last_three == known.figures_between(date(2026, 11, 21), date(2026, 11, 23))


# ---- the review page's figures over HTTP -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def knowledge_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.db'}"
    load(url)
    return url


def test_the_review_figures_carry_the_handovers_of_the_filtered_days(known, review_url, knowledge_url):
    with review_db.session(review_url) as db:
        accounts.add(db, "tanaka", "田中", PASSWORD, FAST)
    served = Served(create_app(Gate(review_url, Settings(), hasher=FAST), db_url=knowledge_url,
                               review_url=review_url, name=app_name(), nlu_dir=None))
    try:
        staff = Browser(served).log_in("tanaka", PASSWORD)
        answer = staff.get("/api/review/figures?from=2026-11-21&to=2026-11-23")
        assert answer.status == 200
        assert answer.json()["handovers"] == {
            "requests": 7, "taken": 4, "timed_out": 1, "median_wait_seconds": 210, "timed_out_share": 0.1667,
            "per_day": [{"date": "2026-11-21", "handovers": 2}, {"date": "2026-11-22", "handovers": 4},
                        {"date": "2026-11-23", "handovers": 1}]}
        one_day = staff.get("/api/review/figures?from=2026-11-22&to=2026-11-22").json()["handovers"]
        assert (one_day["requests"], one_day["median_wait_seconds"], one_day["timed_out_share"]) == (4, 300, 0.0)
        assert Browser(served).get("/api/review/figures").status == 401  # staff only
    finally:
        served.stop()

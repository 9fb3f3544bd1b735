"""The per-sender message limit (bot/sender_limits.py) and the LINE event de-duplication
(bot/channels/seen_events.py), in memory and against a real Redis (tests/redis_server.py) shared by several
limiters as by several Rasa processes; and both working on when Redis stops mid-test (fail open, logged once)."""
from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.channels.seen_events import SeenEvents
from bot.sender_limits import MemoryWindows, SenderLimiter
from bot.shared_state import UNAVAILABLE, SharedRedis, redis_client
from common.settings import SettingsError, settings
from tests.redis_server import DB, PASSWORD, redis_env_fixture, redis_server_fixture  # noqa: F401 (fixtures)


@pytest.fixture
def no_redis(monkeypatch):
    for name in ("LOCK_REDIS_HOST", "LOCK_REDIS_PORT", "LOCK_REDIS_PASSWORD", "LOCK_REDIS_DB"):
        monkeypatch.delenv(name, raising=False)


def hits(limiter: SenderLimiter, sender: str, times: int, channel: str = "rest"):
    async def run():
        return [await limiter.hit(channel, sender) for _ in range(times)]
    return asyncio.run(run())


# ---- thresholds: common/settings.py, from the environment -----------------------------------------------------------

def test_thresholds_have_defaults_and_environment_overrides(monkeypatch):
    assert settings({}).rate_limit_messages == 40
    assert settings({"RATE_LIMIT_MESSAGES": " 5 "}).rate_limit_messages == 5
    assert settings({"RATE_LIMIT_MESSAGES": "0"}).rate_limit_messages == 0  # off
    for bad in ("-1", "ten", "2.5"):
        with pytest.raises(SettingsError, match="RATE_LIMIT_MESSAGES"):
            settings({"RATE_LIMIT_MESSAGES": bad})
    monkeypatch.setenv("RATE_LIMIT_MESSAGES", "7")
    monkeypatch.setenv("RATE_LIMIT_WINDOW_SECONDS", "30")
    limiter = SenderLimiter.per_sender(None)
    assert (limiter.limit, limiter.window) == (7, 30)


def test_the_redis_client_comes_from_the_lock_stores_settings():
    assert redis_client({}) is None and redis_client({"LOCK_REDIS_HOST": " "}) is None  # `make run`: no Redis
    client = redis_client({"LOCK_REDIS_HOST": "127.0.0.1", "LOCK_REDIS_PORT": "6380", "LOCK_REDIS_PASSWORD": "pw",
                           "LOCK_REDIS_DB": "1"})
    settings = client.connection_pool.connection_kwargs
    assert (settings["host"], settings["port"], settings["password"], settings["db"]) == ("127.0.0.1", 6380, "pw", 1)


# ---- in memory (`make run`) ------------------------------------------------------------------------------------------

def test_in_memory_a_sender_over_the_limit_is_refused_once_then_silently(no_redis):
    limiter = SenderLimiter(3, 60, SharedRedis())
    verdicts = hits(limiter, "web-a", 6)
    assert [v.allowed for v in verdicts] == [True, True, True, False, False, False]
    assert [v.first_refusal for v in verdicts] == [False, False, False, True, False, False]
    assert all(1 <= v.retry_after <= 60 for v in verdicts[3:])
    assert hits(limiter, "web-b", 1)[0].allowed  # another sender is not affected
    assert hits(limiter, "web-a", 1, channel="line")[0].allowed  # nor the same id on another channel


def test_a_limit_of_zero_is_no_limit(no_redis):
    assert all(v.allowed for v in hits(SenderLimiter(0, 60, SharedRedis()), "web-a", 100))


def test_memory_windows_end_and_stay_bounded_under_new_senders():
    windows = MemoryWindows(window=60, max_tracked=1000)
    assert windows.hit("a", now=0.0) == (1, 60.0)
    assert windows.hit("a", now=30.0) == (2, 30.0)
    assert windows.hit("a", now=60.0) == (1, 60.0)  # the window ended: a new one
    for second in range(100_000):  # a stream of new senders, 1000 a minute... then 100 000 in one minute
        windows.hit(f"s{second}", now=61.0 + second * 0.06)
    assert len(windows) <= 1000
    windows.hit("late", now=10_000.0)
    assert len(windows) == 1  # every ended window is gone


# ---- in Redis: shared by the processes ----------------------------------------------------------------------------

def test_in_redis_processes_count_one_senders_messages_together(redis_env):
    async def run():
        first, second = SenderLimiter(5, 60, SharedRedis()), SenderLimiter(5, 60, SharedRedis())  # two processes
        verdicts = [await (first if i % 2 else second).hit("line", "U1") for i in range(7)]
        await first.shared.close()
        await second.shared.close()
        return verdicts

    verdicts = asyncio.run(run())
    assert [v.allowed for v in verdicts] == [True] * 5 + [False] * 2
    assert [v.first_refusal for v in verdicts] == [False] * 5 + [True, False]
    key = SenderLimiter(5, 60).key("line", "U1")
    stored = redis_env.client()
    assert int(stored.get(key)) == 7 and 0 < stored.pttl(key) <= 60_000  # it expires by itself


def test_in_redis_a_burst_has_exactly_one_first_refusal(redis_env):
    async def run():
        limiters = [SenderLimiter(10, 60, SharedRedis()) for _ in range(3)]
        verdicts = await asyncio.gather(*(limiters[i % 3].hit("rest", "web-burst") for i in range(40)))
        for limiter in limiters:
            await limiter.shared.close()
        return verdicts

    verdicts = asyncio.run(run())
    assert sum(v.allowed for v in verdicts) == 10 and sum(v.first_refusal for v in verdicts) == 1


def test_in_redis_the_window_ends_by_itself(redis_env):
    limiter = SenderLimiter(1, 1, SharedRedis())
    assert [v.allowed for v in hits(limiter, "web-a", 2)] == [True, False]
    time.sleep(1.2)
    assert redis_env.client().exists(limiter.key("rest", "web-a")) == 0
    assert hits(limiter, "web-a", 1)[0].allowed


def test_when_redis_stops_the_limit_fails_open_logs_once_and_recovers(redis_env, caplog):
    caplog.set_level(logging.INFO, logger="bot.shared_state")

    async def run():
        limiter = SenderLimiter(2, 60, SharedRedis(retry_seconds=0.3))
        before = [(await limiter.hit("rest", "web-a")).allowed for _ in range(3)]
        redis_env.stop()  # the outage
        during = [(await limiter.hit("rest", "web-a")).allowed for _ in range(5)]
        await asyncio.sleep(0.4)
        during += [(await limiter.hit("rest", "web-a")).allowed for _ in range(2)]  # asked again: still down
        redis_env.start()  # back, empty (nothing is saved)
        deadline = time.monotonic() + 10
        after = []
        while time.monotonic() < deadline and len(after) < 3:
            await asyncio.sleep(0.35)
            verdict = await limiter.hit("rest", "web-a")
            if verdict.count:  # counted in Redis again
                after.append(verdict.allowed)
        await limiter.shared.close()
        return before, during, after

    before, during, after = asyncio.run(run())
    assert before == [True, True, False]
    assert during == [True] * 7  # every message answered while Redis is away
    assert after == [True, True, False]  # counted again, from zero
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "unavailable" in errors[0].getMessage()  # once, not once per message
    assert any("available again" in r.getMessage() for r in caplog.records)


# ---- LINE event de-duplication ------------------------------------------------------------------------------------

def first_times(seen: SeenEvents, *ids):
    async def run():
        return [await seen.first_time(event_id) for event_id in ids]
    return asyncio.run(run())


def test_in_memory_each_event_id_is_taken_once_and_memory_is_bounded(no_redis):
    seen = SeenEvents(SharedRedis(), kept=100)
    assert first_times(seen, "E1", "E1", "E2", None, None, "") == [True, False, True, True, True, True]
    first_times(seen, *(f"N{i}" for i in range(1000)))
    assert len(seen._recent) == 100


def test_in_redis_an_event_is_taken_by_one_process_only(redis_env):
    async def run():
        processes = [SeenEvents(SharedRedis(), ttl=3600) for _ in range(2)]
        together = await asyncio.gather(*(processes[i % 2].first_time("E-same") for i in range(10)))
        later = [await processes[1].first_time("E-same"), await processes[0].first_time("E-other")]
        for seen in processes:
            await seen.shared.close()
        return together, later

    together, later = asyncio.run(run())
    assert sum(together) == 1 and later == [False, True]
    assert 3500 < redis_env.client().ttl(SeenEvents.key("E-same")) <= 3600  # remembered for the ttl, no longer


def test_the_event_ids_are_kept_a_day_by_default(redis_env):
    assert SeenEvents(SharedRedis()).ttl == settings({}).line_event_ids_seconds == 24 * 3600
    asyncio.run(SeenEvents(SharedRedis()).first_time("E-day"))
    assert 24 * 3600 - 5 < redis_env.client().ttl(SeenEvents.key("E-day")) <= 24 * 3600


def test_when_redis_stops_events_are_still_answered_and_duplicates_here_still_dropped(redis_env):
    async def run():
        shared = SharedRedis(retry_seconds=0.3)
        here, elsewhere = SeenEvents(shared), SeenEvents(SharedRedis(retry_seconds=0.3))
        assert await here.first_time("E-before")
        redis_env.stop()
        results = [await here.first_time("E-during"), await here.first_time("E-during"),
                   await elsewhere.first_time("E-before")]  # Redis would have said "seen": answered rather than lost
        await shared.close()
        await elsewhere.shared.close()
        return results

    assert asyncio.run(run()) == [True, False, True]


def test_shared_redis_without_settings_is_simply_unavailable(no_redis):
    shared = SharedRedis()
    assert not shared.enabled
    assert asyncio.run(shared.run(lambda redis: redis.ping())) is UNAVAILABLE


def test_the_settings_reach_redis_password_and_database(redis_env):
    async def run():
        shared = SharedRedis()
        await shared.run(lambda redis: redis.set("aomori:probe", "1"))
        await shared.close()

    asyncio.run(run())
    import redis

    assert redis.Redis(host="127.0.0.1", port=redis_env.port, password=PASSWORD, db=DB).get("aomori:probe") == b"1"
    assert redis.Redis(host="127.0.0.1", port=redis_env.port, password=PASSWORD, db=0).get("aomori:probe") is None

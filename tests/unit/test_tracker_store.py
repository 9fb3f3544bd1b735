"""Old conversations expire: Rasa's in-memory and SQL tracker stores stay bounded under a stream of new senders."""
from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import SWEEP_EVERY_SECONDS, ExpiringInMemoryTrackerStore, ExpiringSQLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def tracker(sender: str, at: float) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen", timestamp=at),
        UserUttered("後継ぎがいない", {"name": "program_business_succession", "confidence": 0.9}, timestamp=at),
    ])


def test_memory_stays_flat_under_a_stream_of_new_senders():
    clock = Clock()
    store = ExpiringInMemoryTrackerStore(DOMAIN, retention_hours=1, clock=clock, host=None)
    sizes = []
    for hour in range(6):
        for n in range(200):  # 200 new people an hour, each writing once
            asyncio.run(store.save(tracker(f"h{hour}-{n}", clock.now)))
            clock.now += 3600 / 200
        sizes.append(len(store.store))
    slack = 200 * SWEEP_EVERY_SECONDS / 3600 + 1  # the senders of one sweep interval
    assert max(sizes) <= 200 + slack, sizes  # about an hour's senders, never all of them (1,200)
    assert max(sizes[1:]) - min(sizes[1:]) <= slack, sizes  # flat, not growing


def test_a_conversation_in_use_is_kept_and_an_idle_one_forgotten():
    clock = Clock()
    store = ExpiringInMemoryTrackerStore(DOMAIN, retention_hours=1, clock=clock)
    asyncio.run(store.save(tracker("idle", clock.now)))
    asyncio.run(store.save(tracker("busy", clock.now)))
    clock.now += 3000
    asyncio.run(store.save(tracker("busy", clock.now)))
    clock.now += 1000
    assert store.sweep() == 1
    assert set(store.store) == {"busy"}
    assert asyncio.run(store.retrieve("idle")) is None  # the next message from "idle" starts afresh


def test_sql_store_deletes_idle_conversations_whole(tmp_path):
    clock = Clock(now=2_000_000_000.0)
    store = ExpiringSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "trackers.db"),
                                    retention_days=30, clock=clock)
    day = 86400
    asyncio.run(store.save(tracker("old", clock.now - 40 * day)))
    asyncio.run(store.save(tracker("recent", clock.now - 2 * day)))
    long_running = tracker("long", clock.now - 60 * day)
    long_running.update(UserUttered("費用は？", {"name": "ask_cost", "confidence": 0.9}, timestamp=clock.now - day))
    asyncio.run(store.save(long_running))
    assert store.sweep() == 1
    with store.session_scope() as session:
        senders = {row.sender_id for row in session.query(store.SQLEvent.sender_id)}
        long_events = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == "long").count()
    assert senders == {"recent", "long"}
    assert long_events == 3  # a conversation still in use keeps its old events: never cut in the middle

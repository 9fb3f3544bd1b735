"""Rasa's tracker stores, with old conversations expiring: memory and databases stay bounded however many people write.

Rasa keeps every conversation for good: in memory (`make run`), each new sender adds a tracker that is never freed;
in PostgreSQL (`make run-prod`), the events table only grows. Here a conversation nobody has written to for the
retention period is removed whole, never cut in the middle: the next message from that sender starts afresh.

- ``CONVERSATION_RETENTION_HOURS`` (default 24) for the in-memory store of `make run`;
- ``CONVERSATION_RETENTION_DAYS`` (default 30) for the SQL store of `make run-prod`.
Both sweep while saving, at most once per ``SWEEP_EVERY_SECONDS``, so no extra job is needed.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any, Callable, Dict, Optional, Text

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func

logger = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 300
DEFAULT_MEMORY_RETENTION_HOURS = 24
DEFAULT_SQL_RETENTION_DAYS = 30


def _hours(value: Optional[Any], env: Text, default: float) -> float:
    return float(value if value is not None else (os.environ.get(env) or default))


class ExpiringInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory store; a conversation idle for the retention period is forgotten."""

    def __init__(self, domain, event_broker=None, retention_hours: Optional[float] = None,
                 clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        kwargs.pop("host", None)  # Rasa passes the endpoint's url as host; memory has none
        super().__init__(domain, event_broker, **kwargs)
        self.retention_seconds = _hours(retention_hours, "CONVERSATION_RETENTION_HOURS",
                                        DEFAULT_MEMORY_RETENTION_HOURS) * 3600
        self._clock = clock
        self.last_saved: Dict[Text, float] = {}
        self._last_sweep = clock()

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        now = self._clock()
        self.last_saved[tracker.sender_id] = now
        if now - self._last_sweep >= SWEEP_EVERY_SECONDS:
            self.sweep(now)

    def sweep(self, now: Optional[float] = None) -> int:
        """Forget every conversation idle for longer than the retention period; returns how many."""
        now = self._clock() if now is None else now
        self._last_sweep = now
        expired = [sender for sender, at in self.last_saved.items() if now - at > self.retention_seconds]
        for sender in expired:
            self.store.pop(sender, None)
            self.last_saved.pop(sender, None)
        if expired:
            logger.info("tracker_store.expired", extra={"conversations": len(expired)})
        return len(expired)


class ExpiringSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL store; a conversation whose newest event is older than the retention period is deleted whole."""

    def __init__(self, domain=None, retention_days: Optional[float] = None,
                 clock: Callable[[], float] = time.time, **kwargs: Any) -> None:
        super().__init__(domain, **kwargs)
        self.retention_seconds = _hours(retention_days, "CONVERSATION_RETENTION_DAYS",
                                        DEFAULT_SQL_RETENTION_DAYS) * 86400
        self._clock = clock
        self._last_sweep = clock()

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        now = self._clock()
        if now - self._last_sweep >= SWEEP_EVERY_SECONDS:
            self.sweep(now)

    def sweep(self, now: Optional[float] = None) -> int:
        """Delete every conversation idle for longer than the retention period; returns how many."""
        now = self._clock() if now is None else now
        self._last_sweep = now
        cutoff = now - self.retention_seconds
        events = self.SQLEvent
        with self.session_scope() as session:
            idle = (session.query(events.sender_id).group_by(events.sender_id)
                    .having(func.max(events.timestamp) < cutoff).subquery())
            removed = session.query(func.count()).select_from(idle).scalar() or 0
            if removed:
                session.query(events).filter(events.sender_id.in_(session.query(idle.c.sender_id))) \
                    .delete(synchronize_session=False)
                session.commit()
        if removed:
            logger.info("tracker_store.expired", extra={"conversations": removed})
        return removed

"""Rasa's tracker stores, with old conversations expiring: memory and databases stay bounded however many people write.

Rasa keeps every conversation for good: in memory (`make run`), each new sender adds a tracker that is never freed;
in PostgreSQL (`make run-prod`), the events table only grows. Here a conversation nobody has written to for the
retention period is removed whole, never cut in the middle: the next message from that sender starts afresh.

- ``CONVERSATION_RETENTION_HOURS`` (default 24) for the in-memory store of `make run`;
- ``CONVERSATION_RETENTION_DAYS`` (default 30) for the SQL store of `make run-prod`.
Both sweep while saving, at most once per ``SWEEP_EVERY_SECONDS``, so no extra job is needed.

The SQL store also rides out a restart of its database (measured with ``make run-prod``, tests/prod/test_faults.py):

- Rasa's agent wraps every tracker store in ``FailSafeTrackerStore``, which turns a failed read into "no such
  conversation" and a failed write into a write to a process-local in-memory store. While PostgreSQL restarted,
  follow-ups such as 「TEL番は？」 were answered as if the conversation had just begun (「どの支援についてのご質問で
  しょうか」), and a turn answered right was kept only in one process's memory, never seen again; had the database
  come back between a turn's read and its write, Rasa's "store the events beyond those stored" would have appended
  the fresh conversation's tail to the real one. Here the wrapper lets the error through instead: the turn fails,
  the channel answers with its polite fallback (bot/channels/unavailable.py) and the conversation is left as it was.
- Before it fails, a read or write waits up to ``DATABASE_WAIT_SECONDS`` for the database to answer again (a
  restart takes a few seconds), so that most turns during a restart are simply a little slower. A write repeated
  after a commit whose answer was lost adds nothing: Rasa appends only the events beyond those stored.
- Pooled connections are checked before use (``pool_pre_ping``): after a restart each would otherwise fail once.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Iterable, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func
from sqlalchemy.exc import InterfaceError, OperationalError

from common.settings import settings

logger = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 300
DATABASE_WAIT_SECONDS = 5.0  # a turn's read or write waits this long for the database before the turn fails
RETRY_PAUSE_SECONDS = 0.25
UNREACHABLE = (OperationalError, InterfaceError)  # connection refused, lost, or the server starting or stopping
T = TypeVar("T")


class ExpiringInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory store; a conversation idle for the retention period is forgotten."""

    def __init__(self, domain, event_broker=None, retention_hours: Optional[float] = None,
                 clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        kwargs.pop("host", None)  # Rasa passes the endpoint's url as host; memory has none
        super().__init__(domain, event_broker, **kwargs)
        hours = retention_hours if retention_hours is not None else settings().conversation_retention_hours
        self.retention_seconds = float(hours) * 3600
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
    """Rasa's SQL store; a conversation whose newest event is older than the retention period is deleted whole.
    Its errors reach the channel (no in-memory fallback), after waiting a little for a restarting database."""

    raise_errors = True  # read by LoudTrackerStore, the agent's wrapper

    def __init__(self, domain=None, retention_days: Optional[float] = None,
                 clock: Callable[[], float] = time.time, database_wait: float = DATABASE_WAIT_SECONDS,
                 **kwargs: Any) -> None:
        super().__init__(domain, **kwargs)
        days = retention_days if retention_days is not None else settings().conversation_retention_days
        self.retention_seconds = float(days) * 86400
        self._clock = clock
        self._last_sweep = clock()
        self.database_wait = database_wait
        if self.engine.dialect.name != "sqlite":  # a SQLite file has no connection to lose
            self._check_connections_before_use()

    def _check_connections_before_use(self) -> None:
        """Rasa's engine, rebuilt with ``pool_pre_ping`` (Rasa has no setting for it)."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _when_reachable(self, call: Callable[..., Awaitable[T]], *args: Any) -> T:
        deadline = time.monotonic() + self.database_wait
        while True:
            try:
                return await call(*args)
            except UNREACHABLE as error:
                if time.monotonic() >= deadline:
                    raise
                logger.warning(f"tracker_store.unreachable, retrying: {type(error).__name__}")
                await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        return await self._when_reachable(super()._retrieve, sender_id, fetch_events_from_all_sessions)

    async def keys(self) -> Iterable[Text]:
        return await self._when_reachable(super().keys)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._when_reachable(super().save, tracker)
        now = self._clock()
        if now - self._last_sweep >= SWEEP_EVERY_SECONDS:
            try:
                self.sweep(now)
            except UNREACHABLE:  # the turn is stored; the sweep comes again at the next save
                logger.exception("tracker_store.sweep_failed")

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


class LoudTrackerStore(FailSafeTrackerStore):
    """Rasa's wrapper, raising the errors of a store that asks for it (``raise_errors``) instead of answering from
    an in-memory store of this process only: in a store shared by several processes that fallback forgets the
    conversation's context and loses turns (module docstring). bot/rasa_patches.py makes it the wrapper Rasa's
    agent puts around every tracker store; stores that do not ask for it are wrapped as by Rasa's own."""

    lets_errors_through = True

    def __init__(self, tracker_store: Any, on_tracker_store_error: Optional[Callable[[Exception], None]] = None,
                 fallback_tracker_store: Any = None) -> None:
        if on_tracker_store_error is None and getattr(tracker_store, "raise_errors", False):
            on_tracker_store_error = _reraise
        super().__init__(tracker_store, on_tracker_store_error, fallback_tracker_store)


def _reraise(error: Exception) -> None:
    raise error

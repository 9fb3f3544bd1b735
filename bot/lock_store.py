"""Rasa's Redis lock store, with every change to a conversation's lock made atomically in Redis.

Several Rasa processes (``make run-prod``: nginx in front of two) take turns on a conversation through its ticket
lock in Redis. Rasa 3.6's ``RedisLockStore`` changes that lock by reading it (GET), changing it in the process
and writing it back (SET), and ends a turn with three separate steps (remove the ticket, "is anyone waiting?",
delete). Within one process nothing else runs between those steps, but two processes interleave them (rasa issue
#9213): a ticket issued by one process is overwritten by the other's SET (lost: that request later fails with a
``LockError``, or waits until an unrelated ticket with its number comes up), two requests are given the same
ticket number, a finished ticket is written back by a waiter's refresh and blocks the conversation until it
expires, or the lock is deleted under a request that has just queued. Two turns of one conversation then run at
once, and the SQL tracker store, which appends "the events beyond those stored", loses or duplicates events.
Measured with ``make run-prod`` (two processes; bursts of 20 simultaneous messages to one conversation, as in
``tests/prod/test_concurrency.py``): with Rasa's store, 9 of 18 bursts lost whole turns from the stored
conversation (1 to 14 of the 20 messages, each answered 200) and 2 of those stalled until the tickets expired
(requests cut by nginx after 120 s); with this one, none of 15.

``AtomicRedisLockStore`` keeps Rasa's ticket lock (same keys, same JSON, same ticket order and lifetimes) and
makes each change one Redis transaction (WATCH the key, read, change, MULTI/SET or DEL/EXEC, retried when another
client changed the key meanwhile). Named in endpoints-prod.yml as ``type: bot.lock_store.AtomicRedisLockStore``,
with the same settings as Rasa's ``type: redis``.

A process that dies holding a conversation (SIGKILL, a crash, the machine's OOM killer) leaves its ticket in Redis,
and the conversation waits until that ticket expires. Rasa's tickets expire ``TICKET_LOCK_LIFETIME`` (default 60 s)
after they were issued, whether or not their process is still alive, so that one setting has to be both long (a
message queued behind others of its conversation, then its own turn with an action call that may take up to
``ACTION_TIMEOUT_SECONDS``: a ticket expiring while it is being served lets the next turn run at the same time) and
short (how long a crash stalls the conversation). Measured with ``make run-prod`` (tests/prod/test_faults.py: rasa-1
killed under 16 concurrent conversations, 8 of its messages in flight): with Rasa's default of 60 s their next
messages waited up to a minute (past the web chat's 20 s); with 30 s, the 8 messages nginx resent to rasa-2 waited
30 s and then failed all the same, their own tickets expiring with the dead ones (a ``LockError``). Here a live
process renews its tickets: a waiting ticket at every look at the lock (each second), a served one every second
from a task of its own, up to ``TICKET_LOCK_LIFETIME`` after its turn began (so a turn that never ends still frees
the conversation). Each renewal sets the ticket to expire ``LOCK_KEEPALIVE_SECONDS`` (default 10) later: a
dead process's tickets are gone at most that long after it died, however long its turns were allowed to be.

When Redis does not answer (restarting), a new message waits up to ``REDIS_WAIT_SECONDS`` for its ticket before the
turn fails with a ``LockError`` (the channel's polite fallback): a restart of Redis takes a few seconds. Redis keeps
no locks across a restart (scripts/prod/ctl.sh: nothing persisted), so messages that were waiting then fail at once.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from common.settings import settings

logger = logging.getLogger(__name__)

# A change receives the lock as stored (None: there is none) and returns the lock to store (None, or one without
# tickets: delete the key; the unchanged object: leave it as it is) and the value for the caller.
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]]
UNCHANGED = object()

RENEW_EVERY = 1.0  # seconds between renewals of a served ticket (waiting tickets: Rasa's poll, also each second)
REDIS_WAIT_SECONDS = 5.0  # a new message waits this long for Redis to answer before its turn fails
RETRY_PAUSE_SECONDS = 0.25


def keepalive_seconds() -> float:
    """How long a ticket outlives its process's last renewal (``LOCK_KEEPALIVE_SECONDS``)."""
    return settings().lock_keepalive_seconds


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes are Redis transactions (safe across processes)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, keepalive: Optional[float] = None,
                 **kwargs: Any) -> None:
        # Rasa builds a lock store named by its module path with `endpoint_config=` only (lock_store.py).
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self.keepalive = keepalive or keepalive_seconds()
        _check_turn_limit(LOCK_LIFETIME)

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """The conversation's lock for one turn, held at most ``lock_lifetime`` seconds from when the turn starts
        (Rasa: from when the message arrived) and renewed meanwhile, so that only a dead process's ticket expires
        early (``self.keepalive`` after its last renewal)."""
        ticket = await self._issue_when_reachable(conversation_id)
        renewal: Optional[asyncio.Task] = None
        try:
            lock = await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
            deadline = time.time() + lock_lifetime
            renewal = asyncio.create_task(self._keep_serving(conversation_id, ticket, deadline))
            yield lock
        finally:
            if renewal is not None:
                renewal.cancel()
            try:
                self.cleanup(conversation_id, ticket)
            except Exception as error:  # Redis gone: the ticket, no longer renewed, expires by itself
                logger.warning(f"lock.cleanup_failed: {error!r}")

    async def _issue_when_reachable(self, conversation_id: Text) -> int:
        deadline = time.monotonic() + REDIS_WAIT_SECONDS
        while True:
            try:
                return self.issue_ticket(conversation_id, self.keepalive)
            except LockError as error:
                if not isinstance(error.__cause__, (RedisConnectionError, RedisTimeoutError)):
                    raise
                if time.monotonic() >= deadline:
                    raise
                logger.warning(f"lock_store.unreachable, retrying: {type(error.__cause__).__name__}")
                await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def _acquire_lock(self, conversation_id: Text, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        """Wait for the ticket's turn, renewing it at every look (Rasa's loop: look, sleep, drop expired tickets).
        A ticket that is gone (expired while this process stalled, or Redis restarted without its data) is a
        ``LockError`` at once, where Rasa's loop would wait until the whole lock went away."""
        while True:
            lock = self._renew(conversation_id, ticket, time.time() + self.keepalive)
            if lock is None:
                raise LockError(f"Lost the ticket for conversation '{conversation_id}' while waiting.")
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)

    async def _keep_serving(self, conversation_id: Text, ticket: int, deadline: float) -> None:
        """Renew the served ticket every second until ``deadline``, when it expires with the turn still running
        (a turn longer than TICKET_LOCK_LIFETIME: the next message is let in, as Rasa does)."""
        while True:
            await asyncio.sleep(RENEW_EVERY)
            now = time.time()
            if now >= deadline:
                logger.warning("lock.turn_past_lifetime: the next message of the conversation is let in")
                return
            try:
                if self._renew(conversation_id, ticket, min(now + self.keepalive, deadline)) is None:
                    logger.warning("lock.ticket_lost while serving")
                    return
            except Exception as error:  # Redis down for a moment: try again next second
                logger.warning(f"lock.renew_failed: {error!r}")

    def _renew(self, conversation_id: Text, ticket_number: int, expires: float) -> Optional[TicketLock]:
        """Drop expired tickets and make this one expire at ``expires``; the lock, or None when the ticket is
        gone."""

        def renew(lock: Optional[TicketLock]) -> Tuple[Any, Optional[TicketLock]]:
            if lock is None:
                return UNCHANGED, None
            lock.remove_expired_tickets()
            mine = next((t for t in lock.tickets if t.number == ticket_number), None)
            if mine is None:
                return lock, None
            mine.expires = expires
            return lock, lock

        return self._change(conversation_id, renew)

    def _change(self, conversation_id: Text, change: Change) -> Any:
        key = self.key_prefix + conversation_id

        def transaction(pipe: Any) -> Any:
            stored = pipe.get(key)  # immediate: the key is watched
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            new, value = change(lock)
            pipe.multi()
            if new is UNCHANGED:
                pass
            elif new is None or not new.tickets:
                if stored:
                    pipe.delete(key)
            else:
                pipe.set(key, new.dumps())
            return value

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket, after the last one issued (creates the lock if there is none)."""
        logger.debug(f"Issuing ticket for conversation '{conversation_id}'.")

        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        """Remove expired tickets (never recreates a lock that is gone)."""

        def refresh(lock: Optional[TicketLock]) -> Tuple[Any, None]:
            if lock is None:
                return UNCHANGED, None
            before = len(lock.tickets)
            lock.remove_expired_tickets()
            return (lock if len(lock.tickets) != before else UNCHANGED), None

        self._change(conversation_id, refresh)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove the ticket; the lock goes when no ticket is left."""

        def finish(lock: Optional[TicketLock]) -> Tuple[Any, None]:
            if lock is None:
                return UNCHANGED, None
            lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """End of a turn: remove its ticket and, in the same transaction, the lock if nobody is waiting."""
        self.finish_serving(conversation_id, ticket_number)


def _check_turn_limit(lifetime: float) -> None:
    """Warn when a turn may take longer than the lock lets it run: its action call alone may take
    ACTION_TIMEOUT_SECONDS (common/settings.py), and then two turns of the conversation would overlap."""
    action_timeout = settings().action_timeout_seconds
    if lifetime <= action_timeout:
        logger.warning(f"TICKET_LOCK_LIFETIME ({lifetime:g} s) does not exceed ACTION_TIMEOUT_SECONDS "
                       f"({action_timeout:g} s): a slow turn would overlap with the next")

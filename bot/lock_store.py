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
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# A change receives the lock as stored (None: there is none) and returns the lock to store (None, or one without
# tickets: delete the key; the unchanged object: leave it as it is) and the value for the caller.
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]]
UNCHANGED = object()


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes are Redis transactions (safe across processes)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by its module path with `endpoint_config=` only (lock_store.py).
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

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

"""The handover store as the channels reach it: given at start-up by bot/wiring.py, made on first use.

The channels may not import handover/store.py (it reaches the review log's database and the knowledge store's
engine, which .importlinter keeps out of the channels, even indirectly), so bot/wiring.py hands them a way to make
one: :func:`use_store`. Without it (a test that builds a channel alone, ``rasa shell`` without the entry point) there
is no handover: every message goes to Rasa and nothing is delivered.

The store is made lazily, in a worker thread, by the first caller: making it runs handover's migrations, which a
Rasa process must not wait for at start (a database that is down would keep it from serving at all). If making it
fails, the next caller tries again.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Optional, Protocol, TypeVar

from handover.records import Handover, Message

logger = logging.getLogger(__name__)


class Store(Protocol):
    """What the channels use of handover.store.HandoverStore."""

    def active(self, sender: str) -> Optional[Handover]: ...

    def get(self, handover_id: int) -> Optional[Handover]: ...

    def queued_state(self, handover_id: int) -> Any: ...

    def leave_queue(self, handover_id: int, now: Optional[datetime] = None) -> bool: ...

    def add_message(self, handover_id: int, author: str, text: str, custom: Optional[Dict[str, Any]] = None,
                    key: Optional[str] = None, now: Optional[datetime] = None) -> Message: ...

    def messages_after(self, sender: str, after_id: int = 0, limit: int = ...) -> List[Message]: ...

    def claim_undelivered(self, channel: str, worker: str, now: Optional[datetime] = None,
                          lease_seconds: float = ..., limit: int = ...) -> List[Message]: ...

    def mark_delivered(self, message_ids: Iterable[int], now: Optional[datetime] = None) -> int: ...

    def expire_queued(self, now: Optional[datetime] = None, timeout_seconds: Optional[float] = None
                      ) -> List[Handover]: ...


T = TypeVar("T")

# Delivery's own threads (the worker's rounds, the event streams' reads): under load the default executor is busy
# with every user's hold check and Rasa's own work, and a staff message would wait in its queue.
DELIVERY_THREADS = 4
_delivery = ThreadPoolExecutor(max_workers=DELIVERY_THREADS, thread_name_prefix="handover-delivery")


async def in_delivery_thread(function: Callable[..., T], *args: Any) -> T:
    """Run a blocking store call for delivery on delivery's own threads."""
    return await asyncio.get_running_loop().run_in_executor(_delivery, function, *args)


_factory: Optional[Callable[[], Store]] = None
_store: Optional[Store] = None
_making = threading.Lock()


def use_store(factory: Optional[Callable[[], Store]]) -> None:
    """Make the store with ``factory`` (called once, on first use); None: no handover from now on."""
    global _factory, _store
    with _making:
        _factory, _store = factory, None


def connected() -> bool:
    """Whether a store was given (cheap: makes nothing)."""
    return _factory is not None


def store() -> Optional[Store]:
    """The process's store, made now if it was not yet (blocking: call it from a thread); None when none was given
    or it cannot be made now (logged)."""
    global _store
    if _store is not None or _factory is None:
        return _store
    with _making:
        if _store is None and _factory is not None:
            try:
                _store = _factory()
            except Exception:
                logger.exception("handover.store.unavailable")
        return _store

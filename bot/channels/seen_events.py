"""Which LINE webhook events were already taken on, so that each ``webhookEventId`` is answered once.

LINE may deliver an event twice (a redelivery, or the network), and in production the two
deliveries may reach different Rasa processes. With Redis (bot/shared_state.py) the first process to mark the id
(``SET key 1 NX EX ttl``, atomic) answers it and every other delivery, to any process, is dropped; the mark expires
after ``LINE_EVENT_IDS_SECONDS`` (common/settings.py). Each process also remembers the last ``kept`` ids in memory: that
is all there is without Redis (`make run`), and when Redis fails the event is answered (a possible second answer
is better than none; logged by SharedRedis).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Optional, Text

from bot.shared_state import KEY_PREFIX, UNAVAILABLE, SharedRedis
from common.settings import settings

KEPT_IN_MEMORY = 10_000  # ids per process (about 1 MB)


class SeenEvents:
    def __init__(self, shared: Optional[SharedRedis] = None, ttl: Optional[int] = None,
                 kept: int = KEPT_IN_MEMORY, kind: Text = "line-event") -> None:
        self.shared = shared
        self.ttl = ttl if ttl is not None else settings().line_event_ids_seconds
        self.kept = kept
        self.kind = kind  # part of the key: ids of other kinds (REST request ids) are counted apart
        self._recent: "OrderedDict[Text, None]" = OrderedDict()

    @staticmethod
    def key(event_id: Text, kind: Text = "line-event") -> Text:
        return f"{KEY_PREFIX}{kind}:{event_id}"

    def _first_here(self, event_id: Text) -> bool:
        if event_id in self._recent:
            return False
        self._recent[event_id] = None
        if len(self._recent) > self.kept:
            self._recent.popitem(last=False)
        return True

    async def first_time(self, event_id: Optional[Text]) -> bool:
        """Whether this is the first delivery of ``event_id`` (an event without one always is). Never raises."""
        if not event_id:
            return True
        if not self._first_here(event_id):
            return False
        if self.shared is None or self.ttl <= 0:
            return True
        marked = await self.shared.run(lambda redis: redis.set(self.key(event_id, self.kind), 1, nx=True, ex=self.ttl))
        return True if marked is UNAVAILABLE else bool(marked)

"""How many messages one sender may send per window, counted per channel and sender.

A fixed window per key: the first message of a sender starts a window of ``window`` seconds, each message counts
one, and a message beyond ``limit`` in that window is refused until the window ends (:attr:`Verdict.retry_after`).
Exactly one message sees the count ``limit + 1``, so a channel can tell the user once per window and then stay
silent (:attr:`Verdict.first_refusal`), also when several processes count together.

Where it counts: with Redis (bot/shared_state.py: production, several Rasa processes) in one key per sender that
every process increments, in one atomic script (INCR, and PEXPIRE when the key is new), so the key expires by
itself; without Redis (`make run`) in this process's memory, where windows that ended are dropped and at most
``max_tracked`` are kept (the oldest go first), so memory stays flat under a stream of new senders. When Redis fails
the message is let through (fail open): a limit must never cost a real user an answer. The thresholds are settings
(common/settings.py).
"""
from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import List, Optional, Text, Tuple

from bot.shared_state import KEY_PREFIX, UNAVAILABLE, SharedRedis
from common.settings import settings

MAX_TRACKED = 50_000  # senders whose window is kept in memory (a few MB); beyond, the oldest window is forgotten
# KEYS[1]: the sender's counter; ARGV[1]: the window in ms. Returns {count, ms left in the window}. A key without a
# lifetime (never expected) gets one too, so that no counter can stay forever.
COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int          # messages of this sender in the window, this one included (0: not counted)
    retry_after: int    # whole seconds until the window ends (at least 1 when refused)
    limit: int

    @property
    def first_refusal(self) -> bool:
        """The first message over the limit in this window: the one to tell the user about."""
        return not self.allowed and self.count == self.limit + 1


def allowed() -> Verdict:
    return Verdict(allowed=True, count=0, retry_after=0, limit=0)


class MemoryWindows:
    """Counters in this process: key -> [window end, count], in the order the windows end (all are as long)."""

    def __init__(self, window: float, max_tracked: int = MAX_TRACKED) -> None:
        self.window = window
        self.max_tracked = max_tracked
        self._windows: "OrderedDict[Text, List[float]]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    def hit(self, key: Text, now: float) -> Tuple[int, float]:
        """Count one message; ``(count in the window, seconds left in it)``."""
        while self._windows and next(iter(self._windows.values()))[0] <= now:
            self._windows.popitem(last=False)
        entry = self._windows.get(key)
        if entry is None:  # a new window ends after every other one: it goes last, keeping the order
            entry = self._windows[key] = [now + self.window, 0]
            if len(self._windows) > self.max_tracked:
                self._windows.popitem(last=False)
        entry[1] += 1
        return int(entry[1]), entry[0] - now


class SenderLimiter:
    """``limit`` messages per ``window`` seconds per (channel, sender); 0 means no limit."""

    def __init__(self, limit: int, window: int, shared: Optional[SharedRedis] = None, name: Text = "rate",
                 max_tracked: int = MAX_TRACKED) -> None:
        self.limit = limit
        self.window = max(1, window)
        self.shared = shared
        self.name = name  # part of the key: limiters with other thresholds count apart
        self.memory = MemoryWindows(self.window, max_tracked)

    @classmethod
    def per_sender(cls, shared: Optional[SharedRedis]) -> "SenderLimiter":
        """The sender limit: RATE_LIMIT_MESSAGES per RATE_LIMIT_WINDOW_SECONDS (common/settings.py)."""
        current = settings()
        return cls(current.rate_limit_messages, current.rate_limit_window_seconds, shared, "rate")

    def key(self, channel: Text, sender: Text) -> Text:
        return f"{KEY_PREFIX}{self.name}:{channel}:{sender}"

    async def hit(self, channel: Text, sender: Text) -> Verdict:
        """Count one message of ``sender`` on ``channel``; whether it may be answered. Never raises."""
        if self.limit <= 0:
            return allowed()
        key = self.key(channel, sender)
        if self.shared is not None and self.shared.enabled:
            counted = await self.shared.run(
                lambda redis: redis.eval(COUNT_SCRIPT, 1, key, int(self.window * 1000)))
            if counted is UNAVAILABLE:  # fail open (logged once by SharedRedis)
                return allowed()
            count, left = int(counted[0]), int(counted[1]) / 1000
        else:
            count, left = self.memory.hit(key, time.monotonic())
        ok = count <= self.limit
        return Verdict(allowed=ok, count=count, retry_after=0 if ok else max(1, math.ceil(left)), limit=self.limit)

"""LINE pushes on a thread of their own, with an event loop of their own.

Why: under load, a Rasa process's event loop is busy predicting (the model runs on it), and every step of a push
round (claim, push, mark) waited for it: a staff message took 1.2 s at p95 to reach LINE's Push API while 16
conversations ran (issue 19's target is 1 s). This thread's loop has nothing else to do, so a round takes as long as
its database and HTTP calls. The thread has its own Messaging API client: an aiohttp session belongs to one loop.

What a round does is line_push.deliver's, unchanged: leases, retry keys and order hold as before, and a process
killed mid-round loses nothing. The thread is a daemon, so it never keeps a process alive; ``stop`` lets a round in
progress finish for a while, then closes the client.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Optional

from bot.channels import handover_link, line_push

logger = logging.getLogger(__name__)


class PushThread:
    def __init__(self, line_api: Any, interval: float, name: str) -> None:
        # the same account and host as the channel's client, in a client of this thread's loop
        self.line_api = type(line_api)(line_api.access_token, line_api.host)
        self.interval = interval
        self.name = name
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=asyncio.run, args=(self._run(),), name="line-push", daemon=True)
            self._thread.start()

    async def stop(self, grace_seconds: float) -> None:
        """Stop after the round in progress (waiting at most ``grace_seconds``), without blocking the caller's
        loop."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        await asyncio.get_running_loop().run_in_executor(None, thread.join, grace_seconds)
        if thread.is_alive():
            logger.warning("line.push_thread.still_running at stop; left as a daemon")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not self._stopping.is_set():
                try:
                    await self.round()
                except Exception:
                    logger.exception("line.push_thread.round_failed")
                await loop.run_in_executor(None, self._stopping.wait, self.interval)
        finally:
            await self.line_api.close()

    async def round(self) -> int:
        """One push round; how many messages were delivered (or refused for good)."""
        store = await handover_link.in_delivery_thread(handover_link.store)
        if store is None:
            return 0
        return await line_push.deliver(store, self.line_api.api(), self.name)

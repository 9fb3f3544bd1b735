"""The handover worker: one background loop per Rasa process, for what no user message triggers.

Every ``HANDOVER_DELIVERY_INTERVAL_SECONDS`` it

- times out queued handovers nobody took in time (handover/store.py ``expire_queued``, which adds the system message
  telling the user that the wait timed out and offering a call back: contract.TIMED_OUT_TEXT with the
  ``unavailable`` state). Web chat users get it on their event stream (bot/channels/events.py), LINE users by the
  push below. Every process may do it: each expiry is one conditional UPDATE, so two processes never expire one
  handover twice;
- in a process with the LINE channel, pushes staff's and system messages to LINE users (bot/channels/line_push.py),
  from a thread of its own (bot/channels/push_thread.py: Rasa's busy event loop slowed every push round);
- at most once an hour, applies retention: call-back requests done ``CALLBACK_RETENTION_DAYS`` ago and handovers
  older than ``HANDOVER_RETENTION_DAYS`` are deleted (their contacts are personal data), without a cron job.

Both channels start it (the REST channel, which every process has, and the LINE channel, which adds the pushes): the
first to start makes the process's one worker (kept on the Sanic app), and it stops before the server stops, before
the LINE client is closed. A round that fails is logged and the next one runs as usual.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from typing import Any, Optional

from sanic import Blueprint

from bot.channels import handover_link, line_push
from bot.channels.push_thread import PushThread
from common.settings import settings

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0  # a round in progress (a push) may finish this long when the server stops
PRUNE_EVERY_SECONDS = 3600.0  # retention is applied at most this often per process


class HandoverWorker:
    def __init__(self, interval: Optional[float] = None, name: Optional[str] = None) -> None:
        self.interval = settings().handover_delivery_interval_seconds if interval is None else interval
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.line_api: Any = None  # bot/channels/line.py LineApi, when the process has the LINE channel
        self._task: Optional[asyncio.Task] = None
        self._stopping: Optional[asyncio.Event] = None
        self._pruned_at: Optional[float] = None  # time.monotonic() of the last retention round; None: not yet
        self._pusher: Optional[PushThread] = None

    def deliver_line_with(self, line_api: Any) -> None:
        """Push to LINE users with ``line_api``'s account: from the push thread once the worker runs, and in
        ``run_once``."""
        self.line_api = line_api
        if self._task is not None:
            self._start_pusher()

    def start(self) -> None:
        """Start the loop in the running event loop, and the push thread when LINE is served (once; a second call
        does nothing)."""
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="handover-worker")
        if self.line_api is not None:
            self._start_pusher()

    def _start_pusher(self) -> None:
        if self._pusher is None:
            self._pusher = PushThread(self.line_api, self.interval, self.name)
            self._pusher.start()

    async def stop(self) -> None:
        """End the push thread and the loop: a round in progress may finish (for a while), then it is cancelled."""
        pusher, self._pusher = self._pusher, None
        if pusher is not None:
            await pusher.stop(STOP_GRACE_SECONDS)
        task, self._task = self._task, None
        if task is None:
            return
        assert self._stopping is not None
        self._stopping.set()
        done, _ = await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
        if not done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        assert self._stopping is not None
        while not self._stopping.is_set():
            try:
                await self.housekeeping()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("handover.worker.failed")
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval)
            except asyncio.TimeoutError:
                pass

    async def run_once(self, now: Any = None) -> None:
        """One whole round in the caller's loop (for tests): time out waiting users, push to LINE users, apply
        retention. ``now``: the moment of all three."""
        store = await self.housekeeping(now)
        if store is not None and self.line_api is not None:
            await line_push.deliver(store, self.line_api.api(), self.name, now)

    async def housekeeping(self, now: Any = None) -> Any:
        """Time out waiting users and apply retention (at most hourly); the store, or None without one."""
        if not handover_link.connected():
            return None
        store = await handover_link.in_delivery_thread(handover_link.store)
        if store is None:
            return None
        await handover_link.in_delivery_thread(store.expire_queued, now)
        if self._pruned_at is None or time.monotonic() - self._pruned_at >= PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            await handover_link.in_delivery_thread(store.prune_callbacks, now)
            await handover_link.in_delivery_thread(store.prune_handovers, now)
        return store


def worker_of(app: Any) -> HandoverWorker:
    """The process's worker, kept on the Sanic app (made on first use)."""
    worker = getattr(app.ctx, "handover_worker", None)
    if worker is None:
        worker = app.ctx.handover_worker = HandoverWorker()
    return worker


def run_with(blueprint: Blueprint, line_api: Any = None) -> None:
    """Run the process's worker while the server that mounts ``blueprint`` runs; with ``line_api``, it pushes to
    LINE users too."""

    @blueprint.listener("after_server_start")
    async def start_handover_worker(app: Any, *_: Any) -> None:
        worker = worker_of(app)
        if line_api is not None:
            worker.deliver_line_with(line_api)
        worker.start()

    @blueprint.listener("before_server_stop")
    async def stop_handover_worker(app: Any, *_: Any) -> None:
        await worker_of(app).stop()

"""Server-sent events on the REST channel: what staff write reaches the web chat without the user sending anything.

``GET /webhooks/rest/events?sender=…&after=N`` answers ``text/event-stream``: each staff or system message of the
sender's handovers with an id above the cursor (the larger of ``after`` and the ``Last-Event-ID`` header a
browser's EventSource sends when it reconnects), as

    id: 42
    event: message
    data: {"id": 42, "author": "staff", "staff": "佐藤", "text": "…", "custom": {…}}

``custom`` is the reply contract (a program card's ``programs``, or ``handover`` with the state); ``staff`` is the
display name of whoever holds the handover, on staff messages. When the sender has no queued or connected handover
and nothing is left to send, ``event: idle`` ends the stream (the web chat closes its EventSource then; a stream
has nothing to wait for). A comment line every ``HEARTBEAT_SECONDS`` keeps proxies and the server's own response
timeout from cutting a quiet stream.

Why server-sent events, and not a WebSocket or Rasa's socket.io channel: the traffic is one way (the user still
writes through the REST channel's POST, which embedders keep using unchanged), it is plain HTTP through the
production nginx and the REST channel's CORS, and a browser's EventSource reconnects by itself, sending the last id
it saw. Rasa's socket.io channel would replace the REST channel and keep each user's socket in one process, so a
message written through another process would not reach it.

Delivery reads the shared database (handover/store.py ``messages_after``) every
``HANDOVER_DELIVERY_INTERVAL_SECONDS``, so it does not matter which process holds the stream or which one the staff
message was written through, and a stream cut by a restart resumes on another process from its last id. Nothing is
marked as delivered: the cursor is the client's (the web chat keeps it in localStorage, so a page reload resumes
too). When the server stops, every stream ends cleanly within one interval; the browser reconnects after
``RETRY_MILLISECONDS``.

Anyone who knows a sender id can read its stream, as they could post as that sender: the web chat's sender ids are
random and kept in the user's browser.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Dict, List, Optional, Text, Tuple

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import handover_link
from common.settings import settings
from handover.models import STAFF
from handover.records import Message

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0   # well within nginx's proxy_read_timeout (120 s) and Rasa's response timeout
RETRY_MILLISECONDS = 3000  # how long a browser waits before reconnecting a stream that ended
MAX_STREAMS = 400          # open streams per process; beyond, 503 (nginx holds two connections per stream)
MAX_SENDER = 128           # as the REST channel's POST (bot/channels/rest.py)


class BadRequest(ValueError):
    """The stream's query is not one this channel takes; the text says why."""


def cursor_of(request: Request) -> Tuple[Text, int]:
    """``(sender, after)`` from the query and ``Last-Event-ID``; BadRequest when they are not valid."""
    args = getattr(request, "args", None) or {}
    sender = args.get("sender")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER or not sender.isprintable():
        raise BadRequest(f"sender must be a string of 1 to {MAX_SENDER} printable characters")
    ids = [args.get("after"), (getattr(request, "headers", None) or {}).get("Last-Event-ID")]
    after = 0
    for value in ids:
        if value in (None, ""):
            continue
        if not str(value).isdigit() or len(str(value)) > 18:
            raise BadRequest("after and Last-Event-ID must be message ids (whole numbers)")
        after = max(after, int(value))
    return sender, after


def event(name: Text, data: Dict[Text, Any], event_id: Optional[int] = None) -> Text:
    """One server-sent event; the JSON is on one line (no newline can end the event early)."""
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines += [f"event: {name}", "data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":"))]
    return "\n".join(lines) + "\n\n"


def _pending(store: handover_link.Store, sender: Text, after: int, names: Dict[int, Optional[Text]]
             ) -> List[Dict[Text, Any]]:
    """The messages to send next, with the staff name of each staff message (``names`` caches it per handover)."""
    found: List[Dict[Text, Any]] = []
    message: Message
    for message in store.messages_after(sender, after):
        data: Dict[Text, Any] = {"id": message.id, "author": message.author, "text": message.text,
                                 "custom": message.custom}
        if message.author == STAFF:
            if message.handover_id not in names:
                handover = store.get(message.handover_id)
                names[message.handover_id] = handover.taken_by_name if handover is not None else None
            if names[message.handover_id]:
                data["staff"] = names[message.handover_id]
        found.append(data)
    return found


def _active(store: handover_link.Store, sender: Text) -> bool:
    return store.active(sender) is not None


class EventStreams:
    """The REST channel's streams in one process: how many are open, and the signal that the server stops."""

    def __init__(self) -> None:
        self.open = 0
        self.stopping: Optional[asyncio.Event] = None

    def started(self) -> None:
        """The server started (its event loop runs): streams may open."""
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        """The server stops: every stream ends within one interval."""
        if self.stopping is not None:
            self.stopping.set()

    def add_route(self, blueprint: Blueprint) -> None:
        @blueprint.route("/events", methods=["GET"])
        async def handover_events(request: Request) -> Optional[HTTPResponse]:
            return await self.handle(request)

        @blueprint.listener("after_server_start")
        async def streams_may_open(*_: Any) -> None:
            self.started()

        @blueprint.listener("before_server_stop")
        async def end_streams(*_: Any) -> None:
            self.stop()

    async def handle(self, request: Request) -> Optional[HTTPResponse]:
        try:
            sender, after = cursor_of(request)
        except BadRequest as error:
            return response.json({"error": str(error)}, status=400)
        if not handover_link.connected():  # 204: an EventSource does not reconnect
            return response.empty()
        if self.open >= MAX_STREAMS or (self.stopping is not None and self.stopping.is_set()):
            return response.json({"error": "too many streams"}, status=503,
                                 headers={"Retry-After": str(RETRY_MILLISECONDS // 1000)})
        store = await handover_link.in_delivery_thread(handover_link.store)
        if store is None:  # the database cannot be reached now (logged): the browser tries again
            return response.json({"error": "unavailable"}, status=503,
                                 headers={"Retry-After": str(RETRY_MILLISECONDS // 1000)})
        self.open += 1
        try:
            await self._stream(request, store, sender, after)
        finally:
            self.open -= 1
        return None

    async def _stream(self, request: Request, store: handover_link.Store, sender: Text, after: int) -> None:
        stream = await request.respond(content_type="text/event-stream; charset=utf-8",
                                       headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        interval = settings().handover_delivery_interval_seconds
        names: Dict[int, Optional[Text]] = {}
        cursor, last_sent, last_checked = after, time.monotonic(), float("-inf")
        await stream.send(f"retry: {RETRY_MILLISECONDS}\n\n")
        try:
            while self.stopping is None or not self.stopping.is_set():
                pending = await handover_link.in_delivery_thread(_pending, store, sender, cursor, names)
                for data in pending:
                    await stream.send(event("message", data, data["id"]))
                    cursor = data["id"]
                now = time.monotonic()
                if pending:
                    last_sent = now
                    continue  # there may be more than one read returns
                if now - last_checked >= HEARTBEAT_SECONDS:
                    # Read again after the check: a handover that ended since the read above has its last message
                    # (the end, a timed-out wait) stored by now, and it must not be left behind.
                    if not await handover_link.in_delivery_thread(_active, store, sender):
                        if await handover_link.in_delivery_thread(_pending, store, sender, cursor, names):
                            continue
                        await stream.send(event("idle", {"after": cursor}))
                        break
                    last_checked = now
                if now - last_sent >= HEARTBEAT_SECONDS:
                    await stream.send(": keepalive\n\n")
                    last_sent = now
                await self._pause(interval)
            await stream.eof()
        except asyncio.CancelledError:  # the client went away (Sanic cancels the handler)
            raise
        except Exception:  # the database failed, or the client went away while being written to
            logger.exception("rest.events.failed")  # the browser reconnects from its last id

    async def _pause(self, seconds: float) -> None:
        if self.stopping is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass

"""Redis for what every Rasa process must see alike (rate counts, LINE event ids), or nothing.

Production (`make run-prod`, scripts/prod/env.sh) runs several Rasa processes behind nginx: a count or a "seen" mark
kept in one process's memory would be missed by the others. They already share Redis for Rasa's lock store, whose
settings reach each process as LOCK_REDIS_HOST, LOCK_REDIS_PORT, LOCK_REDIS_PASSWORD and LOCK_REDIS_DB
(endpoints-prod.yml); :func:`redis_client` builds the one asyncio client from them, and returns None when
LOCK_REDIS_HOST is unset (`make run`: one process, its memory is shared enough).

:class:`SharedRedis` is what the channels hold. Its callers keep working without Redis (a limit lets the message
through, de-duplication falls back to memory), so a failed call is never raised: it returns :data:`UNAVAILABLE`,
logged once per outage, and Redis is left alone for ``retry_seconds`` so that a Redis that hangs does not slow
every turn by the socket timeout.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Mapping, Optional

from common.settings import settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "aomori:"  # as the lock store's keys (endpoints-prod.yml key_prefix), in the same database
SOCKET_SECONDS = 1.0    # a call to a loopback Redis takes well under a millisecond; longer is an outage
RETRY_SECONDS = 5.0     # after a failure, Redis is not asked again for this long
UNAVAILABLE: Any = object()


def redis_client(environ: Optional[Mapping[str, str]] = None) -> Any:
    """A ``redis.asyncio.Redis`` for the lock store's Redis (LOCK_REDIS_*), or None when LOCK_REDIS_HOST is unset.

    No connection is made here: the client connects on its first command, in the event loop that runs it."""
    from redis.asyncio import Redis

    current = settings(environ)
    if current.lock_redis_host is None:
        return None
    password = current.lock_redis_password
    return Redis(host=current.lock_redis_host, port=current.lock_redis_port, db=current.lock_redis_db,
                 password=password.get_secret_value() if password else None,
                 socket_timeout=SOCKET_SECONDS, socket_connect_timeout=SOCKET_SECONDS)


class SharedRedis:
    """The process's Redis for shared state: made lazily in the running event loop, failures never raised.

    A client's connections belong to the loop they were opened in, so a call from another loop (a test, a second
    ``asyncio.run``) gets a client of its own, as the LINE channel's API client does."""

    def __init__(self, make_client: Callable[[], Any] = redis_client, retry_seconds: float = RETRY_SECONDS) -> None:
        self._make_client = make_client
        self._client: Any = make_client()  # connects on its first command only
        self._loop: Optional[asyncio.AbstractEventLoop] = None  # the loop using it (None: not used yet)
        self.enabled = self._client is not None
        self.retry_seconds = retry_seconds
        self._down_until: Optional[float] = None  # set during an outage: not asked again before then

    def client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop not in (None, loop):
            self._client = self._make_client()
        self._loop = loop
        return self._client

    async def run(self, command: Callable[[Any], Awaitable[Any]]) -> Any:
        """``await command(client)``, or UNAVAILABLE without Redis, during an outage, or when it fails."""
        if not self.enabled:
            return UNAVAILABLE
        if self._down_until is not None and time.monotonic() < self._down_until:
            return UNAVAILABLE
        try:
            result = await command(self.client())
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if self._down_until is None:  # once per outage, without the traceback of every caller
                logger.error("shared_state.redis.unavailable; working without it until it answers again: %s",
                             type(error).__name__)
            self._down_until = time.monotonic() + self.retry_seconds
            return UNAVAILABLE
        if self._down_until is not None:
            logger.warning("shared_state.redis.available again")
            self._down_until = None
        return result

    async def close(self) -> None:
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            try:
                await client.close(close_connection_pool=True)
            except Exception:  # closing after an outage or from a finished loop: nothing left to release
                logger.debug("shared_state.redis.close failed", exc_info=True)

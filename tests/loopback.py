"""Clients at loopback addresses of their own (127.0.0.0/8 is all loopback): to a server on this machine, each is
another client, as a proxy or a rate limiter counts clients by address."""
from __future__ import annotations

from requests.adapters import HTTPAdapter


class FromAddress(HTTPAdapter):
    """Connections made from ``address`` (e.g. 127.0.0.2), not from 127.0.0.1 (the browser's, and everyone's)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)

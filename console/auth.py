"""Login for the staff console: one shared password, sessions in memory, wrong guesses slowed down.

Without CONSOLE_PASSWORD a random password is generated at start and printed with the URL (as
Jupyter does with its token); there is never a fixed default.
"""
from __future__ import annotations

import hmac
import os
import secrets
import time
from collections import defaultdict, deque
from typing import Deque, Dict, Optional, Set

MAX_FAILURES = 5
WINDOW_SECONDS = 300
SESSION_COOKIE = "console_session"


def configured_password() -> tuple[str, bool]:
    """(password, generated): the environment's CONSOLE_PASSWORD or a fresh random one."""
    password = os.environ.get("CONSOLE_PASSWORD")
    if password:
        return password, False
    return secrets.token_urlsafe(12), True


class Gate:
    def __init__(self, password: str) -> None:
        self._password = password.encode()
        self._sessions: Set[str] = set()
        self._failures: Dict[str, Deque[float]] = defaultdict(deque)

    def locked_for(self, client: str, now: Optional[float] = None) -> float:
        """Seconds the client must wait before trying again (0 when it may try)."""
        now = now or time.monotonic()
        failures = self._failures[client]
        while failures and now - failures[0] > WINDOW_SECONDS:
            failures.popleft()
        if len(failures) < MAX_FAILURES:
            return 0.0
        return WINDOW_SECONDS - (now - failures[0])

    def login(self, client: str, password: str) -> Optional[str]:
        """A new session token for the right password; None (and one more failure) otherwise."""
        if hmac.compare_digest(password.encode(), self._password):
            self._failures.pop(client, None)
            token = secrets.token_urlsafe(32)
            self._sessions.add(token)
            return token
        self._failures[client].append(time.monotonic())
        return None

    def valid(self, token: Optional[str]) -> bool:
        return bool(token) and token in self._sessions

"""Login for the staff console: named staff accounts, expiring sessions shared by every console process, logout,
and a lockout an attacker cannot turn against all staff.

Accounts. Each staff member logs in with a login name and a password of their own (console/accounts/: argon2id
hashes in the shared database, managed with ``python -m console.accounts``). When the console starts with no
account at all, it creates ``staff`` with CONSOLE_PASSWORD or a random password printed with the URL (as Jupyter
does with its token; console/__main__.py); there is never a fixed default. A wrong password, an unknown login name
and a disabled account get the same answer after the same argon2 work, so the form tells no one which login names
exist. A disabled account cannot log in, and its sessions stop working at their next request.

Sessions. A successful login creates a random token (``secrets.token_urlsafe(32)``) whose SHA-256 digest is a row of
the shared database (``staff_sessions``, console/accounts/sessions.py), with its account: every console process
accepts it (``make run-prod`` may run several), and a restart logs no one out. The browser holds the token in a
cookie that is HttpOnly, SameSite=Strict, Path=/ and, when the console is served over TLS, Secure. A session ends
after ``CONSOLE_SESSION_IDLE_MINUTES`` without a request, after ``CONSOLE_SESSION_MAX_HOURS`` whatever the activity
(defaults: common/settings.py), at logout, which deletes it on the server and clears the cookie, and when its
account is disabled or its password reset. Session times are wall-clock UTC (``clock``, default ``time.time``):
they are compared across processes, which share no monotonic clock.

Proxies. Forwarded headers are ignored unless the TCP peer is listed in ``CONSOLE_TRUSTED_PROXIES`` (addresses
or networks, comma-separated, e.g. ``127.0.0.1, 10.0.0.0/8``). From a trusted peer, the client is the right-most
``X-Forwarded-For`` entry that is not itself a trusted proxy (entries further left are whatever the client sent,
so they are never believed); ``X-Forwarded-Proto: https`` marks the request as TLS (for the Secure flag), and
``X-Forwarded-Host`` names the host the Origin check compares with.

Wrong passwords. A per-address lock is a weapon behind a proxy: every staff member shares the proxy's address, so
five wrong guesses by anyone would lock out everyone. A per-account lock is one too: anyone could lock a colleague
out by typing their login name. Instead:

1. Failures are counted per *client*: the real client address (see Proxies), or, for a browser that has logged in
   here before, its *device*: a successful login sets a device cookie (random id, issue time, HMAC-SHA256 with the
   database's device key, console/accounts/keys.py, so every console process accepts it; valid ``DEVICE_DAYS``). A
   browser with a valid device cookie is judged on its own failures only, so no number of wrong guesses from its
   address, or from anywhere else, keeps it out (OWASP's "device cookies"). An attacker cannot forge the cookie
   without the key.
2. The first ``FREE_FAILURES`` failures of a client cost nothing; from then on the client waits a short,
   exponentially growing time after each failure (``FIRST_DELAY`` seconds, doubled per further failure, at most
   ``MAX_DELAY``) instead of one long lock. Attempts during the wait are refused without looking at the password
   (so even the right one waits: the wait must not tell a guess is right) and do not count. A client's failures
   are forgotten after ``FORGET_AFTER`` seconds without one, or at its successful login.
3. A global limit slows guessing spread over many addresses: when more than ``GLOBAL_LIMIT`` failures from clients
   without a device cookie happened in the last ``GLOBAL_WINDOW`` seconds, every such client that has already
   failed waits until the count falls below the limit. A client that has not failed, and any browser with a device
   cookie, is still checked, so the right password from them always gets in: the limit slows guessing (each new
   attacker address gets one guess while it holds) but never locks staff out.

These counts stay in each process's memory: a restart forgets them, and with several console processes each
counts the failures it saw, so an attacker spread over N processes gets at most N times the tries. One process
checks one login at a time (a lock, held through the password check; console/app.py runs logins in a thread of
their own so that waiting logins hold up no other request), as when logins ran on the event loop: parallel
guesses from one client cannot slip past its wait.

CSRF. Besides SameSite=Strict, every POST (login, logout, marks) carrying an ``Origin`` header must come from the
console's own host (see ``same_origin``); requests without one (curl, scripts) are not browsers acting for someone.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Deque, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from common.settings import Network, settings
from console.accounts import keys, passwords, sessions, store
from console.accounts.models import Staff
from review import db as review_db

SESSION_COOKIE = "console_session"
DEVICE_COOKIE = "console_device"

FREE_FAILURES = 5        # failures of one client before it has to wait
FIRST_DELAY = 30.0       # seconds to wait after the FREE_FAILURES-th failure, doubled after each further one
MAX_DELAY = 900.0        # the longest wait after one failure
FORGET_AFTER = 3600.0    # a client's failures are forgotten after this long without a new one
GLOBAL_WINDOW = 600.0    # the global limit: failures of clients without a device cookie in this window...
GLOBAL_LIMIT = 30        # ...beyond which clients that have failed wait
DEVICE_DAYS = 30         # how long a device cookie marks a browser as having logged in before
MAX_TRACKED = 100_000    # clients whose failures are remembered (the oldest are dropped beyond)


@dataclass(frozen=True)
class Settings:
    """The login settings in seconds; ``Settings()`` is the defaults of common/settings.py."""
    idle_seconds: float = settings({}).console_session_idle_minutes * 60
    max_seconds: float = settings({}).console_session_max_hours * 3600
    trusted_proxies: Tuple[Network, ...] = ()

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Settings":
        """CONSOLE_SESSION_IDLE_MINUTES, CONSOLE_SESSION_MAX_HOURS (decimals allowed), CONSOLE_TRUSTED_PROXIES."""
        current = settings(environ)
        return cls(idle_seconds=current.console_session_idle_minutes * 60,
                   max_seconds=current.console_session_max_hours * 3600,
                   trusted_proxies=current.console_trusted_proxies)


def same_origin(origin: Optional[str], host: str) -> bool:
    """Whether a request's Origin header (when it has one) names the console's own host and port."""
    if origin is None:
        return True
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or not host:
        return False  # "null" (sandboxed or privacy-redirected pages) included
    default = 443 if parts.scheme == "https" else 80
    try:
        theirs = (parts.hostname.lower(), parts.port or default)
        ours = urlsplit(f"//{host.strip()}")
        return theirs == ((ours.hostname or "").lower(), ours.port or default)
    except ValueError:  # a port out of range
        return False


def set_cookie(cookies, name: str, value: str, *, secure: bool, max_age: int) -> None:
    """Set a console cookie on a Sanic response's cookie jar: HttpOnly, SameSite=Strict, Secure over TLS."""
    cookies[name] = value
    cookies[name]["path"] = "/"
    cookies[name]["httponly"] = True
    cookies[name]["samesite"] = "Strict"
    cookies[name]["max-age"] = max(0, int(max_age))
    if secure:
        cookies[name]["secure"] = True


def clear_cookie(cookies, name: str, *, secure: bool) -> None:
    set_cookie(cookies, name, "", secure=secure, max_age=0)


# ---- the gate: sessions, devices, failures ----

@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass(frozen=True)
class Attempt:
    """What a login attempt came to: ``token`` (and ``device``, the device cookie to set, and ``staff``, who logged
    in) when it succeeded, ``wait`` seconds when it was refused unchecked, neither when the login name or password
    was wrong (or the account disabled)."""
    token: Optional[str] = None
    device: Optional[str] = None
    wait: float = 0.0
    staff: Optional[Staff] = None

    @property
    def ok(self) -> bool:
        return self.token is not None


def backoff(failures: int) -> float:
    """Seconds a client waits after its ``failures``-th failure."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(FIRST_DELAY * 2 ** (failures - FREE_FAILURES), MAX_DELAY)


@dataclass(frozen=True)
class Check:
    """A session cookie's state: ``"valid"`` (with its ``staff`` member), ``"expired"`` or ``"none"``."""
    state: str
    staff: Optional[Staff] = None


class Gate:
    """The console's sessions and login rules, on the shared database ``db_url`` (default: ``REVIEW_DB_URL``).

    ``clock`` is wall-clock seconds (sessions and device cookies are compared across processes); tests pass their
    own, or move ``time.time`` with time-machine. ``hasher`` is argon2's PasswordHasher (tests pass a fast one)."""

    def __init__(self, db_url: Optional[str] = None, settings: Optional[Settings] = None,
                 clock: Callable[[], float] = time.time, hasher: Optional[PasswordHasher] = None) -> None:
        self.db_url = db_url or review_db.review_url()
        self.settings = settings or Settings()
        self.clock = clock
        self.hasher = hasher or passwords.HASHER
        self._key: Optional[bytes] = None
        self._lock = threading.Lock()  # the failure counts, and one login check at a time
        self._failures: "OrderedDict[Tuple[str, str], _Failures]" = OrderedDict()
        self._global: Deque[float] = deque()

    def _db(self) -> Session:
        return review_db.session(self.db_url)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    def _limits(self) -> Tuple[timedelta, timedelta]:
        return timedelta(seconds=self.settings.idle_seconds), timedelta(seconds=self.settings.max_seconds)

    # -- sessions --

    def check(self, token: Optional[str]) -> Check:
        """The session's state and, when valid, its staff member (the session's idle time starts again)."""
        if not token:
            return Check("none")
        with self._db() as db:
            state, staff = sessions.look_up(db, token, self._now(), *self._limits())
        return Check(state, staff)

    def session(self, token: Optional[str]) -> str:
        """``"valid"`` (and the session's idle time starts again), ``"expired"`` (now deleted) or ``"none"``."""
        return self.check(token).state

    def valid(self, token: Optional[str]) -> bool:
        return self.session(token) == "valid"

    def logout(self, token: Optional[str]) -> None:
        if token:
            with self._db() as db:
                sessions.end(db, token)

    def session_seconds(self) -> int:
        """The session cookie's Max-Age: the absolute lifetime (the server ends it earlier when idle)."""
        return int(self.settings.max_seconds)

    # -- devices --

    def _sign(self, payload: str) -> str:
        if self._key is None:
            with self._db() as db:
                self._key = keys.device_key(db)
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def _new_device(self, now: float, device: Optional[str]) -> str:
        payload = f"{device or secrets.token_urlsafe(16)}.{int(now)}"
        return f"{payload}.{self._sign(payload)}"

    def device(self, cookie: Optional[str]) -> Optional[str]:
        """The device id of a genuine, unexpired device cookie; None otherwise."""
        if not cookie or cookie.count(".") != 2:
            return None
        payload, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        device, issued = payload.split(".")
        if not issued.isdigit() or self.clock() - int(issued) > DEVICE_DAYS * 86400:
            return None
        return device

    # -- failures (this process's, in memory) --

    def _record(self, key: Tuple[str, str], now: float) -> Optional[_Failures]:
        record = self._failures.get(key)
        if record is not None and now - record.last > FORGET_AFTER:
            del self._failures[key]
            return None
        return record

    def _global_wait(self, now: float) -> float:
        while self._global and now - self._global[0] > GLOBAL_WINDOW:
            self._global.popleft()
        if len(self._global) < GLOBAL_LIMIT:
            return 0.0
        return self._global[-GLOBAL_LIMIT] + GLOBAL_WINDOW - now

    def _wait(self, key: Tuple[str, str], now: float) -> float:
        record = self._record(key, now)
        if record is None or record.count == 0:
            return 0.0
        wait = record.last + backoff(record.count) - now
        if key[0] == "address":
            wait = max(wait, self._global_wait(now))
        return max(wait, 0.0)

    def wait(self, address: str, device_cookie: Optional[str] = None) -> float:
        """Seconds this client must wait before its password is looked at (0: it may try now)."""
        device = self.device(device_cookie)
        with self._lock:
            return self._wait(("device", device) if device else ("address", address), self.clock())

    def _fail(self, key: Tuple[str, str], now: float) -> None:
        record = self._record(key, now) or _Failures()
        record.count += 1
        record.last = now
        self._failures[key] = record
        self._failures.move_to_end(key)
        while len(self._failures) > MAX_TRACKED:
            self._failures.popitem(last=False)
        if key[0] == "address":
            self._global.append(now)

    def login(self, address: str, login: str, password: str, device_cookie: Optional[str] = None) -> Attempt:
        """Check a login name and password for the client at ``address`` (with the device cookie its browser sent,
        if any); one check at a time in this process."""
        with self._lock:
            now = self.clock()
            device = self.device(device_cookie)
            key = ("device", device) if device else ("address", address)
            wait = self._wait(key, now)
            if wait > 0:
                return Attempt(wait=wait)
            with self._db() as db:
                staff = store.authenticate(db, login, password, self.hasher)
                if staff is None:
                    self._fail(key, now)
                    return Attempt()
                self._failures.pop(key, None)
                token = sessions.start(db, staff.id, self._now(), *self._limits())
            return Attempt(token=token, device=self._new_device(now, device), staff=staff)

"""The real console app (console/app.py's ``create_app``) served in the test process through its ASGI interface.

No socket and no second process: requests go through the app's whole path (middleware, the login guard, the
same-site rule, the handlers, its store thread pool) on an event loop of its own, in a thread, so that tests stay
plain functions and ``caplog`` sees every log record the console makes. Each app has a name of its own.

Sanic rewrites some of its own classes' methods when an app starts ("touch-up": the signal dispatches no app
uses are compiled out), from their source; a second start in one process then rewrites the rewritten method and
fails (tests/unit/test_console_concurrency.py runs its console as a process of its own for this reason). Sanic's
test mode rewrites from the original each time: this module keeps the originals where test mode expects them when
it is imported (at collection, before any app of the test run has started), turns test mode on while its apps
start, and puts the methods back as they were once its last app has stopped, so that a Sanic server another test
starts afterwards, outside test mode, finds the originals it can rewrite.

``Browser`` keeps cookies like a browser of the console's own origin: it sends the session cookie back, and
``Origin`` on POSTs when told to (a page of another site sends its own).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json as jsonlib
import threading
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, Awaitable, Dict, List, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from sanic import Sanic
from sanic.touchup import TouchUp

for _target, _method in TouchUp._registry:  # what Sanic's test mode rewrites from (sanic/touchup/service.py)
    if not hasattr(_target, f"_{_method}"):
        setattr(_target, f"_{_method}", getattr(_target, _method))

_running: List["Served"] = []   # apps of this module started and not yet stopped
_before: Dict[Tuple[Any, str], Any] = {}  # the touched-up methods as they were when the first of them started


def _remember_methods() -> None:
    if not _running:
        _before.clear()
        _before.update({(target, name): (getattr(target, name), target.__dict__.get("__touched__"))
                        for target, name in TouchUp._registry})


def _restore_methods() -> None:
    if not _running:
        for (target, name), (method, touched) in _before.items():
            setattr(target, name, method)
            target.__touched__ = touched

HOST = "console.test"
ORIGIN = f"http://{HOST}"


@dataclass
class Answer:
    status: int
    headers: List[Tuple[str, str]]
    body: bytes

    def header(self, name: str) -> Optional[str]:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Served:
    """``app`` started (its lifespan) on an event loop in a thread of its own; stop() shuts it down."""

    def __init__(self, app) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="asgi-console", daemon=True)
        self.thread.start()
        self._lifespan: Optional[asyncio.Queue] = None
        self._task = None
        self.run(self._start())

    def run(self, work: Awaitable[Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def gather(self, *works: Awaitable[Any], timeout: float = 60) -> List[Any]:
        async def together():
            return await asyncio.gather(*works)
        return self.run(together(), timeout)

    async def _start(self) -> None:
        _remember_methods()
        _running.append(self)
        test_mode, Sanic.test_mode = Sanic.test_mode, True
        try:
            await self._lifespan_startup()
        except BaseException:
            _running.remove(self)
            _restore_methods()
            raise
        finally:
            Sanic.test_mode = test_mode

    async def _lifespan_startup(self) -> None:
        self._lifespan = asyncio.Queue()
        started = asyncio.Event()

        async def receive():
            return await self._lifespan.get()

        async def send(message):
            if message["type"] == "lifespan.startup.complete":
                started.set()

        async def lifespan():
            try:
                await self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
            except AttributeError:  # Sanic 21.12 treats the finished lifespan as a request without one
                pass

        self._task = asyncio.ensure_future(lifespan())
        await self._lifespan.put({"type": "lifespan.startup"})
        await asyncio.wait_for(started.wait(), 30)

    def stop(self) -> None:
        async def shut():
            await self._lifespan.put({"type": "lifespan.shutdown"})
            await asyncio.wait_for(self._task, 30)
        try:
            self.run(shut())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
            if self in _running:
                _running.remove(self)
            _restore_methods()

    async def request(self, method: str, path: str, body: bytes = b"", headers: Optional[Dict[str, str]] = None,
                      client: str = "127.0.0.1") -> Answer:
        parts = urlsplit(path)
        sent = {"host": HOST, **(headers or {})}
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": parts.path, "raw_path": parts.path.encode(),
                 "query_string": parts.query.encode(), "root_path": "",
                 "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sent.items()],
                 "client": (client, 40000), "server": (HOST, 80)}
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            if pending:
                return pending.pop(0)
            await asyncio.sleep(3600)  # no disconnect while the app answers

        out: List[Dict[str, Any]] = []

        async def send(message):
            out.append(message)

        await self.app(scope, receive, send)
        start = next(m for m in out if m["type"] == "http.response.start")
        headers_out = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
        return Answer(start["status"], headers_out,
                      b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body"))


class Browser:
    """One staff member's browser on the console: a cookie jar and the console's own Origin on POSTs."""

    def __init__(self, served: Served, origin: Optional[str] = ORIGIN) -> None:
        self.served = served
        self.origin = origin
        self.cookies: Dict[str, str] = {}

    def _headers(self, extra: Optional[Dict[str, str]], post: bool) -> Dict[str, str]:
        headers = dict(extra or {})
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if post and self.origin:
            headers.setdefault("origin", self.origin)
        return headers

    def _keep(self, answer: Answer) -> Answer:
        for key, value in answer.headers:
            if key.lower() == "set-cookie":
                for name, morsel in SimpleCookie(value).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
        return answer

    async def get_async(self, path: str, **params: Any) -> Answer:
        query = f"?{urlencode(params)}" if params else ""
        return self._keep(await self.served.request("GET", path + query, headers=self._headers(None, False)))

    async def post_async(self, path: str, json: Any = None, headers: Optional[Dict[str, str]] = None,
                         body: Optional[bytes] = None) -> Answer:
        extra = dict(headers or {})
        if body is None:
            body = jsonlib.dumps({} if json is None else json).encode()
            extra.setdefault("content-type", "application/json")
        return self._keep(await self.served.request("POST", path, body, self._headers(extra, True)))

    def post_soon(self, path: str, json: Any = None) -> "concurrent.futures.Future[Answer]":
        """Start a POST on the app's own loop and return at once: several browsers' requests then run together."""
        return asyncio.run_coroutine_threadsafe(self.post_async(path, json), self.served.loop)

    def get(self, path: str, **params: Any) -> Answer:
        return self.served.run(self.get_async(path, **params))

    def post(self, path: str, json: Any = None, headers: Optional[Dict[str, str]] = None,
             body: Optional[bytes] = None) -> Answer:
        return self.served.run(self.post_async(path, json, headers, body))

    def log_in(self, login: str, password: str) -> "Browser":
        answer = self.post("/login", body=urlencode({"login": login, "password": password}).encode(),
                           headers={"content-type": "application/x-www-form-urlencoded"})
        assert answer.status == 303, answer.text
        return self


def app_name() -> str:
    """A Sanic app name no other test uses (Sanic keeps a registry of names)."""
    return f"console_{uuid.uuid4().hex[:12]}"

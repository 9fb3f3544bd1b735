"""A local stand-in for LINE's Messaging API on loopback: records every call the channel makes (and over which
TCP connection, so that tests can tell one reused client from a new client per event).

Like LINE, a push whose ``X-Line-Retry-Key`` was accepted before is answered 409 and not recorded as sent again
(``accepted`` holds the keys; ``calls`` records every call, ``retry_key`` included)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Set


class LineApiStub:
    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.expired_tokens: Set[str] = set()
        self.accepted: Set[str] = set()  # retry keys of accepted pushes
        self.failures: List[int] = []    # statuses to answer the next pushes with (a failing LINE), first first
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as LINE's API: a reused client reuses its connection

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                retry_key = self.headers.get("X-Line-Retry-Key")
                self.record = {"path": self.path, "body": body, "authorization": self.headers.get("Authorization"),
                               "retry_key": retry_key, "at": time.monotonic(),  # when it arrived
                               "connection": self.client_address}  # (host, port): one per TCP connection
                stub.calls.append(self.record)
                if self.path == "/v2/bot/message/reply" and body.get("replyToken") in stub.expired_tokens:
                    self._answer(400, {"message": "Invalid reply token"})
                elif self.path == "/v2/bot/message/push" and stub.failures:
                    self._answer(stub.failures.pop(0), {"message": "failure"})
                elif self.path == "/v2/bot/message/push" and retry_key and retry_key in stub.accepted:
                    self._answer(409, {"message": "The retry key is already accepted"})
                elif self.path == "/v2/bot/chat/loading/start":
                    self._answer(202, {})
                else:  # as LINE answers a reply or push: one id per message sent
                    if self.path == "/v2/bot/message/push" and retry_key:
                        stub.accepted.add(retry_key)
                    self._answer(200, {"sentMessages": [{"id": str(len(stub.calls) * 10 + i), "quoteToken": "q"}
                                                        for i, _ in enumerate(body.get("messages") or [])]})

            def _answer(self, status: int, payload: Dict[str, Any]) -> None:
                self.record["status"] = status
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def connections(self) -> Set[Any]:
        return {c["connection"] for c in self.calls}

    def sent(self, path: str) -> List[Dict[str, Any]]:
        return [c for c in self.calls if c["path"] == path]

    def delivered(self, path: str) -> List[Dict[str, Any]]:
        """The calls to ``path`` LINE would have acted on (answered 200)."""
        return [c for c in self.sent(path) if c.get("status") == 200]

    def wait_for(self, path: str, count: int = 1, timeout: float = 30.0) -> List[Dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.sent(path)) >= count:
                return self.sent(path)
            time.sleep(0.1)
        raise AssertionError(f"expected {count} call(s) to {path}; got {self.calls}")

    def close(self) -> None:
        self.server.shutdown()

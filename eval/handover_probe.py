"""How long a staff message takes to reach the user while the assistant is under load (issue 19's target: ≤ 1 s at
p95 to the web chat and to LINE's Push API), for eval/benchmark.py's ``--handover-probe``.

While the benchmark's load runs, a few probe conversations are put into the ``connected`` state through the real
handover store on the assistant's own database (``request`` then ``take``, as the user's request and the console's
「対応する」 do), half of them web chat users, half LINE users. Then, round after round until the load ends, a staff
message is written to each (``add_message``, as the console's reply does) and the time until it arrives is taken:

- web chat: on the REST channel's server-sent event stream (``GET /webhooks/rest/events``), opened for each probe
  before the first message, as the web chat keeps it open; the arrival is the moment its ``id:`` line is read;
- LINE: as a Push API call on the LINE API stub (tests/e2e/line_stub.py), which stamps each call when it arrives.

Both clocks are this process's ``time.monotonic()``. A message that has not arrived after ``DEADLINE_SECONDS`` is
counted as lost (and the figures say so). The probe's streams and writes are extra load on the assistant, which is
why the benchmark runs it only when asked.
"""
from __future__ import annotations

import http.client
import random
import socket
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional
from urllib.parse import urlencode, urlsplit

from handover.store import HandoverStore

DEADLINE_SECONDS = 10.0
POLL_SECONDS = 0.01
STAFF_LOGIN, STAFF_NAME = "bench", "ベンチ"
PUSH = "/v2/bot/message/push"


@dataclass
class Probe:
    handover: int
    sender: str
    channel: str  # rest or line


@dataclass
class Figures:
    web: List[float] = field(default_factory=list)    # seconds, one per message delivered
    line: List[float] = field(default_factory=list)
    lost: Dict[str, int] = field(default_factory=lambda: {"rest": 0, "line": 0})


def quantiles(samples: List[float]) -> Optional[tuple]:
    """(p50, p95) of ``samples`` (None when there are none)."""
    if not samples:
        return None
    if len(samples) == 1:
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[94]


class Stream:
    """One web chat's event stream, read in a thread of its own: the arrival moment of every message id."""

    def __init__(self, rasa_url: str, sender: str) -> None:
        parts = urlsplit(rasa_url)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
        self.connection.request("GET", "/webhooks/rest/events?" + urlencode({"sender": sender}),
                                headers={"Accept": "text/event-stream"})
        self.socket = self.connection.sock  # kept: closing must wake the reading thread (see close)
        self.response = self.connection.getresponse()
        if self.response.status != 200:
            raise RuntimeError(f"the event stream answered {self.response.status}")
        self.arrived: Dict[int, float] = {}
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while True:
                line = self.response.readline()
                if not line:
                    return
                if line.startswith(b"id: "):
                    self.arrived[int(line[4:].strip())] = time.monotonic()
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            return  # closed by close() or by the server

    def close(self) -> None:
        """End the stream: shut the socket first, which wakes the thread blocked reading it (closing alone would
        wait for the server's next heartbeat, as the reader holds the buffer's lock)."""
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(5)
        self.connection.close()


class DeliveryProbe:
    """Probe conversations on the assistant at ``rasa_url`` whose handover store is at ``review_url``; ``line_api``:
    the LINE API stub the assistant's LINE channel pushes to. Use as a context manager around the load."""

    def __init__(self, rasa_url: str, review_url: str, line_api, per_channel: int = 5,
                 pause: tuple = (0.1, 0.3), seed: int = 11) -> None:
        self.rasa_url = rasa_url
        self.store = HandoverStore(review_url)
        self.line_api = line_api
        self.per_channel = per_channel
        self.pause = pause
        self.rng = random.Random(seed)
        self.figures = Figures()
        self.rounds = 0
        self._probes: List[Probe] = []
        self._streams: Dict[str, Stream] = {}
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> "DeliveryProbe":
        for channel in ("rest", "line"):
            for _ in range(self.per_channel):
                sender = (f"probe-{uuid.uuid4().hex[:10]}" if channel == "rest" else "U" + uuid.uuid4().hex)
                handover = self.store.request(sender, channel)
                if not self.store.take(handover.id, STAFF_LOGIN, STAFF_NAME):
                    raise RuntimeError("a probe conversation could not be taken")
                self._probes.append(Probe(handover.id, sender, channel))
                if channel == "rest":
                    self._streams[sender] = Stream(self.rasa_url, sender)
        self._thread = threading.Thread(target=self._run, name="handover-probe", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(DEADLINE_SECONDS + 5)
        for stream in self._streams.values():
            stream.close()
        for probe in self._probes:
            self.store.end(probe.handover, "returned")

    def _pushed(self, user: str, text: str) -> Optional[float]:
        for call in list(self.line_api.calls):
            if call["path"] == PUSH and call["body"].get("to") == user and call.get("status") == 200 and any(
                    message.get("text") == text for message in call["body"].get("messages") or []):
                return call["at"]
        return None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.rounds += 1
            sent: List[tuple] = []
            for probe in self._probes:
                text = f"担当のベンチです。確認のメッセージをお送りします（{self.rounds}-{probe.handover}）。"
                start = time.monotonic()
                message = self.store.add_message(probe.handover, "staff", text)
                sent.append((probe, message.id, text, start))
            deadline = time.monotonic() + DEADLINE_SECONDS
            waiting = list(sent)
            while waiting and time.monotonic() < deadline:
                for item in list(waiting):
                    probe, message_id, text, start = item
                    arrived = (self._streams[probe.sender].arrived.get(message_id) if probe.channel == "rest"
                               else self._pushed(probe.sender, text))
                    if arrived is not None:
                        (self.figures.web if probe.channel == "rest" else self.figures.line).append(arrived - start)
                        waiting.remove(item)
                time.sleep(POLL_SECONDS)
            for probe, *_ in waiting:
                self.figures.lost[probe.channel] += 1
            self._stop.wait(self.rng.uniform(*self.pause))

    def report(self, level: int) -> str:
        lines = [f"\nhandover delivery under load ({level} concurrent, {self.per_channel} web chat and "
                 f"{self.per_channel} LINE conversations held by staff, {self.rounds} rounds)"]
        for name, samples, lost in (("web chat (SSE)", self.figures.web, self.figures.lost["rest"]),
                                    ("LINE (Push API)", self.figures.line, self.figures.lost["line"])):
            cut = quantiles(samples)
            figures = "no message delivered" if cut is None else (
                f"p50 {cut[0] * 1000:.0f} ms, p95 {cut[1] * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms")
            lines.append(f"  {name:<16} {len(samples):>4} messages: {figures}; lost {lost}")
        return "\n".join(lines)

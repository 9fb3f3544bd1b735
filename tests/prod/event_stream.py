"""A web chat's stream of what staff write (``GET /webhooks/rest/events``, bot/channels/events.py), read as a browser's
EventSource reads it: in the background, event by event, from a cursor (``after``) or the ``Last-Event-ID`` of the
last event seen before a reconnect."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Dict, List, Optional

import requests


class EventStream:
    def __init__(self, base_url: str, sender: str, after: int = 0, last_event_id: Optional[int] = None) -> None:
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.response = requests.get(f"{base_url}/webhooks/rest/events", params={"sender": sender, "after": after},
                                     headers=headers, stream=True, timeout=(5, 60))
        assert self.response.status_code == 200, f"{self.response.status_code}: {self.response.text[:300]}"
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.events: List[Dict[str, Any]] = []  # {"id": int | None, "event": str, "data": {...}}
        self.ended = threading.Event()  # the stream closed (idle, the server stopped or died, or close())
        self.error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fields: Dict[str, str] = {}
        try:
            for raw in self.response.iter_lines(chunk_size=None):  # each chunk as it arrives
                line = raw.decode("utf-8")
                if not line:  # a blank line ends an event
                    if "data" in fields:
                        self.events.append({"id": int(fields["id"]) if "id" in fields else None,
                                            "event": fields.get("event", "message"),
                                            "data": json.loads(fields["data"])})
                    fields = {}
                elif not line.startswith(":"):  # a comment is a keepalive
                    name, _, value = line.partition(":")
                    fields[name] = value[1:] if value.startswith(" ") else value
        except Exception as error:  # the connection broke (a killed process) or was closed here
            self.error = error
        finally:
            self.ended.set()

    @property
    def messages(self) -> List[Dict[str, Any]]:
        """The ``message`` events' data, in the order they came."""
        return [event["data"] for event in self.events if event["event"] == "message"]

    def last_id(self) -> int:
        return max((event["id"] for event in self.events if event["id"] is not None), default=0)

    def wait_for(self, match: Callable[[Dict[str, Any]], bool], timeout: float = 30.0) -> Dict[str, Any]:
        """The first message ``match`` accepts, once it has come."""
        deadline = time.monotonic() + timeout
        while True:
            found = [data for data in self.messages if match(data)]
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                raise AssertionError(f"no such message on the stream; got {self.events} (ended: {self.ended.is_set()})")
            time.sleep(0.1)

    def close(self) -> None:
        self.response.close()

"""A staff member on the console's 「有人対応」 page, over its real HTTP API (console/handover_api.py): logged in with a
real staff account, polling the list (which is also how the console says they are on duty), taking, replying,
sending a card and handing back, as the page's script does."""
from __future__ import annotations

import time
import uuid
from typing import Any, Callable, Dict, List, Optional

import requests


class StaffConsole:
    def __init__(self, url: str, login: str, password: str) -> None:
        self.url = url
        self.http = requests.Session()
        answer = self.http.post(f"{url}/login", data={"login": login, "password": password}, allow_redirects=False,
                                timeout=30)
        assert answer.status_code == 303 and "/login" not in answer.headers.get("Location", ""), answer.text[:300]

    def _json(self, answer: requests.Response, status: int = 200) -> Dict[str, Any]:
        assert answer.status_code == status, f"{answer.request.method} {answer.request.path_url}: " \
                                             f"{answer.status_code} {answer.text[:300]}"
        return answer.json()

    def get(self, path: str, **params: Any) -> Dict[str, Any]:
        return self._json(self.http.get(f"{self.url}{path}", params=params, timeout=30))

    def post(self, path: str, body: Dict[str, Any], status: int = 200) -> Dict[str, Any]:
        return self._json(self.http.post(f"{self.url}{path}", json=body, timeout=30), status)

    def handovers(self) -> List[Dict[str, Any]]:
        """The live list (the page polls it every two seconds: being on the page is being on duty)."""
        return self.get("/api/handovers")["handovers"]

    def waiting_for(self, match: Callable[[Dict[str, Any]], bool], timeout: float = 30.0) -> Dict[str, Any]:
        """The one listed handover ``match`` accepts, once it is listed."""
        deadline = time.monotonic() + timeout
        while True:
            found = [item for item in self.handovers() if match(item)]
            assert len(found) <= 1, found
            if found or time.monotonic() >= deadline:
                assert found, "the handover never appeared in the console's list"
                return found[0]
            time.sleep(0.5)

    def conversation(self, handover_id: int, after: Optional[int] = None) -> Dict[str, Any]:
        return self.get(f"/api/handovers/{handover_id}", **({"after": after} if after is not None else {}))

    def messages(self, handover_id: int) -> List[Dict[str, Any]]:
        return self.conversation(handover_id, after=0)["messages"]

    def message_from_user(self, handover_id: int, text: str, timeout: float = 30.0) -> Dict[str, Any]:
        """The user's message ``text`` as staff see it, once it is stored (exactly once)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages(handover_id) if m["author"] == "user" and m["text"] == text]
            assert len(found) <= 1, found
            if found or time.monotonic() >= deadline:
                assert found, "the user's message never reached staff"
                return found[0]
            time.sleep(0.3)

    def take(self, handover_id: int) -> Dict[str, Any]:
        return self.post(f"/api/handovers/{handover_id}/take", {})["handover"]

    def reply(self, handover_id: int, text: Optional[str] = None, section: Optional[int] = None) -> Dict[str, Any]:
        body: Dict[str, Any] = {"key": uuid.uuid4().hex}  # as the page: one key per message typed
        if text is not None:
            body["text"] = text
        if section is not None:
            body["section"] = section
        return self.post(f"/api/handovers/{handover_id}/messages", body)["message"]

    def hand_back(self, handover_id: int) -> Dict[str, Any]:
        return self.post(f"/api/handovers/{handover_id}/end", {})["handover"]

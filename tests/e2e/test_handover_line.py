"""Handover on LINE, end to end: a LINE user asks for a person, a staff member takes the conversation in the console,
they write to each other, and the assistant takes over again, with the program the conversation was about.

Real servers: the assistant (action server and Rasa with the LINE channel, against the local LINE API stub) and the
staff console, sharing one review log (where handovers and staff accounts live); signed webhook events in, the
console's HTTP API with a real staff account on the other side. All three run on a fixed weekday morning
(tests/clocked.py): staffed hours leave out holidays and the year-end closure, so the real date could close the desk.
Ports 5930-5932 + ``E2E_PORT_OFFSET``. Expected facts come from the knowledge store, sentences from the handover
contract (handover/contract.py) and the console's API (console/handover_api.py), never typed here.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List

import pytest
import requests

from console.handover_api import CARD_TEXT
from eval import servers
from handover import contract
from knowledge import query
from tests import clocked
from tests.e2e.conftest import CONSOLE_LOGIN, CONSOLE_PASSWORD, PORT_OFFSET, RASA_API_TOKEN, assistant_env
from tests.e2e.console_api import StaffConsole
from tests.e2e.line_stub import LineApiStub
from tests.e2e.test_line import PUSH, REPLY, Line, text_event, user

RASA_PORT = 5930 + PORT_OFFSET
ACTIONS_PORT = 5931 + PORT_OFFSET
CONSOLE_PORT = 5932 + PORT_OFFSET
SUCCESSION = 21  # 事業承継・引継ぎ支援センター
STAFF_NAME = "スタッフ"  # the first account's display name (console/accounts/store.py)


@dataclass
class Desk:
    rasa: str
    console: str
    stub: LineApiStub


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """The assistant with LINE on a stub of its own, and the console, on one review log and one fixed clock."""
    stub = LineApiStub()
    workdir = tmp_path_factory.mktemp("handover-line")
    kb_url = servers.loaded_knowledge(workdir)
    review_url = f"sqlite:///{workdir / 'review.db'}"
    launcher = clocked.launcher(since=time.time())  # one clock for the three processes
    rasa = f"http://127.0.0.1:{RASA_PORT}"
    console = f"http://127.0.0.1:{CONSOLE_PORT}"
    console_command = [sys.executable, *launcher, "-m", "console", "--port", str(CONSOLE_PORT)]
    console_env = {"KNOWLEDGE_DB_URL": kb_url, "CONSOLE_PASSWORD": CONSOLE_PASSWORD, "RASA_URL": rasa,
                   "RASA_API_TOKEN": RASA_API_TOKEN, "REVIEW_DB_URL": review_url, "PYTHONPATH": str(servers.ROOT)}
    try:
        with servers.assistant(workdir, kb_url, RASA_PORT, ACTIONS_PORT, api_token=RASA_API_TOKEN,
                               credentials=servers.ROOT / "credentials-line-stub.yml",
                               env=assistant_env(stub, review_url), launcher=launcher), \
                servers.running([console_command], [f"{console}/login"], workdir, servers.ROOT, console_env):
            yield Desk(rasa, console, stub)
    finally:
        stub.close()


def pushes_to(stub: LineApiStub, someone: str, count: int, timeout: float = 30.0) -> List[Dict[str, Any]]:
    """The Push API calls to ``someone`` LINE accepted, once there are ``count`` (exactly: never more)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c for c in stub.delivered(PUSH) if c["body"]["to"] == someone]
        if len(found) >= count or time.monotonic() >= deadline:
            assert len(found) == count, f"expected {count} push(es) to the user, got {[c['body'] for c in found]}"
            return found
        time.sleep(0.1)


def texts(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages if m["type"] == "text")


def test_a_line_user_is_answered_by_staff_and_then_by_the_assistant_again(desk, kb):
    line, stub, someone = Line(desk.rasa, desk.stub), desk.stub, user()
    succession = query.program(kb, SUCCESSION)
    staff = StaffConsole(desk.console, CONSOLE_LOGIN, CONSOLE_PASSWORD)
    assert staff.handovers() == []  # on the page, so on duty; nobody waits yet

    # The assistant answers, then the user asks for a person: queued, first in line.
    first = text_event(someone, "後継者がいなくて困っています")
    line.post(first)
    assert succession.main_desk.phone in json.dumps(line.replies_to(first["replyToken"]), ensure_ascii=False)
    ask = text_event(someone, "担当者と話したい")
    line.post(ask)
    [queued] = line.replies_to(ask["replyToken"])
    assert "1番目" in texts(queued["messages"]) and not [m for m in queued["messages"] if m["type"] == "flex"]
    item = staff.waiting_for(lambda h: h["channel"] == "line")
    assert (item["state"], item["position"], item["focus"]["section"]) == ("queued", 1, SUCCESSION)

    # Queued: a question the assistant would answer is kept for the person; the user is told their place only.
    waiting = text_event(someone, "補助金はありますか")
    line.post(waiting)
    [told] = line.replies_to(waiting["replyToken"])
    [place] = told["messages"]
    assert place["type"] == "text" and place["text"].startswith(contract.QUEUED_TEXT.split("{")[0]), place
    assert "現在1番目" in place["text"]
    staff.message_from_user(item["id"], "補助金はありますか")

    # Staff take it (the console shows what the user told the assistant before): pushed to the user by name.
    history = json.dumps(staff.conversation(item["id"])["assistant"], ensure_ascii=False)
    assert "後継者がいなくて困っています" in history
    assert staff.take(item["id"])["holder"]["name"] == STAFF_NAME
    [connected] = pushes_to(stub, someone, 1)
    assert connected["body"]["messages"] == [{"type": "text",
                                              "text": contract.CONNECTED_TEXT.format(staff=STAFF_NAME)}]

    # Connected: what the user writes reaches staff, and nothing answers it (no reply, no push).
    held = text_event(someone, "従業員は5人です。<b>費用</b>はかかりますか")
    line.post(held)
    staff.message_from_user(item["id"], held["message"]["text"])

    # Staff write (markup stays text) and send the program's card: each one Push call to this user.
    words = "担当の者です。<script>alert(1)</script>事業承継のご相談ですね。"
    staff.reply(item["id"], text=words)
    assert pushes_to(stub, someone, 2)[-1]["body"]["messages"] == [{"type": "text", "text": words}]
    staff.reply(item["id"], section=SUCCESSION)
    card = pushes_to(stub, someone, 3)[-1]["body"]["messages"]
    assert [m["type"] for m in card] == ["text", "flex"]
    assert card[0]["text"] == CARD_TEXT.format(name=succession.name)
    [bubble] = card[1]["contents"]["contents"]
    phone = succession.main_desk.phone
    assert bubble["type"] == "bubble" and phone in card[1]["altText"]
    shown = [part["text"] for part in bubble["body"]["contents"]]
    assert shown[:2] == [succession.name, f"支援ガイドⅢ-{SUCCESSION}"] and f"電話 {phone}" in shown
    assert bubble["footer"]["contents"][0]["action"]["uri"] == "tel:" + "".join(filter(str.isdigit, phone))

    # Back to the assistant: the user is told, and the next question is answered about the same program.
    assert staff.hand_back(item["id"])["state"] == "ended"
    assert pushes_to(stub, someone, 4)[-1]["body"]["messages"] == [{"type": "text", "text": contract.ENDED_TEXT}]
    cost = text_event(someone, "費用はかかりますか")
    line.post(cost)
    [answer] = line.replies_to(cost["replyToken"])
    assert f"費用：{succession.cost_text}" in texts(answer["messages"]), answer
    assert f"支援ガイドⅢ-{SUCCESSION}" in json.dumps(answer, ensure_ascii=False)

    # While held, the assistant answered nothing: no reply to the held message, the queued one had only its place,
    # the four pushes were staff's and the handover's, each with its own retry key; Rasa never saw either message.
    assert not [c for c in stub.sent(REPLY) if c["body"]["replyToken"] == held["replyToken"]]
    assert len([c for c in stub.sent(REPLY) if c["body"]["replyToken"] == waiting["replyToken"]]) == 1
    pushes = pushes_to(stub, someone, 4)
    assert len({c["retry_key"] for c in pushes}) == 4 and all(c["retry_key"] for c in pushes)
    tracker = requests.get(f"{desk.rasa}/conversations/{someone}/tracker", params={"token": RASA_API_TOKEN},
                           timeout=30).json()
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert said == ["後継者がいなくて困っています", "担当者と話したい", "費用はかかりますか"]

"""Handover in production mode: two Rasa processes, the console, PostgreSQL and nginx (the session's stack).

- A web chat user served by rasa-1 (its messages and its event stream) gets what staff write in the console, another
  process, over the stream on rasa-1 and over a stream through nginx; the assistant answers nothing meanwhile.
- rasa-1 is killed (SIGKILL) while it holds a connected web user's stream and while a LINE user waits in the queue
  and another one is connected: nothing is lost. The web chat reconnects through nginx with its Last-Event-ID and
  gets exactly what it had not seen, the surviving process pushes every staff message to the LINE users once
  (a message rasa-1 had claimed when it died is pushed after the claim's lease: bot/channels/line_push.py), the
  handover records hold every message once and in order, and nothing a user wrote while held reached the assistant.

For this module the action server and both Rasa processes are restarted with the LINE channel on (against a local
API stub) and the staff console is started, all on one fixed clock (tests/clocked.py: staffed hours leave out
holidays and the year-end closure); afterwards they are restarted as the session's stack had them.
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Any, Dict, List

import pytest
import requests

from handover import contract
from handover.models import RETURNED
from handover.store import LEASE_SECONDS, HandoverStore
from knowledge import query
from tests.e2e.console_api import StaffConsole
from tests.e2e.line_stub import LineApiStub
from tests.e2e.test_line import PUSH, REPLY, text_event, user
from tests.prod.conftest import PORTS, Stack, clocked_python
from tests.prod.event_stream import EventStream
from tests.prod.test_shared_channel_state import LINE_SECRET, LINE_TOKEN, post_line, process_url, replies

SERVERS = ("actions", "rasa-1", "rasa-2")
STAFF_NAME = "スタッフ"  # the first account's display name (console/accounts/store.py)
SUCCESSION = 21
OPENING, ASK = "後継者がいなくて困っています", "担当者と話したい"


@pytest.fixture(scope="module")
def line_api():
    stub = LineApiStub()
    yield stub
    stub.close()


@pytest.fixture(scope="module")
def desk(stack, line_api, tmp_path_factory):
    """The stack with LINE (on the stub) and the console, its Python servers on one fixed clock; restored after."""
    env = {**stack.env, "LINE_CHANNEL_SECRET": LINE_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN,
           "LINE_API_BASE_URL": line_api.url, "PROD_CONSOLE_PORT": str(PORTS["console"]),
           **clocked_python(tmp_path_factory.mktemp("clocked-bin"), since=time.time())}
    staffed = Stack(stack.run_dir, env)
    try:
        staffed.ctl("restart", *SERVERS)
        staffed.ctl("start", "console")
        yield staffed
    finally:
        staffed.ctl("stop", "console")
        stack.ctl("restart", *SERVERS)


@pytest.fixture
def staff(desk):
    """A staff member on the console's handover page (on duty: the page reads the list)."""
    console = StaffConsole(f"http://127.0.0.1:{PORTS['console']}", "staff", desk.console_password)
    console.handovers()
    return console


@pytest.fixture
def store(desk):
    """The handover store the stack shares (PostgreSQL), read by the test: which handover is whose."""
    return HandoverStore(desk.review_url)


class WebUser:
    """A web chat user, each message sent to the process (or nginx) given."""

    def __init__(self) -> None:
        self.sender = f"prod-handover-{uuid.uuid4().hex[:10]}"

    def say(self, base_url: str, text: str) -> List[Dict[str, Any]]:
        answer = requests.post(f"{base_url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text},
                               timeout=150)
        assert answer.status_code == 200, f"{answer.status_code}: {answer.text[:300]}"
        return answer.json()


def handover_state(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    [state] = [s for s in (contract.state_of(m.get("custom")) for m in messages) if s is not None]
    return dict(state)


def ask_for_a_person(staff: StaffConsole, chat: WebUser, base_url: str) -> None:
    opening = chat.say(base_url, OPENING)
    assert [p["section"] for m in opening for p in (m.get("custom") or {}).get("programs", [])] == [SUCCESSION]
    staff.handovers()  # still on the page: on duty
    assert handover_state(chat.say(base_url, ASK))["state"] == "queued"


def line_user_asks(staff: StaffConsole, stub: LineApiStub, someone: str, base_url: str) -> None:
    for text in (OPENING, ASK):
        staff.handovers()
        event = text_event(someone, text)
        assert post_line(base_url, event).status_code == 200
        [reply] = replies(stub, event["replyToken"], wait=60)
    assert "番目" in json.dumps(reply, ensure_ascii=False)  # the place in the queue


def pushed(stub: LineApiStub, someone: str, texts: List[str], timeout: float = 30.0) -> None:
    """LINE accepted exactly one push of each of ``texts`` to ``someone`` (in this order), and no other push."""
    deadline = time.monotonic() + timeout
    while True:
        got = [m.get("text") for c in stub.delivered(PUSH) if c["body"]["to"] == someone for m in c["body"]["messages"]]
        if got == texts or time.monotonic() >= deadline:
            assert got == texts
            return
        time.sleep(0.2)


def user_texts(tracker: Dict[str, Any]) -> List[str]:
    return [event["text"] for event in tracker["events"] if event["event"] == "user"]


def test_a_staff_message_reaches_a_web_user_whose_stream_rasa_1_holds(desk, staff, store, kb):
    rasa_1 = process_url("rasa-1")
    chat = WebUser()
    ask_for_a_person(staff, chat, rasa_1)
    handover = store.active(chat.sender)
    assert handover is not None and handover.channel == "rest" and handover.focus == SUCCESSION
    on_rasa_1, through_nginx = EventStream(rasa_1, chat.sender), EventStream(desk.url, chat.sender)
    try:
        staff.take(handover.id)
        words = "担当の者です。<b>承継</b>のご相談を承ります。"
        sent = staff.reply(handover.id, text=words)
        for stream in (on_rasa_1, through_nginx):
            assert stream.wait_for(lambda m: m["id"] == sent["id"]) == {
                "id": sent["id"], "author": "staff", "staff": STAFF_NAME, "text": words, "custom": None}

        # The user writes through rasa-1 while held: staff get it, the assistant does not answer.
        answer = chat.say(rasa_1, "費用はかかりますか")
        assert answer == [{"recipient_id": chat.sender, "custom": {"handover": {"state": "connected",
                                                                               "staff": STAFF_NAME}}}]
        staff.message_from_user(handover.id, "費用はかかりますか")

        # A card, then back to the assistant: both streams get everything, in order, then end.
        card = staff.reply(handover.id, section=SUCCESSION)
        staff.hand_back(handover.id)
        for stream in (on_rasa_1, through_nginx):
            assert stream.ended.wait(30), "the stream did not end after the handover ended"
            got = stream.messages
            assert [m["author"] for m in got] == ["system", "staff", "staff", "system"]
            assert got[0]["custom"] == {"handover": {"state": "connected", "staff": STAFF_NAME}}
            assert got[2]["id"] == card["id"] and [p["section"] for p in got[2]["custom"]["programs"]] == [SUCCESSION]
            assert got[3]["custom"] == {"handover": {"state": "ended"}}
            assert stream.events[-1]["event"] == "idle"
    finally:
        on_rasa_1.close()
        through_nginx.close()
    assert user_texts(desk.tracker(chat.sender)) == [OPENING, ASK]  # the held message never reached Rasa
    cost = chat.say(desk.url, "費用はかかりますか")  # the assistant again, about the same program
    assert f"費用：{query.program(kb, SUCCESSION).cost_text}" in "\n".join(m.get("text", "") for m in cost)


def test_rasa_1_killed_during_handovers_loses_nothing(desk, staff, store, line_api):
    rasa_1 = process_url("rasa-1")
    web, waiting, talking = WebUser(), user(), user()
    ask_for_a_person(staff, web, rasa_1)
    line_user_asks(staff, line_api, talking, rasa_1)
    line_user_asks(staff, line_api, waiting, rasa_1)
    ids = {who: store.active(who).id for who in (web.sender, talking, waiting)}

    # Before the crash: the web user is connected and reads its stream on rasa-1; one LINE user is connected, the
    # other waits in the queue. Staff's last messages are stored just before rasa-1 dies, delivered or not.
    staff.take(ids[web.sender])
    staff.take(ids[talking])
    stream = EventStream(rasa_1, web.sender)
    first = staff.reply(ids[web.sender], text="ご相談内容を確認しています。")
    stream.wait_for(lambda m: m["id"] == first["id"])
    last_before = staff.reply(ids[web.sender], text="少々お待ちください。")
    staff.reply(ids[talking], text="LINEでのご相談を承ります。")
    try:
        desk.ctl("kill", "rasa-1")
        assert stream.ended.wait(10), "the stream on the killed process did not break"
        seen = stream.last_id()

        # rasa-1 is gone: staff go on; the web chat reconnects through nginx from the last event it saw.
        after = staff.reply(ids[web.sender], text="お待たせしました。")
        staff.take(ids[waiting])
        staff.reply(ids[waiting], text="お待たせしました。担当の者です。")
        staff.reply(ids[talking], text="引き続きご相談ください。")  # never before the one written before the crash
        again = EventStream(desk.url, web.sender, last_event_id=seen)
        try:
            again.wait_for(lambda m: m["id"] == after["id"])
            both = [m["id"] for m in stream.messages] + [m["id"] for m in again.messages]
            stored = [m["id"] for m in staff.messages(ids[web.sender]) if m["author"] != "user"]
            assert both == stored, "every staff and system message exactly once, in order, across the reconnect"
            assert last_before["id"] in both

            # Held messages through nginx (rasa-2 now): kept for staff, never answered by the assistant.
            held = web.say(desk.url, "従業員は5人です")
            assert held == [{"recipient_id": web.sender, "custom": {"handover": {"state": "connected",
                                                                                "staff": STAFF_NAME}}}]
            event = text_event(talking, "従業員は5人です")
            assert post_line(desk.url, event).status_code == 200
            staff.message_from_user(ids[web.sender], "従業員は5人です")
            staff.message_from_user(ids[talking], "従業員は5人です")
        finally:
            again.close()

        # LINE: every staff and system message pushed once by the surviving process (one rasa-1 had claimed, after
        # the claim's lease), in order.
        connected = contract.CONNECTED_TEXT.format(staff=STAFF_NAME)
        pushed(line_api, talking, [connected, "LINEでのご相談を承ります。", "引き続きご相談ください。"],
               timeout=LEASE_SECONDS + 30)
        pushed(line_api, waiting, [connected, "お待たせしました。担当の者です。"])
        assert not [c for c in line_api.sent(REPLY) if c["body"]["replyToken"] == event["replyToken"]]

        # The records: each handover connected to the staff member, each message stored once, in order.
        for who, handover_id in ids.items():
            record = store.get(handover_id)
            assert (record.state, record.taken_by_name, record.sender) == ("connected", STAFF_NAME, who)
        assert [(m.author, m.text) for m in store.messages(ids[web.sender])] == [
            ("system", contract.CONNECTED_TEXT.format(staff=STAFF_NAME)), ("staff", "ご相談内容を確認しています。"),
            ("staff", "少々お待ちください。"), ("staff", "お待たせしました。"), ("user", "従業員は5人です")]
        for who in ids:  # the assistant saw only what came before the request
            assert user_texts(desk.tracker(who, process="rasa-2")) == [OPENING, ASK]
    finally:
        for handover_id in ids.values():  # no one left waiting for the module's other test
            store.end(handover_id, RETURNED)
        stream.close()
        desk.ctl("start", "rasa-1")

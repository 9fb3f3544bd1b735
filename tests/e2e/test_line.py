"""The LINE channel against a local stub of LINE's API, with correctly and wrongly signed webhooks.

The assistant runs with the committed credentials-line-stub.yml, its secrets given as environment variables (conftest).
Expected contact facts are read from the knowledge store, never typed here."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
import requests

from knowledge import query
from tests.e2e.conftest import LINE_SECRET, LINE_TOKEN, RASA_API_TOKEN

REPLY, PUSH, LOADING = "/v2/bot/message/reply", "/v2/bot/message/push", "/v2/bot/chat/loading/start"


def sign(body: bytes, secret: str = LINE_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def event(kind: str, user: str, **fields) -> dict:
    base = {"type": kind, "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user}, "webhookEventId": uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": False}, "replyToken": uuid.uuid4().hex}
    base.update(fields)
    return base


def text_event(user: str, text: str, **fields) -> dict:
    return event("message", user, message={"type": "text", "id": uuid.uuid4().hex[:12], "quoteToken": "q",
                                           "text": text}, **fields)


class Line:
    def __init__(self, assistant: str, stub):
        self.url = f"{assistant}/webhooks/line/webhook"
        self.stub = stub

    def post(self, *events, signature=None) -> requests.Response:
        body = json.dumps({"destination": "U0", "events": list(events)}, ensure_ascii=False).encode()
        return requests.post(self.url, data=body, timeout=10, headers={
            "Content-Type": "application/json", "X-Line-Signature": signature if signature is not None else sign(body)})

    def replies_to(self, token: str, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c["body"] for c in self.stub.sent(REPLY) if c["body"]["replyToken"] == token]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no reply with token {token}; calls: {self.stub.calls[-5:]}")


@pytest.fixture
def line(assistant, line_api):
    return Line(assistant, line_api)


def user() -> str:
    return "U" + uuid.uuid4().hex


def calls_about(stub, ev: dict) -> list:
    """Every call to LINE's API that concerns this event's user or answers its reply token."""
    who, token = ev["source"]["userId"], ev["replyToken"]
    return [c for c in stub.calls
            if who in (c["body"].get("to"), c["body"].get("chatId")) or c["body"].get("replyToken") == token]


def phone(kb, section: int) -> str:
    return query.program(kb, section).main_desk.phone


def test_signed_text_gets_one_reply_with_text_and_flex_card(line, line_api, kb):
    succession = phone(kb, 21)  # 事業承継・引継ぎ支援センター
    ev = text_event(user(), "後継者がいなくて困っています")
    response = line.post(ev)
    assert response.status_code == 200
    [reply] = line.replies_to(ev["replyToken"])
    messages = reply["messages"]
    assert 1 <= len(messages) <= 5
    assert any(succession in m.get("text", "") for m in messages)
    flex = [m for m in messages if m["type"] == "flex"]
    assert len(flex) == 1 and succession in flex[0]["altText"]
    footer = flex[0]["contents"]["contents"][0]["footer"]["contents"][0]["action"]
    assert footer == {"type": "uri", "label": "電話する", "uri": "tel:" + succession.replace("-", "")}
    assert all(c["authorization"] == f"Bearer {LINE_TOKEN}" for c in line_api.calls)
    loading = [c["body"] for c in line_api.sent(LOADING) if c["body"]["chatId"] == ev["source"]["userId"]]
    assert loading and 5 <= loading[0]["loadingSeconds"] <= 60


def test_buttons_become_quick_replies_and_postback_chooses(line):
    someone = user()
    ev = text_event(someone, "販路を広げたい")
    line.post(ev)
    [reply] = line.replies_to(ev["replyToken"])
    items = reply["messages"][-1]["quickReply"]["items"]
    assert 3 <= len(items) <= 13 and all(len(i["action"]["label"]) <= 20 for i in items)
    chosen = items[0]["action"]["data"]
    postback = event("postback", someone, postback={"data": chosen})
    assert line.post(postback).status_code == 200
    [answer] = line.replies_to(postback["replyToken"])
    section = json.loads(chosen.split("choose_program", 1)[1])["program"]
    cards = [m for m in answer["messages"] if m["type"] == "flex"]
    assert cards and f"Ⅲ-{section}" in json.dumps(cards[0], ensure_ascii=False)


def test_follow_greets_with_topics(line):
    ev = event("follow", user(), follow={"isUnblocked": False})
    line.post(ev)
    [reply] = line.replies_to(ev["replyToken"])
    assert "お困りごと" in reply["messages"][0]["text"]
    assert len(reply["messages"][-1]["quickReply"]["items"]) >= 3


@pytest.mark.parametrize("signature", ["", "bm90LXRoZS1zaWduYXR1cmU=", "!!!"])
def test_bad_signature_is_rejected_and_nothing_is_sent(line, line_api, signature):
    ev = text_event(user(), "後継者がいない")
    assert line.post(ev, signature=signature).status_code == 400
    body = json.dumps({"destination": "U0", "events": [ev]}).encode()
    assert line.post(ev, signature=sign(body, "another-secret")).status_code == 400
    time.sleep(2)
    # Only this event's calls count: an earlier test's late push or loading call is not this test's business.
    assert calls_about(line_api, ev) == []


def test_redelivered_event_is_answered_once(line, line_api):
    ev = text_event(user(), "創業したい")
    line.post(ev)
    line.replies_to(ev["replyToken"])
    again = dict(ev, deliveryContext={"isRedelivery": True})
    assert line.post(again).status_code == 200
    time.sleep(3)
    assert len([c for c in line_api.sent(REPLY) if c["body"]["replyToken"] == ev["replyToken"]]) == 1


def test_expired_reply_token_falls_back_to_push(line, line_api, kb):
    someone = user()
    ev = text_event(someone, "特許の相談をしたい")
    line_api.expired_tokens.add(ev["replyToken"])
    line.post(ev)
    deadline = time.monotonic() + 30  # other tests' pushes may be there already: wait for this user's
    while not (mine := [c["body"] for c in line_api.sent(PUSH) if c["body"]["to"] == someone]) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mine and any(phone(kb, 9) in m.get("text", "") for m in mine[0]["messages"])  # 知的財産支援センター


def test_one_api_client_serves_every_event(line, line_api):
    """The same connection to LINE's API across events: a client made per event would open a new one each time."""
    someone = user()
    first, second = text_event(someone, "創業したい"), text_event(someone, "補助金について知りたい")
    line.post(first)
    line.replies_to(first["replyToken"])
    line.post(second)
    line.replies_to(second["replyToken"])
    [one], [two] = ([c["connection"] for c in line_api.sent(REPLY) if c["body"]["replyToken"] == ev["replyToken"]]
                    for ev in (first, second))
    assert one == two


def test_proactive_message_is_pushed_through_rasas_trigger_intent(assistant, line_api):
    """Rasa asks the LINE input channel for an output channel (get_output_channel): a push, not a reply."""
    someone = user()
    response = requests.post(f"{assistant}/conversations/{someone}/trigger_intent",
                             params={"output_channel": "line", "token": RASA_API_TOKEN},
                             json={"name": "greet"}, timeout=60)
    assert response.status_code == 200, response.text
    pushes = [c["body"] for c in line_api.sent(PUSH) if c["body"]["to"] == someone]  # sent before Rasa answers
    assert pushes and all(1 <= len(p["messages"]) <= 5 for p in pushes)
    texts = "".join(m.get("text", "") for p in pushes for m in p["messages"])
    assert texts.startswith("こんにちは。"), texts  # the greeting itself, not the "not understood" answer


def test_webhook_answers_promptly(line):
    ev = text_event(user(), "人手不足で困っています")
    start = time.monotonic()
    assert line.post(ev).status_code == 200
    assert time.monotonic() - start < 2.0  # LINE's timeout; the assistant works after the 200

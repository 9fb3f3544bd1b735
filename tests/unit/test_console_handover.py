"""The console's side of a handover (console/handover_api.py): the live list, one conversation with the assistant's
part read from Rasa's tracker API, take, reply, program card, 「アシスタントに戻す」, and the call-back requests.

The real console app, served in the test process through ASGI (tests/unit/console_asgi.py), logged into with real
accounts (argon2id with the smallest costs), on a real SQLite database per test (tmp_path) holding the sessions and
the handover store: nothing is mocked. Rasa's tracker API is a tiny real HTTP server in the test, or a closed port.
"""
from __future__ import annotations

import http.server
import json
import logging
import socket
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List
from urllib.parse import parse_qs, unquote

import pytest
from argon2 import PasswordHasher

from bot.actions import contract as bot_contract
from common.settings import MAX_MESSAGE_CHARS
from console.accounts import store as accounts
from console.app import create_app
from console.auth import Gate, Settings
from handover import contract
from handover.store import HandoverStore
from knowledge import query
from knowledge.db import engine_for, session
from knowledge.loader import load
from review import db as review_db
from tests.unit.console_asgi import Browser, Served, app_name

# Sanic warns that an ASGI server may stop before the app's after_server_stop listener (console/app.py's thread
# pools); here the test is that server and stops the app first.
pytestmark = pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning")

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery staple"
STATIC = Path(__file__).resolve().parents[2] / "console" / "static"
FOCUS, OTHER = 16, 22


@pytest.fixture(scope="module")
def kb_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.db'}"
    load(url)
    return url


@pytest.fixture
def names(kb_url) -> Dict[int, str]:
    with session(kb_url) as kb:
        return {p.section: p.name for p in query.all_programs(kb)}


@pytest.fixture
def url(tmp_path, monkeypatch) -> str:
    """A review database of the test's own with two staff accounts, tanaka (田中) and sato (佐藤)."""
    for name in ("HANDOVER_QUEUE_TIMEOUT_SECONDS", "HANDOVER_DEFAULT_WAIT_SECONDS", "HANDOVER_RETENTION_DAYS",
                 "CALLBACK_RETENTION_DAYS", "HANDOVER_STAFFED_HOURS"):
        monkeypatch.delenv(name, raising=False)
    database = f"sqlite:///{tmp_path / 'review.db'}"
    with review_db.session(database) as db:
        accounts.add(db, "tanaka", "田中", PASSWORD, FAST)
        accounts.add(db, "sato", "佐藤", PASSWORD, FAST)
    return database


@pytest.fixture
def store(url) -> HandoverStore:
    return HandoverStore(url)


def serve(url: str, kb_url: str, rasa_url: str | None = None, handovers: HandoverStore | None = None) -> Served:
    gate = Gate(url, Settings(), hasher=FAST)
    return Served(create_app(gate, db_url=kb_url, review_url=url, name=app_name(), rasa_url=rasa_url,
                             rasa_token="run-token", handovers=handovers))


@pytest.fixture
def console(url, kb_url):
    served = serve(url, kb_url)
    yield served
    served.stop()


@pytest.fixture
def tanaka(console) -> Browser:
    return Browser(console).log_in("tanaka", PASSWORD)


@pytest.fixture
def sato(console) -> Browser:
    return Browser(console).log_in("sato", PASSWORD)


def ago(seconds: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


def queued(store: HandoverStore, sender: str = "web-user-1", channel: str = "rest", seconds_ago: float = 95,
           focus: int | None = FOCUS, candidates=(FOCUS, OTHER)):
    return store.request(sender, channel, focus=focus, candidates=candidates, now=ago(seconds_ago))


def taken_by_tanaka(store: HandoverStore, tanaka: Browser, sender: str = "web-user-1"):
    handover = queued(store, sender)
    assert tanaka.post(f"/api/handovers/{handover.id}/take").status == 200
    return handover


def texts(store: HandoverStore, handover_id: int) -> List[tuple]:
    return [(m.author, m.text) for m in store.messages(handover_id)]


# ---- the list ----

def test_the_list_shows_what_staff_need_to_pick_up_a_conversation(store, tanaka, names):
    first = queued(store, "web-user-1", "rest", seconds_ago=95)
    second = queued(store, "U" + "a" * 32, "line", seconds_ago=30, focus=None, candidates=(OTHER,))
    answer = tanaka.get("/api/handovers")
    assert answer.status == 200 and answer.header("Cache-Control") == "no-store"
    body = answer.json()
    items = {item["id"]: item for item in body["handovers"]}
    assert list(items) == [first.id, second.id]  # oldest request first
    one, two = items[first.id], items[second.id]
    assert one["state"] == "queued" and one["state_label"] == "対応待ち" and one["position"] == 1
    assert 95 <= one["waited_seconds"] < 120 and 30 <= two["waited_seconds"] < 60
    assert (one["channel"], one["channel_label"]) == ("rest", "Webチャット")
    assert (two["channel"], two["channel_label"], two["position"]) == ("line", "LINE", 2)
    assert one["focus"] == {"section": FOCUS, "name": names[FOCUS]} and two["focus"] is None
    assert one["candidates"] == [{"section": FOCUS, "name": names[FOCUS]}, {"section": OTHER, "name": names[OTHER]}]
    assert one["holder"] is None and one["mine"] is False
    assert body["me"] == {"login": "tanaka", "name": "田中"}
    assert "web-user-1" not in answer.text and "U" + "a" * 32 not in answer.text  # sender ids stay on the server


def test_reading_the_list_puts_the_staff_member_on_duty(store, console, tanaka):
    assert store.on_duty() == []
    assert Browser(console).get("/api/handovers").status == 401  # no session: not on duty, nothing shown
    assert store.on_duty() == []
    body = tanaka.get("/api/handovers").json()
    assert [p.login for p in store.on_duty()] == ["tanaka"] and body["on_duty"] == ["田中"]


def test_a_taken_handover_shows_who_holds_it(store, tanaka, sato):
    handover = taken_by_tanaka(store, tanaka)
    mine = tanaka.get("/api/handovers").json()["handovers"][0]
    theirs = sato.get("/api/handovers").json()["handovers"][0]
    assert mine["id"] == theirs["id"] == handover.id
    assert mine["state"] == "connected" and mine["holder"] == {"login": "tanaka", "name": "田中"}
    assert mine["mine"] is True and theirs["mine"] is False and mine["position"] is None


# ---- taking ----

def test_two_staff_taking_the_same_handover_at_once_exactly_one_gets_it(url, kb_url, store):
    """Two console processes (apps with engines of their own on one database), two staff, released together."""
    engines = (url + "?timeout=30", url + "?timeout=31")
    first = serve(url, kb_url, handovers=HandoverStore(engines[0]))
    second = serve(url, kb_url, handovers=HandoverStore(engines[1]))
    try:
        tanaka = Browser(first).log_in("tanaka", PASSWORD)
        sato = Browser(second).log_in("sato", PASSWORD)
        for round_ in range(6):
            handover = queued(store, f"web-user-{round_}")
            path = f"/api/handovers/{handover.id}/take"
            answers = [future.result(60) for future in (tanaka.post_soon(path), sato.post_soon(path))]
            statuses = sorted(a.status for a in answers)
            assert statuses == [200, 409], [a.text for a in answers]
            won = next(a for a in answers if a.status == 200).json()["handover"]["holder"]["name"]
            lost = next(a for a in answers if a.status == 409).json()["error"]
            assert lost == f"この会話は、すでに{won}さんが対応しています。"
            now = store.get(handover.id)
            assert now.state == "connected" and now.taken_by_name == won
            connected = [m for m in store.messages(handover.id) if m.custom == contract.custom(contract.connected(won))]
            assert len(connected) == 1 and len(store.messages(handover.id)) == 1
    finally:
        first.stop()
        second.stop()
        for engine_url in engines:
            engine_for(engine_url).dispose()


def test_taking_twice_is_one_take_and_a_closed_handover_cannot_be_taken(store, tanaka):
    handover = queued(store)
    path = f"/api/handovers/{handover.id}/take"
    assert tanaka.post(path).status == 200
    again = tanaka.post(path)  # a double-click: still theirs, one system message
    assert again.status == 200 and again.json()["handover"]["mine"] is True
    assert len(store.messages(handover.id)) == 1
    store.end(handover.id, "user_left")
    closed = tanaka.post(path)
    assert closed.status == 409 and closed.json()["error"] == "この会話はすでに終了しています。"
    assert tanaka.post("/api/handovers/999999/take").status == 404


def test_a_forged_take_over_is_refused_and_stores_nothing(store, console, tanaka):
    handover = queued(store)
    path = f"/api/handovers/{handover.id}/take"
    anonymous = Browser(console).post(path)
    assert anonymous.status == 401 and anonymous.json()["error"] == "ログインが必要です。もう一度ログインしてください。"
    forged = Browser(console, origin="https://attacker.example").post(path)
    assert forged.status == 403 and "このページ以外からの送信" in forged.json()["error"]
    # even with the victim's cookie (SameSite=Strict keeps it home; the Origin check is the second wall)
    riding = Browser(console, origin="https://attacker.example")
    riding.cookies = dict(tanaka.cookies)
    assert riding.post(path).status == 403
    # an HTML form (any site can make one) cannot send JSON
    form = tanaka.post(path, body=b"x=1", headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status == 415 and form.json()["error"] == "JSON形式で送信してください。"
    assert tanaka.post(path, body=b"{not json", headers={"content-type": "application/json"}).status == 400
    after = store.get(handover.id)
    assert after.state == "queued" and after.taken_by is None and store.messages(handover.id) == []
    for sent in (f"/api/handovers/{handover.id}/messages", f"/api/handovers/{handover.id}/end"):
        assert Browser(console).post(sent, {"text": "なりすまし"}).status == 401
    assert store.get(handover.id).state == "queued" and store.messages(handover.id) == []


# ---- replies ----

def test_only_the_staff_member_who_took_it_sends_and_hands_back(store, tanaka, sato):
    handover = queued(store)
    early = tanaka.post(f"/api/handovers/{handover.id}/messages", {"text": "お待たせしました"})
    assert early.status == 403 and "「対応する」を押してから" in early.json()["error"]
    assert tanaka.post(f"/api/handovers/{handover.id}/take").status == 200
    for path, body in ((f"/api/handovers/{handover.id}/messages", {"text": "横から失礼します"}),
                       (f"/api/handovers/{handover.id}/messages", {"section": FOCUS}),
                       (f"/api/handovers/{handover.id}/end", {})):
        refused = sato.post(path, body)
        assert refused.status == 403 and "田中さんが対応中です" in refused.json()["error"], path
    assert store.get(handover.id).state == "connected"
    assert [m.author for m in store.messages(handover.id)] == ["system"]
    sent = tanaka.post(f"/api/handovers/{handover.id}/messages", {"text": "担当の田中です。ご用件を伺います。"})
    assert sent.status == 200 and sent.json()["message"]["author"] == "staff"
    assert texts(store, handover.id)[-1] == ("staff", "担当の田中です。ご用件を伺います。")


def test_a_reply_of_100000_characters_is_refused_whole_and_nothing_is_stored(store, tanaka):
    handover = taken_by_tanaka(store, tanaka)
    before = texts(store, handover.id)
    refused = tanaka.post(f"/api/handovers/{handover.id}/messages", {"text": "あ" * 100_000, "key": "long-1"})
    assert refused.status == 413
    error = refused.json()["error"]
    assert "長すぎます" in error and f"{MAX_MESSAGE_CHARS:,}文字以内" in error and "送信はされていません" in error
    assert "あああ" not in refused.text  # the refusal never quotes the text
    assert texts(store, handover.id) == before
    just_fits = tanaka.post(f"/api/handovers/{handover.id}/messages", {"text": "い" * MAX_MESSAGE_CHARS})
    assert just_fits.status == 200 and len(store.messages(handover.id)) == len(before) + 1


def test_bad_replies_are_refused_in_japanese(store, tanaka):
    handover = taken_by_tanaka(store, tanaka)
    path = f"/api/handovers/{handover.id}/messages"
    for body, status, error in (({}, 400, "メッセージを入力するか、送る制度を選んでください。"),
                                ({"text": "   \n"}, 400, "メッセージを入力するか、送る制度を選んでください。"),
                                ({"text": 42}, 400, "メッセージは文字で入力してください。"),
                                ({"section": "16"}, 400, "制度は番号（Ⅲ-の後の数字）で指定してください。"),
                                ({"section": True}, 400, "制度は番号（Ⅲ-の後の数字）で指定してください。"),
                                ({"text": "はい", "key": "k" * 65}, 400, "再送防止のキーは64文字以内の文字列で指定してください。"),
                                ({"section": 999}, 404, "その番号の制度は見つかりませんでした。番号をご確認ください。")):
        answer = tanaka.post(path, body)
        assert (answer.status, answer.json()["error"]) == (status, error), body
    assert [m.author for m in store.messages(handover.id)] == ["system"]


def test_markup_is_stored_and_returned_as_the_text_it_is(store, tanaka):
    handover = taken_by_tanaka(store, tanaka)
    markup = '<script>alert("x")</script><b>太字</b> &amp; <img src=x onerror=alert(1)> {{ 7*7 }}'
    sent = tanaka.post(f"/api/handovers/{handover.id}/messages", {"text": markup})
    assert sent.status == 200 and sent.json()["message"]["text"] == markup
    assert store.messages(handover.id)[-1].text == markup  # stored as typed: not escaped, not stripped
    user_markup = "<a href='javascript:alert(1)'>押して</a>"
    store.add_message(handover.id, "user", user_markup)
    shown = tanaka.get(f"/api/handovers/{handover.id}").json()["messages"]
    assert [m["text"] for m in shown[-2:]] == [markup, user_markup]


def test_a_double_click_stores_one_message(store, console, tanaka):
    handover = taken_by_tanaka(store, tanaka)
    path = f"/api/handovers/{handover.id}/messages"
    body = {"text": "資料をお送りします。", "key": "c0ffee-1"}
    answers = console.gather(tanaka.post_async(path, body), tanaka.post_async(path, body))
    assert [a.status for a in answers] == [200, 200]
    assert answers[0].json()["message"]["id"] == answers[1].json()["message"]["id"]
    assert tanaka.post(path, body).json()["message"]["id"] == answers[0].json()["message"]["id"]
    assert [t for t in texts(store, handover.id) if t[0] == "staff"] == [("staff", "資料をお送りします。")]
    assert tanaka.post(path, {"text": "資料をお送りします。", "key": "c0ffee-2"}).status == 200  # a new message
    assert len([t for t in texts(store, handover.id) if t[0] == "staff"]) == 2


def test_a_program_card_is_the_reply_contract_the_assistant_sends(store, tanaka, kb_url, names):
    handover = taken_by_tanaka(store, tanaka)
    answer = tanaka.post(f"/api/handovers/{handover.id}/messages", {"section": FOCUS, "key": "card-1"})
    assert answer.status == 200
    message = store.messages(handover.id)[-1]
    with session(kb_url) as kb:
        expected = bot_contract.programs_payload([query.program(kb, FOCUS)])  # what the assistant's actions send
    assert message.author == "staff" and message.custom == expected
    card = message.custom["programs"][0]
    assert card["section"] == FOCUS and card["name"] == names[FOCUS] and card["phone"]
    assert message.text == f"「{names[FOCUS]}」についてご案内します。"
    assert answer.json()["message"]["custom"] == expected
    with_text = tanaka.post(f"/api/handovers/{handover.id}/messages", {"section": OTHER, "text": "こちらもどうぞ。"})
    assert with_text.status == 200 and store.messages(handover.id)[-1].text == "こちらもどうぞ。"
    assert store.messages(handover.id)[-1].custom["programs"][0]["section"] == OTHER


# ---- handing back ----

def test_handing_back_tells_the_user_and_ends_the_handover_once(store, tanaka):
    handover = taken_by_tanaka(store, tanaka)
    path = f"/api/handovers/{handover.id}/end"
    ended = tanaka.post(path)
    assert ended.status == 200 and ended.json()["handover"]["state"] == "ended"
    after = store.get(handover.id)
    assert after.state == "ended" and after.outcome == "returned"
    last = store.messages(handover.id)[-1]
    assert (last.author, last.text, last.custom) == ("system", contract.ENDED_TEXT, contract.custom(contract.ended()))
    count = len(store.messages(handover.id))
    assert tanaka.post(path).status == 200 and len(store.messages(handover.id)) == count  # a second click
    late = tanaka.post(f"/api/handovers/{handover.id}/messages", {"text": "まだいますか"})
    assert late.status == 409 and late.json()["error"] == "この会話はすでに終了しています。"
    assert len(store.messages(handover.id)) == count
    assert tanaka.get("/api/handovers").json()["handovers"] == []


def test_a_conversation_the_user_left_cannot_be_handed_back(store, tanaka):
    handover = taken_by_tanaka(store, tanaka)
    store.end(handover.id, "user_left")
    answer = tanaka.post(f"/api/handovers/{handover.id}/end")
    assert answer.status == 409 and store.get(handover.id).outcome == "user_left"


# ---- the whole conversation ----

class Tracker(http.server.ThreadingHTTPServer):
    """Rasa's tracker API, as far as the console uses it: GET /conversations/<sender>/tracker?token=…"""

    def __init__(self, events: List[Dict[str, Any]], token: str = "run-token") -> None:
        self.events, self.token, self.asked = events, token, []
        tracker = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                tracker.asked.append(self.path)
                if f"token={tracker.token}" not in self.path:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"sender_id": "x", "events": tracker.events}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def test_the_conversation_shows_the_assistants_part_from_rasa_and_the_handovers_messages(url, kb_url, store, names):
    requested = ago(60)
    start = requested.timestamp()
    card = {"programs": [{"section": FOCUS, "slug": "s", "name": names[FOCUS], "desk": "d", "phone": "0"}]}
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": start - 300},
        {"event": "user", "text": "後継ぎがいない", "timestamp": start - 200},
        {"event": "bot", "text": "事業承継のご相談窓口です。", "timestamp": start - 199,
         "data": {"buttons": [{"title": names[OTHER], "payload": f'/choose_program{{"program":"{OTHER}"}}'}]}},
        {"event": "bot", "text": None, "timestamp": start - 198, "data": {"custom": card}},
        {"event": "user", "text": f'/choose_program{{"program":"{OTHER}"}}', "timestamp": start - 100},
        {"event": "slot", "name": "program", "value": str(OTHER), "timestamp": start - 99},
        {"event": "user", "text": "人と話したい", "timestamp": start - 5},
        {"event": "bot", "text": "担当者におつなぎします。", "timestamp": start + 1,
         "data": {"custom": contract.custom(contract.queued(1, 180))}},
        {"event": "user", "text": "まだですか", "timestamp": start + 30},  # the handover's own: not shown twice
        {"event": "bot", "text": "（ここから先はアシスタントの出番ではない）", "timestamp": start + 31},
    ]
    rasa = Tracker(events)
    served = serve(url, kb_url, rasa_url=rasa.url)
    try:
        tanaka = Browser(served).log_in("tanaka", PASSWORD)
        sender = "web user/1?&#"
        handover = store.request(sender, "rest", focus=FOCUS, candidates=(FOCUS,), now=requested)
        store.add_message(handover.id, "user", "まだですか")
        body = tanaka.get(f"/api/handovers/{handover.id}").json()
    finally:
        served.stop()
        rasa.shutdown()
        rasa.server_close()
    path, query_string = rasa.asked[0].split("?", 1)
    assert "%2F1%3F" in path and unquote(path) == f"/conversations/{sender}/tracker"  # one path segment, quoted
    assert parse_qs(query_string) == {"include_events": ["ALL"], "token": ["run-token"]}
    assistant = body["assistant"]
    assert assistant["available"] is True and assistant["notice"] is None and assistant["cut"] is False
    assert [(t["author"], t["text"]) for t in assistant["turns"]] == [
        ("user", "後継ぎがいない"), ("assistant", "事業承継のご相談窓口です。"), ("assistant", ""),
        ("user", names[OTHER]), ("user", "人と話したい"), ("assistant", "担当者におつなぎします。")]
    turns = assistant["turns"]
    assert turns[1]["buttons"] == [names[OTHER]] and turns[2]["programs"] == [{"section": FOCUS, "name": names[FOCUS]}]
    assert turns[3]["button"] is True and turns[5]["handover"]["state"] == "queued"
    assert [(m["author"], m["text"]) for m in body["messages"]] == [("user", "まだですか")]
    assert body["handover"]["focus"] == {"section": FOCUS, "name": names[FOCUS]}
    assert sender not in json.dumps(body, ensure_ascii=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_when_rasa_cannot_be_reached_the_conversation_says_so_and_still_shows_the_handover(url, kb_url, store):
    handover = queued(store)
    store.add_message(handover.id, "user", "電話番号を教えてください")
    for rasa_url, notice in ((f"http://127.0.0.1:{free_port()}", "アシスタントに接続できないため"),
                             (None, "アシスタントに接続する設定がないため")):
        served = serve(url, kb_url, rasa_url=rasa_url)
        try:
            answer = Browser(served).log_in("tanaka", PASSWORD).get(f"/api/handovers/{handover.id}")
        finally:
            served.stop()
        assert answer.status == 200
        body = answer.json()
        assert body["assistant"]["available"] is False and body["assistant"]["notice"].startswith(notice)
        assert body["assistant"]["turns"] == []
        assert [m["text"] for m in body["messages"]] == ["電話番号を教えてください"]


def test_polling_a_conversation_returns_only_new_messages(store, tanaka):
    handover = taken_by_tanaka(store, tanaka)
    first = tanaka.get(f"/api/handovers/{handover.id}").json()
    assert "assistant" in first and len(first["messages"]) == 1
    cursor = first["messages"][-1]["id"]
    assert tanaka.get(f"/api/handovers/{handover.id}", after=cursor).json()["messages"] == []
    store.add_message(handover.id, "user", "ありがとうございます")
    polled = tanaka.get(f"/api/handovers/{handover.id}", after=cursor).json()
    assert "assistant" not in polled and [m["text"] for m in polled["messages"]] == ["ありがとうございます"]
    assert tanaka.get("/api/handovers/999999").status == 404


# ---- call-back requests ----

CONTACTS = ("090-1234-5678", "owner@example.jp")


def test_callback_requests_are_listed_and_moved_on_and_their_contacts_never_logged(store, console, tanaka, names,
                                                                                   caplog):
    caplog.set_level(logging.DEBUG)
    phone = store.add_callback("web-user-1", "rest", FOCUS, "補助金の申請について相談したい", CONTACTS[0])
    mail = store.add_callback("U" + "b" * 32, "line", None, "事業承継の件", CONTACTS[1])
    assert Browser(console).get("/api/callbacks").status == 401  # contacts for logged-in staff only
    listed = tanaka.get("/api/callbacks")
    assert listed.status == 200 and listed.header("Cache-Control") == "no-store"
    items = listed.json()["callbacks"]
    assert [(c["id"], c["contact"], c["status"], c["status_label"]) for c in items] == [
        (phone.id, CONTACTS[0], "new", "未対応"), (mail.id, CONTACTS[1], "new", "未対応")]
    assert items[0]["program"] == {"section": FOCUS, "name": names[FOCUS]} and items[1]["program"] is None
    assert items[0]["need"] == "補助金の申請について相談したい" and items[1]["channel_label"] == "LINE"
    path = f"/api/callbacks/{phone.id}/status"
    moved = tanaka.post(path, {"status": "in_progress"})
    assert moved.status == 200 and moved.json()["callback"]["status"] == "in_progress"
    assert [c["id"] for c in tanaka.get("/api/callbacks", status="new").json()["callbacks"]] == [mail.id]
    assert [c["id"] for c in tanaka.get("/api/callbacks", status="in_progress").json()["callbacks"]] == [phone.id]
    done = tanaka.post(path, {"status": "done"})
    assert done.status == 200 and done.json()["callback"]["done_at"]
    assert tanaka.post(path, {"status": "done"}).status == 200  # a second click
    back = tanaka.post(path, {"status": "in_progress"})
    assert back.status == 409 and back.json()["error"] == "この折り返し依頼はすでに完了しています。"
    for body in ({"status": "new"}, {"status": "gone"}, {}):
        assert tanaka.post(path, body).status == 400
    assert tanaka.get("/api/callbacks", status="everything").status == 400
    assert tanaka.post("/api/callbacks/999999/status", {"status": "done"}).status == 404
    assert tanaka.post(f"/api/callbacks/{mail.id}/status", {"status": "done"}).status == 200
    assert caplog.records  # the store and the console did log: ids and states
    for record in caplog.records:
        logged = f"{record.getMessage()} {record.__dict__!r}"
        for contact in CONTACTS:
            assert contact not in logged, record


# ---- the page ----

def test_the_handover_page_needs_a_login_and_every_page_links_to_it(console, tanaka):
    anonymous = Browser(console).get("/handover")
    assert anonymous.status == 303 and anonymous.header("Location") == "/login"
    page = tanaka.get("/handover")
    assert page.status == 200 and "/static/handover.js" in page.text and 'lang="ja"' in page.text
    assert page.header("Cache-Control") == "no-store"
    for other in ("console.html", "review.html"):
        assert 'href="/handover"' in (STATIC / other).read_text(encoding="utf-8"), other
    assert tanaka.get("/static/handover.js").status == 200

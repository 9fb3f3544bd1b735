"""The channels' side of handover: held messages, the web chat's event stream, LINE pushes and the worker.

Real servers throughout: the channels' blueprints on a Sanic server on loopback, called over HTTP with aiohttp; the
LINE API stub (tests/e2e/line_stub.py); the handover store on a SQLite database in ``tmp_path`` made by its
migrations. A stand-in for Rasa records what reaches it (no model is needed)."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Tuple

import aiohttp
import pytest
from sanic import Sanic

from bot.channels import handover_link, line_push
from bot.channels.handover_worker import HandoverWorker, worker_of
from bot.channels.line import LineInput
from bot.channels.rest import RestInput
from handover import contract
from handover.store import LEASE_SECONDS, HandoverStore
from tests.e2e.line_stub import LineApiStub

ROOT = Path(__file__).resolve().parents[2]
SECRET, TOKEN = "unit-channel-secret", "unit-access-token"
PUSH, REPLY = "/v2/bot/message/push", "/v2/bot/message/reply"
PROGRAM = {"section": 21, "slug": "business-succession", "name": "事業承継", "desk": "窓口", "phone": "017-000-0000"}
MARKUP = '<img src=x onerror="alert(1)"><b>太字</b>'
UTC = timezone.utc
BUSY_SECONDS = 2.0  # how long a test keeps the server's event loop busy


@pytest.fixture
def store(tmp_path, monkeypatch) -> Iterator[HandoverStore]:
    """A store on a fresh SQLite database, given to the channels as bot/wiring.py does."""
    for name in ("HANDOVER_QUEUE_TIMEOUT_SECONDS", "HANDOVER_DEFAULT_WAIT_SECONDS", "HANDOVER_STAFFED_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HANDOVER_DELIVERY_INTERVAL_SECONDS", "0.05")
    store = HandoverStore(f"sqlite:///{tmp_path / 'review.db'}")
    handover_link.use_store(lambda: store)
    yield store
    handover_link.use_store(None)


@pytest.fixture(scope="module")
def stub():
    api = LineApiStub()
    yield api
    api.close()


class Rasa:
    """Stands in for Rasa's agent: records each message handed to it and answers 「アシスタントです」."""

    def __init__(self) -> None:
        self.received: List[Any] = []

    async def __call__(self, message: Any) -> None:
        self.received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": "アシスタントです"})


@contextlib.asynccontextmanager
async def serving(*channels: Any, rasa: Optional[Rasa] = None) -> AsyncIterator[Tuple[Sanic, str]]:
    """The channels' blueprints on a real Sanic server on loopback, started and stopped with its listeners, as
    Rasa mounts them (``/webhooks/<name>``)."""
    app = Sanic(f"handover_unit_{uuid.uuid4().hex[:8]}")
    for channel in channels:
        app.blueprint(channel.blueprint(rasa or Rasa()), url_prefix=f"/webhooks/{channel.name()}")
    server = await app.create_server(host="127.0.0.1", port=0, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    await server.after_start()
    port = server.server.sockets[0].getsockname()[1]
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


async def post(session: aiohttp.ClientSession, url: str, sender: str, message: str,
               request_id: Optional[str] = None) -> Tuple[int, Any]:
    headers = {"X-Request-ID": request_id} if request_id else {}
    async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                            headers=headers) as answer:
        return answer.status, await answer.json()


async def read_events(answer: aiohttp.ClientResponse, until: str, timeout: float = 10.0) -> List[Dict[str, Any]]:
    """Server-sent events as dicts (``event``, ``id``, ``data`` parsed as JSON) up to the first named ``until``."""
    found: List[Dict[str, Any]] = []
    current: Dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = (await asyncio.wait_for(answer.content.readline(), deadline - time.monotonic())).decode()
        if not line:
            break
        line = line.rstrip("\n")
        if line == "":
            if "event" in current:
                found.append(current)
                if current["event"] == until:
                    return found
            current = {}
        elif line.startswith("id: "):
            current["id"] = int(line[4:])
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])
    raise AssertionError(f"no {until!r} event; got {found}")


def stored(store: HandoverStore, handover_id: int, author: str = "user") -> List[str]:
    return [message.text for message in store.messages(handover_id) if message.author == author]


def web_sender() -> str:
    return "web-" + uuid.uuid4().hex[:12]


def line_user() -> str:
    return "U" + uuid.uuid4().hex


# ---- held: a message while a person holds the conversation does not reach Rasa -----------------------------------

def test_a_held_web_message_is_stored_for_staff_and_answered_with_the_state_not_by_rasa(store):
    rasa, sender = Rasa(), web_sender()
    handover = store.request(sender, "rest", focus=21)

    async def talk() -> List[Tuple[int, Any]]:
        async with serving(RestInput(), rasa=rasa) as (_, url), aiohttp.ClientSession() as session:
            answers = [await post(session, url, sender, "まだですか？")]
            assert store.take(handover.id, "sato", "佐藤")
            answers.append(await post(session, url, sender, "よろしくお願いします", request_id="a" * 32))
            answers.append(await post(session, url, sender, "よろしくお願いします", request_id="a" * 32))  # nginx's resend
            answers.append(await post(session, url, sender, "/choose_program{\"program\":\"21\"}"))  # a button
            assert store.end(handover.id, "returned")
            answers.append(await post(session, url, sender, "費用は？"))
            return answers

    queued, connected, resent, button, after = asyncio.run(talk())
    assert queued == (200, [{"recipient_id": sender, "text": contract.describe(contract.queued(1, 180)),
                             "custom": {"handover": {"state": "queued", "position": 1, "wait_seconds": 180}}}])
    assert "1番目" in queued[1][0]["text"] and "約3分" in queued[1][0]["text"]
    assert connected == resent == button == (200, [{"recipient_id": sender, "custom": {
        "handover": {"state": "connected", "staff": "佐藤"}}}])
    assert stored(store, handover.id) == ["まだですか？", "よろしくお願いします"]  # the resend and the payload: not stored
    assert [m.text for m in rasa.received] == ["費用は？"]  # only after the handover ended
    assert after == (200, [{"recipient_id": sender, "text": "アシスタントです"}])


def test_a_held_message_too_long_for_staff_is_refused_politely_and_not_stored(store):
    sender = web_sender()
    handover = store.request(sender, "rest")

    async def talk() -> Tuple[int, Any]:
        async with serving(RestInput()) as (_, url), aiohttp.ClientSession() as session:
            return await post(session, url, sender, "あ" * 100_000)

    status, replies = asyncio.run(talk())
    assert status == 200 and "1000文字以内" in replies[0]["text"] and replies[-1]["custom"]["handover"]["state"] == "queued"
    assert stored(store, handover.id) == []


def test_a_held_message_streamed_is_answered_in_rasas_stream_shape(store):
    sender = web_sender()
    handover = store.request(sender, "rest")
    store.take(handover.id, "sato", "佐藤")

    async def talk() -> Tuple[int, str]:
        async with serving(RestInput()) as (_, url), aiohttp.ClientSession() as session:
            async with session.post(f"{url}/webhooks/rest/webhook?stream=true",
                                    json={"sender": sender, "message": "こんにちは"}) as answer:
                return answer.status, await answer.text()

    status, body = asyncio.run(talk())
    assert status == 200 and [json.loads(line) for line in body.splitlines()] == [
        {"recipient_id": sender, "custom": {"handover": {"state": "connected", "staff": "佐藤"}}}]
    assert stored(store, handover.id) == ["こんにちは"]


def test_without_a_store_every_message_reaches_rasa(store):
    handover_link.use_store(None)
    rasa, sender = Rasa(), web_sender()
    store.request(sender, "rest")

    async def talk() -> Tuple[int, Any]:
        async with serving(RestInput(), rasa=rasa) as (_, url), aiohttp.ClientSession() as session:
            return await post(session, url, sender, "こんにちは")

    assert asyncio.run(talk())[0] == 200 and len(rasa.received) == 1


# ---- the web chat's event stream -----------------------------------------------------------------------------------

def test_the_event_stream_delivers_staff_messages_and_resumes_after_a_given_id(store):
    sender = web_sender()
    handover = store.request(sender, "rest")
    assert store.take(handover.id, "sato", "佐藤")
    first = store.add_message(handover.id, "staff", MARKUP)

    async def listen() -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], List[Dict[str, Any]], Dict[str, str]]:
        async with serving(RestInput()) as (_, url), aiohttp.ClientSession() as session:
            events_url = f"{url}/webhooks/rest/events"
            async with session.get(events_url, params={"sender": sender}) as answer:
                headers = dict(answer.headers)
                opened = await read_events(answer, "message")  # the connected notice
                opened += await read_events(answer, "message")  # the staff message
                later = store.add_message(handover.id, "staff", "", custom={"programs": [PROGRAM]})  # a card, later
                opened += await read_events(answer, "message")
                assert opened[-1]["id"] == later.id
            # A reload, or a reconnect to another process: from the id the page last showed.
            async with session.get(events_url, params={"sender": sender, "after": str(first.id)}) as answer:
                resumed = await read_events(answer, "message")
            async with session.get(events_url, params={"sender": sender},
                                   headers={"Last-Event-ID": str(later.id)}) as answer:
                store.end(handover.id, "returned")
                ended = await read_events(answer, "idle")
            return opened, resumed, ended, headers

    opened, resumed, ended, headers = asyncio.run(listen())
    assert headers["Content-Type"].startswith("text/event-stream") and headers["X-Accel-Buffering"] == "no"
    connected, staff, card = (event["data"] for event in opened)
    assert connected["author"] == "system" and connected["custom"] == {"handover": {"state": "connected",
                                                                                   "staff": "佐藤"}}
    assert staff == {"id": first.id, "author": "staff", "staff": "佐藤", "text": MARKUP, "custom": None}
    assert card["custom"] == {"programs": [PROGRAM]} and card["text"] == ""
    assert [event["id"] for event in resumed] == [card["id"]]
    assert [event["event"] for event in ended] == ["message", "idle"]
    assert ended[0]["data"]["custom"] == {"handover": {"state": "ended"}} and ended[0]["data"]["text"]


def test_the_event_stream_refuses_bad_queries_and_ends_when_there_is_no_handover(store):
    async def ask() -> List[Any]:
        async with serving(RestInput()) as (_, url), aiohttp.ClientSession() as session:
            results = []
            for params in ({}, {"sender": "a\nb"}, {"sender": "s", "after": "-1"}, {"sender": "s", "after": "x"}):
                async with session.get(f"{url}/webhooks/rest/events", params=params) as answer:
                    results.append((answer.status, (await answer.json())["error"]))
            async with session.get(f"{url}/webhooks/rest/events", params={"sender": web_sender()}) as answer:
                results.append([event["event"] for event in await read_events(answer, "idle")])
            return results

    *refused, idle = asyncio.run(ask())
    assert [status for status, _ in refused] == [400] * 4 and idle == ["idle"]


def test_streams_end_and_the_worker_stops_when_the_server_stops(store):
    sender = web_sender()
    store.request(sender, "rest")

    async def stop_while_listening() -> Tuple[bytes, bool]:
        session = aiohttp.ClientSession()
        try:
            async with serving(RestInput()) as (app, url):
                answer = await session.get(f"{url}/webhooks/rest/events", params={"sender": sender})
                assert (await answer.content.readline()).startswith(b"retry:")
                worker = worker_of(app)
                assert worker._task is not None and not worker._task.done()
            rest = await asyncio.wait_for(answer.content.read(), 5)  # ended by the server, not cut
            return rest, worker._task is None
        finally:
            await session.close()

    rest, stopped = asyncio.run(stop_while_listening())
    assert b"event: idle" not in rest and stopped


# ---- LINE: held messages, pushes, leases --------------------------------------------------------------------------

def line_event(user: str, text: str) -> Tuple[str, str]:
    """A webhook body as LINE signs it, and its signature."""
    body = json.dumps({"destination": "U0", "events": [
        {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
         "source": {"type": "user", "userId": user}, "webhookEventId": uuid.uuid4().hex[:26],
         "deliveryContext": {"isRedelivery": False}, "replyToken": uuid.uuid4().hex,
         "message": {"type": "text", "id": uuid.uuid4().hex[:12], "quoteToken": "q", "text": text}}]})
    return body, base64.b64encode(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()


async def write_line(session: aiohttp.ClientSession, url: str, user: str, text: str) -> str:
    """``user`` writes ``text`` to the LINE channel at ``url`` (a signed webhook event); its reply token."""
    body, signature = line_event(user, text)
    async with session.post(f"{url}/webhooks/line/webhook", data=body,
                            headers={"X-Line-Signature": signature}) as answer:
        assert answer.status == 200
    return json.loads(body)["events"][0]["replyToken"]


def test_a_held_line_message_is_stored_and_only_a_queued_user_is_answered(store, stub):
    rasa, user = Rasa(), line_user()
    handover = store.request(user, "line")
    channel = LineInput(SECRET, TOKEN, stub.url)

    async def talk() -> List[str]:
        async with serving(channel, rasa=rasa) as (_, url), aiohttp.ClientSession() as session:
            tokens = [await write_line(session, url, user, "まだかな")]
            await until(lambda: len(stored(store, handover.id)) == 1)
            store.take(handover.id, "sato", "佐藤")
            tokens.append(await write_line(session, url, user, MARKUP))
            await until(lambda: len(stored(store, handover.id)) == 2)
            await asyncio.sleep(0.3)  # anything the channel would still send
            return tokens

    queued_token, connected_token = asyncio.run(talk())
    [reply] = [c["body"] for c in stub.sent(REPLY) if c["body"]["replyToken"] == queued_token]
    assert reply["messages"] == [{"type": "text", "text": contract.describe(contract.queued(1, 180))}]
    assert not [c for c in stub.sent(REPLY) if c["body"]["replyToken"] == connected_token]
    assert stored(store, handover.id) == ["まだかな", MARKUP] and rasa.received == []
    # The connected notice is the worker's to push (the server ran it), as LINE text: markup stays text.
    pushed = [c for c in stub.delivered(PUSH) if c["body"]["to"] == user]
    assert [m["text"] for c in pushed for m in c["body"]["messages"]] == [contract.CONNECTED_TEXT.format(staff="佐藤")]


async def until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


def staff_messages(store: HandoverStore, user: str) -> Tuple[int, List[int]]:
    """A connected LINE handover with a staff text (markup included) and a program card, already pushed notices
    aside: (handover id, ids of the two staff messages)."""
    handover = store.request(user, "line")
    store.take(handover.id, "sato", "佐藤")
    store.mark_delivered([m.id for m in store.messages(handover.id)])  # the connected notice: not this test's
    text = store.add_message(handover.id, "staff", "ご相談ありがとうございます。" + MARKUP)
    card = store.add_message(handover.id, "staff", "こちらの窓口です", custom={"programs": [PROGRAM]})
    return handover.id, [text.id, card.id]


def test_a_staff_message_reaches_line_while_the_servers_event_loop_is_busy(store, stub):
    """Under load a Rasa process's event loop is busy predicting; pushes run on a thread of their own, so a staff
    message does not wait for it (the old worker pushed from the busy loop: nothing went out until it was free)."""
    user = line_user()
    channel = LineInput(SECRET, TOKEN, stub.url)

    async def busy_while_staff_write() -> Tuple[float, float]:
        async with serving(RestInput(), channel):
            handover = await asyncio.to_thread(store.request, user, "line")
            await asyncio.to_thread(store.take, handover.id, "sato", "佐藤")
            await until(lambda: [c for c in stub.sent(PUSH) if c["body"]["to"] == user])  # the connected notice
            await asyncio.to_thread(store.add_message, handover.id, "staff", "お待たせしました")
            started = time.monotonic()
            time.sleep(BUSY_SECONDS)  # the loop does nothing else meanwhile, as during a long prediction
            pushes = [c for c in stub.sent(PUSH) if c["body"]["to"] == user]
            assert len(pushes) == 2, "the staff message was not pushed while the loop was busy"
            return started, pushes[-1]["at"]

    started, arrived = asyncio.run(busy_while_staff_write())
    assert arrived - started < BUSY_SECONDS


def test_the_worker_pushes_staff_messages_to_the_line_user_with_a_retry_key_each(store, stub):
    user = line_user()
    _, ids = staff_messages(store, user)
    channel = LineInput(SECRET, TOKEN, stub.url)
    worker = HandoverWorker(interval=0.05, name="unit")
    worker.deliver_line_with(channel.line_api)

    async def rounds() -> None:
        await worker.run_once()
        await worker.run_once()  # nothing left: nothing pushed twice
        await channel.close()

    asyncio.run(rounds())
    pushes = [c for c in stub.sent(PUSH) if c["body"]["to"] == user]
    assert len(pushes) == 2 and all(c["authorization"] == f"Bearer {TOKEN}" for c in pushes)
    text, card = (c["body"]["messages"] for c in pushes)
    assert text == [{"type": "text", "text": "ご相談ありがとうございます。" + MARKUP}]
    assert [m["type"] for m in card] == ["text", "flex"] and "017-000-0000" in card[1]["altText"]
    keys = [c["retry_key"] for c in pushes]
    assert len(set(keys)) == 2 and all(str(uuid.UUID(key)) == key for key in keys)
    messages = {m.id: m for m in store.messages_after(user)}
    assert keys == [line_push.retry_key(messages[i]) for i in ids]
    assert all(messages[i].delivered_at is not None for i in ids)


def test_a_retried_push_is_not_sent_twice_and_a_failed_one_is_retried_in_order(store, stub):
    user = line_user()
    _, (first, second) = staff_messages(store, user)
    channel = LineInput(SECRET, TOKEN, stub.url)
    messages = {m.id: m for m in store.messages_after(user)}

    async def scenario() -> Tuple[int, int]:
        # LINE accepted the first push, but the process died before marking it: the store still has it undelivered.
        assert await line_push.push(channel.line_api.api(), messages[first]) == line_push.DELIVERED
        stub.failures.append(500)  # and now LINE fails once
        failed_round = await line_push.deliver(store, channel.line_api.api(), "unit")
        later = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS + 1)  # the failed claim's lease has lapsed
        next_round = await line_push.deliver(store, channel.line_api.api(), "unit", now=later)
        await channel.close()
        return failed_round, next_round

    failed_round, next_round = asyncio.run(scenario())
    assert (failed_round, next_round) == (0, 2)
    pushes = [c for c in stub.sent(PUSH) if c["body"]["to"] == user]
    key = line_push.retry_key(messages[first])
    assert [(c["retry_key"], c["status"]) for c in pushes] == [
        (key, 200), (key, 500), (key, 409), (line_push.retry_key(messages[second]), 200)]  # in order, once each
    assert len([c for c in stub.delivered(PUSH) if c["body"]["to"] == user]) == 2


class FirstUserWaitsForSecond:
    """The real LINE API, except that the first user's push is answered only once the second user's was made: a
    worker that serves users one after another gives up on the first (a timeout, retried later)."""

    def __init__(self, api: Any, first: str, second: str) -> None:
        self.api, self.first, self.second = api, first, second
        self.second_pushed = asyncio.Event()

    async def push_message(self, request: Any, **options: Any) -> Any:
        if request.to == self.first:
            await asyncio.wait_for(self.second_pushed.wait(), 2.0)
        answer = await self.api.push_message(request, **options)
        if request.to == self.second:
            self.second_pushed.set()
        return answer


def test_users_are_pushed_side_by_side_so_no_staff_message_waits_for_another_users(store, stub):
    first, second = line_user(), line_user()
    staff_messages(store, first)
    staff_messages(store, second)
    channel = LineInput(SECRET, TOKEN, stub.url)

    async def one_round() -> int:
        api = FirstUserWaitsForSecond(channel.line_api.api(), first, second)
        delivered = await line_push.deliver(store, api, "unit")
        await channel.close()
        return delivered

    assert asyncio.run(one_round()) == 4  # two staff messages each, in one round
    for user in (first, second):
        assert len([c for c in stub.delivered(PUSH) if c["body"]["to"] == user]) == 2


CLAIM_AND_DIE = """
import os, signal, sys
from handover.store import HandoverStore
claimed = HandoverStore(sys.argv[1]).claim_undelivered("line", "doomed")
print(len(claimed), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # killed while it holds the claim, before any push
"""


def test_messages_claimed_by_a_killed_process_are_pushed_after_the_lease(store, stub):
    user = line_user()
    _, ids = staff_messages(store, user)
    dying = subprocess.run([sys.executable, "-c", CLAIM_AND_DIE, store.url], capture_output=True, text=True,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert dying.returncode == -signal.SIGKILL and int(dying.stdout) >= 2
    assert all(m.claimed_by.startswith("doomed") for m in store.messages_after(user) if m.id in ids)
    channel = LineInput(SECRET, TOKEN, stub.url)
    worker = HandoverWorker(interval=0.05, name="survivor")
    worker.deliver_line_with(channel.line_api)

    async def rounds() -> None:
        await worker.run_once()  # within the lease: the dead process's claim holds
        assert not [c for c in stub.sent(PUSH) if c["body"]["to"] == user]
        await worker.run_once(now=datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS + 1))
        await channel.close()

    asyncio.run(rounds())
    assert len([c for c in stub.delivered(PUSH) if c["body"]["to"] == user]) == 2
    assert all(m.delivered_at is not None for m in store.messages_after(user) if m.id in ids)


def test_a_wait_that_timed_out_is_told_on_both_channels_with_the_call_back_offer(store, stub):
    web, line = web_sender(), line_user()
    asked = datetime.now(UTC) - timedelta(hours=1)
    web_handover, line_handover = store.request(web, "rest", now=asked), store.request(line, "line", now=asked)
    channel = LineInput(SECRET, TOKEN, stub.url)

    async def serve() -> List[Dict[str, Any]]:
        async with serving(RestInput(), channel) as (_, url), aiohttp.ClientSession() as session:
            await until(lambda: [c for c in stub.delivered(PUSH) if c["body"]["to"] == line])
            async with session.get(f"{url}/webhooks/rest/events", params={"sender": web}) as answer:
                return await read_events(answer, "idle")

    events = asyncio.run(serve())
    for handover in (web_handover, line_handover):
        assert store.get(handover.id).state == "timed_out"
    timed_out = events[0]["data"]
    assert timed_out["text"] == contract.TIMED_OUT_TEXT and timed_out["custom"]["handover"]["callback"] is True
    [pushed] = [c["body"] for c in stub.delivered(PUSH) if c["body"]["to"] == line]
    assert pushed["messages"] == [{"type": "text", "text": contract.TIMED_OUT_TEXT}]


# ---- rendering --------------------------------------------------------------------------------------------------

def test_line_draws_a_handover_state_alone_in_words():
    from bot.channels.line_render import render

    [queued] = render([{"custom": {"handover": contract.queued(2, 330)}}])
    assert queued.text == "担当者におつなぎするまでお待ちください。現在2番目で、待ち時間の目安は約6分です。"
    unavailable = contract.unavailable(True, datetime(2026, 11, 30, 8, 30, tzinfo=contract.JST))
    [told] = render([{"custom": {"handover": unavailable}}])
    assert "11月30日（月）8時30分から" in told.text and "折り返し" in told.text
    [text] = render([{"text": "ほかの言葉", "custom": {"handover": contract.ended()}}])
    assert text.text == "ほかの言葉"


def test_the_web_chat_writes_no_html_from_a_message():
    """Staff's and users' words are shown as text: the widget never hands a string to the HTML parser."""
    script = (ROOT / "webchat" / "static" / "assistant-chat.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "DOMParser", "createContextualFragment"):
        assert sink not in script, sink


def test_the_worker_applies_retention_once_an_hour_without_a_cron_job(store):
    done_at = datetime.now(UTC) - timedelta(days=400)
    request = store.add_callback("web-retention", "rest", 21, "事業承継の相談", "090-0000-1111", now=done_at)
    store.set_callback_status(request.id, "in_progress", now=done_at)
    store.set_callback_status(request.id, "done", now=done_at)
    worker = HandoverWorker(interval=0.05, name="unit")
    asyncio.run(worker.run_once())
    assert store.callbacks() == []
    later = store.add_callback("web-retention", "rest", 21, "事業承継の相談", "090-0000-2222", now=done_at)
    store.set_callback_status(later.id, "in_progress", now=done_at)
    store.set_callback_status(later.id, "done", now=done_at)
    asyncio.run(worker.run_once())  # within the hour: the next retention round is later
    assert [c.id for c in store.callbacks()] == [later.id]

"""What the channels keep about senders and LINE events is shared by both Rasa processes, through Redis: a LINE event
delivered to rasa-1 and to rasa-2 is answered once, and a sender's messages are counted together, whichever process
nginx sends them to (bot/shared_state.py, bot/sender_limits.py, bot/channels/seen_events.py).

For this module both Rasa processes are restarted with the LINE channel on (against a local API stub) and a limit
of 3 messages per sender; afterwards they are restarted as the session's stack had them."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
import redis
import requests
import yaml

from bot.channels.rate_limited import RESPONSE
from bot.channels.seen_events import SeenEvents
from bot.sender_limits import SenderLimiter
from tests.e2e.line_stub import LineApiStub
from tests.e2e.test_line import REPLY, sign, text_event, user
from tests.prod.conftest import PORTS, ROOT, Stack

LIMIT = 3
WINDOW = 300  # seconds: no window ends during these tests
LINE_SECRET, LINE_TOKEN = "prod-test-channel-secret", "prod-test-access-token"
[NOTICE] = [v["text"] for v in yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][RESPONSE]]
PROCESSES = ("rasa-1", "rasa-2")


@pytest.fixture(scope="module")
def line_api():
    stub = LineApiStub()
    yield stub
    stub.close()


@pytest.fixture(scope="module")
def limited(stack, line_api):
    """The stack, its Rasa processes restarted with LINE and small limits (and restored afterwards)."""
    env = {**stack.env, "LINE_CHANNEL_SECRET": LINE_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN,
           "LINE_API_BASE_URL": line_api.url, "RATE_LIMIT_MESSAGES": str(LIMIT),
           "RATE_LIMIT_WINDOW_SECONDS": str(WINDOW)}
    Stack(stack.run_dir, env).ctl("restart", *PROCESSES)
    try:
        yield stack
    finally:
        stack.ctl("restart", *PROCESSES)


@pytest.fixture
def shared_redis(stack):
    """The stack's Redis, where the processes keep what they share (scripts/prod/env.sh: LOCK_REDIS_DB=1)."""
    client = redis.Redis(host="127.0.0.1", port=PORTS["redis"], password=stack.redis_password, db=1)
    yield client
    client.close()


def post_line(url: str, *events) -> requests.Response:
    body = json.dumps({"destination": "U0", "events": list(events)}, ensure_ascii=False).encode()
    return requests.post(f"{url}/webhooks/line/webhook", data=body, timeout=30,
                         headers={"Content-Type": "application/json", "X-Line-Signature": sign(body, LINE_SECRET)})


def process_url(name: str) -> str:
    return f"http://127.0.0.1:{PORTS[name]}"


def replies(line_api, token: str, wait: float = 0.0) -> list:
    deadline = time.monotonic() + wait
    while True:
        found = [c["body"] for c in line_api.sent(REPLY) if c["body"]["replyToken"] == token]
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.1)


def test_a_line_event_delivered_to_both_processes_is_answered_once(limited, line_api, shared_redis):
    event = text_event(user(), "後継者がいなくて困っています")
    statuses = []
    deliveries = [threading.Thread(target=lambda name=name: statuses.append(post_line(process_url(name), event)))
                  for name in PROCESSES]
    for delivery in deliveries:
        delivery.start()
    for delivery in deliveries:
        delivery.join()
    assert [s.status_code for s in statuses] == [200, 200]
    assert replies(line_api, event["replyToken"], wait=60), "never answered"
    redelivered = dict(event, deliveryContext={"isRedelivery": True})
    assert post_line(limited.url, redelivered).status_code == 200  # and once more through nginx
    time.sleep(3)
    assert len(replies(line_api, event["replyToken"])) == 1
    assert 24 * 3600 - 300 < shared_redis.ttl(SeenEvents.key(event["webhookEventId"])) <= 24 * 3600


def test_a_rest_senders_messages_are_counted_across_both_processes(limited, shared_redis):
    sender = f"prod-{uuid.uuid4().hex[:10]}"
    answers = []
    for i in range(LIMIT + 2):
        probe = uuid.uuid4().hex[:12]  # nginx logs which process answered
        answer = requests.post(f"{limited.url}/webhooks/rest/webhook", params={"probe": probe},
                               json={"sender": sender, "message": f"後継者がいなくて困っています{i}"}, timeout=150)
        answers.append((answer, limited.upstreams(probe)[-1]))
    assert [a.status_code for a, _ in answers] == [200] * LIMIT + [429, 429]
    assert {process for _, process in answers} == set(PROCESSES)  # nginx spread them: the count is shared
    for refused, _ in answers[LIMIT:]:
        assert refused.json() == [{"recipient_id": sender, "text": NOTICE}]
        assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW
    key = SenderLimiter(LIMIT, WINDOW).key("rest", sender)
    assert int(shared_redis.get(key)) == LIMIT + 2 and 0 < shared_redis.pttl(key) <= WINDOW * 1000
    users = [e["text"] for e in limited.tracker(sender)["events"] if e["event"] == "user"]
    assert users == [f"後継者がいなくて困っています{i}" for i in range(LIMIT)]  # the refused ones never ran


def test_an_over_limit_line_user_is_told_once_whichever_process_gets_the_events(limited, line_api):
    someone = user()
    for i in range(LIMIT):
        event = text_event(someone, f"補助金について知りたい{i}")
        assert post_line(process_url(PROCESSES[i % 2]), event).status_code == 200
        [answer] = replies(line_api, event["replyToken"], wait=60)
        assert NOTICE not in json.dumps(answer, ensure_ascii=False)
    over = [text_event(someone, f"まだ送ります{i}") for i in range(4)]
    for i, event in enumerate(over):
        assert post_line(process_url(PROCESSES[i % 2]), event).status_code == 200
    time.sleep(5)
    told = [reply for event in over for reply in replies(line_api, event["replyToken"])]
    assert [reply["messages"] for reply in told] == [[{"type": "text", "text": NOTICE}]]  # one of them, once

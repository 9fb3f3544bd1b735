"""Message limits on the running assistant (one process, no Redis: `make run`'s shape), with limits made small
through the environment: a REST sender over the limit gets 429 with the domain's Japanese notice and the model does
not run, while other senders go on; clients behind a trusted proxy are counted per address; LINE answers a duplicate
delivery once and tells an over-limit user once; the web chat shows the notice in place of a generic error.

These tests need their own limits, so they run their own assistant (not the session's ``assistant``) on ports
5970-5972 + ``E2E_PORT_OFFSET``. The notice is read from domain.yml, never typed here."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot.channels.rate_limited import RESPONSE
from eval import servers
from tests.e2e.conftest import PORT_OFFSET, RASA_API_TOKEN, assistant_env, demo_page
from tests.e2e.test_line import REPLY, Line, text_event, user
from tests.e2e.test_webchat import ChatPage, wait

RASA_PORT = 5970 + PORT_OFFSET
ACTIONS_PORT = 5971 + PORT_OFFSET
WEBCHAT_PORT = 5972 + PORT_OFFSET
LIMIT = 3            # messages per sender (RATE_LIMIT_MESSAGES)
ADDRESS_LIMIT = 5    # messages per client address (RATE_LIMIT_ADDRESS_MESSAGES)
WINDOW = 300         # seconds (RATE_LIMIT_WINDOW_SECONDS): no window ends during these tests
[NOTICE] = [v["text"] for v in yaml.safe_load((servers.ROOT / "domain.yml").read_text(encoding="utf-8"))[
    "responses"][RESPONSE]]


@pytest.fixture(scope="module")
def limited(tmp_path_factory, line_api, review_log_url):
    """The assistant with small limits, behind a "proxy" on loopback whose X-Forwarded-For it believes."""
    workdir = tmp_path_factory.mktemp("limited")
    kb_url = servers.loaded_knowledge(workdir)
    env = assistant_env(line_api, review_log_url, RATE_LIMIT_MESSAGES=str(LIMIT),
                        RATE_LIMIT_ADDRESS_MESSAGES=str(ADDRESS_LIMIT), RATE_LIMIT_WINDOW_SECONDS=str(WINDOW),
                        ASSISTANT_TRUSTED_PROXIES="127.0.0.1")
    with servers.assistant(workdir, kb_url, RASA_PORT, ACTIONS_PORT, api_token=RASA_API_TOKEN, env=env,
                           credentials=servers.ROOT / "credentials-line-stub.yml"):
        yield f"http://127.0.0.1:{RASA_PORT}"


def post(base_url: str, sender: str, text: str = "後継者がいなくて困っています", **headers) -> requests.Response:
    return requests.post(f"{base_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                         headers=headers, timeout=60)


def user_texts(base_url: str, sender: str) -> list:
    """What the conversation holds as the user's messages (Rasa's tracker, through its API with the token)."""
    tracker = requests.get(f"{base_url}/conversations/{sender}/tracker", params={"token": RASA_API_TOKEN},
                           timeout=30).json()
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


# ---- REST ------------------------------------------------------------------------------------------------------------

def test_a_rest_sender_over_the_limit_gets_429_with_the_notice_and_others_go_on(limited):
    sender = f"web-{uuid.uuid4().hex[:10]}"
    answered = [post(limited, sender, f"後継者がいなくて困っています{i}") for i in range(LIMIT)]
    assert [a.status_code for a in answered] == [200] * LIMIT
    refused = post(limited, sender, "まだ送ります")
    assert refused.status_code == 429
    assert refused.json() == [{"recipient_id": sender, "text": NOTICE}]
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW
    assert "まだ送ります" not in user_texts(limited, sender)  # the model never saw it
    other = post(limited, f"web-{uuid.uuid4().hex[:10]}")
    assert other.status_code == 200 and "事業承継" in " ".join(m.get("text", "") for m in other.json())


def test_clients_behind_a_trusted_proxy_are_counted_per_address(limited):
    client = {"X-Forwarded-For": "198.51.100.23"}
    statuses = [post(limited, f"web-{uuid.uuid4().hex[:10]}", "こんにちは", **client).status_code
                for _ in range(ADDRESS_LIMIT + 1)]
    assert statuses == [200] * ADDRESS_LIMIT + [429]  # new senders each time: the address is what counts
    assert post(limited, f"web-{uuid.uuid4().hex[:10]}", "こんにちは",
                **{"X-Forwarded-For": "198.51.100.24"}).status_code == 200  # another client of the proxy
    assert post(limited, f"web-{uuid.uuid4().hex[:10]}", "こんにちは").status_code == 200  # loopback itself


# ---- LINE ------------------------------------------------------------------------------------------------------------

def replies(line_api, token: str) -> list:
    return [c["body"] for c in line_api.sent(REPLY) if c["body"]["replyToken"] == token]


def test_a_line_event_delivered_twice_at_once_is_answered_once(limited, line_api):
    line = Line(limited, line_api)
    event = text_event(user(), "創業したい")
    statuses = []
    deliveries = [threading.Thread(target=lambda: statuses.append(line.post(event).status_code)) for _ in range(2)]
    for delivery in deliveries:
        delivery.start()
    for delivery in deliveries:
        delivery.join()
    assert statuses == [200, 200]
    line.replies_to(event["replyToken"])
    assert line.post(dict(event, deliveryContext={"isRedelivery": True})).status_code == 200
    time.sleep(3)
    assert len(replies(line_api, event["replyToken"])) == 1


def test_a_line_user_over_the_limit_is_told_once_and_then_not_answered(limited, line_api):
    line = Line(limited, line_api)
    someone = user()
    for i in range(LIMIT):
        event = text_event(someone, f"補助金について知りたい{i}")
        line.post(event)
        [answer] = line.replies_to(event["replyToken"])
        assert NOTICE not in str(answer)
    over = text_event(someone, "まだ送ります")
    line.post(over)
    [told] = line.replies_to(over["replyToken"])
    assert told["messages"] == [{"type": "text", "text": NOTICE}]
    later = [text_event(someone, f"さらに{i}") for i in range(2)]
    for event in later:
        line.post(event)
    time.sleep(3)
    assert all(replies(line_api, event["replyToken"]) == [] for event in later)
    assert replies(line_api, over["replyToken"]) == [told]
    other = text_event(user(), "創業したい")  # another user is not affected
    line.post(other)
    assert NOTICE not in str(line.replies_to(other["replyToken"]))


# ---- the web chat --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def limited_webchat(limited, tmp_path_factory):
    with demo_page(limited, WEBCHAT_PORT, tmp_path_factory.mktemp("limited-webchat")) as url:
        yield url


def test_the_web_chat_shows_the_notice_and_offers_to_resend(browser, limited_webchat):
    page = ChatPage(browser, limited_webchat)
    try:
        page.load()
        page.open()
        page.greeted()  # the greeting is the sender's first message
        for i in range(LIMIT - 1):
            page.ask(f"後継者がいなくて困っています{i}")
        bots = len(browser.find_elements(By.CSS_SELECTOR, ".ac-bot"))
        box = browser.find_element(By.CSS_SELECTOR, ".ac-form textarea")
        box.send_keys("まだ送ります", Keys.ENTER)
        status = browser.find_element(By.CSS_SELECTOR, ".ac-status")
        wait(browser, lambda d: status.text == NOTICE)  # the server's words, not 「接続できませんでした」
        assert status.get_attribute("role") == "status"  # announced to screen readers
        assert browser.find_element(By.CSS_SELECTOR, ".ac-retry").is_displayed()
        assert len(browser.find_elements(By.CSS_SELECTOR, ".ac-bot")) == bots  # no reply bubble appeared
    finally:
        page.reset()

"""Real servers for end-to-end tests: the action server and the Rasa server with the trained model.

Both run as subprocesses on their own ports (so a running `make run` is not disturbed), the
action server against a knowledge database built for this test session by the real loader.
"""
from __future__ import annotations

import contextlib
import os
import sys
import uuid
from typing import Dict, Iterator

import pytest
import requests

from eval import servers
from tests import held_replies
from tests.e2e.line_stub import LineApiStub

# Ports can be moved (E2E_PORT_OFFSET) so that two test runs on one machine do not collide.
PORT_OFFSET = int(os.environ.get("E2E_PORT_OFFSET", "0"))
RASA_PORT = 5015 + PORT_OFFSET
ACTIONS_PORT = 5065 + PORT_OFFSET
LINE_SECRET = "test-channel-secret"
LINE_TOKEN = "test-access-token"
RASA_API_TOKEN = "test-rasa-api-token"


@pytest.fixture(scope="session")
def line_api():
    """The local LINE API stub the LINE channel talks to."""
    stub = LineApiStub()
    yield stub
    stub.close()


@pytest.fixture(scope="session")
def review_log_url(tmp_path_factory):
    """The review log the test assistant's actions write (never the project's own review/review.db)."""
    return f"sqlite:///{tmp_path_factory.mktemp('review') / 'review.db'}"


def assistant_env(line_api: LineApiStub, review_log_url: str, **settings: str) -> Dict[str, str]:
    """The environment a test assistant runs with: the LINE channel on the stub (credentials-line-stub.yml's
    ${VAR}s), the review log at ``review_log_url``, and any other ``settings``."""
    return {"LINE_CHANNEL_SECRET": LINE_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN,
            "LINE_API_BASE_URL": line_api.url, "REVIEW_DB_URL": review_log_url, **settings}


@pytest.fixture(scope="session")
def assistant(request, tmp_path_factory, line_api, review_log_url):
    """Base URL of a running assistant (REST and LINE channels), torn down after the session; before that, the
    session fails if the assistant answered anyone while a person held their conversation (tests/held_replies.py)."""
    workdir = tmp_path_factory.mktemp("assistant")
    kb_url = servers.loaded_knowledge(workdir)
    # The committed credentials (credentials-line.yml + the stub's API host); Rasa expands their ${VAR}s from the
    # server's environment.
    line_env = assistant_env(line_api, review_log_url)
    # The per-sender message limit off (0): the conversation matrix asks one conversation every follow-up phrasing
    # of a program, dozens within a minute, which no owner does. The limits have their own assistant, with small
    # limits, in test_rate_limits.py.
    unlimited = {"RATE_LIMIT_MESSAGES": "0"}
    with servers.assistant(workdir, kb_url, RASA_PORT, ACTIONS_PORT, api_token=RASA_API_TOKEN,
                           credentials=servers.ROOT / "credentials-line-stub.yml", env={**line_env, **unlimited}):
        yield f"http://127.0.0.1:{RASA_PORT}"
        held_replies.verify(review_log_url, held_replies.events_over_http(f"http://127.0.0.1:{RASA_PORT}",
                                                                          RASA_API_TOKEN), "e2e", request.config)


class Conversation:
    """One user talking to the assistant over the REST channel."""

    def __init__(self, base_url: str):
        self.url = f"{base_url}/webhooks/rest/webhook"
        self.sender = f"test-{uuid.uuid4().hex[:10]}"

    def say(self, text: str) -> "Reply":
        response = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=60)
        assert response.status_code == 200, response.text
        return Reply(response.json())


class Reply:
    def __init__(self, messages):
        self.messages = messages
        self.text = "\n".join(m.get("text", "") for m in messages if m.get("text"))
        self.buttons = [b for m in messages for b in m.get("buttons", [])]
        customs = [m["custom"] for m in messages if "custom" in m]
        # The reply contract (bot/actions/contract.py): at most one custom message, never an empty list.
        assert len(customs) <= 1 and all(c.get("programs") for c in customs), f"contract broken: {messages}"
        self.programs = customs[0]["programs"] if customs else []
        self.turn = customs[0].get("turn") if customs else None  # what 👍/👎 refer to (bot/actions/turn_log.py)

    @property
    def sections(self):
        return [p["section"] for p in self.programs]


@pytest.fixture
def chat(assistant):
    return Conversation(assistant)


ARTIFACTS = servers.ROOT / "artifacts"
CONSOLE_PORT = 5011 + PORT_OFFSET
# The first account a console creates on a database without any (console/__main__.py), with CONSOLE_PASSWORD.
CONSOLE_LOGIN = "staff"
CONSOLE_PASSWORD = "staff-test-password"


def chromium():
    """A new headless Debian Chromium driven by Selenium (chromium + chromium-driver packages): a browser of its own
    (cookies, storage), as a second person's."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", "--lang=ja"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    ARTIFACTS.mkdir(exist_ok=True)
    return driver


@pytest.fixture(scope="session")
def browser():
    """The session's browser (see :func:`chromium`)."""
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def second_browser():
    """Another browser, for a test with two people at once (a user in the web chat, staff in the console)."""
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def staffed_site(tmp_path_factory):
    """The handover tests' site (tests/e2e/handover_site.py) within staffed hours: the assistant, the console and
    the demo page on one fixed clock, a weekday at 10:00 Japan time."""
    from tests.e2e.handover_site import STAFFED, STAFFED_PORTS, site

    with site(tmp_path_factory.mktemp("staffed-site"), STAFFED, STAFFED_PORTS) as running:
        yield running


@pytest.fixture(scope="session")
def console_url(assistant, review_log_url, tmp_path_factory):
    """The staff console, asking the running assistant's /model/parse for candidates; it reads the review log the
    assistant writes, which holds its accounts (never the project's own review/review.db)."""
    import sys

    workdir = tmp_path_factory.mktemp("console")
    kb_url = servers.loaded_knowledge(workdir)
    command = [sys.executable, "-m", "console", "--port", str(CONSOLE_PORT)]
    env = {"KNOWLEDGE_DB_URL": kb_url, "CONSOLE_PASSWORD": CONSOLE_PASSWORD, "RASA_URL": assistant,
           "RASA_API_TOKEN": RASA_API_TOKEN, "REVIEW_DB_URL": review_log_url, "PYTHONPATH": str(servers.ROOT)}
    url = f"http://127.0.0.1:{CONSOLE_PORT}"
    with servers.running([command], [f"{url}/login"], workdir, servers.ROOT, env):
        yield url


WEBCHAT_PORT = 5081 + PORT_OFFSET


@contextlib.contextmanager
def demo_page(rasa_url: str, port: int, workdir) -> Iterator[str]:
    """The demo page embedding the chat on ``port``, talking to the assistant at ``rasa_url``; its URL."""
    command = [sys.executable, "-m", "webchat", "--port", str(port), "--rasa-url", rasa_url]
    url = f"http://127.0.0.1:{port}"
    with servers.running([command], [f"{url}/"], workdir, servers.ROOT, {"PYTHONPATH": str(servers.ROOT)}):
        yield url


@pytest.fixture(scope="session")
def webchat_url(assistant, tmp_path_factory):
    """The demo page embedding the chat, configured to talk to the running assistant."""
    with demo_page(assistant, WEBCHAT_PORT, tmp_path_factory.mktemp("webchat")) as url:
        yield url


@pytest.fixture
def page(browser, webchat_url):
    """The web chat demo page in the session's browser, at desktop size; its conversation forgotten afterwards."""
    from tests.e2e.test_webchat import ChatPage

    chat = ChatPage(browser, webchat_url)
    browser.set_window_size(1280, 900)
    yield chat
    chat.reset()

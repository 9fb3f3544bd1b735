"""Real servers for end-to-end tests: the action server and the Rasa server with the trained model.

Both run as subprocesses on their own ports (so a running `make run` is not disturbed), the
action server against a knowledge database built for this test session by the real loader.
"""
from __future__ import annotations

import uuid

import pytest
import requests

from eval import servers
from tests.e2e.line_stub import LineApiStub
from knowledge.loader import load

RASA_PORT = 5015
ACTIONS_PORT = 5065
LINE_SECRET = "test-channel-secret"
LINE_TOKEN = "test-access-token"


@pytest.fixture(scope="session")
def line_api():
    """The local LINE API stub the LINE channel talks to."""
    stub = LineApiStub()
    yield stub
    stub.close()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory, line_api):
    """Base URL of a running assistant (REST and LINE channels), torn down after the session."""
    workdir = tmp_path_factory.mktemp("assistant")
    kb_url = f"sqlite:///{workdir / 'knowledge.db'}"
    load(kb_url)
    credentials = workdir / "credentials.yml"
    credentials.write_text("rest:\nbot.channels.line.LineInput:\n"
                           f'  channel_secret: "{LINE_SECRET}"\n  access_token: "{LINE_TOKEN}"\n'
                           f'  api_base_url: "{line_api.url}"\n')
    with servers.assistant(workdir, kb_url, RASA_PORT, ACTIONS_PORT, credentials=credentials):
        yield f"http://127.0.0.1:{RASA_PORT}"


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
        assert len(customs) == 1, f"exactly one custom payload expected: {messages}"
        self.programs = customs[0]["programs"]

    @property
    def sections(self):
        return [p["section"] for p in self.programs]


@pytest.fixture
def chat(assistant):
    return Conversation(assistant)

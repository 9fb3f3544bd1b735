"""Real servers for end-to-end tests: the action server and the Rasa server with the trained model.

Both run as subprocesses on their own ports (so a running `make run` is not disturbed), the
action server against a knowledge database built for this test session by the real loader.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from knowledge.loader import load

ROOT = Path(__file__).resolve().parents[2]
RASA_PORT = 5015
ACTIONS_PORT = 5065
START_TIMEOUT = 240  # seconds; loading TensorFlow + ja_ginza takes a while on 2 cores


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early; log:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"server did not start in {START_TIMEOUT}s; log:\n{log.read_text()[-3000:]}")


def _model() -> str:
    return subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory):
    """Base URL of a running assistant (REST channel), torn down after the session."""
    workdir = tmp_path_factory.mktemp("assistant")
    kb_url = f"sqlite:///{workdir / 'knowledge.db'}"
    load(kb_url)
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{ACTIONS_PORT}/webhook"\n')
    env = {**os.environ, "KNOWLEDGE_DB_URL": kb_url, "PYTHONPATH": str(ROOT)}
    bin_dir = Path(sys.executable).parent
    logs = {name: workdir / f"{name}.log" for name in ("actions", "rasa")}
    actions = subprocess.Popen(
        [str(bin_dir / "rasa"), "run", "actions", "--actions", "bot.actions", "--port", str(ACTIONS_PORT)],
        cwd=ROOT, env=env, stdout=logs["actions"].open("w"), stderr=subprocess.STDOUT)
    rasa = subprocess.Popen(
        [str(bin_dir / "rasa"), "run", "--model", _model(), "--port", str(RASA_PORT), "--interface", "127.0.0.1",
         "--credentials", "credentials.yml", "--endpoints", str(endpoints)],
        cwd=ROOT, env=env, stdout=logs["rasa"].open("w"), stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{ACTIONS_PORT}/health", actions, logs["actions"])
        _wait_for(f"http://127.0.0.1:{RASA_PORT}/", rasa, logs["rasa"])
        yield f"http://127.0.0.1:{RASA_PORT}"
    finally:
        for process in (rasa, actions):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


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

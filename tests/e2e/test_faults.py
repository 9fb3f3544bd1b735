"""Faults while serving: the action server down, refusing (500, 413) or hanging, and hostile payloads.

The user always gets a polite answer naming the general desk and its phone (bot/channels/unavailable.py), over REST
and LINE, and the conversation goes on about the same program once the action server is back. These tests stop
and replace the action server, so they run their own assistant (not the session's ``assistant``) on ports
5950/5951 + ``E2E_PORT_OFFSET``. Expected facts are read from the knowledge store and the sentences from
domain.yml, never typed here."""
from __future__ import annotations

import contextlib
import http.server
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
import yaml

from bot.channels.unavailable import FALLBACK_RESPONSE
from eval import servers
from knowledge import facts, query
from tests.e2e.conftest import PORT_OFFSET, Conversation, assistant_env
from tests.e2e.test_line import Line, text_event, user

RASA_PORT = 5950 + PORT_OFFSET
ACTIONS_PORT = 5951 + PORT_OFFSET
ACTIONS_HEALTH = f"http://127.0.0.1:{ACTIONS_PORT}/health"
ACTION_TIMEOUT = 3  # seconds (ACTION_TIMEOUT_SECONDS): a hanging action server is a failed action after this
SUCCESSION = 21  # 事業承継・引継ぎ支援センター
RESPONSES = yaml.safe_load((servers.ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


class Assistant:
    """An assistant whose action server can be stopped, replaced by a faulty one, and started again."""

    def __init__(self, base_url: str, actions: subprocess.Popen, env: dict, workdir: Path):
        self.base_url, self.actions, self.env, self.workdir = base_url, actions, env, workdir
        self.restarted = contextlib.ExitStack()

    def stop_actions(self) -> None:
        self.actions.kill()
        self.actions.wait(timeout=20)
        self.restarted.close()  # a restarted one, if any
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(ACTIONS_HEALTH, timeout=1)
            except requests.RequestException:
                return
            time.sleep(0.2)
        raise AssertionError("the action server still answers")

    def start_actions(self) -> None:
        """The action server again on the same port, with the command and environment eval/servers.py used."""
        [self.actions] = self.restarted.enter_context(servers.running(
            [self.actions.args], [ACTIONS_HEALTH], self.workdir, servers.ROOT, self.env))

    @contextlib.contextmanager
    def actions_down(self) -> Iterator[None]:
        self.stop_actions()
        try:
            yield
        finally:
            self.start_actions()


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, line_api, review_log_url):
    workdir = tmp_path_factory.mktemp("faults")
    kb_url = servers.loaded_knowledge(workdir)
    env = assistant_env(line_api, review_log_url, ACTION_TIMEOUT_SECONDS=str(ACTION_TIMEOUT))
    with servers.assistant(workdir, kb_url, RASA_PORT, ACTIONS_PORT, env=env,
                           credentials=servers.ROOT / "credentials-line-stub.yml") as processes:
        # As eval/servers.py starts the action server (its environment: assistant() and running() add these).
        actions_env = {"RASA_TELEMETRY_ENABLED": "false", **env, "KNOWLEDGE_DB_URL": kb_url,
                       "PYTHONPATH": str(servers.ROOT)}
        assistant = Assistant(f"http://127.0.0.1:{RASA_PORT}", processes[0], actions_env, workdir)
        with assistant.restarted:
            yield assistant


def unavailable_text(kb) -> str:
    """utter_service_unavailable as domain.yml words it, with the general desk from the store."""
    desk = query.general_desk(kb)
    [variation] = RESPONSES[FALLBACK_RESPONSE]
    return variation["text"].format(desk=desk.name, phone=facts.desk_phone(desk.main_desk))


def assert_polite_fallback(text: str, kb) -> None:
    desk = query.general_desk(kb)
    assert facts.desk_phone(desk.main_desk) in text and desk.name in text, text
    assert text == unavailable_text(kb)


def test_action_server_down_gets_the_general_desk_and_the_conversation_goes_on(faulty, kb):
    chat = Conversation(faulty.base_url)
    succession = query.program(kb, SUCCESSION)
    first = chat.say("後継者がいなくて困っています")
    assert SUCCESSION in first.sections, first.messages
    with faulty.actions_down():
        down = chat.say("費用はかかりますか？")
        assert_polite_fallback(down.text, kb)
        assert down.programs == [] and len(down.messages) == 1
    after = chat.say("メールアドレスを教えてください")
    assert succession.main_desk.email in after.text, after.messages  # still about §21
    assert after.text != unavailable_text(kb)


def test_action_server_down_on_line_gets_the_general_desk_in_the_reply(faulty, line_api, kb):
    line = Line(faulty.base_url, line_api)
    with faulty.actions_down():
        ev = text_event(user(), "後継者がいなくて困っています")
        assert line.post(ev).status_code == 200
        [reply] = line.replies_to(ev["replyToken"])
    assert [m["type"] for m in reply["messages"]] == ["text"]
    assert_polite_fallback(reply["messages"][0]["text"], kb)


class FaultyActionServer(http.server.ThreadingHTTPServer):
    """Stands in for the action server: healthy, but answers every action call with ``status`` (or never)."""

    daemon_threads = True

    def __init__(self, status: int, hang: float = 0.0):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer(200, b'{"status": "ok"}')

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.calls += 1
                time.sleep(outer.hang)
                self._answer(outer.status, b'{"error": "fault"}')

            def _answer(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # Rasa gave up waiting
                    pass

            def log_message(self, *args) -> None:
                pass

        self.status, self.hang, self.calls = status, hang, 0
        super().__init__(("127.0.0.1", ACTIONS_PORT), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.mark.parametrize("status, hang", [(500, 0.0), (413, 0.0), (200, 5 * ACTION_TIMEOUT)],
                         ids=["500", "413", "timeout"])
def test_an_action_server_refusing_or_hanging_gets_the_general_desk(faulty, kb, status, hang):
    chat = Conversation(faulty.base_url)
    with faulty.actions_down():
        stand_in = FaultyActionServer(status, hang)
        try:
            start = time.monotonic()
            reply = chat.say("後継者がいなくて困っています")
            took = time.monotonic() - start
        finally:
            stand_in.shutdown()
            stand_in.server_close()
    assert stand_in.calls >= 1  # the action was asked for, and failed
    assert_polite_fallback(reply.text, kb)
    assert took < 4 * ACTION_TIMEOUT  # bounded by the action timeout, not Rasa's five minutes


def test_a_hostile_payload_is_answered_politely(faulty, kb):
    """A payload that crashed the action before its entities were checked: now the polite 'no such program'."""
    chat = Conversation(faulty.base_url)
    reply = chat.say('/choose_program{"program":"²"}')
    desk = query.general_desk(kb)
    [variation] = RESPONSES["utter_unknown_program"]
    assert reply.text == variation["text"].format(desk=desk.name, phone=facts.desk_phone(desk.main_desk))
    assert reply.programs == []

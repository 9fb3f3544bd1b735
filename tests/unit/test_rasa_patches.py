"""Rasa's code is changed in one guarded place (bot/rasa_patches.py), and each change shows through Rasa's own
public paths: an action called through ``RemoteAction.run``, a tracker store built by Rasa's factory and wrapped by
Rasa's agent. The guard refuses another Rasa, or a renamed method, before anything is changed."""
from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time

import pytest
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot import action_response_validation, rasa_command, rasa_patches
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
NLG = TemplatedNaturalLanguageGenerator(DOMAIN.responses)


@pytest.fixture
def patched(monkeypatch):
    """The changes applied for one test, and Rasa as it was afterwards (other tests see Rasa's own code)."""
    for target in rasa_patches.REPLACED:
        owner_path, _, attribute = target.path.rpartition(".")
        owner = rasa_patches.Target(target.module, owner_path, None, "").resolve() if owner_path \
            else __import__(target.module, fromlist=["_"])
        monkeypatch.setattr(owner, attribute, getattr(owner, attribute))
    rasa_patches.apply()
    return rasa_patches


def test_the_pinned_version_is_the_one_requirements_install():
    pinned = re.search(r"^rasa==(\S+)$", (ROOT / "requirements" / "rasa.txt").read_text(), re.M).group(1)
    assert rasa_patches.PINNED_RASA == pinned


def test_the_installed_rasa_has_every_name_the_project_changes():
    assert rasa_patches.problems() == []


def test_a_renamed_or_reshaped_method_is_named_in_the_refusal():
    gone = rasa_patches.Target("rasa.core.lock_store", "LockStore._no_such_method", ("self",), "overridden by X")
    reshaped = rasa_patches.Target("rasa.core.lock_store", "LockStore._acquire_lock", ("self", "ticket"), "by Y")
    assert "LockStore._no_such_method does not exist (overridden by X)" in gone.problem()
    assert "takes (self, conversation_id, ticket, wait_time_in_seconds), expected (self, ticket)" in reshaped.problem()


@pytest.mark.parametrize("sabotage, expected", [
    ("import rasa; rasa.__version__ = '3.7.0'", "Rasa 3.7.0 is installed"),
    ("import rasa.core.actions.action as a; del a.RemoteAction._validate_action_result",
     "RemoteAction._validate_action_result does not exist"),
])
def test_the_entry_point_refuses_another_rasa_and_changes_nothing(sabotage, expected):
    """A fresh interpreter, as `python -m bot.rasa_command run ...` starts: it stops with the reason, exit code 2."""
    probe = (f"{sabotage}\nimport sys, rasa.core.agent as agent\nfrom bot import rasa_command\n"
             "code = rasa_command.main(['run'])\n"
             "print('wrapper', agent.FailSafeTrackerStore.__module__)\nsys.exit(code)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Not starting Rasa" in out.stderr and expected in out.stderr
    assert "wrapper rasa.core.tracker_store" in out.stdout  # nothing was changed


def test_the_entry_point_starts_rasa_with_the_changes():
    probe = ("import sys, rasa.core.agent as agent\nfrom bot import rasa_command\n"
             "try:\n    rasa_command.main(['--version'])\nexcept SystemExit:\n    pass\n"
             "print('wrapper', agent.FailSafeTrackerStore.__name__)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "3.6.21" in out.stdout and "wrapper LoudTrackerStore" in out.stdout


def test_the_api_token_is_appended_to_rasa_run_only():
    env = {"RASA_API_TOKEN": "t0ken"}
    assert rasa_command.arguments(["run", "--port", "5005"], env) == ["run", "--port", "5005", "--auth-token", "t0ken"]
    assert rasa_command.arguments(["run", "actions"], env) == ["run", "actions"]
    assert rasa_command.arguments(["shell"], env) == ["shell"]
    assert rasa_command.arguments(["run"], {}) == ["run"]


# ---- each change, through Rasa's public paths ---------------------------------------------------------------------

async def _serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/webhook"


def _call_action(url: str):
    import rasa.core.actions.action as rasa_action
    from rasa.utils.endpoints import EndpointConfig

    action = rasa_action.RemoteAction("action_recommend_program", EndpointConfig(url))
    return action.run(CollectingOutputChannel(), NLG, DialogueStateTracker("u", []), DOMAIN)


def test_action_calls_are_bounded_by_the_setting(patched, monkeypatch):
    """``RemoteAction.run`` against a server that accepts and never answers gives up after ACTION_TIMEOUT_SECONDS."""
    from rasa.shared.exceptions import RasaException

    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", "1")
    patched.apply()  # the setting is read at start-up

    async def call() -> float:
        async def hang(reader, writer):
            await asyncio.sleep(60)

        server, url = await _serve(hang)
        start = time.monotonic()
        try:
            with pytest.raises((RasaException, asyncio.TimeoutError)):
                await _call_action(url)
            return time.monotonic() - start
        finally:
            server.close()

    assert asyncio.run(call()) < 10


def test_action_responses_are_checked_by_the_prebuilt_validator(patched):
    """A valid response through ``RemoteAction.run`` passes, and was checked by the validator built once."""
    body = json.dumps({"events": [], "responses": [{"text": "はい"}]}).encode()

    async def answer(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    async def call():
        server, url = await _serve(answer)
        try:
            return await _call_action(url)
        finally:
            server.close()

    action_response_validation._validator.cache_clear()
    assert [event.text for event in asyncio.run(call())] == ["はい"]
    info = action_response_validation._validator.cache_info()
    assert info.misses == 1


def _agent_store(tmp_path):
    """A tracker store built by Rasa's factory from an endpoint as endpoints-prod.yml names it, wrapped by Rasa's
    agent; then its database loses its table, as a database in trouble answers."""
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig(type="bot.tracker_store.ExpiringSQLTrackerStore", dialect="sqlite",
                              db=str(tmp_path / "trackers.db"), database_wait=0.2)
    store = TrackerStore.create(endpoint, DOMAIN)
    agent = Agent(domain=DOMAIN, tracker_store=store)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE events")
    return agent.tracker_store


def test_a_shared_stores_errors_reach_the_turn_with_the_changes(patched, tmp_path):
    store = _agent_store(tmp_path)
    with pytest.raises(Exception, match="no such table"):
        asyncio.run(store.retrieve("web-1"))


def test_without_the_changes_rasa_would_answer_as_if_the_conversation_were_new(tmp_path):
    """What the change is for: Rasa's own wrapper turns the failed read into "no such conversation"."""
    assert not rasa_patches.applied()
    assert asyncio.run(_agent_store(tmp_path).retrieve("web-1")) is None


def test_the_channels_fallback_names_the_general_desk_only_once_connected(monkeypatch, kb_url):
    """bot/wiring.py gives the channels the general desk; without it they cannot name one."""
    from bot import wiring
    from bot.channels import unavailable

    monkeypatch.setenv("KNOWLEDGE_DB_URL", kb_url)
    monkeypatch.setattr(unavailable, "_general_desk_source", None)
    assert unavailable.general_desk() is None
    wiring.connect()
    desk = unavailable.general_desk()
    assert desk is not None and desk["desk"] and re.fullmatch(r"[0-9-]+", desk["phone"])


def test_nothing_is_changed_by_importing_the_project():
    """Importing the pipeline's components, the channels and the stores changes nothing in Rasa: only apply() does."""
    probe = ("import bot.components.input_guard, bot.channels.rest, bot.channels.line, bot.tracker_store, "
             "bot.lock_store\nfrom bot import rasa_patches\nprint(rasa_patches.applied())")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "False"


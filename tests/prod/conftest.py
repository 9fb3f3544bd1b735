"""The production stack, started by the project's own scripts (scripts/prod/ctl.sh), for the tests in this folder.

PostgreSQL, Redis, nginx, two Rasa processes and the action server, each on loopback on its own port in 6000–6100
(``PROD_TEST_PORT_BASE``, default 6000), with a runtime directory of their own (data, logs, secrets) that is
removed afterwards. Every server is stopped at the end of the session, also when a test fails.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List

import pytest
import requests

from eval import servers
from tests import clocked, held_replies
from tests.stack_packages import installed

ROOT = Path(__file__).resolve().parents[2]
CTL = ROOT / "scripts" / "prod" / "ctl.sh"
BASE = int(os.environ.get("PROD_TEST_PORT_BASE", "6000"))
PORTS = {"nginx": BASE, "rasa-1": BASE + 1, "rasa-2": BASE + 2, "actions": BASE + 3, "postgres": BASE + 4,
         "redis": BASE + 5, "console": BASE + 6}  # the console runs only where a test starts it (test_handover_prod)
# Settings the stack must not inherit from the test run (they would point it at other servers or channels).
INHERITED = ("KNOWLEDGE_DB_URL", "REVIEW_DB_URL", "RASA_API_TOKEN", "CONSOLE_PASSWORD", "LINE_CHANNEL_SECRET",
             "LINE_CHANNEL_ACCESS_TOKEN", "LINE_API_BASE_URL", "ASSISTANT_CORS_ORIGINS")
CTL_TIMEOUT = 420  # seconds, for `ctl.sh up` (two Rasa processes load together on 2 cores: about 40 s here)


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    """The running stack: its public URL (nginx), its scripts and what the tests read behind nginx."""

    def __init__(self, run_dir: Path, env: Dict[str, str]):
        self.run_dir = run_dir
        self.env = env
        self.url = f"http://127.0.0.1:{PORTS['nginx']}"
        secrets = dict(line.split("=", 1) for line in (run_dir / "secrets.env").read_text().split())
        self.api_token = secrets["RASA_API_TOKEN"]
        self.redis_password = secrets["PROD_REDIS_PASSWORD"]
        self.pg_base = f"postgresql://aomori:{secrets['PROD_PG_PASSWORD']}@127.0.0.1:{PORTS['postgres']}"
        self.knowledge_url = f"{self.pg_base}/aomori_knowledge"
        self.tracker_url = f"{self.pg_base}/aomori_tracker"
        self.review_url = f"{self.pg_base}/aomori_review"  # also handovers and staff accounts
        self.console_password = secrets["CONSOLE_PASSWORD"]  # the first staff account's (`staff`)

    def ctl(self, *args: str, timeout: float = CTL_TIMEOUT) -> None:
        result = subprocess.run(["bash", str(CTL), *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                                timeout=timeout)
        assert result.returncode == 0, f"ctl.sh {' '.join(args)} failed:\n{result.stderr[-4000:]}"

    def tracker(self, sender: str, process: str = "rasa-1") -> dict:
        """The conversation as Rasa serves it: its HTTP API on one process, on loopback, with the token."""
        response = requests.get(f"http://127.0.0.1:{PORTS[process]}/conversations/{sender}/tracker",
                                params={"token": self.api_token}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def upstreams(self, probe: str) -> List[str]:
        """The Rasa processes (rasa-1, rasa-2) nginx tried, in order, for the request tagged ``probe``."""
        by_port = {f"127.0.0.1:{PORTS[name]}": name for name in ("rasa-1", "rasa-2")}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # nginx writes the line as the request ends
            for line in (self.run_dir / "nginx" / "access.log").read_text().splitlines():
                if f"probe={probe} " in line:
                    tried = line.split(" upstream=", 1)[1].split(" upstream_status=", 1)[0]
                    return [by_port[address.strip()] for address in tried.split(",")]
            time.sleep(0.1)
        raise AssertionError(f"no access log line for probe {probe}")

    def logs(self) -> str:
        parts = []
        for log in sorted((self.run_dir / "logs").glob("*.log")) + [self.run_dir / "nginx" / "error.log"]:
            if log.exists():
                parts.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:]))
        return "\n".join(parts)


def run_directory() -> Path:
    """A new runtime directory, under /tmp (not pytest's tmp_path, which is 0700): the postgres user must reach the
    cluster's directory."""
    run_dir = Path(tempfile.mkdtemp(prefix="aomori-prod-test-"))
    run_dir.chmod(0o755)
    return run_dir


def stack_env(run_dir: Path, ports: Dict[str, int], model: bool = True) -> Dict[str, str]:
    """The environment scripts/prod/ctl.sh runs a test stack with: this run directory and these ports (the console
    off), nothing inherited that would point it at other servers or channels; ``model``: the trained model for the
    Rasa processes (trained first if the data changed)."""
    env = {key: value for key, value in os.environ.items() if key not in INHERITED}
    for key in list(env):  # the endpoints' variables and other settings: scripts/prod/env.sh's defaults, never inherited
        if key.startswith(("TRACKER_DB_", "LOCK_REDIS_", "PROD_")) or key == "ACTION_SERVER_URL":
            del env[key]
    env.update({
        "PROD_RUN_DIR": str(run_dir),
        "PROD_LISTEN": f"127.0.0.1:{ports['nginx']}",
        "PROD_RASA_PORTS": f"{ports['rasa-1']} {ports['rasa-2']}",
        "PROD_ACTIONS_PORT": str(ports["actions"]),
        "PROD_PG_PORT": str(ports["postgres"]),
        "PROD_REDIS_PORT": str(ports["redis"]),
        "PROD_CONSOLE_PORT": "0",
    })
    if model:
        env["ASSISTANT_MODEL"] = servers.trained_model()
    return env


def clocked_python(directory: Path, since: float) -> Dict[str, str]:
    """Settings that start the stack's Python servers on tests/clocked.py's fixed clock, all with the same ``since``
    (so their clocks agree): ``PROD_BIN``, the directory scripts/prod/ctl.sh takes ``python`` from, with a ``python``
    that runs each entry point through tests/clocked.py."""
    directory.mkdir(parents=True, exist_ok=True)
    python = directory / "python"
    arguments = " ".join(shlex.quote(argument) for argument in clocked.launcher(since))
    python.write_text(f'#!/bin/sh\nexec {shlex.quote(str(servers.BIN / "python"))} {arguments} "$@"\n')
    python.chmod(0o755)
    return {"PROD_BIN": str(directory)}


@pytest.fixture(scope="session")
def stack(request):
    busy = [f"{name}:{port}" for name, port in PORTS.items() if _port_in_use(port)]
    if busy:
        pytest.fail(f"ports already in use (set PROD_TEST_PORT_BASE): {', '.join(busy)}")
    installed()
    run_dir = run_directory()
    env = stack_env(run_dir, PORTS)
    stack = None
    try:
        up = subprocess.run(["bash", str(CTL), "up"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=CTL_TIMEOUT)
        stack = Stack(run_dir, env)
        assert up.returncode == 0, f"ctl.sh up failed:\n{up.stderr[-4000:]}\n{stack.logs()}"
        yield stack
        # No assistant reply while a person held a conversation, over the session (tests/held_replies.py).
        held_replies.verify(stack.review_url, held_replies.events_in_sql(stack.tracker_url), "production",
                            request.config)
    finally:
        if stack is not None:
            from knowledge.db import engine_for

            for url in (stack.knowledge_url, stack.tracker_url, stack.review_url):
                engine_for(url).dispose()  # the tests' connections, before PostgreSQL stops
        subprocess.run(["bash", str(CTL), "down"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        shutil.rmtree(run_dir, ignore_errors=True)


class Conversation:
    """One user talking to the stack's public address (nginx) over the REST channel."""

    def __init__(self, stack: Stack, sender: str | None = None):
        self.stack = stack
        self.sender = sender or f"prod-{uuid.uuid4().hex[:10]}"

    def say(self, text: str) -> "Turn":
        probe = uuid.uuid4().hex[:12]  # nginx logs the query string: which process answered (Rasa ignores it)
        response = requests.post(f"{self.stack.url}/webhooks/rest/webhook", params={"probe": probe},
                                 json={"sender": self.sender, "message": text}, timeout=150)
        assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
        return Turn(text, response.json(), probe, time.monotonic())


class Turn:
    def __init__(self, text: str, messages: list, probe: str, answered_at: float):
        self.text = text
        self.messages = messages
        self.probe = probe
        self.answered_at = answered_at
        self.texts = [m["text"] for m in messages if m.get("text")]
        self.reply = "\n".join(self.texts)
        customs = [m["custom"] for m in messages if "custom" in m]
        self.programs = customs[0].get("programs", []) if customs else []

    @property
    def sections(self):
        return [p["section"] for p in self.programs]

    def __repr__(self) -> str:
        return f"Turn({self.text!r} -> {json.dumps(self.messages, ensure_ascii=False)[:300]})"


@pytest.fixture
def kb(stack):
    """A session on the stack's knowledge store (PostgreSQL, loaded by ctl.sh): what replies are checked against.
    One per test: a session kept from an earlier test would hold a connection that a PostgreSQL restart
    (test_faults.py) has closed; the engine's pool checks its connections before use (knowledge/db.py)."""
    from knowledge.db import session

    with session(stack.knowledge_url) as db:
        yield db

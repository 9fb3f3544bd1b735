"""A throwaway Redis for tests: Debian's redis-server (scripts/prod/install.sh installs it) on loopback, with a
password and nothing saved, in a directory of its own; it can be stopped and started again mid-test (an outage).

Port 6391 by default (``TEST_REDIS_PORT`` to move it), away from the project's production Redis (6380) and the
production tests' (6000-6100 ranges)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, Optional

import pytest

from tests.stack_packages import installed

PORT = int(os.environ.get("TEST_REDIS_PORT", "6391"))
PASSWORD = "test-redis-password"
DB = 1  # as production (scripts/prod/env.sh LOCK_REDIS_DB): not the default database


def answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def installed_server() -> str:
    """Debian's redis-server, installed first when missing (tests/stack_packages.py)."""
    if shutil.which("redis-server") is None:
        installed()
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server).exists():
        raise RuntimeError("redis-server is not installed (bash scripts/prod/install.sh)")
    return server


class RedisServer:
    def __init__(self, workdir: Path, port: int = PORT) -> None:
        self.workdir, self.port = workdir, port
        self.process: Optional[subprocess.Popen] = None

    @property
    def env(self) -> Dict[str, str]:
        """What the Rasa processes receive (scripts/prod/env.sh): bot/shared_state.py reads these."""
        return {"LOCK_REDIS_HOST": "127.0.0.1", "LOCK_REDIS_PORT": str(self.port),
                "LOCK_REDIS_PASSWORD": PASSWORD, "LOCK_REDIS_DB": str(DB)}

    def start(self) -> None:
        server = installed_server()
        if answers(self.port):
            raise RuntimeError(f"port {self.port} is already in use (set TEST_REDIS_PORT)")
        log = (self.workdir / "redis.log").open("a")
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.workdir), "--requirepass", PASSWORD],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {(self.workdir / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def client(self):
        """A plain (synchronous) client, for the tests to look at what the code stored."""
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=PASSWORD, db=DB)


# ---- fixtures (imported by the test modules that use them; named apart so the imports do not shadow parameters) ----

@pytest.fixture(scope="module", name="redis_server")
def redis_server_fixture(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="redis_env")
def redis_env_fixture(redis_server, monkeypatch):
    """The LOCK_REDIS_* settings the production processes get, pointing at the test server (emptied first)."""
    if redis_server.process is None:  # a test stopped it
        redis_server.start()
    redis_server.client().flushdb()
    for name, value in redis_server.env.items():
        monkeypatch.setenv(name, value)
    return redis_server

"""Start the real assistant (action server + Rasa server) as subprocesses, for tests and benchmarks."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Optional, Sequence
from urllib.parse import urlparse

import requests
import yaml

from common.settings import settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START_TIMEOUT = 300  # seconds; TensorFlow + ja_ginza load slowly on 2 cores
RASA_MAX_BODY = 64 * 1024  # bytes; Sanic reads SANIC_REQUEST_MAX_SIZE (as in scripts/serve.sh)
# Pages from this machine's loopback, on any port (a regular expression, as Sanic-Cors takes one).
LOOPBACK_ORIGINS = r"^http://(127\.0\.0\.1|localhost):[0-9]+$"


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
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


def port_is_free(url: str) -> None:
    parsed = urlparse(url)
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex((parsed.hostname or "127.0.0.1", parsed.port or 80)) == 0:
            raise RuntimeError(f"{parsed.hostname}:{parsed.port} is already in use (a server left running?)")


def loaded_knowledge(workdir: Path) -> str:
    """URL of a new SQLite knowledge database in ``workdir``, built by the real loader."""
    from knowledge.loader import load

    url = f"sqlite:///{workdir / 'knowledge.db'}"
    load(url)
    return url


def trained_model() -> str:
    """The model for the current data (trains first if the data changed), or ``ASSISTANT_MODEL`` when set
    (to test a given model while its inputs are being edited)."""
    model = settings().assistant_model
    if model is not None:
        return model
    return subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()


@contextlib.contextmanager
def running(commands: List[List[str]], health_urls: List[str], workdir: Path, cwd: Path,
            env: Optional[dict] = None) -> Iterator[List[subprocess.Popen]]:
    """Start each command, wait until its health URL answers, stop them all afterwards.

    A port something else already listens on fails at once: its answer would pass for the new server's (a server
    left over by an interrupted run once answered a whole test module with old code)."""
    for url in health_urls:
        port_is_free(url)
    processes = []
    try:
        for index, (command, url) in enumerate(zip(commands, health_urls)):
            log = workdir / f"server-{index}.log"
            process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                                       stdout=log.open("w"), stderr=subprocess.STDOUT)
            processes.append(process)
            wait_for(url, process, log)
        yield processes
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def assistant(workdir: Path, kb_url: str, rasa_port: int, actions_port: int,
              model: Optional[str] = None, credentials: Optional[Path] = None,
              api_token: Optional[str] = None, root: Path = ROOT,
              env: Optional[dict] = None, cors_origins: Optional[List[str]] = None,
              launcher: Sequence[str] = ()) -> Iterator[List[subprocess.Popen]]:
    """The assistant on its own ports, its actions reading the knowledge database at ``kb_url``.

    ``root`` is the project whose actions run (another checkout, to measure an earlier version); ``env`` adds
    environment variables for both servers (e.g. those a credentials file's ``${VAR}``s name). The web pages that
    may call the Rasa server: ``cors_origins``, else ``$ASSISTANT_CORS_ORIGINS`` (space- or comma-separated), else
    any page served from this machine's loopback (``LOOPBACK_ORIGINS``: the tests' demo page).

    ``launcher``: arguments put between the Python interpreter and ``-m <entry point>`` of both servers, so that a
    module runs them (e.g. tests/clocked.py's ``launcher()``, which starts the entry point under a fixed clock); only
    for a checkout with the project's entry points (bot/action_server.py, bot/rasa_command.py)."""
    entry_points = (root / "bot" / "action_server.py").exists() and (root / "bot" / "rasa_command.py").exists()
    if launcher and not entry_points:
        raise ValueError(f"a launcher needs bot/action_server.py and bot/rasa_command.py in {root}")
    # The project's own endpoints.yml (`make run`'s), with the action server on this run's port.
    endpoint_config = yaml.safe_load((root / "endpoints.yml").read_text()) or {}
    endpoint_config.setdefault("action_endpoint", {})["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(endpoint_config))
    if cors_origins is None:
        configured = settings().assistant_cors_origins
        cors_origins = (LOOPBACK_ORIGINS if configured is None else configured).replace(",", " ").split()
    # As scripts/serve.sh starts them: the action server on loopback with bounded bodies (an earlier checkout
    # without bot/action_server.py: `rasa run actions` on loopback), the Rasa server with bodies up to 64 KB.
    if (root / "bot" / "action_server.py").exists():
        actions = [str(BIN / "python"), *launcher, "-m", "bot.action_server", "--actions", "bot.actions", "--port",
                   str(actions_port)]
    else:
        actions = ["env", "SANIC_HOST=127.0.0.1", str(BIN / "rasa"), "run", "actions", "--actions", "bot.actions",
                   "--port", str(actions_port)]
    # Rasa through the project's entry point (bot/rasa_command.py: the guarded changes to Rasa applied, the API
    # token taken from the environment, not the command line, which `ps` shows); an earlier checkout without it:
    # plain `rasa`, the token on its command line (measurements only).
    rasa = ["env", f"SANIC_REQUEST_MAX_SIZE={RASA_MAX_BODY}"]
    if (root / "bot" / "rasa_command.py").exists():
        rasa += [str(BIN / "python"), *launcher, "-m", "bot.rasa_command"]
    else:
        rasa += [str(BIN / "rasa")]
    rasa += ["run", "--model", model or trained_model(), "--port", str(rasa_port), "--interface", "127.0.0.1",
             "--cors", *cors_origins, "--credentials", str(credentials or root / "credentials.yml"),
             "--endpoints", str(endpoints)]
    if api_token:  # the HTTP API (for the staff console's /model/parse), only with a token
        rasa += ["--enable-api"] + ([] if (root / "bot" / "rasa_command.py").exists() else ["--auth-token", api_token])
    urls = [f"http://127.0.0.1:{actions_port}/health", f"http://127.0.0.1:{rasa_port}/"]
    with running([actions, rasa], urls, workdir, root,
                 {"REVIEW_DB_URL": f"sqlite:///{workdir / 'review.db'}", "RASA_TELEMETRY_ENABLED": "false",
                  **(env or {}), "KNOWLEDGE_DB_URL": kb_url, "PYTHONPATH": str(root),
                  **({"RASA_API_TOKEN": api_token} if api_token else {})}) as procs:
        yield procs

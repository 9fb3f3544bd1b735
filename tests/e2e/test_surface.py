"""What the running servers expose, started as `make run` starts them (eval/servers.py mirrors scripts/serve.sh):
bounded request bodies, 400 for malformed ones, the action server on loopback only, CORS for allowed pages only,
telemetry off, no user text in the logs, the HTTP API token off the command line."""
from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import urllib.parse
import uuid
import zlib
from pathlib import Path
from typing import Dict, List

import pytest
import requests

from tests.e2e.conftest import ACTIONS_PORT, RASA_API_TOKEN, RASA_PORT, WEBCHAT_PORT

RASA_MAX_BODY = 64 * 1024
ACTIONS_MAX_BODY = 1024 * 1024
ACTIONS = f"http://127.0.0.1:{ACTIONS_PORT}"
FOREIGN_ORIGIN = "http://evil.example"
DEMO_PAGE_ORIGIN = f"http://127.0.0.1:{WEBCHAT_PORT}"  # the tests' demo page (conftest.webchat_url)


def webhook(base_url: str) -> str:
    return f"{base_url}/webhooks/rest/webhook"


def sender() -> str:
    return f"surface-{uuid.uuid4().hex[:10]}"


# ---- processes -------------------------------------------------------------------------------------------------

def command_lines() -> Dict[int, List[str]]:
    lines = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                pass
    return lines


def server_pid(*words: str) -> int:
    """The one process whose command line has all ``words`` (as whole arguments)."""
    found = [pid for pid, argv in command_lines().items() if all(word in argv for word in words)]
    assert len(found) == 1, f"processes with {words}: {found}"
    return found[0]


def rasa_pid() -> int:
    return server_pid("run", "--model", "--port", str(RASA_PORT))


def environment(pid: int) -> Dict[str, str]:
    pairs = (Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0"))
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def listening_addresses(port: int) -> List[str]:
    """The local addresses of the sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    addresses = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                # The kernel prints each 32-bit word in host (little-endian) order.
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                ip = ipaddress.ip_address(raw)
                addresses.append(str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip))
    return addresses


def non_loopback_address() -> str:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        return probe.getsockname()[0]
    except OSError:
        return ""
    finally:
        probe.close()


def server_logs(tmp_path_factory) -> List[Path]:
    """The session assistant's logs (eval/servers.py writes server-<n>.log in the fixture's work directory)."""
    logs = sorted(tmp_path_factory.getbasetemp().glob("assistant*/server-*.log"))
    assert len(logs) >= 2, logs
    return logs


def status_of_announced_body(url: str, length: int) -> int:
    """The status a POST announcing a ``length``-byte body gets when only its first bytes are sent (a server that
    refuses it may close the connection before reading the rest, which a full upload would see as a reset)."""
    parts = urllib.parse.urlsplit(url)
    head = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n")
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(head.encode() + b" " * min(length, 4096))
        status_line = connection.makefile("rb").readline()
    return int(status_line.split()[1])


# ---- 1. request bodies are bounded -----------------------------------------------------------------------------

def test_the_rasa_server_takes_bodies_up_to_64_kb_and_answers_413_beyond(assistant):
    message = {"sender": sender(), "message": ""}
    room = RASA_MAX_BODY - len(json.dumps(message))
    largest = json.dumps({**message, "message": "x" * room}).encode()
    assert len(largest) == RASA_MAX_BODY
    answer = requests.post(webhook(assistant), data=largest, headers={"Content-Type": "application/json"}, timeout=60)
    assert answer.status_code == 200  # the bot answers an over-long message itself
    too_large = json.dumps({**message, "message": "x" * (room + 1)}).encode()
    answer = requests.post(webhook(assistant), data=too_large, timeout=60)
    assert answer.status_code == 413
    chunks = (b"x" * 8192 for _ in range(10))  # no Content-Length: chunked, counted as it arrives
    assert requests.post(webhook(assistant), data=chunks, timeout=60).status_code == 413
    assert status_of_announced_body(webhook(assistant), 10 * 1024 * 1024) == 413  # refused before it is read


def test_the_action_server_bounds_bodies_also_once_inflated(assistant):
    deflate = {"Content-Encoding": "deflate", "Content-Type": "application/json"}
    assert status_of_announced_body(f"{ACTIONS}/webhook", ACTIONS_MAX_BODY + 1) == 413
    bomb = zlib.compress(b" " * (16 * ACTIONS_MAX_BODY), 9)  # 16 KB that would inflate to 16 MB
    assert len(bomb) < ACTIONS_MAX_BODY
    answer = requests.post(f"{ACTIONS}/webhook", data=bomb, headers=deflate, timeout=60)
    assert answer.status_code == 413 and "request_body" not in answer.text
    # An inflated call within the bound reaches rasa_sdk (which knows no such action), garbage is refused.
    call = zlib.compress(json.dumps({"next_action": "action_that_does_not_exist"}).encode())
    assert requests.post(f"{ACTIONS}/webhook", data=call, headers=deflate, timeout=60).status_code == 404
    assert requests.post(f"{ACTIONS}/webhook", data=b"not deflate", headers=deflate, timeout=60).status_code == 400


def test_a_long_conversation_still_gets_its_actions_run(assistant):
    """Each action call carries the domain and the whole conversation: past 64 KB, actions must still run."""
    me = sender()
    turns = ["設備投資の補助金はありますか", "創業したい", "資金繰りに困っている", "後継ぎがいない"] * 5
    for text in turns:
        answer = requests.post(webhook(assistant), json={"sender": me, "message": text}, timeout=60)
        assert answer.status_code == 200 and answer.json(), text
    assert any("custom" in m for m in answer.json()), answer.json()  # the action's programs, to the last turn
    tracker = requests.get(f"{assistant}/conversations/{me}/tracker", params={"token": RASA_API_TOKEN}, timeout=60)
    assert len(tracker.content) > RASA_MAX_BODY


# ---- 2. malformed bodies get 400 -------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"", b"[]", b'"text"', b"null", b"{", b"\xff",
    b'{"message": "x"}',
    b'{"sender": 1, "message": "x"}',
    json.dumps({"sender": "s" * 129, "message": "x"}).encode(),
    b'{"sender": "s"}',
    b'{"sender": "s", "message": {"text": "x"}}',
    b'{"sender": "s", "message": "x", "metadata": "m"}',
])
def test_a_malformed_body_gets_400_with_a_json_error(assistant, body):
    answer = requests.post(webhook(assistant), data=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert answer.status_code == 400, answer.text
    assert isinstance(answer.json()["error"], str)


def test_malformed_action_calls_get_400_not_500(assistant):
    for body in (b"", b"[]", b'"text"', b"{"):
        assert requests.post(f"{ACTIONS}/webhook", data=body, timeout=60).status_code == 400, body


# ---- 3. the action server listens on loopback only -------------------------------------------------------------

def test_the_action_server_listens_on_loopback_only(assistant):
    addresses = listening_addresses(ACTIONS_PORT)
    assert addresses and all(ipaddress.ip_address(a).is_loopback for a in addresses), addresses
    outside = non_loopback_address()
    if outside and not ipaddress.ip_address(outside).is_loopback:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://{outside}:{ACTIONS_PORT}/health", timeout=5)


# ---- 4. CORS only for allowed pages ----------------------------------------------------------------------------

def preflight(base_url: str, origin: str) -> requests.Response:
    return requests.options(webhook(base_url), timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})


def test_a_foreign_page_is_not_allowed_by_cors(assistant):
    assert "Access-Control-Allow-Origin" not in preflight(assistant, FOREIGN_ORIGIN).headers
    answer = requests.post(webhook(assistant), json={"sender": sender(), "message": "こんにちは"},
                           headers={"Origin": FOREIGN_ORIGIN}, timeout=60)
    assert "Access-Control-Allow-Origin" not in answer.headers
    lookalike = f"{DEMO_PAGE_ORIGIN}.evil.example"
    assert "Access-Control-Allow-Origin" not in preflight(assistant, lookalike).headers


def test_the_demo_page_is_allowed_by_cors(assistant):
    assert preflight(assistant, DEMO_PAGE_ORIGIN).headers.get("Access-Control-Allow-Origin") == DEMO_PAGE_ORIGIN
    answer = requests.post(webhook(assistant), json={"sender": sender(), "message": "こんにちは"},
                           headers={"Origin": DEMO_PAGE_ORIGIN}, timeout=60)
    assert answer.headers.get("Access-Control-Allow-Origin") == DEMO_PAGE_ORIGIN


# ---- 5. telemetry off ------------------------------------------------------------------------------------------

def test_rasa_runs_with_telemetry_off(assistant):
    env = environment(rasa_pid())
    assert env.get("RASA_TELEMETRY_ENABLED") == "false"
    # ... and Rasa, given that environment, considers telemetry disabled (whatever ~/.config/rasa says).
    check = "from rasa import telemetry; print(telemetry.is_telemetry_enabled())"
    result = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr[-2000:]


# ---- 6. no user text in the logs -------------------------------------------------------------------------------

def test_user_text_does_not_reach_the_logs(assistant, tmp_path_factory):
    marker = f"zq{uuid.uuid4().hex[:12]}"
    me = sender()
    for text in (f"後継ぎがいない {marker}", f"/{marker}", f'/greet{{"{marker}": "x"}}', f"/greet{{{marker}",
                 f"{marker} " * 300):
        answer = requests.post(webhook(assistant), json={"sender": me, "message": text}, timeout=60)
        assert answer.status_code == 200
    for body in ({"sender": marker * 20, "message": marker}, {"sender": me, "message": [marker]},
                 {"sender": me, "message": "x", "metadata": marker}):
        answer = requests.post(webhook(assistant), json=body, timeout=60)
        assert answer.status_code == 400 and marker not in answer.text
    # The console's path, and a failing action call (the action server must not echo the conversation back).
    requests.post(f"{assistant}/model/parse", params={"token": RASA_API_TOKEN}, json={"text": f"/{marker}"},
                  timeout=60).raise_for_status()
    failing = {"next_action": "action_greet", "sender_id": me, "tracker": {"latest_message": {"text": marker}}}
    answer = requests.post(f"{ACTIONS}/webhook", json=failing, timeout=60)
    assert answer.status_code == 500 and marker not in answer.text
    # Something of ours that is logged: the logs are written as the servers go (not still in a buffer).
    assert requests.get(f"{assistant}/status", params={"token": "wrong"}, timeout=10).status_code == 401
    logs = {log.name: log.read_text(errors="replace") for log in server_logs(tmp_path_factory)}
    assert any("action server error on POST /webhook" in text for text in logs.values())
    assert any("User is not authenticated" in text for text in logs.values())
    for name, text in logs.items():
        assert marker not in text, f"{name}: {text[text.index(marker) - 300:text.index(marker) + 100]}"


# ---- 7. the HTTP API token is not on any command line ----------------------------------------------------------

def test_the_api_token_is_not_on_a_command_line_and_the_api_still_takes_it(assistant):
    lines = command_lines()
    # This session's servers (other checkouts' test runs on this machine may use the same test token).
    for pid in (rasa_pid(), server_pid("bot.action_server", "--port", str(ACTIONS_PORT))):
        assert not any(RASA_API_TOKEN in arg for arg in lines[pid]), lines[pid]
    parse = f"{assistant}/model/parse"
    assert requests.post(parse, json={"text": "後継ぎがいない"}, timeout=60).status_code == 401
    answer = requests.post(parse, params={"token": RASA_API_TOKEN}, json={"text": "後継ぎがいない"}, timeout=60)
    assert answer.status_code == 200 and answer.json()["intent"]["name"]
    assert "bot.rasa_command" in lines[rasa_pid()]  # the entry point that appends the token inside the process

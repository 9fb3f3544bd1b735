"""`make run` (scripts/serve.sh) serves on loopback unless ASSISTANT_INTERFACE says otherwise: the script's own
command lines, expanded by bash as it runs them (each server command replaced by an echo)."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import ROOT


def launched(environ: dict) -> str:
    """What serve.sh would start: its text with each long-running command echoed instead of run."""
    script = (ROOT / "scripts" / "serve.sh").read_text()
    script = script.replace("model=$(bash scripts/train.sh)", "model=models/m.tar.gz")
    script = re.sub(r"^(\s*)(\S*SANIC_REQUEST_MAX_SIZE=\S+ )?\.venv/bin/python (.*?)( & pids\+=\(\$!\))?$",
                    r"\1echo \2.venv/bin/python \3", script, flags=re.M)
    out = subprocess.run(["bash", "-c", script.replace('cd "$(dirname "$0")/.."', f'cd "{ROOT}"'), "serve.sh"],
                         capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "RASA_API_TOKEN": "t", **environ})
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("environ, interface", [({}, "127.0.0.1"), ({"ASSISTANT_INTERFACE": "0.0.0.0"}, "0.0.0.0")])
def test_rasa_listens_on_loopback_unless_told(environ, interface):
    [rasa] = [line for line in launched(environ).splitlines() if "bot.rasa_command run" in line]
    assert f"--interface {interface} " in rasa


def test_the_other_servers_stay_on_loopback():
    lines = launched({"ASSISTANT_INTERFACE": "0.0.0.0"}).splitlines()
    assert any("bot.action_server" in line for line in lines)  # its own default: 127.0.0.1 (bot/action_server.py)
    assert all("0.0.0.0" not in line for line in lines if "bot.rasa_command" not in line)

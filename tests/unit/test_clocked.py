"""The fixed clock the handover tests run their servers under (tests/clocked.py): a process started through it reads
the fixed moment plus the real time since the clock was set, ticking, with its arguments and ``__main__`` as
``python -m`` gives them, and ``time.monotonic`` left alone."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta

from eval.servers import ROOT
from knowledge.hours import JST
from tests import clocked

AT = datetime(2025, 6, 11, 10, 0, tzinfo=JST)
SHOW = """import datetime, json, sys, time
first = datetime.datetime.now(datetime.timezone.utc)
time.sleep(0.05)
print(json.dumps({"now": first.isoformat(), "later": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                  "monotonic": time.monotonic(), "argv": sys.argv[1:], "name": __name__}))
"""


def shown(tmp_path, since: float) -> dict:
    (tmp_path / "show_clock.py").write_text(SHOW, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    done = subprocess.run([sys.executable, *clocked.launcher(since, AT), "-m", "show_clock", "--port", "1"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_a_module_run_under_the_clock_reads_it_ticking_with_its_own_arguments(tmp_path):
    before = time.monotonic()
    result = shown(tmp_path, since=time.time() - 60)
    now, later = datetime.fromisoformat(result["now"]), datetime.fromisoformat(result["later"])
    assert AT + timedelta(seconds=60) <= now < AT + timedelta(seconds=90)  # started a minute after it was set
    assert now.utcoffset() == timedelta(0) and later - now >= timedelta(seconds=0.05)  # in UTC, and it ticks
    assert result["monotonic"] >= before  # the event loops' clock is the machine's
    assert result["argv"] == ["--port", "1"] and result["name"] == "__main__"


def test_without_an_entry_point_it_says_how_to_use_it():
    done = subprocess.run([sys.executable, "-m", "tests.clocked", "show_clock"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "usage: python -m tests.clocked" in done.stderr

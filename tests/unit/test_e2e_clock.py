"""The fixed clock the end-to-end handover tests run their servers under (tests/e2e/clocked.py): a process started
through it reads the fixed moment plus the real time since the site's clock was set, ticking, with its arguments and
``__main__`` as ``python -m`` gives them, and ``time.monotonic`` left alone."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from eval.servers import ROOT
from knowledge.hours import JST
from tests.e2e.clocked import clock_env, moment

AT = datetime(2025, 6, 11, 10, 0, tzinfo=JST)
SHOW = """import datetime, json, sys, time
first = datetime.datetime.now(datetime.timezone.utc)
time.sleep(0.05)
print(json.dumps({"now": first.isoformat(), "later": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                  "monotonic": time.monotonic(), "argv": sys.argv[1:], "name": __name__}))
"""


def test_the_clock_reads_the_fixed_moment_plus_the_real_time_since_it_was_set():
    env = clock_env(AT, since=1_000.0)
    assert moment(env, 1_000.0) == AT
    assert moment(env, 1_090.5) == AT + timedelta(seconds=90.5)
    assert moment(env, 1_090.5).tzinfo == timezone.utc


def test_a_module_run_under_the_clock_reads_it_ticking_with_its_own_arguments(tmp_path):
    (tmp_path / "show_clock.py").write_text(SHOW, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{ROOT}", **clock_env(AT, since=time.time() - 60)}
    before = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tests.e2e.clocked", "-m", "show_clock", "--port", "1"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    shown = json.loads(done.stdout)
    now, later = datetime.fromisoformat(shown["now"]), datetime.fromisoformat(shown["later"])
    assert AT + timedelta(seconds=60) <= now < AT + timedelta(seconds=90)  # started a minute after it was set
    assert later - now >= timedelta(seconds=0.05)  # it ticks
    assert shown["monotonic"] >= before  # the event loops' clock is the machine's
    assert shown["argv"] == ["--port", "1"] and shown["name"] == "__main__"


def test_without_an_entry_point_it_says_how_to_use_it():
    done = subprocess.run([sys.executable, "-m", "tests.e2e.clocked", "show_clock"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "usage: python -m tests.e2e.clocked -m MODULE" in done.stderr

"""The console serves several staff members at once: its store and search work runs off the event loop.

A real console (``python -m console``) on a free loopback port, as its own process (a Sanic server started in the
test process would leave Sanic's class rewritten for the next one), on a knowledge store built by the real loader
and an empty review log. Its search is made slow on purpose (the test's seam: the launcher wraps the knowledge
search so that it sleeps first); while one staff member's search sleeps, another's request for the review page's
choices must be answered at once.
"""
from __future__ import annotations

import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from eval import servers

PASSWORD = "staff-test-password"
SLOW_SEARCH_SECONDS = 4.0  # the other request answers in about 10 ms; blocked, it would wait all of this
# ``python -m console`` whose knowledge search first notes that it started, then sleeps.
SLOW_CONSOLE = """
import os, time
from console import app
from console.__main__ import main

real_search = app.search


def slow_search(*args, **kwargs):
    open(os.environ["SEARCH_STARTED"], "w").close()
    time.sleep(float(os.environ["SEARCH_SLEEP"]))
    return real_search(*args, **kwargs)


app.search = slow_search
main()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def console(kb_url, tmp_path):
    """(base URL, a logged-in HTTP session, the file the slow search creates when it starts)."""
    url = f"http://127.0.0.1:{free_port()}"
    started = tmp_path / "search-started"
    env = {"KNOWLEDGE_DB_URL": kb_url, "REVIEW_DB_URL": f"sqlite:///{tmp_path / 'review.db'}",
           "CONSOLE_PASSWORD": PASSWORD, "RASA_URL": "", "PYTHONPATH": str(servers.ROOT),
           "SEARCH_STARTED": str(started), "SEARCH_SLEEP": str(SLOW_SEARCH_SECONDS)}
    command = [sys.executable, "-c", SLOW_CONSOLE, "--port", url.rsplit(":", 1)[1]]
    with servers.running([command], [f"{url}/login"], tmp_path, servers.ROOT, env):
        with requests.Session() as staff:
            login = staff.post(f"{url}/login", data={"login": "staff", "password": PASSWORD}, allow_redirects=False, timeout=30)
            assert login.status_code == 303, login.text
            yield url, staff, started


def test_a_slow_search_does_not_delay_another_staff_members_request(console):
    base, staff, search_started = console
    # warm up outside the measurement: the first request reads the program snapshot and creates the review log
    assert staff.get(f"{base}/api/review/options", timeout=60).status_code == 200

    def timed(path: str, **params):
        begun = time.perf_counter()
        answer = requests.get(f"{base}{path}", params=params, cookies=staff.cookies, timeout=60)
        return answer, time.perf_counter() - begun

    with ThreadPoolExecutor(max_workers=1) as other_staff:
        search = other_staff.submit(timed, "/api/search", q="事業承継")
        deadline = time.monotonic() + 30
        while not search_started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert search_started.exists(), "the search never started"
        options, waited = timed("/api/review/options")
        found, searched = search.result(60)

    assert found.status_code == 200 and found.json(), found.text
    assert searched >= SLOW_SEARCH_SECONDS
    assert options.status_code == 200 and options.json()["programs"]
    print(f"\nreview options answered in {waited:.3f} s while a search slept {SLOW_SEARCH_SECONDS:.0f} s")
    assert waited < SLOW_SEARCH_SECONDS / 4, f"{waited:.2f} s: the search held up the event loop"

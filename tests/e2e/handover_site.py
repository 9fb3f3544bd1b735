"""A whole site for the end-to-end handover tests (issue 19), on one fixed clock: the assistant (Rasa server and
action server), the staff console and the web chat's demo page, on ports of their own, sharing one review log
database (handovers, call-back requests, staff accounts and sessions).

Every server runs under tests/clocked.py, so whether staff are there (handover/hours.py: staffed hours, public
holidays, the year-end closure) is the same on any date the tests run. The console runs on the clock too: it
records when staff were last seen on the 有人対応 page, and the action server compares that with its own now.

Also here: what the tests do as staff (log in, take, reply, send a card, hand back) through the real page or over
HTTP with a session of their own, and what they read back from the store (the test process's own clock is never
used: every store call that needs a time is given one).
"""
from __future__ import annotations

import contextlib
import json
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from console.accounts.__main__ import main as accounts_cli
from eval import servers
from handover.store import HandoverStore
from knowledge.hours import JST
from tests import clocked
from tests.e2e.conftest import PORT_OFFSET, RASA_API_TOKEN, demo_page

# A Wednesday that is no public holiday, far from the year-end closure: 10:00 is within the staffed hours
# (knowledge/calendar.yml: weekdays 8:30-17:15), 20:00 is after them, and staff are next there at 8:30 the day after.
STAFFED = datetime(2025, 6, 11, 10, 0, tzinfo=JST)
CLOSED = datetime(2025, 6, 11, 20, 0, tzinfo=JST)
NEXT_STAFFED = datetime(2025, 6, 12, 8, 30, tzinfo=JST)

PASSWORD = "handover-test-password"
STAFF = {"tanaka": "田中", "sato": "佐藤"}  # login -> display name, added with the accounts CLI


@dataclass(frozen=True)
class Ports:
    rasa: int
    actions: int
    console: int
    webchat: int


STAFFED_PORTS = Ports(5920 + PORT_OFFSET, 5921 + PORT_OFFSET, 5922 + PORT_OFFSET, 5923 + PORT_OFFSET)
CLOSED_PORTS = Ports(5924 + PORT_OFFSET, 5925 + PORT_OFFSET, 5926 + PORT_OFFSET, 5927 + PORT_OFFSET)


@dataclass(frozen=True)
class Site:
    rasa: str
    console: str
    webchat: str
    review_url: str
    kb_url: str
    workdir: Path

    def store(self) -> HandoverStore:
        return HandoverStore(self.review_url)

    def logs(self) -> str:
        """Everything the site's servers printed so far."""
        return "\n".join(log.read_text(encoding="utf-8", errors="replace")
                         for log in sorted(self.workdir.rglob("server-*.log")))

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The Rasa conversation of ``sender`` (the HTTP API, with the site's token)."""
        answer = requests.get(f"{self.rasa}/conversations/{sender}/tracker", params={"token": RASA_API_TOKEN},
                              timeout=30)
        answer.raise_for_status()
        return answer.json()

    def said_to_rasa(self, sender: str) -> List[str]:
        """The user messages Rasa has seen in ``sender``'s conversation, in order."""
        return [e.get("text") or "" for e in self.tracker(sender)["events"] if e["event"] == "user"]

    def bot_turns(self, sender: str) -> int:
        return sum(1 for e in self.tracker(sender)["events"] if e["event"] == "bot")


@contextlib.contextmanager
def site(workdir: Path, at: datetime, ports: Ports) -> Iterator[Site]:
    """The site's servers, their clocks reading ``at`` when this is entered; stopped on leaving."""
    launcher = clocked.launcher(since=time.time(), at=at)  # one clock for every server of the site
    kb_url = servers.loaded_knowledge(workdir)
    review_url = f"sqlite:///{workdir / 'review.db'}"
    for login, name in STAFF.items():  # as staff add accounts (README: Staff accounts), before the first start
        assert accounts_cli(["add", login, "--name", name, "--url", review_url], ask=lambda _: PASSWORD) == 0
    # No per-sender message limit: a test's conversation may send a burst no owner does (test_rate_limits.py).
    env = {"REVIEW_DB_URL": review_url, "RATE_LIMIT_MESSAGES": "0"}
    rasa = f"http://127.0.0.1:{ports.rasa}"
    with servers.assistant(workdir, kb_url, ports.rasa, ports.actions, api_token=RASA_API_TOKEN, env=env,
                           launcher=launcher):
        console_dir = workdir / "console"
        console_dir.mkdir()
        console = f"http://127.0.0.1:{ports.console}"
        command = [sys.executable, *launcher, "-m", "console", "--port", str(ports.console)]
        console_env = {"KNOWLEDGE_DB_URL": kb_url, "RASA_URL": rasa, "RASA_API_TOKEN": RASA_API_TOKEN,
                       "REVIEW_DB_URL": review_url, "PYTHONPATH": str(servers.ROOT)}
        with servers.running([command], [f"{console}/login"], console_dir, servers.ROOT, console_env):
            webchat_dir = workdir / "webchat"
            webchat_dir.mkdir()
            with demo_page(rasa, ports.webchat, webchat_dir) as webchat:
                yield Site(rasa=rasa, console=console, webchat=webchat, review_url=review_url, kb_url=kb_url,
                           workdir=workdir)


# ---- the user, over the REST channel ----

class RestUser:
    """A user of the REST channel (what the web chat posts), with the raw messages of each answer: a handover's
    answers carry ``custom.handover``, which tests/e2e/conftest.py's ``Reply`` does not take."""

    def __init__(self, site_: Site):
        self.url = f"{site_.rasa}/webhooks/rest/webhook"
        self.sender = f"e2e-{uuid.uuid4().hex[:12]}"

    def say(self, text: str, expect: int = 200) -> List[Dict[str, Any]]:
        answer = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=60)
        assert answer.status_code == expect, (answer.status_code, answer.text[:300])
        return answer.json() if expect == 200 else []


def handover_of(messages: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """custom.handover of an answer, if any."""
    found = [m["custom"]["handover"] for m in messages if isinstance(m.get("custom"), dict)
             and "handover" in m["custom"]]
    assert len(found) <= 1, messages
    return found[0] if found else None


def text_of(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages if m.get("text"))


# ---- staff, over HTTP ----

class StaffClient:
    """A staff member's own logged-in session on the console, over HTTP (a script, as curl is: no Origin header)."""

    def __init__(self, site_: Site, login: str):
        self.base = site_.console
        self.http = requests.Session()
        answer = self.http.post(f"{self.base}/login", data={"login": login, "password": PASSWORD},
                                allow_redirects=False, timeout=30)
        assert answer.status_code == 303 and "console_session" in self.http.cookies, answer.text[:300]

    def get(self, path: str) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=30)

    def post(self, path: str, body: Optional[Dict[str, Any]] = None) -> requests.Response:
        return self.http.post(f"{self.base}{path}", data=json.dumps(body or {}),
                              headers={"Content-Type": "application/json"}, timeout=60)

    def on_duty(self) -> None:
        """Read the list, as the 有人対応 page does every 2 s: that is what puts a staff member on duty."""
        assert self.get("/api/handovers").status_code == 200

    def close(self) -> None:
        self.http.close()


def queued_by_rest(site_: Site, staff: StaffClient, first: str = "台湾にりんごを輸出したい") -> RestUser:
    """A REST user who asked about a program and then for a person, queued while ``staff`` is on duty."""
    staff.on_duty()
    user = RestUser(site_)
    user.say(first)
    state = handover_of(user.say("担当者と話したい"))
    assert state is not None and state["state"] == "queued", state
    return user


def end_active(site_: Site, sender: str) -> None:
    """Leave no conversation held for the next test: end the sender's handover, if it is still queued or connected."""
    store = site_.store()
    active = store.active(sender)
    if active is not None:
        store.end(active.id, "user_left", now=STAFFED + timedelta(hours=1))


# ---- staff, in a real browser ----

def wait(driver, condition, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(condition)


def open_handover_page(driver, site_: Site, login: str = "tanaka") -> None:
    """The console's 有人対応 page, logged in as ``login`` (logging out a session of another account first)."""
    driver.get(f"{site_.console}/login")
    driver.delete_all_cookies()  # cookies are per host, not per port: no other console's session comes along
    driver.get(f"{site_.console}/login")
    driver.find_element(By.ID, "login").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, ec.presence_of_element_located((By.ID, "caller")))
    driver.get(f"{site_.console}/handover")
    # the first poll answered: this staff member is on duty now
    wait(driver, ec.text_to_be_present_in_element((By.ID, "duty"), STAFF[login]))


def item(driver, handover_id: int):
    return wait(driver, ec.presence_of_element_located((By.CSS_SELECTOR, f'#queue li[data-id="{handover_id}"]')))


def click_in_item(driver, handover_id: int, label: str) -> None:
    """Click the button ``label`` of the list's entry; the list is redrawn every 2 s, so find and click in one
    script (a found element could be replaced before a separate click)."""
    clicked = driver.execute_script(
        "const b = [...document.querySelectorAll(`#queue li[data-id='${arguments[0]}'] button`)]"
        ".find((x) => x.textContent === arguments[1]); if (b) b.click(); return !!b;", handover_id, label)
    assert clicked, f"no {label} in the list's entry {handover_id}"


def take_on_page(driver, handover_id: int) -> None:
    item(driver, handover_id)
    click_in_item(driver, handover_id, "対応する")
    wait(driver, ec.text_to_be_present_in_element((By.ID, "conversation-status"), "この会話の担当になりました"))


def transcript(driver) -> List[Dict[str, str]]:
    """The open conversation's lines as staff see them: author class and text."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#transcript > li')].map((li) => ({kind: li.className, "
        "text: li.textContent}))")


def type_reply(driver, text: str) -> None:
    """Put ``text`` in the reply box as typed (set at once: a long text typed key by key would take minutes)."""
    driver.execute_script(
        "const box = document.getElementById('reply'); box.value = arguments[0];"
        "box.dispatchEvent(new Event('input', {bubbles: true}));", text)


def staff_lines(driver, text: str) -> int:
    return sum(1 for line in transcript(driver) if "staff" in line["kind"] and text in line["text"])


def reply_on_page(driver, text: str) -> None:
    """Type a reply and send it; returns once the transcript shows it (the status line may still say 送信しました
    from the reply before)."""
    before = staff_lines(driver, text)
    type_reply(driver, text)
    wait(driver, lambda d: d.find_element(By.ID, "reply-send").is_enabled())
    driver.find_element(By.ID, "reply-send").click()
    wait(driver, lambda d: staff_lines(d, text) > before)

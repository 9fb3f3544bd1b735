"""The console's named staff accounts (console/accounts/) on real databases: adding, logging in, wrong passwords,
disabling, resetting, rehashing; the command line as a subprocess; two console processes sharing one database; the
first start of ``python -m console``.

Each test has a database of its own (``review_url``: SQLite in tmp_path, and PostgreSQL when TEST_POSTGRES_URL is
set; or a SQLite file in tmp_path). Time is moved with time-machine (as in test_clock.py): the gate's default clock
is the wall clock, which several processes share.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
import time_machine
from argon2 import PasswordHasher
from sqlalchemy import inspect, select

from console.accounts import keys, passwords, store
from console.accounts.models import Staff, StaffAccount
from console.accounts.store import AccountError
from console.auth import Check, Gate, Settings
from eval import servers
from knowledge.db import engine_for
from review import db as review_db

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # real argon2id, with the smallest costs
LIMITS = Settings(idle_seconds=30 * 60, max_seconds=12 * 3600)
PASSWORD = "correct horse battery staple"
START = datetime(2026, 4, 1, 0, 30, tzinfo=timezone.utc)


def travel(moment: datetime = START) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def url(review_url):
    return review_url


def add(url: str, login: str = "tanaka", name: str = "田中", password: str = PASSWORD,
        hasher: PasswordHasher = FAST) -> Staff:
    with review_db.session(url) as db:
        return store.add(db, login, name, password, hasher)


def stored_hash(url: str, login: str) -> str:
    with review_db.session(url) as db:
        return db.execute(select(StaffAccount.password_hash).where(StaffAccount.login == login)).scalar_one()


def gate(url: str, hasher: PasswordHasher = FAST) -> Gate:
    return Gate(url, LIMITS, hasher=hasher)


# ---- the tables and the accounts ----

def test_the_migration_creates_the_tables_and_names_are_unique(url):
    review_db.migrate(url)
    tables = set(inspect(engine_for(url)).get_table_names())
    assert {"staff_accounts", "staff_sessions", "review_turns", "review_settings"} <= tables
    staff = add(url, "Tanaka", " 田中 ")
    assert (staff.login, staff.name) == ("tanaka", "田中")  # login names are stored lower-case, names trimmed
    with pytest.raises(AccountError, match="already exists"):
        add(url, "TANAKA", "別の田中")
    for bad in ("", "a b", "田中", "-dash", "x" * 65):
        with pytest.raises(AccountError, match="not a login name"):
            add(url, bad)
    for bad in ("", "   ", "x" * 101, "改\n行"):
        with pytest.raises(AccountError, match="display name"):
            add(url, "sato", bad)
    hashed = stored_hash(url, "tanaka")
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed


def test_staff_log_in_with_their_own_name_and_password(url):
    add(url)
    add(url, "sato", "佐藤", "another password")
    with travel():
        door = gate(url)
        tanaka = door.login("192.0.2.1", "tanaka", PASSWORD)
        sato = door.login("192.0.2.2", " Sato", "another password")
        assert tanaka.ok and sato.ok
        assert door.check(tanaka.token).staff == tanaka.staff and tanaka.staff.name == "田中"
        assert door.check(sato.token).staff.login == "sato"
        assert not door.login("192.0.2.3", "tanaka", "another password").ok  # someone else's password
        assert not door.login("192.0.2.3", "nobody", PASSWORD).ok
        assert not door.login("192.0.2.3", "", "").ok


def test_a_disabled_account_cannot_log_in_and_its_sessions_end_at_once(url):
    add(url)
    with travel():
        door = gate(url)
        token = door.login("192.0.2.1", "tanaka", PASSWORD).token
        other = door.login("192.0.2.2", "tanaka", PASSWORD).token
        with review_db.session(url) as db:
            assert store.set_disabled(db, "tanaka", True) == 2  # both sessions ended
            assert store.set_disabled(db, "tanaka", True) is None  # already so
        assert door.check(token) == door.check(other) == Check("none")
        refused = door.login("192.0.2.1", "tanaka", PASSWORD)
        assert not refused.ok and refused.wait == 0  # the same answer as a wrong password
        with review_db.session(url) as db:
            assert store.set_disabled(db, "tanaka", False) == 0
        assert door.login("192.0.2.1", "tanaka", PASSWORD).ok  # enabled again, with the same password
        with pytest.raises(AccountError, match="no account named 'nobody'"):
            with review_db.session(url) as db:
                store.set_disabled(db, "nobody", True)


def test_a_session_of_an_account_disabled_behind_the_consoles_back_stops_at_its_next_request(url):
    """Even when the flag is set by hand in the database (no sessions ended), the session opens nothing."""
    add(url)
    door = gate(url)
    token = door.login("192.0.2.1", "tanaka", PASSWORD).token
    with review_db.session(url) as db:
        db.query(StaffAccount).filter_by(login="tanaka").update({"disabled": True})
        db.commit()
    assert door.check(token) == Check("none")


def test_a_reset_ends_the_accounts_sessions_only_and_the_old_password_with_them(url):
    add(url)
    add(url, "sato", "佐藤")
    door = gate(url)
    token = door.login("192.0.2.1", "tanaka", PASSWORD).token
    colleague = door.login("192.0.2.2", "sato", PASSWORD).token
    with review_db.session(url) as db:
        assert store.reset(db, "tanaka", "a new password", FAST) == 1
    assert door.check(token).state == "none" and door.check(colleague).state == "valid"
    assert not door.login("192.0.2.1", "tanaka", PASSWORD).ok
    assert door.login("192.0.2.1", "tanaka", "a new password").ok
    with pytest.raises(AccountError):
        with review_db.session(url) as db:
            store.reset(db, "nobody", "whatever password", FAST)


def test_a_hash_made_with_older_parameters_is_replaced_at_the_next_login(url):
    older = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    current = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    add(url, hasher=older)
    before = stored_hash(url, "tanaka")
    door = gate(url, hasher=current)
    assert not door.login("192.0.2.1", "tanaka", "wrong").ok
    assert stored_hash(url, "tanaka") == before  # only the right password is hashed again
    assert door.login("192.0.2.1", "tanaka", PASSWORD).ok
    after = stored_hash(url, "tanaka")
    assert after != before and "m=16,t=2,p=1" in after and not current.check_needs_rehash(after)
    assert passwords.verify(after, PASSWORD, current)
    assert door.login("192.0.2.1", "tanaka", PASSWORD).ok and stored_hash(url, "tanaka") == after


def test_the_first_account_is_created_once_whoever_starts_first(url):
    with review_db.session(url) as db:
        assert store.count(db) == 0
    results = []

    def start():
        with review_db.session(url) as db:
            results.append(store.create_first(db, PASSWORD, FAST))

    workers = [threading.Thread(target=start) for _ in range(4)]  # console processes starting at once
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == [False, False, False, True]
    with review_db.session(url) as db:
        [first] = store.listing(db)
        assert (first.login, first.name, first.disabled) == ("staff", "スタッフ", False)
        assert not store.create_first(db, "another password", FAST)  # accounts exist: nothing changes
    assert gate(url).login("192.0.2.1", "staff", PASSWORD).ok


def test_the_device_key_is_drawn_once_per_database(url, tmp_path):
    found = []

    def read():
        with review_db.session(url) as db:
            found.append(keys.device_key(db))

    workers = [threading.Thread(target=read) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(found) == 4 and len(set(found)) == 1 and len(found[0]) == 32
    with review_db.session(f"sqlite:///{tmp_path / 'other.db'}") as db:
        assert keys.device_key(db) != found[0]


# ---- several console processes on one database ----

def test_two_console_processes_accept_each_others_sessions_and_device_cookies(url):
    add(url)
    with travel() as traveller:
        first, second = gate(url), gate(url)  # two processes: each its own failure counts and key cache
        attempt = first.login("10.0.0.1", "tanaka", PASSWORD)
        assert second.check(attempt.token) == Check("valid", attempt.staff)
        # the device cookie signed by the first is genuine to the second
        assert second.device(attempt.device) == first.device(attempt.device) is not None
        for i in range(6):  # an attacker at the same address, on the second process
            second.login("10.0.0.1", "tanaka", f"guess-{i}")
        assert second.wait("10.0.0.1") > 0 and first.wait("10.0.0.1") == 0  # counts are per process
        assert second.login("10.0.0.1", "tanaka", PASSWORD, attempt.device).ok
        # a request to either process starts the idle time again, for both
        token = attempt.token
        for door in (first, second, first, second):
            traveller.shift(timedelta(minutes=29))
            assert door.session(token) == "valid"
        traveller.shift(timedelta(minutes=30, seconds=1))
        assert first.session(token) == "expired" and second.session(token) == "none"
        # logging out at one process ends the session at the other
        token = second.login("10.0.0.2", "tanaka", PASSWORD).token
        first.logout(token)
        assert second.session(token) == "none"
        # the absolute lifetime counts from the login, whichever process is asked
        token = first.login("10.0.0.3", "tanaka", PASSWORD).token
        for step in range(12 * 6 - 1):
            traveller.shift(timedelta(minutes=10))
            assert (first, second)[step % 2].session(token) == "valid"
        traveller.shift(timedelta(minutes=10, seconds=1))
        assert second.session(token) == "expired"
        # a restarted process (a new gate) still knows the sessions and the device cookies
        token = first.login("10.0.0.4", "tanaka", PASSWORD).token
        restarted = gate(url)
        assert restarted.session(token) == "valid" and restarted.device(attempt.device)
        # a device cookie expires after DEVICE_DAYS on every process
        traveller.shift(timedelta(days=31))
        assert first.device(attempt.device) is None and restarted.device(attempt.device) is None


def test_expired_sessions_are_deleted_when_someone_logs_in(url):
    add(url)
    with travel() as traveller:
        door = gate(url)
        old = door.login("192.0.2.1", "tanaka", PASSWORD).token
        traveller.shift(timedelta(hours=1))
        door.login("192.0.2.2", "tanaka", PASSWORD)
        with review_db.session(url) as db:
            [listed] = store.listing(db)
        assert listed.sessions == 1
        assert door.session(old) == "none"


# ---- the command line ----

def cli(url: str, *args: str, typed: str = "") -> subprocess.CompletedProcess:
    """``python -m console.accounts ARGS`` on the database at ``url``; ``typed``: its standard input (a pipe, so
    passwords are read one per line, as from a script)."""
    env = {**os.environ, "REVIEW_DB_URL": url, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(servers.ROOT)}
    return subprocess.run([sys.executable, "-m", "console.accounts", *args], input=typed, capture_output=True,
                          text=True, env=env, cwd=servers.ROOT, timeout=120)


def shown_password(result: subprocess.CompletedProcess) -> str:
    return re.search(r"^password \(shown only now\): (\S+)$", result.stdout, re.M).group(1)


def test_the_command_line_adds_lists_and_refuses_what_it_cannot_do(tmp_path):
    url = f"sqlite:///{tmp_path / 'review.db'}"
    empty = cli(url, "list")
    assert empty.returncode == 0 and "no accounts yet" in empty.stdout

    typed = cli(url, "add", "Tanaka", "--name", "田中", typed="typed-password\ntyped-password\n")
    assert (typed.returncode, typed.stdout) == (0, "added 'tanaka' (田中)\n")
    assert "typed-password" not in typed.stdout + typed.stderr  # a chosen password is never shown

    generated = cli(url, "add", "sato", "--name", "佐藤", "--generate")
    assert generated.returncode == 0 and generated.stdout.startswith("added 'sato' (佐藤)\n")
    password = shown_password(generated)
    assert len(password) >= passwords.MIN_CHARS

    listed = cli(url, "list")
    assert listed.returncode == 0 and "$argon2" not in listed.stdout
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert set(rows) == {"tanaka", "sato"} and "enabled" in rows["sato"] and rows["sato"].endswith("佐藤")

    door = Gate(url, LIMITS)  # the real hasher: the command line hashes with it
    assert door.login("192.0.2.1", "tanaka", "typed-password").ok
    assert door.login("192.0.2.1", "sato", password).ok

    refusals = [
        (cli(url, "add", "tanaka", "--name", "別の田中", "--generate"), "an account named 'tanaka' already exists"),
        (cli(url, "add", "suzuki", "--name", "鈴木", typed="one-password\nanother-password\n"),
         "the two passwords differ; nothing changed"),
        (cli(url, "add", "suzuki", "--name", "鈴木", typed="short\nshort\n"), "at least 8 characters"),
        (cli(url, "add", "suzuki", "--name", "鈴木"), "no password given; nothing changed"),
        (cli(url, "add", "bad name", "--name", "x", "--generate"), "is not a login name"),
        (cli(url, "disable", "nobody"), "there is no account named 'nobody'"),
        (cli(url, "reset", "nobody", "--generate"), "there is no account named 'nobody'"),
    ]
    for result, message in refusals:
        assert result.returncode == 1 and result.stderr.startswith("error: ") and message in result.stderr, result
        assert result.stdout == ""
    assert "suzuki" not in cli(url, "list").stdout

    for args in (["frobnicate"], ["add", "suzuki"], ["disable"], []):  # not understood: argparse's usage, 2
        result = cli(url, *args)
        assert result.returncode == 2 and "usage: python -m console.accounts" in result.stderr, args


def test_the_command_line_disables_enables_and_resets(tmp_path):
    url = f"sqlite:///{tmp_path / 'review.db'}"
    add(url, hasher=passwords.HASHER)
    door = Gate(url, LIMITS)
    token = door.login("192.0.2.1", "tanaka", PASSWORD).token

    disabled = cli(url, "disable", "TANAKA")
    assert (disabled.returncode, disabled.stdout) == (0, "disabled 'tanaka'; 1 session ended\n")
    assert door.session(token) == "none" and not door.login("192.0.2.1", "tanaka", PASSWORD).ok
    again = cli(url, "disable", "tanaka")
    assert (again.returncode, again.stdout) == (0, "'tanaka' was already disabled; nothing changed\n")
    assert "disabled" in cli(url, "list").stdout

    enabled = cli(url, "enable", "tanaka")
    assert (enabled.returncode, enabled.stdout) == (0, "enabled 'tanaka'\n")
    token = door.login("192.0.2.1", "tanaka", PASSWORD).token
    assert token

    differ = cli(url, "reset", "tanaka", typed="new-password-1\nnew-password-2\n")
    assert differ.returncode == 1 and door.session(token) == "valid"  # nothing changed

    reset = cli(url, "reset", "tanaka", typed="new-password-1\nnew-password-1\n")
    assert (reset.returncode, reset.stdout) == (0, "new password set for 'tanaka'; 1 session ended\n")
    assert door.session(token) == "none"
    assert not door.login("192.0.2.1", "tanaka", PASSWORD).ok
    assert door.login("192.0.2.1", "tanaka", "new-password-1").ok

    generated = cli(url, "reset", "tanaka", "--generate")
    assert generated.returncode == 0 and door.login("192.0.2.1", "tanaka", shown_password(generated)).ok


# ---- `python -m console`: the first start ----

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def console_output(tmp_path, name: str, url: str, check, **env: str) -> str:
    """Start ``python -m console`` on the review database ``url``, run ``check(base_url)``, stop it; what it
    printed."""
    workdir = tmp_path / name
    workdir.mkdir()
    base = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "console", "--port", base.rsplit(":", 1)[1]]
    settings = {"REVIEW_DB_URL": url, "KNOWLEDGE_DB_URL": f"sqlite:///{workdir / 'knowledge.db'}", "RASA_URL": "",
                "CONSOLE_PASSWORD": "", "PYTHONPATH": str(servers.ROOT), **env}
    with servers.running([command], [f"{base}/login"], workdir, servers.ROOT, settings):
        check(base)
    return (workdir / "server-0.log").read_text(encoding="utf-8")


def test_the_first_start_creates_staff_and_shows_its_password_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'review.db'}"
    session = requests.Session()

    def log_in(base: str) -> None:
        printed = (tmp_path / "first" / "server-0.log").read_text(encoding="utf-8")
        password = re.search(r"^console login: staff .*: (\S+)$", printed, re.M).group(1)
        answer = session.post(f"{base}/login", data={"login": "staff", "password": password},
                              allow_redirects=False, timeout=30)
        assert answer.status_code == 303 and answer.headers["Location"] == "/"
        me = session.get(f"{base}/api/me", timeout=30)
        assert me.status_code == 200 and me.json() == {"login": "staff", "name": "スタッフ"}
        assert me.headers["Cache-Control"] == "no-store"

    first = console_output(tmp_path, "first", url, log_in)
    assert "password (generated, shown only now" in first

    def still_logged_in(base: str) -> None:
        # a restart logs no one out: the session is in the database
        assert session.get(f"{base}/api/me", timeout=30).json()["login"] == "staff"
        refused = requests.post(f"{base}/login", data={"login": "staff", "password": "set-after-the-fact"},
                                allow_redirects=False, timeout=30)
        assert refused.status_code == 401 and "ログイン名またはパスワードが違います" in refused.text
        assert requests.get(f"{base}/api/me", timeout=30).status_code == 401

    second = console_output(tmp_path, "second", url, still_logged_in, CONSOLE_PASSWORD="set-after-the-fact")
    assert "console accounts: 1" in second and "CONSOLE_PASSWORD is used only when there is no account" in second
    assert "password" not in second.replace("CONSOLE_PASSWORD", "") and "set-after-the-fact" not in second


def test_a_first_start_with_console_password_uses_it_and_prints_no_secret(tmp_path):
    url = f"sqlite:///{tmp_path / 'review.db'}"

    def log_in(base: str) -> None:
        answer = requests.post(f"{base}/login", data={"login": "staff", "password": "chosen-password"},
                               allow_redirects=False, timeout=30)
        assert answer.status_code == 303

    printed = console_output(tmp_path, "first", url, log_in, CONSOLE_PASSWORD="chosen-password")
    assert "console login: staff (the first account), password: CONSOLE_PASSWORD" in printed
    assert "chosen-password" not in printed

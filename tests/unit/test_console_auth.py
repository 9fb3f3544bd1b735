"""The staff console's login rules (console/auth.py) on a clock the tests move: session expiry, logout, the
back-off, device cookies, the global limit, trusted proxies, the Origin check and the cookie flags.

Each test has its own SQLite database (the accounts and sessions live there; tests/unit/test_console_accounts.py
covers the accounts themselves and several processes sharing one database) and a fast argon2 hasher: the real
parameters take a quarter of a second per check, and these tests check hundreds of passwords."""
from __future__ import annotations

import ipaddress

import pytest
from argon2 import PasswordHasher
from sanic import response
from sqlalchemy import select

from common.clients import visitor
from common.settings import parse_networks
from console import auth
from console.accounts import passwords, store
from console.accounts.models import StaffSession
from console.auth import Attempt, Gate, Settings, same_origin
from review import db as review_db

LOGIN = "tanaka"
PASSWORD = "correct horse battery staple"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # real argon2id, with the smallest costs


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


def new_gate(url: str, clock) -> Gate:
    with review_db.session(url) as db:
        store.add(db, LOGIN, "田中", PASSWORD, FAST)
    return Gate(url, Settings(idle_seconds=30 * 60, max_seconds=12 * 3600), clock=clock, hasher=FAST)


@pytest.fixture
def gate(clock, tmp_path):
    """A console with one account, ``tanaka``, on a database of the test's own."""
    return new_gate(f"sqlite:///{tmp_path / 'review.db'}", clock)


def log_in(gate: Gate, address: str, password: str = PASSWORD, device: str | None = None) -> Attempt:
    return gate.login(address, LOGIN, password, device)


def guess(gate: Gate, address: str, times: int, device: str | None = None) -> list:
    return [gate.login(address, LOGIN, f"guess-{i}", device) for i in range(times)]


# ---- sessions ----

def test_a_session_ends_after_the_idle_time_and_each_request_starts_it_again(gate, clock):
    token = log_in(gate, "192.0.2.1").token
    assert token and gate.session(token) == "valid"
    for _ in range(5):  # 2.5 hours of work with pauses under 30 minutes
        clock.advance(29 * 60)
        assert gate.session(token) == "valid"
    clock.advance(30 * 60 + 1)
    assert gate.session(token) == "expired"
    assert gate.session(token) == "none"  # deleted on the server: an expired token never comes back
    clock.advance(-(30 * 60 + 1))
    assert gate.session(token) == "none"


def test_a_session_ends_at_its_absolute_lifetime_however_active(gate, clock):
    token = log_in(gate, "192.0.2.1").token
    for _ in range(12 * 6 - 1):  # a request every 10 minutes, for 11 h 50 min
        clock.advance(600)
        assert gate.session(token) == "valid"
    clock.advance(601)
    assert gate.session(token) == "expired"
    assert gate.session_seconds() == 12 * 3600  # the cookie's Max-Age


def test_logout_ends_that_session_only(gate):
    first = log_in(gate, "192.0.2.1").token
    second = log_in(gate, "192.0.2.2").token
    gate.logout(first)
    assert gate.session(first) == "none" and not gate.valid(first)
    assert gate.session(second) == "valid"
    gate.logout(None)
    gate.logout("not-a-token")
    assert gate.session(second) == "valid"


def test_tokens_are_random_and_only_digests_are_kept(gate):
    tokens = {log_in(gate, "192.0.2.1").token for _ in range(20)}
    assert len(tokens) == 20 and all(len(t) >= 43 for t in tokens)  # 32 random bytes each
    with review_db.session(gate.db_url) as db:
        stored = [tuple(map(str, row)) for row in db.execute(select(StaffSession.__table__)).all()]
    assert len(stored) == 20 and not any(t in repr(stored) for t in tokens)
    assert not any(t in repr(vars(gate)) for t in tokens)
    assert gate.session("") == "none" and gate.session(None) == "none"


def test_settings_come_from_the_environment():
    settings = Settings.from_env({"CONSOLE_SESSION_IDLE_MINUTES": "15", "CONSOLE_SESSION_MAX_HOURS": "8.5",
                                  "CONSOLE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ::1"})
    assert settings.idle_seconds == 900 and settings.max_seconds == 8.5 * 3600
    assert settings.trusted_proxies == (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"),
                                        ipaddress.ip_network("::1/128"))
    default = Settings.from_env({})
    assert (default.idle_seconds, default.max_seconds, default.trusted_proxies) == (1800, 43200, ())
    for bad in ({"CONSOLE_SESSION_IDLE_MINUTES": "0"}, {"CONSOLE_SESSION_MAX_HOURS": "twelve"},
                {"CONSOLE_TRUSTED_PROXIES": "proxy.example"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Settings.from_env(bad)


# ---- wrong passwords ----

def test_after_five_failures_a_client_waits_a_short_doubling_time(gate, clock):
    assert [a.ok or a.wait for a in guess(gate, "203.0.113.7", 5)] == [0] * 5
    refused = log_in(gate, "203.0.113.7")
    assert not refused.ok and refused.wait == pytest.approx(30)  # even the right password waits
    clock.advance(10)
    assert gate.wait("203.0.113.7") == pytest.approx(20)
    assert log_in(gate, "203.0.113.7", "guess").wait == pytest.approx(20)  # refused unchecked: not a failure
    clock.advance(20)
    waits = []
    for _ in range(8):
        assert log_in(gate, "203.0.113.7", "guess").wait == 0  # checked, and wrong
        waits.append(gate.wait("203.0.113.7"))
        clock.advance(waits[-1])
    assert waits == [60, 120, 240, 480, 900, 900, 900, 900]  # doubling, at most 15 minutes
    assert log_in(gate, "203.0.113.7").ok  # no lasting lock
    assert gate.wait("203.0.113.7") == 0 and guess(gate, "203.0.113.7", 5)[-1].wait == 0  # counting anew


def test_failures_are_forgotten_after_a_quiet_hour(gate, clock):
    guess(gate, "203.0.113.7", 7)
    clock.advance(auth.FORGET_AFTER + 1)
    assert gate.wait("203.0.113.7") == 0
    assert [a.wait for a in guess(gate, "203.0.113.7", 5)] == [0] * 5


def test_an_attacker_locked_out_does_not_lock_out_another_address(gate):
    guess(gate, "203.0.113.7", 12)
    assert gate.wait("203.0.113.7") > 0
    assert gate.wait("198.51.100.20") == 0
    assert log_in(gate, "198.51.100.20").ok


def test_a_browser_that_logged_in_before_is_not_kept_out_by_failures_from_its_address(gate):
    """Behind an untrusted proxy every client has the proxy's address: the device cookie tells staff apart."""
    device = log_in(gate, "10.0.0.1").device
    assert gate.device(device)
    guess(gate, "10.0.0.1", 12)  # an attacker behind the same proxy
    assert gate.wait("10.0.0.1") > 0 and log_in(gate, "10.0.0.1").wait > 0  # a new browser waits
    assert gate.wait("10.0.0.1", device) == 0
    assert log_in(gate, "10.0.0.1", device=device).ok
    # a device's own failures count for it alone, with the same back-off
    assert [a.wait for a in guess(gate, "10.0.0.1", 5, device)] == [0] * 5
    assert log_in(gate, "10.0.0.1", device=device).wait == pytest.approx(30)
    other = log_in(gate, "192.0.2.1").device
    assert log_in(gate, "10.0.0.1", device=other).ok


def test_device_cookies_cannot_be_forged_reused_elsewhere_or_kept_forever(gate, clock, tmp_path):
    device = log_in(gate, "10.0.0.1").device
    guess(gate, "10.0.0.1", 6)
    ident, issued, signature = device.split(".")
    forged = [f"{ident}.{issued}.{'0' * len(signature)}", f"other.{issued}.{signature}", f"{ident}.{issued}",
              "", "a.b.c.d", device + "x"]
    for cookie in forged:
        assert gate.device(cookie) is None and log_in(gate, "10.0.0.1", device=cookie).wait > 0, cookie
    # another database has another key (console processes sharing one accept each other's cookies:
    # test_console_accounts.py)
    elsewhere = new_gate(f"sqlite:///{tmp_path / 'elsewhere.db'}", clock)
    assert elsewhere.device(device) is None and gate.device(device)
    clock.advance(auth.DEVICE_DAYS * 86400 + 1)
    assert gate.device(device) is None


def test_the_global_limit_slows_guessing_from_many_addresses_but_lets_the_right_password_in(gate, clock):
    attackers = [f"203.0.113.{i}" for i in range(auth.GLOBAL_LIMIT)]
    for address in attackers:
        assert log_in(gate, address, "guess").wait == 0
    # every address that has failed now waits, though none has failed five times
    assert all(gate.wait(a) > 0 for a in attackers)
    assert log_in(gate, attackers[0]).wait > 0
    # a client that has not failed is checked: the right password gets in, a wrong one makes it wait too
    assert log_in(gate, "198.51.100.20").ok
    assert log_in(gate, "198.51.100.21", "guess").wait == 0 and gate.wait("198.51.100.21") > 0
    # so does a browser with a device cookie that had failed before
    device = log_in(gate, "198.51.100.30").device
    clock.advance(1)
    assert log_in(gate, "198.51.100.30", "typo", device).wait == 0
    assert log_in(gate, "198.51.100.30", device=device).ok
    # the wait lasts until the window's failures fall below the limit
    clock.advance(auth.GLOBAL_WINDOW)
    assert gate.wait(attackers[0]) == 0


def test_no_answer_tells_which_login_names_exist(gate, monkeypatch):
    """A wrong password, an unknown login name and a disabled account: the same answer after the same work (one
    argon2 check with the same parameters; argon2 compares in constant time)."""
    checked = []
    real = passwords.verify

    def spy(password_hash, password, hasher=passwords.HASHER):
        checked.append(password_hash)
        return real(password_hash, password, hasher)

    monkeypatch.setattr(passwords, "verify", spy)
    with review_db.session(gate.db_url) as db:
        store.add(db, "sato", "佐藤", PASSWORD, FAST)
        store.set_disabled(db, "sato", True)
    answers = [log_in(gate, "192.0.2.1", "x"), gate.login("192.0.2.2", "nobody", PASSWORD),
               gate.login("192.0.2.3", "sato", PASSWORD)]
    assert answers == [Attempt()] * 3
    assert len(checked) == 3 and all(h.startswith("$argon2id$") for h in checked)
    assert len({h.split("$")[3] for h in checked}) == 1  # the same parameters: the same cost
    assert all(gate.wait(a) == 0 for a in ("192.0.2.1", "192.0.2.2", "192.0.2.3"))
    assert log_in(gate, "192.0.2.4").ok and len(checked) == 4


def test_guesses_at_a_colleagues_login_name_do_not_lock_the_colleague_out(gate):
    """Failures count per client, never per account: anyone could otherwise lock staff out by name."""
    guess(gate, "203.0.113.7", 12)
    assert gate.wait("203.0.113.7") > 0
    assert log_in(gate, "198.51.100.20").ok
    assert gate.login("198.51.100.21", "TANAKA ", PASSWORD).ok  # typed in capitals, with a blank: the same name


# ---- the request: trusted proxies, TLS, Origin, cookies ----

def headers(**values):
    return lambda name: values.get(name.lower().replace("-", "_"))


TRUSTED = parse_networks("127.0.0.1, 10.0.0.0/8")


def test_forwarded_headers_are_ignored_by_default_and_from_untrusted_peers():
    forged = headers(host="console.example", x_forwarded_for="198.51.100.20", x_forwarded_proto="https",
                     x_forwarded_host="evil.example")
    for trusted in ((), TRUSTED):
        seen = visitor("203.0.113.7", False, forged, trusted)
        assert (seen.address, seen.tls, seen.host) == ("203.0.113.7", False, "console.example")
    assert visitor("127.0.0.1", False, forged).address == "127.0.0.1"  # nothing trusted unless configured


def test_a_trusted_proxy_names_the_client_and_the_scheme():
    seen = visitor("127.0.0.1", False, headers(host="127.0.0.1:5010", x_forwarded_for="198.51.100.20",
                                               x_forwarded_proto="https", x_forwarded_host="console.example"), TRUSTED)
    assert (seen.address, seen.tls, seen.host) == ("198.51.100.20", True, "console.example")
    # entries left of the client are what the client sent: never believed
    spoofed = visitor("127.0.0.1", False, headers(x_forwarded_for="192.0.2.99, 203.0.113.7"), TRUSTED)
    assert spoofed.address == "203.0.113.7"
    # a chain of trusted proxies is walked back to the first address that is not one
    chain = visitor("127.0.0.1", False, headers(x_forwarded_for="192.0.2.99, 203.0.113.7, 10.1.2.3"), TRUSTED)
    assert chain.address == "203.0.113.7"
    assert visitor("::ffff:10.0.0.5", False, headers(x_forwarded_for="203.0.113.7"), TRUSTED).address == "203.0.113.7"
    assert visitor("127.0.0.1", False, headers(), TRUSTED).address == "127.0.0.1"  # the proxy's own request
    assert visitor("127.0.0.1", False, headers(x_forwarded_for="junk"), TRUSTED).address == "127.0.0.1"
    assert not visitor("127.0.0.1", False, headers(x_forwarded_proto="http"), TRUSTED).tls
    assert visitor("203.0.113.7", True, headers()).tls  # TLS straight to the console


def test_posts_must_come_from_the_consoles_own_host():
    assert same_origin(None, "127.0.0.1:5010")  # not a browser acting for someone
    assert same_origin("http://127.0.0.1:5010", "127.0.0.1:5010")
    assert same_origin("https://Console.Example", "console.example:443")
    assert not same_origin("https://evil.example", "console.example")
    assert not same_origin("http://127.0.0.1:5011", "127.0.0.1:5010")
    assert not same_origin("null", "127.0.0.1:5010")
    assert not same_origin("http://127.0.0.1:99999", "127.0.0.1:5010")
    assert not same_origin("http://127.0.0.1:5010", "")


def set_cookie_header(secure: bool, max_age: int = 3600) -> str:
    answer = response.redirect("/")
    auth.set_cookie(answer.cookies, auth.SESSION_COOKIE, "token", secure=secure, max_age=max_age)
    return str(answer.cookies[auth.SESSION_COOKIE])


def test_the_session_cookie_is_httponly_strict_and_secure_over_tls():
    plain = set_cookie_header(secure=False)
    assert "HttpOnly" in plain and "SameSite=Strict" in plain and "Path=/" in plain and "Max-Age=3600" in plain
    assert "Secure" not in plain
    assert "Secure" in set_cookie_header(secure=True)
    cleared = response.redirect("/")
    auth.clear_cookie(cleared.cookies, auth.SESSION_COOKIE, secure=True)
    assert "Max-Age=0" in str(cleared.cookies[auth.SESSION_COOKIE])

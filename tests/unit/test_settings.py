"""The settings (common/settings.py): defaults, bounds, one failure policy naming the variable, the README's table,
and the one message cap every text cap derives from."""
from __future__ import annotations

import ast
import ipaddress
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import annotated_types
import pytest
from pydantic import SecretStr

from common import settings as module
from common.settings import (
    KEEPS_EMPTY,
    KEPT_MESSAGE_CHARS,
    MAX_MESSAGE_CHARS,
    NAMES,
    Network,
    Settings,
    SettingsError,
    expected,
    settings,
    shown_default,
)

ROOT = Path(__file__).resolve().parents[2]
FIELDS = dict(zip(NAMES, Settings.model_fields))  # variable -> field
NUMBERS = [name for name, field in FIELDS.items() if Settings.model_fields[field].annotation in (int, float)]
NETWORKS = [name for name, field in FIELDS.items() if Settings.model_fields[field].annotation == Tuple[Network, ...]]


def bounds(name: str) -> Tuple[Optional[float], bool, Optional[float], bool]:
    """(low, low inclusive, high, high inclusive) of a numeric variable."""
    low = high = None
    low_inclusive = high_inclusive = True
    for bound in Settings.model_fields[FIELDS[name]].metadata:
        if isinstance(bound, annotated_types.Ge):
            low = bound.ge
        elif isinstance(bound, annotated_types.Gt):
            low, low_inclusive = bound.gt, False
        elif isinstance(bound, annotated_types.Le):
            high = bound.le
        elif isinstance(bound, annotated_types.Lt):
            high, high_inclusive = bound.lt, False
    return low, low_inclusive, high, high_inclusive


# ---- defaults -------------------------------------------------------------------------------------------------------

def test_unset_is_the_declared_default():
    assert settings({}) == Settings()
    defaults = settings({})
    assert (defaults.rate_limit_messages, defaults.rate_limit_window_seconds, defaults.rate_limit_address_messages,
            defaults.line_max_events_in_flight, defaults.line_event_ids_seconds) == (40, 60, 120, 100, 86400)
    assert (defaults.action_timeout_seconds, defaults.lock_keepalive_seconds) == (15, 10)
    assert (defaults.conversation_retention_hours, defaults.conversation_retention_days) == (24, 30)
    assert (defaults.console_session_idle_minutes, defaults.console_session_max_hours) == (30, 12)
    assert defaults.review_retention_days == 90 and defaults.rasa_url == "http://127.0.0.1:5005"
    assert defaults.assistant_trusted_proxies == defaults.console_trusted_proxies == ()
    assert defaults.lock_redis_host is None and (defaults.lock_redis_port, defaults.lock_redis_db) == (6379, 0)
    assert (defaults.handover_queue_timeout_seconds, defaults.handover_default_wait_seconds) == (600, 180)
    assert (defaults.handover_retention_days, defaults.callback_retention_days) == (30, 30)
    assert defaults.handover_staffed_hours is None  # knowledge/calendar.yml's


@pytest.mark.parametrize("name", NAMES)
def test_empty_or_blank_is_the_default_unless_empty_means_something(name):
    field = FIELDS[name]
    for blank in ("", "   "):
        value = getattr(settings({name: blank}), field)
        if field in KEEPS_EMPTY:
            assert value == blank.strip() == ""
        else:
            assert value == Settings.model_fields[field].default


@pytest.mark.parametrize("name", NAMES)
def test_every_variable_is_described_in_one_line(name):
    description = Settings.model_fields[FIELDS[name]].description
    assert description and "\n" not in description and "|" not in description


def test_values_are_read_when_asked_for(monkeypatch):
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "7")
    assert settings().review_retention_days == 7
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "8")
    assert settings().review_retention_days == 8
    monkeypatch.delenv("REVIEW_RETENTION_DAYS")
    assert settings().review_retention_days == 90


def test_only_the_mapping_given_is_read(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_MESSAGES", "ten")  # bad, but not what is asked about
    assert settings({"RATE_LIMIT_MESSAGES": "5"}).rate_limit_messages == 5
    assert settings({}).rate_limit_messages == 40


def test_values_are_typed_and_trimmed_secrets_hidden():
    current = settings({"RATE_LIMIT_MESSAGES": " 5 ", "CONSOLE_SESSION_MAX_HOURS": "8.5", "LOCK_REDIS_HOST": " h ",
                        "CONSOLE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ::1", "CONSOLE_PASSWORD": " pass word ",
                        "REVIEW_SALT": "s-41", "LOCK_REDIS_PASSWORD": "r-42", "RASA_API_TOKEN": "t-43"})
    assert current.rate_limit_messages == 5 and current.console_session_max_hours == 8.5
    assert current.lock_redis_host == "h"
    assert current.console_trusted_proxies == (ipaddress.ip_network("127.0.0.1/32"),
                                               ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    assert isinstance(current.console_password, SecretStr)
    assert current.console_password.get_secret_value() == " pass word "  # a secret is taken as it is
    assert not any(secret in repr(current) + str(current) for secret in ("pass word", "s-41", "r-42", "t-43"))


# ---- one failure policy: a bad value stops, naming the variable ----------------------------------------------------

@pytest.mark.parametrize("name", NUMBERS + NETWORKS)
def test_a_bad_value_stops_with_a_message_naming_the_variable(name):
    bad = "proxy.example" if name in NETWORKS else "abc"
    with pytest.raises(SettingsError) as raised:
        settings({name: bad})
    assert str(raised.value) == f"{name} must be {expected(FIELDS[name])}, not {bad!r}"
    assert isinstance(raised.value, ValueError)  # callers that stop on a ValueError stop on this too


def test_the_message_reads_as_the_issue_asks():
    with pytest.raises(SettingsError, match=r"^ACTION_TIMEOUT_SECONDS must be a number between 0 and 3600, not 'abc'$"):
        settings({"ACTION_TIMEOUT_SECONDS": "abc"})
    with pytest.raises(SettingsError, match=r"^RATE_LIMIT_MESSAGES must be a whole number of 0 or more, not '2.5'$"):
        settings({"RATE_LIMIT_MESSAGES": "2.5"})


def test_every_bad_variable_is_named_at_once():
    with pytest.raises(SettingsError) as raised:
        settings({"RATE_LIMIT_MESSAGES": "-1", "LOCK_KEEPALIVE_SECONDS": "x", "CONSOLE_TRUSTED_PROXIES": "localhost"})
    lines = str(raised.value).splitlines()
    assert [line.split()[0] for line in lines] == ["RATE_LIMIT_MESSAGES", "LOCK_KEEPALIVE_SECONDS",
                                                   "CONSOLE_TRUSTED_PROXIES"]


def test_a_bad_value_is_raised_on_every_read(monkeypatch):
    monkeypatch.setenv("LOCK_REDIS_PORT", "six")
    for _ in range(2):  # a failure is not cached away
        with pytest.raises(SettingsError, match="LOCK_REDIS_PORT"):
            settings()


# ---- bounds --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NUMBERS)
def test_bounds(name):
    field = FIELDS[name]
    is_int = Settings.model_fields[field].annotation is int
    step = 1 if is_int else 0.5
    low, low_inclusive, high, high_inclusive = bounds(name)
    assert low is not None, f"{name} has no lower bound"
    inside_low = low if low_inclusive else low + step
    outside_low = low - step if low_inclusive else low
    assert getattr(settings({name: str(inside_low)}), field) == inside_low
    with pytest.raises(SettingsError, match=name):
        settings({name: str(outside_low)})
    if high is not None:
        inside_high = high if high_inclusive else high - step
        outside_high = high + step if high_inclusive else high
        assert getattr(settings({name: str(inside_high)}), field) == inside_high
        with pytest.raises(SettingsError, match=name):
            settings({name: str(outside_high)})
    if not is_int:
        for endless in ("inf", "nan"):
            with pytest.raises(SettingsError, match=name):
                settings({name: endless})


def test_durations_that_would_hang_or_stall_turns_are_refused():
    for name in ("ACTION_TIMEOUT_SECONDS", "LOCK_KEEPALIVE_SECONDS"):
        for bad in ("0", "-5", "3600", "86400"):
            with pytest.raises(SettingsError, match=name):
                settings({name: bad})


def test_the_keepalive_outlasts_two_renewals():
    from bot.lock_store import RENEW_EVERY

    low, low_inclusive, _, _ = bounds("LOCK_KEEPALIVE_SECONDS")
    assert (low, low_inclusive) == (2 * RENEW_EVERY, False)


# ---- the README's table --------------------------------------------------------------------------------------------

def readme_settings() -> Dict[str, List[str]]:
    """The rows of the table in the README's "Settings" section: variable -> [default, description]."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows: Dict[str, List[str]] = {}
    for line in section.splitlines():
        found = re.fullmatch(r"\| `([A-Z0-9_]+)` \| (.*?) \| (.*) \|", line)
        if found:
            assert found.group(1) not in rows, f"{found.group(1)} is listed twice"
            rows[found.group(1)] = [found.group(2), found.group(3)]
    return rows


def test_the_readme_lists_every_setting_with_its_default():
    documented = readme_settings()
    hint = "regenerate the table with `python -m common.settings`"
    assert not set(documented) - set(NAMES), f"documented but not a setting: {set(documented) - set(NAMES)}"
    assert not set(NAMES) - set(documented), f"settings missing from the README ({hint}): {set(NAMES) - set(documented)}"
    for name, (default, description) in documented.items():
        field = FIELDS[name]
        assert default == shown_default(field), f"README: {name} defaults to {default}, settings: {shown_default(field)}"
        assert description == Settings.model_fields[field].description, f"README: {name}'s description ({hint})"


def test_the_table_is_what_the_module_prints():
    assert module.markdown_table() in (ROOT / "README.md").read_text(encoding="utf-8")


# ---- the one message cap -------------------------------------------------------------------------------------------

def test_every_text_cap_derives_from_the_message_cap():
    from bot.components.sudachi_tokenizer import SudachiTokenizer
    from bot.limits import MAX_MESSAGE_CHARS as BOT_CAP
    from bot.limits import stored_message
    from review.log import MAX_STORED_CHARS
    from review.masking import MAX_CHARS

    assert BOT_CAP == MAX_MESSAGE_CHARS == 1000 and KEPT_MESSAGE_CHARS == MAX_MESSAGE_CHARS + 1
    assert len(stored_message("あ" * 5000)) == KEPT_MESSAGE_CHARS  # what Rasa keeps of a longer message
    assert MAX_STORED_CHARS == MAX_CHARS == SudachiTokenizer.get_default_config()["max_characters"] == KEPT_MESSAGE_CHARS
    assert 4 * KEPT_MESSAGE_CHARS < 49149  # Sudachi's input limit in bytes, at 4 bytes a character at most


def test_the_web_chat_input_takes_the_message_cap():
    script = (ROOT / "webchat" / "static" / "assistant-chat.js").read_text(encoding="utf-8")
    assert re.findall(r"maxLength = (\d+);", script) == [str(MAX_MESSAGE_CHARS)]


# ---- the bottom layer ----------------------------------------------------------------------------------------------

def test_common_imports_nothing_of_the_projects_own():
    own = {"bot", "console", "eval", "handover", "knowledge", "review", "tests", "webchat"}
    for path in (ROOT / "common").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not {name.split(".")[0] for name in names} & own, f"{path.name} imports {names}"

"""The environment variables the project's Python code reads: each declared once, with its type, default and bounds.

``settings()`` reads them (from ``os.environ``, or from a mapping a test passes) into one :class:`Settings`. One
policy for every variable:

- unset, empty or blank: the default declared here (the only place a default is written down);
- set to a value of the wrong type or outside its bounds: :class:`SettingsError`, naming the variable, what it must
  be and the value found (``ACTION_TIMEOUT_SECONDS must be a number between 0 and 3600, not 'abc'``). The servers
  read their settings as they start, so a bad value stops the start: a setting silently replaced by its default
  would look configured and not be.

Two variables keep an empty value as a value (``KEEPS_EMPTY``): ``RASA_URL=""`` means a console without the
assistant, ``ASSISTANT_CORS_ORIGINS=""`` means no web page may call the REST channel.

Reading is cheap (the variables are looked up, and a new set of values is validated once), so code that read a
variable on each call still does, and a test's ``monkeypatch.setenv`` applies at once.

The README's settings table is this module's :func:`markdown_table` (``python -m common.settings`` prints it;
tests/unit/test_settings.py checks that the README matches). Variables read by Rasa, nginx or the shell scripts
only (``TICKET_LOCK_LIFETIME``, ``SQL_POOL_SIZE``, ``LINE_CHANNEL_SECRET``, ``PROD_*``...) are not here:
scripts/prod/env.sh lists them.

This module also holds the one message-length cap, :data:`MAX_MESSAGE_CHARS`, which is fixed, not a setting: the
refusal's wording and the trained model depend on it.
"""
from __future__ import annotations

import ipaddress
import os
import re
from datetime import time
from functools import lru_cache
from typing import Annotated, Any, List, Mapping, NamedTuple, Optional, Tuple, Union

import annotated_types
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings.sources import PydanticBaseSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

# ---- the one message cap ----------------------------------------------------------------------------------------

# Characters in one user message; a longer message is refused politely (bot/components/input_guard.py), and the
# refusal says this number (bot/actions/unsure.py). Every other cap on a message's text derives from it.
MAX_MESSAGE_CHARS = 1000
# What a channel hands to Rasa of a longer message: cut one character past the cap, so the input guard still sees
# that it is too long (bot.limits.stored_message). No later step needs more of a message than this.
KEPT_MESSAGE_CHARS = MAX_MESSAGE_CHARS + 1

# ---- IP networks (trusted proxies) ------------------------------------------------------------------------------

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def parse_networks(text: str) -> Tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` as networks; ValueError naming the entry that is neither address nor network."""
    networks = []
    for entry in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


# Addresses or networks, comma- or space-separated: read as text (pydantic-settings would expect JSON).
Networks = Annotated[Tuple[Network, ...], NoDecode]

# ---- weekly hours (the staffed hours of handover) ---------------------------------------------------------------

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKLY_HOURS_EXPECTED = ("days and hours such as 'mon-fri 08:30-17:15' (days mon to sun, a range or a "
                         "comma-separated list)")
_WEEKLY_HOURS = re.compile(r"(?P<days>\S+)\s+(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})")


class WeeklyHours(NamedTuple):
    """Days of the week (``"mon"`` … ``"sun"``, in week order) and one period each day, ``opens <= t < closes``."""

    days: Tuple[str, ...]
    opens: time
    closes: time


def _time_of_day(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ValueError(f"{text} is not a time of day, 00:00 to 23:59")
    return time(hours, minutes)


def parse_weekly_hours(text: str) -> WeeklyHours:
    """``"mon-fri 08:30-17:15"`` or ``"mon,wed,fri 9:00-12:00"`` as :class:`WeeklyHours`; ValueError saying what is
    wrong (a day that is not one, a range running backwards, a time that is not one, opening not before closing)."""
    found = _WEEKLY_HOURS.fullmatch(text.strip().lower())
    if not found:
        raise ValueError("expected days, a space, then opening-closing")
    days: set[str] = set()
    for part in found.group("days").split(","):
        first, _, last = part.partition("-")
        for name in (first, last or first):
            if name not in DAY_NAMES:
                raise ValueError(f"{repr(name) if name else 'an empty day'} is not one of {', '.join(DAY_NAMES)}")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        if start > end:
            raise ValueError(f"the range {part} runs backwards")
        days.update(DAY_NAMES[start:end + 1])
    opens, closes = _time_of_day(found.group("opens")), _time_of_day(found.group("closes"))
    if opens >= closes:
        raise ValueError(f"opening {opens:%H:%M} is not before closing {closes:%H:%M}")
    return WeeklyHours(tuple(day for day in DAY_NAMES if day in days), opens, closes)


# ---- the settings -----------------------------------------------------------------------------------------------

KEEPS_EMPTY = frozenset({"rasa_url", "assistant_cors_origins"})
NETWORKS_EXPECTED = "IP addresses or networks, comma- or space-separated"
# Variables whose refusal also says what exactly is wrong with the value (the parser's reason, after the value).
EXPLAINED = frozenset({"handover_staffed_hours"})


class SettingsError(ValueError):
    """A variable set to a value it cannot have; the message names each such variable."""


class Settings(BaseSettings):
    """Every variable, as a field named like it in lower case (``RATE_LIMIT_MESSAGES``: ``rate_limit_messages``).

    ``Settings()`` is the defaults; :func:`settings` reads the environment."""

    model_config = SettingsConfigDict(frozen=True, allow_inf_nan=False, extra="ignore")

    # -- how fast one sender may write, and how much the LINE channel takes on (bot/sender_limits.py, bot/channels/).
    # A business owner types Japanese through an input method and reads each answer: even typing fast and tapping
    # choices and 👍/👎, that is at most a message every few seconds (about 10 to 20 a minute). 40 a minute is twice
    # that, so no real user meets it, while a runaway script or a stuck client is stopped after 40 turns instead of
    # taking a process's every turn.
    rate_limit_messages: int = Field(
        40, ge=0, description="messages one sender may send per window, on each channel (0: no limit)")
    rate_limit_window_seconds: int = Field(
        60, ge=1, le=86400, description="the window (seconds) both message limits count in")
    # Senders are chosen by the client, so this is what stops one machine posing as many senders; an office behind
    # one address with several people consulting at once (a message every 20 s or so each) stays far below it.
    # Loopback peers (the machine itself, a local proxy) are never counted: see bot/channels/rest.py.
    rate_limit_address_messages: int = Field(
        120, ge=0, description="REST messages from one client address per window when Rasa is reached directly "
                               "(`make run`; nginx limits per address in production; 0: no limit)")
    assistant_trusted_proxies: Networks = Field(
        (), description="proxies whose `X-Forwarded-For` the REST channel believes (addresses or networks, "
                        "comma-separated; none by default)")
    # A process's turns share one event loop; a turn takes about 30 ms, at most a few hundred (measured over REST on
    # 2 cores), so 100 waiting events are answered well within the reply token's minute (LINE: a reply token is to
    # be used within a minute of receipt); a longer backlog would turn replies into pushes, which count against the
    # month's quota.
    line_max_events_in_flight: int = Field(
        100, ge=0, description="LINE events one Rasa process works on at once; 503 beyond, so LINE redelivers "
                               "(0: no limit)")
    # LINE does not disclose how long it retries; a redelivered reply token only works within 20 minutes of the
    # event (LINE's reply documentation). A day is far beyond both, at a few dozen bytes per event.
    line_event_ids_seconds: int = Field(
        24 * 3600, ge=0, description="how long (seconds) a LINE webhookEventId is remembered in Redis so that a "
                                     "redelivery is answered once (0: in memory only)")

    # -- turns, conversations and locks (bot/channels/unavailable.py, bot/tracker_store.py, bot/lock_store.py).
    # 15 s: before the web chat gives up at 20 s, instead of Rasa's five minutes.
    action_timeout_seconds: float = Field(
        15.0, gt=0, lt=3600, description="seconds a custom action may take before Rasa counts it as failed and the "
                                         "channel answers politely")
    conversation_retention_hours: float = Field(
        24.0, gt=0, description="a conversation idle this long is forgotten whole (in memory, `make run`)")
    conversation_retention_days: float = Field(
        30.0, gt=0, description="a conversation idle this long is deleted whole (PostgreSQL, `make run-prod`)")
    # Bounds how long a crash stalls its conversations (tests/prod/test_faults.py): well under the web chat's 20 s,
    # far above the longest pause of a process's event loop (its renewals run there). Above twice the renewal period
    # (bot/lock_store.py RENEW_EVERY, 1 s), so one late renewal does not let a live ticket expire.
    lock_keepalive_seconds: float = Field(
        10.0, gt=2, lt=3600, description="a dead process's conversation locks expire this long after its last "
                                         "renewal")
    # The lock store's Redis (endpoints-prod.yml); bot/shared_state.py uses the same one for rate counts and LINE ids.
    lock_redis_host: Optional[str] = Field(
        None, description="Redis shared by the Rasa processes (unset: none, `make run`: counts kept in memory)")
    lock_redis_port: int = Field(6379, ge=1, le=65535, description="its port")
    lock_redis_db: int = Field(0, ge=0, description="its database number")
    lock_redis_password: Optional[SecretStr] = Field(None, description="its password (unset: none)")

    # -- stores (knowledge/db.py, review/).
    knowledge_db_url: Optional[str] = Field(
        None, description="the knowledge store's SQLAlchemy URL (unset: SQLite `knowledge/knowledge.db`)")
    review_db_url: Optional[str] = Field(
        None, description="the review log's SQLAlchemy URL (unset: SQLite `review/review.db`)")
    review_retention_days: int = Field(
        90, ge=1, description="review log entries older than this are pruned")
    review_salt: Optional[SecretStr] = Field(
        None, description="salt of the conversations' hashes, for several databases that must agree (unset: one "
                          "random salt per database)")

    # -- handover to a person (handover/): its tables are in the review log's database (REVIEW_DB_URL).
    # Ten minutes in a queue is long in a chat window; after it the user is told, and offered a call back.
    handover_queue_timeout_seconds: int = Field(
        600, ge=1, description="a request for a person not taken within this many seconds times out and the user "
                               "is told")
    # The estimate before any handover has ended: about one short consultation.
    handover_default_wait_seconds: int = Field(
        180, ge=0, description="the expected handling time of one handover (seconds) until there is a history to "
                               "measure")
    handover_staffed_hours: Annotated[Optional[WeeklyHours], NoDecode] = Field(
        None, description="days and hours staff answer handovers, e.g. `mon-fri 08:30-17:15` (unset: "
                          "`knowledge/calendar.yml`'s; its public-holiday and year-end closures apply either way)")
    # Conversations with staff and call-back requests hold what users wrote and how to reach them.
    handover_retention_days: int = Field(
        30, ge=1, description="handovers ended longer ago than this lose their messages and sender id (times, "
                              "staff and outcome stay for the figures)")
    callback_retention_days: int = Field(
        30, ge=1, description="call-back requests done longer ago than this are deleted")
    # How fast a staff message reaches the user (the web chat's stream and the LINE pushes read the shared database
    # this often; the target is 1 s at p95) against the database's load: one small indexed query per open web chat
    # stream and one claim per Rasa process per interval.
    handover_delivery_interval_seconds: float = Field(
        0.25, ge=0.05, le=60, description="how often (seconds) each Rasa process looks for staff messages to deliver "
                                         "(web chat streams, LINE pushes) and for waits that timed out")

    # -- the staff console (console/).
    # Read once, when the console starts on a database without any staff account (console/__main__.py).
    console_password: Optional[SecretStr] = Field(
        None, description="the password of the first staff account, `staff`, which the console creates when it "
                          "starts with no account at all (unset: a random one, printed then)")
    console_session_idle_minutes: float = Field(
        30.0, gt=0, description="a console session ends after this long without a request")
    console_session_max_hours: float = Field(
        12.0, gt=0, description="a console session ends this long after login, whatever the activity")
    console_trusted_proxies: Networks = Field(
        (), description="proxies whose forwarded headers the console believes (addresses or networks, "
                        "comma-separated; none by default)")
    rasa_url: str = Field(
        "http://127.0.0.1:5005", description="the Rasa server the console ranks candidates with (empty: none, "
                                             "the console's own search)")
    rasa_api_token: Optional[SecretStr] = Field(
        None, description="the Rasa HTTP API's token (scripts/serve.sh generates one per run)")

    # -- the test servers and benchmark (eval/servers.py); scripts/serve.sh and scripts/prod/ read the same names.
    assistant_model: Optional[str] = Field(
        None, description="the model the test servers use (unset: trained if the data changed)")
    assistant_cors_origins: Optional[str] = Field(
        None, description="web pages (origins) that may call the REST channel, space- or comma-separated (unset: "
                          "the demo page's; the test servers: any page on loopback; empty: none)")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        """Empty or blank: the default (except for ``KEEPS_EMPTY``); surrounding blanks are dropped, except from
        secrets."""
        if not isinstance(value, str):
            return value
        if not value.strip() and info.field_name not in KEEPS_EMPTY:
            raise PydanticUseDefault()
        annotation: Any = cls.model_fields[info.field_name or ""].annotation
        return value if annotation == Optional[SecretStr] else value.strip()

    @field_validator("assistant_trusted_proxies", "console_trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value: Any) -> Any:
        return parse_networks(value) if isinstance(value, str) else value

    @field_validator("handover_staffed_hours", mode="before")
    @classmethod
    def _parse_weekly_hours(cls, value: Any) -> Any:
        """Text is parsed; blank text is left to ``_blank_is_unset`` (this validator runs before it)."""
        return parse_weekly_hours(value) if isinstance(value, str) and value.strip() else value

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource
                                   ) -> Tuple[PydanticBaseSettingsSource, ...]:
        """Only what :func:`settings` passes: it reads the environment it is given (a test's mapping, or
        os.environ), never os.environ behind a test's back."""
        return (init_settings,)


NAMES: Tuple[str, ...] = tuple(name.upper() for name in Settings.model_fields)


class _Environment(EnvSettingsSource):
    """Pydantic-settings' environment source, reading the given mapping instead of os.environ."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(Settings, case_sensitive=False, env_ignore_empty=False)

    def _load_env_vars(self) -> Mapping[str, Optional[str]]:
        return parse_env_vars(self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


def settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """The settings from ``environ`` (default: ``os.environ``, read now); SettingsError naming every bad variable."""
    environ = os.environ if environ is None else environ
    return _read(tuple(environ.get(name) for name in NAMES))


@lru_cache(maxsize=16)
def _read(values: Tuple[Optional[str], ...]) -> Settings:
    """The settings for one set of values (a failure is not cached: it is raised again)."""
    given = {name: value for name, value in zip(NAMES, values) if value is not None}
    try:
        return Settings(**_Environment(given)())
    except ValidationError as error:
        raise SettingsError("\n".join(_problem(problem, given) for problem in error.errors())) from None


def _problem(problem: Mapping[str, Any], given: Mapping[str, str]) -> str:
    field = str(problem["loc"][0]) if problem.get("loc") else ""
    name = field.upper()
    if field not in Settings.model_fields:
        return f"settings: {problem.get('msg')}"
    message = f"{name} must be {expected(field)}, not {given.get(name, problem.get('input'))!r}"
    reason = (problem.get("ctx") or {}).get("error")
    return f"{message} ({reason})" if field in EXPLAINED and reason else message


def expected(field: str) -> str:
    """What a variable must be, in words: ``"a number between 0 and 3600"``."""
    info: FieldInfo = Settings.model_fields[field]
    annotation: Any = info.annotation
    if annotation == Tuple[Network, ...]:
        return NETWORKS_EXPECTED
    if annotation == Optional[WeeklyHours]:
        return WEEKLY_HOURS_EXPECTED
    kind = {int: "a whole number", float: "a number"}.get(annotation, "text")
    low = high = None
    low_inclusive = True
    for bound in info.metadata:
        if isinstance(bound, (annotated_types.Ge, annotated_types.Gt)):
            low = bound.ge if isinstance(bound, annotated_types.Ge) else bound.gt
            low_inclusive = isinstance(bound, annotated_types.Ge)
        elif isinstance(bound, (annotated_types.Le, annotated_types.Lt)):
            high = bound.le if isinstance(bound, annotated_types.Le) else bound.lt
    if low is not None and high is not None:
        return f"{kind} between {low:g} and {high:g}"
    if low is not None:
        return f"{kind} of {low:g} or more" if low_inclusive else f"{kind} greater than {low:g}"
    return kind


# ---- the README's table -----------------------------------------------------------------------------------------

def shown_default(field: str) -> str:
    """A variable's default as the README shows it: the value, ``none`` for an empty list, ``unset``."""
    default = Settings.model_fields[field].default
    if default is None:
        return "unset"
    if default == ():
        return "none"
    if isinstance(default, float):
        return f"{default:g}"
    return str(default)


def table_rows() -> List[Tuple[str, str, str]]:
    """(variable, default, description) of every setting, in declaration order."""
    return [(name, shown_default(field), info.description or "")
            for name, (field, info) in zip(NAMES, Settings.model_fields.items())]


def markdown_table() -> str:
    rows = ["| variable | default | what |", "|---|---|---|"]
    rows += [f"| `{name}` | {default} | {description} |" for name, default, description in table_rows()]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())

"""What the store hands out: plain, immutable records with aware UTC times, detached from any database session.

Fields that identify a person or hold what they wrote (sender ids, message texts, call-back needs and contacts) are
left out of ``repr``: a record that ends up in a log line or a traceback shows its ids and states, not the person.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Dict, Optional, Tuple

from handover.models import ACTIVE, CONNECTED, QUEUED


@dataclass(frozen=True)
class Handover:
    id: int
    sender: Optional[str] = field(repr=False)  # None once pruned (HANDOVER_RETENTION_DAYS)
    channel: str
    state: str                                 # queued, connected, ended, timed_out
    focus: Optional[int]                       # the program section under discussion
    candidates: Tuple[int, ...]                # section numbers, best first
    requested_at: datetime
    updated_at: datetime
    taken_at: Optional[datetime]
    taken_by: Optional[str]                    # staff login
    taken_by_name: Optional[str]               # staff display name
    ended_at: Optional[datetime]
    outcome: Optional[str]                     # returned, user_left, timed_out

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def queued(self) -> bool:
        return self.state == QUEUED

    @property
    def connected(self) -> bool:
        return self.state == CONNECTED


@dataclass(frozen=True)
class Message:
    id: int                                    # monotonic: a cursor for delivery (messages_after)
    handover_id: int
    sender: Optional[str] = field(repr=False)
    author: str                                # user, staff, system
    text: str = field(repr=False)
    custom: Optional[Dict[str, Any]]           # a reply-contract payload, e.g. {"handover": {...}}
    key: Optional[str]                         # the client's idempotency key
    created_at: datetime
    delivered_at: Optional[datetime]           # LINE: pushed
    claimed_by: Optional[str]                  # LINE: the worker (and claim) that reserved it
    claimed_at: Optional[datetime]


@dataclass(frozen=True)
class Callback:
    """A request to be called (or written to) back. ``contact`` is personal data: never logged, never in a repr."""

    id: int
    sender: Optional[str] = field(repr=False)
    channel: str
    section: Optional[int]
    need: str = field(repr=False)
    contact: str = field(repr=False)
    status: str                                # new, in_progress, done
    created_at: datetime
    updated_at: datetime
    done_at: Optional[datetime]


@dataclass(frozen=True)
class Presence:
    login: str
    name: str
    last_seen: datetime


@dataclass(frozen=True)
class Figures:
    """Handovers requested in a range of Japan-time days (handover/figures.py)."""

    per_day: Tuple[Tuple[date, int], ...]      # every day, zero included
    requests: int
    taken: int
    median_wait_seconds: Optional[float]       # request to take, over those taken; None: none taken
    timed_out: int
    timed_out_share: Optional[float]           # of those no longer queued; None: none yet

"""The suite-wide check "0 assistant replies while a person holds a conversation" (issue 19's target).

What it measures is what reached users: the assistant's utterances (``bot`` events) in the conversations' Rasa
trackers, the record of every reply Rasa sent on any channel, set against the handover records of the same run
(handover/models.py: a handover holds its sender from ``requested_at`` until ``ended_at``, or until now when it is
still queued or connected). A reply counts as given while held when the turn it belongs to began inside a held
interval: the user message it answers was received by Rasa then (the hold layer, bot/channels/hold.py, should have
kept it from Rasa), or, for a reply with no user message before it, the reply itself was sent then. The turn that
asks for a person is not counted: its user message came before the request, and its answer is the queue notice.

The e2e and production fixtures (tests/e2e/conftest.py, tests/prod/conftest.py) run :func:`check` at the end of the
session, while their Rasa servers still run, with the tracker events read over Rasa's HTTP API (memory store) or
from the SQL tracker store; the figure is printed, and a count above 0 fails the session.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

import requests
from sqlalchemy import inspect, select, text

from knowledge.db import engine_for

Events = Callable[[str], List[Mapping[str, Any]]]  # a sender's tracker events, oldest first (Rasa's JSON shape)

# How far two of a test's processes may disagree on the time: requested_at is stamped by the action server and the
# tracker's times by Rasa, each on its own clock (tests/clocked.py's fixed clocks were seen half a second apart),
# so the turn that asks for a person may look as if it began just after the request. A held message reaches Rasa
# only by a bug, and a test that shows one sends it well after the request.
CLOCK_SKEW_SECONDS = 2.0


@dataclass(frozen=True)
class Hold:
    """One handover's held interval, in Unix seconds (Rasa's event timestamps)."""

    handover: int
    sender: str
    start: float            # requested_at
    end: Optional[float]    # ended_at; None: still queued or connected (held until now)

    def covers(self, moment: float) -> bool:
        return self.start + CLOCK_SKEW_SECONDS <= moment and (self.end is None or moment < self.end)


@dataclass(frozen=True)
class Result:
    handovers: int          # handovers with a sender, checked
    replies: List[Dict[str, Any]]  # the replies given while held: handover id, sender, the reply's text and time

    @property
    def count(self) -> int:
        return len(self.replies)

    def line(self, where: str) -> str:
        return (f"held-reply check ({where}): {self.count} assistant replies while a person held the conversation, "
                f"over {self.handovers} handovers")


def _seconds(moment: Optional[datetime]) -> Optional[float]:
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)  # SQLite: naive UTC
    return aware.timestamp()


def holds(review_url: str) -> List[Hold]:
    """Every handover of the review database that still names its sender (a pruned one cannot be matched), as held
    intervals; none when handover's tables were never made there."""
    from handover import models

    engine = engine_for(review_url)
    if not inspect(engine).has_table(models.Handover.__tablename__):
        return []
    table = models.Handover
    with engine.connect() as connection:
        rows = connection.execute(select(table.id, table.sender, table.requested_at, table.ended_at).where(
            table.sender.is_not(None)).order_by(table.id)).all()
    return [Hold(row.id, row.sender, _seconds(row.requested_at) or 0.0, _seconds(row.ended_at)) for row in rows]


def replies_while_held(events: Iterable[Mapping[str, Any]], intervals: Sequence[Hold]) -> List[Dict[str, Any]]:
    """The ``bot`` events among ``events`` (one conversation's, oldest first) whose turn began inside one of
    ``intervals`` (that conversation's): see the module's docstring."""
    found = []
    turn_began: Optional[float] = None  # when Rasa received the user message the next replies answer
    for event in events:
        kind, moment = event.get("event"), float(event.get("timestamp") or 0.0)
        if kind == "user":
            turn_began = moment
        elif kind == "bot":
            began = moment if turn_began is None else turn_began
            for hold in intervals:
                if hold.covers(began):
                    found.append({"handover": hold.handover, "sender": hold.sender, "text": event.get("text"),
                                  "timestamp": moment})
                    break
    return found


def count(intervals: Sequence[Hold], events_of: Events) -> Result:
    """The replies given while held, over every sender that had a handover."""
    by_sender: Dict[str, List[Hold]] = defaultdict(list)
    for hold in intervals:
        by_sender[hold.sender].append(hold)
    replies: List[Dict[str, Any]] = []
    for sender, its_holds in by_sender.items():
        replies += replies_while_held(events_of(sender), its_holds)
    return Result(handovers=len(intervals), replies=replies)


def check(result: Result, where: str, report: Callable[[str], None] = print) -> None:
    """Report the figure; fail (AssertionError) when any reply was given while held."""
    report(result.line(where))
    assert result.count == 0, f"{result.line(where)}:\n" + "\n".join(map(str, result.replies[:20]))


def verify(review_url: str, events_of: Events, where: str, config: Any) -> None:
    """The fixtures' one call at the end of a session: count over every handover of ``review_url``, print, fail
    when above 0."""
    check(count(holds(review_url), events_of), where, terminal(config))


# ---- where the tracker events come from ----------------------------------------------------------------------------

def events_over_http(rasa_url: str, token: str) -> Events:
    """A sender's events from Rasa's HTTP API (the memory tracker store of the e2e assistant)."""
    def events_of(sender: str) -> List[Mapping[str, Any]]:
        answer = requests.get(f"{rasa_url}/conversations/{requests.utils.quote(sender, safe='')}/tracker",
                              params={"token": token, "include_events": "ALL"}, timeout=30)
        answer.raise_for_status()
        return answer.json().get("events") or []

    return events_of


def events_in_sql(tracker_url: str) -> Events:
    """A sender's events from Rasa's SQL tracker store (its ``events`` table: type_name, timestamp, data)."""
    import json

    engine = engine_for(tracker_url)

    def events_of(sender: str) -> List[Mapping[str, Any]]:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT type_name, timestamp, data FROM events WHERE sender_id = :sender ORDER BY id"),
                {"sender": sender}).all()
        found = []
        for type_name, timestamp, data in rows:
            event = json.loads(data) if data else {}
            found.append({**event, "event": type_name, "timestamp": timestamp})
        return found

    return events_of


def terminal(config: Any) -> Callable[[str], None]:
    """A line on pytest's terminal, seen with -q too (output capture is off while it is written: a fixture's
    teardown is captured like a test), or print when there is no terminal."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return print

    def write(line: str) -> None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)

    return write

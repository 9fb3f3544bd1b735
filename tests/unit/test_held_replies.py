"""The suite-wide check "0 assistant replies while held" (tests/held_replies.py) counts what it should and fails when
it should: on hand-made tracker events, on handover records made by the store's own transitions in a real review
database (SQLite, and PostgreSQL when ``TEST_POSTGRES_URL`` is set), and on a tracker saved by Rasa's own SQL tracker
store (the production fixture reads that table)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from handover.store import HandoverStore
from knowledge.db import engine_for
from tests import held_replies
from tests.held_replies import Hold

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)
S0 = T0.timestamp()


def user(at: float, said: str = "…") -> Dict[str, Any]:
    return {"event": "user", "timestamp": at, "text": said}


def bot(at: float, said: str = "アシスタントです") -> Dict[str, Any]:
    return {"event": "bot", "timestamp": at, "text": said}


HOLD = Hold(handover=1, sender="web-1", start=S0 + 10, end=S0 + 100)


def test_the_turn_that_asks_for_a_person_and_the_turns_after_the_end_are_not_counted():
    events = [user(S0), bot(S0 + 1),                 # before
              user(S0 + 9), bot(S0 + 11),             # asks for a person: answered with the queue notice, after the request
              {"event": "action", "timestamp": S0 + 50, "name": "action_listen"},
              user(S0 + 100), bot(S0 + 101)]          # after the end (the end itself belongs to the person)
    assert held_replies.replies_while_held(events, [HOLD]) == []


def test_the_request_turn_stamped_by_another_processs_clock_a_little_after_the_request_is_not_counted():
    skewed = held_replies.CLOCK_SKEW_SECONDS / 2
    events = [user(S0 + 10 + skewed, "後継ぎがいない"), bot(S0 + 10 + skewed + 0.1), bot(S0 + 10 + skewed + 0.2)]
    assert held_replies.replies_while_held(events, [HOLD]) == []
    late = [user(S0 + 10 + held_replies.CLOCK_SKEW_SECONDS + 1, "費用は？"), bot(S0 + 14)]
    assert len(held_replies.replies_while_held(late, [HOLD])) == 1


def test_an_answer_to_a_message_received_while_held_is_counted_even_if_sent_after_the_end():
    events = [user(S0 + 50, "費用は？"), bot(S0 + 51, "費用は無料です"), user(S0 + 99), bot(S0 + 105)]
    found = held_replies.replies_while_held(events, [HOLD])
    assert [(f["handover"], f["text"]) for f in found] == [(1, "費用は無料です"), (1, "アシスタントです")]


def test_a_reply_without_a_user_message_inside_the_interval_is_counted_and_an_open_hold_runs_until_now():
    assert len(held_replies.replies_while_held([bot(S0 + 20)], [HOLD])) == 1
    still_held = Hold(handover=2, sender="web-1", start=S0 + 200, end=None)
    events = [user(S0 + 150), bot(S0 + 151), user(S0 + 10_000), bot(S0 + 10_001)]
    assert [f["handover"] for f in held_replies.replies_while_held(events, [HOLD, still_held])] == [2]


def store_with_two_handovers(review_url: str) -> HandoverStore:
    store = HandoverStore(review_url)
    taken = store.request("web-1", "rest", now=T0 + timedelta(seconds=10))
    assert store.take(taken.id, "sato", "佐藤", now=T0 + timedelta(seconds=30))
    assert store.end(taken.id, "returned", now=T0 + timedelta(seconds=100))
    store.request("U-line", "line", now=T0 + timedelta(seconds=500))  # still queued
    return store


def test_the_check_reads_the_held_intervals_of_the_review_database_and_fails_above_zero(review_url):
    store_with_two_handovers(review_url)
    try:
        intervals = held_replies.holds(review_url)
    finally:
        engine_for(review_url).dispose()
    assert [(h.sender, h.start - S0, None if h.end is None else h.end - S0) for h in intervals] == [
        ("web-1", 10.0, 100.0), ("U-line", 500.0, None)]
    conversations = {"web-1": [user(S0 + 9), bot(S0 + 11), user(S0 + 120), bot(S0 + 121)],  # well behaved
                     "U-line": [user(S0 + 499), bot(S0 + 501)]}
    lines: List[str] = []
    clean = held_replies.count(intervals, lambda sender: conversations.get(sender, []))
    held_replies.check(clean, "unit", lines.append)
    assert lines == ["held-reply check (unit): 0 assistant replies while a person held the conversation, "
                     "over 2 handovers"]
    conversations["U-line"] += [user(S0 + 600, "まだですか"), bot(S0 + 601, "どの支援についてのご質問でしょうか")]
    leaked = held_replies.count(intervals, lambda sender: conversations.get(sender, []))
    assert leaked.count == 1 and leaked.replies[0]["sender"] == "U-line"
    with pytest.raises(AssertionError, match="1 assistant replies while a person held"):
        held_replies.check(leaked, "unit", lines.append)
    assert lines[-1].startswith("held-reply check (unit): 1 ")


def test_no_handover_tables_means_nothing_to_check(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert held_replies.holds(url) == []
    assert held_replies.count([], lambda sender: []).count == 0


def test_the_events_are_read_from_rasas_own_sql_tracker_store(tmp_path):
    path = tmp_path / "tracker.db"
    tracker_store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    tracker = DialogueStateTracker.from_events("U-line", [
        ActionExecuted("action_listen", timestamp=S0 + 499),
        UserUttered("まだですか", timestamp=S0 + 600),
        BotUttered("どの支援についてのご質問でしょうか", timestamp=S0 + 601)])
    asyncio.run(tracker_store.save(tracker))
    url = f"sqlite:///{path}"
    try:
        events = held_replies.events_in_sql(url)("U-line")
    finally:
        engine_for(url).dispose()
    assert [(e["event"], e["timestamp"] - S0) for e in events] == [("action", 499), ("user", 600), ("bot", 601)]
    assert events[-1]["text"] == "どの支援についてのご質問でしょうか"
    found = held_replies.replies_while_held(events, [Hold(handover=7, sender="U-line", start=S0 + 500, end=None)])
    assert [f["handover"] for f in found] == [7]

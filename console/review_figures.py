"""The supervisor's summary of the review log: conversations per day, self-resolution, 👎 by program, and what
the assistant could not answer grouped by topic; beside them, the handovers to a person of the same days
(requests per day, the median wait, the share that timed out: handover/figures.py counts them).

Unlike the queue, the figures read every logged turn of the range (answers too: the rates need them), and
group unanswered texts with the knowledge store's search.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.review_days import jst_day, utc
from console.review_filters import within
from console.review_queue import program_label, program_names
from handover.store import HandoverStore
from knowledge.search import search
from review.models import Turn

UNANSWERED_KINDS = ("fallback", "unsure")      # what the unanswered topics are made of
NO_TOPIC = "該当なし"
MAX_DAYS = 400                                # longest range the figures fill day by day


@dataclass(frozen=True)
class Row:
    id: int
    conversation: str
    at: datetime
    kind: str
    text: str
    program: Optional[int]
    feedback: Optional[str]


def rows_between(db: Session, start: Optional[date], end: Optional[date]) -> List[Row]:
    """Every logged turn in the JST days given (answers too: resolution and 👎 rates need them), oldest first."""
    statement = within(select(Turn.id, Turn.conversation, Turn.at, Turn.kind, Turn.text, Turn.program,
                              Turn.feedback), start, end)
    return [Row(r.id, r.conversation, utc(r.at), r.kind, r.text, r.program, r.feedback)
            for r in db.execute(statement.order_by(Turn.at, Turn.id))]


def conversations_per_day(rows: Sequence[Row], start: Optional[date] = None,
                          end: Optional[date] = None) -> List[Dict[str, Any]]:
    """Distinct conversations per JST day, every day of the range (empty days as 0); without a range, from the
    first day logged to the last. A conversation that goes on past midnight counts on both days."""
    by_day: Dict[date, set] = defaultdict(set)
    for row in rows:
        by_day[jst_day(row.at)].add(row.conversation)
    first = start or (min(by_day) if by_day else None)
    last = end or (max(by_day) if by_day else None)
    if first is None or last is None or first > last:
        return []
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [{"date": d.isoformat(), "conversations": len(by_day.get(d, ()))} for d in days]


def resolved(turns: Sequence[Row]) -> bool:
    """A conversation resolved itself: it ends with a recommendation (its last turn is an answer naming a
    program) or someone rated an answer 👍, and the assistant never had to give up (no fallback)."""
    if any(t.kind == "fallback" for t in turns):
        return False
    last = turns[-1]
    return (last.kind == "answer" and last.program is not None) or any(t.feedback == "up" for t in turns)


def self_resolution(rows: Sequence[Row]) -> Dict[str, Any]:
    conversations: Dict[str, List[Row]] = defaultdict(list)
    for row in rows:  # oldest first, so each list ends with the conversation's last turn
        conversations[row.conversation].append(row)
    done = sum(resolved(turns) for turns in conversations.values())
    total = len(conversations)
    return {"conversations": total, "resolved": done, "rate": round(done / total, 4) if total else None}


def down_by_program(rows: Sequence[Row], names: Mapping[int, str]) -> List[Dict[str, Any]]:
    """Per program answered: answers, answers rated (👍 or 👎), 👎; 👎 among rated and among all answers.
    Worst first (by 👎 among rated), then by section."""
    counts: Dict[int, Counter] = defaultdict(Counter)
    for row in rows:
        if row.kind == "answer" and row.program is not None:
            counts[row.program]["answers"] += 1
            counts[row.program]["rated"] += row.feedback in ("up", "down")
            counts[row.program]["down"] += row.feedback == "down"
    table = []
    for section, c in counts.items():
        table.append({**program_label(section, names), "answers": c["answers"], "rated": c["rated"],
                      "down": c["down"],
                      "down_rate_rated": round(c["down"] / c["rated"], 4) if c["rated"] else None,
                      "down_rate_answers": round(c["down"] / c["answers"], 4)})
    return sorted(table, key=lambda r: (-(r["down_rate_rated"] or 0), -r["down"], r["section"]))


def topic_of(kb: Session) -> Callable[[str], Optional[int]]:
    """The knowledge store's best match for a text (its top search hit's section), None when nothing matches."""
    cache: Dict[str, Optional[int]] = {}

    def top(text: str) -> Optional[int]:
        if text not in cache:
            hits = search(kb, text, limit=1)
            cache[text] = hits[0].section if hits else None
        return cache[text]

    return top


def unanswered_topics(rows: Sequence[Row], topic: Callable[[str], Optional[int]], names: Mapping[int, str],
                      samples: int = 3) -> List[Dict[str, Any]]:
    """Fallback and unsure entries grouped by the program the knowledge store's search finds closest
    (「該当なし」 when it finds none), most frequent first, each with its newest few texts as samples."""
    groups: Dict[Optional[int], List[str]] = defaultdict(list)
    for row in rows:
        if row.kind in UNANSWERED_KINDS:
            groups[topic(row.text)].append(row.text)
    table = []
    for section, texts in groups.items():
        newest = list(dict.fromkeys(reversed(texts)))[:samples]
        label = program_label(section, names) if section is not None else {"section": None, "name": NO_TOPIC}
        table.append({**label, "count": len(texts), "samples": newest})
    return sorted(table, key=lambda r: (-r["count"], r["section"] is None, r["section"] or 0))


def figures(db: Session, kb: Session, start: Optional[date] = None, end: Optional[date] = None) -> Dict[str, Any]:
    """Everything the supervisor's summary shows, for the JST days given."""
    rows = rows_between(db, start, end)
    names = program_names(kb)
    return {
        "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
        "turns": len(rows), "conversations": len({r.conversation for r in rows}),
        "per_day": conversations_per_day(rows, start, end),
        "self_resolution": self_resolution(rows),
        "down_by_program": down_by_program(rows, names),
        "unanswered_topics": unanswered_topics(rows, topic_of(kb), names),
    }


def handover_figures(store: HandoverStore, start: Optional[date] = None, end: Optional[date] = None
                     ) -> Dict[str, Any]:
    """The handovers requested in the JST days given, as the review page draws them: requests per day (every day
    of the range, as the conversations per day), the median wait from the request to a person taking it (seconds),
    and the share of those no longer waiting that timed out (None when there is nothing to divide)."""
    counted = store.figures_between(start, end, max_days=MAX_DAYS)
    return {
        "requests": counted.requests, "taken": counted.taken, "timed_out": counted.timed_out,
        "median_wait_seconds": counted.median_wait_seconds,
        "timed_out_share": None if counted.timed_out_share is None else round(counted.timed_out_share, 4),
        "per_day": [{"date": day.isoformat(), "handovers": count} for day, count in counted.per_day],
    }

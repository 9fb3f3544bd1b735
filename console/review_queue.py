"""The review queue staff work through: which logged turns need a look, and each entry as the page shows it.

Reads the review log (review/models.py); text is shown as the log stored it: already masked. Program names come
from the knowledge store, so a renamed program shows its current name.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.review_days import jst_text, today_jst, utc
from console.review_filters import KIND_LABELS, MARK_LABELS, NOT_MARKED, Filters, in_queue, within
from knowledge import query
from review.models import MARKS, Turn

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

FEEDBACK_LABELS = {"up": "高評価（👍 役に立った）", "down": "低評価（👎 役に立たなかった）"}
CHANNEL_LABELS = {"line": "LINE", "rest": "Webチャット", "socketio": "Webチャット（Socket.IO）",
                  "unknown": "不明"}


def queue(db: Session, filters: Filters = Filters(), limit: Optional[int] = DEFAULT_LIMIT,
          offset: int = 0) -> Tuple[int, List[Turn]]:
    """(how many entries match, the page of them from ``offset``), newest first."""
    statement = within(select(Turn).where(in_queue()), filters.start, filters.end)
    if filters.kind == "answer":
        statement = statement.where(Turn.kind == "answer")
    elif filters.kind:
        statement = statement.where(Turn.kind == filters.kind)
    if filters.channel:
        statement = statement.where(Turn.channel == filters.channel)
    if filters.mark == NOT_MARKED:
        statement = statement.where(Turn.mark.is_(None))
    elif filters.mark:
        statement = statement.where(Turn.mark == filters.mark)
    rows = [t for t in db.execute(statement.order_by(Turn.at.desc(), Turn.id.desc())).scalars() if filters.concerns(t)]
    stop = None if limit is None else offset + limit
    return len(rows), rows[offset:stop]


def channels(db: Session) -> List[str]:
    """Every channel the log has entries from, for the channel filter."""
    return sorted(c for (c,) in db.execute(select(Turn.channel).distinct()) if c)


def program_names(kb: Session) -> Dict[int, str]:
    return {p.section: p.name for p in query.all_programs(kb)}


def program_label(section: Optional[int], names: Mapping[int, str]) -> Optional[Dict[str, Any]]:
    """A program as entries and figures name it (a section the guide no longer has says so); None for None."""
    if section is None:
        return None
    return {"section": section, "name": names.get(section, "（現在のガイドにない制度）")}


def entry(turn: Turn, names: Mapping[int, str]) -> Dict[str, Any]:
    """One queue entry as the page and the CSV show it."""
    candidates = []
    for c in turn.candidates or []:
        if isinstance(c, dict) and isinstance(c.get("section"), int):
            candidates.append({**program_label(c["section"], names), "score": c.get("score")})
    return {
        "id": turn.id, "at": utc(turn.at).isoformat(), "at_jst": jst_text(turn.at),
        "conversation": turn.conversation[:8], "channel": turn.channel,
        "channel_label": CHANNEL_LABELS.get(turn.channel, turn.channel),
        "kind": turn.kind,
        "kind_label": KIND_LABELS.get(turn.kind, turn.kind),
        "text": turn.text, "intent": turn.intent, "candidates": candidates,
        "program": program_label(turn.program, names),
        "feedback": turn.feedback, "feedback_label": FEEDBACK_LABELS.get(turn.feedback or "", "評価なし"),
        "mark": turn.mark, "mark_label": MARK_LABELS.get(turn.mark or "", "未判定"),
        "mark_program": program_label(turn.mark_program, names), "marked_at_jst": jst_text(turn.marked_at),
    }


def options(db: Session, names: Mapping[int, str], now: Optional[datetime] = None) -> Dict[str, Any]:
    """The choices of the page's filters and marks, and today's JST date (the default range ends there)."""
    return {
        "kinds": [{"value": k, "label": label} for k, label in KIND_LABELS.items()],
        "marks": [{"value": m, "label": MARK_LABELS[m]} for m in MARKS],
        "channels": [{"value": c, "label": CHANNEL_LABELS.get(c, c)} for c in channels(db)],
        "programs": [{"section": s, "name": n} for s, n in sorted(names.items())],
        "today": today_jst(now).isoformat(),
    }

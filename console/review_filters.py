"""What the review page may ask for: the kinds and marks staff choose from, and the filters over the log.

The queue, the figures and the exports all narrow the log the same way (the queue's kinds, a range of JST
days), so the narrowing lives here, with the one error a request staff cannot have meant raises.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping, Optional

from sqlalchemy import and_, or_

from console.review_days import day_bounds
from review.models import MARKS, Turn

QUEUE_KINDS = ("unsure", "which", "fallback")  # always reviewed; answers only when rated 👎
NOT_MARKED = "none"                           # the mark filter's value for entries nobody has marked yet

KIND_LABELS = {"unsure": "聞き返し（もしかして）", "which": "選択の依頼（どちら？）",
               "fallback": "回答できず", "answer": "低評価（👎）の回答"}
MARK_LABELS = {"training": "学習例", "gap": "ガイドに情報がない", "out_of_scope": "対象外の相談",
               "fine": "問題なし"}


class InvalidRequest(ValueError):
    """A filter or mark the staff cannot have meant; the message is shown to them as it is."""


def _day(value: Optional[str], label: str) -> Optional[date]:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{label}は「2024-05-01」の形で指定してください。") from None


@dataclass(frozen=True)
class Filters:
    kind: Optional[str] = None      # unsure | which | fallback | answer (the answers rated 👎)
    channel: Optional[str] = None
    program: Optional[int] = None   # the section answered, suggested as a candidate, or marked as right
    mark: Optional[str] = None      # one of MARKS, or NOT_MARKED
    start: Optional[date] = None    # first JST day, inclusive
    end: Optional[date] = None      # last JST day, inclusive

    @classmethod
    def from_args(cls, args: Mapping[str, Optional[str]]) -> "Filters":
        """From the query string: ``kind``, ``channel``, ``program``, ``mark``, ``from``, ``to`` (empty: no filter)."""
        kind = args.get("kind") or None
        if kind is not None and kind not in KIND_LABELS:
            raise InvalidRequest("種別の指定が正しくありません。")
        mark = args.get("mark") or None
        if mark is not None and mark not in (*MARKS, NOT_MARKED):
            raise InvalidRequest("判定の指定が正しくありません。")
        program = args.get("program") or None
        if program is not None and not program.isdigit():
            raise InvalidRequest("制度の指定が正しくありません。")
        start, end = _day(args.get("from"), "開始日"), _day(args.get("to"), "終了日")
        if start and end and start > end:
            raise InvalidRequest("開始日は終了日と同じか、それより前の日にしてください。")
        return cls(kind=kind, channel=(args.get("channel") or None), program=int(program) if program else None,
                   mark=mark, start=start, end=end)

    def concerns(self, turn: Turn) -> bool:
        """Whether the entry is about the filtered program (checked in Python: candidates are JSON)."""
        if self.program is None:
            return True
        candidates = {c.get("section") for c in turn.candidates or [] if isinstance(c, dict)}
        return self.program in (turn.program, turn.mark_program) or self.program in candidates


def in_queue():
    """What needs a person's eye: every unsure, which and fallback turn, and every answer rated 👎."""
    return or_(Turn.kind.in_(QUEUE_KINDS), and_(Turn.kind == "answer", Turn.feedback == "down"))


def within(statement, start: Optional[date], end: Optional[date]):
    """``statement`` narrowed to the turns logged in the JST days given (either end may be open)."""
    low, high = day_bounds(start, end)
    if low is not None:
        statement = statement.where(Turn.at >= low)
    if high is not None:
        statement = statement.where(Turn.at < high)
    return statement

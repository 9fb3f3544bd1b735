"""The staff's decisions on queue entries: the one thing the console writes to the review log.

Apart from the reads because it is the only write, and its rules (a training example names its program) are
what keeps the exports meaningful.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Optional

from sqlalchemy.orm import Session

from console.review_filters import InvalidRequest
from review.models import MARKS, Turn


def set_mark(db: Session, turn_id: int, mark: Optional[str], program: Optional[int], sections: Iterable[int],
             now: Optional[datetime] = None) -> Optional[Turn]:
    """Store the staff's decision on an entry (``mark`` None clears it); None when there is no such entry.

    A training example names the program it should have found; the other marks name none."""
    if mark is not None and mark not in MARKS:
        raise InvalidRequest("判定の種類が正しくありません。")
    if mark == "training":
        if not isinstance(program, int) or isinstance(program, bool) or program not in set(sections):
            raise InvalidRequest("学習例にするときは、正しい制度を選んでください。")
    else:
        program = None
    turn = db.get(Turn, turn_id)
    if turn is None:
        return None
    turn.mark, turn.mark_program = mark, program
    turn.marked_at = (now or datetime.now(timezone.utc)) if mark else None
    db.commit()
    return turn

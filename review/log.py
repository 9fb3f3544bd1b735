"""Writing the review log: turns worth reviewing or counting, feedback on answers, and retention.

Called by the actions (bot/actions/base.py, bot/actions/feedback.py) after they answered: a failure
here is logged and never reaches the user. Text is masked before it is stored; the conversation is
stored as a salted hash of the sender id (for LINE, the user ID), never the id itself.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.settings import KEPT_MESSAGE_CHARS, settings
from review.masking import mask
from review.models import KINDS, RATINGS, Setting, Turn

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600  # writers prune at most this often (per process)
# Longer text is cut before masking: what Rasa keeps of a message (channels cut it there; only Rasa's HTTP API or a
# console channel could hand over more), so the log shows a message that was too long as too long.
MAX_STORED_CHARS = KEPT_MESSAGE_CHARS
SALT_KEY = "conversation_salt"
_last_prune: dict = {"at": None}  # time.monotonic() of the last prune; None: never (monotonic starts near 0 at boot)
_prune_lock = threading.Lock()


def retention_days() -> int:
    """``REVIEW_RETENTION_DAYS``: how long an entry is kept."""
    return settings().review_retention_days


def _salt(db: Session) -> str:
    """``REVIEW_SALT`` when set (several databases that must agree); else one random salt per database."""
    configured = settings().review_salt
    if configured is not None:
        return configured.get_secret_value()
    row = db.get(Setting, SALT_KEY)
    if row is None:
        try:
            with db.begin_nested():
                db.add(Setting(key=SALT_KEY, value=secrets.token_hex(32)))
        except IntegrityError:  # another process created it first
            pass
        row = db.get(Setting, SALT_KEY)
    return row.value


def conversation_key(db: Session, sender_id: str) -> str:
    return hmac.new(_salt(db).encode(), sender_id.encode(), hashlib.sha256).hexdigest()[:32]


def now() -> datetime:
    return datetime.now(timezone.utc)


def record_turn(db: Session, sender_id: str, turn: str, channel: Optional[str], kind: str, text: str,
                intent: Optional[str], candidates: Sequence[dict], program: Optional[int]) -> None:
    """One turn, stored masked. Recording the same turn again (a retried request) keeps the first."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    key = conversation_key(db, sender_id)
    if db.execute(select(Turn.id).where(Turn.conversation == key, Turn.turn == turn)).first():
        return
    db.add(Turn(conversation=key, turn=turn[:64], at=now(), channel=(channel or "unknown")[:20], kind=kind,
                text=mask(text[:MAX_STORED_CHARS]), intent=(intent or None) and intent[:80],
                candidates=[dict(c) for c in candidates], program=program))
    db.commit()
    maybe_prune(db)


def record_feedback(db: Session, sender_id: str, turn: Optional[str], rating: str) -> Optional[Turn]:
    """The user's 👍/👎 on an answered turn (the latest answer when ``turn`` is not given); changeable.

    Returns the turn rated, or None when there is no such answer in this conversation."""
    if rating not in RATINGS:
        raise ValueError(f"unknown rating {rating!r}")
    key = conversation_key(db, sender_id)
    query = select(Turn).where(Turn.conversation == key, Turn.program.is_not(None))
    query = query.where(Turn.turn == turn) if turn else query.order_by(Turn.at.desc(), Turn.id.desc())
    row = db.execute(query.limit(1)).scalars().first()
    if row is None:
        return None
    row.feedback, row.feedback_at = rating, now()
    db.commit()
    return row


def prune(db: Session, older_than_days: Optional[int] = None, at: Optional[datetime] = None) -> int:
    """Delete entries older than the retention period; returns how many."""
    cutoff = (at or now()) - timedelta(days=older_than_days if older_than_days is not None else retention_days())
    # "fetch": the database says which rows went, and those leave the session. The default ("evaluate") compares
    # the session's turns with the cutoff in Python, and SQLite reads times back naive: comparing them with the
    # aware cutoff raised TypeError whenever the session held a turn it had read.
    result = db.execute(delete(Turn).where(Turn.at < cutoff).execution_options(synchronize_session="fetch"))
    db.commit()
    return result.rowcount or 0


def maybe_prune(db: Session) -> None:
    """The scheduled prune: every writer runs it at most once an hour, so retention holds without a cron job."""
    with _prune_lock:
        if _last_prune["at"] is not None and time.monotonic() - _last_prune["at"] < PRUNE_EVERY_SECONDS:
            return
        _last_prune["at"] = time.monotonic()
    removed = prune(db)
    if removed:
        logger.info("review.pruned", extra={"removed": removed})


def turns(db: Session) -> List[Turn]:
    return list(db.execute(select(Turn).order_by(Turn.at)).scalars())

"""Login sessions in the shared database (table ``staff_sessions``), so that every console process accepts them.

``make run-prod`` may run several console processes, and a restart should not log everyone out: a session is a
row, not an entry in one process's memory. The browser holds a random token (32 bytes); the row holds only its
SHA-256 digest, so a copy of the table opens nothing.

Times are wall-clock UTC (they are compared across processes; a monotonic clock is per process). On SQLite, a read
followed by a write in one transaction can fail at once with "database is locked" when another connection writes
meanwhile (the upgrade of its read lock is refused rather than waited for): each write here is a transaction of
its own that starts with the write, so a busy database is waited for instead.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Optional, Tuple

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from console.accounts.models import Staff, StaffAccount, StaffSession


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC time (SQLite gives it back without its zone; PostgreSQL with)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def start(db: Session, account_id: int, now: datetime, idle: timedelta, longest: timedelta) -> str:
    """A new session for the account; its token. Sessions that have expired (anyone's) are deleted on the way."""
    db.execute(delete(StaffSession).where(or_(StaffSession.last_seen < now - idle,
                                              StaffSession.created < now - longest)))
    token = secrets.token_urlsafe(32)
    db.add(StaffSession(digest=digest(token), account_id=account_id, created=now, last_seen=now))
    db.commit()
    return token


def look_up(db: Session, token: str, now: datetime, idle: timedelta,
            longest: timedelta) -> Tuple[str, Optional[Staff]]:
    """(``"valid"``, its staff member), and the session's idle time starts again; (``"expired"``, None), and the
    session is deleted; or (``"none"``, None): no such session, or its account has been disabled since."""
    found = db.execute(select(StaffSession.created, StaffSession.last_seen, StaffAccount)
                       .join(StaffAccount, StaffAccount.id == StaffSession.account_id)
                       .where(StaffSession.digest == digest(token))).first()
    db.commit()  # the read ends here: the write below is a transaction of its own
    if found is None:
        return "none", None
    created, seen, account = found
    if account.disabled:
        end(db, token)
        return "none", None
    if now - utc(seen) > idle or now - utc(created) > longest:
        end(db, token)
        return "expired", None
    touched = db.execute(update(StaffSession).where(StaffSession.digest == digest(token))
                         .values(last_seen=now)).rowcount
    db.commit()
    if not touched:  # logged out (or the account disabled) in the meantime
        return "none", None
    return "valid", Staff.of(account)


def end(db: Session, token: str) -> None:
    db.execute(delete(StaffSession).where(StaffSession.digest == digest(token)))
    db.commit()


def end_all(db: Session, login: str) -> int:
    """Delete every session of the account named ``login`` (in the caller's transaction); how many there were."""
    return db.execute(delete(StaffSession).where(
        StaffSession.account_id.in_(select(StaffAccount.id).where(StaffAccount.login == login)))
        .execution_options(synchronize_session=False)).rowcount

"""Tables of handover: conversations handed to a person, their messages, call-back requests and who is on duty.

They live in the review log's database (``REVIEW_DB_URL``) with migrations of their own (handover/migrations/, version
table ``handover_alembic_version``). Unlike the review log, they hold what identifies a person, because they must:
the sender id (to deliver staff's messages), what users write to staff, and a call-back contact (phone or e-mail).
That is why handover/store.py deletes it after ``HANDOVER_RETENTION_DAYS`` / ``CALLBACK_RETENTION_DAYS`` and never
logs it. Times are stored in UTC.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import declarative_base

# SQLAlchemy 1.4 ships no type information: the declarative base is declared Any (see review/models.py).
Base: Any = declarative_base()

CHANNELS = ("rest", "line")
QUEUED, CONNECTED, ENDED, TIMED_OUT = "queued", "connected", "ended", "timed_out"
STATES = (QUEUED, CONNECTED, ENDED, TIMED_OUT)
ACTIVE = (QUEUED, CONNECTED)  # a sender has at most one handover in these states
# Why a handover ended: staff handed it back to the assistant, the user left, nobody took it in time.
RETURNED, USER_LEFT = "returned", "user_left"
OUTCOMES = (RETURNED, USER_LEFT, TIMED_OUT)
USER, STAFF, SYSTEM = "user", "staff", "system"
AUTHORS = (USER, STAFF, SYSTEM)
TO_USER = (STAFF, SYSTEM)  # the authors whose messages are delivered to the user
NEW, IN_PROGRESS, DONE = "new", "in_progress", "done"
CALLBACK_STATUSES = (NEW, IN_PROGRESS, DONE)

MAX_SENDER = 128  # bot/channels/rest.py: a sender is 1 to 128 characters (a LINE user ID is 33)
MAX_LOGIN = 80
MAX_KEY = 64
MAX_CONTACT = 254  # the longest e-mail address; a phone number is far shorter
# The one-at-a-time index that makes "never two active handovers for one sender" the database's promise.
ACTIVE_WHERE = "state IN ('queued', 'connected')"


class Handover(Base):
    __tablename__ = "handovers"
    __table_args__ = (
        Index("uq_handovers_active_sender", "sender", unique=True, sqlite_where=text(ACTIVE_WHERE),
              postgresql_where=text(ACTIVE_WHERE)),
    )

    id = Column(Integer, primary_key=True)
    sender = Column(String(MAX_SENDER), index=True)          # the channel's conversation id; NULL once pruned
    channel = Column(String(20), nullable=False)
    state = Column(String(20), nullable=False, index=True)
    focus = Column(Integer)                                  # the program section under discussion, if any
    candidates = Column(JSON, nullable=False)                # section numbers, best first
    requested_at = Column(DateTime(timezone=True), nullable=False, index=True)
    updated_at = Column(DateTime(timezone=True), nullable=False)  # last change or message
    taken_at = Column(DateTime(timezone=True))
    taken_by = Column(String(MAX_LOGIN))                     # staff login
    taken_by_name = Column(String(MAX_LOGIN))                # staff display name, shown to the user
    ended_at = Column(DateTime(timezone=True), index=True)
    outcome = Column(String(20))


class Message(Base):
    __tablename__ = "handover_messages"
    __table_args__ = (
        UniqueConstraint("handover_id", "key", name="uq_handover_messages_handover_key"),
        Index("ix_handover_messages_sender_id", "sender", "id"),
        # AUTOINCREMENT: on SQLite an id is never reused, even after the newest rows are deleted (a cursor).
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)                   # monotonic: the web chat's event cursor
    handover_id = Column(Integer, ForeignKey("handovers.id"), nullable=False, index=True)
    sender = Column(String(MAX_SENDER))                      # the handover's, for delivery by sender
    author = Column(String(10), nullable=False)
    text = Column(Text, nullable=False)
    custom = Column(JSON)                                    # a reply-contract payload, e.g. {"handover": {...}}
    key = Column(String(MAX_KEY))                            # the client's idempotency key, unique per handover
    created_at = Column(DateTime(timezone=True), nullable=False)
    # The LINE outbox: pushed when delivered_at is set; a claim reserves a message for one worker for a lease.
    delivered_at = Column(DateTime(timezone=True), index=True)
    claimed_by = Column(String(MAX_LOGIN))
    claimed_at = Column(DateTime(timezone=True))


class CallbackRequest(Base):
    __tablename__ = "callback_requests"

    id = Column(Integer, primary_key=True)
    sender = Column(String(MAX_SENDER))
    channel = Column(String(20), nullable=False)
    section = Column(Integer)                                # the program it is about, if any
    need = Column(Text, nullable=False)                      # what the user wants to talk about
    contact = Column(Text, nullable=False)                   # phone or e-mail: personal data, never logged
    status = Column(String(20), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    done_at = Column(DateTime(timezone=True), index=True)


class StaffPresence(Base):
    __tablename__ = "staff_presence"

    login = Column(String(MAX_LOGIN), primary_key=True)
    name = Column(String(MAX_LOGIN), nullable=False)
    last_seen = Column(DateTime(timezone=True), nullable=False, index=True)

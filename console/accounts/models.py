"""The tables of the staff accounts (review/migrations/versions/0002_staff_accounts.py creates them).

They sit in the review log's database (``REVIEW_DB_URL``) because that is the operational store every process
already shares; they are declared here, next to the code that uses them, on a base of their own: the review log's
modules never see them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import declarative_base

Base: Any = declarative_base()


class StaffAccount(Base):
    """A staff member who may log in: ``login`` to type at the login form, ``name`` to show to others (a handover
    names who took over). Accounts are disabled, never deleted, so that what a name did stays attributable."""

    __tablename__ = "staff_accounts"

    id = Column(Integer, primary_key=True)
    login = Column(String(64), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    password_hash = Column(String(255), nullable=False)  # argon2id, with its parameters and salt (passwords.py)
    disabled = Column(Boolean, nullable=False, default=False, server_default=false())
    created = Column(DateTime(timezone=True), nullable=False)
    updated = Column(DateTime(timezone=True), nullable=False)  # the last change by a person: disable, enable, reset


class StaffSession(Base):
    """A login session: the SHA-256 digest of its token (the browser holds the token; a copy of this table opens
    nothing), whose account, when it started and when it was last used (idle and absolute expiry, sessions.py)."""

    __tablename__ = "staff_sessions"

    digest = Column(String(64), primary_key=True)
    account_id = Column(Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    created = Column(DateTime(timezone=True), nullable=False)
    last_seen = Column(DateTime(timezone=True), nullable=False)


@dataclass(frozen=True)
class Staff:
    """What the rest of the console knows of a logged-in staff member (never the password hash)."""
    id: int
    login: str
    name: str

    @classmethod
    def of(cls, account: StaffAccount) -> "Staff":
        return cls(id=account.id, login=account.login, name=account.name)

"""The staff accounts: adding, disabling, enabling, resetting, listing, checking a login, and the first account.

Login names are lower-case ASCII (letters, digits, ``.``, ``_``, ``-``; what is typed is trimmed and lower-cased,
so 「Tanaka」 logs in as ``tanaka``); display names are what colleagues see (「田中」). Accounts are disabled, not
deleted: what a name did stays attributable. Disabling an account or resetting its password ends its sessions at
once, in the same transaction.

Checking a password takes the same argon2 work whether the login name exists, is disabled or not (passwords.py),
so neither the answer nor its timing tells which login names exist.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Optional

from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.accounts import passwords
from console.accounts.models import Staff, StaffAccount, StaffSession
from console.accounts.sessions import end_all, utc

LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MAX_NAME_CHARS = 100
# The account `make run` creates when the console starts with none (console/__main__.py).
FIRST_LOGIN = "staff"
FIRST_NAME = "スタッフ"


class AccountError(ValueError):
    """A request that cannot be carried out, said in words for the command line."""


@dataclass(frozen=True)
class Listed:
    """An account as ``python -m console.accounts list`` shows it."""
    login: str
    name: str
    disabled: bool
    created: datetime
    updated: datetime
    sessions: int


def now() -> datetime:
    return datetime.now(timezone.utc)


def normal_login(text: str) -> str:
    """A login name as stored: trimmed and lower-cased (the form and the command line accept any case)."""
    return text.strip().lower()


def checked_login(text: str) -> str:
    login = normal_login(text)
    if not LOGIN_PATTERN.fullmatch(login):
        raise AccountError(f"{text!r} is not a login name: use 1 to 64 letters a-z, digits, '.', '_' or '-', "
                           "starting with a letter or digit")
    return login


def checked_name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > MAX_NAME_CHARS or any(unicodedata.category(c).startswith("C") for c in name):
        raise AccountError(f"the display name must have 1 to {MAX_NAME_CHARS} characters, without control characters")
    return name


def add(db: Session, login: str, name: str, password: str, hasher: PasswordHasher = passwords.HASHER) -> Staff:
    """A new account; AccountError if the login name is taken or a name is not acceptable."""
    login, name = checked_login(login), checked_name(name)
    moment = now()
    account = StaffAccount(login=login, name=name, password_hash=passwords.hash_password(password, hasher),
                           disabled=False, created=moment, updated=moment)
    db.add(account)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise AccountError(f"an account named {login!r} already exists") from None
    return Staff.of(account)


def find(db: Session, login: str) -> Optional[Staff]:
    """The account named ``login`` (any case), enabled or not."""
    account = db.execute(select(StaffAccount).where(StaffAccount.login == normal_login(login))).scalars().first()
    db.commit()
    return None if account is None else Staff.of(account)


def _missing(login: str) -> AccountError:
    return AccountError(f"there is no account named {normal_login(login)!r}")


def set_disabled(db: Session, login: str, disabled: bool) -> Optional[int]:
    """Disable (ending its sessions) or enable an account: how many sessions were ended, or None if the account
    already was so. AccountError if there is no such account."""
    login = normal_login(login)
    # The write first (see sessions.py on SQLite), then what it found.
    changed = db.execute(update(StaffAccount).where(StaffAccount.login == login, StaffAccount.disabled != disabled)
                         .values(disabled=disabled, updated=now())).rowcount
    ended = end_all(db, login) if disabled else 0
    exists = db.execute(select(StaffAccount.id).where(StaffAccount.login == login)).first() is not None
    db.commit()
    if not exists:
        raise _missing(login)
    return ended if changed else None


def reset(db: Session, login: str, password: str, hasher: PasswordHasher = passwords.HASHER) -> int:
    """A new password for the account; its sessions end. How many ended; AccountError if there is no such account."""
    login = normal_login(login)
    password_hash = passwords.hash_password(password, hasher)
    changed = db.execute(update(StaffAccount).where(StaffAccount.login == login)
                         .values(password_hash=password_hash, updated=now())).rowcount
    if not changed:
        db.rollback()
        raise _missing(login)
    ended = end_all(db, login)
    db.commit()
    return ended


def listing(db: Session) -> List[Listed]:
    counts = dict(db.execute(select(StaffSession.account_id, func.count()).group_by(StaffSession.account_id)).all())
    accounts = db.execute(select(StaffAccount).order_by(StaffAccount.login)).scalars().all()
    db.commit()
    return [Listed(login=a.login, name=a.name, disabled=a.disabled, created=utc(a.created), updated=utc(a.updated),
                   sessions=counts.get(a.id, 0)) for a in accounts]


def count(db: Session) -> int:
    total = db.execute(select(func.count()).select_from(StaffAccount)).scalar_one()
    db.commit()
    return total


def authenticate(db: Session, login: str, password: str,
                 hasher: PasswordHasher = passwords.HASHER) -> Optional[Staff]:
    """The staff member whose login name and password these are, if the account is enabled; None otherwise, after
    the same work. A hash made with older parameters is replaced by one with the current ones."""
    account = db.execute(select(StaffAccount).where(StaffAccount.login == normal_login(login))).scalars().first()
    db.commit()  # no transaction is held during the slow check
    if account is None:
        passwords.verify_nothing(password, hasher)
        return None
    if not passwords.verify(account.password_hash, password, hasher) or account.disabled:
        return None
    if passwords.needs_rehash(account.password_hash, hasher):
        # Only if the hash is still the one checked: a reset meanwhile wins.
        db.execute(update(StaffAccount).where(StaffAccount.id == account.id,
                                              StaffAccount.password_hash == account.password_hash)
                   .values(password_hash=passwords.hash_password(password, hasher)))
        db.commit()
    return Staff.of(account)


def create_first(db: Session, password: str, hasher: PasswordHasher = passwords.HASHER) -> bool:
    """Create the first account (``staff``, 「スタッフ」) with ``password`` if there is no account at all; whether
    this call created it (when several console processes start at once, one does)."""
    if count(db):
        return False
    try:
        add(db, FIRST_LOGIN, FIRST_NAME, password, hasher)
    except AccountError:  # another process created it first
        return False
    return True

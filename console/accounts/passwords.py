"""Password hashing for the staff accounts: argon2id through argon2-cffi's ``PasswordHasher``.

Why argon2id: it is memory-hard (guessing on GPUs costs memory, not only time) and is OWASP's first choice for
passwords; argon2-cffi is the maintained binding of its reference implementation. The parameters are
argon2-cffi's defaults (RFC 9106's low-memory profile: 3 passes over 64 MiB, 4 lanes; about a quarter of a second
per check on a 2-core machine). Each hash carries its parameters and salt, so when a later argon2-cffi raises the
defaults, old hashes still verify and are replaced at the owner's next login (``needs_rehash``, store.py).

Passwords are never logged or printed, except a generated one, once, to the person who asked for it (the first
account at console start, ``python -m console.accounts add|reset --generate``).
"""
from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()
MIN_CHARS = 8  # a password typed at the command line (NIST SP 800-63B's minimum); a generated one has 16


def generate() -> str:
    """A random password: 12 bytes, 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


def problem(password: str) -> Optional[str]:
    """Why a chosen password is refused (in words for the command line), or None."""
    if len(password) < MIN_CHARS:
        return f"the password must have at least {MIN_CHARS} characters"
    if not password.strip():
        return "the password must not be blank"
    return None


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    return hasher.hash(password)


def verify(password_hash: str, password: str, hasher: PasswordHasher = HASHER) -> bool:
    """Whether ``password`` matches the hash (argon2 compares in constant time)."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, hasher: PasswordHasher = HASHER) -> bool:
    """Whether the hash was made with other parameters than ``hasher``'s (it is then replaced at login)."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def verify_nothing(password: str, hasher: PasswordHasher = HASHER) -> None:
    """Spend the time of one check for a login name that has no account, so that the answer's timing does not tell
    which login names exist."""
    verify(_decoy(hasher), password, hasher)


@lru_cache(maxsize=8)
def _decoy(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))

"""The device cookies' HMAC key (console/auth.py), one per database, shared by every console process.

A key drawn by each process would make a device cookie signed by one console process worthless to another (and to
the same console after a restart). The key is a row of the review database's small key/value table
(``review_settings``, key ``console_device_key``), created on first use: when two processes create it at once, the
primary key lets one insert win and the other reads the winner's. To change it, delete the row and restart every
console process: all device cookies then count as none (browsers are judged by their address until their next
login).
"""
from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review.models import Setting

DEVICE_KEY = "console_device_key"


def device_key(db: Session) -> bytes:
    """The database's device key (32 random bytes), created if it has none yet."""
    row = db.get(Setting, DEVICE_KEY)
    db.commit()  # the read ends: the insert below starts a transaction of its own (see sessions.py on SQLite)
    if row is None:
        try:
            db.add(Setting(key=DEVICE_KEY, value=secrets.token_hex(32)))
            db.commit()
        except IntegrityError:  # another process created it first: use theirs
            db.rollback()
        row = db.get(Setting, DEVICE_KEY)
    return bytes.fromhex(row.value)

"""Whether an owner's message says it hurts (knowledge/distress.yml), and which kind of trouble it names: money owed
(the revitalization council first) or any other hardship (the general desk first). The words are data; this module
only reads them, so that the kind sentence and the desks offered follow the same list."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from knowledge.patterns import setting_patterns
from knowledge.text import normalize

# The situations of roles.yml `candidates` that distress.yml leads to.
DEBT = "debt"
HARDSHIP = "hardship"


def hurts(db: Session, text: str) -> bool:
    """Whether ``text`` says it hurts (a button's payload never does)."""
    return trouble(db, text) is not None


def trouble(db: Session, text: str) -> Optional[str]:
    """``DEBT`` or ``HARDSHIP`` when ``text`` says it hurts, else None."""
    patterns = setting_patterns(db, "distress", "hurts", "debt")
    if patterns is None or text.startswith("/"):
        return None
    hurting, debt = patterns
    written = normalize(text)
    if hurting.search(written) is None:
        return None
    return DEBT if debt.search(written) else HARDSHIP

"""Lists of regular expressions kept as data in a store setting (distress.yml, askers.yml): each list is one
alternation, compiled once per process and list."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional, Pattern, Tuple

from sqlalchemy.orm import Session

from knowledge.models import Setting


@lru_cache(maxsize=16)
def _compiled(patterns: Tuple[str, ...]) -> Pattern[str]:
    return re.compile("|".join(patterns))


def setting_patterns(db: Session, key: str, *fields: str) -> Optional[Tuple[Pattern[str], ...]]:
    """The setting ``key``'s lists ``fields``, compiled, in that order; None when the store has no such setting."""
    row = db.get(Setting, key)
    if row is None:
        return None
    return tuple(_compiled(tuple(row.value[field])) for field in fields)

"""Whether a message is in the voice of someone the guide's programs do not serve (knowledge/askers.yml): a worker
about their own job, a student about their own career, a household about its own home. The NLU reads the topic
(事業承継, 省エネ, 人材) and often misses the speaker; these words are data, read here only."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional, Pattern, Tuple

from sqlalchemy.orm import Session

from knowledge.models import Setting
from knowledge.text import normalize


@lru_cache(maxsize=8)
def _compiled(not_owner: Tuple[str, ...], owner: Tuple[str, ...]) -> Tuple[Pattern[str], Pattern[str]]:
    return re.compile("|".join(not_owner)), re.compile("|".join(owner))


def _patterns(db: Session) -> Optional[Tuple[Pattern[str], Pattern[str]]]:
    row = db.get(Setting, "askers")
    if row is None:
        return None
    return _compiled(tuple(row.value["not_owner"]), tuple(row.value["owner"]))


def not_an_owner(db: Session, text: str) -> bool:
    """Whether ``text`` speaks as a worker, a student or a household and nowhere as the one who runs a business
    (a button's payload never does)."""
    patterns = _patterns(db)
    if patterns is None or text.startswith("/"):
        return False
    not_owner, owner = patterns
    written = normalize(text)
    return not_owner.search(written) is not None and owner.search(written) is None

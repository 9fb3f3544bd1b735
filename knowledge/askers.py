"""Whether a message is in the voice of someone the guide's programs do not serve (knowledge/askers.yml): a worker
about their own job, a student about their own career, a household about its own home. The NLU reads the topic
(事業承継, 省エネ, 人材) and often misses the speaker; these words are data, read here only."""
from __future__ import annotations

from sqlalchemy.orm import Session

from knowledge.patterns import setting_patterns
from knowledge.text import normalize


def not_an_owner(db: Session, text: str) -> bool:
    """Whether ``text`` speaks as a worker, a student or a household and nowhere as the one who runs a business
    (a button's payload never does)."""
    patterns = setting_patterns(db, "askers", "not_owner", "owner")
    if patterns is None or text.startswith("/"):
        return False
    not_owner, owner = patterns
    written = normalize(text)
    return not_owner.search(written) is not None and owner.search(written) is None

"""What a cache built from the store's contents is keyed on: rebuilt when the data is reloaded, shared by every
session on the same database (the search index, the venue words, the guide's sentences)."""
from __future__ import annotations

from typing import Tuple

from sqlalchemy.orm import Session

from knowledge.models import Setting


def cache_key(db: Session) -> Tuple[str, str]:
    """(database URL, data version). Read once per session (sessions are short: one action run, one console
    request)."""
    key = db.info.get("knowledge_cache_key")
    if key is None:
        version = db.get(Setting, "data_version")
        key = db.info["knowledge_cache_key"] = (db.get_bind().url.render_as_string(hide_password=False),
                                                version.value if version else "")
    return key

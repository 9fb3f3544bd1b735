"""Aomori's places, which the name detector does not mask on their own (八戸 and 平川 are surnames too).

The municipalities (names and aliases) and areas (names and readings) are the knowledge store's
(``place_names`` of knowledge/locations.py, on the store at ``KNOWLEDGE_DB_URL``), read once per process; the
districts, old town names and landmarks below are not in the store (and 羽田, where owners sell). They are places
unless an honorific or と申します says otherwise. A trailing 県/市/町/村 is ignored when looking a word up.

Fail safe: the review log is written inside the assistant's processes, where the store may be down or not loaded.
Being a place only ever keeps a word from being masked, so without the store's names masking masks more, never
less: the places are then the districts and landmarks alone, a warning is logged, and the store is asked again
after ``RETRY_SECONDS``.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Dict, FrozenSet

logger = logging.getLogger(__name__)

RETRY_SECONDS = 60.0

_DISTRICTS_AND_LANDMARKS = frozenset("""
津軽 下北 東北 西海岸 浅虫 奥入瀬 八甲田 岩木 白神 十和田湖 竜飛 龍飛 恐山 小川原 三内丸山
種差 蕪島 大間崎 尻屋 仏ヶ浦 館鼻 小湊 金木 浪岡 碇ヶ関 木造 車力 市浦 小泊 蟹田 三厩 平舘 名川 南郷 倉石
百石 天間林 大畑 脇野沢 大湊 田名部 新青森 本八戸 八食 酸ヶ湯 薬研 十二湖 千畳敷 芦野 羽田
""".split())

_places: Dict[str, FrozenSet[str]] = {}  # store URL -> every place name, once the store was read
_failed_at: Dict[str, float] = {}        # store URL -> time.monotonic() of the last read that failed
_lock = threading.Lock()


def _store_names(url: str) -> FrozenSet[str]:
    """The store's municipality and area names; raises when they cannot be read or there are none."""
    from sqlalchemy.engine import make_url

    from knowledge.db import session
    from knowledge.locations import place_names

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).is_file():
        raise FileNotFoundError("no knowledge store file")  # connecting would create an empty one
    with session(url) as db:
        names = place_names(db)
    if not names:
        raise LookupError("the knowledge store has no municipalities (not loaded yet?)")
    return names


def aomori_places() -> FrozenSet[str]:
    """Every place name known: the store's and the districts'; the districts' alone while the store cannot be read."""
    from knowledge.db import database_url

    url = database_url()
    places = _places.get(url)
    if places is not None:
        return places
    with _lock:
        if url in _places:
            return _places[url]
        failed = _failed_at.get(url)
        if failed is not None and time.monotonic() - failed < RETRY_SECONDS:
            return _DISTRICTS_AND_LANDMARKS
        try:
            places = _places[url] = _DISTRICTS_AND_LANDMARKS | _store_names(url)
        except Exception as error:  # whatever went wrong, mask more until the store answers
            _failed_at[url] = time.monotonic()
            logger.warning("review.masking_without_store_places", extra={"error": type(error).__name__})
            return _DISTRICTS_AND_LANDMARKS
        return places


def is_place(word: str) -> bool:
    places = aomori_places()
    return word in places or (word[-1:] in "県市町村" and word[:-1] in places)

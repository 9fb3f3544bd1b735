"""Where the user is: a municipality or one of the guide's six areas, found in free text.

Users say 「弘前」「八戸市」「むつ」「おいらせ町」「中南」. Names and aliases come from the
municipalities table (municipalities.yml), never from code.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import FrozenSet, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.cache import cache_key
from knowledge.models import Area, Municipality
from knowledge.text import normalize


@dataclass(frozen=True)
class Location:
    """A resolved place: ``municipality`` is None when the user named only an area."""

    area: str
    municipality: Optional[str] = None


@lru_cache(maxsize=4)
def _names_of(url: str, version: str) -> Tuple[Tuple[str, Location], ...]:  # version: rebuild on new data
    from knowledge.db import session

    names: List[Tuple[str, Location]] = []
    with session(url) as db:
        for municipality in db.execute(select(Municipality)).scalars():
            location = Location(area=municipality.area, municipality=municipality.name)
            for name in [municipality.name, *municipality.aliases]:
                names.append((normalize(name), location))
        for area in db.execute(select(Area)).scalars():
            for name in (area.name, f"{area.name}地域", f"{area.name}地区", area.reading):
                names.append((normalize(name), Location(area=area.name)))
    return tuple(sorted(names, key=lambda item: -len(item[0])))


def written_names(db: Session) -> Tuple[Tuple[str, Location], ...]:
    """Every way of writing a place (normalized), longest first, so 「五所川原市」 wins over 「五所川原」; built once
    per data version (every message is searched for a place)."""
    return _names_of(*cache_key(db))


def find_location(db: Session, text: str) -> Optional[Location]:
    """The first place named in ``text`` (earliest position, then the longest name), or None.

    「青森県」 is the prefecture, not 青森市, so a name followed by 県 does not count.
    """
    haystack = normalize(text)
    best: Optional[Tuple[int, int, Location]] = None
    for name, location in written_names(db):
        start = haystack.find(name)
        while start != -1 and haystack[start + len(name):start + len(name) + 1] == "県":
            start = haystack.find(name, start + 1)
        if start == -1:
            continue
        candidate = (start, -len(name), location)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    return best[2] if best else None


def place_names(db: Session) -> FrozenSet[str]:
    """Every municipality's name and aliases and every area's name and reading, as the map writes them (not
    normalized): for code that must know a word is a place, such as the review log's masking."""
    names = set()
    for municipality in db.execute(select(Municipality)).scalars():
        names |= {municipality.name, *municipality.aliases}
    for area in db.execute(select(Area)).scalars():
        names |= {area.name, area.reading}
    return frozenset(names)

"""Read side of the store: what actions, channels and the console ask for. No chat logic here."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional, Sequence, Tuple, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import facts
from knowledge.cache import cache_key
from knowledge.hours import OpeningHours, YearEnd
from knowledge.locations import Location
from knowledge.models import Desk, Place, Program, Role, Setting
from knowledge.text import compact, normalize

# A desk's group or department names its program only from this length (「事務局」 is no name).
MIN_UNIT_NAME = 5
FIELDS = ("phone", "fax", "email", "address", "hours", "cost", "target", "limits", "how_to_apply")


def all_programs(db: Session) -> List[Program]:
    snapshot = programs_snapshot(db)
    if snapshot is not None:
        return list(snapshot.ordered)
    return list(db.execute(select(Program).order_by(Program.section)).scalars())


def program(db: Session, key: Union[int, str]) -> Optional[Program]:
    """A program by its guide section (int or "5") or its slug."""
    snapshot = programs_snapshot(db)
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return snapshot.by_section.get(int(key)) if snapshot else db.get(Program, int(key))
    if snapshot is not None:
        return snapshot.by_slug.get(key)
    return db.execute(select(Program).where(Program.slug == key)).scalars().first()


def known_program(db: Session, key: Union[int, str]) -> Program:
    """A program the store must hold (one the code names, or one read from the store itself): a missing one is
    an error of the knowledge data, not an answer."""
    row = program(db, key)
    if row is None:
        raise LookupError(f"no program {key!r} in the knowledge store")
    return row


# ---- the parts programs play (roles.yml) and the 経営革新 program ----------------------------------------

# (role, situation) -> the sections in the role's order
RoleSections = Dict[Tuple[str, Optional[str]], Tuple[int, ...]]


def role_sections_of(rows: Sequence[Role]) -> RoleSections:
    found: Dict[Tuple[str, Optional[str]], List[Role]] = {}
    for row in rows:
        found.setdefault((row.role, row.situation), []).append(row)
    return {key: tuple(row.program_section for row in sorted(listed, key=lambda row: row.rank))
            for key, listed in found.items()}


def _role_sections(db: Session, role: str, situation: Optional[str] = None) -> Tuple[int, ...]:
    snapshot = programs_snapshot(db)
    roles = snapshot.roles if snapshot is not None else role_sections_of(db.execute(select(Role)).scalars().all())
    return roles.get((role, situation), ())


def general_desk(db: Session) -> Program:
    """The program offered when nothing fits (roles.yml ``general_desk``): its main desk is the general desk."""
    return known_program(db, _role_sections(db, "general_desk")[0])


def moving_in_program(db: Session) -> Program:
    """The program for someone moving to Aomori to start a business (roles.yml ``moving_in``)."""
    return known_program(db, _role_sections(db, "moving_in")[0])


def job_seeker_sections(db: Session) -> Tuple[int, ...]:
    """The programs that serve people who are not owners (roles.yml ``job_seekers``)."""
    return _role_sections(db, "job_seekers")


def topic_programs(db: Session) -> List[Program]:
    """The programs offered as topic buttons, in order (roles.yml ``topics``)."""
    return [known_program(db, section) for section in _role_sections(db, "topic")]


def candidates(db: Session, situation: str) -> List[Program]:
    """The programs that serve a situation of several (「market」: 販路を広げたい, 「expert」: 専門家に来てほしい), in
    the order of the buttons (roles.yml ``candidates``)."""
    sections = _role_sections(db, "candidate", situation)
    if not sections:
        raise ValueError(f"no candidates for situation {situation!r}")
    return [known_program(db, section) for section in sections]


def innovation_program(db: Session) -> Program:
    """The 経営革新 program: the one whose rules carry the employee limits, plan period and growth targets (the
    loader checks that exactly one does)."""
    return next(row for row in all_programs(db) if any(rule.kind == "employee_limit" for rule in row.rules))


# ---- every program, read once per data version ---------------------------------------------------

@dataclass(frozen=True)
class ProgramsSnapshot:
    """Every program with its offers, desks, places (and their contacts) and rules, and the roles programs play, as
    one load of the store left them. Read-only, shared by all sessions of the process: the rows change only when the
    knowledge is reloaded, which writes a new ``data_version``. The words that name a program are built from the same
    rows."""
    version: str
    ordered: Tuple[Program, ...]
    by_section: Dict[int, Program]
    by_slug: Dict[str, Program]
    naming_words: Tuple[Tuple[str, int], ...]
    venue_words: Tuple[Tuple[str, int], ...]
    roles: RoleSections


_snapshots: Dict[str, ProgramsSnapshot] = {}  # database URL -> the latest snapshot read from it
_snapshots_lock = threading.Lock()


def _read_snapshot(url: str) -> ProgramsSnapshot:
    """Every program and the data version, in one transaction of a session of its own (so they agree: a reload
    takes the tables exclusively, knowledge/loader.py), detached from it with every relationship loaded."""
    from knowledge.db import session

    with session(url) as db:
        _, version = cache_key(db)
        ordered = tuple(db.execute(select(Program).order_by(Program.section)).scalars())
        roles = role_sections_of(db.execute(select(Role)).scalars().all())
        db.expunge_all()
    return ProgramsSnapshot(version, ordered, {row.section: row for row in ordered},
                            {row.slug: row for row in ordered}, naming_words_of(ordered), venue_words_of(ordered),
                            roles)


def programs_snapshot(db: Session) -> Optional[ProgramsSnapshot]:
    """The programs of the data version ``db`` reads, from memory; None when that version cannot be served from
    memory (a reload committed between ``db``'s read and this one: ``db`` then reads the rows itself).

    Every turn looks programs up several times (the one in focus, those its message names, the general desk); read
    from the store each time, they were most of the action server's work and of PostgreSQL's. An answer never mixes
    versions: the snapshot is used only when its version is the one ``db`` sees."""
    url, version = cache_key(db)
    snapshot = _snapshots.get(url)
    if snapshot is None or snapshot.version != version:
        with _snapshots_lock:
            snapshot = _snapshots.get(url)
            if snapshot is None or snapshot.version != version:
                snapshot = _read_snapshot(url)
                _snapshots[url] = snapshot
    return snapshot if snapshot.version == version else None


# ---- places and regional desks by location ---------------------------------------------------------

def places_near(program_row: Program, location: Location) -> Tuple[Place, ...]:
    """The program's places for a location: those in the municipality named, else those in its area; a place
    named after the area comes first (for 青森市, §13's 東青地域県民局 before the prefecture's own group)."""
    found: Tuple[Place, ...] = ()
    if location.municipality:
        found = tuple(p for p in program_row.places if p.city == location.municipality)
    if not found:
        found = tuple(p for p in program_row.places if p.area == location.area)
    return tuple(sorted(found, key=lambda p: not (p.area and p.area in p.name)))


# ---- single fields -------------------------------------------------------------------------------

def field_value(program_row: Program, name: str) -> Optional[str]:
    """One fact of a program's main desk or record, as the guide states it; None when not stated."""
    desk = program_row.main_desk
    if name == "phone":
        return facts.desk_phone(desk) or None
    if name == "fax":
        return desk.fax
    if name == "email":
        return desk.email
    if name == "address":
        return desk.address or desk.location
    if name == "hours":
        return desk.hours_text
    if name == "cost":
        return program_row.cost_text
    if name == "target":
        return program_row.eligibility_target
    if name == "limits":
        return program_row.limits_text
    if name == "how_to_apply":
        return program_row.how_to_apply
    raise ValueError(f"unknown field {name!r}; known: {FIELDS}")


# ---- opening hours -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenStatus:
    hours_text: str
    is_open: Optional[bool]  # None: the guide's hours cannot tell (no days given)
    next_opening: Optional[datetime]
    caveats: Tuple[str, ...]  # closures the guide names without dates


def year_end(db: Session) -> YearEnd:
    return YearEnd.from_setting(db.get(Setting, "year_end").value)


def open_status(db: Session, where: Union[Desk, Place], moment: datetime) -> Optional[OpenStatus]:
    """Whether a desk or place is open at ``moment``; None when the guide gives no hours for it."""
    if not where.hours:
        return None
    hours = OpeningHours.from_data(where.hours)
    closure = year_end(db)
    return OpenStatus(hours.text, hours.is_open(moment, closure), hours.next_opening(moment, closure),
                      hours.other_closures)


def with_hours(program_row: Program) -> Sequence[Union[Desk, Place]]:
    """The program's desks and places that have opening hours in the guide."""
    return [x for x in [*program_row.desks, *program_row.places] if x.hours]


# ---- programs named in free text -------------------------------------------------------------------

def venue_words_of(programs: Sequence[Program]) -> Tuple[Tuple[str, int], ...]:
    """(normalized word, section) for every desk or place name or alias, desk group or department (or its last
    word: the 課) that belongs to one program only, longest first. Names shared by several programs (§10–§12 share
    one desk) cannot name a program."""
    owners: dict = {}
    for row in programs:
        venues = [*row.desks, *row.places]
        for name in [name for venue in venues for name in [venue.name, *(venue.aliases or [])]] + [
                name for desk in row.desks for name in (desk.group_name, desk.department,
                                                        (desk.department or "").split(" ")[-1])
                if name and len(name) >= MIN_UNIT_NAME]:
            owners.setdefault(compact(name), set()).add(row.section)
    words = [(name, next(iter(sections))) for name, sections in owners.items() if len(sections) == 1 and name]
    return tuple(sorted(set(words), key=lambda item: -len(item[0])))


def naming_words_of(programs: Sequence[Program]) -> Tuple[Tuple[str, int], ...]:
    """(normalized word, section) for every alias of a program, and every venue word (:func:`venue_words_of`),
    longest first."""
    words = [(compact(alias), row.section) for row in programs for alias in [row.name, *row.aliases]]
    words += list(venue_words_of(programs))
    return tuple(sorted(set(words), key=lambda item: -len(item[0])))


def _naming_words(db: Session) -> Tuple[Tuple[str, int], ...]:
    """The naming words of the data ``db`` reads: the snapshot's, built once per data version (every follow-up
    asks for them)."""
    snapshot = programs_snapshot(db)
    return snapshot.naming_words if snapshot is not None else naming_words_of(all_programs(db))


def programs_named_in(db: Session, text: str, venues_only: bool = False) -> List[Tuple[Program, str]]:
    """Programs whose name, alias or own desk appears in ``text``, with the word that named each,
    in order of first appearance.

    Only names count, never generic words: 「事業承継の電話番号は？」 names §21, 「費用はかかりますか」 names none.
    ``venues_only``: only the names of desks and places (「食品産業振興グループ」), not the programs' own aliases."""
    haystack = compact(text)
    first: dict = {}
    snapshot = programs_snapshot(db)
    words = (snapshot.venue_words if snapshot is not None else venue_words_of(all_programs(db))) if venues_only \
        else _naming_words(db)
    for word, section in words:  # longest first: the longest word at a position wins
        position = haystack.find(word)
        if word and position != -1 and position < first.get(section, (len(haystack) + 1, ""))[0]:
            first[section] = (position, word)
    return [(known_program(db, section), first[section][1])
            for section in sorted(first, key=lambda s: first[s][0])]


def mentions(program_row: Program, text: str) -> bool:
    """Whether ``text`` occurs in the program's own record (name, aliases, keywords, offers, summary)."""
    own = normalize(" ".join([program_row.name, program_row.summary, *program_row.aliases, *program_row.keywords,
                              *(offer.name for offer in program_row.offers)]))
    return normalize(text) in own


def program_for_market(db: Session, text: str, sections: Sequence[int]) -> Optional[Program]:
    """Among ``sections``, the program whose market the text names first (「台湾で」→§11, 「関東の」→§17)."""
    haystack = normalize(text)
    found = [(haystack.find(normalize(market)), -len(market), row) for row in all_programs(db)
             if row.section in sections for market in row.markets if normalize(market) in haystack]
    return min(found, key=lambda item: item[:2])[2] if found else None

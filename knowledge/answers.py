"""One answer about one program at the level the guide is written: which desk or place it speaks of, and the
facts asked of that one record. The one home of that choice; actions ask here once and render what they get.

The guide lists several desks per program (§22's own number for 計画策定支援, §9's booking desk), rooms per town
(§6), regional desks (§13), satellites and venues (§16, §18). The most specific record that fits what the
conversation knows is chosen, in this order:
1. a desk or place named in this message (its name, an alias: 8サポ, とわふる, 発明協会, or what it serves: GL枠);
2. the user's town said in this message (its room, regional desk or venue; else one in its area);
3. the desk or place the conversation chose before (a sub-service stays chosen for the next question);
4. the town said earlier in the conversation;
5. the program's main desk (担当窓口).
A place that lists no contacts of its own (a venue) is reached through the program's booking desk (申込先) when
it has one, else its main desk: that is how the guide words §9's, §16's and §18's venues.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

from sqlalchemy.orm import Session

from knowledge import facts, query, rules
from knowledge.locations import Location
from knowledge.models import Desk, Place, Program, Setting
from knowledge.text import compact

BOOKING_ROLE = "申込先"
# Facts of the program's record, the same whatever desk is chosen.
PROGRAM_FIELDS = ("cost", "target", "limits", "how_to_apply", "period")
# Facts of the chosen desk or place.
CONTACT_FIELDS = ("phone", "fax", "email", "extension")
SHORTEST_NAME = 2  # shorter aliases would match inside unrelated words


@dataclass(frozen=True)
class Spot:
    """The desk or place an answer speaks of, and why it was chosen (named, town, remembered, main)."""

    program: Program
    desk: Optional[Desk] = None
    place: Optional[Place] = None
    via: str = "main"

    @property
    def key(self) -> str:
        """What the conversation remembers of the choice: 「desk:1」「place:3」 (ranks within the program)."""
        return f"place:{self.place.rank}" if self.place is not None else f"desk:{self._desk.rank}"

    @property
    def name(self) -> str:
        """What the reply calls it; a second desk also by its role (§22's two desks share one name)."""
        if self.place is not None:
            return self.place.name
        return self._desk.name if self.is_main else f"{self._desk.name}（{self._desk.role}）"

    @property
    def _desk(self) -> Desk:
        """The chosen desk of a spot that is no place: every spot is one or the other."""
        assert self.desk is not None, "a spot is a desk or a place"
        return self.desk

    @property
    def is_main(self) -> bool:
        return self.place is None and self.desk is self.program.main_desk

    @property
    def reached_through(self) -> Optional[Desk]:
        """The desk to contact for a place that lists no contacts of its own (a venue); None otherwise."""
        if self.place is None or self.place.contacts:
            return None
        booking = [d for d in self.program.desks if d.role == BOOKING_ROLE]
        return booking[0] if booking else self.program.main_desk

    @property
    def venue(self) -> Union[Desk, Place]:
        return self.place if self.place is not None else self._desk


@dataclass(frozen=True)
class Fact:
    """One asked fact of the chosen record: its label and lines, or ``lines`` empty when the guide lacks it."""

    field: str
    label: str
    lines: Tuple[str, ...] = ()

    @property
    def missing(self) -> bool:
        return not self.lines


@dataclass(frozen=True)
class Answer:
    spot: Spot
    facts: Tuple[Fact, ...]

    @property
    def found(self) -> Tuple[Fact, ...]:
        return tuple(f for f in self.facts if not f.missing)

    @property
    def missing(self) -> Tuple[Fact, ...]:
        return tuple(f for f in self.facts if f.missing)


# ---- what a question asks for ---------------------------------------------------------------------

def question_fields(db: Session) -> List[dict]:
    setting = db.get(Setting, "question_fields")
    return list(setting.value) if setting else []


def labels(db: Session) -> dict:
    return {f["name"]: f["label"] for f in question_fields(db)}


def fields_asked(db: Session, text: str, program: Optional[Program] = None, followup: bool = True) -> List[str]:
    """The facts a message asks for, in the order it names them (「FAXとメール」→ fax, email); longest word first
    at each position, and a matched stretch is not matched again (「FAX番号」 is not also a phone question).
    The names of ``program``'s desks and places are not questions (「無料相談会」 does not ask the cost).
    ``followup``: the program is already under discussion, so words that in a first message describe the situation
    (「募集」「時間」) ask for a fact too."""
    haystack = compact(text)
    if program is not None:
        for name in sorted({n for venue in [*program.desks, *program.places] for n in _names_of(venue)},
                           key=len, reverse=True):
            haystack = haystack.replace(name, "\0" * len(name))
    words = sorted(((compact(w), f["name"]) for f in question_fields(db)
                    for w in [*f["words"], *(f.get("followup_words", []) if followup else [])]),
                   key=lambda item: -len(item[0]))
    found: List[Tuple[int, str]] = []
    for word, name in words:
        start = haystack.find(word)
        while word and start != -1:
            found.append((start, name))
            haystack = haystack[:start] + "\0" * len(word) + haystack[start + len(word):]
            start = haystack.find(word)
    ordered = [name for _, name in sorted(found)]
    return list(dict.fromkeys(ordered))


# ---- which desk or place ----------------------------------------------------------------------------

def _names_of(venue: Union[Desk, Place]) -> List[str]:
    names = [venue.name, *(venue.aliases or []), *(venue.serves or [])]
    return [compact(n) for n in names if len(compact(n)) >= SHORTEST_NAME]


def _longest_named(names: Sequence[str], haystack: str) -> int:
    return max((len(name) for name in names if name in haystack), default=0)


def _is_near(venue: Union[Desk, Place], location: Optional[Location]) -> bool:
    return location is not None and (venue.city == location.municipality if location.municipality
                                     else venue.area == location.area)


def named_spot(program: Program, text: str, location: Optional[Location] = None) -> Optional[Spot]:
    """A desk or place of the program that the message names (its name, an alias, or what it serves; the main
    desk only by what it serves, its name being the default anyway). The longest name wins; a word that names
    several places alike (「サテライト」「無料相談会」) names the one in the user's town, else the desk serving it."""
    haystack = compact(text)
    main_names = set(_names_of(program.main_desk))
    desks = []
    for desk in program.desks:
        names = ([compact(n) for n in desk.serves or []] if desk is program.main_desk
                 else [n for n in _names_of(desk) if n not in main_names])
        length = _longest_named(names, haystack)
        if length:
            desks.append((length, -desk.rank, desk))
    # the main desk named in full (「県農林水産部 食ブランド・流通推進課 …グループ」) outranks a place named by
    # a part of it; other desks are named by their own words, never by the name they share with the main desk
    main_named = _longest_named(list(main_names), haystack)
    places = [(length, place) for place in program.places
              if (length := _longest_named(_names_of(place), haystack)) and length >= main_named]
    if places:
        best = max(length for length, _ in places)
        top = [place for length, place in places if length == best]
        if len(top) == 1 and best >= max((length for length, _, _ in desks), default=0):
            return Spot(program, place=top[0], via="named")
        near = [place for place in top if _is_near(place, location)]
        if near:
            return Spot(program, place=near[0], via="named")
    if desks:
        return Spot(program, desk=max(desks, key=lambda hit: hit[:2])[2], via="named")
    return Spot(program, place=top[0], via="named") if places else None


def local_spot(program: Program, location: Optional[Location], via: str = "place") -> Optional[Spot]:
    """The place of the user's town or area; where there is none, a place the guide ties to no town (§16's
    出張相談会, held 「県内数箇所」) serves them."""
    if location is None or not program.places:
        return None
    near = query.places_near(program, location) or tuple(p for p in program.places if p.city is None)
    return Spot(program, place=near[0], via=via) if near else None


def spot_by_key(program: Program, key: Optional[str]) -> Optional[Spot]:
    if not key or ":" not in key:
        return None
    kind, _, rank = key.partition(":")
    items = program.places if kind == "place" else program.desks if kind == "desk" else ()
    found = [item for item in items if str(item.rank) == rank]
    if not found:
        return None
    return Spot(program, place=found[0], via="remembered") if kind == "place" else \
        Spot(program, desk=found[0], via="remembered")


def choose(program: Program, text: str = "", said: Optional[Location] = None,
           remembered_key: Optional[str] = None, remembered: Optional[Location] = None) -> Spot:
    """The most specific desk or place of ``program`` for what the conversation knows (see the module's order)."""
    return (named_spot(program, text, said or remembered) or local_spot(program, said)
            or spot_by_key(program, remembered_key) or local_spot(program, remembered)
            or Spot(program, desk=program.main_desk))


# ---- the facts of the chosen record ---------------------------------------------------------------

def _contact_lines(spot: Spot, name: str) -> List[str]:
    """Phone, FAX, e-mail or extension of the chosen record; a place's contacts each on a line, by name."""
    desk = spot.desk if spot.place is None else spot.reached_through
    if desk is not None:
        value = {"phone": facts.desk_phone(desk), "fax": desk.fax, "email": desk.email,
                 "extension": None}[name]
        if not value:
            return []
        return [value if spot.place is None else f"{value}（{desk.name}）"]
    lines = []
    assert spot.place is not None, "a spot without a desk to call is a place with contacts of its own"
    contacts = spot.place.contacts
    several = len(contacts) > 1 or contacts[0].name != spot.place.name
    for contact in contacts:
        value = {"phone": contact.phone and facts.phone_text(contact.phone, extension=contact.extension),
                 "fax": contact.fax, "email": None,
                 "extension": contact.extension and f"内線{contact.extension}"}[name]
        if value:
            lines.append(f"{value}（{contact.name}）" if several else value)
    return lines


def _place_lines(spot: Spot) -> List[str]:
    venue = spot.venue
    if spot.place is not None:
        if spot.place.address:
            return [spot.place.address]
        return [f"{spot.place.name}（{spot.place.city}）"] if spot.place.city else []
    address = venue.address or venue.location
    return [address] if address else []


def _hours_lines(spot: Spot) -> List[str]:
    """The chosen record's hours; the main desk without hours of its own: the first desk or place of the program
    that has them, named (§16's 事務局 is reached at the centre's 相談窓口)."""
    if spot.venue.hours_text:
        return [spot.venue.hours_text]
    if spot.is_main:
        first = next(iter(query.with_hours(spot.program)), None)
        return [f"{first.hours_text}（{first.name}）"] if first is not None else []
    return []


def _reservation_lines(spot: Spot) -> List[str]:
    """要予約 (the guide says 要予約 or 予約制) of the chosen record; a desk that books venues which all need one
    (§18's 相談会) answers for them; else the program's own note on reservations, verbatim; then how to apply."""
    venue, program = spot.venue, spot.program
    booking = spot.reached_through if spot.reached_through is not None else (
        spot.desk if spot.desk is not None and spot.desk.role == BOOKING_ROLE else None)
    where = f"（申込先：{booking.name}）" if booking is not None and booking.role == BOOKING_ROLE else ""
    found = [note for note in program.notes if "予約" in note]
    if venue.reservation or (spot.place is None and program.places and all(p.reservation for p in program.places)):
        found = ["要予約（予約制）" + where]
    return found


def program_value(db: Session, program: Program, name: str) -> Optional[str]:
    """A fact of the program's record, as the guide states it (lists as lines); None when not stated."""
    if name == "target":
        if not program.eligibility_target:
            return None
        conditions = program.eligibility_conditions or []
        return program.eligibility_target + ("\n" + facts.bullet_lines(conditions) if conditions else "")
    if name == "limits":
        if program.limits_text:
            return program.limits_text
        limit = rules.visit_limit(db, program.section)
        return limit.text if limit else None
    if name == "period":
        return program.period
    value = query.field_value(program, name)
    if value and program.places and facts.points_to_a_list(value):
        # §16's 「次の窓口や相談会を実施しています」: the list it points to is the program's places
        return value + "\n" + facts.place_lines(program.places)
    return value


def fact(db: Session, spot: Spot, name: str, label: str) -> Fact:
    if name in CONTACT_FIELDS:
        lines = _contact_lines(spot, name)
    elif name == "address":
        lines = _place_lines(spot)
    elif name == "hours":
        lines = _hours_lines(spot)
    elif name == "reservation":
        # whether to book is a question of how to apply: the guide's own words on it follow
        how = program_value(db, spot.program, "how_to_apply")
        lines = _reservation_lines(spot) + ([f"申込方法：{how}"] if how else [])
    elif name in PROGRAM_FIELDS:
        value = program_value(db, spot.program, name)
        lines = [value] if value else []
    else:
        raise ValueError(f"unknown field {name!r}")
    return Fact(name, label, tuple(lines))


def answer(db: Session, spot: Spot, names: Sequence[str]) -> Answer:
    """The facts ``names`` of the chosen record, each labelled, in the order asked."""
    label_of = labels(db)
    return Answer(spot, tuple(fact(db, spot, name, label_of.get(name, name)) for name in names))


def fact_lines_of(spot: Spot, names: Sequence[str]) -> List[str]:
    """The lines of facts of the chosen record that need no store lookup (contacts, address, hours)."""
    finders = {"address": _place_lines, "hours": _hours_lines, "reservation": _reservation_lines}
    return [line for name in names
            for line in (finders[name](spot) if name in finders else _contact_lines(spot, name))]


def contact_summary(spot: Spot) -> List[str]:
    """Every contact the chosen record has, labelled: what is given when the asked fact is missing."""
    lines = []
    for name, label in (("phone", "電話"), ("fax", "FAX"), ("email", "メール")):
        lines += [f"{label}：{line}" for line in _contact_lines(spot, name)]
    return lines

"""Tables of the knowledge store: the guide's programs and everything hanging off them.

Lists that are only ever read whole (keywords, notes, conditions, hours, rule parameters) are JSON
columns; anything queried by value (city, area, section, slug) is a real column with an index.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base, declared_attr, relationship

# SQLAlchemy 1.4 ships no type information: the declarative base is declared Any so that the type checker
# accepts the tables as classes (their columns are Any to it).
Base: Any = declarative_base()


class Program(Base):
    __tablename__ = "programs"

    section = Column(Integer, primary_key=True, autoincrement=False)
    slug = Column(String(80), unique=True, nullable=False)
    title = Column(Text, nullable=False)
    situation = Column(Text, nullable=False)
    name = Column(Text, nullable=False)
    summary = Column(Text, nullable=False)
    keywords = Column(JSON, nullable=False)
    aliases = Column(JSON, nullable=False)
    markets = Column(JSON, nullable=False)
    eligibility_target = Column(Text)
    eligibility_conditions = Column(JSON, nullable=False)
    cost_text = Column(Text)
    cost_free = Column(Boolean)
    limits_text = Column(Text)
    how_to_apply = Column(Text)
    period = Column(Text)
    notes = Column(JSON, nullable=False)
    confidential = Column(Boolean, nullable=False)

    offers = relationship("Offer", order_by="Offer.rank", lazy="selectin", cascade="all, delete-orphan")
    desks = relationship(
        "Desk", order_by="Desk.rank", lazy="selectin", cascade="all, delete-orphan", back_populates="program"
    )
    places = relationship(
        "Place", order_by="Place.rank", lazy="selectin", cascade="all, delete-orphan", back_populates="program"
    )
    rules = relationship("Rule", order_by="Rule.rank", lazy="selectin", cascade="all, delete-orphan")
    # written with the program (so a database inserts the program first); read by knowledge/passages.py, never here
    passages = relationship("Passage", order_by="Passage.rank", lazy="noload", cascade="all, delete-orphan")
    # written with the program, like passages; read by knowledge/query.py
    roles = relationship("Role", order_by="Role.rank", lazy="noload", cascade="all, delete-orphan")

    @property
    def main_desk(self) -> "Desk":
        """The guide's 【担当窓口】: listed first in every program."""
        return self.desks[0]


class Offer(Base):
    __tablename__ = "offers"

    id = Column(Integer, primary_key=True)
    program_section = Column(Integer, ForeignKey("programs.section"), nullable=False, index=True)
    rank = Column(Integer, nullable=False)
    name = Column(Text, nullable=False)
    description = Column(Text)


class _Venue:
    """What a desk and a place both are: a named spot of one program, where it is and when it is open."""

    id = Column(Integer, primary_key=True)
    rank = Column(Integer, nullable=False)
    name = Column(Text, nullable=False)
    city = Column(String(20), index=True)
    area = Column(String(10), index=True)
    address = Column(Text)
    hours = Column(JSON)
    reservation = Column(Boolean)
    aliases = Column(JSON, nullable=False, default=list)  # other names (short forms, building): name it anywhere
    serves = Column(JSON, nullable=False, default=list)  # sub-services it handles: choose it within its program

    @declared_attr
    def program_section(cls):
        return Column(Integer, ForeignKey("programs.section"), nullable=False, index=True)

    @property
    def hours_text(self) -> Optional[str]:
        """The guide's own wording of the opening hours (「平日 8:30～17:15」), None when it gives none."""
        return self.hours["text"] if self.hours else None


class Desk(_Venue, Base):
    __tablename__ = "desks"

    role = Column(Text, nullable=False)
    organization = Column(Text, nullable=False)
    department = Column(Text)
    group_name = Column(Text)
    phone = Column(String(20))
    phone_note = Column(Text)
    fax = Column(String(20))
    email = Column(String(120))
    location = Column(Text)

    program = relationship("Program", back_populates="desks", lazy="joined")


class Place(_Venue, Base):
    __tablename__ = "places"

    kind = Column(Text, nullable=False)

    contacts = relationship("Contact", order_by="Contact.rank", lazy="selectin", cascade="all, delete-orphan")
    program = relationship("Program", back_populates="places", lazy="joined")


class Contact(Base):
    __tablename__ = "contacts"

    id = Column(Integer, primary_key=True)
    place_id = Column(Integer, ForeignKey("places.id"), nullable=False, index=True)
    rank = Column(Integer, nullable=False)
    name = Column(Text, nullable=False)
    phone = Column(String(20))
    extension = Column(String(20))
    fax = Column(String(20))


class Rule(Base):
    __tablename__ = "rules"

    id = Column(Integer, primary_key=True)
    program_section = Column(Integer, ForeignKey("programs.section"), nullable=False, index=True)
    rank = Column(Integer, nullable=False)
    kind = Column(String(40), nullable=False, index=True)
    params = Column(JSON, nullable=False)

    def param(self, key: str, default: Any = None) -> Any:
        return (self.params or {}).get(key, default)


class Passage(Base):
    """One sentence or list item of the guide's own text of a program (knowledge/source/), quoted whole when a
    question matches none of the record's fields (「相談は秘密にしてもらえますか」)."""
    __tablename__ = "passages"
    id = Column(Integer, primary_key=True)
    program_section = Column(Integer, ForeignKey("programs.section"), nullable=False, index=True)
    rank = Column(Integer, nullable=False)
    text = Column(Text, nullable=False)


class Role(Base):
    """A part a program plays in the conversation (knowledge/roles.yml): the general desk, a topic button, a
    candidate for a situation (``situation``: market, expert). ``rank`` is the program's place among the role's."""
    __tablename__ = "roles"
    id = Column(Integer, primary_key=True)
    program_section = Column(Integer, ForeignKey("programs.section"), nullable=False, index=True)
    role = Column(String(20), nullable=False)  # general_desk / topic / candidate
    situation = Column(String(40))  # a candidate's situation; null for the other roles
    rank = Column(Integer, nullable=False)


class Municipality(Base):
    __tablename__ = "municipalities"

    name = Column(String(20), primary_key=True)
    area = Column(String(10), nullable=False, index=True)
    aliases = Column(JSON, nullable=False)


class Area(Base):
    __tablename__ = "areas"

    name = Column(String(10), primary_key=True)
    reading = Column(String(20), nullable=False)
    rank = Column(Integer, nullable=False)


class Synonym(Base):
    __tablename__ = "synonyms"

    term = Column(String(60), primary_key=True)
    canonical = Column(String(60), nullable=False)


class Setting(Base):
    """Small named values the query code needs from data (e.g. the year-end closure)."""

    __tablename__ = "settings"

    key = Column(String(60), primary_key=True)
    value = Column(JSON, nullable=False)


"""A program as a card of the reply contract: ``custom.programs``, built from a store record.

Every face draws these keys (the web chat as a card, LINE as a Flex bubble), so one builder makes them for every
sender: the assistant's actions (bot/actions/contract.py re-exports these names as part of the whole reply
contract) and the staff console, whose staff send a program's record as a card during a handover. It lives with the
knowledge store because it needs nothing else: the console may import it without importing the actions.
"""
from __future__ import annotations

from typing import Iterable, List, Optional, Text, TypedDict

from knowledge import answers
from knowledge.models import Program


class _CardKeys(TypedDict):
    section: int
    slug: Text
    name: Text
    desk: Text   # the chosen desk's or place's name (knowledge/answers.py), the main desk's when none is chosen
    phone: Text  # its first phone, as dialled (notes and extensions are in the reply text)


class ProgramCard(_CardKeys, total=False):
    """The five keys every card has, plus what a card shows beside them when the guide gives it."""

    email: Text
    hours: Text
    cost: Text


class ProgramsPayload(TypedDict):
    programs: List[ProgramCard]  # never empty


def _dialled(spot: answers.Spot) -> Text:
    """The spot's first phone as dialled: a place's first contact, else the desk that answers for it."""
    if spot.place is not None and spot.place.contacts:
        return next((c.phone for c in spot.place.contacts if c.phone), "")
    desk = spot.desk if spot.place is None else spot.reached_through
    return (desk.phone if desk is not None else None) or ""


def program_card(program: Program, spot: Optional[answers.Spot] = None) -> ProgramCard:
    """The program's card, showing the desk or place the conversation chose (the main desk by default)."""
    spot = spot if spot is not None and spot.program.section == program.section else \
        answers.Spot(program, desk=program.main_desk)
    desk = spot.desk if spot.place is None else spot.reached_through
    card = ProgramCard(section=program.section, slug=program.slug, name=program.name, desk=spot.name,
                       phone=_dialled(spot))
    if desk and desk.email:
        card["email"] = desk.email
    if spot.venue.hours_text:
        card["hours"] = spot.venue.hours_text
    if program.cost_text:
        card["cost"] = program.cost_text
    return card


def programs_payload(programs: Iterable[Program], spot: Optional[answers.Spot] = None
                     ) -> Optional[ProgramsPayload]:
    """The turn's ``custom`` message, or None (no custom message at all) when there is nothing to recommend.
    ``spot``: the desk or place chosen for its program (knowledge/answers.py)."""
    cards = [program_card(p, spot) for p in programs]
    return ProgramsPayload(programs=cards) if cards else None

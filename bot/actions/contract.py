"""The reply contract every face renders: text, buttons, and ``custom.programs`` (best first).

Web chat draws the programs as cards, LINE as Flex bubbles; this module is the one place that turns a
store record into that shape, and the TypedDicts below are the shape the channels may rely on.

A turn carries at most one ``custom`` message, and only when it recommends programs: its ``programs``
list is never empty. A turn without one (greetings, questions back, bad input) shows no cards; Rasa
forwards a custom message to any channel, so an empty one would reach every channel as noise.
"""
from __future__ import annotations

from typing import Iterable, List, Optional, Text, TypedDict

from knowledge import answers
from knowledge.models import Program

CHOOSE_PROGRAM_INTENT = "choose_program"


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


class Button(TypedDict):
    title: Text
    payload: Text


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


def program_button(program: Program) -> Button:
    """A button that selects the program without going through NLU again."""
    return Button(title=program.name, payload=f'/{CHOOSE_PROGRAM_INTENT}{{"program":"{program.section}"}}')


def program_buttons(programs: Iterable[Program]) -> List[Button]:
    return [program_button(p) for p in programs]


# The button that asks for a person (action_request_human): after a 👎, after two unclear turns in a row, and in the
# out-of-scope answer.
HUMAN_BUTTON = Button(title="担当者に相談する", payload="/request_human")


def with_human_button(buttons: Iterable[Button]) -> List[Button]:
    return [*buttons, HUMAN_BUTTON]

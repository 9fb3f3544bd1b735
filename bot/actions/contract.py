"""The reply contract every face renders: text, buttons, and ``custom.programs`` (best first).

Web chat draws the programs as cards, LINE as Flex bubbles. The cards (``ProgramCard``, ``programs_payload``) are
built in knowledge/cards.py, the one place that turns a store record into that shape, because the staff console
sends the same cards during a handover; they are re-exported here, with the buttons, as the whole contract the
actions use.

A turn carries at most one ``custom`` message, and only when it recommends programs: its ``programs``
list is never empty. A turn without one (greetings, questions back, bad input) shows no cards; Rasa
forwards a custom message to any channel, so an empty one would reach every channel as noise.
"""
from __future__ import annotations

from typing import Iterable, List, Text, TypedDict

from knowledge.cards import ProgramCard, ProgramsPayload, program_card, programs_payload
from knowledge.models import Program

__all__ = ["CHOOSE_PROGRAM_INTENT", "Button", "ProgramCard", "ProgramsPayload", "program_button", "program_buttons",
           "program_card", "programs_payload"]

CHOOSE_PROGRAM_INTENT = "choose_program"


class Button(TypedDict):
    title: Text
    payload: Text


def program_button(program: Program) -> Button:
    """A button that selects the program without going through NLU again."""
    return Button(title=program.name, payload=f'/{CHOOSE_PROGRAM_INTENT}{{"program":"{program.section}"}}')


def program_buttons(programs: Iterable[Program]) -> List[Button]:
    return [program_button(p) for p in programs]


# The button that asks for a person (action_request_human): after a 👎, after two unclear turns in a row, and in the
# out-of-scope answer.
HUMAN_BUTTON = Button(title="担当者に相談する", payload="/request_human")
# The button that asks to be called back (action_request_callback), when nobody can take the conversation.
CALLBACK_BUTTON = Button(title="折り返しの連絡を依頼する", payload="/request_callback")


def with_human_button(buttons: Iterable[Button]) -> List[Button]:
    return [*buttons, HUMAN_BUTTON]

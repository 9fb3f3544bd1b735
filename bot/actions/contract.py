"""The reply contract every face renders: text, buttons, and ``custom.programs`` (best first).

Web chat draws the programs as cards, LINE as Flex bubbles, the console as rows; this module is
the one place that turns a store record into that shape.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Text

from knowledge.models import Program

CHOOSE_PROGRAM_INTENT = "choose_program"


def program_card(program: Program) -> Dict[Text, Any]:
    """The five contract keys, plus what a card shows beside them (e-mail, hours, cost) when known."""
    desk = program.main_desk
    card = {"section": program.section, "slug": program.slug, "name": program.name,
            "desk": desk.name, "phone": desk.phone}
    extras = {"email": desk.email, "hours": desk.hours["text"] if desk.hours else None, "cost": program.cost_text}
    card.update({key: value for key, value in extras.items() if value})
    return card


def programs_payload(programs: Iterable[Program]) -> Dict[Text, Any]:
    return {"programs": [program_card(p) for p in programs]}


def program_button(program: Program) -> Dict[Text, Text]:
    """A button that selects the program without going through NLU again."""
    return {"title": program.name, "payload": f'/{CHOOSE_PROGRAM_INTENT}{{"program":"{program.section}"}}'}


def program_buttons(programs: Iterable[Program]) -> List[Dict[Text, Text]]:
    return [program_button(p) for p in programs]

"""The program under discussion: one slot, decided here for every action.

It changes only when the user names another program (its name, own desk or alias, as listed in the
knowledge store) or describes a new situation the NLU recognises with confidence (the program and
which-program actions); never because a follow-up's generic words (費用, 対象, 申し込み) resemble a
program's text.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from bot.actions import understanding
from bot.actions.common import SLOT_LOCATION, SLOT_PROGRAM, SLOT_SPOT, latest_text
from knowledge import answers, query
from knowledge.locations import find_location
from knowledge.models import Program


def remembered(db, tracker: Tracker) -> Optional[Program]:
    """The program the conversation was about before this message, if any."""
    section = tracker.get_slot(SLOT_PROGRAM)
    return query.program(db, str(section)) if section and str(section).isdigit() else None


def named(db, tracker: Tracker) -> Optional[Program]:
    """A program this message names, unless it also names the one already under discussion.

    「事業承継の電話番号は？」 while on §2 names §21; 「専門家派遣の費用は？」 while on §2 stays on §2,
    because §2's own record speaks of 専門家派遣."""
    text = latest_text(tracker)
    if text.startswith("/"):
        return None
    current = remembered(db, tracker)
    found = query.programs_named_in(db, text)
    if not found:
        return None
    first, word = found[0]
    if current is not None and (current in [p for p, _ in found] or query.mentions(current, word)):
        return None
    return first


def program_in_focus(db, tracker: Tracker) -> Optional[Program]:
    """What a follow-up (field, place, rule) is about: a program it names, else the remembered one."""
    return named(db, tracker) or remembered(db, tracker)


def program_asked_about(db, tracker: Tracker) -> Optional[Program]:
    """What a question for a fact is about (「輸出の担当課のメールアドレスは？」): the program in focus, else the
    program the NLU leans to most (from ``understanding.LEANING``): the message names the fact and describes the
    situation, and no program is under discussion yet to ask it of."""
    current = program_in_focus(db, tracker)
    if current is not None:
        return current
    ranking = understanding.program_ranking(tracker.latest_message, top=1, at_least=understanding.LEANING)
    return query.program(db, ranking[0]) if ranking else None


def spot_in_focus(db, tracker: Tracker, program: Program) -> Tuple[answers.Spot, List[Dict[Text, Any]]]:
    """The desk or place of ``program`` this turn speaks of (knowledge/answers.py decides), and the slots that
    remember it: the town said now, and a desk or place chosen by name (a sub-service stays chosen)."""
    text = latest_text(tracker)
    said = find_location(db, text) if not text.startswith("/") else None
    remembered_town = tracker.get_slot(SLOT_LOCATION)
    earlier = find_location(db, remembered_town) if remembered_town else None
    before = remembered(db, tracker)
    key = tracker.get_slot(SLOT_SPOT) if before is not None and before.section == program.section else None
    spot = answers.choose(program, text, said, key, earlier)
    chosen = spot.key if spot.via in ("named", "remembered") else None
    events: List[Dict[Text, Any]] = [SlotSet(SLOT_SPOT, chosen)] if chosen != tracker.get_slot(SLOT_SPOT) else []
    if said is not None:
        events.append(SlotSet(SLOT_LOCATION, said.municipality or said.area))
    return spot, events

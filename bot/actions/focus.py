"""The program under discussion: one slot, decided here for every action.

It changes only when the user names another program (its name, own desk or alias, as listed in the
knowledge store) or describes a new situation the NLU recognises with confidence (the program and
which-program actions); never because a follow-up's generic words (費用, 対象, 申し込み) resemble a
program's text.
"""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from bot.actions.common import SLOT_PROGRAM, latest_text
from knowledge import query
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

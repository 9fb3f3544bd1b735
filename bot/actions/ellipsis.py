"""Elliptical follow-ups: 「八戸の場合は？」「GL枠だと？」「給与のほうは？」 continue the previous question with
the new part, instead of restarting as whatever field the words resemble.

What the previous answer was about is one slot (``SLOT_ASKED``: the facts asked, 「cost_share」 or 「growth」),
set by the answers themselves. A follow-up continues it when it asks no fact of its own, is short, and brings a
new part that fits: a town or a desk for facts, a frame or an item for a cost share, a measure or a plan length
for growth.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import parsing
from bot.actions.common import SLOT_ASKED, latest_text
from bot.actions.followup import answer_question
from bot.actions.rules import (
    INNOVATION_SECTION,
    ITEM_WORDS,
    asked,
    plan_years_said,
    program_of_frame,
    say_cost_share,
    say_growth,
)
from knowledge import answers, query, rules
from knowledge.locations import find_location
from knowledge.models import Program

# An ellipsis is short: 「八戸の場合は？」「GL枠だと？」; a longer message says what it asks.
MAX_CHARS = 20
# Words that name a measure of the growth targets (「給与のほうは？」「付加価値額は？」).
MEASURES = ("給与", "付加価値")


def continue_previous(dispatcher: CollectingDispatcher, tracker: Tracker, db, program: Optional[Program]
                      ) -> Optional[List[Dict[Text, Any]]]:
    """The previous question asked again with this message's new part; None when this is no such follow-up."""
    previous = tracker.get_slot(SLOT_ASKED)
    text = latest_text(tracker)
    if not previous or program is None or len(text) > MAX_CHARS or text.startswith("/"):
        return None
    if answers.fields_asked(db, text, program):
        return None  # it asks a fact of its own
    if previous == "growth":
        if parsing.first_keyword(text, MEASURES) or parsing.plan_years(text):
            innovation = query.known_program(db, INNOVATION_SECTION)
            say_growth(dispatcher, db, innovation, text, plan_years_said(tracker))
            return asked("growth")
        return None
    if previous == "cost_share":
        if rules.cost_share_frames(db, program.section) and (
                program_of_frame(db, text) or parsing.first_keyword(text, ITEM_WORDS)):
            say_cost_share(dispatcher, db, program, text)
            return asked("cost_share")
        return None
    fields = [f for f in previous.split(",") if f]
    if fields and (find_location(db, text) or answers.named_spot(program, text)):
        return answer_question(dispatcher, tracker, db, program, None, fields=fields)
    return None

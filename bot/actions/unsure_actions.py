"""The actions for a message the assistant could not act on: the NLU's fallback, and input the guard refused
(the answers themselves: bot/actions/unsure.py)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker

from bot.actions import focus
from bot.actions.base import AssistantAction
from bot.actions.common import entity_value, latest_text
from bot.actions.followup import answer_free, answer_question
from bot.actions.program import recommend
from bot.actions.unsure import BAD_INPUT_RESPONSES, say_nothing_fits
from bot.limits import MAX_MESSAGE_CHARS
from knowledge import answers, query


class ActionFallback(AssistantAction):
    """Out of scope, said with confidence: with a program under discussion, the guide's sentence that answers it or
    that the guide is silent (with its desk); else an honest answer with the general desk, no program."""

    def name(self) -> Text:
        return "action_fallback"

    def review_kind(self, sections: List[int]) -> Optional[Text]:
        return "fallback"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        current = focus.program_in_focus(db, tracker)
        if current is not None:  # 「駐車場はありますか」 mid-conversation: the guide's sentence, or that it is silent
            return answer_free(dispatcher, tracker, db, current)
        say_nothing_fits(dispatcher, tracker, db)
        return []


class ActionBadInput(AssistantAction):
    """Input the guard could not read (empty, too long, emoji only, not Japanese): say what to send instead.

    A bad_input DIET guessed without the guard (「佐藤と申します。090-…に折り返しください」) is an unsure
    reading (bot/actions/understanding.py), answered and logged like one."""

    def name(self) -> Text:
        return "action_bad_input"

    def review_kind(self, sections: List[int]) -> Optional[Text]:
        return None  # noise the guard recognised is not a miss to review

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        problem = entity_value(tracker, "input_problem") or "no_text"
        named = query.programs_named_in(db, latest_text(tracker)) if problem == "non_japanese" else []
        if named:  # 「AOMORI STARTUP CENTER TEL」: staff type a desk's Latin name; the store knows it
            program = named[0][0]
            if answers.fields_asked(db, latest_text(tracker), program):
                return answer_question(dispatcher, tracker, db, program, None)
            return recommend(dispatcher, tracker, db, program)
        dispatcher.utter_message(response=BAD_INPUT_RESPONSES.get(problem, "utter_bad_input_no_text"),
                                 limit=f"{MAX_MESSAGE_CHARS:,}")
        return []

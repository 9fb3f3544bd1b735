"""The actions that answer a question about a program: a fact of its record (phone, FAX, hours, cost…), where its
desk is for a town, and the figures of its rules. What to say lives in followup, location and rules; these
actions decide which of those answers a message gets."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from bot.actions import focus
from bot.actions.base import AssistantAction
from bot.actions.common import SLOT_PROGRAM, asked, latest_intent, latest_text
from bot.actions.ellipsis import continue_previous
from bot.actions.followup import answer_question, ask_program_first
from bot.actions.intents import FIELD_OF_INTENT
from bot.actions.location import answer_location
from bot.actions.program import ask_which
from bot.actions.rules import (
    answer_numbers,
    cost_share_programs,
    plan_years_said,
    program_of_cost_words,
    program_of_frame,
    say_cost_share,
    say_growth,
    say_innovation_eligibility,
)
from knowledge import answers, query, rules
from knowledge.locations import find_location
from knowledge.models import Program


class ActionAnswerField(AssistantAction):
    def name(self) -> Text:
        return "action_answer_field"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        program = focus.program_asked_about(db, tracker)
        field = FIELD_OF_INTENT.get(latest_intent(tracker) or "")
        if program is None or field is None:
            return ask_program_first(dispatcher, db)
        numbers = answer_numbers(dispatcher, tracker, db, program)
        if numbers is not None:  # 「経費1回36,000円×3回 自己負担額」 read as a count question: computed
            return numbers
        continued = continue_previous(dispatcher, tracker, db, program)
        if continued is not None:  # 「給与のほうは？」 read as a cost question: the growth question, continued
            return continued
        return answer_question(dispatcher, tracker, db, program, field)


class ActionAnswerLocation(AssistantAction):
    def name(self) -> Text:
        return "action_answer_location"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        location = find_location(db, latest_text(tracker))
        if location is None:
            dispatcher.utter_message(response="utter_location_unknown")
            return []
        program = focus.program_in_focus(db, tracker)
        if program is not None and answers.fields_asked(db, latest_text(tracker), program):
            return answer_question(dispatcher, tracker, db, program, None)  # 「むつ 農商工連携 FAX」
        continued = continue_previous(dispatcher, tracker, db, program)
        if continued is not None:  # 「八戸の場合は？」 after 「FAXは？」: the FAX of 八戸's desk
            return continued
        return answer_location(dispatcher, tracker, db, focus.program_in_focus(db, tracker), location)


class ActionAnswerRule(AssistantAction):
    def name(self) -> Text:
        return "action_answer_rule"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        intent, text = latest_intent(tracker), latest_text(tracker)
        program: Optional[Program] = focus.program_in_focus(db, tracker) or program_of_frame(db, text) or (
            program_of_cost_words(db, text) if intent == "ask_cost_share" else None)
        numbers = answer_numbers(dispatcher, tracker, db, program)
        if numbers is not None:
            return numbers
        if intent == "ask_cost_share":
            if program is None:
                ask_which(dispatcher, cost_share_programs(db))
                return []
            if not rules.cost_share_frames(db, program.section):  # no cost share: its cost, as the guide says
                return answer_question(dispatcher, tracker, db, program, "cost")
            say_cost_share(dispatcher, db, program, text)
            return [SlotSet(SLOT_PROGRAM, str(program.section)), *asked("cost_share")]
        innovation = query.innovation_program(db)
        if intent == "ask_innovation_eligibility" and program is not None and program.section != innovation.section:
            return answer_question(dispatcher, tracker, db, program, "target")  # 「うちは対象？」 about the focus
        if intent == "ask_innovation_eligibility":
            say_innovation_eligibility(dispatcher, db, innovation, text)
        elif intent == "ask_growth_requirement":
            say_growth(dispatcher, db, innovation, text, plan_years_said(tracker))
            return [SlotSet(SLOT_PROGRAM, str(innovation.section)), *asked("growth")]
        else:
            return ask_program_first(dispatcher, db)
        return [SlotSet(SLOT_PROGRAM, str(innovation.section))]

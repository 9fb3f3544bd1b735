"""The actions that recommend the program fitting the user's situation, or ask which one when several fit (the
answers themselves: bot/actions/program.py)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker

from bot.actions import focus, understanding
from bot.actions.base import AssistantAction
from bot.actions.common import entity_value, latest_intent, latest_text, program_key
from bot.actions.followup import answer_question
from bot.actions.intents import FIELD_OF_INTENT
from bot.actions.program import NEED_WORDS, QUESTION, REQUEST, TERSE, ask_which, named_program, recommend, typed_section
from bot.actions.rules import answer_numbers
from bot.actions.unsure import answer_in_focus, offer_topics
from bot.program_intents import intent_of_slug, slug_of_intent
from knowledge import answers, query, rules


class ActionRecommendProgram(AssistantAction):
    def name(self) -> Text:
        return "action_recommend_program"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        # a section number or slug (entity_value checks the payload's value), or a number typed as 「21番」
        chosen = entity_value(tracker, "program") or (
            typed_section(latest_text(tracker)) if latest_intent(tracker) == "choose_program" else None)
        key = program_key(chosen or slug_of_intent(latest_intent(tracker)))
        program = query.program(db, key) if key else None
        if program is None:  # a stale button, an unknown section or no program at all: say so, offer the topics
            offer_topics(dispatcher, db, "utter_unknown_program")
            return []
        if not chosen:
            program = named_program(db, tracker) or program
            current = focus.remembered(db, tracker)
            followup = understanding.best_followup(tracker.latest_message)
            if current is not None and program.section == current.section and followup in FIELD_OF_INTENT:
                # 「その知財の窓口ってどこ？」 about the program already under discussion: answer the question
                return answer_question(dispatcher, tracker, db, program, FIELD_OF_INTENT[followup])
            numbers = answer_numbers(dispatcher, tracker, db, program, first_message=True)
            if numbers is not None:
                return numbers
            text = latest_text(tracker)
            asked = answers.fields_asked(db, text, program, followup=False)
            if asked and (QUESTION.search(text) or REQUEST.search(text) or len(text) <= TERSE):
                # 「八戸 創業 TEL」「省エネ診断って費用どれくらい？」: the situation and the question in one message;
                # the desk's phone comes too, as with every first answer
                fields = asked if "phone" in asked else [*asked, "phone"]
                return answer_question(dispatcher, tracker, db, program, None, fields=fields)
        return recommend(dispatcher, tracker, db, program)


class ActionWhichProgram(AssistantAction):
    """「販路を広げたい」「専門家に来てほしい」: several programs fit; a named market decides at once."""

    def name(self) -> Text:
        return "action_which_program"

    def review_kind(self, sections: List[int]) -> Optional[Text]:
        """Asked which of several (a named market can decide at once: then it is an answer)."""
        return "which" if len(sections) > 1 else super().review_kind(sections)

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        intent = latest_intent(tracker)
        current = focus.program_in_focus(db, tracker)
        # the situation's programs, in the order of the buttons (knowledge/roles.yml)
        offered = query.candidates(db, "market" if intent == "need_market_expansion" else "expert")
        sections = [p.section for p in offered]
        sharing = [p for p in offered if rules.cost_share_frames(db, p.section)]
        numbers = answer_numbers(dispatcher, tracker, db, current or (sharing[0] if len(sharing) == 1 else None))
        if numbers is not None:  # 「専門家に1回3万円で5回来てもらうと自己負担は？」: the one with a cost share
            return numbers
        if current is not None and intent in NEED_WORDS and query.mentions(current, NEED_WORDS[intent]):
            # 「専門家ってどんな人が来てくれるの？」 while on a program that sends experts: that program
            return recommend(dispatcher, tracker, db, current)
        if current is not None and intent == "need_expert_dispatch":
            # a program without experts: its desk, and the programs that send experts as buttons
            answer_in_focus(dispatcher, current, offered)
            return []
        named = [p for p, _ in query.programs_named_in(db, latest_text(tracker)) if p.section in sections]
        market = query.program_for_market(db, latest_text(tracker), sections)
        chosen = named[0] if named else market
        if chosen is not None:
            return recommend(dispatcher, tracker, db, chosen)
        confidence = {r["name"]: r["confidence"] for r in tracker.latest_message.get("intent_ranking", [])}
        candidates = sorted(offered, key=lambda p: -confidence.get(intent_of_slug(p.slug), 0.0))
        ask_which(dispatcher, candidates)
        return []

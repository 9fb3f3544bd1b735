"""Honest answers when nothing fits: out of scope, low confidence, and input that cannot be read."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import (entity_value, general_desk, latest_intent, render, slug_of_intent, store_session,
                                topic_programs)
from bot.actions.contract import program_buttons
from knowledge import query
from knowledge.models import Program

NO_PROGRAMS = {"programs": []}
# An unsure guess is offered as a choice only above this confidence, and never more than three.
SUGGEST_MIN_CONFIDENCE = 0.1
SUGGEST_MAX = 3
BAD_INPUT_RESPONSES = {"empty": "utter_bad_input_empty", "too_long": "utter_bad_input_too_long",
                       "no_text": "utter_bad_input_no_text", "non_japanese": "utter_bad_input_non_japanese"}


def offer_topics(dispatcher: CollectingDispatcher, domain: Dict[Text, Any], db, response: Text) -> None:
    """Say we cannot help with this, name the general desk with its phone, offer topic buttons.

    Nothing is recommended with confidence here, so ``custom.programs`` is empty."""
    desk = general_desk(db)
    dispatcher.utter_message(text=render(domain, response, name=desk.name, phone=desk.main_desk.phone),
                             buttons=program_buttons(topic_programs(db)), json_message=NO_PROGRAMS)


def likely_programs(db, tracker: Tracker) -> List[Program]:
    """When the NLU was unsure but leaned to a situation, the programs it leaned to (at most three).

    Nothing when its best guess was not a program (out of scope, small talk, a follow-up): an
    unclear question about the weather must not be answered with a support program."""
    ranking = [r for r in tracker.latest_message.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
    if not ranking or not (slug_of_intent(ranking[0]["name"]) or ranking[0]["name"].startswith("need_")):
        return []
    slugs = [slug_of_intent(r["name"]) for r in ranking
             if slug_of_intent(r["name"]) and r["confidence"] >= SUGGEST_MIN_CONFIDENCE]
    return [query.program(db, slug) for slug in slugs[:SUGGEST_MAX]]


class ActionFallback(Action):
    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        with store_session() as db:
            if latest_intent(tracker) == "out_of_scope":
                offer_topics(dispatcher, domain, db, "utter_out_of_scope")
                return []
            candidates = likely_programs(db, tracker)
            if not candidates:
                offer_topics(dispatcher, domain, db, "utter_low_confidence")
                return []
            desk = general_desk(db)
            # The likely programs are offered as buttons only: nothing is recommended, so
            # custom.programs stays empty (an unclear question may be out of scope).
            dispatcher.utter_message(
                text=render(domain, "utter_low_confidence_candidates", name=desk.name, phone=desk.main_desk.phone),
                buttons=program_buttons(candidates), json_message=NO_PROGRAMS)
        return []


class ActionBadInput(Action):
    def name(self) -> Text:
        return "action_bad_input"

    async def run(self, dispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        problem = entity_value(tracker, "input_problem") or "no_text"
        response = BAD_INPUT_RESPONSES.get(problem, "utter_bad_input_no_text")
        dispatcher.utter_message(text=render(domain, response, limit="1,000"), json_message=NO_PROGRAMS)
        return []

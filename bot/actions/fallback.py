"""Honest answers when nothing fits: out of scope, low confidence, and input that cannot be read."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import entity_value, general_desk, latest_intent, render, store_session, topic_programs
from bot.actions.contract import program_buttons

NO_PROGRAMS = {"programs": []}
BAD_INPUT_RESPONSES = {"empty": "utter_bad_input_empty", "too_long": "utter_bad_input_too_long",
                       "no_text": "utter_bad_input_no_text", "non_japanese": "utter_bad_input_non_japanese"}


def offer_topics(dispatcher: CollectingDispatcher, domain: Dict[Text, Any], db, response: Text) -> None:
    """Say we cannot help with this, name the general desk with its phone, offer topic buttons.

    Nothing is recommended with confidence here, so ``custom.programs`` is empty."""
    desk = general_desk(db)
    dispatcher.utter_message(text=render(domain, response, name=desk.name, phone=desk.main_desk.phone),
                             buttons=program_buttons(topic_programs(db)), json_message=NO_PROGRAMS)


class ActionFallback(Action):
    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        response = "utter_out_of_scope" if latest_intent(tracker) == "out_of_scope" else "utter_low_confidence"
        with store_session() as db:
            offer_topics(dispatcher, domain, db, response)
        return []


class ActionBadInput(Action):
    def name(self) -> Text:
        return "action_bad_input"

    async def run(self, dispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        problem = entity_value(tracker, "input_problem") or "no_text"
        response = BAD_INPUT_RESPONSES.get(problem, "utter_bad_input_no_text")
        dispatcher.utter_message(text=render(domain, response, limit="1,000"), json_message=NO_PROGRAMS)
        return []

"""The greeting (also LINE's follow event): what the assistant does, and the main topics as buttons."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker

from bot.actions.base import AssistantAction
from bot.actions.common import NO_PROGRAMS, topic_programs
from bot.actions.contract import program_buttons


class ActionGreet(AssistantAction):
    def name(self) -> Text:
        return "action_greet"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_greet", buttons=program_buttons(topic_programs(db)),
                                 json_message=NO_PROGRAMS)
        return []

"""The greeting (also LINE's follow event): what the assistant does, and the main topics as buttons."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker

from bot.actions.base import AssistantAction
from bot.actions.contract import program_buttons
from knowledge import query


class ActionGreet(AssistantAction):
    def name(self) -> Text:
        return "action_greet"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_greet", buttons=program_buttons(query.topic_programs(db)))
        return []


# Small talk the assistant answers with a fixed response, when it is sure that is what the user said.
SMALL_TALK_RESPONSES = {"thanks": "utter_thanks", "goodbye": "utter_goodbye", "bot_challenge": "utter_bot_challenge"}


class ActionSmallTalk(AssistantAction):
    """Thanks, goodbye, 「あなたはAI？」: through the same policy as every other turn, so that
    「窓口の人に直接会って話したい」, half-read as 「are you a bot?」, is not answered as one."""

    def name(self) -> Text:
        return "action_small_talk"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        dispatcher.utter_message(response=SMALL_TALK_RESPONSES.get(intent, "utter_thanks"))
        return []

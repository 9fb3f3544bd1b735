"""The greeting (also LINE's follow event): what the assistant does, and the main topics as buttons."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import render, store_session, topic_programs
from bot.actions.contract import program_buttons


class ActionGreet(Action):
    def name(self) -> Text:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        with store_session() as db:
            buttons = program_buttons(topic_programs(db))
        dispatcher.utter_message(text=render(domain, "utter_greet"), buttons=buttons, json_message={"programs": []})
        return []

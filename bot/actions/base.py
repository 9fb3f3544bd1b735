"""The shape every action of this assistant shares: read the message with the one ambiguity policy,
answer only a sure reading, and never leave the user in silence when something fails."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import understanding
from bot.actions.common import NO_PROGRAMS, store_session

logger = logging.getLogger(__name__)


class AssistantAction(Action):
    """Subclasses implement :meth:`answer`; unsure readings go to :func:`bot.actions.unsure.respond`."""

    def name(self) -> Text:  # pragma: no cover - every subclass names itself
        raise NotImplementedError

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, db, domain: Dict[Text, Any]
               ) -> List[Dict[Text, Any]]:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        from bot.actions import unsure  # unsure imports the program actions' helpers

        try:
            with store_session() as db:
                reading = understanding.read(tracker.latest_message)
                if not reading.sure:
                    return unsure.respond(dispatcher, tracker, db, reading)
                return self.answer(dispatcher, tracker, db, domain)
        except Exception:  # an answer must never be silence: apologise, keep the conversation's state
            logger.exception("action %s failed", self.name())
            dispatcher.utter_message(response="utter_internal_error", json_message=NO_PROGRAMS)
            return []

"""The shape every action of this assistant shares: read the message with the one ambiguity policy,
answer only a sure reading, and never leave the user in silence when something fails."""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import callback, turn_log, understanding, unsure
from bot.actions.common import latest_text, store_session
from bot.actions.program import recommend
from knowledge import query
from knowledge.elsewhere import whereabouts

logger = logging.getLogger(__name__)


class AssistantAction(Action, ABC):
    """Subclasses implement :meth:`answer`; unsure readings go to :func:`bot.actions.unsure.respond`.

    Abstract, so rasa_sdk's executor does not register this base as an action of its own."""

    @abstractmethod
    def name(self) -> Text:
        """The action's name in domain.yml."""

    def review_kind(self, sections: List[int]) -> Optional[Text]:
        """What a sure answer of this action counts as in the review log (review/models.py KINDS);
        None: not logged. An answer that gives programs is an answer; greetings and the like are not."""
        return "answer" if sections else None

    @abstractmethod
    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, db, domain: Dict[Text, Any]
               ) -> List[Dict[Text, Any]]:
        """Answer a message the policy judged sure; return the events (slots) to apply."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            with store_session() as db:
                taken = callback.take(dispatcher, tracker, db) if callback.awaiting(tracker) else None
                if taken is not None:  # the call-back request just asked for (bot/actions/callback.py)
                    return taken
                reading = understanding.read(tracker.latest_message)
                place = (whereabouts(db, latest_text(tracker))
                         if understanding.place_may_decide(tracker.latest_message) else None)
                if place is not None and place.kind == "elsewhere":
                    # 「秋田で居酒屋をやってますが…」: the programs are for businesses in the prefecture
                    events = unsure.answer_elsewhere(dispatcher, db, place)
                    kind: Optional[Text] = None
                elif unsure.not_for_an_owner(db, tracker, reading):
                    # 「勤め先の社長に後継ぎがいなくて…退職金は出るのかな」: a worker about their own job (and a
                    # student coming home for a job is not moving here to start a business)
                    unsure.say_out_of_scope(dispatcher, db, latest_text(tracker))
                    events, kind = [], "fallback"
                elif place is not None and place.kind == "moving_in":
                    # 「東京から地元に戻って店を開きたい」: the program for moving here to start a business
                    events = recommend(dispatcher, tracker, db, query.moving_in_program(db))
                    kind = "answer"
                elif not reading.sure:
                    events = unsure.respond(dispatcher, tracker, db, reading)
                    unsure.offer_a_person_when_unclear_twice(dispatcher, tracker)
                    kind = "unsure" if reading.candidates else "fallback"
                else:
                    events = self.answer(dispatcher, tracker, db, domain)
                    kind = self.review_kind(turn_log.sections_answered(dispatcher))
        except Exception:  # an answer must never be silence: apologise, keep the conversation's state
            logger.exception("action %s failed", self.name())
            dispatcher.messages.clear()  # half an answer (a card without its text) is not sent with the apology
            dispatcher.utter_message(response="utter_internal_error")
            return []
        try:
            turn_log.after_turn(dispatcher, tracker, kind)
        except Exception:  # tagging and the review log are for staff: the answer goes out as built
            logger.exception("action %s: after_turn failed", self.name())
        return events

"""👍/👎 on an answer (web chat buttons, LINE quick replies): stored with the turn it rates, thanked.

The channels send ``/feedback{"turn": "<message id>", "rating": "up"|"down"}``; the turn id comes from the
answer's ``custom.turn`` (bot/actions/turn_log.py). Feedback never changes the conversation: the program
under discussion stays as it was. A 👎 also offers the general desk, since the answer did not help, and a
person (「担当者に相談する」).
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker

from bot.actions.base import AssistantAction
from bot.actions.common import entity_value
from bot.actions.contract import HUMAN_BUTTON
from knowledge import facts, query

logger = logging.getLogger(__name__)
TURN_ID = re.compile(r"^[0-9a-zA-Z_-]{1,64}$")


def rating_of(tracker: Tracker) -> Optional[Text]:
    rating = entity_value(tracker, "rating")
    return rating if rating in ("up", "down") else None


def turn_of(tracker: Tracker) -> Optional[Text]:
    turn = entity_value(tracker, "turn")
    return turn if isinstance(turn, str) and TURN_ID.match(turn) else None


class ActionFeedback(AssistantAction):
    def name(self) -> Text:
        return "action_feedback"

    def review_kind(self, sections: List[int]) -> Optional[Text]:
        return None  # the rating is stored on the turn it rates

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        rating = rating_of(tracker)
        if rating is None:
            dispatcher.utter_message(response="utter_feedback_unreadable")
            return []
        try:
            from review.db import session
            from review.log import record_feedback

            with session() as log:
                record_feedback(log, tracker.sender_id, turn_of(tracker), rating)
        except Exception:  # the thanks still goes out; staff lose one rating, the user loses nothing
            logger.exception("review.feedback_failed")
        if rating == "up":
            dispatcher.utter_message(response="utter_feedback_thanks")
        else:
            desk = query.general_desk(db).main_desk
            dispatcher.utter_message(response="utter_feedback_sorry", desk=desk.name, phone=facts.desk_phone(desk),
                                     buttons=[HUMAN_BUTTON])
        return []

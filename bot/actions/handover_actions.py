"""「担当者と話したい」 or the 「担当者に相談する」 button: a person, when the assistant is not enough.

Within staffed hours (handover/hours.py, knowledge/calendar.yml) and with a staff member on duty (on the console's
handover page lately), the user joins the queue and is told their place and the expected wait. Otherwise they get
the desk of the program in focus (the general desk when none is), with its phone and hours, and when staff are next
there. Every reply carries ``custom.handover`` (handover/contract.py). While the handover is queued or connected the
channels hold the user's messages for staff; the tracker is untouched, so the program in focus is kept.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import callback, focus
from bot.actions.base import AssistantAction
from bot.actions.common import input_channel
from bot.actions.contract import CALLBACK_BUTTON, programs_payload
from bot.actions.followup import first_phone, say_hours
from bot.actions.understanding import LEANING, program_ranking
from handover import contract, hours
from handover.store import HandoverStore
from knowledge import answers, facts, query
from knowledge.hours import JST


def now() -> datetime:
    return datetime.now(JST)


class ActionRequestHuman(AssistantAction):
    def name(self) -> Text:
        return "action_request_human"

    def review_kind(self, sections: List[int]) -> Optional[Text]:
        return None  # recorded by the handover store, not as an answer to review

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        moment = now()
        store = HandoverStore()
        program = focus.program_in_focus(db, tracker)
        if hours.is_staffed(moment) and store.on_duty(moment):
            candidates = [found.section for slug in program_ranking(tracker.latest_message, at_least=LEANING)
                          if (found := query.program(db, slug)) is not None]
            handover = store.request(tracker.sender_id, input_channel(tracker),
                                     program.section if program is not None else None, candidates, now=moment)
            say_queued(dispatcher, store, handover.id)
            return []
        if program is None:
            spot = answers.choose(query.general_desk(db))
            events: List[Dict[Text, Any]] = []
        else:
            spot, events = focus.spot_in_focus(db, tracker, program)
        say_unavailable(dispatcher, db, spot, hours.next_staffed(moment), moment)
        return events


class ActionRequestCallback(AssistantAction):
    """「折り返しの連絡を依頼する」: ask for the need and a contact (bot/actions/callback.py takes the answer)."""

    def name(self) -> Text:
        return "action_request_callback"

    def review_kind(self, sections: List[int]) -> Optional[Text]:
        return None  # personal data follows: this conversation's turns here are not for the review log

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        return callback.ask(dispatcher)


def say_queued(dispatcher: CollectingDispatcher, store: HandoverStore, handover_id: int) -> None:
    """The user's place in the queue and the expected wait, in whole minutes."""
    state = store.queued_state(handover_id)
    if state is None:  # taken between the request and now: the staff's greeting follows on the channel
        return
    dispatcher.utter_message(response="utter_handover_queued", position=state["position"],
                             minutes=max(1, math.ceil(state["wait_seconds"] / 60)),
                             json_message=contract.custom(state))


def say_unavailable(dispatcher: CollectingDispatcher, db, spot: answers.Spot, next_staffed: datetime,
                    moment: datetime) -> None:
    """Nobody can take the conversation: the desk in focus by phone (its hours and card follow), and when staff are
    next here (within staffed hours with nobody on duty: that nobody is free now). The turn's one custom message
    (the reply contract) carries both the desk's card and ``custom.handover``."""
    values = dict(desk=spot.name, phone=first_phone(spot), buttons=[CALLBACK_BUTTON])
    if next_staffed <= moment:
        dispatcher.utter_message(response="utter_handover_nobody_free", **values)
    else:
        dispatcher.utter_message(response="utter_handover_unavailable", next_staffed=facts.moment_text(next_staffed),
                                 **values)
    if not say_hours(dispatcher, db, spot, moment):
        dispatcher.utter_message(json_message=programs_payload([spot.program], spot))
    state = contract.custom(contract.unavailable(True, next_staffed))
    card = next(m for m in reversed(dispatcher.messages) if (m.get("custom") or {}).get("programs"))
    card["custom"] = {**card["custom"], **state}

"""After each turn: tag the answer for feedback and write the review log (review/log.py).

An answer that recommends a program or answers about one gets ``custom.turn`` (the user's message id),
which the channels turn into 👍/👎 sending ``/feedback{"turn": …, "rating": …}``. Turns worth reviewing
(unsure, which one, fallback) and every answer (to count resolution and 👎 per program) are recorded.
The log must never cost the user an answer: a failure here is logged and the reply goes out as built.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.program_intents import section_of_intent

logger = logging.getLogger(__name__)
RANKED_CANDIDATES = 3  # programs (with their confidence) kept with each entry


def sections_answered(dispatcher: CollectingDispatcher) -> List[int]:
    """The sections of the turn's programs payload (the contract allows at most one), best first."""
    for message in dispatcher.messages:
        programs = (message.get("custom") or {}).get("programs")
        if programs:
            return [card["section"] for card in programs]
    return []


def tag_for_feedback(dispatcher: CollectingDispatcher, turn: Text) -> None:
    for message in dispatcher.messages:
        custom = message.get("custom") or {}
        if custom.get("programs"):
            custom["turn"] = turn


def candidates(latest_message: Dict[Text, Any]) -> List[Dict[Text, Any]]:
    ranking = latest_message.get("intent_ranking") or []
    ranked = [(section_of_intent(r.get("name")), r.get("confidence") or 0.0) for r in ranking]
    return [{"section": s, "score": round(float(c), 3)} for s, c in ranked if s is not None][:RANKED_CANDIDATES]


def after_turn(dispatcher: CollectingDispatcher, tracker: Tracker, kind: Optional[Text]) -> None:
    """Tag a program answer for feedback and record the turn as ``kind`` (None: not logged)."""
    message = tracker.latest_message or {}
    turn = message.get("message_id")
    if not turn or kind is None:
        return
    answered = sections_answered(dispatcher)
    if answered and kind == "answer":
        tag_for_feedback(dispatcher, turn)
    try:
        from review.db import session
        from review.log import record_turn

        with session() as db:
            record_turn(db, tracker.sender_id, turn, tracker.get_latest_input_channel(), kind,
                        message.get("text") or "", (message.get("intent") or {}).get("name"),
                        candidates(message), answered[0] if answered else None)
    except Exception:  # the review log is for staff; the user's answer must not depend on it
        logger.exception("review.record_failed")

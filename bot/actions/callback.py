"""A call-back request, when nobody can take the conversation: what the user needs and how to reach them (a phone
number or an e-mail address), in one message, stored for staff (handover/store.py ``add_callback``).

The request is asked for by the 「折り返しの連絡を依頼する」 button (or typed: intent ``request_callback``); the answer
remembers that it asked (``SLOT_ASKED`` = ``callback``), so the user's next message is read as the request whatever
the NLU makes of it. A message without a contact is asked for again, unless it is plainly something else (a button,
or a sure reading of another question), which leaves the request. The contact is personal data: it is never in the
review log (the turn is not logged) nor in a log line.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import understanding
from bot.actions.common import SLOT_ASKED, SLOT_PROGRAM, input_channel, latest_intent, latest_text, program_key
from bot.actions.contract import CALLBACK_BUTTON
from common.settings import settings
from handover.store import HandoverStore, StoreError
from knowledge import facts, query
from review.masking import contacts_in

logger = logging.getLogger(__name__)
ASKED = "callback"  # SLOT_ASKED while a call-back request is awaited
CALLBACK_INTENT = CALLBACK_BUTTON["payload"].removeprefix("/")
CANCEL = re.compile(r"^\s*(?:やめ|止め|キャンセル|取り消|取消|結構|いいです|もういい|大丈夫です)")


def awaiting(tracker: Tracker) -> bool:
    return tracker.get_slot(SLOT_ASKED) == ASKED


def ask(dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """Ask for the need and the contact, in one message, and remember that it was asked."""
    dispatcher.utter_message(response="utter_callback_ask", days=settings().callback_retention_days)
    return [SlotSet(SLOT_ASKED, ASKED)]


def take(dispatcher: CollectingDispatcher, tracker: Tracker, db) -> Optional[List[Dict[Text, Any]]]:
    """The user's answer to :func:`ask`: stored, asked again, or given up; None when the message is plainly
    something else (the caller answers it as usual)."""
    text = latest_text(tracker)
    if text.startswith("/") or text.startswith(understanding.EXTERNAL_PREFIX):
        return None if latest_intent(tracker) != CALLBACK_INTENT else ask(dispatcher)
    if CANCEL.match(text):
        dispatcher.utter_message(response="utter_callback_cancelled")
        return [SlotSet(SLOT_ASKED, None)]
    contacts = contacts_in(text)
    if not contacts:
        reading = understanding.read(tracker.latest_message)
        if reading.sure and reading.intent not in (CALLBACK_INTENT, "out_of_scope", "bad_input"):
            return None  # 「やっぱり費用だけ教えて」: another question, answered as usual
        dispatcher.utter_message(response="utter_callback_no_contact")
        return []
    need = text
    for contact in contacts:
        need = need.replace(contact, "")
    key = program_key(tracker.get_slot(SLOT_PROGRAM))
    program = query.program(db, key) if key else None
    try:
        HandoverStore().add_callback(tracker.sender_id, input_channel(tracker),
                                     program.section if program is not None else None,
                                     need.strip() or "（ご用件の記載なし）", contacts[0])
    except (StoreError, ValueError) as error:  # never the contact in the log: the error names no parameter
        logger.warning("callback.not_stored", extra={"error": type(error).__name__})
        general = query.general_desk(db)
        dispatcher.utter_message(response="utter_callback_failed", desk=general.main_desk.name,
                                 phone=facts.desk_phone(general.main_desk))
        return [SlotSet(SLOT_ASKED, None)]
    dispatcher.utter_message(response="utter_callback_saved", contact=contacts[0])
    return [SlotSet(SLOT_ASKED, None)]

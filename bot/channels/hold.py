"""While a person has the conversation, the user's messages go to them, not to Rasa (both channels call this).

Before a message reaches Rasa, a channel asks :func:`hold`. When the sender has a queued or connected handover, the
message is stored in it for staff (author ``user``) and not handed to Rasa: the assistant does not answer, and the
conversation's tracker is not touched, so when staff hand it back the assistant continues where it was, with the
program in focus. The channel answers with the state instead (``custom.handover``, handover/contract.py):

- queued: the place in line and the expected wait, with the same in words (LINE shows text only);
- connected: the staff member's name, without text: the person answers (LINE sends nothing at all).

A queued user may stop waiting: a message that is one of the cancel words (「やめる」「キャンセル」「もういいです」,
data in handover/leaving.yml) ends the handover (``user_left``, handover/store.py ``leave_queue``) and is answered
with ``ended`` and a polite text (contract.LEFT_QUEUE_TEXT) by the channel itself: it is not a Rasa response, so it
needs no retrained model, and the message never reaches Rasa. The user's next message goes to the assistant again.
Anything else, and a cancel word once a person has taken the conversation, stays held (the person decides).

What is not stored: a Rasa payload (``/intent{...}``, a tapped button or a LINE postback: a command for the
assistant, not words for a person) and an empty message; they are held all the same. Nor is a cancel word that
ended the wait (nobody is left to read it). A message too long to store (handover/store.py ``MessageTooLong``) is
refused with a polite text, whatever the state, so the user knows the person did not get it.

A channel passes its own id for the message as ``key`` (nginx's request id, LINE's webhookEventId): a delivery
repeated after a crash stores nothing twice (the store's idempotency key).

If the store cannot be reached, the message goes to Rasa (logged): the assistant answering while a person holds the
conversation is the lesser harm next to nobody answering at all. No user text or sender id is logged.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Text

from bot.channels import handover_link
from common.settings import MAX_MESSAGE_CHARS
from handover import contract
from handover.leaving import wants_to_leave
from handover.models import USER

logger = logging.getLogger(__name__)

STAFF_FALLBACK_NAME = "担当者"  # a connected handover always has a name; this only guards a damaged row


@dataclass(frozen=True)
class Held:
    """The answer to a held message."""

    state: Mapping[str, Any]                 # custom.handover now: queued, connected, or ended (the user left)
    replies: List[Dict[Text, Any]] = field(repr=False)  # reply-contract messages (text, custom) for the user
    refused: bool = False                    # the message was too long and was not stored

    @property
    def queued(self) -> bool:
        return self.state.get("state") == contract.QUEUED

    @property
    def left(self) -> bool:
        """The user stopped waiting (a cancel word): the handover ended with this message."""
        return self.state.get("state") == contract.ENDED

    @property
    def worth_sending(self) -> bool:
        """Whether a channel that may stay silent (LINE) sends the replies: while queued, when refused, and when
        the user stopped waiting."""
        return self.queued or self.refused or self.left


def _is_payload(text: Text) -> bool:
    return text.startswith("/")


def _state(store: handover_link.Store, handover: Any) -> Optional[Mapping[str, Any]]:
    """custom.handover for an active handover, read now; None when it is no longer active (it ended meanwhile)."""
    if handover.queued:
        queued = store.queued_state(handover.id)
        if queued is not None:
            return dict(queued)
        handover = store.get(handover.id)  # taken (or ended) between the two reads
        if handover is None or not handover.connected:
            return None
    return dict(contract.connected(handover.taken_by_name or STAFF_FALLBACK_NAME))


def _replies(state: Mapping[str, Any], refused: bool) -> List[Dict[Text, Any]]:
    custom = {contract.KEY: dict(state)}
    replies: List[Dict[Text, Any]] = []
    if refused:
        replies.append({"text": contract.TOO_LONG_TEXT.format(limit=MAX_MESSAGE_CHARS)})
    if state.get("state") == contract.QUEUED:
        replies.append({"text": contract.describe(state), "custom": custom})
    else:
        replies.append({"custom": custom})
    return replies


def _left(store: handover_link.Store, handover: Any) -> Optional[Held]:
    """The queued user's cancel word: the handover ends and they are told so; None when it was no longer queued
    (a person took it, or it timed out, a moment before)."""
    if not store.leave_queue(handover.id):
        return None
    state = dict(contract.ended())
    logger.info("handover.held", extra={"handover": handover.id, "state": state["state"], "refused": False})
    return Held(state=state, replies=[{"text": contract.LEFT_QUEUE_TEXT, "custom": {contract.KEY: state}}])


def _hold(sender: Text, text: Text, key: Optional[Text]) -> Optional[Held]:
    store = handover_link.store()
    if store is None:
        return None
    handover = store.active(sender)
    if handover is None:
        return None
    if handover.queued and wants_to_leave(text):
        left = _left(store, handover)
        if left is not None:
            return left
        handover = store.active(sender)  # taken meanwhile: the word is for the person now; ended: Rasa answers
        if handover is None:
            return None
    refused = len(text) > MAX_MESSAGE_CHARS  # the store would refuse it whole (MessageTooLong)
    if not refused and text.strip() and not _is_payload(text):
        try:
            store.add_message(handover.id, USER, text, key=key)
        except Exception:
            if store.active(sender) is None:  # it ended in between (HandoverClosed): the assistant answers again
                return None
            raise
    state = _state(store, handover)
    if state is None:
        return None
    logger.info("handover.held", extra={"handover": handover.id, "state": state["state"], "refused": refused})
    return Held(state=state, replies=_replies(state, refused), refused=refused)


async def hold(sender: Text, text: Text, key: Optional[Text] = None) -> Optional[Held]:
    """None: no person holds the conversation, Rasa answers. Otherwise the message was held (stored for staff unless
    a payload, empty or refused) and :class:`Held` says what to answer. Never raises."""
    if not handover_link.connected():
        return None
    try:
        return await asyncio.to_thread(_hold, sender, text, key)
    except Exception:
        logger.exception("handover.hold.failed; the assistant answers")
        return None

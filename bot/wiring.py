"""What the channels need from layers they may not import: given to them once, at start-up.

The channels (bot/channels/) only carry messages between a user and Rasa; they know neither the knowledge store nor
the console. One thing of the store's they need all the same: when a turn says nothing (the action server down),
their polite answer names the general desk and its phone (bot/channels/unavailable.py). :func:`connect` hands them
the function that reads it; it is called by the entry point of every Rasa process (bot/rasa_command.py). Without
it, the channels answer such a turn with ``utter_internal_error``, which needs no facts.

The other is the handover store (handover/store.py, on the review log's database): the channels hold a user's
messages while a person has the conversation and deliver what staff write (bot/channels/handover_link.py). Without
it, there is no handover in that process.
"""
from __future__ import annotations

from typing import Dict, Optional, Text

from bot.channels import handover_link, unavailable


def general_desk() -> Optional[Dict[Text, Text]]:
    """``{"desk": …, "phone": …}`` of the general desk, read from the store now (a reload changes it)."""
    from knowledge import facts, query
    from knowledge.db import session

    with session() as db:
        program = query.general_desk(db)
        return {"desk": program.name, "phone": facts.desk_phone(program.main_desk)}


def handover_store() -> handover_link.Store:
    """The handover store on ``REVIEW_DB_URL`` (made by the channels on first use, in a worker thread: it migrates)."""
    from handover.store import HandoverStore

    return HandoverStore()


def connect() -> None:
    """Give the channels what they may not import (idempotent)."""
    unavailable.use_general_desk(general_desk)
    handover_link.use_store(handover_store)

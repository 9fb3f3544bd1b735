"""Handovers, their messages and call-back requests as the console's JSON shows them to staff.

Plain functions of the store's records (handover/records.py) and the program names of the knowledge store: what a
staff member needs to pick up a conversation (how long the user has waited, where from, which program, who holds
it). The sender id (a LINE user ID, say) never leaves the server: staff do not need it, and the page does not
show it. A call-back request's contact does go out, to logged-in staff only (the /api guard), because calling back
is the point; it is never logged.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional

from console.accounts.models import Staff
from handover.models import MAX_LOGIN, QUEUED
from handover.records import Callback, Handover, Message

CHANNEL_LABELS = {"rest": "Webチャット", "line": "LINE"}
STATE_LABELS = {"queued": "対応待ち", "connected": "対応中", "ended": "終了", "timed_out": "時間切れ"}
CALLBACK_LABELS = {"new": "未対応", "in_progress": "対応中", "done": "完了"}


def handover_name(staff: Staff) -> str:
    """The display name a handover records and shows the user: the account's, cut to what the handover stores."""
    return staff.name[:MAX_LOGIN]


def program(section: Optional[int], names: Mapping[int, str]) -> Optional[Dict[str, Any]]:
    """A program by section and name; a section the guide no longer has is named as such, not dropped."""
    if section is None:
        return None
    return {"section": section, "name": names.get(section, f"Ⅲ-{section}（現在のガイドにない番号）")}


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() if moment is not None else None


def waited_seconds(handover: Handover, now: datetime) -> int:
    """How long the user has waited for a person: until now while queued, until taken after that."""
    until = handover.taken_at or handover.ended_at or now
    return max(0, int((until - handover.requested_at).total_seconds()))


def handover_item(handover: Handover, names: Mapping[int, str], me: Staff, now: datetime,
                  position: Optional[int] = None) -> Dict[str, Any]:
    return {
        "id": handover.id,
        "state": handover.state,
        "state_label": STATE_LABELS.get(handover.state, handover.state),
        "channel": handover.channel,
        "channel_label": CHANNEL_LABELS.get(handover.channel, handover.channel),
        "requested_at": _iso(handover.requested_at),
        "taken_at": _iso(handover.taken_at),
        "ended_at": _iso(handover.ended_at),
        "outcome": handover.outcome,
        "waited_seconds": waited_seconds(handover, now),
        "position": position,
        "focus": program(handover.focus, names),
        "candidates": [program(section, names) for section in handover.candidates],
        "holder": ({"login": handover.taken_by, "name": handover.taken_by_name}
                   if handover.taken_by is not None else None),
        "mine": handover.taken_by == me.login,
    }


def handover_list(handovers: Iterable[Handover], names: Mapping[int, str], me: Staff,
                  now: datetime) -> List[Dict[str, Any]]:
    """The console's list, oldest request first, with each queued one's place in line (as the user is told it)."""
    items, place = [], 0
    for handover in handovers:
        if handover.state == QUEUED:
            place += 1
        items.append(handover_item(handover, names, me, now, place if handover.state == QUEUED else None))
    return items


def message_item(message: Message) -> Dict[str, Any]:
    """A handover message; its text exactly as written (the page shows it as text, never as markup)."""
    return {"id": message.id, "author": message.author, "text": message.text, "custom": message.custom,
            "created_at": _iso(message.created_at)}


def callback_item(callback: Callback, names: Mapping[int, str]) -> Dict[str, Any]:
    return {
        "id": callback.id,
        "channel": callback.channel,
        "channel_label": CHANNEL_LABELS.get(callback.channel, callback.channel),
        "program": program(callback.section, names),
        "need": callback.need,
        "contact": callback.contact,
        "status": callback.status,
        "status_label": CALLBACK_LABELS.get(callback.status, callback.status),
        "created_at": _iso(callback.created_at),
        "updated_at": _iso(callback.updated_at),
        "done_at": _iso(callback.done_at),
    }

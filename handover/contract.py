"""The handover part of the reply contract: ``custom.handover``, the one home of its keys and values.

A reply or a delivered message that concerns a handover carries ``{"handover": {...}}`` in its ``custom``, in one
of four shapes, built only here:

- ``{"state": "queued", "position": 2, "wait_seconds": 360}``: waiting for a person, second in line;
- ``{"state": "connected", "staff": "佐藤"}``: a person (display name) has taken the conversation;
- ``{"state": "ended"}``: the person handed the conversation back to the assistant;
- ``{"state": "unavailable", "callback": true, "next_staffed": "2026-11-30T08:30:00+09:00"}``: nobody can take it
  now; whether a call back can be requested, and when staff are next there (ISO 8601, Japan time).

The texts of the system messages the store adds (who took the conversation, its end, a timed-out wait) are here
too, beside the state they announce.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict, Union

from knowledge.hours import JST

KEY = "handover"  # custom[KEY]
QUEUED: Literal["queued"] = "queued"
CONNECTED: Literal["connected"] = "connected"
ENDED: Literal["ended"] = "ended"
UNAVAILABLE: Literal["unavailable"] = "unavailable"

CONNECTED_TEXT = "担当の{staff}がお話を伺います。ご用件をお書きください。"
ENDED_TEXT = "担当者との会話を終了しました。ここからは再びアシスタントがお答えします。"
TIMED_OUT_TEXT = ("お待たせして申し訳ありません。ただいま担当者におつなぎできませんでした。"
                  "折り返しのご連絡をご希望でしたら、お知らせください。")


class Queued(TypedDict):
    state: Literal["queued"]
    position: int       # 1: next in line
    wait_seconds: int   # an estimate (handover/store.py expected_wait_seconds)


class Connected(TypedDict):
    state: Literal["connected"]
    staff: str          # the staff member's display name


class Ended(TypedDict):
    state: Literal["ended"]


class Unavailable(TypedDict):
    state: Literal["unavailable"]
    callback: bool      # whether the user may ask for a call back
    next_staffed: str   # ISO 8601 with +09:00


State = Union[Queued, Connected, Ended, Unavailable]


class Custom(TypedDict):
    handover: State


def queued(position: int, wait_seconds: int) -> Queued:
    if position < 1 or wait_seconds < 0:
        raise ValueError(f"a queue position is 1 or more and a wait 0 or more, not {position}, {wait_seconds}")
    return Queued(state=QUEUED, position=position, wait_seconds=wait_seconds)


def connected(staff: str) -> Connected:
    return Connected(state=CONNECTED, staff=staff)


def ended() -> Ended:
    return Ended(state=ENDED)


def unavailable(callback: bool, next_staffed: datetime) -> Unavailable:
    """``next_staffed`` (aware) in Japan time to the second: ``2026-11-30T08:30:00+09:00``."""
    if next_staffed.tzinfo is None:
        raise ValueError("next_staffed must be an aware datetime")
    return Unavailable(state=UNAVAILABLE, callback=callback,
                       next_staffed=next_staffed.astimezone(JST).isoformat(timespec="seconds"))


def custom(state: State) -> Custom:
    """The ``custom`` of a reply or message announcing ``state``."""
    return Custom(handover=state)

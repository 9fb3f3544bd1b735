"""The handover part of the reply contract: ``custom.handover``, the one home of its keys and values.

A reply or a delivered message that concerns a handover carries ``{"handover": {...}}`` in its ``custom``, in one
of four shapes, built only here:

- ``{"state": "queued", "position": 2, "wait_seconds": 360}``: waiting for a person, second in line;
- ``{"state": "connected", "staff": "佐藤"}``: a person (display name) has taken the conversation;
- ``{"state": "ended"}``: the person handed the conversation back to the assistant, or the user stopped waiting;
- ``{"state": "unavailable", "callback": true, "next_staffed": "2026-11-30T08:30:00+09:00"}``: nobody can take it
  now; whether a call back can be requested, and when staff are next there (ISO 8601, Japan time).

The texts of the system messages the store adds (who took the conversation, its end, a timed-out wait) are here
too, beside the state they announce, with :func:`describe`: a state in words, for a face that shows text only (LINE)
or a reply that must be understood without the widget (the REST channel's answer while a person holds the
conversation).
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal, Mapping, Optional, TypedDict, Union

from common.japan_time import JST

KEY = "handover"  # custom[KEY]
QUEUED: Literal["queued"] = "queued"
CONNECTED: Literal["connected"] = "connected"
ENDED: Literal["ended"] = "ended"
UNAVAILABLE: Literal["unavailable"] = "unavailable"

CONNECTED_TEXT = "担当の{staff}がお話を伺います。ご用件をお書きください。"
ENDED_TEXT = "担当者との会話を終了しました。ここからは再びアシスタントがお答えします。"
# A queued user who wrote a cancel word (handover/leaving.py): they no longer wait, the assistant answers again.
LEFT_QUEUE_TEXT = ("担当者へのおつなぎを取りやめました。ここからは再びアシスタントがお答えします。"
                   "ご用件があれば、続けてお書きください。")
TIMED_OUT_TEXT = ("お待たせして申し訳ありません。ただいま担当者におつなぎできませんでした。"
                  "折り返しのご連絡をご希望でしたら、お知らせください。")
QUEUED_TEXT = "担当者におつなぎするまでお待ちください。現在{position}番目で、待ち時間の目安は約{minutes}分です。"
UNAVAILABLE_TEXT = "ただいま担当者におつなぎできません。次に担当者が対応できるのは{when}からです。"
CALLBACK_OFFER_TEXT = "折り返しのご連絡をご希望でしたら、お知らせください。"
# A message written to a person that is too long to store (handover/store.py MessageTooLong): refused whole.
TOO_LONG_TEXT = "メッセージが長すぎるため、担当者にお届けできませんでした。{limit}文字以内に分けてお送りください。"
WEEKDAYS = "月火水木金土日"


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


def wait_minutes(wait_seconds: int) -> int:
    """An expected wait in whole minutes, rounded up and at least 1: 「約0分」 would promise too much."""
    return max(1, math.ceil(wait_seconds / 60))


def japanese_time(iso: str) -> str:
    """``2026-11-30T08:30:00+09:00`` as 「11月30日（月）8時30分」, in Japan time."""
    moment = datetime.fromisoformat(iso).astimezone(JST)
    return f"{moment.month}月{moment.day}日（{WEEKDAYS[moment.weekday()]}）{moment.hour}時{moment.minute:02d}分"


def state_of(custom: Any) -> Optional[Mapping[str, Any]]:
    """The ``custom.handover`` of a reply's ``custom`` when it is one of the four shapes' states, else None."""
    state = custom.get(KEY) if isinstance(custom, Mapping) else None
    if isinstance(state, Mapping) and state.get("state") in (QUEUED, CONNECTED, ENDED, UNAVAILABLE):
        return state
    return None


def describe(state: Mapping[str, Any]) -> str:
    """A state in polite Japanese, for a face that shows text only (LINE) or a client that does not draw the state."""
    kind = state.get("state")
    if kind == QUEUED:
        return QUEUED_TEXT.format(position=state["position"], minutes=wait_minutes(state["wait_seconds"]))
    if kind == CONNECTED:
        return CONNECTED_TEXT.format(staff=state["staff"])
    if kind == ENDED:
        return ENDED_TEXT
    if kind == UNAVAILABLE:
        text = UNAVAILABLE_TEXT.format(when=japanese_time(state["next_staffed"]))
        return text + CALLBACK_OFFER_TEXT if state.get("callback") else text
    raise ValueError(f"not a handover state: {kind!r}")

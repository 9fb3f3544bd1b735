"""The assistant's part of a handed-over conversation, read from the Rasa server's tracker API.

A staff member who takes a conversation must see what the user already told the assistant. That lives in Rasa's
tracker (``GET /conversations/<sender>/tracker``, with the same per-run API token the candidates use), not in the
handover store, which holds only what was said after the user asked for a person. So the assistant's part ends
where the handover's begins: at the first user message sent at or after the request (the replies to the request
itself, such as the queue notice, are kept). That way no user message is shown twice, whether or not the channel
also passes messages sent during the handover to Rasa.

Rasa may be down, restarting or not configured: the console then says so in the JSON (``available: false`` and a
notice in Japanese) and still shows the handover's own messages; a missing history never fails the page.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp

TIMEOUT_SECONDS = 5
MAX_TURNS = 200  # the latest this many user and assistant messages; an older start is marked as cut

NOT_CONFIGURED = ("アシスタントに接続する設定がないため、アシスタントとの会話は表示できません。"
                  "担当者への引き継ぎ後のやり取りは表示しています。")
UNREACHABLE = ("アシスタントに接続できないため、アシスタントとの会話を表示できません。"
               "担当者への引き継ぎ後のやり取りは表示しています。しばらくしてから会話を開き直してください。")
PRUNED = "保存期間を過ぎたため、この会話の内容は削除されています。"
BUTTON = "（ボタンを選択しました）"


def unavailable(notice: str) -> Dict[str, Any]:
    return {"available": False, "notice": notice, "turns": [], "cut": False}


async def tracker_events(rasa_url: str, token: Optional[str], sender: str) -> Optional[List[Dict[str, Any]]]:
    """The conversation's events from Rasa (all of them, across sessions); None when Rasa cannot be asked."""
    url = f"{rasa_url.rstrip('/')}/conversations/{quote(sender, safe='')}/tracker"
    params = {"include_events": "ALL"}
    if token:
        params["token"] = token
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)) as http:
            async with http.get(url, params=params) as answer:
                if answer.status != 200:
                    return None
                tracker = await answer.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    events = tracker.get("events") if isinstance(tracker, dict) else None
    return [event for event in events if isinstance(event, dict)] if isinstance(events, list) else None


def _time(event: Dict[str, Any]) -> Optional[str]:
    stamp = event.get("timestamp")
    if not isinstance(stamp, (int, float)):
        return None
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat()


def _programs(custom: Any) -> List[Dict[str, Any]]:
    """The cards of a reply (``custom.programs``), as the console names them: section and name."""
    cards = custom.get("programs") if isinstance(custom, dict) else None
    return [{"section": card.get("section"), "name": card.get("name")}
            for card in (cards if isinstance(cards, list) else []) if isinstance(card, dict)]


def turns(events: List[Dict[str, Any]], requested_at: datetime) -> Dict[str, Any]:
    """The user's and the assistant's messages before the handover (see the module's docstring), oldest first.

    A button press reaches Rasa as its payload (``/choose_program{...}``): it is shown as the button's title when the
    assistant's previous message offered it, else as a plain note, never as the payload."""
    cutoff = requested_at.timestamp()
    shown: List[Dict[str, Any]] = []
    offered: Dict[str, str] = {}
    for event in events:
        kind = event.get("event")
        if kind == "user":
            stamp = event.get("timestamp")
            if isinstance(stamp, (int, float)) and stamp >= cutoff:
                break
            text = str(event.get("text") or "")
            if text.startswith("/"):
                shown.append({"author": "user", "text": offered.get(text, BUTTON), "button": True,
                              "time": _time(event)})
            else:
                shown.append({"author": "user", "text": text, "time": _time(event)})
        elif kind == "bot":
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            custom = data.get("custom")
            buttons = [b for b in (data.get("buttons") or []) if isinstance(b, dict)]
            if buttons:
                offered = {str(b.get("payload")): str(b.get("title") or BUTTON) for b in buttons}
            turn: Dict[str, Any] = {"author": "assistant", "text": str(event.get("text") or ""), "time": _time(event),
                                    "buttons": [str(b.get("title") or "") for b in buttons],
                                    "programs": _programs(custom)}
            if isinstance(custom, dict) and isinstance(custom.get("handover"), dict):
                turn["handover"] = custom["handover"]
            if turn["text"] or turn["buttons"] or turn["programs"] or "handover" in turn:
                shown.append(turn)
    return {"available": True, "notice": None, "turns": shown[-MAX_TURNS:], "cut": len(shown) > MAX_TURNS}


async def assistant_part(rasa_url: Optional[str], token: Optional[str], sender: Optional[str],
                         requested_at: datetime) -> Dict[str, Any]:
    """``{"available", "notice", "turns", "cut"}``: the conversation with the assistant before the handover, or why
    it cannot be shown (Rasa not configured or unreachable, or the conversation deleted after its retention)."""
    if sender is None:
        return unavailable(PRUNED)
    if not rasa_url:
        return unavailable(NOT_CONFIGURED)
    events = await tracker_events(rasa_url, token, sender)
    if events is None:
        return unavailable(UNREACHABLE)
    return turns(events, requested_at)

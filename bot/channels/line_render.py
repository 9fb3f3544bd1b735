"""The reply contract (text, buttons, custom.programs, custom.handover) as LINE messages, within LINE's limits.

A handover's state (``custom.handover``, handover/contract.py) is shown in words (contract.describe) when nothing
else in the replies says it: LINE shows no status line, only messages.

Limits (LINE Messaging API): at most 5 messages per Reply API call; text at most 5000 UTF-16 code
units; at most 13 quick-reply items with labels of at most 20 characters; a Flex carousel of at
most 12 bubbles; altText at most 1500 characters.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Text

from linebot.v3.messaging import (
    FlexContainer,
    FlexMessage,
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from handover import contract

MAX_MESSAGES = 5
MAX_TEXT_UNITS = 5000
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_BUBBLES = 12
MAX_ALT_TEXT = 1500
MAX_POSTBACK_DATA = 300


def utf16_units(text: Text) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: Text, limit: int = MAX_TEXT_UNITS) -> List[Text]:
    """Cut text into pieces of at most ``limit`` UTF-16 units, at line breaks where possible."""
    pieces, current = [], ""
    for line in text.splitlines(keepends=True):
        while utf16_units(line) > limit:  # one enormous line: cut by characters
            cut = len(line)
            while utf16_units(line[:cut]) > limit:
                cut -= max(1, (utf16_units(line[:cut]) - limit))
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:]
        if utf16_units(current + line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current.strip():
        pieces.append(current)
    return [p.strip("\n") for p in pieces if p.strip()]


def label(title: Text) -> Text:
    return title if len(title) <= MAX_LABEL else title[: MAX_LABEL - 1] + "…"


def quick_reply(buttons: List[Dict[Text, Text]]) -> QuickReply:
    items = [QuickReplyItem(action=PostbackAction(label=label(b["title"]), data=b["payload"][:MAX_POSTBACK_DATA],
                                                  displayText=b["title"][:300]))
             for b in buttons[:MAX_QUICK_REPLIES]]
    return QuickReply(items=items)


def _bubble(program: Dict[Text, Any]) -> Dict[Text, Any]:
    phone = program.get("phone") or ""
    body = [
        {"type": "text", "text": program["name"], "weight": "bold", "size": "md", "wrap": True},
        {"type": "text", "text": f"支援ガイドⅢ-{program['section']}", "size": "xs", "color": "#888888"},
        {"type": "text", "text": program.get("desk") or "", "size": "sm", "wrap": True, "margin": "md"},
    ]
    if phone:
        body.append({"type": "text", "text": f"電話 {phone}", "size": "sm", "margin": "sm"})
    bubble: Dict[Text, Any] = {"type": "bubble", "size": "kilo",
                               "body": {"type": "box", "layout": "vertical", "contents": body}}
    if phone:
        bubble["footer"] = {"type": "box", "layout": "vertical", "contents": [
            {"type": "button", "style": "primary", "height": "sm",
             "action": {"type": "uri", "label": "電話する", "uri": "tel:" + re.sub(r"[^0-9]", "", phone)}}]}
    return bubble


def program_cards(programs: List[Dict[Text, Any]]) -> FlexMessage:
    """Programs as a carousel of bubbles, each with a call button; altText lists them for notifications."""
    shown = programs[:MAX_BUBBLES]
    alt = "支援窓口のご案内：" + "、".join(f"{p['name']}（{p.get('phone') or ''}）" for p in shown)
    container = {"type": "carousel", "contents": [_bubble(p) for p in shown]}
    return FlexMessage(altText=alt[:MAX_ALT_TEXT], contents=FlexContainer.from_dict(container))


# 👍/👎 on an answer: postbacks the assistant reads as /feedback (bot/actions/feedback.py).
FEEDBACK_CHOICES = (("👍 役に立った", "up"), ("👎 役に立たなかった", "down"))


def feedback_turn(replies: List[Dict[Text, Any]]) -> Optional[Text]:
    """The answer's ``custom.turn``: present when the turn recommends a program or answers about one."""
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and custom.get("programs") and isinstance(custom.get("turn"), str):
            return custom["turn"]
    return None


def feedback_buttons(turn: Text) -> List[Dict[Text, Text]]:
    return [{"title": title, "payload": json_payload("feedback", {"turn": turn, "rating": rating})}
            for title, rating in FEEDBACK_CHOICES]


def json_payload(intent: Text, entities: Dict[Text, Text]) -> Text:
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


def programs_of(replies: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """The turn's programs: the first ``custom`` payload with a non-empty ``programs`` list (a turn carries at
    most one); an empty or missing one gives none, so no card is drawn for it."""
    for reply in replies:
        custom = reply.get("custom")
        programs = custom.get("programs") if isinstance(custom, dict) else None
        if isinstance(programs, list) and programs:
            return programs
    return []


def render(replies: List[Dict[Text, Any]]) -> List[Message]:
    """All of one turn's replies as at most five LINE messages, buttons as quick replies on the last
    (an answer's 👍/👎 always among them).

    Nothing (an empty list: nothing is sent) when the turn has no text and no programs."""
    texts = [r["text"] for r in replies if r.get("text")]
    if not texts:  # a handover's state alone: in words
        texts = [contract.describe(state) for state in map(contract.state_of, (r.get("custom") for r in replies))
                 if state is not None]
    buttons = [b for r in replies for b in r.get("buttons") or []]
    turn = feedback_turn(replies)
    if turn:
        buttons = buttons[:MAX_QUICK_REPLIES - len(FEEDBACK_CHOICES)] + feedback_buttons(turn)
    programs = programs_of(replies)
    pieces = split_text("\n\n".join(texts)) if texts else []
    room = MAX_MESSAGES - (1 if programs else 0)
    if len(pieces) > room:  # keep within five messages: the last piece says there is more
        pieces = pieces[: room - 1] + ["（続きは窓口へお問い合わせください）"] if room > 1 else pieces[:room]
    messages: List[Message] = [TextMessage(text=p) for p in pieces]
    if programs:
        messages.append(program_cards(programs))
    if not messages:
        return []
    if buttons:
        messages[-1].quick_reply = quick_reply(buttons)
    return messages

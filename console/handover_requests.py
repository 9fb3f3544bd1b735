"""What staff send to the handover API, checked before anything is stored, and the refusals they read.

Every refusal is a :class:`Refused`: an HTTP status and a fixed Japanese sentence, never text from the request (a
reply's text is the user's business and stays out of error messages and logs alike). Bodies are JSON only: an HTML
form from another site cannot send JSON, and another site's script would need a CORS preflight this console never
grants (besides the SameSite=Strict session cookie and the Origin check of console/auth.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from common.settings import MAX_MESSAGE_CHARS
from handover.models import CALLBACK_STATUSES, MAX_KEY, NEW

JSON_ONLY = "JSON形式で送信してください。"
BAD_JSON = "送信内容を読み取れませんでした。ページを開き直してから、もう一度お試しください。"
EMPTY = "メッセージを入力するか、送る制度を選んでください。"
NOT_TEXT = "メッセージは文字で入力してください。"
BAD_SECTION = "制度は番号（Ⅲ-の後の数字）で指定してください。"
BAD_KEY = f"再送防止のキーは{MAX_KEY}文字以内の文字列で指定してください。"
BAD_STATUS = "状態は「対応中」（in_progress）か「完了」（done）を指定してください。"
BAD_FILTER = "状態は new・in_progress・done のいずれかで指定してください。"


def too_long(length: int) -> str:
    return (f"メッセージが長すぎます（{length:,}文字）。{MAX_MESSAGE_CHARS:,}文字以内に分けて送ってください。"
            "送信はされていません。")


class Refused(Exception):
    """A request the console refuses: ``status`` and the Japanese sentence staff read."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_body(content_type: Optional[str], parse) -> Dict[str, Any]:
    """The request's JSON object (``parse()`` is Sanic's ``request.json``); an empty body is ``{}``."""
    if not (content_type or "").startswith("application/json"):
        raise Refused(415, JSON_ONLY)
    try:
        body = parse()
    except Exception:  # Sanic's InvalidUsage for JSON it cannot read
        raise Refused(400, BAD_JSON) from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise Refused(400, BAD_JSON)
    return body


@dataclass(frozen=True)
class Reply:
    """A staff message: ``text`` (as typed: markup stays text), or a program ``section`` to send as a card (with an
    optional text of its own), and the client's idempotency ``key`` (a double-click stores it once)."""
    text: Optional[str]
    section: Optional[int]
    key: Optional[str]


def reply_of(body: Dict[str, Any]) -> Reply:
    text, section, key = body.get("text"), body.get("section"), body.get("key")
    if text is not None and not isinstance(text, str):
        raise Refused(400, NOT_TEXT)
    if text is not None and len(text) > MAX_MESSAGE_CHARS:
        raise Refused(413, too_long(len(text)))
    if text is not None and not text.strip():
        text = None
    if section is not None and (isinstance(section, bool) or not isinstance(section, int) or section < 1):
        raise Refused(400, BAD_SECTION)
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY):
        raise Refused(400, BAD_KEY)
    if text is None and section is None:
        raise Refused(400, EMPTY)
    return Reply(text=text, section=section, key=key)


def callback_status_of(body: Dict[str, Any]) -> str:
    """Where staff move a call-back request: ``in_progress`` or ``done`` (never back to ``new``)."""
    status = body.get("status")
    if not isinstance(status, str) or status not in CALLBACK_STATUSES or status == NEW:
        raise Refused(400, BAD_STATUS)
    return status


def status_filter(value: Optional[str]) -> Optional[str]:
    """The call-back list's filter: one status, or none for all."""
    if not value:
        return None
    if value not in CALLBACK_STATUSES:
        raise Refused(400, BAD_FILTER)
    return value

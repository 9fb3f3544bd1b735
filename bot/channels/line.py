"""LINE Messaging API channel for Rasa, at ``/webhooks/line/webhook``.

Shaped like Rasa's own channels (telegram.py): ``LineInput`` holds the credentials and builds the
blueprint; replies are collected per turn and sent in one Reply API call (Push API when the reply
token has expired). The signature is checked on the raw body before anything else; the webhook
answers 200 at once and the assistant works in a background task, because LINE gives up after 2 s.
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.line_render import render

logger = logging.getLogger(__name__)

GREET_PAYLOAD = "/greet"
LOADING_SECONDS = 20
SEEN_EVENTS_KEPT = 10_000


class LineInput(InputChannel):
    """Credentials: channel_secret, access_token, api_base_url (each falls back to the environment:
    LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, LINE_API_BASE_URL)."""

    @classmethod
    def name(cls) -> Text:
        return "line"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "LineInput":
        credentials = credentials or {}
        secret = credentials.get("channel_secret") or os.environ.get("LINE_CHANNEL_SECRET")
        token = credentials.get("access_token") or os.environ.get("LINE_CHANNEL_ACCESS_TOKEN")
        if not secret or not token:
            cls.raise_missing_credentials_exception()
        base = credentials.get("api_base_url") or os.environ.get("LINE_API_BASE_URL") or None
        return cls(secret, token, base)

    def __init__(self, channel_secret: Text, access_token: Text, api_base_url: Optional[Text] = None) -> None:
        from linebot.v3 import WebhookParser

        self.parser = WebhookParser(channel_secret)
        self.access_token = access_token
        self.api_base_url = api_base_url
        self._seen: "OrderedDict[Text, None]" = OrderedDict()
        self._tasks: Set[asyncio.Task] = set()

    # ---- webhook -------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        from linebot.v3.exceptions import InvalidSignatureError

        webhook = Blueprint(f"line_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            signature = request.headers.get("X-Line-Signature", "")
            try:
                events = self.parser.parse(request.body.decode("utf-8"), signature)
            except InvalidSignatureError:
                return response.text("invalid signature", status=400)
            except (ValueError, UnicodeDecodeError):
                return response.text("invalid body", status=400)
            for event in events:
                if self._first_time(event):
                    task = asyncio.create_task(self._handle(event, on_new_message))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            return response.text("OK")

        return webhook

    def _first_time(self, event: Any) -> bool:
        """LINE may deliver an event twice (redelivery, network); answer each webhookEventId once."""
        event_id = getattr(event, "webhook_event_id", None)
        if not event_id:
            return True
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        if len(self._seen) > SEEN_EVENTS_KEPT:
            self._seen.popitem(last=False)
        return True

    # ---- one event -----------------------------------------------------------------------------

    @staticmethod
    def _text_of(event: Any) -> Optional[Text]:
        from linebot.v3.webhooks import FollowEvent, MessageEvent, PostbackEvent, TextMessageContent

        if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            return event.message.text
        if isinstance(event, PostbackEvent):
            return event.postback.data  # our buttons' payloads: /choose_program{"program":"N"}
        if isinstance(event, FollowEvent):
            return GREET_PAYLOAD
        return None

    async def _handle(self, event: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration

        text = self._text_of(event)
        user_id = getattr(event.source, "user_id", None)
        if text is None or not user_id:
            return
        configuration = Configuration(host=self.api_base_url, access_token=self.access_token) \
            if self.api_base_url else Configuration(access_token=self.access_token)
        try:
            async with AsyncApiClient(configuration) as client:
                api = AsyncMessagingApi(client)
                await self._show_loading(api, event, user_id)
                collector = CollectingOutputChannel()
                await on_new_message(UserMessage(text, collector, user_id, input_channel=self.name(),
                                                 metadata={"line_event_id": event.webhook_event_id}))
                messages = render(collector.messages)
                if messages:
                    await self._send(api, getattr(event, "reply_token", None), user_id, messages)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed event must not take the webhook down; it is logged with its id
            logger.exception("line.event.failed", extra={"event_id": getattr(event, "webhook_event_id", None)})

    async def _show_loading(self, api: Any, event: Any, user_id: Text) -> None:
        """The typing indicator, in one-to-one chats only (LINE refuses group and room IDs)."""
        from linebot.v3.messaging import ShowLoadingAnimationRequest

        if getattr(event.source, "type", None) != "user":
            return
        try:
            await api.show_loading_animation(ShowLoadingAnimationRequest(chatId=user_id,
                                                                         loadingSeconds=LOADING_SECONDS))
        except Exception:
            logger.info("line.loading.unavailable")

    @staticmethod
    async def _send(api: Any, reply_token: Optional[Text], user_id: Text, messages: List[Any]) -> None:
        """One Reply API call; if the token is expired or used (400), the Push API instead."""
        from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest
        from linebot.v3.messaging.exceptions import ApiException

        if reply_token:
            try:
                await api.reply_message(ReplyMessageRequest(replyToken=reply_token, messages=messages))
                return
            except ApiException as error:
                if error.status != 400:
                    raise
                logger.info("line.reply_token.expired; pushing instead")
        await api.push_message(PushMessageRequest(to=user_id, messages=messages))

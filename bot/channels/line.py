"""LINE Messaging API channel for Rasa, at ``/webhooks/line/webhook``.

Shaped like Rasa's own channels (telegram.py, facebook.py):

- ``LineInput`` (an ``InputChannel``) is built by Rasa from the credentials file: ``credentials-line.yml``
  names ``channel_secret`` and ``access_token`` as ``${VAR}``, which Rasa expands from the environment when it
  reads the file. It checks the signature on the raw body before anything else, answers 200 at once and works in
  a background task, because LINE gives up after 2 s.
- ``LineOutput`` (an ``OutputChannel`` named ``line``, so that ``channel: line`` response variations are chosen)
  collects one turn's replies; after the turn they are rendered by ``line_render.render`` and sent in one Reply
  API call (at most 5 messages), or by the Push API when the reply token is expired or used. Without a turn
  (``get_output_channel``, used by Rasa's ``trigger_intent?output_channel=line``) each response is pushed as it
  comes, as nobody ends such a turn.
- ``LineApi``: one Messaging API client per process, made on first use inside the running event loop (its
  aiohttp session belongs to that loop), reused for every event and closed when the server stops.

While a person holds the conversation (a queued or connected handover), a user's message does not reach Rasa: it is
stored for staff (bot/channels/hold.py); a queued user is answered with their place and the expected wait (with the
event's reply token), a connected one gets nothing (the person answers). What staff write is pushed by the process's
handover worker (bot/channels/handover_worker.py, bot/channels/line_push.py), which the channel starts.

A turn that would send nothing (the action server down, refusing or too slow, or the turn failed) is answered with
the polite fallback naming the general desk (bot/channels/unavailable.py), in the same Reply API call.

Shared across processes and bounded (production runs several Rasa processes behind nginx, sharing Redis:
bot/shared_state.py):

- each ``webhookEventId`` is answered once, whichever process a delivery reaches (bot/channels/seen_events.py);
- a user over the message limit (bot/sender_limits.py, common/settings.py) is told ``utter_rate_limited`` once per
  window, with the event's reply token (bot/channels/rate_limited.py); their further events in that window are
  dropped without running the model;
- at most ``LINE_MAX_EVENTS_IN_FLIGHT`` events are worked on per process. A webhook that arrives when the process is
  at that bound is answered 503 with none of its events taken on: LINE redelivers it when redelivery is on in the
  console (the same events, replyable for a minute after the redelivery: LINE's redelivery), and the
  de-duplication makes that safe. Queueing instead would only delay answers past the reply token's minute, turning
  them into pushes that count against the month's message quota (LINE counts pushes, not replies), and would hide
  the overload from LINE's webhook error statistics, where operators look for it.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import handover_worker, rate_limited, unavailable
from bot.channels.hold import hold
from bot.channels.line_render import render
from bot.channels.seen_events import SeenEvents
from bot.limits import stored_message
from bot.sender_limits import SenderLimiter
from bot.shared_state import SharedRedis
from common.settings import settings

logger = logging.getLogger(__name__)

CHANNEL_NAME = "line"
GREET_PAYLOAD = "/greet"
LOADING_SECONDS = 20
STOP_GRACE_SECONDS = 10  # on shutdown, how long events still being answered may finish before the client closes


class LineApi:
    """The process's one Messaging API client, made lazily inside the running event loop.

    ``api()`` is synchronous (no await between the check and the assignment), so concurrent events cannot
    make two clients. If it is asked from another loop than the one that made the client (a test, a second
    ``asyncio.run``), it makes a new one: an aiohttp session cannot be used across loops."""

    def __init__(self, access_token: Text, host: Optional[Text] = None) -> None:
        self.access_token = access_token
        self.host = host or None  # None: LINE's own hosts (api.line.me, api-data.line.me)
        self.client: Any = None
        self._api: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def api(self) -> Any:
        from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration

        loop = asyncio.get_running_loop()  # raises outside a loop: the session must belong to one
        if self._api is None or self._loop is not loop:
            if self._api is not None:
                logger.warning("line.client.new_loop; making a new client")
            self.client = AsyncApiClient(Configuration(host=self.host, access_token=self.access_token))
            self._api = AsyncMessagingApi(self.client)
            self._loop = loop
        return self._api

    async def close(self) -> None:
        client, self.client, self._api, self._loop = self.client, None, None, None
        if client is not None:
            await client.close()


class LineOutput(OutputChannel):
    """Rasa's bot responses to LINE.

    For a turn (``reply_token`` given, or ``turn=True``), responses are collected in ``messages`` and sent by
    ``flush`` in one call; otherwise (a proactive message) each response is pushed at once."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    def __init__(self, line_api: LineApi, reply_token: Optional[Text] = None, turn: Optional[bool] = None) -> None:
        self.line_api = line_api
        self.reply_token = reply_token
        self.turn = reply_token is not None if turn is None else turn
        self.messages: List[Dict[Text, Any]] = []

    # ---- Rasa's send methods: collect the reply contract (text, buttons, custom) -------------------------

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        start = len(self.messages)
        await super().send_response(recipient_id, dict(message))  # Rasa's dispatch pops keys: give it a copy
        if not self.turn:  # nobody will flush a proactive message: push this response now
            responses, self.messages[start:] = self.messages[start:], []
            await self._deliver(recipient_id, responses)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.messages.append({"text": text})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        self.messages.append({"text": text, "buttons": buttons})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        self.messages.append({"custom": json_message})

    # ---- sending ------------------------------------------------------------------------------------------

    async def flush(self, recipient_id: Text) -> None:
        """The turn's replies, rendered, in one Reply API call (Push when the token is expired or used)."""
        responses, self.messages = self.messages, []
        await self._deliver(recipient_id, responses)

    async def _deliver(self, recipient_id: Text, responses: List[Dict[Text, Any]]) -> None:
        messages = render(responses)
        if not messages:  # nothing to say (e.g. only an empty programs payload): send nothing
            return
        token, self.reply_token = self.reply_token, None  # a reply token is good for one call only
        await send(self.line_api.api(), token, recipient_id, messages)


async def send(api: Any, reply_token: Optional[Text], to: Text, messages: List[Any]) -> None:
    """One Reply API call; if there is no token or it is expired or used (400), the Push API instead."""
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
    await api.push_message(PushMessageRequest(to=to, messages=messages))


class LineInput(InputChannel):
    """Credentials (see credentials-line.yml): channel_secret, access_token, and optionally api_base_url
    (another API host, e.g. a local stub; absent or empty means LINE's own)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "LineInput":
        credentials = credentials or {}
        secret, token = credentials.get("channel_secret"), credentials.get("access_token")
        if not secret or not token:
            cls.raise_missing_credentials_exception()
        base = credentials.get("api_base_url") or None
        for key, value in (("channel_secret", secret), ("access_token", token), ("api_base_url", base)):
            if value is not None and "${" in str(value):  # a quoted "${VAR}" is not expanded by Rasa
                raise RasaException(f"LINE credential {key} was not expanded from the environment: "
                                    f"write ${{VAR}} unquoted in the credentials file")
        return cls(str(secret), str(token), str(base) if base else None)

    def __init__(self, channel_secret: Text, access_token: Text, api_base_url: Optional[Text] = None) -> None:
        from linebot.v3 import WebhookParser

        self.parser = WebhookParser(channel_secret)
        self.line_api = LineApi(access_token, api_base_url)
        self.shared = SharedRedis()
        self.seen = SeenEvents(self.shared)
        self.limiter = SenderLimiter.per_sender(self.shared)
        self.max_in_flight = settings().line_max_events_in_flight
        self._tasks: Set[asyncio.Task] = set()

    @property
    def access_token(self) -> Text:
        return self.line_api.access_token

    @property
    def api_base_url(self) -> Optional[Text]:
        return self.line_api.host

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages without a user turn (Rasa's trigger_intent?output_channel=line): pushed."""
        return LineOutput(self.line_api)

    async def close(self) -> None:
        """Let events still being answered finish (for a while), then close the API and Redis clients."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
        await self.line_api.close()
        await self.shared.close()

    # ---- webhook -------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        from linebot.v3.exceptions import InvalidSignatureError

        webhook = Blueprint(f"line_webhook_{type(self).__name__}", __name__)

        @webhook.listener("after_server_stop")
        async def close_client(*_: Any) -> None:
            await self.close()

        handover_worker.run_with(webhook, self.line_api)  # stopped before the client is closed

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
            if events and self.busy():  # none taken on: LINE may redeliver them all (module docstring)
                logger.warning("line.webhook.busy; %d events in flight, answered 503", len(self._tasks))
                return response.text("busy", status=503)
            for event in events:
                task = asyncio.create_task(self._handle(event, on_new_message, request.app))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return response.text("OK")

        return webhook

    def busy(self) -> bool:
        """Whether this process already works on as many events as it may (0: no bound). A webhook is taken whole
        below the bound, so one batch can pass it by its size at most, and a batch larger than the bound still
        gets in when the process is idle."""
        return 0 < self.max_in_flight <= len(self._tasks)

    # ---- one event -----------------------------------------------------------------------------

    @staticmethod
    def _text_of(event: Any) -> Optional[Text]:
        from linebot.v3.webhooks import FollowEvent, MessageEvent, PostbackEvent, TextMessageContent

        if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            return stored_message(event.message.text)
        if isinstance(event, PostbackEvent):
            return event.postback.data  # our buttons' payloads: /choose_program{"program":"N"}
        if isinstance(event, FollowEvent):
            return GREET_PAYLOAD
        return None

    async def _handle(self, event: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      app: Any = None) -> None:
        """One event's turn and its one reply; ``app`` (the Sanic app, holding Rasa's agent) answers a silent turn.

        A delivery seen before is dropped; so is a message of a user over the limit, but the first such message
        in a window is told to wait, with its reply token."""
        event_id = getattr(event, "webhook_event_id", None)
        if not await self.seen.first_time(event_id):  # LINE may deliver an event twice (redelivery, network)
            return
        text = self._text_of(event)
        user_id = getattr(event.source, "user_id", None)
        if text is None or not user_id:
            return
        verdict = await self.limiter.hit(CHANNEL_NAME, user_id)
        if not verdict.allowed:
            if verdict.first_refusal:
                await self._tell_rate_limited(event, user_id, app)
            return
        try:
            if await self._held(event, text, user_id):
                return
            await self._show_loading(event, user_id)
            output = LineOutput(self.line_api, reply_token=getattr(event, "reply_token", None), turn=True)
            try:
                await on_new_message(UserMessage(text, output, user_id, input_channel=self.name(),
                                                 metadata={"line_event_id": event_id}))
            except asyncio.CancelledError:
                raise
            except Exception:  # the turn failed: logged with the event's id, the user still gets an answer
                logger.exception("line.event.failed", extra={"event_id": event_id})
            await unavailable.answer_if_silent(app, output, user_id, bool(render(output.messages)))
            await output.flush(user_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed event must not take the webhook down; it is logged with its id
            logger.exception("line.event.failed", extra={"event_id": event_id})

    async def _held(self, event: Any, text: Text, user_id: Text) -> bool:
        """Whether a person holds the conversation (the message then goes to them, not to Rasa); a queued user is
        told their place, with the event's reply token."""
        held = await hold(user_id, text, key=getattr(event, "webhook_event_id", None))
        if held is None:
            return False
        if held.worth_sending:
            output = LineOutput(self.line_api, reply_token=getattr(event, "reply_token", None), turn=True)
            for reply in held.replies:
                await output.send_response(user_id, reply)
            await output.flush(user_id)
        return True

    async def _tell_rate_limited(self, event: Any, user_id: Text, app: Any) -> None:
        """``utter_rate_limited``, as the reply to this event (pushed if its token has expired). Never raises."""
        event_id = getattr(event, "webhook_event_id", None)
        logger.warning("line.rate_limited", extra={"event_id": event_id})
        try:
            message = await rate_limited.notice(app, user_id, self.name())
            if message is None:
                return
            output = LineOutput(self.line_api, reply_token=getattr(event, "reply_token", None), turn=True)
            await output.send_response(user_id, message)
            await output.flush(user_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("line.rate_limited.failed", extra={"event_id": event_id})

    async def _show_loading(self, event: Any, user_id: Text) -> None:
        """The typing indicator, in one-to-one chats only (LINE refuses group and room IDs)."""
        from linebot.v3.messaging import ShowLoadingAnimationRequest

        if getattr(event.source, "type", None) != "user":
            return
        try:
            await self.line_api.api().show_loading_animation(
                ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=LOADING_SECONDS))
        except Exception:
            logger.info("line.loading.unavailable")

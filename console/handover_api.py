"""The console's side of a handover: the live list, one conversation, take, reply, send a card, hand back; and the
call-back requests. Routes added to the console app by :func:`add_routes` (console/app.py), under /api/ so that
the app's guard (a logged-in session) and its same-site rule for POSTs (console/auth.py) apply to every one.

The handover store (handover/store.py) is the one judge of every race: of two staff taking a conversation at once,
its conditional UPDATE lets exactly one win, and the other is told who has it (409). Only the staff member who took
a conversation may write in it or hand it back (403 for anyone else); since a taken conversation never changes
hands, checking the holder before writing is safe. A reply over ``MAX_MESSAGE_CHARS`` is refused whole (413) and
nothing is stored; an idempotency key from the page makes a double-click store one message.

Reading the list (``GET /api/handovers``) is also how the console says a staff member is on duty
(``HandoverStore.seen``): the handover page polls it every two seconds, so being on the page is being on duty.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, TypeVar

from sanic import Sanic, response
from sanic.request import Request

from console.accounts.models import Staff
from console.handover_requests import Refused, callback_status_of, json_body, reply_of, status_filter, too_long
from console.handover_views import (
    callback_item,
    handover_item,
    handover_list,
    handover_name,
    message_item,
)
from console.review_queue import program_names
from console.transcript import assistant_part
from handover import hours
from handover.models import CONNECTED, ENDED, QUEUED, RETURNED, STAFF
from handover.records import Handover
from handover.store import HandoverClosed, HandoverStore, MessageTooLong, wall_clock
from knowledge import query
from knowledge.cards import programs_payload
from knowledge.db import session

NOT_FOUND = "この会話は見つかりませんでした。一覧を更新してください。"
TAKEN = "この会話は、すでに{name}さんが対応しています。"
CLOSED = "この会話はすでに終了しています。"
NOT_TAKEN = "まだ誰も対応していません。「対応する」を押してから操作してください。"
NOT_YOURS = "この会話は{name}さんが対応中です。送信や「アシスタントに戻す」は、対応中の担当者だけが行えます。"
NO_PROGRAM = "その番号の制度は見つかりませんでした。番号をご確認ください。"
CALLBACK_GONE = "この折り返し依頼は見つかりませんでした。保存期間を過ぎて削除された可能性があります。"
CALLBACK_DONE = "この折り返し依頼はすでに完了しています。"
CARD_TEXT = "「{name}」についてご案内します。"
NO_STORE = {"Cache-Control": "no-store"}  # conversations and contacts: never kept by a browser or proxy cache

T = TypeVar("T")
OffLoop = Callable[[Callable[[], T]], Awaitable[T]]


def json(body: Dict[str, Any], status: int = 200):
    return response.json(body, status=status, headers=NO_STORE)


def _holder_check(handover: Handover, me: Staff) -> None:
    """Only the staff member who took the conversation writes in it (see the module's docstring)."""
    if handover.taken_by == me.login:
        return
    if handover.taken_by is None:
        raise Refused(403, NOT_TAKEN) if handover.state == QUEUED else Refused(409, CLOSED)
    raise Refused(403, NOT_YOURS.format(name=handover.taken_by_name or handover.taken_by))


def add_routes(app: Sanic, off_loop: OffLoop, handovers: Callable[[], HandoverStore], db_url: Optional[str],
               rasa_url: Optional[str], rasa_token: Optional[str]) -> None:
    """Add the handover and call-back API to ``app``. ``handovers()`` gives the store (made on first use, in a
    store thread: its first use migrates the tables); ``off_loop`` runs store work off the event loop."""

    @app.exception(Refused)
    async def refused(request: Request, error: Refused):
        return json({"error": error.message}, status=error.status)

    def names() -> Dict[int, str]:
        with session(db_url) as kb:
            return program_names(kb)

    def found(store: HandoverStore, handover_id: int) -> Handover:
        handover = store.get(handover_id)
        if handover is None:
            raise Refused(404, NOT_FOUND)
        return handover

    def body_of(request: Request) -> Dict[str, Any]:
        return json_body(request.content_type, lambda: request.json)

    @app.get("/api/handovers")
    async def list_handovers(request: Request):
        me: Staff = request.ctx.staff

        def read() -> Dict[str, Any]:
            store = handovers()
            now = wall_clock()
            store.seen(me.login, handover_name(me), now)
            return {"handovers": handover_list(store.waiting(), names(), me, now),
                    "on_duty": [presence.name for presence in store.on_duty(now)],
                    "staffed": hours.is_staffed(now), "me": {"login": me.login, "name": me.name}}

        return json(await off_loop(read))

    @app.get("/api/handovers/<handover_id:int>")
    async def one_handover(request: Request, handover_id: int):
        """The handover and its messages; with ``?after=N`` only the messages after id N (the page's polling), else
        also the conversation with the assistant before it (console/transcript.py)."""
        me: Staff = request.ctx.staff
        after_arg = request.args.get("after")
        after = int(after_arg) if after_arg and after_arg.isdigit() else None

        def read() -> Tuple[Dict[str, Any], Optional[str], datetime]:
            store = handovers()
            handover = found(store, handover_id)
            body = {"handover": handover_item(handover, names(), me, wall_clock()),
                    "messages": [message_item(m) for m in store.messages(handover_id, after or 0)]}
            return body, handover.sender, handover.requested_at

        body, sender, requested_at = await off_loop(read)
        if after is None:
            body["assistant"] = await assistant_part(rasa_url, rasa_token, sender, requested_at)
        return json(body)

    @app.post("/api/handovers/<handover_id:int>/take")
    async def take(request: Request, handover_id: int):
        me: Staff = request.ctx.staff
        body_of(request)

        def write() -> Dict[str, Any]:
            store = handovers()
            won = store.take(handover_id, me.login, handover_name(me))
            handover = found(store, handover_id)
            if not won and not (handover.state == CONNECTED and handover.taken_by == me.login):
                if handover.state == CONNECTED:
                    raise Refused(409, TAKEN.format(name=handover.taken_by_name or handover.taken_by))
                raise Refused(409, CLOSED)
            return {"handover": handover_item(handover, names(), me, wall_clock())}

        return json(await off_loop(write))

    @app.post("/api/handovers/<handover_id:int>/messages")
    async def send(request: Request, handover_id: int):
        """A reply, or a program's card (``{"section": N}``): the same ``custom.programs`` the assistant sends."""
        me: Staff = request.ctx.staff
        reply = reply_of(body_of(request))

        def write() -> Dict[str, Any]:
            store = handovers()
            _holder_check(found(store, handover_id), me)
            text, custom = reply.text, None
            if reply.section is not None:
                with session(db_url) as kb:
                    program = query.program(kb, reply.section)
                    payload = programs_payload([program]) if program is not None else None
                if program is None or payload is None:
                    raise Refused(404, NO_PROGRAM)
                custom = dict(payload)
                text = text or CARD_TEXT.format(name=program.name)
            assert text is not None  # reply_of: a text, a section, or both
            try:
                message = store.add_message(handover_id, STAFF, text, custom, key=reply.key)
            except MessageTooLong as error:
                raise Refused(413, too_long(error.length)) from None
            except HandoverClosed:
                raise Refused(409, CLOSED) from None
            return {"message": message_item(message)}

        return json(await off_loop(write))

    @app.post("/api/handovers/<handover_id:int>/end")
    async def hand_back(request: Request, handover_id: int):
        """「アシスタントに戻す」: ended as ``returned``; the store tells the user (contract.ended). A second click
        is answered as the first."""
        me: Staff = request.ctx.staff
        body_of(request)

        def write() -> Dict[str, Any]:
            store = handovers()
            _holder_check(found(store, handover_id), me)
            ended = store.end(handover_id, RETURNED)
            handover = found(store, handover_id)
            if not ended and not (handover.state == ENDED and handover.outcome == RETURNED):
                raise Refused(409, CLOSED)
            return {"handover": handover_item(handover, names(), me, wall_clock())}

        return json(await off_loop(write))

    @app.get("/api/callbacks")
    async def callbacks(request: Request):
        """Call-back requests (``?status=new|in_progress|done``), oldest first, with their contacts: logged-in staff
        only (the /api guard), never logged, never cached."""
        status = status_filter(request.args.get("status"))

        def read() -> Dict[str, Any]:
            programs = names()
            return {"callbacks": [callback_item(c, programs) for c in handovers().callbacks(status)]}

        return json(await off_loop(read))

    @app.post("/api/callbacks/<callback_id:int>/status")
    async def callback_status(request: Request, callback_id: int):
        status = callback_status_of(body_of(request))

        def write() -> Dict[str, Any]:
            store = handovers()
            moved = store.set_callback_status(callback_id, status)
            current = next((c for c in store.callbacks() if c.id == callback_id), None)
            if current is None:
                raise Refused(404, CALLBACK_GONE)
            if not moved and current.status != status:
                raise Refused(409, CALLBACK_DONE)  # the one state nothing moves out of
            return {"callback": callback_item(current, names())}

        return json(await off_loop(write))

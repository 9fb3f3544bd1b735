"""The staff console's web app (Sanic, already installed with Rasa).

Candidates come from the Rasa server's /model/parse (its intent ranking, with the API token), the
records, search and area filter from the knowledge store. The review page (/review, /api/review/...) reads
the review log (``REVIEW_DB_URL``) through console/review_*.py; the handover page (/handover, /api/handovers/...,
/api/callbacks) the handover store in the same database, through console/handover_*.py. Everything needs a
logged-in staff member's session (``GET /api/me`` names them); the login rules (accounts, expiry, logout,
back-off, proxies, the Origin check on POSTs) are console/auth.py's.

The store and the review log are read with synchronous SQLAlchemy, and search runs Sudachi: that work runs in a
small thread pool of the app's, never on the event loop, so one staff member's slow search or export does not
hold up the requests of the others. Sessions are rows of the shared database, so checking one is store work too.
Logins run in a thread of their own, one at a time (argon2 takes a quarter of a second per check, and the gate
checks one login at a time): logins waiting for their turn hold up none of the store threads.
"""
from __future__ import annotations

import asyncio
import html
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, TypeVar

import aiohttp
from sanic import Sanic, response
from sanic.request import Request

from bot.program_intents import is_program_intent, slug_of_intent
from common.clients import Visitor, visitor
from common.settings import MAX_MESSAGE_CHARS
from console import handover_api
from console.auth import (
    DEVICE_COOKIE,
    DEVICE_DAYS,
    SESSION_COOKIE,
    Gate,
    clear_cookie,
    same_origin,
    set_cookie,
)
from console.records import record
from console.review_csv import queue_csv
from console.review_days import JST
from console.review_figures import figures, handover_figures
from console.review_filters import Filters, InvalidRequest
from console.review_marks import set_mark
from console.review_queue import DEFAULT_LIMIT, MAX_LIMIT, entry, options, program_names, queue
from console.review_training import PROJECT_NLU, known_examples, training_export
from handover.store import HandoverStore
from knowledge import answers, query
from knowledge.db import session
from knowledge.locations import Location, find_location
from knowledge.models import Area, Municipality
from knowledge.search import search
from review import db as review_db

STATIC = Path(__file__).resolve().parent / "static"
GONE = "この発言は見つかりませんでした。保存期間を過ぎて削除された可能性があります。"
# What the login page says, by reason; only these fixed texts are ever shown (never text from the request).
NOTICES = {
    "logged_out": ("status", "ログアウトしました。"),
    "expired": ("status", "一定時間操作がなかったか、ログインの有効期限が過ぎたため、ログアウトしました。"
                          "もう一度ログインしてください。"),
    "wrong": ("alert", "ログイン名またはパスワードが違います。もう一度入力してください。"),
    "cross_site": ("alert", "このページ以外からの送信は受け付けていません。"
                            "お手数ですが、もう一度ログインしてください。"),
}
LOGIN_REQUIRED = "ログインが必要です。もう一度ログインしてください。"
SESSION_EXPIRED = "ログインの有効期限が切れました。もう一度ログインしてください。"
CROSS_SITE = "このページ以外からの送信は受け付けていません。ページを開き直してから、もう一度お試しください。"
# Store and search work running at once; more waits for a free thread (the event loop does not wait).
STORE_THREADS = 8

T = TypeVar("T")


async def ranked_by_assistant(rasa_url: Optional[str], token: Optional[str],
                              text: str) -> Optional[List[Dict[str, Any]]]:
    """(slug, confidence) of program intents, best first, from the assistant's NLU; None if unreachable."""
    if not rasa_url:
        return None
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            async with http.post(f"{rasa_url}/model/parse", params={"token": token} if token else None,
                                 json={"text": text}) as answer:
                if answer.status != 200:
                    return None
                parsed = await answer.json()
    except (aiohttp.ClientError, TimeoutError):
        return None
    return [{"slug": slug_of_intent(r["name"]), "confidence": round(r["confidence"], 3)}
            for r in parsed.get("intent_ranking", []) if is_program_intent(r["name"])]


def chosen_desk(program, text: str, where: Optional[Location]) -> Dict[str, Any]:
    """The desk or place the assistant would answer with for this query (knowledge/answers.py: the one choice),
    for the row: 「むつ 創業 TEL」 shows むつ市創業相談ルーム, 「計画策定支援」 §22's own number."""
    spot = answers.choose(program, text, said=where)
    return {"name": spot.name, "contact_lines": answers.contact_summary(spot), "via": spot.via}


def with_local_places(item: Dict[str, Any], area: Optional[str]) -> Dict[str, Any]:
    """Mark the record's places and desks in ``area``: what staff read out to a caller from there."""
    local = [p for p in item["places"] if area and p["area"] == area]
    local += [d for d in item["desks"] if area and d["area"] == area]
    item["local_places"] = local
    return item


def create_app(gate: Gate, db_url: Optional[str] = None, rasa_url: Optional[str] = None,
               rasa_token: Optional[str] = None, name: str = "console", review_url: Optional[str] = None,
               nlu_dir: Optional[Path] = PROJECT_NLU, handovers: Optional[HandoverStore] = None) -> Sanic:
    """The console; ``review_url`` is the review log's database (default: ``REVIEW_DB_URL``), ``nlu_dir`` the
    training data the YAML export leaves out what it already has of, ``handovers`` the handover store (default: one
    on ``review_url``, made at its first use)."""
    app = Sanic(name)
    app.static("/static", str(STATIC))
    pool = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix=f"{name}-store")
    logins = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-login")

    async def off_loop(work: Callable[[], T]) -> T:
        """``work`` (store reads and writes, search, exports) in the app's thread pool, awaited: the event loop
        serves other requests meanwhile. Each call opens its own sessions: a session stays in one thread."""
        return await asyncio.get_running_loop().run_in_executor(pool, work)

    stores: List[HandoverStore] = [handovers] if handovers is not None else []

    def handover_store() -> HandoverStore:
        """The handover store, made in a store thread at first use (its first use on a database migrates it)."""
        if not stores:
            stores.append(HandoverStore(review_url))
        return stores[0]

    @app.listener("after_server_stop")
    async def stop_threads(app, loop):
        pool.shutdown(wait=False)
        logins.shutdown(wait=False)

    def who(request: Request) -> Visitor:
        """The client (its real address, TLS, host), forwarded headers believed only from trusted proxies."""
        return visitor(request.ip or "", bool(request.conn_info and request.conn_info.ssl),
                       lambda name: ",".join(request.headers.getall(name, [])) or None,
                       gate.settings.trusted_proxies)

    def to_login(request: Request, notice: Optional[str] = None):
        """Back to the login page; a session cookie that no longer opens anything is cleared."""
        answer = response.redirect(f"/login?notice={notice}" if notice else "/login", status=303)
        if request.cookies.get(SESSION_COOKIE):
            clear_cookie(answer.cookies, SESSION_COOKIE, secure=who(request).tls)
        return answer

    async def staff_page(request: Request, name: str):
        token = request.cookies.get(SESSION_COOKIE)
        state = await off_loop(lambda: gate.session(token))
        if state != "valid":
            return to_login(request, "expired" if state == "expired" else None)
        return await response.file(str(STATIC / name), headers={"Cache-Control": "no-store"})

    @app.middleware("request")
    async def same_site_posts(request: Request):
        """Every POST (login, logout, marks) sent by a browser must come from the console's own pages."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if same_origin(request.headers.get("origin"), who(request).host):
            return None
        if request.path.startswith("/api/"):
            return response.json({"error": CROSS_SITE}, status=403)
        return login_page("cross_site", status=403)

    @app.middleware("request")
    async def guard_api(request: Request):
        if not request.path.startswith("/api/"):
            return None
        token = request.cookies.get(SESSION_COOKIE)
        check = await off_loop(lambda: gate.check(token))
        if check.state != "valid":
            answer = response.json({"error": SESSION_EXPIRED if check.state == "expired" else LOGIN_REQUIRED},
                                   status=401)
            if token:
                clear_cookie(answer.cookies, SESSION_COOKIE, secure=who(request).tls)
            return answer
        request.ctx.staff = check.staff

    @app.get("/")
    async def index(request: Request):
        return await staff_page(request, "console.html")

    @app.get("/login")
    async def login_form(request: Request):
        return login_page(request.args.get("notice"))

    @app.post("/login")
    async def login(request: Request):
        client = who(request)
        login_name, password = request.form.get("login", ""), request.form.get("password", "")
        device = request.cookies.get(DEVICE_COOKIE)
        attempt = await asyncio.get_running_loop().run_in_executor(
            logins, lambda: gate.login(client.address, login_name, password, device))
        if attempt.wait:
            return login_page(None, status=429, wait=attempt.wait)
        if not attempt.ok:
            return login_page("wrong", status=401)
        old = request.cookies.get(SESSION_COOKIE)
        await off_loop(lambda: gate.logout(old))  # a fresh token at each login, the old one ended
        answer = response.redirect("/", status=303)
        set_cookie(answer.cookies, SESSION_COOKIE, attempt.token, secure=client.tls, max_age=gate.session_seconds())
        set_cookie(answer.cookies, DEVICE_COOKIE, attempt.device, secure=client.tls, max_age=DEVICE_DAYS * 86400)
        return answer

    @app.post("/logout")
    async def logout(request: Request):
        """Ends the session on the server and clears its cookie (the device cookie stays: see console/auth.py)."""
        token = request.cookies.get(SESSION_COOKIE)
        await off_loop(lambda: gate.logout(token))
        answer = response.redirect("/login?notice=logged_out", status=303)
        clear_cookie(answer.cookies, SESSION_COOKIE, secure=who(request).tls)
        return answer

    @app.get("/api/me")
    async def me(request: Request):
        """The logged-in staff member: login name and the display name colleagues see (e.g. in a handover)."""
        staff = request.ctx.staff
        return response.json({"login": staff.login, "name": staff.name}, headers={"Cache-Control": "no-store"})

    @app.get("/api/areas")
    async def areas(request: Request):
        def read():
            with session(db_url) as db:
                rows = db.query(Area).order_by(Area.rank).all()
                towns = db.query(Municipality).all()
                return [{"name": a.name, "municipalities": [m.name for m in towns if m.area == a.name]}
                        for a in rows]

        return response.json(await off_loop(read))

    @app.get("/api/candidates")
    async def candidates(request: Request):
        text = (request.args.get("q") or "").strip()[:MAX_MESSAGE_CHARS]
        area = request.args.get("area") or None
        if not text:
            return response.json({"source": None, "candidates": []})
        ranking = await ranked_by_assistant(rasa_url, rasa_token, text)

        def read(area: Optional[str]):
            with session(db_url) as db:
                if ranking is not None:
                    source, scored = "assistant", [(r["slug"], r["confidence"]) for r in ranking[:5]]
                else:
                    source, scored = "search", [(h.slug, h.score) for h in search(db, text, limit=5)]
                location = find_location(db, text) if area is None else None
                area = area or (location.area if location else None)
                items = []
                where = location or (Location(area=area) if area else None)
                for slug, score in scored:
                    program = query.program(db, slug)
                    item = with_local_places(dict(record(program), score=score), area)
                    items.append(dict(item, chosen=chosen_desk(program, text, where)))
                return {"source": source, "area": area, "candidates": items}

        return response.json(await off_loop(lambda: read(area)))

    @app.get("/api/search")
    async def search_programs(request: Request):
        text = (request.args.get("q") or "").strip()[:MAX_MESSAGE_CHARS]
        area = request.args.get("area") or None

        def read():
            with session(db_url) as db:
                if text:
                    hits = [(query.program(db, h.section), h.score) for h in search(db, text, limit=None)]
                else:
                    hits = [(p, None) for p in query.all_programs(db)]
                items = [with_local_places(dict(record(p), score=s), area) for p, s in hits]
                if area:  # programs with a desk or place in the area first; the rest serve it from elsewhere
                    items.sort(key=lambda item: not item["local_places"])
                return items

        return response.json(await off_loop(read))

    @app.get("/api/programs/<section:int>")
    async def program_record(request: Request, section: int):
        def read():
            with session(db_url) as db:
                program = query.program(db, section)
                return None if program is None else record(program)

        found = await off_loop(read)
        if found is None:
            return response.json({"error": "no such program"}, status=404)
        return response.json(found)

    # ---- the handover page: conversations handed to a person, and call-back requests (console/handover_api.py) ----

    @app.get("/handover")
    async def handover_page(request: Request):
        return await staff_page(request, "handover.html")

    handover_api.add_routes(app, off_loop, handover_store, db_url, rasa_url, rasa_token)

    # ---- the review page: the queue of turns to look at, marks, figures and exports ----

    @app.get("/review")
    async def review_page(request: Request):
        return await staff_page(request, "review.html")

    def review_filters(request: Request) -> Filters:
        """The queue's filters from the query string; a filter staff cannot have meant raises InvalidRequest."""
        return Filters.from_args({key: request.args.get(key)
                                  for key in ("kind", "channel", "program", "mark", "from", "to")})

    @app.exception(InvalidRequest)
    async def invalid(request: Request, error: InvalidRequest):
        """Every review route's 400: the message says what is wrong, in Japanese, as staff read it."""
        return response.json({"error": str(error)}, status=400)

    def page_of(request: Request) -> tuple[int, int]:
        def number(key: str, default: int) -> int:
            value = request.args.get(key) or ""
            return int(value) if value.isdigit() else default
        return number("offset", 0), max(1, min(number("limit", DEFAULT_LIMIT), MAX_LIMIT))

    @app.get("/api/review/options")
    async def review_options(request: Request):
        def read():
            with session(db_url) as kb, review_db.session(review_url) as db:
                return options(db, program_names(kb))

        return response.json(await off_loop(read))

    @app.get("/api/review/queue")
    async def review_queue(request: Request):
        filters = review_filters(request)
        offset, limit = page_of(request)

        def read():
            with session(db_url) as kb, review_db.session(review_url) as db:
                names = program_names(kb)
                total, turns = queue(db, filters, limit=limit, offset=offset)
                return {"total": total, "offset": offset, "limit": limit, "entries": [entry(t, names) for t in turns]}

        return response.json(await off_loop(read))

    @app.post("/api/review/turns/<turn_id:int>/mark")
    async def review_mark(request: Request, turn_id: int):
        # JSON only: an HTML form (from any site) cannot send it, and another site's script would need a CORS
        # preflight this app never grants (besides the session cookie being SameSite=Strict).
        if not (request.content_type or "").startswith("application/json"):
            return response.json({"error": "JSON形式で送信してください。"}, status=415)
        body = request.json if isinstance(request.json, dict) else {}
        if "mark" not in body:  # null clears a mark; a body without one is a mistake, not a request to clear
            return response.json({"error": "判定を指定してください。"}, status=400)

        def write():
            with session(db_url) as kb, review_db.session(review_url) as db:
                names = program_names(kb)
                turn = set_mark(db, turn_id, body.get("mark") or None, body.get("program"), names)
                return None if turn is None else entry(turn, names)

        marked = await off_loop(write)
        if marked is None:
            return response.json({"error": GONE}, status=404)
        return response.json(marked)

    @app.get("/api/review/figures")
    async def review_figures(request: Request):
        filters = review_filters(request)

        def read():
            with session(db_url) as kb, review_db.session(review_url) as db:
                summary = figures(db, kb, filters.start, filters.end)
            return {**summary, "handovers": handover_figures(handover_store(), filters.start, filters.end)}

        return response.json(await off_loop(read))

    def attachment(body: str, filename: str, content_type: str):
        return response.text(body, content_type=content_type,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                      "Cache-Control": "no-store"})

    def stamp() -> str:
        return datetime.now(timezone.utc).astimezone(JST).strftime("%Y%m%d-%H%M")

    @app.get("/api/review/export/training.yml")
    async def review_export_training(request: Request):
        filters = review_filters(request)

        def write_yaml():
            with session(db_url) as kb, review_db.session(review_url) as db:
                export = training_export(db, kb, known_examples(nlu_dir), filters.start, filters.end)
            return export.yaml()

        return attachment(await off_loop(write_yaml), f"review-training-{stamp()}.yml", "text/yaml; charset=utf-8")

    @app.get("/api/review/export/queue.csv")
    async def review_export_csv(request: Request):
        filters = review_filters(request)

        def write_csv():
            with session(db_url) as kb, review_db.session(review_url) as db:
                names = program_names(kb)
                _, turns = queue(db, filters, limit=None)
                return queue_csv([entry(t, names) for t in turns])

        return attachment(await off_loop(write_csv), f"review-queue-{stamp()}.csv", "text/csv; charset=utf-8")

    return app


def wait_text(seconds: float) -> str:
    """A wait as staff read it: whole seconds under a minute, else whole minutes (rounded up)."""
    if seconds < 60:
        return f"{max(1, math.ceil(seconds))}秒"
    return f"{math.ceil(seconds / 60)}分"


def login_page(notice: Optional[str], status: int = 200, wait: float = 0.0):
    """The login form, with a notice above it: one of NOTICES, or how long to wait before trying again."""
    page = (STATIC / "login.html").read_text(encoding="utf-8")
    if wait:
        role, text = "alert", (f"ログインの試行が続いたため、受け付けを一時的に止めています。"
                               f"{wait_text(wait)}ほどたってから、もう一度お試しください。")
    else:
        role, text = NOTICES.get(notice or "", (None, None))
    shown = f'<p class="notice" role="{role}">{html.escape(text)}</p>' if text else ""
    headers = {"Cache-Control": "no-store"}
    if wait:
        headers["Retry-After"] = str(math.ceil(wait))
    return response.html(page.replace("<!-- notice -->", shown), status=status, headers=headers)

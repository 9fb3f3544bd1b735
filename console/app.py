"""The staff console's web app (Sanic, already installed with Rasa).

Candidates come from the Rasa server's /model/parse (its intent ranking, with the API token), the
records, search and area filter from the knowledge store. The review page (/review, /api/review/...) reads
the review log (``REVIEW_DB_URL``) through console/review_queue.py. Everything needs a logged-in session.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp
from sanic import Sanic, response
from sanic.request import Request

from bot.program_intents import is_program_intent, slug_of_intent
from console import review_queue as rq
from console.auth import SESSION_COOKIE, Gate
from console.records import record
from knowledge import query
from knowledge.db import session
from knowledge.locations import find_location
from knowledge.models import Area, Municipality
from knowledge.search import search
from review import db as review_db

STATIC = Path(__file__).resolve().parent / "static"
GONE = "この発言は見つかりませんでした。保存期間を過ぎて削除された可能性があります。"


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


def with_local_places(item: Dict[str, Any], area: Optional[str]) -> Dict[str, Any]:
    """Mark the record's places and desks in ``area``: what staff read out to a caller from there."""
    local = [p for p in item["places"] if area and p["area"] == area]
    local += [d for d in item["desks"] if area and d["area"] == area]
    item["local_places"] = local
    return item


def create_app(gate: Gate, db_url: Optional[str] = None, rasa_url: Optional[str] = None,
               rasa_token: Optional[str] = None, name: str = "console", review_url: Optional[str] = None,
               nlu_dir: Optional[Path] = rq.PROJECT_NLU) -> Sanic:
    """The console; ``review_url`` is the review log's database (default: ``REVIEW_DB_URL``), ``nlu_dir`` the
    training data the YAML export leaves out what it already has of."""
    app = Sanic(name)
    app.static("/static", str(STATIC))

    def client(request: Request) -> str:
        return request.ip or "unknown"

    def authorised(request: Request) -> bool:
        return gate.valid(request.cookies.get(SESSION_COOKIE))

    @app.get("/")
    async def index(request: Request):
        if not authorised(request):
            return response.redirect("/login")
        return await response.file(str(STATIC / "console.html"))

    @app.get("/login")
    async def login_form(request: Request):
        return await response.file(str(STATIC / "login.html"))

    @app.post("/login")
    async def login(request: Request):
        wait = gate.locked_for(client(request))
        if wait:
            retry = f"ログインの試行回数が多すぎます。{int(wait) + 1}秒後にもう一度お試しください。"
            return response.html(_page(retry),
                                 status=429)
        token = gate.login(client(request), request.form.get("password", ""))
        if token is None:
            return response.html(_page("パスワードが違います。"), status=401)
        answer = response.redirect("/")
        answer.cookies[SESSION_COOKIE] = token
        answer.cookies[SESSION_COOKIE]["httponly"] = True
        answer.cookies[SESSION_COOKIE]["samesite"] = "Strict"
        return answer

    @app.middleware("request")
    async def guard_api(request: Request):
        if request.path.startswith("/api/") and not authorised(request):
            return response.json({"error": "login required"}, status=401)

    @app.get("/api/areas")
    async def areas(request: Request):
        with session(db_url) as db:
            rows = db.query(Area).order_by(Area.rank).all()
            towns = db.query(Municipality).all()
            return response.json([{"name": a.name, "municipalities": [m.name for m in towns if m.area == a.name]}
                                  for a in rows])

    @app.get("/api/candidates")
    async def candidates(request: Request):
        text = (request.args.get("q") or "").strip()[:1000]
        area = request.args.get("area") or None
        if not text:
            return response.json({"source": None, "candidates": []})
        ranking = await ranked_by_assistant(rasa_url, rasa_token, text)
        with session(db_url) as db:
            if ranking is not None:
                source, scored = "assistant", [(r["slug"], r["confidence"]) for r in ranking[:5]]
            else:
                source, scored = "search", [(h.slug, h.score) for h in search(db, text, limit=5)]
            location = find_location(db, text) if area is None else None
            area = area or (location.area if location else None)
            items = []
            for slug, score in scored:
                program = query.program(db, slug)
                items.append(with_local_places(dict(record(program), score=score), area))
            return response.json({"source": source, "area": area, "candidates": items})

    @app.get("/api/search")
    async def search_programs(request: Request):
        text = (request.args.get("q") or "").strip()[:1000]
        area = request.args.get("area") or None
        with session(db_url) as db:
            if text:
                hits = [(query.program(db, h.section), h.score) for h in search(db, text, limit=None)]
            else:
                hits = [(p, None) for p in query.all_programs(db)]
            items = [with_local_places(dict(record(p), score=s), area) for p, s in hits]
            if area:  # programs with a desk or place in the area first; the rest serve it from elsewhere
                items.sort(key=lambda item: not item["local_places"])
            return response.json(items)

    @app.get("/api/programs/<section:int>")
    async def program_record(request: Request, section: int):
        with session(db_url) as db:
            program = query.program(db, section)
            if program is None:
                return response.json({"error": "no such program"}, status=404)
            return response.json(record(program))

    # ---- the review page: the queue of turns to look at, marks, figures and exports ----

    @app.get("/review")
    async def review_page(request: Request):
        if not authorised(request):
            return response.redirect("/login")
        return await response.file(str(STATIC / "review.html"))

    def review_args(request: Request) -> Dict[str, Optional[str]]:
        return {key: request.args.get(key) for key in ("kind", "channel", "program", "mark", "from", "to")}

    def invalid(error: Exception):
        return response.json({"error": str(error)}, status=400)

    def page_of(request: Request) -> tuple[int, int]:
        def number(key: str, default: int) -> int:
            value = request.args.get(key) or ""
            return int(value) if value.isdigit() else default
        return number("offset", 0), max(1, min(number("limit", rq.DEFAULT_LIMIT), rq.MAX_LIMIT))

    @app.get("/api/review/options")
    async def review_options(request: Request):
        with session(db_url) as kb, review_db.session(review_url) as db:
            return response.json(rq.options(db, rq.program_names(kb)))

    @app.get("/api/review/queue")
    async def review_queue(request: Request):
        try:
            filters = rq.Filters.from_args(review_args(request))
        except rq.InvalidRequest as error:
            return invalid(error)
        offset, limit = page_of(request)
        with session(db_url) as kb, review_db.session(review_url) as db:
            names = rq.program_names(kb)
            total, turns = rq.queue(db, filters, limit=limit, offset=offset)
            return response.json({"total": total, "offset": offset, "limit": limit,
                                  "entries": [rq.entry(t, names) for t in turns]})

    @app.post("/api/review/turns/<turn_id:int>/mark")
    async def review_mark(request: Request, turn_id: int):
        # JSON only: an HTML form (from any site) cannot send it, and another site's script would need a CORS
        # preflight this app never grants (besides the session cookie being SameSite=Strict).
        if not (request.content_type or "").startswith("application/json"):
            return response.json({"error": "JSON形式で送信してください。"}, status=415)
        body = request.json if isinstance(request.json, dict) else {}
        if "mark" not in body:  # null clears a mark; a body without one is a mistake, not a request to clear
            return response.json({"error": "判定を指定してください。"}, status=400)
        with session(db_url) as kb, review_db.session(review_url) as db:
            names = rq.program_names(kb)
            try:
                turn = rq.set_mark(db, turn_id, body.get("mark") or None, body.get("program"), names)
            except rq.InvalidRequest as error:
                return invalid(error)
            if turn is None:
                return response.json({"error": GONE}, status=404)
            return response.json(rq.entry(turn, names))

    @app.get("/api/review/figures")
    async def review_figures(request: Request):
        try:
            filters = rq.Filters.from_args(review_args(request))
        except rq.InvalidRequest as error:
            return invalid(error)
        with session(db_url) as kb, review_db.session(review_url) as db:
            return response.json(rq.figures(db, kb, filters.start, filters.end))

    def attachment(body: str, filename: str, content_type: str):
        return response.text(body, content_type=content_type,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                      "Cache-Control": "no-store"})

    def stamp() -> str:
        return datetime.now(timezone.utc).astimezone(rq.JST).strftime("%Y%m%d-%H%M")

    @app.get("/api/review/export/training.yml")
    async def review_export_training(request: Request):
        try:
            filters = rq.Filters.from_args(review_args(request))
        except rq.InvalidRequest as error:
            return invalid(error)
        with session(db_url) as kb, review_db.session(review_url) as db:
            export = rq.training_export(db, kb, rq.known_examples(nlu_dir), filters.start, filters.end)
        return attachment(export.yaml(), f"review-training-{stamp()}.yml", "text/yaml; charset=utf-8")

    @app.get("/api/review/export/queue.csv")
    async def review_export_csv(request: Request):
        try:
            filters = rq.Filters.from_args(review_args(request))
        except rq.InvalidRequest as error:
            return invalid(error)
        with session(db_url) as kb, review_db.session(review_url) as db:
            names = rq.program_names(kb)
            _, turns = rq.queue(db, filters, limit=None)
            body = rq.queue_csv([rq.entry(t, names) for t in turns])
        return attachment(body, f"review-queue-{stamp()}.csv", "text/csv; charset=utf-8")

    return app


def _page(message: str) -> str:
    return ("<!doctype html><html lang='ja'><meta charset='utf-8'><title>ログイン</title>"
            f"<p role='alert'>{html.escape(message)}</p><p><a href='/login'>ログイン画面へ戻る</a></p></html>")

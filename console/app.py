"""The staff console's web app (Sanic, already installed with Rasa).

Candidates come from the Rasa server's /model/parse (its intent ranking, with the API token), the
records, search and area filter from the knowledge store. Everything needs a logged-in session.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp
from sanic import Sanic, response
from sanic.request import Request

from bot.program_intents import is_program_intent, slug_of_intent
from console.auth import SESSION_COOKIE, Gate
from console.records import record
from knowledge import query
from knowledge.db import session
from knowledge.locations import find_location
from knowledge.models import Area, Municipality
from knowledge.search import search

STATIC = Path(__file__).resolve().parent / "static"


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
               rasa_token: Optional[str] = None, name: str = "console") -> Sanic:
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

    return app


def _page(message: str) -> str:
    return ("<!doctype html><html lang='ja'><meta charset='utf-8'><title>ログイン</title>"
            f"<p role='alert'>{html.escape(message)}</p><p><a href='/login'>ログイン画面へ戻る</a></p></html>")

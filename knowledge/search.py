"""Ranked free-text search over the programs, for the fallback and for call-center staff.

BM25 (rank_bm25) over Sudachi normalized forms, with the synonym list from the store folding
人材/人財, 後継ぎ/跡継ぎ/後継者 … into one term, and kana-only input matched through reading forms.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Sequence

from rank_bm25 import BM25Okapi
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import query
from knowledge.cache import cache_key
from knowledge.models import Program, Synonym
from knowledge.text import normalize
from knowledge.tokens import kana_runs, morphemes

# How many times each part of a program counts: the heading and keywords say what it is for.
FIELD_WEIGHTS = (("title", 3), ("situation", 2), ("name", 2), ("keywords", 3), ("summary", 2),
                 ("offers", 1), ("eligibility", 1))
MIN_READING = 3  # shorter readings (カイ, ヒト) match too much by accident


@dataclass(frozen=True)
class SearchHit:
    section: int
    slug: str
    name: str
    score: float


def _field_texts(program: Program) -> Dict[str, str]:
    return {
        "title": program.title, "situation": program.situation, "name": program.name,
        "keywords": " ".join(program.keywords), "summary": program.summary,
        "offers": " ".join(f"{o.name} {o.description or ''}" for o in program.offers),
        "eligibility": " ".join([program.eligibility_target or "", *program.eligibility_conditions]),
    }


class SearchIndex:
    """Built once per database contents; a query then costs one Sudachi pass and a BM25 scoring."""

    def __init__(self, programs: Sequence[Program], synonyms: Dict[str, str]):
        self.programs = [(p.section, p.slug, p.name) for p in programs]
        self.synonyms = synonyms
        self.readings: Dict[str, str] = {}
        documents = [self._document(p) for p in programs]
        self.bm25 = BM25Okapi(documents)

    def _fold(self, term: str) -> str:
        return self.synonyms.get(term, term)

    def _terms(self, text: str, learn_readings: bool = False) -> List[str]:
        terms = []
        for term, reading in morphemes(text):
            folded = self._fold(term)
            terms.append(folded)
            if learn_readings and len(reading) >= MIN_READING and reading != term:
                self.readings.setdefault(reading, folded)
        lowered = normalize(text)
        terms.extend(canonical for word, canonical in self.synonyms.items() if len(word) >= 2 and word in lowered)
        return terms

    def _document(self, program: Program) -> List[str]:
        document: List[str] = []
        texts = _field_texts(program)
        for field, weight in FIELD_WEIGHTS:
            document.extend(self._terms(texts[field], learn_readings=True) * weight)
        return document

    def query_terms(self, text: str) -> List[str]:
        terms = self._terms(text)
        for run in kana_runs(text):
            terms.extend(term for reading, term in self.readings.items() if reading in run)
        return terms

    def search(self, text: str, limit: Optional[int] = 5) -> List[SearchHit]:
        terms = self.query_terms(text)
        if not terms:
            return []
        scores = self.bm25.get_scores(terms)
        ranked = sorted(zip(scores, self.programs), key=lambda item: (-item[0], item[1][0]))
        return [SearchHit(section, slug, name, round(float(score), 3))
                for score, (section, slug, name) in ranked[:limit] if score > 0]


@lru_cache(maxsize=4)
def _index(url: str, version: str) -> SearchIndex:  # version: rebuild when the data changes
    from knowledge.db import session

    with session(url) as db:
        synonyms = {s.term: s.canonical for s in db.execute(select(Synonym)).scalars()}
        return SearchIndex(query.all_programs(db), synonyms)


def search(db: Session, text: str, limit: Optional[int] = 5) -> List[SearchHit]:
    """Programs ranked by relevance to ``text``, best first, each with its BM25 score (``limit=None``: all
    that match)."""
    return _index(*cache_key(db)).search(text, limit)

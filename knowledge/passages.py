"""The guide's own sentences of each program, for questions no field of the record answers.

「相談は秘密にしてもらえますか」「どんな専門家が来てくれるの」「いつから募集？」: the answer is a sentence or a
list item of the program's section of the guide, quoted whole with its section. The loader cuts the source text
(knowledge/source/) into passages, one sentence or list each, stored with their program; a question is matched to
its program's passages by Sudachi's normalized forms, weighted by how rare each is in the guide. A question that
matches none well enough gets an honest 「記載がありません」 from the caller, never a guess.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.cache import cache_key
from knowledge.models import Passage, Synonym
from knowledge.tokens import morphemes

HEADING = re.compile(r"^#{1,6}\s*(\d{1,2})\s+\S")
MARKERS = re.compile(r"^[#\-*\s・○◎◇■]+")
# Lines that are the record's contact fields, answered by the desk choice, not quoted.
CONTACT_LINE = re.compile(r"TEL|FAX|E-mail|@|^【(担当窓口|問い合わせ先|申込先)】|^所在地")
MIN_CHARS = 6
# A line without a full stop shorter than this is a heading, not an answer.
MIN_HEADLESS_CHARS = 15
# Words every question about a program has; they say nothing about which sentence answers it.
QUESTION_TERMS = {"相談", "利用", "出来る", "有る", "聞く", "教える", "知る", "貰う", "呉れる", "何",
                  "どんな", "如何", "ください", "お願い", "質問", "件", "窓口", "場合", "本当", "大丈夫", "うち",
                  "みたい", "使う", "とか", "やつ", "ちょっと", "今", "自分", "会社"}
LIST_ITEM = re.compile(r"^\s*(?:[-*・]\s*)?[①-⑳]")
ANNOUNCES_LIST = re.compile(r"以下の|次の(?!受付|開始|日|回|方|月|年|週|営業|機会)")
OPENING, CLOSING = "（(「『【", "）)」』】"
# Words that point to text elsewhere in the guide (「上記費用の3分の2」): such a sentence is not quoted alone.
POINTS_ELSEWHERE = re.compile(r"上記|下記|前記|後記|前述|後述")
# A passage answers when the weights of the question's terms it holds add up to MIN_SCORE, one of them is rare in
# the guide (MIN_RAREST: a term in at most about one passage in nine), and it holds MIN_COVERAGE of the terms.
MIN_SCORE = 2.3
MIN_RAREST = 2.3
MIN_COVERAGE = 0.34
# A match this strong is preferred to the field the NLU read the question as (「秘密にしてもらえますか」 read as a
# cost question): a rare term or two of the question's own.
STRONG_SCORE = 2 * MIN_SCORE
STRONG_COVERAGE = 0.5
# What a term that named the program counts for, beside the question's own terms.
KNOWN_WEIGHT = 0.3
# Without a program in focus a sentence must score this many times MIN_SCORE, and the next program's best at most
# CLEAR_MARGIN of it: a question the whole guide answers in one place only.
ANYWHERE_FACTOR = 3
CLEAR_MARGIN = 0.7


def sentences(line: str) -> List[str]:
    """The line's sentences: cut after each 「。」 outside brackets (「（但し、…とする。…とする。）」 stays whole)."""
    parts, start, depth = [], 0, 0
    for index, char in enumerate(line):
        depth += (char in OPENING) - (char in CLOSING)
        if char == "。" and depth <= 0:
            parts.append(line[start:index + 1])
            start = index + 1
    return parts + [line[start:]]


def guide_passages(source: Path, sections: int) -> Dict[int, List[str]]:
    """Each numbered program's sentences and list items of the guide's text, cleaned of layout marks, without its
    contact lines. A sentence that announces a list (「以下の支援措置が利用できます。」) keeps the list with it; one
    that points to what it does not carry (上記, or a list that does not follow) is left out."""
    found: Dict[int, List[str]] = {}
    current: Optional[int] = None
    announcing = False
    for raw in source.read_text(encoding="utf-8").splitlines():
        heading = HEADING.match(raw)
        if heading and int(heading.group(1)) == (current or 0) + 1 and int(heading.group(1)) <= sections:
            current, announcing = int(heading.group(1)), False
            found[current] = []
            continue
        line = MARKERS.sub("", raw).strip()
        if current is None or not line:
            continue
        if announcing and LIST_ITEM.match(raw):
            found[current][-1] += "\n" + line
            continue
        announcing = False
        if len(line) < MIN_CHARS or CONTACT_LINE.search(line):
            continue
        for sentence in filter(None, (part.strip() for part in sentences(line))):
            if len(sentence) >= MIN_CHARS and sentence not in found[current]:
                found[current].append(sentence)
        announcing = bool(ANNOUNCES_LIST.search(line))
    # quoted alone, a sentence must stand alone: none that points to a table or list it does not carry, no row of a
    # table (cells apart by tabs) without its header, no heading (short, no full stop: 「ア 付加価値額の向上」)
    return {section: [t for t in texts if not POINTS_ELSEWHERE.search(t) and "\t" not in t
                      and ("。" in t or "\n" in t or len(t) >= MIN_HEADLESS_CHARS)
                      and not (ANNOUNCES_LIST.search(t) and "\n" not in t)]
            for section, texts in found.items()}


@dataclass(frozen=True)
class Quote:
    section: int
    text: str
    score: float
    coverage: float  # the share of the question's own terms the sentence holds

    @property
    def strong(self) -> bool:
        """Clear enough to be preferred to the field the NLU read the question as."""
        return self.score >= STRONG_SCORE and self.coverage >= STRONG_COVERAGE


class PassageIndex:
    """Terms weighted by how rare they are across the whole guide (a section may have two sentences only, too
    few to weigh its own terms)."""

    def __init__(self, passages: Dict[int, List[str]], synonyms: Dict[str, str]):
        self.synonyms = synonyms
        self.passages = {section: [(text, frozenset(self.terms(text))) for text in texts]
                         for section, texts in passages.items()}
        documents = [terms for texts in self.passages.values() for _, terms in texts]
        frequency: Dict[str, int] = {}
        for terms in documents:
            for term in terms:
                frequency[term] = frequency.get(term, 0) + 1
        self.weight = {term: math.log(1 + len(documents) / count) for term, count in frequency.items()}

    def terms(self, text: str) -> List[str]:
        """Sudachi's normalized forms, synonyms folded; neither the question's own words nor numbers (NFKC makes
        「③」 a 3)."""
        return [self.synonyms.get(term, term) for term, _ in morphemes(text)
                if term not in QUESTION_TERMS and not term.isdigit()]

    def best(self, section: int, question: str, known: str = "") -> Optional[Quote]:
        """``known``: text whose terms chose the program (its name): they only break ties (KNOWN_WEIGHT)."""
        known_terms = set(self.terms(known)) if known else set()
        every = [t for t in dict.fromkeys(self.terms(question)) if t in self.weight]
        asked = [t for t in every if t not in known_terms]
        if not asked:
            return None
        scored = []
        for rank, (text, terms) in enumerate(self.passages.get(section, [])):
            matched = [t for t in asked if t in terms]
            if matched:
                score = sum(self.weight[t] for t in matched) + KNOWN_WEIGHT * sum(
                    self.weight[t] for t in every if t in known_terms and t in terms)
                scored.append((score, len(matched), -rank, text, max(self.weight[t] for t in matched)))
        if not scored:
            return None
        score, count, _, text, rarest = max(scored)
        if score < MIN_SCORE or rarest < MIN_RAREST or count / len(asked) < MIN_COVERAGE:
            return None
        return Quote(section, text, score, count / len(asked))


@lru_cache(maxsize=4)
def _index(url: str, version: str) -> PassageIndex:  # version: rebuild when the data changes
    from knowledge.db import session

    with session(url) as db:
        synonyms = {s.term: s.canonical for s in db.execute(select(Synonym)).scalars()}
        passages: Dict[int, List[str]] = {}
        for row in db.execute(select(Passage).order_by(Passage.program_section, Passage.rank)).scalars():
            passages.setdefault(row.program_section, []).append(row.text)
    return PassageIndex(passages, synonyms)


def best_quote(db: Session, section: int, question: str, known: str = "") -> Optional[Quote]:
    """The guide's sentence of program ``section`` that answers ``question``, or None when none does; terms of
    ``known`` (what named the program) do not count."""
    return _index(*cache_key(db)).best(section, question, known)


def best_anywhere(db: Session, question: str) -> Optional[Quote]:
    """With no program under discussion: the one sentence of the whole guide that answers ``question`` clearly
    (ANYWHERE_FACTOR times the score a program's own sentence needs, and better than any other program's)."""
    index = _index(*cache_key(db))
    found = sorted((q for section in index.passages if (q := index.best(section, question)) is not None),
                   key=lambda q: -q.score)
    if not found or found[0].score < MIN_SCORE * ANYWHERE_FACTOR:
        return None
    if len(found) > 1 and found[1].score >= found[0].score * CLEAR_MARGIN:
        return None
    return found[0]


def identity(program) -> str:
    """The words that name the program (heading, name, aliases): they chose the program (or it is already under
    discussion), so they say nothing about which of its sentences answers the question."""
    return " ".join([program.title, program.name, *program.aliases])

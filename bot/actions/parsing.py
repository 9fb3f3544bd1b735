"""Numbers and choices in free Japanese text: 「従業員450人」「4年計画」「300万円」「GL枠」.

Duckling knows little Japanese (no 万/億, no full-width digits), so the few forms owners use
are parsed here after NFKC normalization.

Every function here costs time linear in its input, whatever the input: text is cut to what the input
guard lets through (``bot/limits.py``; an ``/intent{...}`` payload skips the guard) and every pattern is
bounded: a written number has at most :data:`MAX_DIGITS` digits (a longer one is not a count or an amount
anyone means, and is not read as one), it starts where a run of digits starts, and there is at most
:data:`MAX_SPACES` space between a number and its counter. No unbounded quantifier can backtrack over a
long run of digits, so 100,000 digits are read in milliseconds.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from bot.limits import MAX_MESSAGE_CHARS
from knowledge.text import normalize

# Characters of a message the parsers read; the input guard refuses longer messages.
TEXT_LIMIT = MAX_MESSAGE_CHARS
# Digits of one written number (before any decimals): 999,999,999,999 is past any count or amount meant.
MAX_DIGITS = 12
# Spaces allowed between a number and its counter or unit (「50 人」).
MAX_SPACES = 3
_S = rf"\s{{0,{MAX_SPACES}}}"
# A written number: ASCII digits (NFKC has made full-width ones ASCII), 12 at most or up to 4 groups of
# thousands (1,000,000,000,000), and up to 4 decimals. It starts where a run of digits starts and must not go on
# with another digit, group or decimal: a longer run is no number at all (rather than its last 12 digits).
_NUMBER = (rf"(?<![0-9,.])(?:[0-9]{{1,{MAX_DIGITS}}}|[0-9]{{1,3}}(?:,[0-9]{{3}}){{1,4}})(?:\.[0-9]{{1,4}})?"
           r"(?![0-9]|[,.][0-9])")
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_KANJI_SMALL = re.compile(r"(?<![一-龥])([一二三四五六七八九十])(?=[年人回])")


def bounded(text: object) -> str:
    """What the parsers read of ``text``: NFKC-normalized, trimmed, at most :data:`TEXT_LIMIT` characters
    (normalization may lengthen text: 「㍿」 is 「株式会社」); not a string: nothing."""
    if not isinstance(text, str):
        return ""
    return normalize(text.strip()[:TEXT_LIMIT])[:TEXT_LIMIT * 2]


def _to_number(text: str) -> Decimal:
    """Exact: 「1.5」 is 3/2, and no number written here can overflow (unlike ``float``)."""
    return Decimal(text.replace(",", ""))


def _kanji_small(text: str) -> str:
    """「三年」「五回」: single kanji digits users type for small counts."""
    return _KANJI_SMALL.sub(lambda m: str(_KANJI_DIGITS[m.group(1)]), text)


def count_before(text: str, counters: Sequence[str]) -> Optional[int]:
    """The number written before one of ``counters`` (人, 名, 年 …), e.g. 「450人」 -> 450."""
    normalized = _kanji_small(bounded(text))
    words = "|".join(re.escape(normalize(c)) for c in counters if c)
    if not words:
        return None
    match = re.search(rf"({_NUMBER}){_S}(?:{words})", normalized)
    return int(_to_number(match.group(1))) if match else None


def employees(text: str) -> Optional[int]:
    return count_before(text, ("人", "名"))


def plan_years(text: str) -> Optional[int]:
    return count_before(text, ("年",))


# 「1億2000万円」: each part optional, each number bounded. An amount starts where a run of digits starts, and its
# first number is followed by a unit (億, 万, 千, or 円 alone): checked first, so that a digit without one costs
# one short look ahead rather than four attempts at a number.
_AMOUNT = re.compile(rf"(?<![0-9,.])(?=[0-9][0-9,.]{{0,29}}{_S}[億万千円])"
                     rf"(?:(?P<oku>{_NUMBER}){_S}億)?{_S}(?:(?P<man>{_NUMBER}){_S}万)?{_S}"
                     rf"(?:(?P<sen>{_NUMBER}){_S}千)?{_S}(?P<yen>{_NUMBER})?{_S}(?P<unit>円)?")
_SCALES = (("oku", 10 ** 8), ("man", 10 ** 4), ("sen", 10 ** 3), ("yen", 1))


def amount_yen(text: str) -> Optional[int]:
    """「300万円」「1億2000万」「250,000円」「50万」 -> yen; None when no amount is written.

    A bare number without 万/億/千 or 円 is not taken as money (「3年」「5回」 are not amounts)."""
    for match in _AMOUNT.finditer(bounded(text)):
        parts = match.groupdict()
        if not any(parts[k] for k in ("oku", "man", "sen")) and not (parts["yen"] and parts["unit"]):
            continue
        return int(round(sum(_to_number(parts[key]) * scale for key, scale in _SCALES if parts[key])))
    return None


def first_keyword(text: str, keywords: Sequence[str]) -> Optional[str]:
    """The keyword that appears first in ``text`` (case- and width-insensitive)."""
    normalized = bounded(text)
    found = [(normalized.find(normalize(k)), k) for k in keywords if k and normalize(k) in normalized]
    return min(found)[1] if found else None


# Words ending in 業 that are not an industry (「事業」「企業」「創業」…).
_NOT_INDUSTRIES = ("事業", "企業", "創業", "営業", "従業", "作業", "産業", "授業", "卒業", "開業", "廃業", "休業",
                   "就業", "残業", "起業", "同業", "実業", "分業", "工業団地")
_INDUSTRY = re.compile(r"([一-龥ァ-ヶー]{1,5}業)")


def industry_word(text: str) -> Optional[str]:
    """An industry the user names in their own words (「建設業」「運送業」「飲食業」), or None."""
    for match in _INDUSTRY.finditer(bounded(text)):
        word = match.group(1)
        if not any(word.endswith(other) for other in _NOT_INDUSTRIES):
            return word
    return None


def amounts_yen(text: str) -> List[Tuple[int, int]]:
    """Every amount written in ``text``, as (position after NFKC normalization, yen), in order."""
    found = []
    for match in _AMOUNT.finditer(bounded(text)):
        parts = match.groupdict()
        if not any(parts[k] for k in ("oku", "man", "sen")) and not (parts["yen"] and parts["unit"]):
            continue
        found.append((match.start(), int(round(sum(_to_number(parts[key]) * scale
                                                    for key, scale in _SCALES if parts[key])))))
    return found


def labelled_amounts(text: str, labels: Mapping[str, Sequence[str]]) -> Dict[str, int]:
    """「営業利益800万円、人件費2,500万円」 -> {"営業利益": 8000000, …}: each amount belongs to the label written last
    before it (the longest word wins where words overlap: 「退職手当」 over 「手当」); several amounts of one label
    add up (「残業手当150万、家族手当50万」). ``labels``: name -> the words that say it."""
    normalized = bounded(text)
    marks = []
    for name, words in labels.items():
        for word in {normalize(w) for w in words if w}:
            marks += [(m.start(), m.start() + len(word), name) for m in re.finditer(re.escape(word), normalized)]
    kept = [m for m in marks if not any(o[0] <= m[0] and m[1] <= o[1] and (o[1] - o[0]) > (m[1] - m[0])
                                        for o in marks)]
    kept.sort()
    found: Dict[str, int] = {}
    for position, yen in amounts_yen(text):
        before = [m for m in kept if m[1] <= position]
        if before:
            name = before[-1][2]
            found[name] = found.get(name, 0) + yen
    return found


def visits(text: str) -> Optional[int]:
    """「5回来てもらう」「×3回」: how many visits the user plans (1回, as in 「1回あたり」, is not a count)."""
    normalized = _kanji_small(bounded(text))
    counts = [int(_to_number(m.group(1))) for m in re.finditer(rf"({_NUMBER}){_S}回", normalized)]
    counts = [c for c in counts if c > 1]
    return counts[0] if counts else None


def per_visit(text: str) -> bool:
    """Whether the amounts are per visit: 「1回あたり」「1回につき」「1回36,000円」."""
    return bool(re.search(r"(?<![0-9])1\s?回|一回|回あたり|回当たり|回につき", bounded(text)))

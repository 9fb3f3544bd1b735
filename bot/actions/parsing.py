"""Numbers and choices in free Japanese text: 「従業員450人」「4年計画」「300万円」「GL枠」.

Duckling knows little Japanese (no 万/億, no full-width digits), so the few forms owners use
are parsed here after NFKC normalization.
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

from knowledge.text import normalize

_DIGITS = r"\d+(?:,\d{3})*(?:\.\d+)?"
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _to_number(text: str) -> float:
    return float(text.replace(",", ""))


def _kanji_small(text: str) -> str:
    """「三年」「五回」: single kanji digits users type for small counts."""
    return re.sub(r"(?<![一-龥])([一二三四五六七八九十])(?=[年人回])",
                  lambda m: str(_KANJI_DIGITS[m.group(1)]), text)


def count_before(text: str, counters: Sequence[str]) -> Optional[int]:
    """The number written before one of ``counters`` (人, 名, 年 …), e.g. 「450人」 -> 450."""
    normalized = _kanji_small(normalize(text))
    match = re.search(rf"({_DIGITS})" + r"\s*(?:" + "|".join(map(re.escape, counters)) + ")", normalized)
    return int(_to_number(match.group(1))) if match else None


def employees(text: str) -> Optional[int]:
    return count_before(text, ("人", "名"))


def plan_years(text: str) -> Optional[int]:
    return count_before(text, ("年",))


_AMOUNT = re.compile(rf"(?:(?P<oku>{_DIGITS})\s*億)?\s*(?:(?P<man>{_DIGITS})\s*万)?\s*(?:(?P<sen>{_DIGITS})\s*千)?"
                     rf"\s*(?P<yen>{_DIGITS})?\s*(?P<unit>円)?")
_SCALES = (("oku", 1e8), ("man", 1e4), ("sen", 1e3), ("yen", 1))


def amount_yen(text: str) -> Optional[int]:
    """「300万円」「1億2000万」「250,000円」「50万」 -> yen; None when no amount is written.

    A bare number without 万/億/千 or 円 is not taken as money (「3年」「5回」 are not amounts)."""
    for match in _AMOUNT.finditer(normalize(text)):
        parts = match.groupdict()
        if not any(parts[k] for k in ("oku", "man", "sen")) and not (parts["yen"] and parts["unit"]):
            continue
        return int(round(sum(_to_number(parts[key]) * scale for key, scale in _SCALES if parts[key])))
    return None


def first_keyword(text: str, keywords: Sequence[str]) -> Optional[str]:
    """The keyword that appears first in ``text`` (case- and width-insensitive)."""
    normalized = normalize(text)
    found = [(normalized.find(normalize(k)), k) for k in keywords if normalize(k) in normalized]
    return min(found)[1] if found else None


# Words ending in 業 that are not an industry (「事業」「企業」「創業」…).
_NOT_INDUSTRIES = ("事業", "企業", "創業", "営業", "従業", "作業", "産業", "授業", "卒業", "開業", "廃業", "休業",
                   "就業", "残業", "起業", "同業", "実業", "分業", "工業団地")


def industry_word(text: str) -> Optional[str]:
    """An industry the user names in their own words (「建設業」「運送業」「飲食業」), or None."""
    for match in re.finditer(r"([一-龥ァ-ヶー]{1,5}業)", normalize(text)):
        word = match.group(1)
        if not any(word.endswith(other) for other in _NOT_INDUSTRIES):
            return word
    return None

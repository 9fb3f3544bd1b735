"""Phone numbers, found on the folded text (review/masking/text.py).

Japanese numbers as owners type them: 10 or 11 digits starting with 0 (not 00), or ``+81`` followed by
the number without its leading 0 (``+81-90-…``, ``+81 (0)17-…``). Digits may be full-width; groups may
be separated by hyphens of any kind (- － ‐ – — ― − ー ─), dots, spaces or parentheses
(``017(734)9418``, ``（017）734-9418``), or not at all (``0177349418``). Grouped numbers must look like
phone numbers (area code 2-5 digits, exchange 1-4, subscriber 4, or 3 after 0120/0570/0180/0990), and
numbers whose separators agree are preferred, so a postal code in front of a number is not swallowed.
Not masked: amounts (300万円, 1,000,000円), counts (従業員450人), years, percentages, dates, times and
postal codes. A postal code (〒030-0801) stays: it names an area of hundreds of households, not a
person, and the area helps staff judge a miss. Street addresses are not masked either, and numbers in
kanji (〇一七…) or without the area code (734-9418) are not recognised.

Regular expressions are linear (possessive quantifiers; a match starts only where a run starts).
"""
from __future__ import annotations

import re
from typing import List, Sequence, Tuple

from review.masking.text import Span

_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u2500\u2501"  # - ‐ ‑ ‒ – — ― − ー ─ ━
# A run of digit groups joined by at most four separator characters; split into phone numbers afterwards.
_DIGIT_RUN = re.compile(rf"(?<![0-9])(?:\+[ \t]?)?[0-9]++(?:[ \t.(){_DASHES}]{{1,4}}[0-9]++)*+")
_DIGITS = re.compile(r"[0-9]+")
_SHORT_SUBSCRIBER = ("0120", "0570", "0180", "0990")  # 0120-123-456


def _separator_kind(sep: str) -> str:
    if "(" in sep or ")" in sep:
        return "paren"  # (017)734-9418, 017(734)9418
    if sep.strip(" \t.") != "":
        return "dash"
    return "dot" if "." in sep else "space"


def _one_number(seps: Sequence[str]) -> bool:
    """Separators that agree (017-734-9418, 017 734 9418) make one number more likely than 039-1101 0178."""
    kinds = {_separator_kind(sep) for sep in seps} - {"paren"}
    return len(kinds) <= 1


def _phone_shape(groups: Sequence[str]) -> bool:
    digits = "".join(groups)
    if not (10 <= len(digits) <= 11 and digits[0] == "0" and digits[1] != "0"):
        return False
    if len(groups) == 1:
        return True
    if len(groups) == 2:  # 017-7349418, (017)7349418, 0177-349418
        return 2 <= len(groups[0]) <= 6 and len(groups[1]) >= 4
    first, middle, last = groups
    if not (2 <= len(first) <= 5 and 1 <= len(middle) <= 4):
        return False
    return len(last) == 4 or (len(last) == 3 and first in _SHORT_SUBSCRIBER)


def _phones_in_run(folded: str, start: int, end: int) -> List[Span]:
    groups = [m.span() for m in _DIGITS.finditer(folded, start, end)]
    digits = [folded[a:b] for a, b in groups]
    seps = [folded[groups[n][1]:groups[n + 1][0]] for n in range(len(groups) - 1)]
    found: List[Tuple[int, int, int]] = []  # (first group, last group, start of the span)
    taken = [False] * len(groups)
    if folded[start] == "+" and digits[0].startswith("81"):  # +81-90-1234-5678, +81 (0)17-734-9418
        head = [digits[0][2:]] if len(digits[0]) > 2 else []  # +819012345678
        first = 1
        if not head and first < len(digits) and digits[first] == "0":
            first += 1  # (0)
        for k in (3, 2, 1):
            need = k - len(head)
            if need < 0 or first + need > len(digits):
                continue
            national = head + digits[first:first + need]
            if not national[0].startswith("0"):
                national[0] = "0" + national[0]
            if _phone_shape(national):
                found.append((0, first + need - 1 if need else 0, start))
                break
        taken[0] = True  # the country code is never the start of a domestic number
        for a, b, _ in found:
            taken[a:b + 1] = [True] * (b + 1 - a)
    for i in range(len(groups) - 1):  # 〒039-1101 is a postal code, whatever follows it
        if len(digits[i]) == 3 and len(digits[i + 1]) == 4 and \
                folded[max(0, groups[i][0] - 2):groups[i][0]].strip().endswith("〒"):
            taken[i] = taken[i + 1] = True
    # numbers whose separators agree first (039-1101 0178-22-1234: the second is the number), then the rest
    for consistent in (True, False):
        i = 0
        while i < len(groups):
            for k in (3, 2, 1):
                if i + k <= len(groups) and not any(taken[i:i + k]) and _phone_shape(digits[i:i + k]) \
                        and (not consistent or _one_number(seps[i:i + k - 1])):
                    begin = groups[i][0]
                    # "(017)734-9418": the opening parenthesis belongs to the number
                    if k > 1 and begin > 0 and folded[begin - 1] == "(" and ")" in seps[i]:
                        begin -= 1
                    found.append((i, i + k - 1, begin))
                    taken[i:i + k] = [True] * k
                    i += k
                    break
            else:
                i += 1
    return [(begin, groups[last][1]) for _, last, begin in found]



def phone_spans(folded: str) -> List[Span]:
    """Where the phone numbers of ``folded`` (a folded text, e-mail addresses blanked out) are."""
    phones: List[Span] = []
    for m in _DIGIT_RUN.finditer(folded):
        phones.extend(_phones_in_run(folded, m.start(), m.end()))
    return phones

"""The length cap: text beyond the limit is cut at a space or a punctuation mark near it and ends in
``…[以下N文字省略]``; placeholders count one character each, and masking the result again leaves it as it is.

The cap is what Rasa keeps of a message (common/settings.py); it bounds the name detector's work.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

from review.masking.text import PLACEHOLDER

_OMITTED = re.compile(r"…\[以下\d+文字省略\]\Z")


def _effective_length(text: str) -> int:
    return len(text) - sum(len(m.group()) - 1 for m in PLACEHOLDER.finditer(text))


def _cut_index(text: str, limit: int) -> Optional[int]:
    """Index where ``limit`` characters (a placeholder counting one) are reached; None if the text is shorter."""
    seen, pos = 0, 0
    for m in PLACEHOLDER.finditer(text):
        gap = m.start() - pos
        if seen + gap >= limit:
            return pos + (limit - seen)
        seen, pos = seen + gap + 1, m.end()
        if seen >= limit:
            return pos if pos < len(text) else None
    if seen + len(text) - pos > limit:
        return pos + (limit - seen)
    return None


def _back_off(text: str, cut: int) -> int:
    """Cut after a space or punctuation mark close to ``cut``, not inside a word or a number."""
    window = max(0, cut - 64)
    best = max(text.rfind(ch, window, cut) for ch in " \t\n\u3000、。！？!?」』）)")
    return best + 1 if best >= 0 else cut


def cap(text: str, max_chars: int) -> Tuple[str, str]:
    """(the text to mask, the note to append after it): the text cut to ``max_chars`` characters, or the text of an
    earlier cut with its note."""
    tail = ""
    omitted = _OMITTED.search(text)
    if omitted and _effective_length(text[:omitted.start()]) <= max_chars:
        text, tail = text[:omitted.start()], omitted.group()  # already cut by an earlier mask()
    else:
        cut = _cut_index(text, max_chars)
        if cut is not None:
            cut = _back_off(text, cut)
            text, tail = text[:cut], f"…[以下{len(text) - cut}文字省略]"
    return text, tail

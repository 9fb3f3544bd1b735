"""What every detector shares: the placeholders, spans, and the same-length fold detection runs on.

Detection runs on a per-character NFKC fold of the text, of the same length (full-width digits, letters, ＠, －,
（ ） and the ideographic space become ASCII), so every match maps back onto the characters as typed and only the
masked spans change.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Sequence, Tuple

PHONE = "[電話番号]"
EMAIL = "[メール]"
NAME = "[氏名]"
PLACEHOLDERS = (PHONE, EMAIL, NAME)

Span = Tuple[int, int]

PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))


_FOLD: dict = {}


def fold(text: str) -> str:
    """NFKC per character where that gives one character (０→0, ＠→@, （→(, U+3000→space), else unchanged."""
    if text.isascii():
        return text
    table = {}
    for ch in set(text):
        folded = _FOLD.get(ch)
        if folded is None:
            folded = unicodedata.normalize("NFKC", ch)
            if len(folded) != 1:
                folded = ch
            _FOLD[ch] = folded
        if folded != ch:
            table[ord(ch)] = folded
    return text.translate(table) if table else text


def replace_spans(text: str, spans: Sequence[Span], placeholder: str) -> str:
    if not spans:
        return text
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(text[pos:start])
        out.append(placeholder)
        pos = end
    out.append(text[pos:])
    return "".join(out)

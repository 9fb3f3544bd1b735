"""Text normalization shared by location matching and search: users type full/half width and kana freely."""
from __future__ import annotations

import re
import unicodedata

import jaconv


def normalize(text: str) -> str:
    """NFKC (full-width Latin/digits and half-width kana become standard forms), trimmed, lower-cased Latin."""
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def compact(text: str) -> str:
    """:func:`normalize`, without the spaces and middle dots people leave out or add to names
    (「イノベーションネットワーク」 for 「イノベーション・ネットワーク」, 「21 あおもり」 for 「21あおもり」)."""
    return re.sub(r"[\s・･]", "", normalize(text))


def to_katakana(text: str) -> str:
    """Hiragana to katakana, so 「とっきょ」 and 「トッキョ」 meet the dictionary's reading forms."""
    return jaconv.hira2kata(text)

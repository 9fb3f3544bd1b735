"""Sudachi-based terms for search: normalized forms, so 問合せ/問い合わせ and ＤＸ/DX meet.

Both split modes are used: C keeps compounds (事業承継) and A splits them (事業 / 承継), so a query
matches whether the user writes the compound or a part of it.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Iterator, List, Tuple

from knowledge.text import normalize, to_katakana

CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "接頭辞", "副詞"}
STOP_TERMS = {"する", "ある", "いる", "なる", "できる", "れる", "られる", "こと", "もの", "ため", "よう",
              "とき", "方", "等", "いう", "思う", "ない", "ほしい", "たい", "くる", "行く", "です"}
KANA_RUN = re.compile(r"[ァ-ヶー]{3,}")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer():
    """One dictionary per process: loading SudachiDict-core takes a moment and much memory."""
    from sudachipy import dictionary

    return dictionary.Dictionary(dict="core").create()


def morphemes(text: str) -> List[Tuple[str, str]]:
    """(normalized form, reading form) of each content word of ``text``, in modes C and A."""
    from sudachipy import tokenizer as sudachi

    normalized = normalize(text)
    if not normalized:
        return []
    found: List[Tuple[str, str]] = []
    with _lock:
        for mode in (sudachi.Tokenizer.SplitMode.C, sudachi.Tokenizer.SplitMode.A):
            for m in _tokenizer().tokenize(normalized, mode):
                if m.part_of_speech()[0] not in CONTENT_POS:
                    continue
                term = m.normalized_form()
                if term.strip() and term not in STOP_TERMS:
                    found.append((term, m.reading_form()))
    return found


def kana_runs(text: str) -> Iterator[str]:
    """Kana-only stretches of the text in katakana (「とっきょ」→「トッキョ」), for reading matches."""
    return iter(KANA_RUN.findall(to_katakana(normalize(text))))

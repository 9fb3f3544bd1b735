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
# Sudachi's normalized forms of function-like words (する→為る, いる→居る, できる→出来る …).
STOP_TERMS = {"為る", "有る", "居る", "成る", "出来る", "無い", "れる", "られる", "事", "物", "為", "様", "時",
              "方", "等", "言う", "思う", "欲しい", "たい", "来る", "行く", "です", "困る", "分かる", "知る",
              "教える", "良い", "御", "頂く", "下さる", "貰う", "受ける", "ます", "中", "的"}
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

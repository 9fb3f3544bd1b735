"""Sudachi for the name detector: one dictionary and tokenizer per process, and the look-ups it makes.

The dictionary and tokenizer are created on first use, once per process, behind a lock that also serialises
their use (one tokenizer object is not meant to run in two threads at once); a chat turn takes well under a
millisecond once the dictionary is open.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import List, NamedTuple, Optional, Tuple

_lock = threading.Lock()
_sudachi: Optional[tuple] = None  # (dictionary, tokenizer, split mode)
_CHUNK = 1500  # characters per Sudachi call (Sudachi refuses input above ~49 KB)


class Tok(NamedTuple):
    surface: str
    begin: int
    end: int
    pos: Tuple[str, ...]
    oov: bool


def _sudachi_objects() -> tuple:
    global _sudachi
    if _sudachi is None:
        from sudachipy import dictionary, tokenizer

        dic = dictionary.Dictionary(dict="core")
        _sudachi = (dic, dic.create(), tokenizer.Tokenizer.SplitMode.C)
    return _sudachi


def _chunks(text: str):
    pos = 0
    while pos < len(text):
        end = min(pos + _CHUNK, len(text))
        if end < len(text):
            cut = max(text.rfind(ch, pos + _CHUNK // 2, end) for ch in "\n。！？!? ")
            if cut > 0:
                end = cut + 1
        yield pos, text[pos:end]
        pos = end


# variant kanji of surnames the dictionary lacks (髙橋, 山﨑, 𠮷田): read as the common form, one code point each
_VARIANTS = str.maketrans({"髙": "高", "﨑": "崎", "𠮷": "吉", "濵": "濱", "栁": "柳", "昻": "昂"})


_SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate (broken client input) cannot go to Sudachi


def tokenize(text: str) -> List[Tok]:
    text = _SURROGATE.sub("\ufffd", text.translate(_VARIANTS))
    toks: List[Tok] = []
    with _lock:
        _, tokenizer, mode = _sudachi_objects()
        for offset, chunk in _chunks(text):
            for m in tokenizer.tokenize(chunk, mode):
                if m.begin() == m.end():
                    continue
                toks.append(Tok(m.surface(), offset + m.begin(), offset + m.end(), tuple(m.part_of_speech()),
                                 m.is_oov()))
    return toks


@lru_cache(maxsize=4096)
def lookup(word: str) -> Tuple[Tuple[Tuple[str, ...], str], ...]:
    """(part of speech, normalized form) of each dictionary entry spelled exactly ``word``."""
    with _lock:
        dic = _sudachi_objects()[0]
        return tuple((tuple(m.part_of_speech()[:4]), m.normalized_form()) for m in dic.lookup(word))


@lru_cache(maxsize=4096)
def pos_alone(word: str) -> Optional[Tuple[str, ...]]:
    """Part of speech Sudachi gives ``word`` written on its own; None if it splits it."""
    with _lock:
        _, tokenizer, mode = _sudachi_objects()
        morphemes = tokenizer.tokenize(word, mode)
        return tuple(morphemes[0].part_of_speech()[:4]) if len(morphemes) == 1 else None

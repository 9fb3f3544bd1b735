"""Whether a queued user's message says they no longer want to wait for a person: the words are data
(handover/leaving.yml), read once; this module only compares.

The comparison is of the whole message, so that a question that merely contains a word (「キャンセル料は？」) stays a
question for staff: width folded (NFKC: 「ｷｬﾝｾﾙ」 is 「キャンセル」), spaces removed, and closing punctuation
(「。」「！」「…」) dropped. The channels use it (bot/channels/hold.py), so it reads no knowledge store.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet

import yaml

WORDS = Path(__file__).resolve().parent / "leaving.yml"
SPACES = re.compile(r"\s+")
CLOSING = "。、.,!?~〜"  # after NFKC (「！」 is "!", 「…」 is "...", 「～」 is "~")


def folded(text: str) -> str:
    """``text`` as the words are compared: NFKC, no spaces, no closing punctuation."""
    return SPACES.sub("", unicodedata.normalize("NFKC", text)).rstrip(CLOSING)


@lru_cache(maxsize=1)
def words() -> FrozenSet[str]:
    """The cancel words of leaving.yml, folded (read once per process)."""
    data = yaml.safe_load(WORDS.read_text(encoding="utf-8")) or {}
    listed = data.get("words")
    if not isinstance(listed, list) or not listed or not all(isinstance(word, str) and word for word in listed):
        raise ValueError(f"{WORDS.name}: `words` must be a list of non-empty strings")
    return frozenset(folded(word) for word in listed)


def wants_to_leave(text: str) -> bool:
    """Whether ``text`` (a whole message) is one of the cancel words; a button's payload (``/…``) never is."""
    return not text.startswith("/") and folded(text) in words()

"""Aomori dialect rewritten to standard Japanese before tokenizing (rules: dialect.yml next to this file).

Why a rewrite and not more training data alone: dialect endings (〜はんで, 〜だべが, 〜ねぇ) are few and regular,
while the sentences around them are endless; rewriting them lets every example written in standard Japanese
serve dialect speakers too. Training and parsing both go through the tokenizer, so both see the same text.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import List, Tuple

import yaml

RULES_FILE = Path(__file__).with_name("dialect.yml")


@lru_cache(maxsize=None)
def _rules(path: Path = RULES_FILE) -> Tuple[Tuple[re.Pattern, str], ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    compiled: List[Tuple[re.Pattern, str]] = []
    for rule in data["rules"]:
        compiled.append((re.compile(rule["pattern"]), rule["to"]))
    return tuple(compiled)


def standardize(text: str) -> str:
    """The text with the dialect forms of dialect.yml replaced, in the file's order (NFKC first)."""
    text = unicodedata.normalize("NFKC", text)
    for pattern, replacement in _rules():
        text = pattern.sub(replacement, text)
    return text

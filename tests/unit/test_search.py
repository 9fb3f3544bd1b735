"""Ranked search on real Japanese queries, with spelling, width and kana variants."""
from __future__ import annotations

import pytest

from knowledge.search import search

QUERIES = [
    ("人が採用できない", 2),
    ("人材が定着しない", 2),
    ("跡継ぎがいない", 21),
    ("事業承継について問合せたい", 21),
    ("台湾にりんごを輸出したい", 11),
    ("香港の展示会に出たい", 12),
    ("とっきょを取りたい", 9),
    ("ｿｳｷﾞｮｳの相談", 6),
    ("ＤＸを進めたい", 1),
    ("電気代を下げたい", 3),
    ("借入金の返済が厳しい", 22),
    ("下請けの取引でトラブル", 20),
    ("医療機器を開発したい", 8),
    ("建設会社の新分野進出", 14),
    ("首都圏で販路を開拓したい", 17),
]


@pytest.mark.parametrize("text, section", QUERIES)
def test_right_program_ranks_first(db, text, section):
    hits = search(db, text)
    assert hits and hits[0].section == section, [(h.section, h.score) for h in hits]


def test_scores_are_ranked_and_positive(db):
    hits = search(db, "食品加工の商品開発", limit=5)
    assert hits[0].section == 18
    assert all(a.score >= b.score > 0 for a, b in zip(hits, hits[1:]))


def test_nothing_found_for_unrelated_or_empty_text(db):
    assert search(db, "") == []
    assert search(db, "   ") == []
    assert search(db, "！？") == []

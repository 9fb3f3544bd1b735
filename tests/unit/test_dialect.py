"""The dialect rewrite (bot/components/dialect.yml): forms owners write become standard Japanese, and standard
words that merely contain the same kana are left alone (a misfire costs more than a miss)."""
from __future__ import annotations

import pytest

from bot.components.dialect import standardize


@pytest.mark.parametrize("dialect, standard", [
    ("人っこいねぇはんで困ってら", "人いないから困ってる"),
    ("八戸だばって、補助金あるべが", "八戸だけど、補助金あるだろうか"),
    ("わの店さ行ぐ", "私の店に行く"),
    ("でぎねぇ", "できない"),
    ("わがんねぇ", "わからない"),
    ("売れねぇんだ", "売れないんだ"),
    ("そんだども無理だじゃ", "そんだけど無理だよ"),
    ("どしたらいいべ", "どうしたらいいだろう"),
    ("お茶っこ飲む", "お茶飲む"),
])
def test_dialect_forms_become_standard(dialect, standard):
    assert standardize(dialect) == standard


@pytest.mark.parametrize("standard", [
    "食べる", "調べてください", "比べてみたい", "かっこいい店にしたい", "おねぇさん", "そうですねえ。",
    "ねえ、聞いてください", "わかりました", "再来週に行きます", "大変だね、",
])
def test_standard_words_are_left_alone(standard):
    assert standardize(standard) == standard


def test_width_is_folded_first():
    assert standardize("ＤＸしたいはんで") == "DXしたいから"

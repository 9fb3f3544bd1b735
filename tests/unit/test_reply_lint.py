"""The reply linter finds what a customer would see as broken Japanese, and passes good replies."""
from __future__ import annotations

import pytest

from eval.reply_lint import lint


@pytest.mark.parametrize("text, rule", [
    ("対象は、以下の中小企業者又は組合等です。です。", "doubled copula"),
    ("利用方法は、お申し込みください。です。", "doubled copula"),
    ("「中小企業等経営強化法」の適用を受けるのは、以下の中小企業者又は組合等です。", "dangling '以下の'"),
    ("費用は次のとおりです。", "dangling '次のとおり'"),
    ("「青森県よろず支援拠点（電話 017-721-3787）をご案内します。", "unclosed bracket"),
    ("窓口）をご案内します。", "unbalanced bracket"),
    ("「{name}」の費用です。", "unfilled placeholder"),
    ("費用：None", "None"),
    ("費用：\n電話：017-721-3787", "label with empty value"),
    ("「」をご案内します。", "empty brackets"),
    ("ご案内します。。", "doubled punctuation"),
    ("   ", "empty reply"),
    ("上限：上記費用の3分の2", "refers to something above"),
])
def test_broken_replies_are_found(text, rule):
    assert any(rule in finding for finding in lint(text)), lint(text)


@pytest.mark.parametrize("text", [
    "「青森県事業承継・引継ぎ支援センター」の費用は、支援ガイド（Ⅲ-21）に次のとおり記載されています。\n\n費用：無料",
    "対象：「中小企業等経営強化法」の適用を受けるのは、以下の中小企業者又は組合等です。\n・製造業等 従業員 500 人以下",
    "ただいま受付時間外です。次の受付開始は11月26日（木）8時30分です。",
    "電話：0172-52-2111（内線641）",
])
def test_good_replies_pass(text):
    assert lint(text) == []

"""Pure parts of the bot: number parsing, the input guard, and the LINE renderer's limits."""
from __future__ import annotations

import pytest

from bot.actions import parsing
from bot.channels.line_render import render, split_text, utf16_units
from bot.components.input_guard import input_problem
from bot.limits import MAX_MESSAGE_CHARS


@pytest.mark.parametrize("text, yen", [("300万円", 3_000_000), ("１億２０００万", 120_000_000), ("250,000円", 250_000),
                                       ("50万", 500_000), ("3年計画", None), ("5回", None), ("1.5万円", 15_000),
                                       ("300 万円", 3_000_000), ("1,000万円", 10_000_000), ("5千円", 5_000),
                                       ("費用は30万円、うち10万円は", 300_000), ("1億円", 100_000_000),
                                       ("3年で500万円", 5_000_000), ("12345678901234万円", None)])
def test_amounts(text, yen):
    assert parsing.amount_yen(text) == yen


def test_counts():
    assert parsing.employees("従業員４５０人") == 450 and parsing.plan_years("三年計画") == 3
    assert parsing.employees("人が足りない") is None
    assert parsing.employees("従業員1,200名") == 1200 and parsing.employees("従業員 30 人") == 30
    assert parsing.employees("2024年に従業員50人") == 50 and parsing.plan_years("2024年に5年計画") == 2024
    assert parsing.employees("従業員" + "9" * 13 + "人") is None  # not a count anyone means: not read as one


@pytest.mark.parametrize("text, problem", [("", "empty"), ("   \n", "empty"), ("あ" * (MAX_MESSAGE_CHARS + 1), "too_long"),
                                           ("😀😀", "no_text"), ("？？？", "no_text"), ("12345", "no_text"),
                                           ("<script>alert(1)</script>", "non_japanese"),
                                           ("'; DROP TABLE programs; --", "non_japanese"),
                                           ("Hello, I need help", "non_japanese"), ("DX", None), ("ＤＸ", None),
                                           ("後継者がいない", None), ("<b>特許</b>の相談", None), ("ｿｳｷﾞｮｳ", None)])
def test_input_guard(text, problem):
    assert input_problem(text, MAX_MESSAGE_CHARS) == problem


def test_line_text_is_split_within_limits():
    pieces = split_text("😀" * 3000)  # emoji count as two UTF-16 units
    assert all(utf16_units(p) <= 5000 for p in pieces) and "".join(pieces) == "😀" * 3000


def test_line_reply_stays_within_five_messages_and_thirteen_quick_replies():
    replies = [{"text": f"段落{i}\n" + "あ" * 4990} for i in range(8)]
    replies.append({"text": "選んでください", "buttons": [{"title": f"とても長いボタンの名前その{i}です", "payload": f"/x{i}"}
                                                      for i in range(20)]})
    replies.append({"custom": {"programs": [{"section": 21, "slug": "s", "name": "n", "desk": "d",
                                             "phone": "017-723-1040"}]}})
    messages = render(replies)
    assert len(messages) == 5 and messages[-1].type == "flex"
    items = messages[-1].quick_reply.items
    assert len(items) == 13 and all(len(i.action.label) <= 20 for i in items)

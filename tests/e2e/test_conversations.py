"""Real Japanese conversations with the running assistant over REST."""
from __future__ import annotations

import pytest

from bot.limits import MAX_MESSAGE_CHARS
from eval import cases
from knowledge import query
from knowledge.locations import Location

# The conversation matrix's second entry per program: blind sentences, never trained on.
ROUTING = [(section, entries[1]) for section, entries in sorted(cases.matrix()["entries"].items())]


@pytest.mark.parametrize("section, text", ROUTING)
def test_every_program_is_routed_with_its_phone(chat, kb, section, text):
    reply = chat.say(text)
    program = query.program(kb, section)
    assert reply.sections[:1] == [section], reply.text
    card = reply.programs[0]
    assert {k: card[k] for k in ("section", "slug", "name", "desk", "phone")} == {
        "section": section, "slug": program.slug, "name": program.name, "desk": program.main_desk.name,
        "phone": program.main_desk.phone}
    assert card.get("email") == program.main_desk.email and card.get("cost") == program.cost_text
    assert program.main_desk.phone in reply.text


def test_follow_ups_answer_about_the_current_program(chat, kb):
    desk = query.program(kb, 21).main_desk
    assert chat.say("後継ぎがいない").sections == [21]
    cost = chat.say("相談するとお金はかかるんでしょうか")
    assert f"費用：{query.program(kb, 21).cost_text}" in cost.text and cost.sections == [21]
    assert desk.phone in chat.say("お電話で問い合わせたいので番号をお願いします").text
    assert desk.fax in chat.say("ファックスで書類を送りたいんですが").text
    assert desk.email in chat.say("メールで相談したいのでアドレスを教えて").text


def test_location_narrows_to_the_nearest_place(chat, kb):
    startup = query.program(kb, 6)
    assert chat.say("創業の相談をしたい").sections == [6]
    reply = chat.say("弘前です")
    [hirosaki] = query.places_near(startup, Location("中南", "弘前市"))
    assert hirosaki.name in reply.text and hirosaki.contacts[0].phone in reply.text
    assert reply.sections == [6]
    hachinohe = chat.say("八戸市の場合はどこですか")
    [local] = query.places_near(startup, Location("三八", "八戸市"))
    assert local.name in hachinohe.text and local.contacts[0].phone in hachinohe.text


def test_rule_answers_carry_the_reason(chat):
    reply = chat.say("卸売業で従業員450人ですが経営革新計画の対象になりますか")
    assert "卸売業は従業員400人以下が対象のため、従業員450人では人数の条件を満たしません" in reply.text
    assert reply.sections == [5]
    growth = chat.say("4年計画だと何%伸ばせばいいですか")
    assert "付加価値額（または1人当たりの付加価値額）：12%以上" in growth.text and "給与支給総額：6.0%以上" in growth.text


def test_expert_dispatch_self_pay(chat):
    chat.say("中小企業診断士を派遣してほしい")
    reply = chat.say("費用が30万円かかったら自己負担はいくらですか")
    assert "10万円" in reply.text and reply.sections == [19]


def test_ambiguous_market_expansion_asks_which(chat):
    reply = chat.say("販路を広げたいんだけど")
    assert len(reply.buttons) >= 3
    button_sections = [int(b["payload"].split('"program":"')[1].rstrip('"}')) for b in reply.buttons]
    assert reply.sections == button_sections and {17, 11, 12, 10} <= set(button_sections)
    chosen = chat.say(reply.buttons[0]["payload"])
    assert chosen.sections == [button_sections[0]]


@pytest.mark.parametrize("text", ["明日の天気は？", "住民票を取りたいです"])
def test_out_of_scope_is_honest_and_offers_the_general_desk(chat, kb, text):
    reply = chat.say(text)
    assert reply.programs == []
    assert query.program(kb, 16).main_desk.phone in reply.text
    assert reply.buttons and ("お答えできません" in reply.text or "読み取れません" in reply.text)


@pytest.mark.parametrize("text, answer", [
    ("", "メッセージが空のようです"), ("   ", "メッセージが空のようです"), ("あ" * (MAX_MESSAGE_CHARS + 1), "長すぎる"),
    ("😀😀😀", "絵文字や記号だけでは"), ("<script>alert(1)</script>", "日本語でのご相談に対応しています"),
    ("'; DROP TABLE programs; --", "日本語でのご相談に対応しています"),
    ("Hello, I need help with my company", "日本語でのご相談に対応しています"),
])
def test_bad_input_gets_a_polite_answer_and_keeps_the_conversation(chat, kb, text, answer):
    assert chat.say("後継者がいなくて困っています").sections == [21]
    reply = chat.say(text)
    assert reply.programs == [] and answer in reply.text
    phone = query.program(kb, 21).main_desk.phone
    assert phone in chat.say("そちらの電話番号を教えてください").text  # the program is still remembered


def test_greeting_and_thanks_recommend_nothing(chat):
    assert chat.say("こんにちは").programs == []
    assert chat.say("ありがとうございました").programs == []

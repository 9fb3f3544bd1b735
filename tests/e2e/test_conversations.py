"""Real Japanese conversations with the running assistant over REST."""
from __future__ import annotations

import pytest

from knowledge import query
from knowledge.db import session
from knowledge.loader import load

# One everyday sentence per program (not in the training data nor in the held-out set).
ROUTING = [
    (1, "会社の業務をデジタル化したいけど、どこに相談すればいいですか"),
    (2, "求人を出しても人が採用できないんです"),
    (3, "工場の電気代が高すぎるので省エネでコストを下げたい"),
    (4, "地元の素材を生かした商品づくりで専門家のアドバイスがほしい"),
    (5, "経営革新計画の承認を受けたいです"),
    (6, "会社を辞めて起業したいと考えています"),
    (7, "新技術の研究開発で行き詰まっていて、大学とも連携したい"),
    (8, "介護の現場で使う福祉用具を開発したい"),
    (9, "自社の商品名を商標登録したいのですが"),
    (10, "海外に進出したいので相談に乗ってほしい"),
    (11, "台湾にりんごを輸出したい"),
    (12, "香港でホタテを売り込みたい"),
    (13, "県産の農産物を使って新しい加工品を作りたい、農家と組みたい"),
    (14, "建設会社を経営していますが、新分野に進出したい"),
    (15, "建設業で働きたいので就職の相談をしたい"),
    (16, "売上が落ちて資金繰りも心配、経営全般を相談したい"),
    (17, "東京のデパートやスーパーに販路を広げたい"),
    (18, "食品加工の新商品開発について相談会に参加したい"),
    (19, "中小企業診断士に来てもらって経営診断を受けたい"),
    (20, "親会社からの下請け代金の支払いが遅れて困っている"),
    (21, "後継者がいなくて困っています"),
    (22, "借入金の返済が厳しくて金融機関から再生計画を求められた"),
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    load(url)
    with session(url) as db:
        yield db


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


def test_follow_ups_answer_about_the_current_program(chat):
    assert chat.say("後継ぎがいない").sections == [21]
    cost = chat.say("費用は？")
    assert "無料" in cost.text and cost.sections == [21]
    assert "017-723-1040" in chat.say("電話番号を教えてください").text
    assert "017-735-5777" in chat.say("FAXは？").text
    assert "hikitsugi@21aomori.or.jp" in chat.say("メールアドレスは？").text


def test_location_narrows_to_the_nearest_place(chat):
    assert chat.say("創業の相談をしたい").sections == [6]
    reply = chat.say("弘前です")
    assert "ひろさきビジネス支援センター" in reply.text and "0172-32-0770" in reply.text
    assert reply.sections == [6]
    hachinohe = chat.say("八戸市の場合はどこですか")
    assert "8サポ" in hachinohe.text and "0178-51-9593" in hachinohe.text


def test_rule_answers_carry_the_reason(chat):
    reply = chat.say("卸売業で従業員450人ですが経営革新計画の対象になりますか")
    assert "卸売業は従業員400人以下が対象のため、450人では対象外です" in reply.text
    assert reply.sections == [5]
    growth = chat.say("4年計画だと何%伸ばせばいいですか")
    assert "12%以上" in growth.text and "6.0%以上" in growth.text


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
    assert reply.buttons and "お答えできません" in reply.text or "読み取れません" in reply.text


@pytest.mark.parametrize("text", ["", "   ", "あ" * 1001, "😀😀😀", "<script>alert(1)</script>",
                                  "'; DROP TABLE programs; --", "Hello, I need help with my company"])
def test_bad_input_gets_a_polite_answer_and_keeps_the_conversation(chat, text):
    assert chat.say("後継者がいなくて困っています").sections == [21]
    reply = chat.say(text)
    assert reply.programs == [] and reply.text and "Traceback" not in reply.text
    assert any(word in reply.text for word in ("ください", "申し訳", "すみません"))
    assert "017-723-1040" in chat.say("電話番号は？").text  # the program is still remembered


def test_greeting_and_thanks_recommend_nothing(chat):
    assert chat.say("こんにちは").programs == []
    assert chat.say("ありがとうございました").programs == []

"""The console's review queue (console/review_queue.py) on a real review database with hand-made rows.

Rows are inserted as ``Turn``s directly (what review/log.py would have stored: masked text, UTC times), so these
tests do not depend on the masking. The knowledge store is built by the real loader: names and the clustering
of unanswered topics come from it. SQLite always; PostgreSQL too when ``TEST_POSTGRES_URL`` is set.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
import yaml

from bot.program_intents import intent_of_slug
from console import review_csv, review_days, review_figures, review_filters, review_marks, review_queue, review_training
from knowledge import query
from knowledge.search import search
from review.models import Turn

JST = timezone(timedelta(hours=9))


def jst(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of May 2024 given in Japanese time, stored (as the log does) in UTC."""
    return datetime(2024, 5, day, hour, minute, tzinfo=JST).astimezone(timezone.utc)


@pytest.fixture
def db(review_db):
    return review_db


class Log:
    """Adds turns the way the assistant's actions record them."""

    def __init__(self, db):
        self.db = db
        self.count = 0

    def add(self, conversation, at, kind, said, candidates=(), program=None, feedback=None, channel="line",
            mark=None, mark_program=None, marked_at=None):
        self.count += 1
        turn = Turn(conversation=conversation, turn=f"m{self.count}", at=at, channel=channel, kind=kind, text=said,
                    intent=None, candidates=[{"section": s, "score": c} for s, c in candidates], program=program,
                    feedback=feedback, mark=mark, mark_program=mark_program, marked_at=marked_at)
        self.db.add(turn)
        self.db.commit()
        return turn


@pytest.fixture
def log(db):
    return Log(db)


@pytest.fixture
def day_of_turns(log):
    """One day's conversations, each turn named by what it is."""
    turns = {
        "unsure": log.add("c1", jst(1, 9), "unsure", "後継ぎがいなくて困っている", [(21, 0.48), (16, 0.31)]),
        "answer_up": log.add("c1", jst(1, 9, 2), "answer", "事業承継の相談をしたい", [(21, 0.97)], 21, "up"),
        "which": log.add("c2", jst(1, 10), "which", "販路を広げたい", [(17, 0.41), (11, 0.39)], channel="rest"),
        "fallback": log.add("c3", jst(1, 11), "fallback", "今日の天気を教えて"),
        "answer_down": log.add("c4", jst(1, 12), "answer", "特許を取りたい", [(9, 0.88)], 9, "down"),
        "answer_plain": log.add("c5", jst(1, 13), "answer", "創業したい", [(6, 0.95)], 6),
    }
    return turns


def ids(turns):
    return [t.id for t in turns]


# ---- the queue -----------------------------------------------------------------------------------------

def test_the_queue_holds_unsure_which_fallback_and_answers_rated_down_newest_first(db, day_of_turns):
    total, turns = review_queue.queue(db)
    wanted = [day_of_turns[k] for k in ("answer_down", "fallback", "which", "unsure")]
    assert total == 4 and ids(turns) == ids(wanted)


@pytest.mark.parametrize("args,expected", [
    ({"kind": "unsure"}, ["unsure"]),
    ({"kind": "which"}, ["which"]),
    ({"kind": "fallback"}, ["fallback"]),
    ({"kind": "answer"}, ["answer_down"]),
    ({"channel": "rest"}, ["which"]),
    ({"channel": "line", "kind": "unsure"}, ["unsure"]),
    ({"program": "21"}, ["unsure"]),         # a candidate of the entry
    ({"program": "9"}, ["answer_down"]),     # the program answered
    ({"program": "11"}, ["which"]),          # the second candidate counts too
    ({"program": "2"}, []),
    ({"mark": "none"}, ["answer_down", "fallback", "which", "unsure"]),
])
def test_filters(db, day_of_turns, args, expected):
    total, turns = review_queue.queue(db, review_filters.Filters.from_args(args))
    assert ids(turns) == ids(day_of_turns[k] for k in expected) and total == len(expected)


def test_the_date_range_is_of_japanese_days(db, log):
    late = log.add("c1", jst(1, 23, 50), "fallback", "五月一日の深夜")
    early = log.add("c1", jst(2, 0, 10), "fallback", "五月二日の未明")  # the same UTC day as the one before
    assert late.at.date() == early.at.date()
    assert ids(review_queue.queue(db, review_filters.Filters(start=date(2024, 5, 2)))[1]) == [early.id]
    assert ids(review_queue.queue(db, review_filters.Filters(end=date(2024, 5, 1)))[1]) == [late.id]
    assert ids(review_queue.queue(db, review_filters.Filters.from_args({"from": "2024-05-01", "to": "2024-05-02"}))[1]) == [early.id, late.id]
    assert review_queue.queue(db, review_filters.Filters.from_args({"from": "2024-05-03"})) == (0, [])


def test_a_marked_entry_is_found_by_its_mark_and_its_program(db, day_of_turns):
    review_marks.set_mark(db, day_of_turns["fallback"].id, "training", 13, {13, 21})
    assert ids(review_queue.queue(db, review_filters.Filters(mark="training"))[1]) == [day_of_turns["fallback"].id]
    assert ids(review_queue.queue(db, review_filters.Filters(program=13))[1]) == [day_of_turns["fallback"].id]
    assert day_of_turns["fallback"].id not in ids(review_queue.queue(db, review_filters.Filters(mark="none"))[1])


def test_pages_of_the_queue(db, day_of_turns):
    total, first = review_queue.queue(db, limit=3)
    _, rest = review_queue.queue(db, limit=3, offset=3)
    assert total == 4 and len(first) == 3 and len(rest) == 1 and ids(first + rest) == ids(review_queue.queue(db, limit=None)[1])


@pytest.mark.parametrize("args,message", [
    ({"kind": "smalltalk"}, "種別"), ({"mark": "maybe"}, "判定"), ({"program": "abc"}, "制度"),
    ({"from": "2024/05/01"}, "開始日"), ({"to": "yesterday"}, "終了日"),
    ({"from": "2024-05-02", "to": "2024-05-01"}, "開始日は終了日と同じか"),
])
def test_filters_the_staff_cannot_have_meant_are_refused_politely(args, message):
    with pytest.raises(review_filters.InvalidRequest, match=message):
        review_filters.Filters.from_args(args)


def test_an_entry_shows_japanese_time_names_from_the_store_and_labels(db, kb, day_of_turns):
    names = review_queue.program_names(kb)
    shown = review_queue.entry(day_of_turns["unsure"], names)
    assert shown["at_jst"] == "2024-05-01 09:00" and shown["channel_label"] == "LINE"
    assert shown["kind_label"] == review_filters.KIND_LABELS["unsure"] and shown["text"] == "後継ぎがいなくて困っている"
    assert shown["candidates"] == [{"section": 21, "name": query.program(kb, 21).name, "score": 0.48},
                                   {"section": 16, "name": query.program(kb, 16).name, "score": 0.31}]
    assert shown["program"] is None and shown["mark"] is None and shown["mark_label"] == "未判定"
    down = review_queue.entry(day_of_turns["answer_down"], names)
    assert down["program"] == {"section": 9, "name": query.program(kb, 9).name}
    assert down["feedback"] == "down" and "👎" in down["feedback_label"]


def test_options_list_the_channels_logged_and_every_program(db, kb, day_of_turns):
    chosen = review_queue.options(db, review_queue.program_names(kb), now=datetime(2024, 5, 31, 16, tzinfo=timezone.utc))
    assert [c["value"] for c in chosen["channels"]] == ["line", "rest"]
    assert [p["section"] for p in chosen["programs"]] == [p.section for p in query.all_programs(kb)]
    assert chosen["today"] == "2024-06-01"  # 16:00 UTC is already the next day in Japan


# ---- marks ---------------------------------------------------------------------------------------------

def test_a_mark_is_stored_and_can_be_changed_or_cleared(db, day_of_turns):
    turn_id = day_of_turns["unsure"].id
    when = datetime(2024, 5, 2, 1, tzinfo=timezone.utc)
    review_marks.set_mark(db, turn_id, "training", 21, range(1, 23), now=when)
    db.expire_all()
    stored = db.get(Turn, turn_id)
    assert (stored.mark, stored.mark_program, review_days.utc(stored.marked_at)) == ("training", 21, when)
    review_marks.set_mark(db, turn_id, "gap", 21, range(1, 23))  # the program goes with the training mark only
    db.expire_all()
    assert (db.get(Turn, turn_id).mark, db.get(Turn, turn_id).mark_program) == ("gap", None)
    review_marks.set_mark(db, turn_id, None, None, range(1, 23))
    db.expire_all()
    assert (db.get(Turn, turn_id).mark, db.get(Turn, turn_id).marked_at) == (None, None)


@pytest.mark.parametrize("mark,program", [("training", None), ("training", 99), ("training", "21"),
                                          ("training", True), ("excellent", None)])
def test_marks_that_cannot_be_stored(db, day_of_turns, mark, program):
    with pytest.raises(review_filters.InvalidRequest):
        review_marks.set_mark(db, day_of_turns["unsure"].id, mark, program, range(1, 23))


def test_marking_an_entry_that_is_gone(db):
    assert review_marks.set_mark(db, 12345, "fine", None, range(1, 23)) is None


# ---- figures -------------------------------------------------------------------------------------------

def test_conversations_per_day_counts_distinct_conversations_per_japanese_day(db, log):
    log.add("a", jst(1, 10), "answer", "創業したい", [(6, 0.9)], 6)
    log.add("a", jst(1, 10, 5), "answer", "場所は？", [(6, 0.9)], 6)        # the same conversation: once
    log.add("b", jst(1, 23, 55), "unsure", "後継ぎがいない", [(21, 0.5)])
    log.add("b", jst(2, 0, 5), "answer", "事業承継", [(21, 0.9)], 21)      # past midnight: also on the 2nd
    log.add("c", jst(4, 8), "fallback", "天気")
    rows = review_figures.rows_between(db, None, None)
    assert review_figures.conversations_per_day(rows) == [
        {"date": "2024-05-01", "conversations": 2}, {"date": "2024-05-02", "conversations": 1},
        {"date": "2024-05-03", "conversations": 0}, {"date": "2024-05-04", "conversations": 1}]
    ranged = review_figures.conversations_per_day(review_figures.rows_between(db, date(2024, 4, 30), date(2024, 5, 2)),
                                      date(2024, 4, 30), date(2024, 5, 2))
    assert [d["conversations"] for d in ranged] == [0, 2, 1]
    assert review_figures.conversations_per_day([]) == []


def test_self_resolution(db, log):
    log.add("ends-with-answer", jst(1, 9), "unsure", "後継ぎ", [(21, 0.5)])
    log.add("ends-with-answer", jst(1, 9, 1), "answer", "事業承継", [(21, 0.9)], 21)
    log.add("thumbs-up", jst(1, 10), "answer", "特許", [(9, 0.9)], 9, "up")
    log.add("thumbs-up", jst(1, 10, 1), "unsure", "ほかには？", [(16, 0.4)])   # ends unsure, but rated 👍
    log.add("had-fallback", jst(1, 11), "fallback", "天気")
    log.add("had-fallback", jst(1, 11, 1), "answer", "創業", [(6, 0.9)], 6)   # ends with an answer, but gave up once
    log.add("left-unsure", jst(1, 12), "unsure", "補助金", [(5, 0.3)])
    log.add("which-only", jst(1, 13), "which", "販路", [(17, 0.4), (11, 0.4)])
    rows = review_figures.rows_between(db, None, None)
    assert review_figures.self_resolution(rows) == {"conversations": 5, "resolved": 2, "rate": 0.4}
    assert review_figures.self_resolution([]) == {"conversations": 0, "resolved": 0, "rate": None}


def test_down_rate_per_program(db, kb, log):
    for n, feedback in enumerate(["down", "down", "up", None]):
        log.add(f"s{n}", jst(1, 9 + n), "answer", "事業承継", [(21, 0.9)], 21, feedback)
    log.add("p", jst(1, 14), "answer", "特許", [(9, 0.9)], 9)
    log.add("q", jst(1, 15), "unsure", "後継ぎ", [(21, 0.5)])  # not an answer: not counted
    table = review_figures.down_by_program(review_figures.rows_between(db, None, None), review_queue.program_names(kb))
    assert table == [
        {"section": 21, "name": query.program(kb, 21).name, "answers": 4, "rated": 3, "down": 2,
         "down_rate_rated": 0.6667, "down_rate_answers": 0.5},
        {"section": 9, "name": query.program(kb, 9).name, "answers": 1, "rated": 0, "down": 0,
         "down_rate_rated": None, "down_rate_answers": 0.0},
    ]


def test_unanswered_topics_are_clustered_by_the_stores_search(db, kb, log):
    said = ["後継ぎがいなくて店を閉めるか迷っている", "跡取りがいない", "特許の出願を手伝ってほしい",
            "今日の天気を教えて", "明日は晴れますか"]
    for n, words in enumerate(said):
        log.add(f"u{n}", jst(1, 9 + n), "fallback" if n % 2 else "unsure", words)
    log.add("w", jst(1, 15), "which", "後継者を探したい", [(21, 0.4)])     # not unanswered: not counted
    log.add("a", jst(1, 16), "answer", "後継者を探したい", [(21, 0.9)], 21, "down")
    expected = {}
    for words in said:
        hits = search(kb, words, limit=1)
        expected.setdefault(hits[0].section if hits else None, []).append(words)
    assert set(expected) == {21, 9, None}, expected  # what the clustering must tell apart
    topics = review_figures.unanswered_topics(review_figures.rows_between(db, None, None), review_figures.topic_of(kb), review_queue.program_names(kb))
    assert [(t["section"], t["count"]) for t in topics] == [(21, 2), (None, 2), (9, 1)]
    assert topics[1]["name"] == review_figures.NO_TOPIC == "該当なし"
    assert topics[0]["name"] == query.program(kb, 21).name
    assert topics[0]["samples"] == ["跡取りがいない", "後継ぎがいなくて店を閉めるか迷っている"]  # newest first


def test_figures_use_the_date_filter(db, kb, log):
    log.add("old", jst(1, 9), "fallback", "天気")
    log.add("new", jst(3, 9), "answer", "創業", [(6, 0.9)], 6, "down")
    figures = review_figures.figures(db, kb, date(2024, 5, 2), date(2024, 5, 3))
    assert figures["per_day"] == [{"date": "2024-05-02", "conversations": 0}, {"date": "2024-05-03", "conversations": 1}]
    assert figures["conversations"] == 1 and figures["unanswered_topics"] == []
    assert figures["self_resolution"] == {"conversations": 1, "resolved": 1, "rate": 1.0}
    assert [(r["section"], r["down"]) for r in figures["down_by_program"]] == [(6, 1)]


# ---- exports -------------------------------------------------------------------------------------------

def load_with_rasa(yaml_text, tmp_path):
    from rasa.shared.nlu.training_data.loading import load_data

    path = tmp_path / "review-training.yml"
    path.write_text(yaml_text, encoding="utf-8")
    data = load_data(str(path))
    examples = {}
    for message in data.training_examples:
        examples.setdefault(message.get("intent"), []).append(message.get("text"))
        assert not message.get("entities"), message.as_dict()
    return examples


TRICKY = [
    "後継ぎがいなくて\n店をたたむか迷っている",     # two lines become one
    "[八戸](city)の工場を誰かに継いでほしい",        # would be an entity annotation
    "費用は${HOME}円くらい？ #急ぎ",                  # environment variable syntax, a hash
    "- 「引用符」\"と'と: コロン",                    # list marker, quotes, a colon
    "C:\\user\\u3042 のファイルの件",                  # backslash escapes stay as typed
    "タブ\tと\u2028改行\x85と\x0cフォーム",          # every kind of line break
    "😀 [電話番号]に折り返してください",              # emoji and a masking placeholder stay
]


def test_training_examples_export_as_rasa_nlu_yaml(db, kb, log, tmp_path):
    marked = datetime(2024, 5, 2, tzinfo=timezone.utc)
    for n, words in enumerate(TRICKY):
        log.add(f"t{n}", jst(1, 9, n), "unsure", words, [(21, 0.4)], mark="training", mark_program=21,
                marked_at=marked)
    log.add("dup", jst(1, 10), "fallback", "後継ぎがいなくて 店をたたむか迷っている", mark="training",
            mark_program=21, marked_at=marked)                                     # the same example again
    log.add("ip", jst(1, 11), "fallback", "特許の相談", mark="training", mark_program=9, marked_at=marked)
    log.add("gap", jst(1, 12), "fallback", "宇宙事業の補助金", mark="gap", marked_at=marked)  # not training
    export = review_training.training_export(db, kb)
    yaml_text = export.yaml()
    assert yaml_text.splitlines()[0].startswith("#") and 'version: "3.1"' in yaml_text
    succession = intent_of_slug(query.program(kb, 21).slug)
    patents = intent_of_slug(query.program(kb, 9).slug)
    assert (succession, patents) == ("program_business_succession", "program_intellectual_property")

    examples = load_with_rasa(yaml_text, tmp_path)
    assert list(examples) == [patents, succession]  # in section order
    assert examples[patents] == ["特許の相談"]
    assert examples[succession] == [
        "後継ぎがいなくて 店をたたむか迷っている",
        "［八戸］(city)の工場を誰かに継いでほしい",
        "費用は${HOME}円くらい？ #急ぎ",
        "- 「引用符」\"と'と: コロン",
        "C:\\user\\u3042 のファイルの件",
        "タブ と 改行 と フォーム",
        "😀 [電話番号]に折り返してください",
    ]
    # one line per example under its intent, as in data/nlu/
    parsed = yaml.safe_load(yaml_text)
    assert parsed["version"] == "3.1"
    assert [len(block["examples"].splitlines()) for block in parsed["nlu"]] == [1, 7]


def test_the_export_leaves_out_what_the_training_data_has(db, kb, log, tmp_path):
    project = yaml.safe_load((review_training.PROJECT_NLU / "programs" / "21_business-succession.yml").read_text(encoding="utf-8"))
    existing = project["nlu"][0]["examples"].splitlines()[0][2:]
    known = review_training.known_examples()
    assert known[review_training.example_key(existing)] == "program_business_succession"
    log.add("k1", jst(1, 9), "unsure", existing, mark="training", mark_program=21)       # already there
    log.add("k2", jst(1, 10), "unsure", f" {existing} ", mark="training", mark_program=6)  # there, for another
    log.add("k3", jst(1, 11), "unsure", "新しい言い回しの例文", mark="training", mark_program=21)
    export = review_training.training_export(db, kb, known)
    assert export.examples == {"program_business_succession": ["新しい言い回しの例文"]}
    assert export.conflicts == [(existing, "program_startup_support", "program_business_succession")]
    yaml_text = export.yaml()
    assert "別の意図" in yaml_text
    assert load_with_rasa(yaml_text, tmp_path) == {"program_business_succession": ["新しい言い回しの例文"]}


def test_the_latest_mark_of_a_text_wins(db, kb, log, tmp_path):
    log.add("x1", jst(1, 9), "unsure", "補助金の相談", mark="training", mark_program=5,
            marked_at=datetime(2024, 5, 3, tzinfo=timezone.utc))
    log.add("x2", jst(1, 10), "unsure", "補助金の相談", mark="training", mark_program=16,
            marked_at=datetime(2024, 5, 2, tzinfo=timezone.utc))
    assert review_training.training_export(db, kb).examples == {intent_of_slug(query.program(kb, 5).slug): ["補助金の相談"]}


def test_an_empty_export_still_loads(db, kb, tmp_path):
    assert load_with_rasa(review_training.training_export(db, kb).yaml(), tmp_path) == {}


def test_csv_of_the_filtered_queue(db, kb, log, day_of_turns):
    log.add("evil", jst(1, 14), "fallback", "=HYPERLINK(\"http://example.com\",\"押してください\")")
    names = review_queue.program_names(kb)
    _, turns = review_queue.queue(db, review_filters.Filters(channel="line"), limit=None)
    body = review_csv.queue_csv([review_queue.entry(t, names) for t in turns])
    raw = body.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf") and "\r\n" in body
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == review_csv.CSV_COLUMNS
    assert rows[0][:6] == ["ID", "日時（日本時間）", "会話", "チャネル", "種別", "発言（マスク済み）"]
    assert [int(r[0]) for r in rows[1:]] == ids(turns) and len(rows) == 1 + 4  # the rest channel's entry left out
    by_id = {int(r[0]): dict(zip(rows[0], r)) for r in rows[1:]}
    unsure = by_id[day_of_turns["unsure"].id]
    assert unsure["日時（日本時間）"] == "2024-05-01 09:00" and unsure["チャネル"] == "LINE"
    assert unsure["発言（マスク済み）"] == "後継ぎがいなくて困っている" and unsure["判定"] == "未判定"
    assert unsure["候補（スコア）"].startswith(f"Ⅲ-21 {query.program(kb, 21).name}（0.48）")
    down = by_id[day_of_turns["answer_down"].id]
    assert down["回答した制度"] == f"Ⅲ-9 {query.program(kb, 9).name}" and "👎" in down["評価"]
    formula = next(r for r in by_id.values() if "HYPERLINK" in r["発言（マスク済み）"])
    assert formula["発言（マスク済み）"].startswith("'=")  # Excel shows it, never runs it

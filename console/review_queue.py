"""The review queue behind the staff console's review page: queries, marks, figures and exports.

Reads the review log (review/models.py) and never writes anything but the staff's marks. Days are Japanese
days (JST, UTC+9 all year), though the log stores UTC; program names come from the knowledge store, so a
renamed program shows its current name. Text is shown and exported as the log stored it: already masked.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.program_intents import intent_of_slug
from knowledge import query
from knowledge.search import search
from knowledge.text import normalize
from review.models import MARKS, Turn

JST = timezone(timedelta(hours=9), "JST")
QUEUE_KINDS = ("unsure", "which", "fallback")  # always reviewed; answers only when rated 👎
UNANSWERED_KINDS = ("fallback", "unsure")      # what the unanswered topics are made of
NO_TOPIC = "該当なし"
NOT_MARKED = "none"                           # the mark filter's value for entries nobody has marked yet
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_DAYS = 400                                # longest range the figures fill day by day

KIND_LABELS = {"unsure": "聞き返し（もしかして）", "which": "選択の依頼（どちら？）",
               "fallback": "回答できず", "answer": "低評価（👎）の回答"}
MARK_LABELS = {"training": "学習例", "gap": "ガイドに情報がない", "out_of_scope": "対象外の相談",
               "fine": "問題なし"}
FEEDBACK_LABELS = {"up": "高評価（👍 役に立った）", "down": "低評価（👎 役に立たなかった）"}
CHANNEL_LABELS = {"line": "LINE", "rest": "Webチャット", "socketio": "Webチャット（Socket.IO）",
                  "unknown": "不明"}

PROJECT_NLU = Path(__file__).resolve().parents[1] / "data" / "nlu"


class InvalidRequest(ValueError):
    """A filter or mark the staff cannot have meant; the message is shown to them as it is."""


# ---- time -------------------------------------------------------------------------------------------

def utc(moment: datetime) -> datetime:
    """The log's times as aware UTC: SQLite hands them back naive (they were stored in UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def jst_day(moment: datetime) -> date:
    return utc(moment).astimezone(JST).date()


def jst_text(moment: Optional[datetime]) -> Optional[str]:
    return utc(moment).astimezone(JST).strftime("%Y-%m-%d %H:%M") if moment else None


def today_jst(now: Optional[datetime] = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(JST).date()


def day_bounds(start: Optional[date], end: Optional[date]) -> Tuple[Optional[datetime], Optional[datetime]]:
    """[first instant of ``start``, first instant after ``end``) in UTC, for JST days (either may be open)."""
    low = datetime.combine(start, time(0), JST).astimezone(timezone.utc) if start else None
    high = datetime.combine(end + timedelta(days=1), time(0), JST).astimezone(timezone.utc) if end else None
    return low, high


# ---- filters ----------------------------------------------------------------------------------------

def _day(value: Optional[str], label: str) -> Optional[date]:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{label}は「2024-05-01」の形で指定してください。") from None


@dataclass(frozen=True)
class Filters:
    kind: Optional[str] = None      # unsure | which | fallback | answer (the answers rated 👎)
    channel: Optional[str] = None
    program: Optional[int] = None   # the section answered, suggested as a candidate, or marked as right
    mark: Optional[str] = None      # one of MARKS, or NOT_MARKED
    start: Optional[date] = None    # first JST day, inclusive
    end: Optional[date] = None      # last JST day, inclusive

    @classmethod
    def from_args(cls, args: Mapping[str, Optional[str]]) -> "Filters":
        """From the query string: ``kind``, ``channel``, ``program``, ``mark``, ``from``, ``to`` (empty: no filter)."""
        kind = args.get("kind") or None
        if kind is not None and kind not in KIND_LABELS:
            raise InvalidRequest("種別の指定が正しくありません。")
        mark = args.get("mark") or None
        if mark is not None and mark not in (*MARKS, NOT_MARKED):
            raise InvalidRequest("判定の指定が正しくありません。")
        program = args.get("program") or None
        if program is not None and not program.isdigit():
            raise InvalidRequest("制度の指定が正しくありません。")
        start, end = _day(args.get("from"), "開始日"), _day(args.get("to"), "終了日")
        if start and end and start > end:
            raise InvalidRequest("開始日は終了日と同じか、それより前の日にしてください。")
        return cls(kind=kind, channel=(args.get("channel") or None), program=int(program) if program else None,
                   mark=mark, start=start, end=end)

    def concerns(self, turn: Turn) -> bool:
        """Whether the entry is about the filtered program (checked in Python: candidates are JSON)."""
        if self.program is None:
            return True
        candidates = {c.get("section") for c in turn.candidates or [] if isinstance(c, dict)}
        return self.program in (turn.program, turn.mark_program) or self.program in candidates


def in_queue():
    """What needs a person's eye: every unsure, which and fallback turn, and every answer rated 👎."""
    return or_(Turn.kind.in_(QUEUE_KINDS), and_(Turn.kind == "answer", Turn.feedback == "down"))


def _within(statement, start: Optional[date], end: Optional[date]):
    low, high = day_bounds(start, end)
    if low is not None:
        statement = statement.where(Turn.at >= low)
    if high is not None:
        statement = statement.where(Turn.at < high)
    return statement


def queue(db: Session, filters: Filters = Filters(), limit: Optional[int] = DEFAULT_LIMIT,
          offset: int = 0) -> Tuple[int, List[Turn]]:
    """(how many entries match, the page of them from ``offset``), newest first."""
    statement = _within(select(Turn).where(in_queue()), filters.start, filters.end)
    if filters.kind == "answer":
        statement = statement.where(Turn.kind == "answer")
    elif filters.kind:
        statement = statement.where(Turn.kind == filters.kind)
    if filters.channel:
        statement = statement.where(Turn.channel == filters.channel)
    if filters.mark == NOT_MARKED:
        statement = statement.where(Turn.mark.is_(None))
    elif filters.mark:
        statement = statement.where(Turn.mark == filters.mark)
    rows = [t for t in db.execute(statement.order_by(Turn.at.desc(), Turn.id.desc())).scalars() if filters.concerns(t)]
    stop = None if limit is None else offset + limit
    return len(rows), rows[offset:stop]


def channels(db: Session) -> List[str]:
    """Every channel the log has entries from, for the channel filter."""
    return sorted(c for (c,) in db.execute(select(Turn.channel).distinct()) if c)


# ---- what staff see ---------------------------------------------------------------------------------

def program_names(kb: Session) -> Dict[int, str]:
    return {p.section: p.name for p in query.all_programs(kb)}


def _program(section: Optional[int], names: Mapping[int, str]) -> Optional[Dict[str, Any]]:
    if section is None:
        return None
    return {"section": section, "name": names.get(section, "（現在のガイドにない制度）")}


def entry(turn: Turn, names: Mapping[int, str]) -> Dict[str, Any]:
    """One queue entry as the page and the CSV show it."""
    candidates = []
    for c in turn.candidates or []:
        if isinstance(c, dict) and isinstance(c.get("section"), int):
            candidates.append({**_program(c["section"], names), "score": c.get("score")})
    return {
        "id": turn.id, "at": utc(turn.at).isoformat(), "at_jst": jst_text(turn.at),
        "conversation": turn.conversation[:8], "channel": turn.channel,
        "channel_label": CHANNEL_LABELS.get(turn.channel, turn.channel),
        "kind": turn.kind,
        "kind_label": KIND_LABELS.get(turn.kind, turn.kind),
        "text": turn.text, "intent": turn.intent, "candidates": candidates,
        "program": _program(turn.program, names),
        "feedback": turn.feedback, "feedback_label": FEEDBACK_LABELS.get(turn.feedback or "", "評価なし"),
        "mark": turn.mark, "mark_label": MARK_LABELS.get(turn.mark or "", "未判定"),
        "mark_program": _program(turn.mark_program, names), "marked_at_jst": jst_text(turn.marked_at),
    }


def options(db: Session, names: Mapping[int, str], now: Optional[datetime] = None) -> Dict[str, Any]:
    """The choices of the page's filters and marks, and today's JST date (the default range ends there)."""
    return {
        "kinds": [{"value": k, "label": label} for k, label in KIND_LABELS.items()],
        "marks": [{"value": m, "label": MARK_LABELS[m]} for m in MARKS],
        "channels": [{"value": c, "label": CHANNEL_LABELS.get(c, c)} for c in channels(db)],
        "programs": [{"section": s, "name": n} for s, n in sorted(names.items())],
        "today": today_jst(now).isoformat(),
    }


# ---- marks ------------------------------------------------------------------------------------------

def set_mark(db: Session, turn_id: int, mark: Optional[str], program: Optional[int], sections: Iterable[int],
             now: Optional[datetime] = None) -> Optional[Turn]:
    """Store the staff's decision on an entry (``mark`` None clears it); None when there is no such entry.

    A training example names the program it should have found; the other marks name none."""
    if mark is not None and mark not in MARKS:
        raise InvalidRequest("判定の種類が正しくありません。")
    if mark == "training":
        if not isinstance(program, int) or isinstance(program, bool) or program not in set(sections):
            raise InvalidRequest("学習例にするときは、正しい制度を選んでください。")
    else:
        program = None
    turn = db.get(Turn, turn_id)
    if turn is None:
        return None
    turn.mark, turn.mark_program = mark, program
    turn.marked_at = (now or datetime.now(timezone.utc)) if mark else None
    db.commit()
    return turn


# ---- figures ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    id: int
    conversation: str
    at: datetime
    kind: str
    text: str
    program: Optional[int]
    feedback: Optional[str]


def rows_between(db: Session, start: Optional[date], end: Optional[date]) -> List[Row]:
    """Every logged turn in the JST days given (answers too: resolution and 👎 rates need them), oldest first."""
    statement = _within(select(Turn.id, Turn.conversation, Turn.at, Turn.kind, Turn.text, Turn.program,
                               Turn.feedback), start, end)
    return [Row(r.id, r.conversation, utc(r.at), r.kind, r.text, r.program, r.feedback)
            for r in db.execute(statement.order_by(Turn.at, Turn.id))]


def conversations_per_day(rows: Sequence[Row], start: Optional[date] = None,
                          end: Optional[date] = None) -> List[Dict[str, Any]]:
    """Distinct conversations per JST day, every day of the range (empty days as 0); without a range, from the
    first day logged to the last. A conversation that goes on past midnight counts on both days."""
    by_day: Dict[date, set] = defaultdict(set)
    for row in rows:
        by_day[jst_day(row.at)].add(row.conversation)
    first = start or (min(by_day) if by_day else None)
    last = end or (max(by_day) if by_day else None)
    if first is None or last is None or first > last:
        return []
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [{"date": d.isoformat(), "conversations": len(by_day.get(d, ()))} for d in days]


def resolved(turns: Sequence[Row]) -> bool:
    """A conversation resolved itself: it ends with a recommendation (its last turn is an answer naming a
    program) or someone rated an answer 👍, and the assistant never had to give up (no fallback)."""
    if any(t.kind == "fallback" for t in turns):
        return False
    last = turns[-1]
    return (last.kind == "answer" and last.program is not None) or any(t.feedback == "up" for t in turns)


def self_resolution(rows: Sequence[Row]) -> Dict[str, Any]:
    conversations: Dict[str, List[Row]] = defaultdict(list)
    for row in rows:  # oldest first, so each list ends with the conversation's last turn
        conversations[row.conversation].append(row)
    done = sum(resolved(turns) for turns in conversations.values())
    total = len(conversations)
    return {"conversations": total, "resolved": done, "rate": round(done / total, 4) if total else None}


def down_by_program(rows: Sequence[Row], names: Mapping[int, str]) -> List[Dict[str, Any]]:
    """Per program answered: answers, answers rated (👍 or 👎), 👎; 👎 among rated and among all answers.
    Worst first (by 👎 among rated), then by section."""
    counts: Dict[int, Counter] = defaultdict(Counter)
    for row in rows:
        if row.kind == "answer" and row.program is not None:
            counts[row.program]["answers"] += 1
            counts[row.program]["rated"] += row.feedback in ("up", "down")
            counts[row.program]["down"] += row.feedback == "down"
    table = []
    for section, c in counts.items():
        table.append({**_program(section, names), "answers": c["answers"], "rated": c["rated"], "down": c["down"],
                      "down_rate_rated": round(c["down"] / c["rated"], 4) if c["rated"] else None,
                      "down_rate_answers": round(c["down"] / c["answers"], 4)})
    return sorted(table, key=lambda r: (-(r["down_rate_rated"] or 0), -r["down"], r["section"]))


def topic_of(kb: Session) -> Callable[[str], Optional[int]]:
    """The knowledge store's best match for a text (its top search hit's section), None when nothing matches."""
    cache: Dict[str, Optional[int]] = {}

    def top(text: str) -> Optional[int]:
        if text not in cache:
            hits = search(kb, text, limit=1)
            cache[text] = hits[0].section if hits else None
        return cache[text]

    return top


def unanswered_topics(rows: Sequence[Row], topic: Callable[[str], Optional[int]], names: Mapping[int, str],
                      samples: int = 3) -> List[Dict[str, Any]]:
    """Fallback and unsure entries grouped by the program the knowledge store's search finds closest
    (「該当なし」 when it finds none), most frequent first, each with its newest few texts as samples."""
    groups: Dict[Optional[int], List[str]] = defaultdict(list)
    for row in rows:
        if row.kind in UNANSWERED_KINDS:
            groups[topic(row.text)].append(row.text)
    table = []
    for section, texts in groups.items():
        newest = list(dict.fromkeys(reversed(texts)))[:samples]
        label = _program(section, names) if section is not None else {"section": None, "name": NO_TOPIC}
        table.append({**label, "count": len(texts), "samples": newest})
    return sorted(table, key=lambda r: (-r["count"], r["section"] is None, r["section"] or 0))


def figures(db: Session, kb: Session, start: Optional[date] = None, end: Optional[date] = None) -> Dict[str, Any]:
    """Everything the supervisor's summary shows, for the JST days given."""
    rows = rows_between(db, start, end)
    names = program_names(kb)
    return {
        "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
        "turns": len(rows), "conversations": len({r.conversation for r in rows}),
        "per_day": conversations_per_day(rows, start, end),
        "self_resolution": self_resolution(rows),
        "down_by_program": down_by_program(rows, names),
        "unanswered_topics": unanswered_topics(rows, topic_of(kb), names),
    }


# ---- exports ----------------------------------------------------------------------------------------

# Rasa's entity annotation (rasa/shared/nlu/training_data/entities_parser.py, ENTITY_REGEX): 「[八戸](city)」
# in an example would become an entity and lose its brackets. Such brackets are written full width instead.
_ENTITY_ANNOTATION = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\](\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)|\{(?P<entity_dict>[^}]+?)\}"
    r"|\[(?P<list_entity_dicts>.*?)\])")
_NOT_YAML = {"\ufeff", "\ufffe", "\uffff"}  # a byte order mark inside a file, and non-characters


def example_line(text: str) -> str:
    """A text as one line of an ``examples: |`` block that Rasa reads back unchanged (as far as it can be).

    Every line break Python or YAML knows (Rasa splits the block with ``str.splitlines``), tab and control
    character becomes a space and runs of spaces one; entity annotations are disarmed."""
    chars = []
    for ch in text or "":
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") or ch in _NOT_YAML:
            chars.append(" ")
        else:
            chars.append(ch)
    line = " ".join("".join(chars).split())
    while True:
        found = _ENTITY_ANNOTATION.search(line)
        if not found:
            return line
        close = found.start() + 1 + len(found.group("entity_text"))
        line = line[:found.start()] + "［" + line[found.start() + 1:close] + "］" + line[close + 1:]


def example_key(text: str) -> str:
    """What two examples share when they are the same for training: normalized, spaces collapsed, and an
    entity annotation read as its text (as Rasa reads it)."""
    plain = _ENTITY_ANNOTATION.sub(lambda found: found.group("entity_text"), text)
    return " ".join(normalize(plain).split())


def known_examples(nlu_dir: Optional[Path] = PROJECT_NLU) -> Dict[str, str]:
    """Example key -> intent, for every example of the project's NLU files (empty without them)."""
    known: Dict[str, str] = {}
    if not nlu_dir or not Path(nlu_dir).is_dir():
        return known
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted(Path(nlu_dir).rglob("*.yml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except yaml.YAMLError:
            continue
        blocks = data.get("nlu") if isinstance(data, dict) else None
        for block in blocks if isinstance(blocks, list) else []:
            examples = block.get("examples") if isinstance(block, dict) and "intent" in block else None
            if not isinstance(examples, str):
                continue
            for line in examples.splitlines():
                if line.startswith("-"):
                    known.setdefault(example_key(line[1:]), str(block["intent"]))
    return known


@dataclass
class TrainingExport:
    examples: Dict[str, List[str]]           # intent -> example lines, in section order
    already_known: List[Tuple[str, str]]     # (text, intent) skipped: the training data has it already
    conflicts: List[Tuple[str, str, str]]    # (text, marked intent, intent it has in the training data)

    def yaml(self, now: Optional[datetime] = None) -> str:
        return nlu_yaml(self, now)


def training_export(db: Session, kb: Session, known: Optional[Mapping[str, str]] = None,
                    start: Optional[date] = None, end: Optional[date] = None) -> TrainingExport:
    """The entries marked as training examples (of the JST days given), one per text: duplicates (after
    normalization) are skipped, and so is what the project's training data already has. When the same text
    was marked for two programs, the latest mark counts."""
    known = known or {}
    statement = _within(select(Turn).where(Turn.mark == "training", Turn.mark_program.is_not(None)), start, end)
    turns = list(db.execute(statement.order_by(Turn.at, Turn.id)).scalars())
    slugs = {p.section: p.slug for p in query.all_programs(kb)}
    latest: Dict[str, Tuple[datetime, int, str]] = {}  # normalized text -> (marked at, section, line)
    for turn in turns:
        line = example_line(turn.text)
        if not line or turn.mark_program not in slugs:
            continue
        key = example_key(line)
        marked = utc(turn.marked_at or turn.at)
        if key not in latest or marked >= latest[key][0]:
            latest[key] = (marked, turn.mark_program, line)
    by_section: Dict[int, List[str]] = defaultdict(list)
    already, conflicts = [], []
    for key, (_, section, line) in latest.items():
        intent = intent_of_slug(slugs[section])
        if key not in known:
            by_section[section].append(line)
        elif known[key] == intent:
            already.append((line, intent))
        else:
            conflicts.append((line, intent, known[key]))
    examples = {intent_of_slug(slugs[s]): by_section[s] for s in sorted(by_section)}
    return TrainingExport(examples, already, conflicts)


def nlu_yaml(export: TrainingExport, now: Optional[datetime] = None) -> str:
    """Rasa NLU training data (format 3.1) of the export, to paste into data/nlu/.

    The header is Japanese on purpose besides being read by people: Rasa reads an all-ASCII YAML file through
    ``raw_unicode_escape``, which would turn an example's ``\\u3042`` into あ (or fail on ``\\user``)."""
    stamp = jst_text(now or datetime.now(timezone.utc))
    lines = [f"# 対話ログの確認画面で「学習例」と判定された発言です（{stamp} 書き出し）。",
             "# data/nlu/programs/ の該当する制度のファイルへ、例文を貼り付けてお使いください。"]
    if export.already_known:
        lines.append(f"# 学習データに既にある例文 {len(export.already_known)} 件は省きました。")
    if export.conflicts:
        lines += ["# 次の例文は学習データで別の意図に割り当てられているため省きました。",
                  "# どちらが正しいか、ご確認をお願いします。"]
        lines += [f"#   {text} （判定：{marked}／学習データ：{existing}）"
                  for text, marked, existing in export.conflicts]
    lines += ['version: "3.1"', ""]
    if not export.examples:
        return "\n".join(lines + ["nlu: []", ""])
    lines.append("nlu:")
    for intent, examples in export.examples.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in examples]
        lines.append("")
    return "\n".join(lines)


CSV_COLUMNS = ("ID", "日時（日本時間）", "会話", "チャネル", "種別", "発言（マスク済み）", "意図", "候補（スコア）",
               "回答した制度", "評価", "判定", "学習例の制度", "判定日時（日本時間）")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell Excel shows as text: one that starts like a formula gets a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _named(program: Optional[Mapping[str, Any]]) -> str:
    return f"Ⅲ-{program['section']} {program['name']}" if program else ""


def queue_csv(entries: Sequence[Mapping[str, Any]]) -> str:
    """The entries as CSV, UTF-8 with a byte order mark (so Excel reads the Japanese), CRLF line ends."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        candidates = "、".join(f"{_named(c)}（{c['score']}）" for c in e["candidates"])
        writer.writerow([_cell(v) for v in (
            e["id"], e["at_jst"], e["conversation"], e["channel_label"], e["kind_label"], e["text"], e["intent"],
            candidates, _named(e["program"]), e["feedback_label"] if e["feedback"] else "", e["mark_label"],
            _named(e["mark_program"]), e["marked_at_jst"])])
    return out.getvalue()

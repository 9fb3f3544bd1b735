"""Training examples from the review log: the entries staff marked 「学習例」, as Rasa NLU data to paste into
data/nlu/.

Apart from the queue because it speaks Rasa's training-data format and compares with the project's own
training data, which the rest of the review page never reads.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.program_intents import intent_of_slug
from console.review_days import jst_text, utc
from console.review_filters import within
from knowledge import query
from knowledge.text import normalize
from review.models import Turn

PROJECT_NLU = Path(__file__).resolve().parents[1] / "data" / "nlu"


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
    statement = within(select(Turn).where(Turn.mark == "training", Turn.mark_program.is_not(None)), start, end)
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

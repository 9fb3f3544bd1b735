"""Training examples from the review log: the entries staff marked 「学習例」, as Rasa NLU data to paste into
data/nlu/.

Apart from the queue because it speaks Rasa's training-data format and compares with the project's own training
data, which the rest of the review page never reads. Both go through Rasa's own code: the project's data is read
with Rasa's loader (bot/nlu_data.py), the export written with Rasa's YAML writer, and an example's entity
annotation is recognised by Rasa's entity parser. Rasa is imported on first use: the console starts without it.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.nlu_data import NLU_DATA, intent_examples
from bot.program_intents import intent_of_slug
from console.review_days import jst_text, utc
from console.review_filters import within
from knowledge import query
from knowledge.text import normalize
from review.models import Turn

PROJECT_NLU = NLU_DATA
_NOT_YAML = {"\ufeff", "\ufffe", "\uffff"}  # a byte order mark inside a file, and non-characters


def example_line(text: str) -> str:
    """A text as one line of an ``examples: |`` block that Rasa reads back unchanged (as far as it can be).

    Every line break Python or YAML knows (Rasa splits the block with ``str.splitlines``), tab and control
    character becomes a space and runs of spaces one. An entity annotation (「[八戸](city)」, as Rasa's
    ``ENTITY_REGEX`` finds it) would become an entity and lose its brackets: its brackets are written full width
    instead (Rasa's writer writes an example's text as it is)."""
    from rasa.shared.nlu.training_data.entities_parser import ENTITY_REGEX

    chars = []
    for ch in text or "":
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") or ch in _NOT_YAML:
            chars.append(" ")
        else:
            chars.append(ch)
    line = " ".join("".join(chars).split())
    while True:
        found = ENTITY_REGEX.search(line)
        if not found:
            return line
        close = found.start() + 1 + len(found.group("entity_text"))
        line = line[:found.start()] + "［" + line[found.start() + 1:close] + "］" + line[close + 1:]


def example_key(text: str) -> str:
    """What two examples share when they are the same for training: normalized, spaces collapsed, and an
    entity annotation read as its text (Rasa's own ``replace_entities``)."""
    from rasa.shared.nlu.training_data.entities_parser import replace_entities

    return " ".join(normalize(replace_entities(text)).split())


def known_examples(nlu_dir: Optional[Path] = PROJECT_NLU) -> Dict[str, str]:
    """Example key -> intent, for every intent example of the project's NLU data as Rasa's loader reads it (empty
    without the directory); a text listed under two intents keeps the first."""
    known: Dict[str, str] = {}
    if not nlu_dir or not Path(nlu_dir).is_dir():
        return known
    for text, intent in intent_examples(nlu_dir):
        known.setdefault(example_key(text), intent)
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
    """Rasa NLU training data of the export, to paste into data/nlu/: a comment header for the reader, then what
    Rasa's ``RasaYAMLWriter`` writes of the examples (the latest training data format; ``nlu: []`` when there
    are none, since the writer writes nothing then).

    The header is Japanese on purpose besides being read by people: Rasa reads an all-ASCII YAML file through
    ``raw_unicode_escape``, which would turn an example's ``\\u3042`` into あ (or fail on ``\\user``)."""
    from rasa.shared.constants import LATEST_TRAINING_DATA_FORMAT_VERSION
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from rasa.shared.utils.io import dump_obj_as_yaml_to_string
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

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
    messages = [Message.build(text=text, intent=intent)
                for intent, examples in export.examples.items() for text in examples]
    body = RasaYAMLWriter().dumps(TrainingData(training_examples=messages)) if messages else ""
    if not body:
        version = DoubleQuotedScalarString(LATEST_TRAINING_DATA_FORMAT_VERSION)
        body = dump_obj_as_yaml_to_string({"version": version, "nlu": []}, should_preserve_key_order=True)
    return "\n".join(lines) + "\n" + body

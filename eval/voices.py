"""Every voice: owners in distress, wishes of a shop, Aomori dialect, LINE fragments, people the guide does not serve
and businesses in other prefectures. Does the first reply name the right program first, or answer honestly?

The sets in eval/voices/ were written blind (by writers who saw only the guide's text and a description of how
owners write, never the training data or the code), each file by another writer; nothing in them is trained on
(tests/unit/test_training_data.py checks with Rasa's own loader). Each first message says what it expects:

- ``program``: the reply's first program (its card, or the first of the candidates it offers) is ``section`` or
  one of ``also``;
- ``out_of_scope``: no program recommended or offered except the general desk, and no desk's phone but the general
  desk's;
- ``other_prefecture``: no program presented as applying (no program card, no desk phone but the general desk's),
  and the reply says that the programs are for businesses in the prefecture (県内);
- ``person``: the reply answers a request for a person (it carries ``custom.handover``: queued, or unavailable with
  the desk to call); ``not_person``: it does not (「これってAI？」 only asks who answers).

Two-turn conversations (dialect places and follow-ups) pass when the second reply holds every string the writer
copied from the guide and no contact of another program.

`python -m eval.voices [--misses] [--model M --project DIR]` prints the figures by file and group.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

VOICES_DIR = Path(__file__).resolve().parent / "voices"
ROOT = Path(__file__).resolve().parents[1]
# What tells the user the programs are for businesses in the prefecture.
IN_PREFECTURE_WORDS = ("県内",)


@dataclass(frozen=True)
class First:
    file: str
    group: str
    text: str
    expect: str
    section: Optional[int]
    also: Tuple[int, ...]


@dataclass(frozen=True)
class Conversation:
    file: str
    turns: Tuple[str, ...]
    section: int
    contains: Tuple[str, ...]
    kind: str


def load(directory: Path = VOICES_DIR) -> Tuple[List[First], List[Conversation]]:
    firsts: List[First] = []
    conversations: List[Conversation] = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data.get("first_messages") or []:
            firsts.append(First(path.stem, item.get("group") or item.get("who") or item["expect"], item["text"],
                                item["expect"], item.get("section"), tuple(item.get("also") or ())))
        for item in data.get("conversations") or []:
            conversations.append(Conversation(path.stem, tuple(item["turns"]), int(item["section"]),
                                              tuple(map(str, item.get("second_contains") or ())), item["kind"]))
    return firsts, conversations


def all_texts(directory: Path = VOICES_DIR) -> List[str]:
    """Every sentence of the sets (for the leak check)."""
    firsts, conversations = load(directory)
    return [f.text for f in firsts] + [turn for c in conversations for turn in c.turns]


def programs_of(messages: List[Dict[str, Any]]) -> List[int]:
    return [p["section"] for m in messages for p in (m.get("custom") or {}).get("programs", [])]


def handover_of(messages: List[Dict[str, Any]]) -> Optional[str]:
    """The ``custom.handover`` state of the reply, if any."""
    return next((m["custom"]["handover"]["state"] for m in messages if "handover" in (m.get("custom") or {})), None)


def text_of(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def judge_first(case: First, messages: List[Dict[str, Any]], general: int, phones: Dict[int, set]) -> Optional[str]:
    """None when the reply is right, else what is wrong."""
    from eval.desk import PHONE

    programs, text = programs_of(messages), text_of(messages)
    if case.expect in ("person", "not_person"):
        state = handover_of(messages)
        if (state is not None) == (case.expect == "person"):
            return None
        return "not answered as a request for a person" if state is None else f"answered as one ({state})"
    others = [phone for phone in PHONE.findall(text) if phone not in phones.get(general, set())]
    if case.expect == "program":
        right = {case.section, *case.also}
        if not programs:
            return "no program"
        return None if programs[0] in right else f"§{programs[0]} first"
    offered = [s for s in programs if s != general]
    if offered:
        return f"programs offered: {offered}"
    if others:
        return f"desk phones: {others}"
    if case.expect == "other_prefecture" and not any(word in text for word in IN_PREFECTURE_WORDS):
        return "does not say the programs are for businesses in the prefecture"
    return None


def judge_conversation(case: Conversation, messages: List[Dict[str, Any]], by_section) -> Optional[str]:
    from eval import expectations
    from eval.desk import comparable

    text = text_of(messages)
    missing = [s for s in case.contains if comparable(s) not in comparable(text)]
    foreign = expectations.foreign_contacts(text, case.section, by_section)
    problems = [f"missing {missing}"] * bool(missing) + [f"other program's contacts {foreign}"] * bool(foreign)
    return "; ".join(problems) or None


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f} %)" if whole else "0/0"


def report(firsts: Sequence[First], first_replies, conversations: Sequence[Conversation], second_replies,
           misses: bool) -> None:
    from eval import expectations
    from eval.servers import loaded_knowledge
    from knowledge import query
    from knowledge.db import session

    with tempfile.TemporaryDirectory() as tmp, session(loaded_knowledge(Path(tmp))) as db:
        general = query.general_desk(db).section
        by_section = expectations.contacts_by_section(db)
        phones = {section: {c for c in contacts if c[:1] == "0"} for section, contacts in by_section.items()}
        tally: Dict[Tuple[str, str], Counter] = defaultdict(Counter)
        notes = []
        for case, messages in zip(firsts, first_replies):
            wrong = judge_first(case, messages, general, phones)
            tally[(case.file, case.group)]["right" if wrong is None else "wrong"] += 1
            if wrong:
                notes.append(f"  [{case.file}/{case.group}] {wrong}: {case.text}")
        for conversation, replies in zip(conversations, second_replies):
            wrong = judge_conversation(conversation, replies[-1], by_section)
            tally[(conversation.file, f"two-turn {conversation.kind}")]["right" if wrong is None else "wrong"] += 1
            if wrong:
                notes.append(f"  [{conversation.file}/two-turn {conversation.kind} §{conversation.section}] {wrong}: "
                             f"{' / '.join(conversation.turns)}")
    total: Counter = Counter()
    for (file, group), counts in sorted(tally.items()):
        n = counts["right"] + counts["wrong"]
        total["right"] += counts["right"]
        total["all"] += n
        print(f"  {file:<16} {group:<22} {pct(counts['right'], n)}")
    print(f"  {'all':<39} {pct(total['right'], total['all'])}")
    if misses and notes:
        print("\n== misses\n" + "\n".join(notes))


def main() -> int:
    from eval.evaluate import converse, quiet_logs

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model archive (default: the current data's)")
    parser.add_argument("--project", type=Path, default=ROOT, help="checkout whose actions serve (for before/after)")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args()
    quiet_logs()
    import subprocess

    model = args.model or subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True,
                                         capture_output=True, text=True).stdout.strip()
    model = str((ROOT / model) if not Path(model).is_absolute() else model)
    firsts, conversations = load()
    replies = converse([[f.text] for f in firsts] + [list(c.turns) for c in conversations], model, args.project)
    print(f"== every voice ({len(firsts)} first messages, {len(conversations)} conversations), "
          f"model {Path(model).name}")
    report(firsts, [r[0] for r in replies[:len(firsts)]], conversations, replies[len(firsts):], args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())

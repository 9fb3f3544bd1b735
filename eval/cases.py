"""The evaluation and test sentences, read from their files: never trained on (see eval/leaks.py).

- eval/owners/part_*.yml: the owner-voice blind set, written in separate parts by writers who saw only
  the guide and shared notes on how owners write, never the training data or the code.
- eval/heldout.yml, eval/heldout_blind.yml: the older held-out sets (written from the intents' descriptions).
- tests/e2e/conversation_matrix.yml: follow-up phrasings, entries and switches for the conversation matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
OWNERS = Path("eval") / "owners"                            # part_*.yml, relative to a project root
MATRIX_FILE = Path("tests") / "e2e" / "conversation_matrix.yml"
HELDOUT_SETS = (ROOT / "eval" / "heldout.yml", ROOT / "eval" / "heldout_blind.yml")
TEST_STORIES = ROOT / "tests" / "test_stories.yml"


@dataclass(frozen=True)
class FirstMessage:
    text: str
    section: Optional[int]  # None: out of scope, no program may be given
    also: Tuple[int, ...]   # other sections a human desk would also accept
    source: str


@dataclass(frozen=True)
class Conversation:
    first: str
    section: int
    second: str
    kind: str                      # field | location | switch
    field: Optional[str] = None    # cost, phone, fax, email, place, hours, target, limits, how_to_apply
    switch_to: Optional[int] = None
    municipality: Optional[str] = None
    source: str = ""


def _read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def owner_voice(root: Path = ROOT) -> Tuple[List[FirstMessage], List[Conversation]]:
    firsts, conversations = [], []
    for path in sorted((root / OWNERS).glob("part_*.yml")):
        data = _read(path)
        for item in data.get("first_messages") or []:
            firsts.append(FirstMessage(str(item["text"]), item.get("section"), tuple(item.get("also") or ()),
                                       path.name))
        for item in data.get("conversations") or []:
            conversations.append(Conversation(str(item["first"]), int(item["section"]), str(item["second"]),
                                              item["kind"], item.get("field"), item.get("switch_to"),
                                              item.get("municipality"), path.name))
    return firsts, conversations


def heldout(path: Path) -> List[FirstMessage]:
    """The older sets: cases with a section are program cases; out_of_scope ones have none."""
    cases = []
    for case in _read(path)["cases"]:
        if "section" in case:
            cases.append(FirstMessage(case["text"], case["section"], (), path.name))
        elif case["intent"] == "out_of_scope":
            cases.append(FirstMessage(case["text"], None, (), path.name))
    return cases


def matrix(root: Path = ROOT) -> dict:
    return _read(root / MATRIX_FILE)


def test_story_texts() -> List[str]:
    texts = []
    for story in _read(TEST_STORIES).get("stories", []):
        texts += [step["user"] for step in story["steps"] if "user" in step]
    return texts


def all_sentences() -> Dict[str, List[str]]:
    """Every evaluation and test sentence, by file: what the leak check compares with the training data."""
    firsts, conversations = owner_voice()
    sentences: Dict[str, List[str]] = {"eval/owners": [f.text for f in firsts]
                                       + [c.first for c in conversations] + [c.second for c in conversations]}
    for path in HELDOUT_SETS:
        sentences[f"eval/{path.name}"] = [case["text"] for case in _read(path)["cases"]]
    data = matrix()
    sentences["tests/e2e/conversation_matrix.yml"] = (
        [s for phrasings in data["followups"].values() for s in phrasings]
        + [s for entries in data["entries"].values() for s in entries]
        + [s for switches in data["switches"].values() for s in switches] + list(data["generic_not_switch"]))
    if TEST_STORIES.exists():
        sentences["tests/test_stories.yml"] = test_story_texts()
    from eval import desk, voices

    sentences["eval/desk"] = desk.all_texts()
    sentences["eval/voices"] = voices.all_texts()
    return sentences

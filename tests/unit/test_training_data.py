"""The training data: read through Rasa's own loader, never holding a test or evaluation sentence.

That every program has enough examples is checked with the rest of its parts (tests/unit/test_consistency.py)."""
from __future__ import annotations

from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from eval import cases, leaks

ROOT = Path(__file__).resolve().parents[2]


def test_no_test_or_evaluation_sentence_is_trained_on():
    assert leaks.leaks_by_file(cases.all_sentences()) == {}


def test_the_leak_check_sees_annotated_and_width_variants(tmp_path):
    (tmp_path / "nlu.yml").write_text('version: "3.1"\nnlu:\n- intent: inform_location\n  examples: |\n'
                                      "    - [弘前](municipality)です\n    - ＤＸの相談\n", encoding="utf-8")
    assert leaks.leaked(["弘前です", "DXの相談", "八戸です"], tmp_path) == ["弘前です", "DXの相談"]


def test_no_entity_annotations_are_trained():
    """DIET classifies intents only (config.yml): the actions parse numbers and places themselves."""
    data = load_data(str(ROOT / "data" / "nlu"))
    assert [m.get("text") for m in data.intent_examples if m.get("entities")] == []

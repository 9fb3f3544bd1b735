"""The training data: read through Rasa's own loader, never holding a test or evaluation sentence."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.actions.intents import intent_of_slug
from eval import cases, leaks

ROOT = Path(__file__).resolve().parents[2]
MIN_EXAMPLES_PER_PROGRAM = 120


def test_no_test_or_evaluation_sentence_is_trained_on():
    assert leaks.leaks_by_file(cases.all_sentences()) == {}


def test_the_leak_check_sees_annotated_and_width_variants(tmp_path):
    (tmp_path / "nlu.yml").write_text('version: "3.1"\nnlu:\n- intent: inform_location\n  examples: |\n'
                                      "    - [弘前](municipality)です\n    - ＤＸの相談\n", encoding="utf-8")
    assert leaks.leaked(["弘前です", "DXの相談", "八戸です"], tmp_path) == ["弘前です", "DXの相談"]


def test_every_program_has_enough_owner_voice_examples():
    counts = Counter(message.get("intent") for message in load_data(str(ROOT / "data" / "nlu")).intent_examples)
    slugs = [yaml.safe_load(p.read_text(encoding="utf-8"))["slug"] for p in (ROOT / "knowledge" / "programs").glob("*.yml")]
    short = {slug: counts[intent_of_slug(slug)] for slug in slugs if counts[intent_of_slug(slug)] < MIN_EXAMPLES_PER_PROGRAM}
    assert short == {}


def test_no_entity_annotations_are_trained():
    """DIET classifies intents only (config.yml): the actions parse numbers and places themselves."""
    data = load_data(str(ROOT / "data" / "nlu"))
    assert [m.get("text") for m in data.intent_examples if m.get("entities")] == []

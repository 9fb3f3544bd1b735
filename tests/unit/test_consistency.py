"""Every program has what it needs (eval/consistency.py), and the check names what a newcomer forgot."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from eval.consistency import ROOT, gaps
from knowledge import catalog

# What the check reads: a copy of these is a project of its own.
PROJECT_PARTS = ("config.yml", "domain.yml", "data", "knowledge/programs", "eval/owners",
                 "tests/e2e/conversation_matrix.yml", "bot/actions")


def test_every_program_has_its_intent_rule_examples_and_evaluation_sentences():
    assert gaps() == []


@pytest.fixture
def project(tmp_path) -> Path:
    for part in PROJECT_PARTS:
        source, target = ROOT / part, tmp_path / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    return tmp_path


def add_program(project: Path) -> int:
    """A new knowledge file and nothing else, as a newcomer who stopped after step 1 would leave it."""
    section = len(catalog.programs()) + 1
    source = yaml.safe_load((project / "knowledge/programs/21_business-succession.yml").read_text(encoding="utf-8"))
    new = dict(source, section=section, slug="new-program", name="新しい制度")
    (project / f"knowledge/programs/{section:02d}_new-program.yml").write_text(
        yaml.safe_dump(new, allow_unicode=True), encoding="utf-8")
    return section


def test_a_program_added_without_nlu_data_or_evaluation_sentences_is_named(project):
    section = add_program(project)
    found = gaps(project)
    label = f"§{section} (new-program)"
    assert any(g.startswith(f"{label}: 0 NLU examples of program_new_program")
               and f"data/nlu/programs/{section:02d}_new-program.yml" in g for g in found), found
    assert any(g.startswith(f"{label}: 0 blind first messages") for g in found), found
    assert all(g.startswith(label) for g in found), found  # its intent and rule come from the knowledge file


def test_a_config_without_the_program_importer_loses_every_intent_and_rule(project):
    config = project / "config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("bot.importers.ProgramImporter", "RasaFileImporter"),
                      encoding="utf-8")
    found = gaps(project)
    assert any("intent program_business_succession is not in the domain" in g for g in found), found
    assert any("no rule sends program_business_succession" in g for g in found), found


def test_a_response_the_code_sends_but_the_domain_lacks_is_named(project):
    (project / "bot/actions/extra.py").write_text('NAME = "utter_anwser_cost"\n', encoding="utf-8")
    assert "utter_anwser_cost: the actions send a response the domain lacks (domain.yml)" in gaps(project)

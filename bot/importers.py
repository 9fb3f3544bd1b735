"""Rasa's file importer, plus what every program implies: its intent and its rule.

Named in config.yml instead of ``RasaFileImporter``, so ``rasa train``, ``rasa data validate`` and Rasa's
Validator all see, besides domain.yml and data/, one intent per program file
(knowledge/programs/NN_slug.yml) and one rule mapping it to ``action_recommend_program``. Adding a
program therefore needs no edit to domain.yml or data/stories: its knowledge file, its NLU file and
its evaluation sentences.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.utils.common import cached_method

from bot.program_intents import PROGRAM_ACTION, intent_of_slug
from knowledge import catalog


def programs_dir_of(config_file: Optional[Text]) -> Path:
    """The knowledge files of the project whose config.yml Rasa was given (tests check copies)."""
    return Path(config_file).resolve().parent / "knowledge" / "programs" if config_file else catalog.PROGRAMS_DIR


def program_rules(programs_dir: Path) -> List[Dict[Text, Any]]:
    """The rule every program intent follows, in Rasa's YAML shape."""
    return [{"rule": f"situation {entry.slug}",
             "steps": [{"intent": intent_of_slug(entry.slug)}, {"action": PROGRAM_ACTION}]}
            for entry in catalog.programs(programs_dir)]


class ProgramImporter(RasaFileImporter):
    """RasaFileImporter whose domain and rules also hold the programs of knowledge/programs/."""

    def __init__(self, config_file: Optional[Text] = None, domain_path: Optional[Text] = None,
                 training_data_paths: Optional[List[Text]] = None) -> None:
        super().__init__(config_file, domain_path, training_data_paths)
        self._programs_dir = programs_dir_of(config_file)

    @cached_method
    def get_domain(self) -> Domain:
        intents = [intent_of_slug(entry.slug) for entry in catalog.programs(self._programs_dir)]
        return super().get_domain().merge(Domain.from_dict({"intents": intents}))

    @cached_method
    def get_stories(self, exclusion_percentage: Optional[int] = None) -> StoryGraph:
        reader = YAMLStoryReader(self.get_domain())
        rules = reader.read_from_parsed_yaml({"version": "3.1", "rules": program_rules(self._programs_dir)})
        return super().get_stories(exclusion_percentage).merge(StoryGraph(rules))

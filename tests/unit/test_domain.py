"""domain.yml, data and the actions agree: Rasa's validator, made strict where it still finds real problems.

`rasa data validate --fail-on-warnings` cannot be used as is: it flags every response that no story
utters, and here the actions send most of them (dispatcher.utter_message(response=...)). This test runs
Rasa's own Validator and fails on every warning, except "not used in any story" for a response the
actions send; and it checks both directions: every response the code sends exists in the domain, and
every response in the domain is sent by the code or uttered by a rule or story.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.validator import Validator

from eval.consistency import sent_by_code

ROOT = Path(__file__).resolve().parents[2]
# Intents only buttons send (``/feedback{...}``): Rasa reads their payload without NLU, so they have no examples.
BUTTON_ONLY_INTENTS = {"feedback"}
NO_EXAMPLES = re.compile(r"The intent '([a-z_]+)' is listed in the domain file, but is not found in the NLU training data")
UNUSED = re.compile(r"The utterance '(utter_[a-z_]+)' is not used in any story or rule\.")


@pytest.fixture(scope="module")
def validator():
    importer = TrainingDataImporter.load_from_config(config_path=str(ROOT / "config.yml"),
                                                     domain_path=str(ROOT / "domain.yml"),
                                                     training_data_paths=[str(ROOT / "data")])
    return Validator.from_importer(importer)


def test_rasa_validator_finds_nothing_but_responses_the_actions_send(validator):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = {
            "domain": validator.verify_domain_validity(),
            "intents": validator.verify_intents_in_stories(ignore_warnings=False),
            "nlu": validator.verify_nlu(ignore_warnings=True),  # its warnings are judged below
            "actions": validator.verify_actions_in_stories_rules(),
            "forms": validator.verify_forms_in_stories_rules(),
            "slots": validator.verify_slot_mappings(),
            "stories": validator.verify_story_structure(ignore_warnings=False),
        }
        validator.verify_utterances_in_stories(ignore_warnings=True)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    code = sent_by_code()
    unexpected = [m for m in messages if not (UNUSED.search(m) and UNUSED.search(m).group(1) in code)
                  and not (NO_EXAMPLES.search(m) and NO_EXAMPLES.search(m).group(1) in BUTTON_ONLY_INTENTS)
                  and "Slot auto-fill has been removed" not in m]
    assert unexpected == [] and all(results.values()), (results, unexpected)


def test_every_response_the_code_sends_exists(validator):
    missing = sorted(sent_by_code() - set(validator.domain.responses))
    assert missing == [], f"the actions send responses domain.yml lacks: {missing}"


def test_every_response_is_used(validator):
    stories = (ROOT / "data" / "stories").glob("*.yml")
    uttered = set(re.findall(r"action: (utter_[a-z_]+)", "\n".join(p.read_text(encoding="utf-8") for p in stories)))
    unused = sorted(set(validator.domain.responses) - sent_by_code() - uttered)
    assert unused == [], f"responses nothing sends: {unused}"


def test_the_check_catches_a_response_the_domain_lacks(tmp_path, validator):
    """The scan above is what finds a typo in a response name: prove it sees one."""
    (tmp_path / "typo.py").write_text('dispatcher.utter_message(response="utter_anwser_cost")\n', encoding="utf-8")
    assert sent_by_code(tmp_path) - set(validator.domain.responses) == {"utter_anwser_cost"}

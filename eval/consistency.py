"""Does every program have everything it needs? The gaps a newcomer's change can leave, named one by one.

A program exists because ``knowledge/programs/NN_slug.yml`` exists (knowledge/catalog.py). For the
assistant to route to it, and for anyone to know whether it does, it also needs:
- NLU examples of its intent ``program_<slug>`` in data/nlu/ (at least MIN_EXAMPLES_PER_PROGRAM);
- that intent in the domain and a rule sending it to ``action_recommend_program`` (bot/importers.py
  adds both from the knowledge files; this catches a config.yml that lost the importer);
- evaluation sentences nobody trained on: first messages in eval/owners/part_*.yml and entries and
  switches in tests/e2e/conversation_matrix.yml.
And the other way round: no program intent, evaluation sentence or response name without its owner.

Usage: ``python -m eval.consistency`` prints the gaps (exit 1 when there are any); the unit tests run it.
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import List, Set

from bot.actions.followup import MISSING_FIELDS, OWN_SENTENCE_FIELDS
from bot.program_intents import PROGRAM_ACTION, intent_of_slug, is_program_intent
from eval import cases
from knowledge import catalog

ROOT = Path(__file__).resolve().parents[1]
MIN_EXAMPLES_PER_PROGRAM = 120  # owner-voice training examples per program intent (issue of understanding)
MIN_BLIND_FIRST_MESSAGES = 3    # first messages per program in the blind owner-voice set
MIN_MATRIX_ENTRIES = 2          # the matrix enters by situation ([0]) and by free text ([1])
MIN_MATRIX_SWITCHES = 1


def sent_by_code(actions: Path = ROOT / "bot" / "actions") -> Set[str]:
    """Response names the code sends: the actions' (literals, per-field families, per-place _city/_area pairs), and
    the channels' own (bot/channels/, beside bot/actions/: the answer when the action server fails)."""
    sources = [*actions.glob("*.py"), *(actions.parent / "channels").glob("*.py")]
    code = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    place_bases = set(re.findall(r'location_response\(\s*"(utter_[a-z_]+)"', code))
    names = set(re.findall(r'"(utter_[a-z_]+)"', code)) - place_bases
    names |= {f"{base}_{kind}" for base in place_bases for kind in ("city", "area")}
    for prefix in re.findall(r'f"(utter_[a-z_]+_)\{', code):
        fields = OWN_SENTENCE_FIELDS if prefix == "utter_answer_" else MISSING_FIELDS
        names |= {prefix + field for field in fields}
    return names


def _importer(root: Path):
    from rasa.shared.importers.importer import TrainingDataImporter

    return TrainingDataImporter.load_from_config(config_path=str(root / "config.yml"),
                                                 domain_path=str(root / "domain.yml"),
                                                 training_data_paths=[str(root / "data")])


def _rule_targets(stories) -> dict:
    """intent -> the action a one-turn rule sends it to."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, RULE_SNIPPET_ACTION_NAME
    from rasa.shared.core.events import ActionExecuted, UserUttered

    targets = {}
    for step in stories.story_steps:
        events = [e for e in step.events if isinstance(e, UserUttered) or (
            isinstance(e, ActionExecuted) and e.action_name not in (ACTION_LISTEN_NAME, RULE_SNIPPET_ACTION_NAME))]
        if len(events) == 2 and isinstance(events[0], UserUttered) and isinstance(events[1], ActionExecuted):
            targets[events[0].intent_name] = events[1].action_name
    return targets


def gaps(root: Path = ROOT) -> List[str]:
    """Every missing piece, as a sentence naming the program (or the name) and the file to fix."""
    importer = _importer(root)
    domain = importer.get_domain()
    examples = Counter(m.get("intent") for m in importer.get_nlu_data("ja").intent_examples)
    rules = _rule_targets(importer.get_stories())
    firsts, _ = cases.owner_voice(root)
    blind = Counter(first.section for first in firsts)
    matrix = cases.matrix(root)
    programs = catalog.programs(root / "knowledge" / "programs")
    found: List[str] = []
    for entry in programs:
        label = f"§{entry.section} ({entry.slug})"
        intent = intent_of_slug(entry.slug)
        if examples[intent] < MIN_EXAMPLES_PER_PROGRAM:
            found.append(f"{label}: {examples[intent]} NLU examples of {intent} (at least {MIN_EXAMPLES_PER_PROGRAM}:"
                         f" data/nlu/programs/{entry.section:02d}_{entry.slug}.yml)")
        if intent not in domain.intents:
            found.append(f"{label}: intent {intent} is not in the domain (config.yml must name bot.importers)")
        if rules.get(intent) != PROGRAM_ACTION:
            found.append(f"{label}: no rule sends {intent} to {PROGRAM_ACTION} (config.yml must name bot.importers)")
        if blind[entry.section] < MIN_BLIND_FIRST_MESSAGES:
            found.append(f"{label}: {blind[entry.section]} blind first messages (at least {MIN_BLIND_FIRST_MESSAGES}"
                         f" in eval/owners/part_*.yml)")
        if len(matrix["entries"].get(entry.section) or []) < MIN_MATRIX_ENTRIES:
            found.append(f"{label}: fewer than {MIN_MATRIX_ENTRIES} entries in {cases.MATRIX_FILE}")
        if len(matrix["switches"].get(entry.section) or []) < MIN_MATRIX_SWITCHES:
            found.append(f"{label}: no switch phrasing in {cases.MATRIX_FILE}")
    sections = {entry.section for entry in programs}
    intents = {intent_of_slug(entry.slug) for entry in programs}
    found += [f"{name}: NLU examples of a program intent with no knowledge file" for name in sorted(examples)
              if is_program_intent(name) and name not in intents]
    found += [f"§{section}: evaluation sentences for a section with no knowledge file"
              for section in sorted(({s for s in blind if s is not None} | set(matrix["entries"])
                                     | set(matrix["switches"])) - sections)]
    found += [f"{name}: the actions send a response the domain lacks (domain.yml)"
              for name in sorted(sent_by_code(root / "bot" / "actions") - set(domain.responses))]
    return found


def main() -> int:
    found = gaps()
    print("\n".join(found) if found else "every program has its intent, rule, NLU examples and evaluation sentences")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

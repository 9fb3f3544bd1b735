"""Program intents and the programs they stand for: the one mapping actions, console, evaluation and training use.

Each program of the knowledge store has one NLU intent, named after its slug
(business-succession -> program_business_succession). The intents are not typed in domain.yml or the
rules: ``bot/importers.py`` derives them from the knowledge files when Rasa reads its training data.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Text

from knowledge import catalog

PROGRAM_INTENT_PREFIX = "program_"
# What every program intent does: recommend that program (bot/actions/program.py).
PROGRAM_ACTION = "action_recommend_program"


def slug_of_intent(intent: Optional[Text]) -> Optional[Text]:
    """program_business_succession -> business-succession; None for any other intent."""
    if not intent or not intent.startswith(PROGRAM_INTENT_PREFIX):
        return None
    return intent[len(PROGRAM_INTENT_PREFIX):].replace("_", "-")


def intent_of_slug(slug: Text) -> Text:
    return PROGRAM_INTENT_PREFIX + slug.replace("-", "_")


def is_program_intent(intent: Optional[Text]) -> bool:
    return slug_of_intent(intent) is not None


def section_of_intent(intent: Optional[Text], programs_dir: Path = catalog.PROGRAMS_DIR) -> Optional[int]:
    """The guide section a program intent stands for, from the knowledge files; None otherwise."""
    return catalog.section_of_slug(slug_of_intent(intent), programs_dir)


def program_intents(programs_dir: Path = catalog.PROGRAMS_DIR) -> List[Text]:
    """One intent per program file, in section order."""
    return [intent_of_slug(entry.slug) for entry in catalog.programs(programs_dir)]

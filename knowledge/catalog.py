"""Which programs exist, read from the knowledge files themselves: the one source of sections and slugs.

Everything that needs the list of programs without a database (training data for Rasa, evaluation,
consistency checks) reads it here, so the number of programs is never typed anywhere: a program
exists because ``knowledge/programs/NN_slug.yml`` exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Tuple

import yaml

PROGRAMS_DIR = Path(__file__).resolve().parent / "programs"


@dataclass(frozen=True)
class ProgramEntry:
    section: int
    slug: str
    name: str
    path: Path


@lru_cache(maxsize=8)
def programs(programs_dir: Path = PROGRAMS_DIR) -> Tuple[ProgramEntry, ...]:
    """Every program file's identity, in section order (the loader validates the files in full)."""
    entries = []
    for path in sorted(Path(programs_dir).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries.append(ProgramEntry(int(data["section"]), str(data["slug"]), str(data.get("name", "")), path))
    return tuple(sorted(entries, key=lambda entry: entry.section))


@lru_cache(maxsize=8)
def by_slug(programs_dir: Path = PROGRAMS_DIR) -> Dict[str, ProgramEntry]:
    """Built once per folder: every turn maps the NLU's ranked intents to sections through it."""
    return {entry.slug: entry for entry in programs(programs_dir)}


def section_of_slug(slug: Optional[str], programs_dir: Path = PROGRAMS_DIR) -> Optional[int]:
    entry = by_slug(programs_dir).get(slug) if slug else None
    return entry.section if entry else None

"""Is any evaluation or test sentence in the training data? Read through Rasa's own loader (bot/nlu_data.py).

Rasa's loader strips entity annotations and merges every NLU file, so an annotated training example
(「[弘前](municipality)です」) is compared as the sentence the model learns (「弘前です」). Sentences are
compared after NFKC normalization and with whitespace removed, so width or spacing variants count too.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Dict, Iterable, List, Set

from bot.nlu_data import NLU_DATA, intent_examples


def comparable(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def training_sentences(nlu_dir: Path = NLU_DATA) -> Set[str]:
    """Every training example's text as Rasa reads it."""
    return {comparable(text) for text, _ in intent_examples(nlu_dir)}


def leaked(sentences: Iterable[str], nlu_dir: Path = NLU_DATA) -> List[str]:
    training = training_sentences(nlu_dir)
    return [s for s in sentences if comparable(s) in training]


def leaks_by_file(sentences: Dict[str, List[str]], nlu_dir: Path = NLU_DATA) -> Dict[str, List[str]]:
    training = training_sentences(nlu_dir)
    found = {name: [s for s in texts if comparable(s) in training] for name, texts in sentences.items()}
    return {name: texts for name, texts in found.items() if texts}

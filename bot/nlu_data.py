"""The project's NLU training data as Rasa reads it, for the code that compares sentences with it.

Read through Rasa's own loader, never parsed by hand: the loader merges every file under data/nlu/ and strips
entity annotations (「[弘前](municipality)です」 is the sentence 「弘前です」 the model learns), so a comparison sees
what training sees. The evaluation's leak check (eval/leaks.py) and the console's training export
(console/review_training.py) both read the data here.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Tuple, Union

ROOT = Path(__file__).resolve().parents[1]
NLU_DATA = ROOT / "data" / "nlu"

Fingerprint = Tuple[Tuple[str, int, int], ...]


def intent_examples(nlu_dir: Union[str, Path] = NLU_DATA) -> Tuple[Tuple[str, str], ...]:
    """(text, intent) of every intent example in ``nlu_dir`` (a directory or one file), in the loader's order.

    Rasa takes seconds to load the project's data, so what it read is kept until a file under ``nlu_dir``
    changes (its size or modification time)."""
    path = Path(nlu_dir)
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    fingerprint = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file())
    return _read(str(path), fingerprint)


@lru_cache(maxsize=8)
def _read(nlu_dir: str, fingerprint: Fingerprint) -> Tuple[Tuple[str, str], ...]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(nlu_dir)
    return tuple((message.get("text"), message.get("intent")) for message in data.intent_examples)

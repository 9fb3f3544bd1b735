"""Recognises input no classifier should guess at (empty, too long, emoji only, not Japanese).

It runs after DIET and overrides the intent with ``bad_input`` (confidence 1.0) plus an
``input_problem`` entity, so the dialogue answers with a polite, specific message instead of a
confident wrong program, and the conversation's slots are left as they were.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.limits import MAX_MESSAGE_CHARS

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f々〆ヵヶ]")
ACRONYM = re.compile(r"^[a-z]{1,4}$", re.IGNORECASE)  # 「DX」「IT」「EC」 alone are fine


def input_problem(text: Optional[Text], max_length: int) -> Optional[Text]:
    """The reason ``text`` cannot be understood, or None when it is ordinary input."""
    stripped = (text or "").strip()
    if not stripped:
        return "empty"
    if len(stripped) > max_length:
        return "too_long"
    normalized = unicodedata.normalize("NFKC", stripped)
    if not any(unicodedata.category(ch).startswith("L") for ch in normalized):
        return "no_text"
    if not JAPANESE.search(normalized) and not ACRONYM.match(normalized):
        return "non_japanese"
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class InputGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "max_length": MAX_MESSAGE_CHARS,  # characters; longer messages are refused politely
            "intent": "bad_input",  # the intent the dialogue answers bad input with
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.max_length = config["max_length"]
        self.intent = config["intent"]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "InputGuard":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            problem = input_problem(message.get(TEXT), self.max_length)
            if problem is None:
                continue
            intent = {"name": self.intent, "confidence": 1.0}
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
            entity = {"entity": "input_problem", "value": problem, "start": 0, "end": 0,
                      "extractor": type(self).__name__}
            message.set(ENTITIES, [entity], add_to_output=True)
        return messages

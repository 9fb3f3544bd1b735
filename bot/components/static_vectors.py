"""Dense features from ja_ginza's static word vectors, read directly: no spaCy pipeline is loaded.

Owners write 「跡継ぎ」 where training data says 「後継者」, 「借金」 where it says 「返済」. Sparse n-gram
features cannot relate words that share no characters; ja_ginza's vector table can (its 480,000 keys
share 20,000 rows of 300 dimensions, and near-synonyms often share a row). Loading the table with
spaCy's ``Vectors`` costs about 60 MB and a few seconds, where the full ja_ginza pipeline cost ~310 MB
and ~10 ms per message (measured on this project's 2-core machine).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import MEAN_POOLING, POOLING

from bot.components.sudachi_tokenizer import SudachiTokenizer

logger = logging.getLogger(__name__)

# Per process: every component instance of a served model shares the one table.
_TABLES: Dict[Text, Any] = {}


def _vector_table(package: Text):
    """spaCy's Vectors of an installed model package (its vocab/ folder), loaded once per process."""
    if package not in _TABLES:
        import importlib

        from spacy.util import get_model_meta
        from spacy.vectors import Vectors

        module = importlib.import_module(package)
        from pathlib import Path

        root = Path(module.__file__).parent
        meta = get_model_meta(root)
        vocab = root / f"{meta['lang']}_{meta['name']}-{meta['version']}" / "vocab"
        _TABLES[package] = Vectors().from_disk(vocab)
    return _TABLES[package]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class StaticWordVectorsFeaturizer(DenseFeaturizer, GraphComponent):
    """One vector per token (its normalized form, else its surface); the sentence is their mean."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SudachiTokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy", "ja_ginza"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # the installed spaCy model package whose vector table is read
            "package": "ja_ginza",
            # how the sentence vector is made from the token vectors: "mean" or "max"
            POOLING: MEAN_POOLING,
        }

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.package = self._config["package"]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "StaticWordVectorsFeaturizer":
        """The table is read here, once, not per message."""
        component = cls(config, execution_context.node_name)
        _vector_table(component.package)
        return component

    def _vector(self, table, words: List[Text]) -> Optional[np.ndarray]:
        from spacy.strings import hash_string

        for word in words:
            row = table.key2row.get(hash_string(word)) if word else None
            if row is not None and row >= 0:
                return table.data[row]
        return None

    def _features(self, message: Message) -> Optional[np.ndarray]:
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if not tokens:
            return None
        table = _vector_table(self.package)
        width = table.shape[1]
        rows = []
        for token in tokens:
            vector = self._vector(table, [token.get("normalized"), token.text])
            rows.append(vector if vector is not None else np.zeros(width, dtype=np.float32))
        return np.asarray(rows, dtype=np.float32)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            sequence = self._features(message)
            if sequence is None:
                continue
            sentence = self.aggregate_sequence_features(sequence, self._config[POOLING])
            alias = self._config[FEATURIZER_CLASS_ALIAS]
            message.add_features(Features(sequence, FEATURE_TYPE_SEQUENCE, TEXT, alias))
            message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, alias))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to check beyond the defaults."""

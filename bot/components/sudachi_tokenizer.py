"""SudachiPy tokenizer for Rasa: surface tokens with offsets, and the reading (or normalized) form as lemma.

Why not spaCy's ja_ginza here: ginza carries a 300-d vector pipeline (~300 MB resident, ~10 ms per
message) and fixes split mode C. Sudachi alone gives the tokens, plus two forms that meet users'
spelling: the normalized form (問合せ→問い合わせ, ＤＸ→DX) and the katakana reading, which is the
same for 「創業」「そうぎょう」「ｿｳｷﾞｮｳ」. Featurizers choose per instance between the surface
(``use_lemma: false``) and the lemma chosen here.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.components.dialect import standardize
from common.settings import KEPT_MESSAGE_CHARS

SKIPPED_POS = {"空白"}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SudachiTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # read by the base Tokenizer
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            # Sudachi split mode: A (short units), B (middle) or C (named entities, compounds)
            "split_mode": "C",
            # what becomes each token's lemma: "reading" (katakana) or "normalized" (表記ゆれ folded)
            "lemma": "reading",
            # Sudachi refuses very long input (over 49,149 bytes); text past what Rasa keeps of a message
            # (common/settings.py) is cut: InputGuard refuses such a message anyway
            "max_characters": KEPT_MESSAGE_CHARS,
            # rewrite Aomori dialect forms to standard Japanese first (bot/components/dialect.py)
            "dialect": False,
        }

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["ja"]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sudachipy", "sudachidict_core"]

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self.split_mode = config["split_mode"]
        self.lemma = config["lemma"]
        self.max_characters = config["max_characters"]
        self.dialect = config["dialect"]
        self._sudachi = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SudachiTokenizer":
        """The dictionary is opened lazily, once per process, on the first message."""
        return cls(config)

    def _tokenizer(self):
        if self._sudachi is None:
            from sudachipy import dictionary, tokenizer

            self._mode = getattr(tokenizer.Tokenizer.SplitMode, self.split_mode)
            self._sudachi = dictionary.Dictionary(dict="core").create()
        return self._sudachi

    def _lemma(self, morpheme) -> Text:
        form = morpheme.reading_form() if self.lemma == "reading" else morpheme.normalized_form()
        if not form or form == "キゴウ":  # Sudachi's reading for symbols it cannot read
            form = morpheme.surface()
        return unicodedata.normalize("NFKC", form).lower()

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = (message.get(attribute) or "")[: self.max_characters]
        if self.dialect:
            text = standardize(text)
        sudachi = self._tokenizer()
        tokens = []
        for morpheme in sudachi.tokenize(text, self._mode):
            surface = morpheme.surface()
            if not surface.strip() or morpheme.part_of_speech()[0] in SKIPPED_POS:
                continue  # Sudachi emits whitespace and zero-length morphemes: not tokens
            # the normalized form (表記ゆれ folded) is kept for featurizers that look words up
            tokens.append(Token(surface, morpheme.begin(), data={"normalized": morpheme.normalized_form()},
                                lemma=self._lemma(morpheme)))
        return self._apply_token_pattern(tokens)

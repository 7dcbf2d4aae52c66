"""Token-level features of a message's text that our classifiers cannot see, replaced by one
column of ones.

DIET and the response selector, with no transformer layers and no entity recognition (our
config.yml), read a message's text through one position only: the sentence's (Rasa's
`_last_token` of the combined sequence, which a transformer of 0 layers leaves as it is).
The featurizers' token-level ("sequence") features of the text still went through the
networks' dense layers for every token of every message, in training and for every typed
message, and changed nothing that was predicted. The networks need some token-level
features to know a message's length, so each token keeps one: a 1 in a single column.

Only the text's: the labels (intent names, the response selector's answers) are read as a
bag of words, the sum over all their positions (`_create_bow`), so their token features
count and are left alone.

This component goes after the featurizers and before DIET. tests/unit/test_sentence_features.py
fails if a Rasa upgrade makes DIET or the response selector read the text's token features in
this configuration (it trains a small one of each and changes only those features), or if
config.yml gives either of them transformer layers.
"""

from typing import List

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language.components.stateless import StatelessComponent

ORIGIN = "SentenceFeaturesOnly"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceFeaturesOnly(StatelessComponent):
    @staticmethod
    def replace(message: Message) -> None:
        def of_tokens(feature) -> bool:
            return feature.type == FEATURE_TYPE_SEQUENCE and feature.attribute == TEXT

        tokens = next((f for f in message.features if of_tokens(f)), None)
        if tokens is None:
            return
        message.features = [f for f in message.features if not of_tokens(f)]
        ones = scipy.sparse.coo_matrix(np.ones((tokens.features.shape[0], 1), np.float32))
        message.features.append(Features(ones, FEATURE_TYPE_SEQUENCE, TEXT, ORIGIN))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self.replace(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self.replace(message)
        return messages

"""Rasa's CountVectorsFeaturizer, with its features made for all messages at once.

Rasa's `process` calls scikit-learn's `CountVectorizer.transform` twice for every message and
every attribute (its tokens, then its joined text): about 10,000 calls over our training data,
each paying the vectorizer's and scipy's fixed costs (input checks, a new sparse matrix), so
that each of the two featurizers took 3-3.8 s of every NLU training (issue 18: retraining
after a one-line change). Here each attribute is transformed once for all messages, tokens
and joined texts, and each message gets its rows of the result: the same features (the
vectorizer reads each row on its own), in the same types and order.

tests/unit/test_count_vectors.py fails if these features ever differ from Rasa's own
CountVectorsFeaturizer's on the project's training data (both analyzers in config.yml), e.g.
after a Rasa upgrade changes how it builds them.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class BatchCountVectorsFeaturizer(CountVectorsFeaturizer):
    def process(self, messages: List[Message]) -> List[Message]:
        """Sets each message's features, as CountVectorsFeaturizer.process does."""
        if self.vectorizers is None:
            return super().process(messages)  # logs Rasa's own error and leaves them
        for attribute in self._attributes:
            tokens = [self._get_processed_message_tokens_by_attribute(message, attribute)
                      for message in messages]
            features = self._features_of_all(attribute, tokens)
            for message, (sequence, sentence) in zip(messages, features):
                self.add_features_to_message(sequence, sentence, attribute, message)
        return messages

    def _features_of_all(self, attribute: str, all_tokens: List[List[str]]
                         ) -> List[Tuple[Optional[scipy.sparse.coo_matrix],
                                         Optional[scipy.sparse.coo_matrix]]]:
        """(sequence, sentence) features of each message's tokens of `attribute`; (None,
        None) where it has none or no vectorizer was trained for the attribute."""
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer:
            return [(None, None)] * len(all_tokens)
        present = [i for i, tokens in enumerate(all_tokens) if tokens]
        flat = [token for i in present for token in all_tokens[i]]
        result: List[Tuple[Optional[scipy.sparse.coo_matrix],
                           Optional[scipy.sparse.coo_matrix]]] = [(None, None)] * len(all_tokens)
        if not present:
            return result
        sequences = vectorizer.transform(flat).tocsr()
        sentences = None
        if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            sentences = vectorizer.transform(
                [" ".join(all_tokens[i]) for i in present]).tocsr()
        start = 0
        for row, i in enumerate(present):
            end = start + len(all_tokens[i])
            sequence = sequences[start:end]
            sequence.sort_indices()
            sentence = None
            if sentences is not None:
                sentence = sentences[row:row + 1]
                sentence.sort_indices()
                sentence = sentence.tocoo()
            result[i] = (sequence.tocoo(), sentence)
            start = end
        return result

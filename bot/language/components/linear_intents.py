"""The intent classifier: a logistic regression over each featurizer's sentence features, each
block damped and scaled to length one.

It replaced DIET (2026-12-03, issue 18): DIET's 200 epochs were most of every NLU training
(138-195 s of 177-270 s), this trains in seconds, and on the held-out set it reads intents
better (docs/benchmarks-notes.md, "Session 13": intent macro-F1 0.9389 against 0.9236,
accuracy 0.931 against 0.9205, the safety report identical).

Rasa's own `LogisticRegressionClassifier` (scikit-learn) reads the featurizers' raw counts: a
long story adds up hundreds of character n-grams, its scores grow with its length, and it
lands with full confidence on whichever intent weighs common n-grams most ("push_back",
"medicine_overdose"), so the triage never started (31 held-out safety cases changed, 18
emergencies missed). Here every featurizer's counts are damped (log(1 + count)) and each
featurizer's block is scaled to unit length, as text classifiers usually are: a message's
length no longer decides its intent, and the words (few features) weigh as much as the
character n-grams (many).

- No class weights: "balanced" weights (Rasa's) favour the small intents, and "what does
  bracing the core even mean" became a question about the bot's question.
- Newton-CG reaches the same optimum as Rasa's L-BFGS (the largest difference of a
  probability 0.0002) in a third of the time.
- When Rasa fine-tunes (`make train FINETUNE=1`), the regression starts from the previous
  model's weights (the labels are the same then: Rasa refuses a fine-tune otherwise) when
  the features are too; a new word widens the featurizers' vocabularies, and then it starts
  afresh (it takes seconds either way).

The rest is Rasa's class (its training matrix, scikit-learn's model stored with skops); the
ranking is set as Rasa's `process` sets it, without scikit-learn's input checks.
tests/unit/test_linear_intents.py fails if a Rasa upgrade changes what is reused here, or if
the ranking differs from Rasa's.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (FEATURE_TYPE_SENTENCE, INTENT, INTENT_NAME_KEY,
                                      INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH


def _sentence_features(message: Message) -> Dict[Text, Any]:
    return {f.origin: f for f in message.features
            if f.type == FEATURE_TYPE_SENTENCE and f.attribute == TEXT}


def has_sentence_features(message: Message) -> bool:
    return bool(_sentence_features(message))


def _damped_unit(matrix) -> Tuple[np.ndarray, np.ndarray]:
    """The columns and values of a 1-row feature matrix, damped and scaled to unit length."""
    if scipy.sparse.issparse(matrix):
        row = matrix.tocsr()  # duplicates summed
        columns, values = row.indices, row.data.astype(np.float64)
    else:
        dense = np.asarray(matrix, dtype=np.float64).ravel()
        columns = np.flatnonzero(dense)
        values = dense[columns]
    values = np.sign(values) * np.log1p(np.abs(values))
    norm = np.sqrt(values @ values)
    return columns, (values / norm if norm else values)


def sentence_matrix(messages: List[Message]) -> scipy.sparse.csr_matrix:
    """One row per message: each featurizer's sentence features of the text, damped and scaled
    to unit length, side by side in the order of the featurizers' names. Every message must
    have the same featurizers' features (`LinearIntentClassifier.process` sets aside those
    that have none). Built from the rows' arrays directly: with scipy's sparse operations the
    classifier's node took 2.31 ms a typed message, 0.70 now (`scripts.bench.nlu_nodes`)."""
    origins = sorted(_sentence_features(messages[0]))
    columns, values, row_ends = [], [], [0]
    width = 0
    for message in messages:
        features = _sentence_features(message)
        width = stored = 0
        for origin in origins:
            matrix = features[origin].features
            block_columns, block_values = _damped_unit(matrix)
            columns.append(block_columns + width)
            values.append(block_values)
            stored += len(block_values)
            width += matrix.shape[1]
        row_ends.append(row_ends[-1] + stored)
    return scipy.sparse.csr_matrix(
        (np.concatenate(values), np.concatenate(columns), np.asarray(row_ends)),
        shape=(len(messages), width))


def probabilities(classifier, matrix: scipy.sparse.csr_matrix) -> np.ndarray:
    """A multinomial logistic regression's predict_proba: the softmax of its scores."""
    if len(classifier.classes_) < 3:
        return classifier.predict_proba(matrix)
    if not classifier.coef_.flags.f_contiguous:
        # Once a fit: scikit-learn fits `coef_` in C order, which makes `coef_.T` a
        # Fortran-ordered view, and scipy copied the whole weight matrix into C order for
        # every product (1.6 ms a message for the intents' 32 x 15,872 weights against 0.013:
        # `python -m scripts.bench.micro --only products`). The same values, laid out as the
        # product reads them.
        classifier.coef_ = np.asfortranarray(classifier.coef_)
    scores = np.asarray(matrix @ classifier.coef_.T) + classifier.intercept_
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


# Both regressions' settings (the response selector's too: linear_responses). C (scikit-learn's
# inverse regularisation) 30: at 10, messages of the training data with one apostrophe less
# ("whats the weather like tomorrow") fell under the fallback's 0.5; at 100, a euphemism for an
# emergency sign was read as push_back (docs/benchmarks-notes.md, "Session 13").
REGRESSION = {"C": 30.0, "solver": "newton-cg", "max_iter": 100, "tol": 1e-4,
              "class_weight": None, "random_state": 42}


def regression(config: Dict[Text, Any]):
    """scikit-learn's multinomial logistic regression with a component's settings."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**{key: config[key] for key in REGRESSION})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), **REGRESSION}

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = regression(self.config)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        component.clf.set_params(warm_start=bool(
            execution_context.is_finetuning and hasattr(component.clf, "coef_")))
        return component

    def train(self, training_data: TrainingData) -> Resource:
        X, y = self._create_training_matrix(training_data)
        if X.shape[0] == 0:
            return self._resource
        if self.clf.warm_start and self.clf.coef_.shape[1] != X.shape[1]:
            self.clf.set_params(warm_start=False)
        self.clf.fit(X, y)
        self.clf.set_params(warm_start=False)
        self.persist()
        return self._resource

    def _create_X(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        return sentence_matrix(messages)

    def process(self, messages: List[Message]) -> List[Message]:
        """Rasa's ranking for every message with the featurizers' sentence features; a message
        without them (no text to featurize) gets no intent, which the fallback then takes."""
        readable = []
        for message in messages:
            if has_sentence_features(message):
                readable.append(message)
            else:
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                            add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if not readable:
            return messages
        # What Rasa's process sets, without scikit-learn's input checks for every message
        # (a third of the classifier's time for one message); tests/unit/test_linear_intents.py
        # compares the two.
        length = self.config[RANKING_LENGTH]
        for message, row in zip(readable, probabilities(self.clf, self._create_X(readable))):
            order = np.argsort(-row, kind="stable")
            ranking = [{INTENT_NAME_KEY: self.clf.classes_[i], PREDICTED_CONFIDENCE_KEY: row[i]}
                       for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:length] if length > 0 else ranking,
                        add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Rasa's class ranks every training example after training; nothing in our training
        # reads an intent predicted for a training example (DIET set none either).
        return training_data

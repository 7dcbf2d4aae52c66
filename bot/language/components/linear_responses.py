"""The response selector (which FAQ or technique answer a question gets): the same logistic
regression as the intent classifier (bot.language.components.linear_intents), over the same
damped, unit-length sentence features, trained on the retrieval intents' examples with
their answers' names ("faq/keep_training") as labels.

It replaced Rasa's neural ResponseSelector, whose 50 epochs and fixed cost of preparing its
data and network were half of every NLU training once the intent classifier had become linear
(docs/benchmarks-notes.md, "Session 13"). Everything a selector hands on is Rasa's: this is a
ResponseSelector whose network is replaced, so Rasa's `process` builds the same
`response_selector` output (the answer's name, its `utter_action`, the ranking) that
ActionRetrieveResponse, `rasa test nlu` and our speedup 6 (bot/rasa_patches/speedups.py: the
selector runs only when a retrieval intent is among the first two) read.
tests/unit/test_linear_intents.py fails if a Rasa upgrade changes what is reused.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
import rasa.shared.utils.io

from bot.language.components.linear_intents import (REGRESSION, has_sentence_features,
                                                    probabilities, regression, sentence_matrix)

MODEL_FILE = "selector.skops"
RESPONSES_FILE = "responses.json"
RETRIEVAL_INTENTS_FILE = "retrieval_intents.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearResponseSelector(ResponseSelector):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**ResponseSelector.get_default_config(), **REGRESSION}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, execution_context: ExecutionContext,
                 classifier: Optional[Any] = None, **kwargs: Any) -> None:
        super().__init__(config, model_storage, resource, execution_context, **kwargs)
        self.classifier = classifier

    def train(self, training_data: TrainingData) -> Resource:
        self.all_retrieval_intents = list(training_data.retrieval_intents)
        self.responses = training_data.responses
        examples = [e for e in training_data.intent_examples
                    if e.get(INTENT_RESPONSE_KEY) and e.get(TEXT)]
        if examples:
            self.classifier = regression(self.component_config)
            self.classifier.fit(sentence_matrix(examples),
                                [e.get(INTENT_RESPONSE_KEY) for e in examples])
            self.index_label_id_mapping = dict(enumerate(self.classifier.classes_))
        self.persist()
        return self._resource

    def _predict(self, message: Message) -> Optional[Dict[Text, Any]]:
        if self.classifier is None or not has_sentence_features(message):
            return None
        # Rasa's _predict_label reads the scores under "i_scores", as DIET's network gives them
        return {"i_scores": probabilities(self.classifier, sentence_matrix([message]))}

    def persist(self) -> None:
        import skops.io

        with self._model_storage.write_to(self._resource) as path:
            rasa.shared.utils.io.dump_obj_as_json_to_file(path / RESPONSES_FILE, self.responses)
            rasa.shared.utils.io.dump_obj_as_json_to_file(path / RETRIEVAL_INTENTS_FILE,
                                                          self.all_retrieval_intents)
            if self.classifier is not None:
                skops.io.dump(self.classifier, path / MODEL_FILE)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearResponseSelector":
        import skops.io

        try:
            with model_storage.read_from(resource) as path:
                responses = rasa.shared.utils.io.read_json_file(path / RESPONSES_FILE)
                retrieval = rasa.shared.utils.io.read_json_file(path / RETRIEVAL_INTENTS_FILE)
                classifier = None
                if (path / MODEL_FILE).exists():
                    # only the types skops trusts (scikit-learn's, numpy's): a model file with
                    # any other type is refused with skops's error, never loaded
                    classifier = skops.io.load(path / MODEL_FILE, trusted=False)
        except ValueError:  # Rasa's "resource doesn't exist": not trained yet
            return cls(config, model_storage, resource, execution_context)
        mapping = dict(enumerate(classifier.classes_)) if classifier is not None else None
        return cls(config, model_storage, resource, execution_context, classifier=classifier,
                   index_label_id_mapping=mapping, all_retrieval_intents=retrieval,
                   responses=responses)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

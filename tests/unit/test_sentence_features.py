"""What bot.language.components.sentence_features relies on: with no transformer layers (and,
for DIET, no entity recognition), Rasa's DIET and response selector predict from a message's
sentence features alone, so its tokens' features can be replaced without changing any
prediction. Each is trained small on made-up features, then asked twice. (Our intent
classifier and response selector, bot.language.components.linear_intents and
linear_responses, read only sentence features by their own code; DIET and Rasa's selector are
kept here for whoever puts them back in config.yml.)"""
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import yaml

import bot.language  # noqa: F401  (skops before TensorFlow)
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language.components.sentence_features import ORIGIN, SentenceFeaturesOnly

ROOT = Path(__file__).resolve().parents[2]
WORDS = 40


def message(rng, tokens: int, intent=None) -> Message:
    sequence = scipy.sparse.coo_matrix(rng.integers(0, 2, (tokens, WORDS)).astype(np.float32))
    sentence = scipy.sparse.coo_matrix(sequence.toarray().sum(axis=0, keepdims=True))
    data = {TEXT: f"{tokens} words"}
    if intent:
        data["intent"] = intent
    return Message(data=data, features=[
        Features(sequence, FEATURE_TYPE_SEQUENCE, TEXT, "words"),
        Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, "words")])


def with_other_tokens(original: Message, rng) -> Message:
    """The same sentence features; every token's features changed (other values, more columns)."""
    features = []
    for feature in original.features:
        if feature.type == FEATURE_TYPE_SEQUENCE:
            rows = feature.features.shape[0]
            values = rng.normal(size=(rows, WORDS)).astype(np.float32)
            feature = Features(scipy.sparse.coo_matrix(values), FEATURE_TYPE_SEQUENCE, TEXT,
                               feature.origin)
        features.append(feature)
    return Message(data=dict(original.data), features=features)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    rng = np.random.default_rng(7)
    examples = [message(rng, int(rng.integers(2, 9)), intent=f"intent_{i % 4}")
                for i in range(40)]
    storage = LocalModelStorage(tmp_path_factory.mktemp("diet"))
    config = {**DIETClassifier.get_default_config(), "epochs": 3, "random_seed": 1,
              "number_of_transformer_layers": 0, "entity_recognition": False,
              "constrain_similarities": True}
    diet = DIETClassifier.create(config, storage, Resource("diet"),
                                 ExecutionContext(GraphSchema({}), "test"))
    diet.train(TrainingData(examples))
    return diet, rng


def ranking(diet, msg):
    diet.process([msg])
    return [(r["name"], round(r["confidence"], 6)) for r in msg.get("intent_ranking")]


def test_diet_without_transformer_layers_does_not_read_the_tokens_features(trained):
    diet, rng = trained
    for tokens in (1, 3, 8):
        original = message(rng, tokens)
        assert ranking(diet, original) == ranking(diet, with_other_tokens(original, rng))


@pytest.fixture(scope="module")
def selector(tmp_path_factory):
    """Rasa's response selector with its own defaults (no transformer layers), four answers."""
    rng = np.random.default_rng(5)
    examples = []
    for i in range(40):
        example = message(rng, int(rng.integers(2, 9)), intent="faq")
        example.set("intent_response_key", f"faq/q{i % 4}")
        example.set("response", f"answer {i % 4}")
        examples.append(example)
    responses = {f"utter_faq/q{k}": [{"text": f"answer {k}"}] for k in range(4)}
    storage = LocalModelStorage(tmp_path_factory.mktemp("selector"))
    config = {**ResponseSelector.get_default_config(), "epochs": 3, "random_seed": 1}
    model = ResponseSelector.create(config, storage, Resource("selector"),
                                    ExecutionContext(GraphSchema({}), "test"))
    model.train(TrainingData(examples, responses=responses))
    return model, rng


def answer_ranking(model, msg):
    # a retrieval intent, so that the selector runs (bot/rasa_patches/speedups.py, 6.)
    msg.set("intent", {"name": "faq", "confidence": 1.0})
    msg.set("intent_ranking", [{"name": "faq", "confidence": 1.0}])
    model.process([msg])
    ranking = msg.get("response_selector")["default"]["ranking"]
    return [(r["intent_response_key"], round(r["confidence"], 6)) for r in ranking]


def test_the_response_selector_does_not_read_the_tokens_features(selector):
    model, rng = selector
    for tokens in (1, 3, 8):
        original = message(rng, tokens)
        assert answer_ranking(model, original) == answer_ranking(
            model, with_other_tokens(original, rng))


def test_the_configs_classifiers_read_only_the_sentence_features():
    """The component's premise, for every classifier after it in config.yml."""
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    names = [step["name"] for step in pipeline]
    position = names.index("bot.language.components.sentence_features.SentenceFeaturesOnly")
    for step in pipeline[position + 1:]:
        if step["name"] == "DIETClassifier":
            assert step.get("number_of_transformer_layers") == 0
            assert step.get("entity_recognition") is False
        assert step["name"] in ("DIETClassifier", "ResponseSelector", "FallbackClassifier",
                                "bot.language.components.linear_intents.LinearIntentClassifier",
                                "bot.language.components.linear_responses.LinearResponseSelector",
                                "bot.language.components.input_guard.InputGuard",
                                "bot.language.components.safety_net.RedFlagSafetyNet"), (
            f"{step['name']}: does it read the text's token features?")
        if step["name"] == "ResponseSelector":
            defaults = ResponseSelector.get_default_config()
            assert step.get("number_of_transformer_layers",
                            defaults["number_of_transformer_layers"]) == 0
    # and nothing before it that produces only token features (they would be thrown away)
    assert "LexicalSyntacticFeaturizer" not in names


def test_the_component_keeps_one_column_per_token_the_sentence_and_the_labels_features():
    rng = np.random.default_rng(3)
    msg = message(rng, 5)
    sentence = msg.features[1].features.toarray()
    label = scipy.sparse.coo_matrix(np.ones((2, 3), np.float32))
    msg.features.append(Features(label, FEATURE_TYPE_SEQUENCE, "intent", "words"))
    SentenceFeaturesOnly().process_training_data(TrainingData([msg]))
    kinds = {(f.attribute, f.type, f.origin): f.features.toarray() for f in msg.features}
    assert set(kinds) == {(TEXT, FEATURE_TYPE_SENTENCE, "words"),
                          (TEXT, FEATURE_TYPE_SEQUENCE, ORIGIN),
                          ("intent", FEATURE_TYPE_SEQUENCE, "words")}
    assert (kinds[(TEXT, FEATURE_TYPE_SEQUENCE, ORIGIN)] == np.ones((5, 1))).all()
    assert (kinds[(TEXT, FEATURE_TYPE_SENTENCE, "words")] == sentence).all()
    assert (kinds[("intent", FEATURE_TYPE_SEQUENCE, "words")] == label.toarray()).all()

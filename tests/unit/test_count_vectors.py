"""bot.language.components.count_vectors makes the features of all messages at once: they must
be exactly Rasa's own CountVectorsFeaturizer's, message by message, on the project's training
data, for both featurizers of config.yml (words and word pairs; character n-grams)."""
import copy
from pathlib import Path

import pytest
import yaml

import bot.language  # noqa: F401  (skops before TensorFlow)
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.training_data.message import Message

from bot.language.components.count_vectors import BatchCountVectorsFeaturizer

ROOT = Path(__file__).resolve().parents[2]
NAME = "bot.language.components.count_vectors.BatchCountVectorsFeaturizer"


def featurizer_configs():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    configs = [{k: v for k, v in c.items() if k != "name"} for c in pipeline
               if c["name"] == NAME]
    assert len(configs) == 2, "config.yml's two count featurizers are this component"
    return configs


@pytest.fixture(scope="module")
def training_data(tmp_path_factory):
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    data = importer.get_nlu_data()
    storage = LocalModelStorage(tmp_path_factory.mktemp("tokenizer"))
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), storage,
                                           Resource("tokenizer"), context)
    tokenizer.process_training_data(data)
    # and a message with no text, as the training data's label-only messages are
    data.training_examples.append(Message(data={"intent": "greet"}))
    return data


def features_of(messages):
    return [[(f.type, f.attribute, f.origin, f.features.shape, f.features.dtype,
              f.features.row.tolist(), f.features.col.tolist(), f.features.data.tolist())
             for f in message.features] for message in messages]


@pytest.mark.parametrize("index", [0, 1], ids=["words", "characters"])
def test_the_features_of_all_messages_at_once_are_rasa_s_own(training_data, tmp_path, index):
    config = {**CountVectorsFeaturizer.get_default_config(), **featurizer_configs()[index]}
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "run_CountVectorsFeaturizer5")
    rasa_own = CountVectorsFeaturizer.create(config, storage, Resource("cv"), context)
    rasa_own.train(training_data)
    ours = BatchCountVectorsFeaturizer.load(config, storage, Resource("cv"), context)

    expected = copy.deepcopy(training_data.training_examples)
    got = copy.deepcopy(training_data.training_examples)
    rasa_own.process(expected)
    ours.process(got)
    assert sum(len(m.features) for m in expected) > 2 * len(expected) - 10
    assert features_of(got) == features_of(expected)
    # one message at a time, as the served model featurizes a typed message
    single = copy.deepcopy(training_data.training_examples[:20])
    for message in single:
        ours.process([message])
    assert features_of(single) == features_of(expected[:20])

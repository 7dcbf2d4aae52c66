"""bot.language.components.linear_intents: the intent classifier, trained on made-up sentence
features of two featurizers (a few "word" columns, many "n-gram" columns), as Rasa's graph
trains and loads it.

What it relies on in Rasa's LogisticRegressionClassifier (a Rasa upgrade that changes it fails
here): `_create_training_matrix` builds the matrix with `_create_X`, `persist`/`load` keep
`clf`, a fine-tune loads before it trains, and `process` sets what ours sets. What the damping and
the unit length are for (long stories read by their length, with Rasa's raw counts) shows
only on real messages: tests/integration/test_safety_report.py fails with Rasa's class in
its place (31 held-out conversations changed, 18 emergencies missed)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

import bot.language  # noqa: F401  (skops before TensorFlow)
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language.components.linear_intents import LinearIntentClassifier, sentence_matrix

WORDS, NGRAMS = 12, 300
INTENTS = ("first_intent", "second_intent", "third_intent")


def message(words: np.ndarray, ngrams: np.ndarray, intent=None) -> Message:
    data = {TEXT: "made up"}
    if intent:
        data["intent"] = intent
    return Message(data=data, features=[
        Features(scipy.sparse.coo_matrix(words[None, :]), FEATURE_TYPE_SENTENCE, TEXT, "words"),
        Features(scipy.sparse.coo_matrix(ngrams[None, :]), FEATURE_TYPE_SENTENCE, TEXT,
                 "ngrams")])


def example(rng, intent_index: int, length: int = 1, intent=True) -> Message:
    """A message of `length` sentences: a few words and n-grams of its intent's own, and
    common ones ("the", "my", "and") with every sentence."""
    words = rng.poisson(0.3 * length, WORDS).astype(np.float32)
    words[intent_index * 2:(intent_index + 1) * 2] += rng.integers(1, 3, 2)
    ngrams = rng.poisson(0.5 * length, NGRAMS).astype(np.float32)
    mine = slice(NGRAMS - 30 * (intent_index + 1), NGRAMS - 30 * intent_index)
    ngrams[mine] += rng.integers(0, 3, 30)
    return message(words, ngrams, intent=INTENTS[intent_index] if intent else None)


def context(finetuning: bool = False) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test", is_finetuning=finetuning)


def train(cls, path, examples, resource="intents"):
    path.mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(path)
    model = cls.create({**cls.get_default_config()}, storage, Resource(resource), context())
    model.train(TrainingData(examples))
    return model, storage


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    examples = [example(rng, i % 3) for i in range(90)]
    return rng, examples


def top(model, msg) -> str:
    model.process([msg])
    return msg.get("intent")["name"]


def test_the_matrix_is_each_featurizers_block_damped_and_of_unit_length(data):
    rng, examples = data
    matrix = sentence_matrix(examples[:5])
    assert matrix.shape == (5, WORDS + NGRAMS)
    # blocks in the order of the featurizers' names: "ngrams", then "words"
    for block in (matrix[:, :NGRAMS], matrix[:, NGRAMS:]):
        assert np.allclose(np.sqrt(block.multiply(block).sum(axis=1)), 1.0)
    counts = examples[0].features[0].features.toarray().ravel()
    words = matrix[0, NGRAMS:].toarray().ravel()
    damped = np.log1p(counts)
    assert np.allclose(words, damped / np.linalg.norm(damped))


def test_stored_and_loaded_it_ranks_the_same(tmp_path, data):
    rng, examples = data
    model, storage = train(LinearIntentClassifier, tmp_path, examples)
    loaded = LinearIntentClassifier.load(model.config, storage, Resource("intents"), context())
    for _ in range(10):
        probe = example(rng, int(rng.integers(0, 3)), intent=False)
        copy = Message(data=dict(probe.data), features=list(probe.features))
        model.process([probe])
        loaded.process([copy])
        assert probe.get("intent_ranking") == copy.get("intent_ranking")
    assert model.config["C"] == loaded.clf.C
    assert loaded.clf.class_weight is None


def test_a_fine_tune_starts_from_the_previous_weights(tmp_path, data):
    rng, examples = data
    model, storage = train(LinearIntentClassifier, tmp_path, examples)
    from_scratch = model.clf.n_iter_[0]
    tuned = LinearIntentClassifier.load(model.config, storage, Resource("intents"),
                                        context(finetuning=True))
    assert tuned.clf.warm_start
    tuned.train(TrainingData(examples + [example(rng, 2)]))
    assert tuned.clf.n_iter_[0] < from_scratch
    fresh = LinearIntentClassifier.load(model.config, storage, Resource("intents"), context())
    assert not fresh.clf.warm_start


def test_a_fine_tune_with_new_words_starts_afresh(tmp_path, data):
    """A new word in the data widens a featurizer's vocabulary: the old weights do not fit."""
    rng, examples = data
    model, storage = train(LinearIntentClassifier, tmp_path, examples)
    tuned = LinearIntentClassifier.load(model.config, storage, Resource("intents"),
                                        context(finetuning=True))

    def widened(msg):
        features = [Features(scipy.sparse.hstack([f.features, scipy.sparse.coo_matrix(
            np.ones((1, 2), np.float32))]).tocoo(), f.type, f.attribute, f.origin)
            for f in msg.features]
        return Message(data=dict(msg.data), features=features)

    tuned.train(TrainingData([widened(m) for m in examples]))
    assert tuned.clf.coef_.shape[1] == WORDS + NGRAMS + 4
    assert not tuned.clf.warm_start


def test_a_message_without_features_gets_no_intent_and_the_others_theirs(tmp_path, data):
    rng, examples = data
    model, _ = train(LinearIntentClassifier, tmp_path, examples)
    empty = Message(data={TEXT: ""})
    probe = example(rng, 2, intent=False)
    model.process([empty, probe])
    assert empty.get("intent") == {"name": None, "confidence": 0.0}
    assert empty.get("intent_ranking") == []
    assert probe.get("intent")["name"] == "third_intent"


# The response selector (bot.language.components.linear_responses): Rasa's ResponseSelector
# with the network replaced, so Rasa's own `process` builds what the dialogue reads.

def retrieval_examples(rng):
    examples = []
    for i in range(60):
        msg = example(rng, i % 3)
        msg.set("intent", "faq")
        msg.set("intent_response_key", f"faq/q{i % 3}")
        examples.append(msg)
    return examples


@pytest.fixture
def selector(tmp_path, data):
    from bot.language.components.linear_responses import LinearResponseSelector

    rng, _ = data
    responses = {f"utter_faq/q{k}": [{"text": f"utter_faq/q{k}"}] for k in range(3)}
    storage = LocalModelStorage(tmp_path)
    model = LinearResponseSelector.create(LinearResponseSelector.get_default_config(), storage,
                                          Resource("selector"), context())
    model.train(TrainingData(retrieval_examples(rng), responses=responses))
    return model, storage, rng


def ask(model, msg, intent="faq"):
    msg.set("intent", {"name": intent, "confidence": 1.0})
    msg.set("intent_ranking", [{"name": intent, "confidence": 1.0}])
    model.process([msg])
    return msg.get("response_selector")


def test_the_selector_gives_rasas_output_for_the_answer_it_picks(selector):
    model, _, rng = selector
    out = ask(model, example(rng, 2, intent=False))
    assert out["all_retrieval_intents"] == ["faq"]
    chosen = out["default"]["response"]
    assert chosen["intent_response_key"] == "faq/q2"
    assert chosen["utter_action"] == "utter_faq/q2"
    assert chosen["responses"] == [{"text": "utter_faq/q2"}]
    ranking = out["default"]["ranking"]
    assert [r["intent_response_key"] for r in ranking][0] == "faq/q2"
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6
    assert chosen["confidence"] == ranking[0]["confidence"]


def test_the_selector_runs_only_for_a_retrieval_intent(selector):
    """bot/rasa_patches/speedups.py, 6., reaches this class through Rasa's `process`."""
    model, _, rng = selector
    assert ask(model, example(rng, 1, intent=False), intent="report_symptom") is None


def test_the_selector_stored_and_loaded_picks_the_same(selector):
    from bot.language.components.linear_responses import LinearResponseSelector

    model, storage, rng = selector
    loaded = LinearResponseSelector.load(model.component_config, storage, Resource("selector"),
                                         context())
    for _ in range(6):
        probe = example(rng, int(rng.integers(0, 3)), intent=False)
        again = Message(data=dict(probe.data), features=list(probe.features))
        assert ask(model, probe) == ask(loaded, again)


def test_an_untrained_selector_loads_and_answers_nothing(tmp_path):
    from bot.language.components.linear_responses import LinearResponseSelector

    model = LinearResponseSelector.load(LinearResponseSelector.get_default_config(),
                                        LocalModelStorage(tmp_path), Resource("none"), context())
    msg = Message(data={TEXT: "x"})
    out = ask(model, msg)
    assert out["default"]["response"]["intent_response_key"] is None


def test_the_ranking_is_rasas_and_the_probabilities_scikit_learns(tmp_path, data):
    """process() sets what Rasa's LogisticRegressionClassifier.process sets, from the
    probabilities scikit-learn's predict_proba gives, for a batch and for one message."""
    from bot.language.components.linear_intents import probabilities

    rng, examples = data
    model, _ = train(LinearIntentClassifier, tmp_path, examples)
    probes = [example(rng, int(rng.integers(0, 3)), intent=False) for _ in range(8)]
    copies = [Message(data=dict(p.data), features=list(p.features)) for p in probes]
    matrix = sentence_matrix(probes)
    assert np.allclose(probabilities(model.clf, matrix), model.clf.predict_proba(matrix))
    model.process(probes)
    LogisticRegressionClassifier.process(model, copies)
    for ours, rasas in zip(probes, copies):
        assert ours.get("intent")["name"] == rasas.get("intent")["name"]
        assert [r["name"] for r in ours.get("intent_ranking")] == \
            [r["name"] for r in rasas.get("intent_ranking")]
        assert np.allclose([r["confidence"] for r in ours.get("intent_ranking")],
                           [r["confidence"] for r in rasas.get("intent_ranking")])


def test_the_weights_are_laid_out_for_the_product_and_follow_a_new_fit(tmp_path, data):
    """After the first product the weights are Fortran-ordered, so `coef_.T` is the C-ordered
    matrix scipy multiplies without copying it; fitted again (another training, a
    fine-tune), the regression scores with its new weights, as scikit-learn does."""
    from bot.language.components.linear_intents import probabilities

    rng, examples = data
    model, _ = train(LinearIntentClassifier, tmp_path, examples)
    probes = sentence_matrix([example(rng, i % 3, intent=False) for i in range(6)])
    before = probabilities(model.clf, probes)
    assert model.clf.coef_.T.flags["C_CONTIGUOUS"]
    assert np.allclose(before, model.clf.predict_proba(probes))
    # the same features, other labels: a different fit of the same shape
    relabelled = [Message(data={**m.data, "intent": INTENTS[(INTENTS.index(
        m.get("intent")) + 1) % 3]}, features=list(m.features)) for m in examples]
    model.train(TrainingData(relabelled))
    after = probabilities(model.clf, probes)
    assert model.clf.coef_.T.flags["C_CONTIGUOUS"]
    assert np.allclose(after, model.clf.predict_proba(probes))
    assert not np.allclose(after, before)

"""bot/rasa_patches/training.py on Rasa 3.6: what the training cache and fine-tuning see.

Each test fails if a Rasa upgrade changes what a patch relies on: the project's own data is
loaded through config.yml's importers, as `rasa train` loads it."""
import copy
import json
import os
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import yaml
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import RESPONSE, TEXT

import bot.language.components.importer  # noqa: F401 (what config.yml's importers does)

ROOT = Path(__file__).resolve().parents[2]
RETRIEVAL_ACTIONS = ["utter_chitchat", "utter_faq", "utter_technique"]

# One process's view of the domain as fine-tuning compares it, printed as JSON.
DOMAIN_FINGERPRINT = """
import json
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.graph_components.validators.finetuning_validator import FinetuningValidator
importer = TrainingDataImporter.load_from_config("config.yml", "domain.yml", ["data"])
domain = importer.get_domain()
print(json.dumps({
    "core": FinetuningValidator._get_fingerprint_of_domain_pruned_for_core(domain),
    "retrieval": [a for a in domain.action_names_or_texts if a in %r]}))
""" % (RETRIEVAL_ACTIONS,)


def load(root=ROOT):
    return TrainingDataImporter.load_from_config(
        str(root / "config.yml"), str(root / "domain.yml"), [str(root / "data")])


@pytest.fixture(scope="module")
def importer():
    return load()


def test_config_yml_names_the_importer_that_installs_the_patches(importer):
    from bot.language.components.importer import ProjectImporter

    # Rasa would fall back to its own importer, silently, if ours did not import.
    inner = importer.importer._importer._importers
    assert [type(i) for i in inner] == [ProjectImporter]


def test_the_domain_fingerprint_does_not_depend_on_the_hash_seed():
    # Seeds 1 and 2 gave two different orders of the retrieval actions before the patch.
    seen = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT),
               "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run([sys.executable, "-c", DOMAIN_FINGERPRINT], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
        seen.append(json.loads(out.strip().splitlines()[-1]))
    assert seen[0] == seen[1]
    assert seen[0]["retrieval"] == RETRIEVAL_ACTIONS


def test_the_nlu_gets_the_responses_names_and_the_domain_their_texts(importer):
    nlu = importer.get_nlu_data()
    assert nlu.responses and all(variations == [{TEXT: name}]
                                 for name, variations in nlu.responses.items())
    retrieval = [e for e in nlu.training_examples if e.get("intent_response_key")]
    assert retrieval and all(e.get(RESPONSE) == f"utter_{e.get_full_intent()}" for e in retrieval)
    texts = importer.get_domain().responses
    assert set(nlu.responses) <= set(texts)
    assert all(texts[name][0].get(TEXT) not in (None, name) for name in nlu.responses)
    # Rasa's selector uses the names as labels, not the texts (a newer default would not).
    from rasa.nlu.selectors.response_selector import ResponseSelector

    assert ResponseSelector.get_default_config()["use_text_as_label"] is False
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    # ours (bot.language.components.linear_responses) learns the names by its own code
    selectors = [c for c in config["pipeline"] if c["name"].endswith("ResponseSelector")]
    assert selectors and not any(c.get("use_text_as_label") for c in selectors)


def test_an_answer_s_text_no_longer_changes_the_nlu_data_but_an_example_does(tmp_path):
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    before = load(tmp_path).get_nlu_data().fingerprint()

    retrieval = tmp_path / "data" / "responses" / "retrieval.yml"
    data = yaml.safe_load(retrieval.read_text())
    name = sorted(data["responses"])[0]
    data["responses"][name][0]["text"] += " Edited."
    retrieval.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    edited = load(tmp_path)
    assert edited.get_domain().responses[name][0]["text"].endswith(" Edited.")
    assert edited.get_nlu_data().fingerprint() == before

    greet = tmp_path / "data" / "nlu" / "basics.yml"
    greet.write_text(greet.read_text().replace("- intent: greet\n  examples: |\n",
                                               "- intent: greet\n  examples: |\n"
                                               "    - hello there, friend\n", 1))
    assert "hello there, friend" in greet.read_text()
    assert load(tmp_path).get_nlu_data().fingerprint() != before


def test_the_spacy_model_s_fingerprint_follows_its_patterns(tmp_path):
    from rasa.engine.training.fingerprinting import calculate_fingerprint_key
    from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
    from rasa.shared.utils.io import deep_container_fingerprint

    sha = tmp_path / "patterns.sha256"
    config = {**SpacyNLP.get_default_config(), "model": str(tmp_path)}

    def seen():
        # the key of the node that loads the model, and what its children see of it
        return (calculate_fingerprint_key(SpacyNLP, config, {}),
                deep_container_fingerprint(SpacyModel(None, str(tmp_path))))

    sha.write_text("aaa\n")
    first = seen()
    assert seen() == first
    sha.write_text("bbb\n")
    second = seen()
    assert second[0] != first[0] and second[1] != first[1]
    sha.unlink()  # not one of our models: Rasa's own fingerprint, the path
    assert deep_container_fingerprint(SpacyModel(None, str(tmp_path))) == str(tmp_path)


def graph_schemas(is_finetuning=False):
    from rasa.engine.recipes.recipe import Recipe
    from rasa.shared.data import TrainingType
    from rasa.shared.utils.io import read_model_configuration

    config = read_model_configuration(str(ROOT / "config.yml"))
    recipe = Recipe.recipe_for_name(config.get("recipe"))
    return recipe.graph_config_for_recipe(
        copy.deepcopy(config), {"finetuning_epoch_fraction": 0.1},
        training_type=TrainingType.BOTH, is_finetuning=is_finetuning)


def graph(is_finetuning):
    return graph_schemas(is_finetuning).train_schema


def test_a_fine_tune_keys_every_trained_nlu_component_apart_and_rasa_still_accepts_it():
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.training.fingerprinting import calculate_fingerprint_key
    from rasa.graph_components.validators.finetuning_validator import FinetuningValidator

    full, tune = graph(False), graph(True)
    assert full.nodes.keys() == tune.nodes.keys()
    nlu_trained = [name for name, node in tune.nodes.items()
                   if name.startswith("train_") and node.constructor_name == "load"
                   and "Policy" not in node.uses.__name__]
    assert {tune.nodes[name].uses.__name__ for name in nlu_trained} >= {
        "CountVectorsFeaturizer", "LinearIntentClassifier",
        "LinearResponseSelector"}
    for name in nlu_trained:
        assert tune.nodes[name].config["finetuning_epoch_fraction"] == 0.1, name
        assert "finetuning_epoch_fraction" not in full.nodes[name].config, name
        keys = {calculate_fingerprint_key(s.nodes[name].uses, s.nodes[name].config, {})
                for s in (full, tune)}
        assert len(keys) == 2, name
    # RulePolicy keeps Rasa's key: its training replaces what it loaded.
    assert full.nodes["train_RulePolicy0"].config == tune.nodes["train_RulePolicy0"].config

    def validator_view(schema):
        context = ExecutionContext(graph_schema=schema)
        validator = FinetuningValidator({"validate_core": True, "validate_nlu": True},
                                        None, None, context)
        return validator._get_fingerprint_of_schema_without_irrelevant_keys()

    assert validator_view(full) == validator_view(tune)


def test_a_yaml_content_that_passed_rasas_schema_check_is_not_checked_again(
        tmp_path, monkeypatch):
    """5.: Rasa's readers go through the remembered check; a bad file still gets Rasa's
    error, every time, and is never remembered."""
    import rasa.shared.utils.validation as validation
    from rasa.shared.core.domain import Domain
    from rasa.shared.exceptions import YamlException

    from bot.rasa_patches import training

    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "cache"))
    assert validation.validate_yaml_schema is not validation._rasa_validate_yaml_schema
    record = tmp_path / "cache" / training.SCHEMA_PASSES_FILE
    good = (ROOT / "domain.yml").read_text() + "\n# a content not seen before\n"
    Domain.from_yaml(good)  # Rasa's own reader: its check went through the patch
    key = training.schema_key(good, "shared/utils/schemas/domain.yml", validation.PACKAGE_NAME)
    assert key in record.read_text().split()
    lines = len(record.read_text().split())
    Domain.from_yaml(good)
    assert len(record.read_text().split()) == lines  # passed before: not checked again

    bad = "version: \"3.1\"\nintents:\n  - greet: {use_entities: 7, nonsense: [}\n"
    for _ in range(2):
        with pytest.raises(YamlException):
            validation.validate_yaml_schema(bad, "shared/utils/schemas/domain.yml")
    wrong_shape = "version: \"3.1\"\nresponses:\n  utter_x: 12\n"
    for _ in range(2):
        with pytest.raises(YamlException):
            Domain.from_yaml(wrong_shape)
    assert len(record.read_text().split()) == lines


def test_training_reads_its_data_without_the_annotating_spacy_pipes(importer):
    """6.: on the built pipeline and the project's own training data, what Rasa's tokenizer
    takes from spaCy's docs is the same with the annotating pipes off, and they are on again
    afterwards (for messages at inference)."""
    import random

    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
    from rasa.nlu.utils.spacy_utils import SpacyNLP
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.language.build import ANNOTATING_PIPES

    assert SpacyNLP.process_training_data._skips == ANNOTATING_PIPES
    # what Rasa checks before every training (a wrapper without them stops the training)
    assert typing.get_type_hints(SpacyNLP.process_training_data) == typing.get_type_hints(
        SpacyNLP._rasa_process_training_data) != {}
    model_path = ROOT / "build" / "spacy_model"
    if not model_path.exists():
        pytest.fail("no spaCy pipeline at build/spacy_model: run `make build-nlp`")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**SpacyNLP.get_default_config(), "model": str(model_path)}
    # a served or tested model's SpaCy model (Rasa's predict graph builds it with `load`)
    spacy_nlp = SpacyNLP.load(config, None, Resource("spacy"), context)
    model = spacy_nlp.provide()
    nlp = model.model
    assert set(ANNOTATING_PIPES) <= set(nlp.pipe_names)
    # the training graph's (built with `create`) does not load those pipes at all
    for_training = SpacyNLP.create(config, None, Resource("spacy"), context)
    assert not set(ANNOTATING_PIPES) & set(for_training.provide().model.pipe_names)
    assert for_training.provide().fingerprint() == model.fingerprint()
    schemas = graph_schemas()
    assert schemas.train_schema.nodes["provide_SpacyNLP0"].constructor_name == "create"
    assert schemas.predict_schema.nodes["provide_SpacyNLP0"].constructor_name == "load"
    # the training graph's node that reads the data is built with `load` too: it gets the
    # training's pipeline (the same object), a served model's nodes the whole one
    run_node = schemas.train_schema.nodes["run_SpacyNLP0"]
    assert (run_node.constructor_name, run_node.fn) == ("load", "process_training_data")
    in_training = SpacyNLP.load(config, None, Resource("spacy"), ExecutionContext(
        schemas.train_schema, node_name="run_SpacyNLP0"))
    assert in_training.provide().model is for_training.provide().model
    # a fine-tune's graph builds them the same way
    finetune = graph_schemas(is_finetuning=True).train_schema
    assert [finetune.nodes[name].constructor_name
            for name in ("provide_SpacyNLP0", "run_SpacyNLP0")] == ["create", "load"]
    for node_name in ("provide_SpacyNLP0", "run_SpacyNLP0"):
        assert node_name in schemas.predict_schema.nodes
        served = SpacyNLP.load(config, None, Resource("spacy"), ExecutionContext(
            schemas.predict_schema, node_name=node_name))
        assert set(ANNOTATING_PIPES) <= set(served.provide().model.pipe_names)
    # a missing pipeline still gets Rasa's own error, with its advice
    from rasa.nlu.utils.spacy_utils import InvalidModelError
    with pytest.raises(InvalidModelError):
        SpacyNLP.create({**config, "model": str(ROOT / "build" / "nowhere")}, None,
                        Resource("spacy"), context)
    tokenizer = SpacyTokenizer.create(SpacyTokenizer.get_default_config(), None,
                                      Resource("tokens"), context)
    examples = importer.get_nlu_data().training_examples
    sample = random.Random(6).sample(examples, 400)

    def tokens(process):
        data = TrainingData([copy.deepcopy(m) for m in sample])
        tokenizer.process_training_data(process(spacy_nlp, data, model))
        return [[(t.text, t.start, t.end, t.lemma, t.data) for t in m.get("text_tokens") or []]
                for m in data.training_examples]

    ours = tokens(SpacyNLP.process_training_data)
    assert nlp.disabled == [] and nlp.pipe_names[-len(ANNOTATING_PIPES):] == list(
        ANNOTATING_PIPES)
    assert ours == tokens(SpacyNLP._rasa_process_training_data)
    data = TrainingData([copy.deepcopy(m) for m in sample])
    tokenizer.process_training_data(SpacyNLP.process_training_data(
        for_training, data, for_training.provide()))
    assert ours == [[(t.text, t.start, t.end, t.lemma, t.data) for t in m.get("text_tokens")
                     or []] for m in data.training_examples]
    assert sum(len(t) for t in ours) > 2000
    # a message at inference still gets the annotations (here: the detector's reading)
    assert nlp("i cant feel my groin when i wipe")._.screens


def sparse_feature(values, shape=None, origin="words"):
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    matrix = scipy.sparse.coo_matrix(np.asarray(values, dtype=np.int64))
    if shape is not None:
        matrix = scipy.sparse.coo_matrix((matrix.data, (matrix.row, matrix.col)), shape=shape)
    return Features(matrix, "sentence", "text", origin)


def test_sparse_features_are_fingerprinted_by_their_values_positions_and_shape():
    """7. The same values give the same fingerprint; a value, a position, the shape, the
    origin changed give another; a dense feature keeps Rasa's own fingerprint."""
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features

    rng = np.random.default_rng(3)
    values = rng.integers(0, 3, (40, 300)) * (rng.random((40, 300)) < 0.05)
    first = sparse_feature(values).fingerprint()
    assert sparse_feature(values.copy()).fingerprint() == first
    changed = values.copy()
    changed[20, 150] = 7  # in the middle, where Rasa's own text of a matrix is long
    moved = np.roll(values, 1, axis=1)
    assert len({first, sparse_feature(changed).fingerprint(),
                sparse_feature(moved).fingerprint(),
                sparse_feature(values, shape=(40, 301)).fingerprint(),
                sparse_feature(values, origin="chars").fingerprint()}) == 5
    dense = Features(values.astype(np.float32), "sentence", "text", "dense")
    assert dense.fingerprint() == Features._rasa_fingerprint(
        Features(values.astype(np.float32), "sentence", "text", "dense"))


def test_a_sparse_fingerprint_is_the_same_in_another_process_and_much_cheaper_than_rasa_s():
    """Rasa's cache compares fingerprints across trainings: they must not depend on the
    process. And the point of it: Rasa wrote every value as text (1-2 s a featurizer)."""
    import time

    import numpy as np
    from rasa.shared.nlu.training_data.features import Features

    script = ("import numpy as np, bot.language.components.importer, "
              "tests.unit.test_rasa_training_patches as t; "
              "v = np.arange(600).reshape(20, 30) % 4; print(t.sparse_feature(v).fingerprint())")
    other = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                           text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    here = sparse_feature(np.arange(600).reshape(20, 30) % 4).fingerprint()
    assert other.stdout.strip().splitlines()[-1] == here

    rng = np.random.default_rng(5)
    big = rng.integers(1, 4, (3000, 2000)) * (rng.random((3000, 2000)) < 0.01)
    ours = sparse_feature(big)
    start = time.perf_counter()
    ours.fingerprint()
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    Features._rasa_fingerprint(sparse_feature(big))
    rasa_s = time.perf_counter() - start
    assert ours_s * 5 < rasa_s, (ours_s, rasa_s)


def test_a_kept_token_fingerprint_is_rasa_s_and_follows_rasa_s_own_changes_of_a_token():
    """8. Kept until the token changes: RegexFeaturizer (in config.yml) marks the tokens that
    match a lookup table through Token.set, after the tokenizer; the fingerprint must follow."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
    from rasa.nlu.tokenizers.tokenizer import Token
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    storage = LocalModelStorage(Path(__import__("tempfile").mkdtemp()))
    context = ExecutionContext(GraphSchema({}), "test")
    message = Message(data={TEXT: "my back hurts after leg press"})
    WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), storage,
                               Resource("t"), context).process([message])
    tokens = message.get("text_tokens")
    before = [token.fingerprint() for token in tokens]
    assert before == [Token._rasa_fingerprint(token) for token in tokens]
    regex = RegexFeaturizer.create(RegexFeaturizer.get_default_config(), storage,
                                   Resource("r"), context)
    regex.train(TrainingData(lookup_tables=[{"name": "exercise",
                                             "elements": ["leg press", "squat"]}]))
    regex.process([message])
    after = [token.fingerprint() for token in tokens]
    assert after == [Token._rasa_fingerprint(token) for token in tokens]
    assert after != before  # the tokens' "pattern" data changed, and their fingerprints


def test_rasa_train_gives_its_training_the_importer_its_validation_built(monkeypatch, tmp_path):
    """9.: Rasa's own `rasa train` builds the project's importer twice (its validation's and
    its training's), ours once, and both come to the same decision (a dry run: what the
    training cache says needs training)."""
    import argparse

    import rasa
    import rasa.cli.train

    from bot.language.components.importer import ProjectImporter
    from bot.rasa_patches import training

    # what the training adds (augmentation, ...) is not for our importer; one that took it
    # would get an importer of its own
    config = str(ROOT / "config.yml")
    assert not training.importers_take_any(config, {"augmentation_factor": 0, "debug_plots": 0})
    assert training.importers_take_any(config, {"training_data_paths": ["elsewhere"]})
    training.share_the_validation_s_importer()
    ours = rasa.cli.train.run_training
    rasa_run_training = ours.__wrapped__
    parser = argparse.ArgumentParser()
    rasa.cli.train.add_subparser(parser.add_subparsers(), parents=[])
    args = parser.parse_args([
        "train", "--dry-run", "--config", str(ROOT / "config.yml"),
        "--domain", str(ROOT / "domain.yml"), "--data", str(ROOT / "data"),
        "--out", str(tmp_path), "--augmentation", "0"])
    built, codes = [], []
    rasa_init, rasa_train = ProjectImporter.__init__, rasa.train

    def init(self, *a, **k):
        built.append(self)
        rasa_init(self, *a, **k)

    def train(*a, **k):
        result = rasa_train(*a, **k)
        codes.append(result.code)
        return result

    monkeypatch.setattr(ProjectImporter, "__init__", init)
    monkeypatch.setattr(rasa, "train", train)
    rasa_run_training(args)
    assert len(built) == 2, "Rasa no longer builds two importers: patch 9 may go"
    load = rasa.shared.importers.importer.TrainingDataImporter.load_from_config
    ours(args)
    assert len(built) == 3 and codes[0] == codes[1]
    # the command's own importer is gone afterwards (the next command reads the files again)
    assert rasa.shared.importers.importer.TrainingDataImporter.load_from_config is load


def test_every_spelling_of_the_same_nlu_data_call_reads_the_files_once(monkeypatch):
    """10.: Rasa's start of training, its validation and its graph ask for the NLU data with
    and without the language; the files are read once and every caller gets the same data."""
    from rasa.shared.importers.rasa import RasaFileImporter

    reads = []
    rasa_read = RasaFileImporter.get_nlu_data

    def read(self, language="en"):
        reads.append(language)
        return rasa_read(self, language)

    monkeypatch.setattr(RasaFileImporter, "get_nlu_data", read)
    fresh = load()
    first = fresh.get_nlu_data()
    assert fresh.get_nlu_data("en") is first and fresh.get_nlu_data(language="en") is first
    fresh.get_domain()  # the responses' sync reads the NLU data too
    assert reads == ["en"]
    # Rasa's own caching keeps each spelling apart: the premise of the patch
    from rasa.shared.importers.importer import E2EImporter
    assert E2EImporter._rasa_get_nlu_data(fresh) is not E2EImporter._rasa_get_nlu_data(
        fresh, language="en")
    assert fresh.get_nlu_data("fr") is not first and reads == ["en", "fr"]


def test_the_model_archive_is_written_at_gzip_s_default_level_and_rasa_reads_it(tmp_path):
    """11.: Rasa's own LocalModelStorage packs the trained model again (the storage and the
    configuration of models/triage.tar.gz); the archive is at level 6 (gzip's header says
    which: 2 for 9, 0 for 6) and Rasa unpacks it to the same model."""
    from rasa.engine.graph import GraphModelConfiguration
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    model = ROOT / "models" / "triage.tar.gz"
    if not model.exists():
        pytest.fail("no trained model at models/triage.tar.gz: run `make train`")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    storage, metadata = LocalModelStorage.from_model_archive(tmp_path / "a", model)
    configuration = GraphModelConfiguration(
        metadata.train_schema, metadata.predict_schema, metadata.training_type,
        metadata.assistant_id, metadata.language, metadata.core_target, metadata.nlu_target)
    again = tmp_path / "again.tar.gz"
    storage.create_model_package(again, configuration, metadata.domain)
    assert again.read_bytes()[8] == 0  # XFL: 2 is level 9 (Rasa's), 4 level 1
    _, read = LocalModelStorage.from_model_archive(tmp_path / "b", again)
    assert read.predict_schema.as_dict() == metadata.predict_schema.as_dict()
    assert read.domain.fingerprint() == metadata.domain.fingerprint()
    files = {p.relative_to(tmp_path / "a"): p.read_bytes()
             for p in (tmp_path / "a").rglob("*") if p.is_file()}
    assert len(files) > 5 and files == {p.relative_to(tmp_path / "b"): p.read_bytes()
                                        for p in (tmp_path / "b").rglob("*") if p.is_file()}

"""What Rasa 3.6 fingerprints when it trains, made to follow what a change really invalidates,
so that its training cache and `rasa train --finetune` work for this bot (issue 18).

1. The domain's retrieval actions (utter_chitchat, utter_faq, utter_technique) were listed in
   the order of a Python set (ResponsesSyncImporter._get_domain_with_retrieval_intents gets
   the retrieval intents as a set), so the domain's fingerprint depended on the process's hash
   seed: `rasa train --finetune` refused an unchanged model in 8 of 9 runs ("keys that affect
   the training of core components have changed"). The intents are now passed in sorted order.
2. Rasa gives the NLU every retrieval response's texts (about 258,000 characters): each
   example of faq/technique/chitchat carries its answer's text, which spaCy then parses, and
   an edited answer changed the NLU data's fingerprint and retrained every NLU component.
   Our ResponseSelector learns the responses' names, not their texts (use_text_as_label is
   False, Rasa's default): the NLU now gets each response's name as its only text. The answers
   the bot sends come from the domain (ActionRetrieveResponse reads the selector's
   utter_action), which keeps every text; the parse data's "responses" then holds the name.
3. Rasa fingerprints a spaCy model by its path only (SpacyModel.fingerprint), so a rebuilt
   build/spacy_model (new patterns, same path) restored every NLU component from the cache,
   stale. The fingerprint now includes the model's patterns.sha256 (written by
   bot.language.build), in the node that loads it (SpacyNLP.fingerprint_addon) and in what it
   hands on (SpacyModel.fingerprint).
4. A fine-tuned component must never be restored into a full training: Rasa keys a trained
   node by its class, config and inputs, and in a fine-tune it adds `finetuning_epoch_fraction`
   to the config of components with epochs (DIET, ResponseSelector) only. The featurizers
   (their vocabularies kept from the previous model) had the same key as in a full training,
   so the next full training restored them and DIET then missed its cache (its inputs
   differed). Every NLU component trained in a fine-tune now carries the fraction, which the
   FinetuningValidator ignores. RulePolicy keeps Rasa's key: its training replaces every table
   it loaded, so a fine-tune gives what a full training gives, and unchanged rules and stories
   are restored from the full training's cache.

5. Rasa checks every YAML file it reads against its schema (pykwalify, after parsing the
   file a second time in round-trip mode) on every read, and `rasa train` reads each file
   two to four times: 4.7 s of a 20 s training that restores everything from the cache
   (cProfile, 47 checks). A content that passed the check once passes it again: each
   passing (Rasa version, schema, content) is remembered by its SHA-256 in a file beside
   Rasa's training cache (`.rasa/cache/yaml-schema-passed.txt`), and only new or changed
   content is checked, by Rasa, with Rasa's errors. Removing the file only costs the time.

6. Rasa's SpacyNLP runs the whole spaCy pipeline over every training text, though in a
   training nothing but the tokenizer reads spaCy's docs (tokens, lemmas, tags): our
   pipeline's annotating pipes (entity patterns, ambiguity, negation, ConText, the learned
   detector: bot.language.build.ANNOTATING_PIPES, handed over by the importer) were 95 % of
   spaCy's own time there, 5.85 of 6.13 s over the 2,687 training texts (the same tokens,
   lemmas and tags without them: tests/unit/test_rasa_training_patches.py). They are
   switched off while SpacyNLP reads the training data, and on again for everything else
   (messages at inference, `rasa test`): the training's spaCy node 11.0 -> 5.4 s.
   The training graph then does not load them at all: Rasa's default recipe builds the
   training graph's SpacyNLP with `create` and a served or tested model's with `load` (which
   Rasa leaves to `create`); `create` now loads the pipeline without the annotating pipes and
   `load` with all of them. Loading it: 2.5-2.7 -> 0.4 s of every training.
   The training graph also builds a second SpacyNLP with `load`, for its node that reads the
   training data (`run_SpacyNLP0`: Rasa's recipe gives every run node `load`); that node is
   handed the provider's pipeline and never uses its own, yet Rasa's `load` read the whole
   pipeline again (medspaCy's import and ConText's rules included: 1.8 s of a 20 s retraining,
   py-spy). A `load` in a training graph (one with a `process_training_data` node) now
   shares the pipeline `create` loaded (the same model path, patterns and files).

7. After every node, Rasa's training cache fingerprints the node's output, and the training
   data's fingerprint is each message's, which is each of its features' (Features.fingerprint).
   A sparse feature matrix was fingerprinted by writing every value as text, one Python
   string per value ("(i, j)\tv", rasa.shared.nlu.training_data.util.
   sparse_matrix_to_string): 1.0 s after the word-count featurizer and 2.0 s after the
   character n-grams on the AMD machine, in every NLU training. Sparse features are now
   fingerprinted by the bytes of their coordinate arrays, dtypes and shape: the same values
   give the same fingerprint in every process, and any change of a value, a position or the
   shape a new one. (A dense feature keeps Rasa's way, its bytes.) The fingerprints differ
   from Rasa's own, so a cache filled before misses once.
8. The same fingerprints of the training data also fingerprint every token of every message
   each time (a message's fingerprint is recomputed once a node adds features to it, and a
   Token's is never kept): 104,000 token fingerprints in one NLU training, 5.6 of the 8.4 s
   that the cache's hooks took (cProfile of a retraining after one new example). A token's
   fingerprint is now kept until Token.set changes its data, which is how Rasa's components
   change a token after the tokenizer made it (RegexFeaturizer's "pattern"); the same value
   as Rasa's.

9. `rasa train` builds one importer for its validation and another for the training, from
   the same files: each read and merged all the data again (the NLU data, the domain, the
   stories; 1.0-1.5 s of a 20 s retraining, py-spy). Within one `rasa train` command the
   training now gets the validation's importer when both are built from the same config,
   domain and data paths and no configured importer takes the training's extra arguments;
   the validation only reads. Installed by `bot.language.run_rasa` for the train command
   (`share_the_validation_s_importer`), as it has to wrap the command before it starts.

10. Rasa's importers keep what `get_nlu_data` returned by the arguments as written, so
   `get_nlu_data()` (the training's start, the validation, the domain's retrieval intents)
   and `get_nlu_data(language="en")` or `get_nlu_data("en")` (the graph's NLU provider, the
   responses' sync) each read and merged all the NLU data again, deep copies of every
   message included (about 0.8 s of a 20 s retraining, py-spy). The combined and the
   end-to-end importers now keep it by language: every spelling of the same call gets the
   same data, once.

11. Rasa writes the model's archive at gzip's highest level (9): 0.62 s of every training
   for an archive of 3,800,591 bytes, against 0.14 s and 3,807,228 bytes (0.2 % more) at
   level 6, gzip's own default (8.7 MB of files, 2026-12-04). The archive is written at 6;
   Rasa reads it as before.

Installed once per process by bot.language.components.importer (named in config.yml's
`importers`, so every Rasa command that reads the training data has it before it reads
anything). Tests: tests/unit/test_rasa_training_patches.py, and
tests/integration/test_response_selection.py for the trained model.
"""
from __future__ import annotations

import typing
from pathlib import Path

PATTERNS_HASH_FILE = "patterns.sha256"

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _sorted_retrieval_actions()
    _response_names_for_the_nlu()
    _fingerprint_spacy_model_by_its_patterns()
    _key_finetuned_nlu_components_apart()
    _check_each_yaml_content_once()
    _fingerprint_sparse_features_by_their_bytes()
    _keep_token_fingerprints()
    _nlu_data_kept_by_language()
    _model_archive_at_gzip_s_default_level()


def _keep_token_fingerprints() -> None:
    """8. (module docstring)"""
    from rasa.nlu.tokenizers.tokenizer import Token

    rasa_fingerprint, rasa_set = Token.fingerprint, Token.set

    def fingerprint(self) -> str:
        kept = self.__dict__.get("_kept_fingerprint")
        if kept is None:
            kept = self._kept_fingerprint = rasa_fingerprint(self)
        return kept

    def set(self, prop, info) -> None:
        self.__dict__.pop("_kept_fingerprint", None)
        rasa_set(self, prop, info)

    Token.fingerprint, Token.set = fingerprint, set
    Token._rasa_fingerprint = rasa_fingerprint  # for the tests


def _nlu_data_kept_by_language() -> None:
    """10. get_nlu_data(), get_nlu_data("en") and get_nlu_data(language="en"): one reading."""
    from rasa.shared.importers.importer import CombinedDataImporter, E2EImporter

    for cls in (CombinedDataImporter, E2EImporter):
        rasa_get_nlu_data = cls.get_nlu_data  # Rasa's cached_method, keyed by its arguments

        def get_nlu_data(self, language="en", _rasa=rasa_get_nlu_data):
            return _rasa(self, language)

        get_nlu_data.__doc__ = rasa_get_nlu_data.__doc__
        cls.get_nlu_data = get_nlu_data
        cls._rasa_get_nlu_data = rasa_get_nlu_data


MODEL_ARCHIVE_LEVEL = 6


def _model_archive_at_gzip_s_default_level() -> None:
    """11. The model's archive written at gzip's level 6, not 9."""
    from rasa.engine.storage import local_model_storage

    rasa_tar = local_model_storage.TarSafe

    class TarSafe(rasa_tar):
        @classmethod
        def open(cls, name=None, mode="r", fileobj=None, bufsize=10240, **kwargs):
            if mode == "w:gz":
                kwargs.setdefault("compresslevel", MODEL_ARCHIVE_LEVEL)
            return super().open(name, mode, fileobj, bufsize, **kwargs)

    local_model_storage.TarSafe = TarSafe
    local_model_storage._rasa_TarSafe = rasa_tar


def sparse_fingerprint(matrix) -> str:
    """A fingerprint of a scipy sparse matrix: its shape and its COO arrays, as bytes."""
    import hashlib

    import numpy as np

    coo = matrix.tocoo()
    digest = hashlib.sha256(repr((coo.shape, str(coo.data.dtype))).encode())
    for array in (coo.row, coo.col, coo.data):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _fingerprint_sparse_features_by_their_bytes() -> None:
    """7. (module docstring)"""
    import rasa.shared.utils.io
    from rasa.shared.nlu.training_data.features import Features

    rasa_fingerprint = Features.fingerprint

    def fingerprint(self) -> str:
        if self._cached_fingerprint is None and not self.is_dense():
            self._cached_fingerprint = rasa.shared.utils.io.deep_container_fingerprint(
                [self.type, self.origin, self.attribute, sparse_fingerprint(self.features)])
        return rasa_fingerprint(self)

    Features.fingerprint = fingerprint
    Features._rasa_fingerprint = rasa_fingerprint  # for the tests


def _sorted_retrieval_actions() -> None:
    """1. The retrieval intents (and so their actions) in sorted order, not a set's."""
    from rasa.shared.importers.importer import ResponsesSyncImporter

    rasa_build = ResponsesSyncImporter._get_domain_with_retrieval_intents

    def _get_domain_with_retrieval_intents(retrieval_intents, responses, existing_domain):
        return rasa_build(sorted(retrieval_intents), responses, existing_domain)

    ResponsesSyncImporter._get_domain_with_retrieval_intents = staticmethod(
        _get_domain_with_retrieval_intents)
    ResponsesSyncImporter._rasa_get_domain_with_retrieval_intents = staticmethod(rasa_build)


def _response_names_for_the_nlu() -> None:
    """2. The NLU training data with each response's name instead of its texts."""
    from rasa.shared.importers.importer import ResponsesSyncImporter

    rasa_get_nlu_data = ResponsesSyncImporter.get_nlu_data

    def get_nlu_data(self, language="en"):
        cached = getattr(self, "_nlu_data_with_response_names", None)
        if cached is None or cached[0] != language:
            cached = (language, with_response_names(rasa_get_nlu_data(self, language)))
            self._nlu_data_with_response_names = cached
        return cached[1]

    ResponsesSyncImporter.get_nlu_data = get_nlu_data
    ResponsesSyncImporter._rasa_get_nlu_data = rasa_get_nlu_data


def with_response_names(data):
    """A copy of `data` whose responses are {name: [{"text": name}]}: what the response
    selector needs (the names it predicts), without the texts. Examples are copied, not
    changed: Rasa set each retrieval example's `response` to its answer's text."""
    from rasa.shared.nlu.constants import RESPONSE, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    if not data.responses:
        return data
    examples = [
        Message(data={key: value for key, value in example.data.items() if key != RESPONSE},
                output_properties=set(example.output_properties), time=example.time,
                features=list(example.features))
        for example in data.training_examples
    ]
    return TrainingData(examples, data.entity_synonyms, data.regex_features,
                        data.lookup_tables, {name: [{TEXT: name}] for name in data.responses})


def patterns_hash(model_path) -> str | None:
    """The content of a project spaCy model's patterns.sha256, or None (another model)."""
    try:
        return (Path(str(model_path)) / PATTERNS_HASH_FILE).read_text().strip() or None
    except OSError:
        return None


def _fingerprint_spacy_model_by_its_patterns() -> None:
    """3. The spaCy model's fingerprint is its path and its patterns' hash."""
    from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

    rasa_fingerprint = SpacyModel.fingerprint

    def fingerprint(self) -> str:
        sha = patterns_hash(self.model_name)
        return rasa_fingerprint(self) if sha is None else f"{self.model_name}#{sha}"

    def fingerprint_addon(cls, config):
        return patterns_hash((config or {}).get("model"))

    SpacyModel.fingerprint = fingerprint
    SpacyNLP.fingerprint_addon = classmethod(fingerprint_addon)


def _key_finetuned_nlu_components_apart() -> None:
    """4. In a fine-tune, every trained NLU component's config carries the epoch fraction."""
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    rasa_add_train_node = DefaultV1Recipe._add_nlu_train_node

    def _add_nlu_train_node(self, train_nodes, component, component_name, last_run_node,
                            config, cli_parameters):
        name = rasa_add_train_node(self, train_nodes, component, component_name,
                                   last_run_node, config, cli_parameters)
        node = train_nodes[name]
        if self._is_finetuning and "finetuning_epoch_fraction" not in node.config:
            fraction = cli_parameters.get("finetuning_epoch_fraction")
            node.config = {**node.config,
                           "finetuning_epoch_fraction": 1.0 if fraction is None else fraction}
        return name

    DefaultV1Recipe._add_nlu_train_node = _add_nlu_train_node


SCHEMA_PASSES_FILE = "yaml-schema-passed.txt"


def schema_passes_file() -> Path:
    from rasa.engine.caching import LocalTrainingCache

    return LocalTrainingCache._get_cache_location() / SCHEMA_PASSES_FILE


def schema_key(content: str, schema_path: str, package_name: str) -> str:
    import hashlib

    import rasa

    digest = hashlib.sha256()
    for part in (rasa.__version__, package_name, schema_path, content):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _check_each_yaml_content_once() -> None:
    """5. Rasa's YAML schema check, skipped for a content that passed it before."""
    import rasa.shared.utils.validation as validation

    rasa_validate = validation.validate_yaml_schema
    passed: set = set()
    loaded = []

    def validate_yaml_schema(yaml_file_content, schema_path,
                             package_name=validation.PACKAGE_NAME):
        where = schema_passes_file()
        if not loaded:
            loaded.append(where)
            if where.is_file():
                passed.update(where.read_text().split())
        key = schema_key(yaml_file_content, schema_path, package_name)
        if key in passed:
            return None
        rasa_validate(yaml_file_content, schema_path, package_name)  # raises Rasa's error
        passed.add(key)
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
            with where.open("a") as record:
                record.write(key + "\n")
        except OSError:
            pass  # a read-only cache: checked again next time, nothing else changes
        return None

    validation.validate_yaml_schema = validate_yaml_schema
    validation._rasa_validate_yaml_schema = rasa_validate  # for the tests


def _stamp(path: Path):
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def in_a_training_graph(execution_context) -> bool:
    """Whether the graph node being built is a training graph's: one that reads the training
    data (a node whose function is `process_training_data`), never a served or tested
    model's graph."""
    schema = getattr(execution_context, "graph_schema", None)
    return schema is not None and any(node.fn == "process_training_data"
                                      for node in schema.nodes.values())


def read_training_data_without_spacy_pipes(names) -> None:
    """6. SpacyNLP.process_training_data with the pipes `names` switched off."""
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    skipped = tuple(names)
    if getattr(SpacyNLP.process_training_data, "_skips", None) == skipped:
        return
    rasa_process = getattr(SpacyNLP, "_rasa_process_training_data",
                           SpacyNLP.process_training_data)

    def process_training_data(self, training_data, model):
        nlp = model.model
        with nlp.select_pipes(disable=[name for name in skipped if name in nlp.pipe_names]):
            return rasa_process(self, training_data, model)

    # Rasa validates each component's run function by its type hints before it trains: the
    # same hints as its own, as objects (Rasa would resolve strings in this module).
    process_training_data.__annotations__ = typing.get_type_hints(rasa_process)
    process_training_data._skips = skipped
    SpacyNLP._rasa_process_training_data = rasa_process
    SpacyNLP.process_training_data = process_training_data

    rasa_create = getattr(SpacyNLP, "_rasa_create", SpacyNLP.create)
    loaded = {}  # the last training pipeline: {(path, patterns' hash, its stamp): nlp}

    def create(cls, config, model_storage, resource, execution_context):
        """The training graph's SpaCy model, without the pipes `names`."""
        import spacy
        from rasa.nlu.utils.spacy_utils import SpacyModel

        name = config.get("model")
        if not name:
            return rasa_create(config, model_storage, resource, execution_context)  # its error
        key = (str(name), patterns_hash(name), _stamp(Path(str(name)) / "config.cfg"))
        nlp = loaded.get(key) if key[1] and key[2] else None
        if nlp is None:
            try:
                nlp = spacy.load(name, disable=["parser"], exclude=list(skipped))
            except OSError:  # no pipeline there: Rasa's own load says so, with its advice
                return rasa_create(config, model_storage, resource, execution_context)
            cls.ensure_proper_language_model(nlp)
            loaded.clear()
            loaded[key] = nlp
        return cls(SpacyModel(model=nlp, model_name=name), {**cls.get_default_config(), **config})

    def load(cls, config, model_storage, resource, execution_context, **kwargs):
        """A served or tested model's SpaCy model: Rasa's own, every pipe. A training graph's
        node (the one that reads the training data) gets the training's pipeline."""
        if in_a_training_graph(execution_context):
            return create(cls, config, model_storage, resource, execution_context)
        return rasa_create(config, model_storage, resource, execution_context)

    for function, rasa_function in ((create, rasa_create), (load, rasa_create)):
        function.__annotations__ = typing.get_type_hints(rasa_function)
    SpacyNLP._rasa_create = rasa_create
    SpacyNLP.create, SpacyNLP.load = classmethod(create), classmethod(load)


def importers_take_any(config_path, args) -> bool:
    """Whether an importer named in the config takes one of `args` (Rasa hands them to the
    importers' constructors): then importers built with and without them may differ."""
    import inspect

    from rasa.shared.utils.common import class_from_module_path
    from rasa.shared.utils.io import read_config_file

    if not args:
        return False
    for entry in read_config_file(config_path).get("importers") or [{}]:
        try:
            cls = class_from_module_path(entry.get("name") or "RasaFileImporter",
                                         lookup_path="rasa.shared.importers.rasa")
        except (AttributeError, ImportError):
            return True  # Rasa says so when it builds it; nothing shared
        if set(args) & set(inspect.signature(cls.__init__).parameters):
            return True
    return False


def share_the_validation_s_importer() -> None:
    """9. In one `rasa train`, the training reuses the importer its validation built."""
    import rasa.cli.train
    from rasa.shared.importers.importer import TrainingDataImporter

    if getattr(rasa.cli.train.run_training, "_shares_importer", False):
        return
    rasa_run_training = rasa.cli.train.run_training
    rasa_load = TrainingDataImporter.load_from_config

    def run_training(args, can_exit=False):
        built = {}

        def load_from_config(config_path, domain_path=None, training_data_paths=None,
                             args={}):  # noqa: B006  (Rasa's signature)
            key = (str(config_path), str(domain_path),
                   tuple(str(path) for path in training_data_paths or ()))
            if key in built and not importers_take_any(config_path, args):
                return built[key]
            importer = rasa_load(config_path, domain_path, training_data_paths, args)
            built.setdefault(key, importer)
            return importer

        TrainingDataImporter.load_from_config = staticmethod(load_from_config)
        try:
            return rasa_run_training(args, can_exit)
        finally:
            TrainingDataImporter.load_from_config = staticmethod(rasa_load)

    run_training._shares_importer = True
    run_training.__wrapped__ = rasa_run_training
    rasa.cli.train.run_training = run_training

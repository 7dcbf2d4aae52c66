"""`make train`'s choice (bot/staff/retrain.py): a fine-tune, Rasa's cache or a full training,
from what changed since the previous model's training."""
import json
import shutil
from pathlib import Path

import pytest
import yaml

from bot.staff import retrain

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path):
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "build" / "spacy_model").mkdir(parents=True)
    (tmp_path / "build" / "spacy_model" / "patterns.sha256").write_text("abc\n")
    return tmp_path


def changed_parts(project, edit):
    before = retrain.input_parts(project)
    edit(project)
    after = retrain.input_parts(project)
    return sorted(key for key in before if before[key] != after[key])


def replace_in(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def test_each_kind_of_change_is_told_apart(project):
    nlu = project / "data" / "nlu" / "basics.yml"
    assert changed_parts(project, lambda p: replace_in(
        nlu, "  examples: |\n", "  examples: |\n    - hello there, friend\n")) == ["nlu_examples"]
    retrieval = project / "data" / "responses" / "retrieval.yml"
    assert changed_parts(project, lambda p: replace_in(retrieval, "text: ", "text: Edited. ")) \
        == ["responses"]
    assert changed_parts(project, lambda p: replace_in(
        p / "domain.yml", "responses:\n", "responses:\n  utter_extra:\n  - text: hello\n")) \
        == ["responses"]
    rules = sorted((project / "data" / "rules").glob("*.yml"))[0]
    assert changed_parts(project, lambda p: replace_in(rules, "- rule: ", "- rule: edited ")) \
        == ["dialogue"]
    assert changed_parts(project, lambda p: replace_in(
        p / "domain.yml", "actions:\n", "actions:\n  - action_new_one\n")) == ["domain"]
    assert changed_parts(project, lambda p: replace_in(
        p / "config.yml", "threshold: 0.5", "threshold: 0.55")) == ["config"]
    lookups = project / "data" / "nlu" / "lookups.yml"
    data = yaml.safe_load(lookups.read_text())
    assert any("lookup" in item for item in data["nlu"])
    assert changed_parts(project, lambda p: replace_in(lookups, "    - ", "    - leg sled\n    - ")) \
        == ["nlu_features"]
    sha = project / "build" / "spacy_model" / "patterns.sha256"
    assert changed_parts(project, lambda p: sha.write_text("def\n")) == ["spacy_model"]
    # Not read by Rasa (the summary's wording, the patterns: the spaCy model's hash covers them)
    assert changed_parts(project, lambda p: replace_in(
        p / "data" / "summary" / "wording.yml", ":", ": ")) == []
    # Comments and layout are not changes.
    assert changed_parts(project, lambda p: replace_in(nlu, "nlu:\n", "# a comment\nnlu:\n")) == []
    assert changed_parts(project, lambda p: replace_in(
        p / "config.yml", "pipeline:\n", "# a comment\npipeline:\n")) == []


PARTS = {"config": "c", "domain": "d", "responses": "r", "dialogue": "s", "nlu_examples": "n",
         "nlu_features": "f", "other_data": "o", "code": "k", "spacy_model": "m"}


def record(**changes):
    return {"parts": PARTS, "finetunes_in_a_row": changes.pop("in_a_row", 0),
            "trained_by": changes.pop("by", retrain.FULL)}, {**PARTS, **changes}


@pytest.mark.parametrize("changes, expected", [
    ({}, retrain.NOTHING),
    ({"nlu_examples": "x"}, retrain.FINETUNE),
    ({"nlu_examples": "x", "responses": "x", "dialogue": "x"}, retrain.FINETUNE),
    ({"responses": "x"}, retrain.CACHE),
    ({"dialogue": "x"}, retrain.CACHE),
    ({"responses": "x", "dialogue": "x"}, retrain.CACHE),
    # after a fine-tune, its NLU is in the cache under fine-tune keys
    ({"responses": "x", "by": retrain.FINETUNE}, retrain.FINETUNE),
    ({"dialogue": "x", "by": retrain.FINETUNE, "in_a_row": retrain.FINETUNES_IN_A_ROW},
     retrain.FINETUNE),
    ({"config": "x", "by": retrain.FINETUNE}, retrain.FULL),
    ({"nlu_examples": "x", "in_a_row": retrain.FINETUNES_IN_A_ROW}, retrain.FULL),
    ({"nlu_examples": "x", "nlu_features": "x"}, retrain.FULL),
    ({"config": "x"}, retrain.FULL),
    ({"domain": "x"}, retrain.FULL),
    ({"code": "x"}, retrain.FULL),
    ({"spacy_model": "x"}, retrain.FULL),
    ({"other_data": "x"}, retrain.FULL),
])
def test_the_choice(changes, expected):
    previous, current = record(**changes)
    mode, reason = retrain.choose(previous, current, model_exists=True, finetune=True)
    assert mode == expected, reason


def test_without_finetune_new_examples_retrain_the_nlu():
    previous, current = record(nlu_examples="x")
    assert retrain.choose(previous, current, model_exists=True)[0] == retrain.FULL
    previous, current = record(responses="x")
    assert retrain.choose(previous, current, model_exists=True)[0] == retrain.CACHE


def test_without_a_previous_model_or_its_record_a_full_training():
    previous, current = record(nlu_examples="x")
    assert retrain.choose(previous, current, model_exists=False)[0] == retrain.FULL
    assert retrain.choose(None, current, model_exists=True)[0] == retrain.FULL
    assert retrain.choose(previous, current, True, force_full=True)[0] == retrain.FULL


def after_two_fine_tunes(project, monkeypatch):
    """A previous model, fine-tuned twice in a row, whose NLU examples have changed since:
    (the model's path, the project's input parts now)."""
    model = project / "models" / "triage.tar.gz"
    model.parent.mkdir()
    model.write_bytes(b"previous model")
    monkeypatch.chdir(project)
    parts = retrain.input_parts(project)
    retrain.record_path(model).write_text(json.dumps(
        {"parts": {**parts, "nlu_examples": "older"}, "finetunes_in_a_row": 2}))
    return model, parts


def test_a_refused_fine_tune_becomes_a_full_training_and_the_record_says_so(project, monkeypatch):
    model, parts = after_two_fine_tunes(project, monkeypatch)
    commands = []

    def call(command, env=None):
        assert env["MALLOC_MMAP_THRESHOLD_"]  # the training's settings (TRAINING_ENV)
        commands.append(command)
        return 1 if "--finetune" in command else 0  # Rasa refuses: a new label

    monkeypatch.setattr(retrain.subprocess, "call", call)
    assert retrain.main(["--model", "models/triage.tar.gz", "--finetune"]) == 0
    assert ["--finetune", "models/triage.tar.gz", "--epoch-fraction", "0.3",
            "--skip-validation"] == commands[0][-5:]
    assert "--finetune" not in commands[1] and "--skip-validation" not in commands[1]
    written = json.loads(retrain.record_path(model).read_text())
    assert written == {"parts": parts, "trained_by": "full", "finetunes_in_a_row": 0}


def test_a_fine_tune_counts_the_fine_tunes_in_a_row(project, monkeypatch):
    model, parts = after_two_fine_tunes(project, monkeypatch)
    monkeypatch.setattr(retrain.subprocess, "call", lambda command, env=None: 0)
    assert retrain.main(["--model", "models/triage.tar.gz", "--finetune"]) == 0
    assert json.loads(retrain.record_path(model).read_text())["finetunes_in_a_row"] == 3
    assert retrain.main(["--model", "models/triage.tar.gz"]) == 0  # nothing changed now
    # an answer edited after it: a fine-tune again (cached), not one more in a row
    replace_in(project / "data" / "responses" / "retrieval.yml", "text: ", "text: Edited. ")
    assert retrain.main(["--model", "models/triage.tar.gz"]) == 0
    written = json.loads(retrain.record_path(model).read_text())
    assert (written["trained_by"], written["finetunes_in_a_row"]) == ("finetune", 3)


def test_rule_policy_learns_the_same_without_augmented_stories(tmp_path):
    """`--augmentation 0` (bot/staff/retrain.py) rests on RulePolicy training on the original
    trackers only: RulePolicy trained on the project's stories and rules with Rasa's default
    augmentation and without it learns the same tables."""
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.graph_components.providers.training_tracker_provider import \
        TrainingTrackerProvider
    from rasa.shared.importers.importer import TrainingDataImporter

    assert retrain.only_rule_policy(ROOT / "config.yml")
    assert "--augmentation" in retrain.rasa_train(Path("models/triage.tar.gz"))
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    domain, stories = importer.get_domain(), importer.get_stories()
    ours = yaml.safe_load((ROOT / "config.yml").read_text())["policies"][0]
    config = {**RulePolicy.get_default_config(),
              **{k: v for k, v in ours.items() if k != "name"}}
    tables = {}
    for factor in (TrainingTrackerProvider.get_default_config()["augmentation_factor"], 0):
        trackers = TrainingTrackerProvider(
            {**TrainingTrackerProvider.get_default_config(), "augmentation_factor": factor}
        ).provide(stories, domain)
        (tmp_path / str(factor)).mkdir()
        policy = RulePolicy.create(config, LocalModelStorage(tmp_path / str(factor)),
                                   Resource("rules"), ExecutionContext(GraphSchema({}), "t"))
        policy.train(trackers, domain)
        tables[factor] = {key: sorted(value) if isinstance(value, list) else value
                          for key, value in policy.lookup.items()}
        tables[factor]["trackers"] = len(trackers)
    augmented, plain = tables.values()
    assert augmented.pop("trackers") > plain.pop("trackers")  # Rasa did augment
    assert augmented == plain and len(plain["rules"]) > 100


FAULTS = """
import resource, warnings
import numpy as np, scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
warnings.filterwarnings("ignore")  # not converged in 15 iterations: not the point
X = sp.random(1500, 8000, density=0.006, format="csr", random_state=0)
y = np.random.default_rng(0).integers(0, 32, 1500)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
LogisticRegression(C=30.0, solver="newton-cg", max_iter=15).fit(X, y)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_the_training_s_process_keeps_its_large_blocks_instead_of_faulting_them_in_again():
    """retrain.TRAINING_ENV: with glibc's defaults the blocks of a regression's products come
    back from the kernel page by page (134,000 page faults in this small fit, 8,600 with the
    settings); the training runs with settings that keep them. Fails if the allocator stops
    reading them."""
    import os
    import subprocess
    import sys

    def faults(env) -> int:
        out = subprocess.run([sys.executable, "-c", FAULTS], env=env, capture_output=True,
                             text=True, check=True).stdout
        return int(out.split()[-1])

    plain = {k: v for k, v in os.environ.items() if k not in retrain.TRAINING_ENV}
    assert faults(plain) > 80_000
    assert faults(retrain.training_env(plain)) < 20_000
    # a setting of the operator's own is kept
    assert retrain.training_env({"OPENBLAS_NUM_THREADS": "2"})["OPENBLAS_NUM_THREADS"] == "2"

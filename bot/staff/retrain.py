"""`make train`: the model retrained by the cheapest of Rasa's own means for what changed
since the last training.

- NLU examples changed (data/nlu/, intents' examples; responses, rules or stories may have
  changed too): a full `rasa train` (every NLU component retrains; the policies come from the
  cache): 15-18 s on 2 cores since the intent classifier and the response selector are
  logistic regressions and the training runs with TRAINING_ENV (2026-12-04; 250-270 s with
  DIET and Rasa's neural selector). With --finetune
  (`make train FINETUNE=1`): `rasa train --finetune` from the previous model: the
  featurizers keep their vocabularies and the regressions retrain (the intent one from the
  previous weights when the features kept their width). Rasa refuses when a label was added
  or removed (an intent, an entity, a retrieval answer's name): then a full training. With
  the neural models a fine-tune was a draft (30 % of the epochs kept make safety-report's
  figures but lost a held-out answer; a tenth lost two safety cases); with the linear ones
  it saves little, and a model to ship is trained in full (docs/benchmarks-notes.md,
  "Retraining").
- Only responses, rules or stories changed: `rasa train`, whose cache restores every NLU
  component (bot.rasa_patches.training keeps the responses' texts out of the NLU's data);
  after a fine-tune, a fine-tune again, as the cache holds its NLU under fine-tune keys.
- Anything else (config.yml, the domain's intents, slots, forms or actions, the lookup tables
  or synonyms, the spaCy pipeline, the NLU components' code), no previous model, no record of
  what it was trained on, or FINETUNES_IN_A_ROW fine-tunes already: a full `rasa train`
  (Rasa's cache still restores the nodes whose inputs did not change). A clean clone (CI)
  has no model: always this path.

What each model was trained on is recorded beside it (models/triage.inputs.json: a hash of
each part of the inputs). `--full` forces a full training.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterable, Optional, Tuple

import yaml

EPOCH_FRACTION = 0.3  # for epoch-trained components (none in config.yml since 2026-12-03)
FINETUNES_IN_A_ROW = 5  # then a full training, so that fine-tunes never drift far

FULL, FINETUNE, CACHE, NOTHING = "full", "finetune", "cache", "nothing"
# The parts that a fine-tune or Rasa's cache can take on; any other change is a full training.
FINETUNE_PARTS = {"nlu_examples"}
CACHE_PARTS = {"responses", "dialogue"}

RASA_DATA_KEYS = {"nlu", "responses", "stories", "rules"}
CODE = ["bot/language/components", "bot/rasa_patches/training.py"]
SPACY_HASH = "build/spacy_model/patterns.sha256"


def _hash(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(hashlib.sha256(chunk).digest())
    return digest.hexdigest()


def _dump(value) -> bytes:
    return json.dumps(value, sort_keys=True, default=str).encode()


def _files(root: Path, *places: str, suffixes=(".yml", ".yaml", ".py", ".json")) -> list:
    found = []
    for place in places:
        path = root / place
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += [p for p in path.rglob("*") if p.is_file() and p.suffix in suffixes]
    return sorted(found)


def _file_chunks(root: Path, paths) -> Iterable[bytes]:
    for path in paths:
        yield str(path.relative_to(root)).encode()
        yield path.read_bytes()


def _is_rasa_data(path: Path) -> bool:
    """Whether `rasa train --data data` reads the file: Rasa skips YAML files without any of
    its keys (data/patterns/ and data/safety/ reach the model through the spaCy pipeline)."""
    try:
        content = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return True
    return isinstance(content, dict) and bool(RASA_DATA_KEYS & set(content))


def input_parts(root: Path) -> Dict[str, str]:
    """A hash of each part of the training inputs that a change may invalidate on its own."""
    root = Path(root)
    domain = yaml.safe_load((root / "domain.yml").read_text()) or {}
    responses = domain.pop("responses", None) or {}
    nlu_examples, nlu_features = [], []
    for path in _files(root, "data/nlu"):
        for item in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            (nlu_examples if "intent" in item else nlu_features).append(
                [str(path.relative_to(root)), item])
    dialogue = _files(root, "data/rules", "data/stories")
    response_files = _files(root, "data/responses")
    seen = set(_files(root, "data/nlu")) | set(dialogue) | set(response_files)
    other_data = [p for p in _files(root, "data", suffixes=(".yml", ".yaml"))
                  if p not in seen and _is_rasa_data(p)]
    return {
        "config": _hash([_dump(yaml.safe_load((root / "config.yml").read_text()))]),
        "domain": _hash([_dump(domain)]),
        "responses": _hash([_dump(responses), *_file_chunks(root, response_files)]),
        "dialogue": _hash(_file_chunks(root, dialogue)),
        "nlu_examples": _hash([_dump(nlu_examples)]),
        "nlu_features": _hash([_dump(nlu_features)]),
        "other_data": _hash(_file_chunks(root, other_data)),
        "code": _hash(_file_chunks(root, _files(root, *CODE, suffixes=(".py",)))),
        "spacy_model": _hash(_file_chunks(root, _files(root, SPACY_HASH, suffixes=(".sha256",)))),
    }


def choose(previous: Optional[dict], current: Dict[str, str], model_exists: bool,
           force_full: bool = False, finetune: bool = False) -> Tuple[str, str]:
    """(how to train, why), from the record of the previous model's inputs and the current."""
    if force_full:
        return FULL, "a full training was asked for (--full)"
    if not model_exists:
        return FULL, "there is no previous model"
    if not previous or "parts" not in previous:
        return FULL, "there is no record of what the previous model was trained on"
    before = previous["parts"]
    changed = sorted(key for key in set(before) | set(current) if before.get(key) != current.get(key))
    if not changed:
        return NOTHING, "nothing changed since the previous training"
    if FINETUNE_PARTS & set(changed) and set(changed) <= FINETUNE_PARTS | CACHE_PARTS:
        what = " and ".join(changed)
        if not finetune:
            return FULL, (f"{what} changed: every NLU component retrains (--finetune, "
                          f"FINETUNE=1, fine-tunes instead: see its note)")
        if previous.get("finetunes_in_a_row", 0) >= FINETUNES_IN_A_ROW:
            return FULL, (f"only {what} changed, but the previous model was already "
                          f"fine-tuned {FINETUNES_IN_A_ROW} times in a row")
        return FINETUNE, f"only {what} changed: fine-tuning the previous model"
    if set(changed) <= CACHE_PARTS:
        what = " and ".join(changed)
        if previous.get("trained_by") == FINETUNE:
            # Its NLU components are cached under fine-tune keys (bot.rasa_patches.training,
            # 4.): a fine-tune finds them there, a full training would not.
            return FINETUNE, (f"only {what} changed and the previous model was fine-tuned: "
                              f"a fine-tune restores its NLU from Rasa's cache")
        return CACHE, f"only {what} changed: Rasa's cache restores the NLU"
    return FULL, f"{', '.join(changed)} changed"


# How the training's process allocates memory (glibc) and runs BLAS. glibc gives a large block
# (above 128 KB, or what it has learnt since) straight back to the kernel when it is freed,
# and the next one comes back page by page: the regressions' products are 0.7-4 MB arrays,
# hundreds of them in a fit, and one fit of the intent regression took 946,000 page faults
# and 8 s of system time (5.9 s wall; 2.7 s with blocks up to 32 MB kept in the process).
# OpenBLAS's second thread only spun (system time) beside scipy's single-threaded sparse
# products. Retraining after one NLU line, alternating in a copy of the project: 23.4 and
# 24.9 s -> 20.2 and 20.2 s, then 19.2/20.1 -> 18.7/19.1 s with one BLAS thread (2026-12-04,
# docs/benchmarks-notes.md, "Session 15"). A setting already in the environment wins.
TRAINING_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(128 * 1024 * 1024),
    "OPENBLAS_NUM_THREADS": "1",
}


def training_env(environ=None) -> Dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    for key, value in TRAINING_ENV.items():
        env.setdefault(key, value)
    return env


def record_path(model: Path) -> Path:
    name = model.name[:-len(".tar.gz")] if model.name.endswith(".tar.gz") else model.stem
    return model.with_name(f"{name}.inputs.json")


def read_record(model: Path) -> Optional[dict]:
    try:
        return json.loads(record_path(model).read_text())
    except (OSError, ValueError):
        return None


def only_rule_policy(config: Path = Path("config.yml")) -> bool:
    """Whether RulePolicy is the only dialogue policy (config.yml)."""
    policies = (yaml.safe_load(config.read_text()) or {}).get("policies") or []
    return bool(policies) and all(p.get("name") == "RulePolicy" for p in policies)


def rasa_train(model: Path, finetune_from: Optional[Path] = None, debug: bool = False,
               node_times: Optional[str] = None, validate: bool = True) -> list:
    name = model.name[:-len(".tar.gz")] if model.name.endswith(".tar.gz") else model.name
    rasa = ["scripts.bench.train_nodes", node_times, "--"] if node_times \
        else ["bot.staff.rasa_command"]
    command = [sys.executable, "-m", *rasa, "train", "--fixed-model-name", name,
               "--out", str(model.parent), "--data", "data", "--config", "config.yml",
               "--domain", "domain.yml"]
    if only_rule_policy():
        # Rasa glues stories together into 50x more training conversations by default, for
        # machine-learned policies; RulePolicy drops every one of them (it trains on the
        # original trackers only), so making them costs 2.5 s of each training for nothing.
        # tests/unit/test_retrain.py trains RulePolicy both ways and compares.
        command += ["--augmentation", "0"]
    if finetune_from is not None:
        command += ["--finetune", str(finetune_from), "--epoch-fraction", str(EPOCH_FRACTION)]
    # Rasa's validation reads the data a second time (about 2 s); `make validate` (make test)
    # checks the same, strictly. A full training (CI's) keeps it.
    return command + (["--debug"] if debug else []) + ([] if validate else ["--skip-validation"])


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff.retrain", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/triage.tar.gz", help="the model to write")
    parser.add_argument("--previous", help="the model to start from (default: --model)")
    parser.add_argument("--full", action="store_true", help="a full training, whatever changed")
    parser.add_argument("--finetune", action="store_true",
                        help="fine-tune the previous model when only NLU examples changed "
                             "(a draft: see the module's note)")
    parser.add_argument("--debug", action="store_true", help="Rasa's debug log")
    parser.add_argument("--node-times", metavar="FILE.json",
                        help="run Rasa through scripts/bench/train_nodes.py: each graph "
                             "node's seconds in FILE.json")
    args = parser.parse_args(argv)

    root = Path.cwd()
    model = Path(args.model)
    previous_model = Path(args.previous) if args.previous else model
    previous = read_record(previous_model)
    current = input_parts(root)
    mode, reason = choose(previous, current, previous_model.is_file(), args.full,
                          args.finetune)
    say(f"training: {mode} ({reason})")
    if mode == NOTHING:
        if previous_model != model:
            model.write_bytes(previous_model.read_bytes())
            record_path(model).write_text(json.dumps(previous, indent=1))
        return 0

    start = time.monotonic()
    status = subprocess.call(rasa_train(model, previous_model if mode == FINETUNE else None,
                                        args.debug, args.node_times, validate=mode == FULL),
                             env=training_env())
    if status != 0 and mode == FINETUNE:
        say("Rasa could not fine-tune the previous model (see its message above): "
            "a full training instead")
        mode = FULL
        status = subprocess.call(rasa_train(model, debug=args.debug, node_times=args.node_times),
                                 env=training_env())
    if status != 0:
        return status
    in_a_row = 0
    if mode == FINETUNE:  # one more only when the examples changed (else restored as they were)
        in_a_row = previous.get("finetunes_in_a_row", 0) + (
            previous["parts"].get("nlu_examples") != current["nlu_examples"])
    record_path(model).write_text(json.dumps(
        {"parts": current, "trained_by": mode, "finetunes_in_a_row": in_a_row}, indent=1))
    say(f"trained ({mode}) in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build the project's spaCy pipeline from data/patterns/ and save it for Rasa's SpacyNLP.

    python -m bot.language.build [--patterns data/patterns] [--out build/spacy_model]

Official model downloads are not possible on our machines, and we want the entity rules under
our own control anyway: the pipeline is a blank English tokenizer, lookup lemmas
(spacy-lookups-data), the typo-tolerant normalizer, the entity patterns (matched by a trie that
gives spaCy's EntityRuler's entities, faster: phrase_trie.py), negation, ConText (context.py:
other person, historical, hypothetical), and the learned red-flag detector (screens.py).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import spacy
from spacy.lookups import load_lookups

import bot.language  # noqa: F401  (registers the custom components)
from bot.language import context, screens
from bot.language.patterns import PatternError, compile_patterns, load_entries

STAMP = "patterns.sha256"


# The pipes after the sentencizer only annotate (entities, ambiguity, negation, ConText, the
# detector's readings) for the entity extractor and the safety net; they leave the tokens,
# lemmas and tags as they are. Rasa's training reads nothing else of spaCy's docs (its
# tokenizer), so it runs without them (bot.rasa_patches.training, 6.).
ANNOTATING_PIPES = ("triage_phrase_trie", "triage_ambiguity", "triage_negation",
                    "triage_context", "triage_screens")

CONTEXT_RULES = Path("data/context/patient_rules.json")
SCREEN_EXAMPLES = Path("data/safety/screens.yml")


def make_pipeline(patterns_dir: Path, context_rules: Path = CONTEXT_RULES,
                  screen_examples: Path = SCREEN_EXAMPLES, progress=print):
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    normalizer = nlp.add_pipe("triage_normalizer")
    nlp.initialize()  # loads the lemma tables from spacy-lookups-data
    entries = load_entries(patterns_dir)
    # Patterns are compiled with the normalizer's vocabulary still empty: pattern words are
    # taken as written, and only the user's words are mended towards them.
    patterns, surface_to_key = compile_patterns(nlp, entries)
    normalizer.set_vocabulary(surface_to_key)
    index = load_lookups("en", ["lemma_index"]).get_table("lemma_index")
    normalizer.set_dictionary(word for words in index.values() for word in words)
    # Sentences bound the scope of ConText's triggers and give the detector its clauses.
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("triage_phrase_trie").add_patterns(patterns)
    nlp.add_pipe("triage_ambiguity")
    nlp.add_pipe("triage_negation")
    nlp.add_pipe("triage_context").set_rules(context.combined_rules(context_rules))
    detector = nlp.add_pipe("triage_screens")
    with nlp.select_pipes(enable=["lemmatizer", "triage_normalizer"]):
        detector.set_model(*screens.train(nlp, screen_examples, progress=progress))
    return nlp, len(entries), len(patterns)


def patterns_digest(patterns_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(patterns_dir).glob("*.yml")) + [CONTEXT_RULES, SCREEN_EXAMPLES]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for module in ("normalize.py", "phrase_trie.py", "negation.py", "ambiguity.py", "patterns.py",
                   "context.py", "screens.py", "build.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    return digest.hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patterns", default="data/patterns", type=Path)
    parser.add_argument("--out", default="build/spacy_model", type=Path)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)

    digest = patterns_digest(args.patterns)
    stamp = args.out / STAMP
    if not args.force and stamp.exists() and stamp.read_text() == digest:
        print(f"spaCy pipeline up to date: {args.out}")
        return 0
    started = time.monotonic()
    print(f"Building spaCy pipeline from {args.patterns} ...", flush=True)
    try:
        nlp, n_entries, n_patterns = make_pipeline(args.patterns)
    except PatternError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.out)
    stamp.write_text(digest)
    print(json.dumps({"entries": n_entries, "patterns": n_patterns, "out": str(args.out),
                      "seconds": round(time.monotonic() - started, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

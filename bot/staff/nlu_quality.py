"""Quality figures of the NLU on the held-out test set, from Rasa's `rasa test nlu` output.

Rasa reports intent and entity scores itself; what it cannot say is what matters most here:
whether any red-flag phrasing was missed, and how often a denied sign ("no fever") was taken
for a real one. Both come from its per-example entity files (written with --successes).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

RED_FLAG = "red_flag"
NEGATED = "negated"

# The floors `make test` holds the NLU to (issue 3). Intent macro-F1 was 0.93 over 19 intents;
# issue 14 added 10 (the conversation's repairs and the result's buttons) and it fell to
# 0.910-0.924. New training examples for the intents weak on real wording (push-back,
# questions about the question, "no X and no Y", hedged answers) gave 0.954 on their own
# branch; with issue 16's intents merged beside them, 0.923 (2026-12-02, one training: the
# 7-8 held-out examples of a small intent move its score by 0.07 a miss). The floor stays
# 0.90 until a few trainings agree on more; the safety floors are unchanged.
THRESHOLDS = {
    "intent_macro_f1": 0.90,
    "entity_f1": 0.90,
    "red_flag_recall": 1.0,
    "negated_false_positive_rate_max": 0.10,
}


def _flags(entities: List[dict], negated: bool) -> set:
    return {e.get("value") for e in entities or []
            if e.get("entity") == RED_FLAG and (e.get("role") == NEGATED) == negated}


def red_flag_figures(examples: List[dict]) -> Dict[str, object]:
    """Recall of red flags, and false positives among examples that only deny them."""
    positives = [e for e in examples if _flags(e["entities"], negated=False)]
    missed = [e["text"] for e in positives
              if not _flags(e["entities"], False) <= _flags(e["predicted_entities"], False)]
    denied_only = [e for e in examples
                   if _flags(e["entities"], True) and not _flags(e["entities"], False)]
    false_positives = [e["text"] for e in denied_only if _flags(e["predicted_entities"], False)]
    return {
        "red_flag_examples": len(positives),
        "red_flag_recall": 1 - len(missed) / len(positives) if positives else 1.0,
        "red_flag_missed": missed,
        "negated_examples": len(denied_only),
        "negated_false_positive_rate": (len(false_positives) / len(denied_only)
                                        if denied_only else 0.0),
        "negated_false_positives": false_positives,
    }


def figures(results: Path, extractor: str = "TriageEntityExtractor") -> Dict[str, object]:
    results = Path(results)
    intents = json.loads((results / "intent_report.json").read_text())
    entities = json.loads((results / f"{extractor}_report.json").read_text())
    examples, seen = [], set()
    for name in (f"{extractor}_successes.json", f"{extractor}_errors.json"):
        path = results / name
        for example in json.loads(path.read_text()) if path.exists() else []:
            if example["text"] not in seen:  # Rasa may list an example in both files
                seen.add(example["text"])
                examples.append(example)
    out = {
        "intent_macro_f1": intents["macro avg"]["f1-score"],
        "intent_accuracy": intents["accuracy"],
        "entity_f1": entities["micro avg"]["f1-score"],
        "test_examples": intents["macro avg"]["support"],
    }
    out.update(red_flag_figures(examples))
    return out


def failures(found: Dict[str, object]) -> List[str]:
    problems = []
    for key in ("intent_macro_f1", "entity_f1", "red_flag_recall"):
        if found[key] < THRESHOLDS[key]:
            problems.append(f"{key} {found[key]:.3f} is below {THRESHOLDS[key]}")
    rate = found["negated_false_positive_rate"]
    if rate >= THRESHOLDS["negated_false_positive_rate_max"]:
        problems.append(f"negated red-flag false positives {rate:.3f} are not under "
                        f"{THRESHOLDS['negated_false_positive_rate_max']}")
    return problems


def cross_validation_summary(results: Path) -> Dict[str, float]:
    """Headline numbers of `rasa test nlu --cross-validation` (test-fold means)."""
    results = Path(results)
    intents = json.loads((results / "intent_report.json").read_text())
    out = {"cv_intent_macro_f1": intents["macro avg"]["f1-score"],
           "cv_intent_accuracy": intents["accuracy"]}
    selector = results / "response_selection_report.json"
    if selector.exists():
        out["cv_response_selection_accuracy"] = json.loads(selector.read_text())["accuracy"]
    return out


def main(argv=None) -> int:
    import sys

    args = list(argv if argv is not None else sys.argv[1:])
    if not args:
        print("usage: python -m bot.staff.nlu_quality HELD_OUT_RESULTS [CV_RESULTS]", file=sys.stderr)
        return 2
    found = figures(Path(args[0]))
    summary = {k: (round(v, 4) if isinstance(v, float) else v)
               for k, v in found.items() if not isinstance(v, list)}
    if len(args) > 1:
        summary.update({k: round(v, 4) for k, v in cross_validation_summary(Path(args[1])).items()})
    print(json.dumps(summary, indent=2))
    problems = failures(found)
    for problem in problems:
        print(f"below the floor: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

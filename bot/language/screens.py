"""The learned red-flag detector: which emergency screen a clause affirms, beside the patterns.

Patterns stay the reviewable core, but they lag behind how people talk. This detector is a
small text classifier (scikit-learn: word and character n-grams, logistic regression) trained
at build time on many paraphrases per emergency screen and on look-alikes that are not a flag
(`data/safety/screens.yml`: negated, someone else's, past, hypothetical, ordinary back pain).
It reads each sentence and clause of a message on its own, so a sign in the middle of a long
story is scored as if it had been said alone, and it reads the normalizer's word forms, so
typos cost little.

For each screen it gives the highest probability over the clauses and the clause that gave it.
Two thresholds, chosen at build time by cross-validation on the training data alone (never on
the held-out sets):
- `likely`: precision of at least 0.97 in cross-validation, and never below 0.7: the flag
  counts (a confident reading only: the emergency questions are asked anyway);
- `possible`: recall of at least 0.97: the bot asks that emergency question straight away.
A confident reading also needs a clause of three words or more that names something of its
screen (`topic_words` in the same file): a classifier can be sure of nonsense on two words.
The model is saved with skops (no pickle) inside the spaCy pipeline.
"""

import json
import re
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

# The emergency screens of bot.clinical.triage, by the classes of data/safety/screens.yml.
SCREEN_OF_CLASS = {
    "cauda_equina": "em_cauda_equina",
    "both_legs": "em_legs",
    "trauma": "em_trauma",
    "chest_abdomen": "em_chest_abdomen",
}
NONE = "none"
LIKELY = "likely"
POSSIBLE = "possible"
MODEL_FILE = "screens.skops"
META_FILE = "screens.json"
TARGET_PRECISION = 0.97
MIN_CONFIDENT_WORDS = 3
# Words of denial that keep a reading "possible" (not "n't": "my legs won't hold me" is a sign).
DENIALS = {"no", "not", "never", "nothing", "none", "without", "nor", "neither", "nope", "nah",
           "fine", "normal"}
TARGET_RECALL = 0.97
# Words that end a clause inside a sentence.
CLAUSE_BREAKS = {",", ";", ":", "but", "although", "though", "however", "whereas", "while",
                 "and", "then", "so", "because", "cause", "cos", "plus", "also", "-", "—"}

if not Doc.has_extension("screens"):
    Doc.set_extension("screens", default=None)


def clauses(doc: Doc) -> List[Span]:
    """Each sentence, and the clauses of sentences that have several (longest first)."""
    units: List[Span] = []
    sentences = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
    for sentence in sentences:
        units.append(sentence)
        start = sentence.start
        parts = []
        for token in sentence:
            if token.norm_ in CLAUSE_BREAKS or token.text in CLAUSE_BREAKS:
                if token.i > start:
                    parts.append(doc[start:token.i])
                start = token.i + 1
        if start < sentence.end:
            parts.append(doc[start:sentence.end])
        if len(parts) > 1:
            units.extend(part for part in parts if len(part) >= 2)
    return units


def text_of(span) -> str:
    """What the classifier reads: the normalizer's word forms, lower case."""
    return " ".join(token.norm_ for token in span if not token.is_space)


def make_classifier():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.feature_extraction.text import TfidfVectorizer

    features = FeatureUnion([
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True,
                                  token_pattern=r"[^ ]+", min_df=1)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                  min_df=2)),
    ])
    return Pipeline([("features", features),
                     ("model", LogisticRegression(C=8.0, class_weight="balanced",
                                                  max_iter=3000, random_state=0))])


def load_topic_words(path: Path) -> Dict[str, List[str]]:
    import yaml

    topics = yaml.safe_load(Path(path).read_text()).get("topic_words") or {}
    missing = set(SCREEN_OF_CLASS) - set(topics)
    if missing:
        raise ValueError(f"{path}: topic_words lacks {sorted(missing)}")
    return {label: sorted({str(word).lower() for word in words})
            for label, words in topics.items()}


def mentions_topic(unit, words: Sequence[str]) -> bool:
    """Whether a clause has one of its screen's words (as written or as normalised)."""
    single = {w for w in words if " " not in w}
    if any(t.lower_ in single or t.norm_ in single for t in unit):
        return True
    text = unit.text.lower()
    return any(" " in w and w in text for w in words)


def load_examples(path: Path) -> Tuple[List[str], List[str]]:
    import yaml

    data = yaml.safe_load(Path(path).read_text())["examples"]
    unknown = set(data) - set(SCREEN_OF_CLASS) - {NONE}
    if unknown:
        raise ValueError(f"{path}: unknown classes {sorted(unknown)}; "
                         f"use {sorted(SCREEN_OF_CLASS)} or {NONE}")
    texts, labels = [], []
    for label, examples in data.items():
        for example in examples:
            texts.append(str(example))
            labels.append(label)
    return texts, labels


def choose_thresholds(labels: Sequence[str], probabilities, classes: Sequence[str]) -> Dict:
    """Per screen: the lowest threshold with the target precision, and one with the target
    recall, from out-of-fold probabilities."""
    import numpy as np

    thresholds = {}
    for index, label in enumerate(classes):
        if label == NONE:
            continue
        truth = np.array([value == label for value in labels])
        scores = probabilities[:, index]
        order = np.argsort(-scores)
        hits = np.cumsum(truth[order])
        precision = hits / np.arange(1, len(order) + 1)
        recall = hits / max(1, truth.sum())
        likely = next((scores[order][i] for i in range(len(order) - 1, -1, -1)
                       if precision[i] >= TARGET_PRECISION), 0.9)
        possible = next((scores[order][i] for i in range(len(order))
                         if recall[i] >= TARGET_RECALL), 0.2)
        likely = float(max(likely, 0.7))
        thresholds[label] = {LIKELY: likely, POSSIBLE: float(min(possible, likely * 0.8))}
    return thresholds


def train(nlp: Language, examples_path: Path, progress=print):
    """The classifier and its thresholds, from the paraphrases (read through `nlp`)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    texts, labels = load_examples(examples_path)
    read = [text_of(doc) for doc in nlp.pipe(texts)]
    progress(f"  learned detector: {len(read)} examples, 5-fold cross-validation")
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    out_of_fold = cross_val_predict(make_classifier(), read, labels, cv=folds,
                                    method="predict_proba")
    classifier = make_classifier().fit(read, labels)
    classes = list(classifier.classes_)
    thresholds = choose_thresholds(labels, out_of_fold, classes)
    predicted = [classes[i] for i in out_of_fold.argmax(axis=1)]
    accuracy = sum(p == t for p, t in zip(predicted, labels)) / len(labels)
    progress(f"  learned detector: cross-validated accuracy {accuracy:.3f}")
    return classifier, {"thresholds": thresholds, "cv_accuracy": accuracy,
                        "examples": len(labels), "topic_words": load_topic_words(examples_path)}


@Language.factory("triage_screens")
class ScreenDetector:
    """Sets doc._.screens: {screen id: {"level": likely|possible, "p": .., "start", "end"}}."""

    def __init__(self, nlp: Language, name: str):
        self.name = name
        self.classifier = None
        self.meta: Dict = {}
        self._fast = None

    def set_model(self, classifier, meta: Dict) -> None:
        self.classifier = classifier
        self.meta = meta
        self._fast = None

    def predict_proba(self, texts: List[str]):
        """The classifier's predict_proba, without scikit-learn's per-call checks (about 1 ms
        of a 1.5 ms call): the same vectorizers, one sparse product, a softmax.
        tests/unit/test_screens.py checks it against predict_proba."""
        import numpy as np
        import scipy.sparse

        if self._fast is None:
            model = self.classifier.named_steps["model"]
            vectorizers = [v for _, v in self.classifier.named_steps["features"].transformer_list]
            self._fast = (vectorizers, np.ascontiguousarray(model.coef_.T), model.intercept_)
        vectorizers, weights, intercept = self._fast
        features = scipy.sparse.hstack([v.transform(texts) for v in vectorizers]).tocsr()
        scores = features @ weights + intercept
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def scores(self, doc: Doc) -> Dict[str, Tuple[float, Span]]:
        units = clauses(doc)
        if self.classifier is None or not units:
            return {}
        probabilities = self.predict_proba([text_of(unit) for unit in units])
        best: Dict[str, Tuple[float, Span]] = {}
        for index, label in enumerate(self.classifier.classes_):
            if label == NONE:
                continue
            column = probabilities[:, index]
            top = int(column.argmax())
            best[label] = (float(column[top]), units[top])
        return best

    def __call__(self, doc: Doc) -> Doc:
        found = {}
        for label, (probability, unit) in self.scores(doc).items():
            limits = self.meta["thresholds"][label]
            level = LIKELY if probability >= limits[LIKELY] else \
                POSSIBLE if probability >= limits[POSSIBLE] else None
            if level == LIKELY and not self._may_be_confident(unit, label):
                level = POSSIBLE
            if level:
                found[SCREEN_OF_CLASS[label]] = {
                    "level": level, "p": round(probability, 3),
                    "start": unit.start_char, "end": unit.end_char}
        doc._.screens = found
        return doc

    def _may_be_confident(self, unit, label: str) -> bool:
        """A confident reading needs a clause of three words or more that names something
        of its screen: short or wordless clauses ("since friday") stay "possible"."""
        words = [t for t in unit if not (t.is_punct or t.is_space)]
        if any(t.lower_ in DENIALS or t.norm_ in DENIALS for t in words):
            return False  # "nothing fell on me", "no, not both legs": the classifier reads
            # denials poorly; the patterns and ConText decide those
        return len(words) >= MIN_CONFIDENT_WORDS and \
            mentions_topic(unit, self.meta.get("topic_words", {}).get(label, ()))

    def to_disk(self, path, exclude=()) -> None:
        import skops.io

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        skops.io.dump(self.classifier, path / MODEL_FILE)
        (path / META_FILE).write_text(json.dumps(self.meta, indent=1))

    def from_disk(self, path, exclude=()):
        import skops.io

        path = Path(path)
        model = path / MODEL_FILE
        # Only the types this module builds (make_classifier); anything else refuses to load.
        # (The file's types read once: each reading walks the whole saved tree, 0.8 s.)
        types = skops.io.get_untrusted_types(file=model)
        unknown = [t for t in types if not re.match(r"^(sklearn|numpy|scipy)\.", t)]
        if unknown:
            raise ValueError(f"{model}: unexpected types {unknown}")
        self.set_model(skops.io.load(model, trusted=types),
                       json.loads((path / META_FILE).read_text()))
        return self

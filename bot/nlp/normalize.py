"""A component that gives every token a matching key: its dictionary form, typos mended.

The entity patterns match on `Token.norm_`. Writing each pattern word once ("leg" finds
"legs", "can't" finds "cant") and tolerating small typos ("numbess", "tingleing") keeps the
pattern files short and readable, and makes the red-flag safety net hold up against the way
people actually type. A typo is only mended towards a word the patterns use, and never when
the token is itself an English word, so "went" is not read as "wet".
"""

from pathlib import Path
from typing import Dict, Iterable, Optional

import srsly
from spacy.language import Language
from spacy.tokens import Doc

# Words of at least this length may be mended; shorter ones have too many close neighbours.
MIN_TYPO_LENGTH = 4


def lemma_key(token, table: Optional[dict]) -> str:
    """The dictionary form of a token's norm ("legs" -> "leg", "n't" -> "not")."""
    norm = token.norm_.lower()
    if table is not None:
        return table.get(norm, norm)
    return norm


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, giving up early once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2 = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if (previous2 is not None and i > 1 and j > 1 and ca == b[j - 2]
                    and a[i - 2] == cb):
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class TriageNormalizer:
    def __init__(self, nlp: Language, name: str, surface_to_key: Optional[Dict[str, str]] = None):
        self.name = name
        self.nlp = nlp
        self.surface_to_key: Dict[str, str] = dict(surface_to_key or {})
        self._known: Optional[set] = None
        self._table: Optional[dict] = None
        self._cache: Dict[str, str] = {}

    def set_vocabulary(self, surface_to_key: Dict[str, str]) -> None:
        self.surface_to_key = dict(surface_to_key)
        self._cache.clear()

    def _lookups(self):
        if self._table is None and "lemmatizer" in self.nlp.pipe_names:
            lookups = self.nlp.get_pipe("lemmatizer").lookups
            if lookups.has_table("lemma_lookup"):
                table = lookups.get_table("lemma_lookup")
                self._table = dict(table.items()) if hasattr(table, "items") else None
        if self._known is None:
            table = self._table or {}
            self._known = set(table) | set(table.values())
        return self._table

    def __call__(self, doc: Doc) -> Doc:
        table = self._lookups()
        keys = set(self.surface_to_key.values())
        for token in doc:
            key = lemma_key(token, table)
            if key not in keys and self.surface_to_key:
                key = self._mend(token.lower_, key)
            token.norm_ = key
        return doc

    def _mend(self, word: str, key: str) -> str:
        if word in self._cache:
            return self._cache[word]
        mended = key
        if (len(word) >= MIN_TYPO_LENGTH and word.isalpha() and word not in self._known
                and key not in self._known):
            limit = 1 if len(word) < 7 else 2
            best = None
            best_distance = limit + 1
            ambiguous = False
            for surface, surface_key in self.surface_to_key.items():
                distance = edit_distance(word, surface, limit)
                if distance < best_distance:
                    best, best_distance, ambiguous = surface_key, distance, False
                elif distance == best_distance and best is not None and surface_key != best:
                    ambiguous = True
            if best is not None and not ambiguous:
                mended = best
        self._cache[word] = mended
        return mended

    def to_disk(self, path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "vocabulary.json", self.surface_to_key)

    def from_disk(self, path, exclude: Iterable[str] = ()) -> "TriageNormalizer":
        self.set_vocabulary(srsly.read_json(Path(path) / "vocabulary.json"))
        return self


@Language.factory("triage_normalizer")
def make_triage_normalizer(nlp: Language, name: str) -> TriageNormalizer:
    return TriageNormalizer(nlp, name)

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
        self._table = None
        self._lemmas: set = set()
        # English base words (spaCy's lemma index): words that never inflect, such as
        # "important", are in no lemma table, and must not be "mended" into "impotent".
        self.dictionary: set = set()
        self._cache: Dict[str, str] = {}

    def set_vocabulary(self, surface_to_key: Dict[str, str]) -> None:
        self.surface_to_key = dict(surface_to_key)
        self._cache.clear()

    def _lookups(self):
        """The lemma table (a spaCy Table: keys are hashed, so query it, don't list it)."""
        if self._table is None and "lemmatizer" in self.nlp.pipe_names:
            lookups = self.nlp.get_pipe("lemmatizer").lookups
            if lookups.has_table("lemma_lookup"):
                self._table = lookups.get_table("lemma_lookup")
                self._lemmas = set(self._table.values())
        return self._table

    def is_known_word(self, word: str) -> bool:
        """Whether `word` is an English word form: a base word or an inflection of one."""
        if word in self.dictionary:
            return True
        table = self._lookups()
        return table is not None and (word in table or word in self._lemmas)

    def set_dictionary(self, words: Iterable[str]) -> None:
        self.dictionary = {w.lower() for w in words if w.isalpha()}
        self._cache.clear()

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
        if (len(word) >= MIN_TYPO_LENGTH and word.isalpha() and not self.is_known_word(word)
                and not self.is_known_word(key)):
            limit = 1 if len(word) < 7 else 2
            best_distance = limit + 1
            candidates = []
            for surface, surface_key in self.surface_to_key.items():
                distance = edit_distance(word, surface, limit)
                if distance < best_distance:
                    best_distance, candidates = distance, [(surface, surface_key)]
                elif distance == best_distance:
                    candidates.append((surface, surface_key))
            # Pattern files spell some typos on purpose ("tinglng"); between equally close
            # candidates, a real English word is the likelier intent.
            real = [c for c in candidates if self.is_known_word(c[0])]
            keys = {key for _, key in (real or candidates)}
            if len(keys) == 1:
                mended = keys.pop()
        self._cache[word] = mended
        return mended

    def to_disk(self, path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "vocabulary.json", self.surface_to_key)
        (path / "dictionary.txt").write_text("\n".join(sorted(self.dictionary)), encoding="utf-8")

    def from_disk(self, path, exclude: Iterable[str] = ()) -> "TriageNormalizer":
        self.set_vocabulary(srsly.read_json(Path(path) / "vocabulary.json"))
        dictionary = Path(path) / "dictionary.txt"
        if dictionary.exists():
            self.set_dictionary(dictionary.read_text(encoding="utf-8").split())
        return self


@Language.factory("triage_normalizer")
def make_triage_normalizer(nlp: Language, name: str) -> TriageNormalizer:
    return TriageNormalizer(nlp, name)

"""The entity patterns as a trie: spaCy's EntityRuler's entities at a small part of its cost.

spaCy's Matcher starts every one of our ~39,000 token patterns at every token of a message.
Here patterns that begin alike share one path, so a token that begins no pattern costs two
dictionary look-ups, and the few paths that do begin are followed only while they match.

The entities are exactly those of `entity_ruler` with `overwrite_ents: True` over the same
patterns (tests/unit/test_phrase_trie.py holds it to that), for the token patterns that
bot/language/patterns.py writes: each token is `{"NORM": word}`, `{"LOWER": word}` or the optional
filler `{"IS_PUNCT": False, "NORM": {"NOT_IN": [...]}, "OP": "?"}`, never first or last. Any
other shape is refused when the pattern is added, rather than matched differently.
"""
import gc
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import srsly
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

# EntityRuler's default: joined with it, label and id make the ruler's own match ids.
ENT_ID_SEP = "||"
FILLER = "FILLER"
PATTERNS_FILE = "patterns.jsonl"

Element = Tuple[str, object]  # ("NORM", word), ("LOWER", word) or (FILLER, stop words)
Match = Tuple[int, int, int]  # (match id, start, end), as EntityRuler.match gives them


class PatternShapeError(ValueError):
    """A token pattern this matcher does not implement."""


def _element(token: dict, shared: Dict[Element, Element]) -> Element:
    """The token as an element; `shared` gives one object for equal elements (a word occurs in
    thousands of patterns, the filler in 30,000: each kept once, not once per pattern, takes
    the loaded trie from 75 to 25 MB)."""
    if len(token) == 1:
        for attr in ("NORM", "LOWER"):
            value = token.get(attr)
            if isinstance(value, str):
                return shared.setdefault((attr, value), (attr, value))
    elif len(token) == 3 and token.get("OP") == "?" and token.get("IS_PUNCT") is False:
        stops = token.get("NORM")
        if (isinstance(stops, dict) and len(stops) == 1 and isinstance(stops.get("NOT_IN"), list)
                and all(isinstance(word, str) for word in stops["NOT_IN"])):
            element = (FILLER, tuple(stops["NOT_IN"]))
            return shared.setdefault(element, element)
    raise PatternShapeError(f"unsupported token in an entity pattern: {token!r}")


def _token_pattern(element: Element) -> dict:
    kind, value = element
    if kind == FILLER:
        return {"IS_PUNCT": False, "NORM": {"NOT_IN": list(value)}, "OP": "?"}
    return {kind: value}


class _Node:
    __slots__ = ("norm", "lower", "fillers", "patterns")

    def __init__(self):
        self.norm: Optional[Dict[str, "_Node"]] = None
        self.lower: Optional[Dict[str, "_Node"]] = None
        self.fillers: Optional[List[Tuple[frozenset, "_Node"]]] = None
        self.patterns: Optional[List[int]] = None  # indices of the patterns that end here

    def child(self, element: Element, stop_sets: Dict[tuple, frozenset]) -> "_Node":
        kind, value = element
        if kind == FILLER:
            stops = stop_sets.get(value)
            if stops is None:
                stops = stop_sets[value] = frozenset(value)
            if self.fillers is None:
                self.fillers = []
            for key, node in self.fillers:
                if key == stops:
                    return node
            node = _Node()
            self.fillers.append((stops, node))
            return node
        if kind == "NORM":
            if self.norm is None:
                self.norm = {}
            return self.norm.setdefault(value, _Node())
        if self.lower is None:
            self.lower = {}
        return self.lower.setdefault(value, _Node())


@contextmanager
def _collector_paused():
    # Loading creates hundreds of thousands of small objects, all kept: the cyclic garbage
    # collector would walk the growing heap again and again for nothing, and more than double
    # the load time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _longest_then_earliest(match: Match) -> Tuple[int, int]:
    return match[2] - match[1], -match[1]


class PhraseTrie:
    def __init__(self, nlp: Language, name: str):
        self.nlp = nlp
        self.name = name
        self.clear()

    def clear(self) -> None:
        self._root = _Node()
        # Per pattern, in the order added: (label, id, elements), and its match id.
        self._patterns: List[Tuple[str, str, Tuple[Element, ...]]] = []
        self._match_ids: List[int] = []
        self._ent_ids: Dict[int, Tuple[str, str]] = {}
        # One object per distinct element, label, id and filler's stop words (see _element).
        self._shared: Dict = {}
        self._stop_sets: Dict[tuple, frozenset] = {}

    @property
    def patterns(self) -> List[dict]:
        # Grouped by label and id, as EntityRuler.patterns lists them, and so as the ruler
        # saved them to disk. The order of the patterns can decide an entity (see _replay):
        # saved in the ruler's order, a loaded pipeline keeps giving the ruler's entities.
        grouped: Dict[Tuple[str, str], List[dict]] = defaultdict(list)
        for label, ent_id, elements in self._patterns:
            grouped[label, ent_id].append(
                {"label": label, "pattern": [_token_pattern(e) for e in elements], "id": ent_id})
        return [pattern for patterns in grouped.values() for pattern in patterns]

    def add_patterns(self, patterns: Iterable[dict]) -> None:
        with _collector_paused():
            for pattern in patterns:
                self._add(pattern)

    def _add(self, pattern: dict) -> None:
        label, ent_id, tokens = pattern.get("label"), pattern.get("id"), pattern.get("pattern")
        if not (isinstance(label, str) and isinstance(ent_id, str) and isinstance(tokens, list)
                and tokens):
            raise PatternShapeError(f"an entity pattern needs a label, an id and a list of "
                                    f"tokens: {pattern!r}")
        shared = self._shared
        label, ent_id = shared.setdefault(label, label), shared.setdefault(ent_id, ent_id)
        elements = tuple(_element(token, shared) for token in tokens)
        if elements[0][0] == FILLER or elements[-1][0] == FILLER:
            raise PatternShapeError(f"an optional token cannot start or end a pattern: "
                                    f"{pattern!r}")
        node = self._root
        for element in elements:
            node = node.child(element, self._stop_sets)
        index = len(self._patterns)
        if node.patterns is None:
            node.patterns = []
        node.patterns.append(index)
        match_id = self.nlp.vocab.strings.add(f"{label}{ENT_ID_SEP}{ent_id}")
        self._patterns.append((label, ent_id, elements))
        self._match_ids.append(match_id)
        self._ent_ids[match_id] = (label, ent_id)

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations(doc, self.match(doc))
        return doc

    def find(self, doc: Doc) -> Dict[Tuple[int, int], Set[int]]:
        """Every match: (start, end) -> the indices of the patterns that match there."""
        norms = [token.norm_ for token in doc]
        lowers = [token.lower_ for token in doc]
        puncts = [token.is_punct for token in doc]
        found: Dict[Tuple[int, int], Set[int]] = {}
        root = self._root
        for start in range(len(norms)):
            frontier = _step([root], norms[start], lowers[start], puncts[start])
            end = start + 1
            while frontier:
                for node in frontier:
                    if node.patterns:
                        found.setdefault((start, end), set()).update(node.patterns)
                if end == len(norms):
                    break
                frontier = _step(frontier, norms[end], lowers[end], puncts[end])
                end += 1
        return found

    def match(self, doc: Doc) -> List[Match]:
        """The matches in the order EntityRuler.match gives them, as far as that order counts."""
        found = self.find(doc)
        spans = sorted(found, key=lambda span: (span[1] - span[0], -span[0]), reverse=True)
        matches: List[Match] = []
        taken: Set[int] = set()
        for start, end in spans:
            match_ids = {self._match_ids[i] for i in found[start, end]}
            if start not in taken and end - 1 not in taken:
                if len(match_ids) > 1:
                    return self._replay(doc, found)
                taken.update(range(start, end))
            matches.extend((match_id, start, end) for match_id in match_ids)
        return matches

    def _replay(self, doc: Doc, found: Dict[Tuple[int, int], Set[int]]) -> List[Match]:
        """EntityRuler.match itself, over the patterns that match this message.

        When patterns of different ids match the same span ("no feeling in my penis":
        saddle_numbness and sexual_dysfunction), the ruler keeps the one that comes first in a
        Python set of (match id, start, end) built from the Matcher's output: an order set by
        hashing and by the order in which the Matcher finds its matches, which comes from the
        order of the patterns. spaCy's Matcher keeps each pattern's candidate matches in the
        order the patterns were added, and a pattern that matches nowhere in the message adds
        none, so a Matcher of only the patterns that match here, added in their order, finds
        the same matches in the same order as the ruler's Matcher of all of them.
        """
        matcher = Matcher(doc.vocab)
        for index in sorted(set().union(*found.values())):
            label, ent_id, elements = self._patterns[index]
            matcher.add(f"{label}{ENT_ID_SEP}{ent_id}", [[_token_pattern(e) for e in elements]])
        final = set([(m_id, start, end) for m_id, start, end in matcher(doc) if start != end])
        return sorted(final, key=_longest_then_earliest, reverse=True)

    def set_annotations(self, doc: Doc, matches: Sequence[Match]) -> None:
        # EntityRuler.set_annotations with overwrite_ents: the first match to claim a span's
        # first or last token wins it, and earlier entities that overlap it give way.
        entities = list(doc.ents)
        new_entities = []
        seen_tokens: Set[int] = set()
        for match_id, start, end in matches:
            if start not in seen_tokens and end - 1 not in seen_tokens:
                label, ent_id = self._ent_ids[match_id]
                new_entities.append(Span(doc, start, end, label=label, span_id=ent_id))
                entities = [e for e in entities if not (e.start < end and e.end > start)]
                seen_tokens.update(range(start, end))
        doc.ents = entities + new_entities

    def to_bytes(self, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps(self.patterns)

    def from_bytes(self, data: bytes, exclude: Iterable[str] = ()) -> "PhraseTrie":
        self.clear()
        self.add_patterns(srsly.msgpack_loads(data))
        return self

    def to_disk(self, path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / PATTERNS_FILE, self.patterns)

    def from_disk(self, path, exclude: Iterable[str] = ()) -> "PhraseTrie":
        self.clear()
        self.add_patterns(srsly.read_jsonl(Path(path) / PATTERNS_FILE))
        return self


def _step(frontier: Iterable[_Node], norm: str, lower: str, punct: bool) -> Set[_Node]:
    """The nodes reached from `frontier` by reading one token."""
    reached = set()
    pending = list(frontier)
    visited = set(pending)
    while pending:
        node = pending.pop()
        if node.norm is not None and norm in node.norm:
            reached.add(node.norm[norm])
        if node.lower is not None and lower in node.lower:
            reached.add(node.lower[lower])
        if node.fillers is not None:
            for stops, child in node.fillers:
                if not punct and norm not in stops:
                    reached.add(child)
                # The filler is optional: this token may also be the one after it.
                if child not in visited:
                    visited.add(child)
                    pending.append(child)
    return reached


@Language.factory("triage_phrase_trie", assigns=["doc.ents", "token.ent_type", "token.ent_iob"])
def make_phrase_trie(nlp: Language, name: str) -> PhraseTrie:
    return PhraseTrie(nlp, name)

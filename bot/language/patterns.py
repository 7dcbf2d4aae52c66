"""Entity patterns: read the readable phrase files of data/patterns/ and compile them.

The phrase syntax is described in data/patterns/README.md. Each phrase expands into concrete
phrases, and each concrete phrase is run through the same tokenizer, lemmatizer and normalizer
that will read the user's message, so a pattern and a message agree on what a word is.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

import yaml

FILLER = "~"
FILLER_STOPS = {"no", "not", "never", "without", "nor", "neither", "none", "but", "however"}
MAX_EXPANSION = 5000  # per phrase: a guard against a typo that multiplies alternatives


class PatternError(ValueError):
    """A pattern file that cannot be read; the message names the file and phrase."""


@dataclass(frozen=True)
class Entry:
    label: str
    id: str
    phrases: Tuple[str, ...]
    source: str
    # "norm" (dictionary form, typos mended) or "exact" (the lowercased word itself, for
    # words whose dictionary form is another word: "left" -> "leave").
    match: str = "norm"


def load_entries(directory: Path) -> List[Entry]:
    entries = []
    files = sorted(Path(directory).glob("*.yml"))
    for path in files:
        if path.name == "examples.yml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        label = data.get("label")
        match = data.get("match", "norm")
        if not isinstance(label, str) or not isinstance(data.get("entries"), list):
            raise PatternError(f"{path}: needs a 'label' and a list of 'entries'")
        if match not in ("norm", "exact"):
            raise PatternError(f"{path}: 'match' is 'norm' or 'exact', not {match!r}")
        for entry in data["entries"]:
            if not isinstance(entry, dict) or "id" not in entry or not entry.get("phrases"):
                raise PatternError(f"{path}: every entry needs an 'id' and 'phrases': {entry!r}")
            entries.append(Entry(label, str(entry["id"]), tuple(map(str, entry["phrases"])),
                                 str(path), match))
    if not entries:
        raise PatternError(f"no pattern files (*.yml) in {directory}")
    return entries


_GROUP = re.compile(r"\[([^\[\]]*)\]")


def expand(phrase: str) -> List[str]:
    """All concrete phrases of one pattern phrase ("[a|b] c" -> ["a c", "b c"])."""
    if phrase.count("[") != phrase.count("]"):
        raise PatternError(f"unbalanced brackets in phrase {phrase!r}")
    parts: List[Sequence[str]] = []
    position = 0
    for match in _GROUP.finditer(phrase):
        parts.append([phrase[position:match.start()]])
        parts.append(match.group(1).split("|"))
        position = match.end()
    parts.append([phrase[position:]])
    count = 1
    for options in parts:
        count *= len(options)
    if count > MAX_EXPANSION:
        raise PatternError(f"phrase {phrase!r} expands to {count} phrases (max {MAX_EXPANSION})")
    results = []
    for combination in itertools.product(*parts):
        text = " ".join("".join(combination).split())
        if text and text.replace(FILLER, "").strip():
            results.append(text)
    return results


def token_patterns(nlp, concrete: str, match: str = "norm") -> List[dict]:
    """The spaCy token pattern of one concrete phrase, matching on normalized keys."""
    pattern: List[dict] = []
    for segment in re.split(r"(~)", concrete):
        if segment == FILLER:
            # Any one word, but never punctuation or a negation: a filler must not carry a
            # pattern across "back pain, no chest..." into a sign that was denied.
            pattern.append({"IS_PUNCT": False, "NORM": {"NOT_IN": sorted(FILLER_STOPS)},
                            "OP": "?"})
            continue
        if not segment.strip():
            continue
        for token in nlp(segment.strip()):
            if not token.is_space:
                pattern.append({"NORM": token.norm_} if match == "norm"
                               else {"LOWER": token.lower_})
    # A filler at either end would only widen the span: drop it.
    while pattern and "OP" in pattern[0]:
        pattern.pop(0)
    while pattern and "OP" in pattern[-1]:
        pattern.pop()
    return pattern


def compile_patterns(nlp, entries: Sequence[Entry]) -> Tuple[List[dict], Dict[str, str]]:
    """Entity-ruler patterns, and the pattern words' surface forms mapped to their keys."""
    patterns: List[dict] = []
    seen = set()
    surface_to_key: Dict[str, str] = {}
    for entry in entries:
        for phrase in entry.phrases:
            for concrete in expand(phrase):
                tokens = token_patterns(nlp, concrete, entry.match)
                if not tokens:
                    continue
                signature = (entry.label, entry.id, repr(tokens))
                if signature in seen:
                    continue
                seen.add(signature)
                patterns.append({"label": entry.label, "id": entry.id, "pattern": tokens})
                for word in nlp(concrete.replace(FILLER, " ")):
                    if word.is_alpha:
                        surface_to_key.setdefault(word.lower_, word.norm_)
    return patterns, surface_to_key


def iter_examples(path: Path) -> Iterator[Tuple[str, str]]:
    """(flag id or '', sentence) pairs of data/patterns/examples.yml, for tests."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    for flag, sentences in (data.get("must_match") or {}).items():
        for sentence in sentences:
            yield flag, sentence
    for sentence in data.get("must_not_match") or []:
        yield "", sentence

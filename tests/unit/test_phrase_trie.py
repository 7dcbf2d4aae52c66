"""The trie matcher gives exactly the entities of spaCy's EntityRuler over the same patterns.

The first test takes the project's patterns from the built pipeline (build/spacy_model, made by
`make build-nlp`) and compares the two over real messages and over messages written from the
patterns themselves; the rest use small pattern sets that isolate one rule each.
"""
import random
import re
from pathlib import Path

import pytest
import spacy
import yaml

import bot.language  # noqa: F401
from bot.language.patterns import FILLER_STOPS, iter_examples, token_patterns
from bot.language.phrase_trie import PatternShapeError

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "build" / "spacy_model"
MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
FILLER = {"IS_PUNCT": False, "NORM": {"NOT_IN": sorted(FILLER_STOPS)}, "OP": "?"}


def entities(doc):
    return [(e.start, e.end, e.label_, e.ent_id_) for e in doc.ents]


def ruler_for(nlp, patterns):
    ruler = nlp.add_pipe("entity_ruler", name="reference_ruler",
                         config={"overwrite_ents": True})
    ruler.add_patterns(patterns)
    nlp.remove_pipe("reference_ruler")
    return ruler


def trie_for(nlp, patterns):
    trie = nlp.add_pipe("triage_phrase_trie", name="trie_under_test")
    trie.add_patterns(patterns)
    nlp.remove_pipe("trie_under_test")
    return trie


def assert_same(nlp, ruler, trie, texts):
    compared = 0
    for text in texts:
        doc = nlp(text)
        expected, found = entities(ruler(doc.copy())), entities(trie(doc.copy()))
        assert found == expected, text
        compared += len(expected)
    return compared


def nlu_texts(path):
    for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
        for line in (item.get("examples") or "").splitlines():
            if line.strip().startswith("- "):
                yield MARKUP.sub(r"\1", line.strip()[2:])


def user_turns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "user" and isinstance(value, str):
                yield MARKUP.sub(r"\1", value.strip())
            else:
                yield from user_turns(value)
    elif isinstance(node, list):
        for value in node:
            yield from user_turns(value)


def written_from(pattern, rng):
    """A message that a pattern may or may not match, with words around it."""
    words = [rng.choice(["", "i have", "no", "my", "but", ",", "left", "since leg day"])]
    for token in pattern:
        if "OP" in token:
            words.append(rng.choice(["", "", "really", "my", ",", "no", "both", "."]))
        else:
            words.append(next(iter(token.values())))
    words.append(rng.choice(["", "and", "right", "legs", "pain", "?"]))
    return " ".join(w for w in words if w)


def test_same_entities_as_the_entity_ruler_on_the_project_patterns():
    if not (MODEL / "triage_phrase_trie").exists():
        pytest.fail("build the pipeline first: make build-nlp")
    nlp = spacy.load(MODEL, exclude=["triage_ambiguity", "triage_negation"])
    trie = nlp.get_pipe("triage_phrase_trie")
    nlp.remove_pipe("triage_phrase_trie")
    patterns = trie.patterns
    ruler = ruler_for(nlp, patterns)
    rng = random.Random(7)
    texts = [text for _, text in iter_examples(ROOT / "data" / "patterns" / "examples.yml")]
    texts += nlu_texts(ROOT / "tests" / "nlu" / "test_nlu.yml")
    for path in sorted((ROOT / "tests").glob("*/*.yml")):  # dialogues and test stories
        texts += user_turns(yaml.safe_load(path.read_text(encoding="utf-8")))
    training = [t for path in sorted((ROOT / "data" / "nlu").glob("*.yml"))
                for t in nlu_texts(path)]
    texts += rng.sample(training, min(200, len(training)))
    texts += [written_from(p["pattern"], rng) for p in rng.sample(patterns, 300)]
    texts += ["no feeling in my penis", "no feeling in penis", "numbness, groin",
              "tingling in both my legs and numb in my groin, no fever"]
    # As typed, and lowercased as SpacyNLP reads them.
    texts = list(dict.fromkeys(texts + [text.lower() for text in texts]))
    assert assert_same(nlp, ruler, trie, texts) > 1000


@pytest.fixture
def nlp():
    return spacy.blank("en")


def phrase(nlp, label, ent_id, concrete, match="norm"):
    return {"label": label, "id": ent_id, "pattern": token_patterns(nlp, concrete, match)}


def check(nlp, patterns, text):
    """The trie's entities, after checking that the ruler gives the same."""
    ruler, trie = ruler_for(nlp, patterns), trie_for(nlp, patterns)
    doc = nlp(text)
    found = entities(trie(doc.copy()))
    assert found == entities(ruler(doc.copy()))
    return [(nlp(text)[start:end].text, ent_id) for start, end, _, ent_id in found]


def test_a_filler_is_any_one_word_or_none(nlp):
    patterns = [phrase(nlp, "red_flag", "saddle", "numb ~ ~ groin")]
    assert check(nlp, patterns, "numb groin") == [("numb groin", "saddle")]
    assert check(nlp, patterns, "numb in groin") == [("numb in groin", "saddle")]
    assert check(nlp, patterns, "numb in my groin") == [("numb in my groin", "saddle")]
    assert check(nlp, patterns, "numb in my left groin") == []


def test_punctuation_and_denials_stop_a_filler(nlp):
    patterns = [phrase(nlp, "red_flag", "saddle", "numb ~ groin")]
    assert check(nlp, patterns, "numb, groin") == []
    assert check(nlp, patterns, "numb - groin") == []
    assert check(nlp, patterns, "numb no groin") == []
    assert check(nlp, patterns, "numb not groin") == []


def test_the_longest_match_wins_then_the_earliest(nlp):
    patterns = [phrase(nlp, "symptom", "tingling", "tingling"),
                phrase(nlp, "red_flag", "both_legs", "tingling in ~ legs"),
                phrase(nlp, "body_part", "ab", "a b"), phrase(nlp, "body_part", "bc", "b c")]
    assert check(nlp, patterns, "tingling in both legs") == [
        ("tingling in both legs", "both_legs")]
    assert check(nlp, patterns, "tingling in my arms") == [("tingling", "tingling")]
    assert check(nlp, patterns, "a b c") == [("a b", "ab")]
    assert check(nlp, patterns, "b c a b") == [("b c", "bc"), ("a b", "ab")]


def test_exact_patterns_match_the_word_as_written_in_any_case(nlp):
    patterns = [phrase(nlp, "red_flag", "both_legs", "numb ~ legs", match="exact")]
    assert check(nlp, patterns, "Numb in LEGS") == [("Numb in LEGS", "both_legs")]
    assert check(nlp, patterns, "numb in leg") == []


def test_same_span_different_ids_picks_the_rulers_winner(nlp):
    # Which id the ruler keeps for one span depends on the order of the patterns; and the
    # ruler saves its patterns grouped by id, so the order changes when it is saved and loaded.
    rng = random.Random(3)
    words = ["a", "b", "c", "d"]
    for _ in range(40):
        patterns = [{"label": rng.choice(["x", "y"]), "id": rng.choice("pqrs"),
                     "pattern": [{"NORM": w} for w in rng.sample(words, rng.randint(1, 3))]}
                    for _ in range(12)]
        texts = [" ".join(rng.choices(words, k=6)) for _ in range(10)]
        ruler, trie = ruler_for(nlp, patterns), trie_for(nlp, patterns)
        assert_same(nlp, ruler, trie, texts)
        ruler.from_bytes(ruler.to_bytes())
        trie.from_bytes(trie.to_bytes())
        assert trie.patterns == ruler.patterns
        assert_same(nlp, ruler, trie, texts)


def test_random_patterns_with_fillers(nlp):
    # A small alphabet makes fillers, overlaps and ties meet often.
    rng = random.Random(11)
    words = ["a", "b", "c", "no", ","]
    for _ in range(150):
        patterns = []
        for _ in range(rng.randint(1, 8)):
            tokens = [{"NORM": rng.choice(words[:3])}]
            for _ in range(rng.randint(0, 4)):
                tokens.append(FILLER if rng.random() < 0.4 else {"NORM": rng.choice(words)})
            tokens.append({"NORM": rng.choice(words[:3])} if rng.random() < 0.7
                          else {"LOWER": rng.choice(["a", "B"])})
            patterns.append({"label": rng.choice(["x", "y"]), "id": rng.choice("pq"),
                             "pattern": tokens})
        texts = [" ".join(rng.choices(words + ["A", "d"], k=rng.randint(0, 9)))
                 for _ in range(8)]
        assert_same(nlp, ruler_for(nlp, patterns), trie_for(nlp, patterns), texts)


def test_earlier_entities_give_way_as_with_the_ruler(nlp):
    patterns = [phrase(nlp, "body_part", "lower_back", "lower back")]
    ruler, trie = ruler_for(nlp, patterns), trie_for(nlp, patterns)
    doc = nlp("my lower back and legs")
    doc.ents = [spacy.tokens.Span(doc, 0, 2, label="OTHER"), spacy.tokens.Span(doc, 4, 5, "X")]
    assert entities(trie(doc.copy())) == entities(ruler(doc.copy())) == [
        (1, 3, "body_part", "lower_back"), (4, 5, "X", "")]


def test_the_trie_survives_saving_and_loading(nlp, tmp_path):
    patterns = [phrase(nlp, "red_flag", "saddle", "numb ~ ~ groin"),
                phrase(nlp, "red_flag", "both_legs", "numb ~ legs", match="exact")]
    nlp.add_pipe("triage_phrase_trie").add_patterns(patterns)
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.get_pipe("triage_phrase_trie").patterns == patterns
    assert entities(loaded("numb in my groin and numb legs")) == [
        (0, 4, "red_flag", "saddle"), (5, 7, "red_flag", "both_legs")]


@pytest.mark.parametrize("pattern", [
    [{"LEMMA": "numb"}],
    [FILLER, {"NORM": "groin"}],
    [{"NORM": "numb"}, FILLER],
    [{"NORM": "numb"}, {"IS_PUNCT": False, "OP": "?"}, {"NORM": "groin"}],
    [{"NORM": "numb"}, {"NORM": "x", "OP": "*"}],
    [],
])
def test_shapes_it_does_not_implement_are_refused(nlp, pattern):
    trie = nlp.add_pipe("triage_phrase_trie")
    with pytest.raises(PatternShapeError):
        trie.add_patterns([{"label": "red_flag", "id": "x", "pattern": pattern}])

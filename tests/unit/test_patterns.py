"""The red-flag patterns against the examples in data/patterns/examples.yml, and negation.

Runs the built pipeline (build/spacy_model, made by `make build-nlp`, which `make test` runs).
"""
from pathlib import Path

import pytest
import spacy

import bot.language  # noqa: F401
from bot.language.patterns import expand, iter_examples, PatternError

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "build" / "spacy_model"
EXAMPLES = list(iter_examples(ROOT / "data" / "patterns" / "examples.yml"))


@pytest.fixture(scope="module")
def nlp():
    if not MODEL.exists():
        pytest.fail("build the pipeline first: make build-nlp")
    return spacy.load(MODEL)


def flags(nlp, text, negated=False):
    return {e.ent_id_ for e in nlp(text).ents if e.label_ == "red_flag" and e._.negated == negated}


@pytest.mark.parametrize("flag,sentence", [e for e in EXAMPLES if e[0]])
def test_each_red_flag_example_is_found(nlp, flag, sentence):
    assert flag in flags(nlp, sentence)


@pytest.mark.parametrize("sentence", [s for flag, s in EXAMPLES if not flag])
def test_ordinary_messages_raise_no_red_flag(nlp, sentence):
    assert flags(nlp, sentence) == set()


@pytest.mark.parametrize("sentence,flag", [
    ("no numbness in my groin, just a sore back", "saddle_numbness"),
    ("I don't have a fever", "fever"),
    ("no fever or chills", "fever"),
    ("fever? no", "fever"),
    ("never had cancer", "cancer_history"),
])
def test_negated_red_flags_are_marked_negated(nlp, sentence, flag):
    assert flag in flags(nlp, sentence, negated=True)
    assert flag not in flags(nlp, sentence)


@pytest.mark.parametrize("sentence,flag", [
    ("tingling in both legs, no fever", "both_legs"),
    ("no fever but i can't pee", "bladder_bowel"),
    ("not sure if i have a fever", "fever"),  # doubt is not denial: over-triage wins
    ("I don't know if I've got a temperature", "fever"),
    ("no fever and i have numbness in my groin", "saddle_numbness"),
])
def test_negation_stops_where_it_should(nlp, sentence, flag):
    assert flag in flags(nlp, sentence)


@pytest.mark.parametrize("typo,flag", [
    ("numbess in my groin", "saddle_numbness"),
    ("tingleing in both legs", "both_legs"),
])
def test_small_typos_are_tolerated(nlp, typo, flag):
    assert flag in flags(nlp, typo)


def test_english_words_are_not_mended_into_pattern_words(nlp):
    assert flags(nlp, "I went myself to the gym") == set()


def test_phrase_syntax_expands_alternatives_and_optional_groups():
    assert expand("[a|b] c [d|]") == ["a c d", "a c", "b c d", "b c"]
    with pytest.raises(PatternError):
        expand("[a|b c")


def test_a_filler_never_carries_a_pattern_across_a_denial(nlp):
    assert "chest_pain" not in flags(nlp, "back pain, no chest pain, no fever, just sore")
    assert "chest_pain" in flags(nlp, "back pain, no chest pain, no fever, just sore", negated=True)


def test_ordinary_words_are_never_mended_into_signs(nlp):
    assert flags(nlp, "why is form so important on leg press") == set()


def test_a_denial_ends_at_a_comma_before_something_else(nlp):
    doc = nlp("no numbness, my lower back is sore")
    assert [(e.text, e._.negated) for e in doc.ents if e.label_ == "body_part"] == [
        ("lower back", False)]
    assert "fever" in flags(nlp, "no fever, chills or weight loss", negated=True)


def sides(nlp, text):
    return [e.ent_id_ for e in nlp(text).ents if e.label_ == "side"]


def test_sides_are_side_words_not_look_alikes(nlp):
    assert sides(nlp, "pain in my left leg") == ["left"]
    assert sides(nlp, "it hurts on the right side") == ["right"]
    assert sides(nlp, "my right hip aches") == ["right"]
    assert sides(nlp, "it started right after leg press") == []
    assert sides(nlp, "should I leave it for a week") == []


def symptoms(nlp, text):
    return [(e.ent_id_, e._.negated) for e in nlp(text).ents if e.label_ == "symptom"]


def test_a_bad_back_is_a_complaint_the_british_way(nlp):
    assert symptoms(nlp, "I've only got the bad back, from squats") == [("pain", False)]
    assert symptoms(nlp, "dodgy back since leg day") == [("pain", False)]
    assert symptoms(nlp, "I have never had a bad back in my life") == [("pain", True)]

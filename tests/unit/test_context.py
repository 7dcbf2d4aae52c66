"""Whose sign is it, and is it current: ConText (medspaCy) on the built pipeline.

Each sentence is written for this project, after the phenomena in docs/language-phenomena.md.
Runs build/spacy_model (make build-nlp; make test builds it).
"""
from pathlib import Path

import pytest
import spacy

import bot.language  # noqa: F401
from bot.language import context

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "build" / "spacy_model"
RULES = ROOT / "data" / "context" / "patient_rules.json"


@pytest.fixture(scope="module")
def nlp():
    if not MODEL.exists():
        pytest.fail("build the pipeline first: make build-nlp")
    return spacy.load(MODEL)


def roles(nlp, text, label="red_flag"):
    return {e.ent_id_: e._.context_role for e in nlp(text).ents if e.label_ == label}


@pytest.mark.parametrize("text,flag", [
    ("I can't feel the toilet paper when I wipe", "saddle_numbness"),
    ("no i don't know, maybe my bum is numb", "saddle_numbness"),
    ("since I returned to the gym my groin has gone numb", "saddle_numbness"),
    ("I'm worried about the numbness in my groin", "saddle_numbness"),
    ("years ago I had sciatica, now both my legs are numb", "both_legs"),
    ("my brother is driving me in, I can't pee at all", "bladder_bowel"),
    ("I had breast cancer a few years ago and now my back hurts", "cancer_history"),
    ("it might be nothing but I think I can't pee properly", "bladder_bowel"),
    ("what does this mean, both my legs are numb", "both_legs"),
    ("my groin is numb, what does that mean?", "saddle_numbness"),
])
def test_a_current_sign_of_the_writer_has_no_role(nlp, text, flag):
    assert roles(nlp, text).get(flag, "missing") is None


@pytest.mark.parametrize("text,flag,role", [
    ("my brother had cauda equina surgery last year, mine is just normal soreness",
     "saddle_numbness", context.OTHER_PERSON),
    ("my mate had a fever last week and my back aches", "fever", context.OTHER_PERSON),
    ("what if my legs go numb, both of them?", "both_legs", context.HYPOTHETICAL),
    ("should I worry about numbness in my groin?", "saddle_numbness", context.HYPOTHETICAL),
    ("no numbness in my groin, just a sore back", "saddle_numbness", context.NEGATED),
    ("years ago I had a fever with back pain", "fever", context.HISTORICAL),
    # a question about a word of the bot's question (issue 14)
    ("what do you mean by loss of sensation in the groin?", "saddle_numbness",
     context.HYPOTHETICAL),
    ("can you explain what numbness in both legs means", "both_legs", context.HYPOTHETICAL),
    # asking what a sign is, outside a check too
    ("what counts as a fever?", "fever", context.HYPOTHETICAL),
    ("how do I know if I have a fever", "fever", context.HYPOTHETICAL),
    ("whats classed as numbness in the saddle area", "saddle_numbness", context.HYPOTHETICAL),
    ("what does saddle numbness mean", "saddle_numbness", context.HYPOTHETICAL),
])
def test_a_sign_that_is_not_the_writers_current_one_gets_its_role(nlp, text, flag, role):
    assert roles(nlp, text).get(flag) == role


def test_the_writer_turning_to_themselves_ends_someone_elses_story(nlp):
    found = {e.text: e._.context_role for e in
             nlp("my brother had cauda equina surgery, mine is just normal soreness").ents}
    assert found["soreness"] is None


def test_medspacys_rules_are_loaded_less_the_documented_exclusions():
    import json

    project = json.loads(RULES.read_text())
    rules = context.combined_rules(RULES)
    literals = {rule["literal"] for rule in rules}
    default = {rule["literal"] for rule in context.medspacy_default_rules()}
    assert len(default) > 90  # medspaCy 1.3's English rules
    assert default - set(project["exclude_default"]) <= literals
    assert not set(project["exclude_default"]) & (literals - {r["literal"] for r in
                                                              project["context_rules"]})
    # Every ConText category of the algorithm is present.
    categories = {rule["category"] for rule in rules}
    assert {"NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HISTORICAL", "HYPOTHETICAL",
            "FAMILY"} <= categories
    directions = {rule.get("direction") for rule in rules}
    assert {"PSEUDO", "TERMINATE"} <= directions

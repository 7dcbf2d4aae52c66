"""The learned red-flag detector on the built pipeline (build/spacy_model)."""
from pathlib import Path

import numpy as np
import pytest
import spacy

import bot.language  # noqa: F401
from bot.language import screens

MODEL = Path(__file__).resolve().parents[2] / "build" / "spacy_model"


@pytest.fixture(scope="module")
def nlp():
    if not MODEL.exists():
        pytest.fail("build the pipeline first: make build-nlp")
    return spacy.load(MODEL)


def test_the_fast_path_gives_scikit_learns_probabilities(nlp):
    detector = nlp.get_pipe("triage_screens")
    texts = ["no", "my back hurts after leg press", "can not feel my bum when i wipe",
             "the bar came down on my chest", "my brother had it years ago"]
    np.testing.assert_allclose(detector.predict_proba(texts),
                               detector.classifier.predict_proba(texts), atol=1e-9)


def test_thresholds_were_chosen_by_cross_validation(nlp):
    meta = nlp.get_pipe("triage_screens").meta
    assert meta["examples"] > 1000 and 0.8 < meta["cv_accuracy"] <= 1
    for limits in meta["thresholds"].values():
        assert 0 < limits[screens.POSSIBLE] < limits[screens.LIKELY] < 1


@pytest.mark.parametrize("text,screen", [
    ("i keep leaking a bit and i don't always make it to the loo in time", "em_cauda_equina"),
    ("sitting on the toilet it feels like someone else's backside", "em_cauda_equina"),
    ("both my legs went to jelly when I stood up off the machine", "em_legs"),
])
def test_signs_in_words_the_patterns_lack_are_read(nlp, text, screen):
    assert screen in nlp(text)._.screens


@pytest.mark.parametrize("text", [
    "my lower back is sore after leg press",
    "what's the best foot placement on the leg press",
    "it's been three days and it's easing off",
])
def test_ordinary_back_pain_raises_no_confident_sign(nlp, text):
    found = nlp(text)._.screens
    assert not [s for s, r in found.items() if r["level"] == screens.LIKELY], found


def test_a_long_message_is_read_clause_by_clause(nlp):
    doc = nlp("It was just a tweak on Monday and I carried on training all week as normal, "
              "then on Thursday I realised I couldn't tell when my bladder was full, "
              "and the pain is about a 5.")
    reading = doc._.screens["em_cauda_equina"]
    clause = doc.text[reading["start"]:reading["end"]]
    assert "bladder" in clause and "Monday" not in clause


@pytest.mark.parametrize("text", ["since friday", "yes", "about 2 weeks", "no", "im 41"])
def test_a_short_or_wordless_answer_is_never_a_confident_sign(nlp, text):
    found = nlp(text)._.screens
    assert not [s for s, r in found.items() if r["level"] == screens.LIKELY], found

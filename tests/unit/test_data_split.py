"""The held-out NLU set stays held out: no test sentence is also a training sentence."""
import re
from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

ROOT = Path(__file__).resolve().parents[2]


def normal(text):
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def test_no_sentence_is_in_both_the_training_data_and_the_test_set():
    training = {normal(e.get("text")) for e in load_data(str(ROOT / "data/nlu")).training_examples}
    test = load_data(str(ROOT / "tests/nlu/test_nlu.yml")).training_examples
    assert len(test) >= 300
    assert [e.get("text") for e in test if normal(e.get("text")) in training] == []

"""The NLU on the held-out test set (tests/nlu/test_nlu.yml), held to the floors of issue 3."""
import json
import subprocess

import pytest

from bot.staff.nlu_quality import THRESHOLDS, figures
from tests.conftest import MODEL, ROOT, VENV_BIN, server_env

OUT = ROOT / "results" / "nlu"


@pytest.fixture(scope="module")
def quality():
    completed = subprocess.run(
        [str(VENV_BIN / "rasa"), "test", "nlu", "--nlu", "tests/nlu/test_nlu.yml",
         "--model", str(MODEL), "--out", str(OUT), "--successes"],
        cwd=ROOT, env=server_env(), capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    found = figures(OUT)
    (OUT / "quality.json").write_text(json.dumps(found, indent=2))
    print(json.dumps({k: v for k, v in found.items() if not isinstance(v, list)}))
    return found


def test_intent_macro_f1(quality):
    assert quality["intent_macro_f1"] >= THRESHOLDS["intent_macro_f1"]


def test_entity_f1(quality):
    assert quality["entity_f1"] >= THRESHOLDS["entity_f1"]


def test_no_red_flag_phrasing_is_missed(quality):
    assert quality["red_flag_examples"] >= 60
    assert quality["red_flag_missed"] == []


def test_denied_red_flags_are_rarely_taken_for_real_ones(quality):
    assert quality["negated_examples"] >= 20
    assert quality["negated_false_positive_rate"] < THRESHOLDS["negated_false_positive_rate_max"], \
        quality["negated_false_positives"]

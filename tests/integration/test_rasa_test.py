"""Rasa's own evaluation on the trained model: the test conversations in tests/stories/."""
import json
import subprocess

from tests.conftest import MODEL, ROOT, VENV_BIN, server_env

RESULTS = ROOT / "results"


def test_every_test_conversation_passes(endpoints_file):
    out = RESULTS / "stories"
    completed = subprocess.run(
        [str(VENV_BIN / "rasa"), "test", "core", "--stories", "tests/stories",
         "--model", str(MODEL), "--endpoints", str(endpoints_file), "--out", str(out)],
        cwd=ROOT, env=server_env(), capture_output=True, text=True, timeout=1200)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = json.loads((out / "story_report.json").read_text())
    failed = (out / "failed_test_stories.yml").read_text()
    conversations = report["conversation_accuracy"]
    print(f"test conversations: {conversations['correct']}/{conversations['total']} "
          f"({conversations['accuracy']:.3f})")
    assert conversations["total"] >= 30
    assert conversations["correct"] == conversations["total"], failed

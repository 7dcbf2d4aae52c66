"""The safety gate of CI: the project's vignettes and the held-out messages, played against
the real bot as `python -m bot safety-report` plays them (a subprocess, its output).

CI fails when an emergency is missed by the end of a conversation, or when a vignette ends
below its expected level. The held-out set is judged on emergencies (sensitivity 1.0 by the
end of the conversation) and on lenient safety (no case two levels or more below its own,
Gilbert et al. 2020); its other figures are reported (README, make safety-report), not gated,
because it is the population the bot is measured on, not tuned to.
"""
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, server_env


@pytest.fixture(scope="module")
def report(rasa_server, tmp_path_factory):
    out = tmp_path_factory.mktemp("safety")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "safety-report", "--url", rasa_server, "--out", str(out)],
        cwd=ROOT, env=server_env(), capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    return {"summary": last, "full": json.loads((out / "report.json").read_text()),
            "stdout": done.stdout, "out": out}


def test_no_emergency_is_missed_by_the_end_of_any_conversation(report):
    for name, figures in report["full"]["sets"].items():
        assert figures["errors"] == 0, (name, figures)
        assert figures["emergency_sensitivity"] == 1.0, (name, figures["under_triaged"])


def test_no_held_out_case_ends_two_levels_below_its_own(report):
    heldout = report["full"]["sets"]["heldout"]
    assert heldout["lenient_safety"] == 1.0, heldout["under_triaged"]


def test_no_vignette_ends_below_its_level(report):
    vignettes = report["full"]["sets"]["vignettes"]
    assert vignettes["strict_safety"] == 1.0, vignettes["under_triaged"]
    assert vignettes["no_recommendation"] == 0


def test_the_report_has_every_figure_the_literature_uses_and_a_plot(report):
    summary = report["summary"]
    for key in ("emergency_sensitivity", "strict_safety", "exact", "over_triage",
                "lenient_safety", "emergency_sensitivity_first"):
        assert isinstance(summary[key], float), key
    heldout = report["full"]["sets"]["heldout"]
    assert heldout["cases"] >= 300 and heldout["emergency_cases"] >= 120
    for tag in ("negated", "other_person", "historical", "hypothetical", "long", "euphemism"):
        assert tag in heldout["flags_by_phenomenon"], tag
    assert (report["out"] / "safety.png").stat().st_size > 10_000
    lines = (report["out"] / "conversations.jsonl").read_text().splitlines()
    assert len(lines) == heldout["cases"] + report["full"]["sets"]["vignettes"]["cases"]

"""The staff dialogues (tests/dialogues/) played with `python -m bot dialogue` against the
real bot, as staff run them: a subprocess, its output and its exit code."""
import re
import subprocess
import sys

from tests.conftest import EMERGENCY_NUMBER, ROOT, server_env

SHIPPED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "dialogues").glob("*.yml"))


def run_dialogues(url, *files, extra=()):
    # The same environment as the servers, so the emergency number checked is theirs.
    return subprocess.run(
        [sys.executable, "-m", "bot", "dialogue", *files, "--url", url, *extra],
        cwd=ROOT, env=server_env(), capture_output=True, text=True, timeout=900)


def test_every_shipped_dialogue_passes_against_the_real_bot(rasa_server):
    done = run_dialogues(rasa_server, *SHIPPED)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    summary = re.search(r"^(\d+) passed, 0 failed$", done.stdout, re.MULTILINE)
    assert summary and int(summary.group(1)) >= 30, done.stdout[-2000:]
    assert int(summary.group(1)) == sum(line.startswith("PASS ")
                                        for line in done.stdout.splitlines())
    # The transcript shows both sides, the buttons and the recommendation.
    assert "  you: [None of these]" in done.stdout
    assert "       [Yes, one of these] [None of these] [Not sure]" in done.stdout
    for level in ("emergency", "urgent", "see_doctor", "self_care"):
        assert f"  bot: (disposition: {level})" in done.stdout


def test_quiet_hides_the_transcripts_of_passing_dialogues(rasa_server):
    done = run_dialogues(rasa_server, "tests/dialogues/urgent.yml", extra=["--quiet"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "you:" not in done.stdout and "bot:" not in done.stdout
    assert "PASS tests/dialogues/urgent.yml: fever and chills in the first message" in done.stdout


def test_a_wrong_expectation_fails_with_exit_code_1_and_names_the_dialogue(rasa_server,
                                                                          tmp_path):
    wrong = tmp_path / "wrong.yml"
    wrong.write_text(
        "dialogues:\n"
        "  - name: numb groin is not self care\n"
        "    turns:\n"
        "      - user: numbness in my groin since leg day\n"
        "    final_disposition: self_care\n"
        "  - name: the greeting\n"
        "    turns:\n"
        "      - user: hi\n"
        "        says: automated guide\n"
        "        emergency_number: yes\n")
    done = run_dialogues(rasa_server, str(wrong))
    assert done.returncode == 1, done.stdout + done.stderr
    assert (f"FAIL {wrong}: numb groin is not self care — expected final disposition "
            f"self_care, got emergency") in done.stdout
    assert f"PASS {wrong}: the greeting" in done.stdout
    assert done.stdout.rstrip().endswith("1 passed, 1 failed")
    # A failing dialogue always shows its transcript, with the bot's own emergency number.
    assert "  you: numbness in my groin since leg day" in done.stdout
    assert f"call {EMERGENCY_NUMBER}" in done.stdout.lower()


def test_a_button_that_is_not_offered_fails_clearly(rasa_server, tmp_path):
    wrong = tmp_path / "button.yml"
    wrong.write_text("dialogues:\n  - name: no such button\n    turns:\n"
                     "      - user: my back hurts after leg press\n      - button: Maybe\n")
    done = run_dialogues(rasa_server, str(wrong), extra=["--quiet"])
    assert done.returncode == 1
    assert ("turn 2 (line 5): no button 'Maybe' to click; buttons offered: "
            "[Yes, one of these] [None of these] [Not sure]") in done.stdout


def test_a_malformed_file_gives_exit_code_2_and_says_where(rasa_server, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("dialogues:\n  - name: typo in a key\n    turns:\n      - usr: hi\n")
    done = run_dialogues(rasa_server, *SHIPPED, str(bad))
    assert done.returncode == 2
    assert f"{bad}:4: unknown key 'usr' in turn 1 of dialogue 'typo in a key'" in done.stderr
    assert "PASS" not in done.stdout  # nothing is played until every file reads


def test_no_bot_at_the_url_gives_exit_code_2_and_says_how_to_start_it(tmp_path):
    done = run_dialogues("http://127.0.0.1:9", *SHIPPED)
    assert done.returncode == 2
    assert "no bot answers at http://127.0.0.1:9" in done.stderr and "make run" in done.stderr

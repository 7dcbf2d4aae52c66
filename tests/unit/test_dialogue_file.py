"""Staff dialogue files (bot/staff/dialogue.py): reading them, and the checks against fake replies.

No server here: the integration test tests/integration/test_dialogues.py plays the shipped
files against the real bot.
"""
import io
from pathlib import Path

import pytest

from bot.clinical import triage
from bot.staff import dialogue
from bot.staff.dialogue import DialogueFileError, parse_text

SHIPPED = sorted((Path(__file__).resolve().parents[1] / "dialogues").glob("*.yml"))

GOOD = """\
dialogues:
  - name: sore after leg day
    turns:
      - user: my back hurts
        says: emergency signs first
        buttons: [Yes, No, Not sure]
      - button: No
        does_not_say: [sorry, "couldn't"]
      - user: no
      - user: 7
        disposition: Self care
        emergency_number: yes
    final_disposition: self_care
    emergency_number_in_replies: yes
"""


def error_of(text: str) -> str:
    with pytest.raises(DialogueFileError) as caught:
        parse_text(text, "staff.yml")
    return str(caught.value)


def test_a_good_file_is_read_with_every_check():
    (only,) = parse_text(GOOD, "staff.yml")
    assert only.name == "sore after leg day" and only.file == "staff.yml" and only.line == 2
    first, click, typed, last = only.turns
    assert first.user == "my back hurts" and first.says == ("emergency signs first",)
    assert first.buttons == ("Yes", "No", "Not sure") and first.line == 4
    assert click.button == "No" and click.user is None
    assert click.does_not_say == ("sorry", "couldn't")
    assert last.disposition == "self_care" and last.emergency_number
    assert only.final_disposition == "self_care" and only.emergency_number_in_replies


def test_every_value_stays_text_so_no_and_numbers_need_no_quotes():
    (only,) = parse_text(GOOD)
    # Plain YAML would read these as False and 7; they are what the person types.
    assert only.turns[2].user == "no" and only.turns[3].user == "7"
    assert only.turns[1].button == "No"


def test_an_empty_message_can_be_sent_when_quoted():
    (only,) = parse_text('dialogues:\n  - name: empty\n    turns:\n      - user: ""\n')
    assert only.turns[0].user == ""


def test_checks_are_optional():
    (only,) = parse_text("dialogues:\n  - name: hi\n    turns:\n      - user: hi\n")
    assert only.final_disposition is None and not only.emergency_number_in_replies
    assert only.turns[0].disposition is None and only.turns[0].says == ()


@pytest.mark.parametrize("text,expected", [
    ("dialogues:\n  - name: a\n    turns:\n      - user: hi\n        expect: hello\n",
     "staff.yml:5: unknown key 'expect' in turn 1 of dialogue 'a'"),
    ("dialogues:\n  - name: a\n    turns:\n      - says: hello\n",
     "staff.yml:4: turn 1 of dialogue 'a' needs exactly one of 'user:"),
    ("dialogues:\n  - name: a\n    turns:\n      - user: hi\n        button: No\n",
     "staff.yml:4: turn 1 of dialogue 'a' needs exactly one of"),
    ("dialogues:\n  - name: a\n    turns:\n      - user: hi\n      - user:\n",
     "staff.yml:5: 'user' of turn 2 of dialogue 'a' is missing its text"),
    ("dialogues:\n  - name: a\n    turns:\n      - user: hi\n    final_disposition: selfcare\n",
     "staff.yml:5: 'selfcare' is not a disposition"),
    ("dialogues:\n  - name: a\n    turns:\n      - user: hi\n        disposition: soon\n",
     "staff.yml:5: 'soon' is not a disposition"),
    ("dialogues:\n  - name: a\n    turns:\n      - user: hi\n        user: hello\n",
     "staff.yml:5: 'user' is written twice in turn 1"),
    ("dialogues:\n  - name: a\n    turns:\n      - user: hi\n  - name: a\n    turns:\n"
     "      - user: hi\n", "staff.yml:5: two dialogues are called 'a'"),
    ("dialogues:\n  - turns:\n      - user: hi\n", "staff.yml:2: dialogue 1 has no 'name'"),
    ("dialogues:\n  - name: a\n", "staff.yml:2: dialogue 'a' has no 'turns'"),
    ("dialogues:\n  - name: a\n    turns: []\n", "staff.yml:3: dialogue 'a' has no turns"),
    ("dialogues:\n  - name: a\n    turns:\n      - user: hi\n    emergency_number_in_replies: "
     "always\n", "staff.yml:5: 'always' in dialogue 'a' should be yes or no"),
    ("dialogues:\n  - name: a\n    turns:\n      - user: hi\n        buttons: [A, What?]\n",
     "staff.yml:5: not valid YAML"),
    ("dialogue:\n  - name: a\n", "staff.yml:1: unknown key 'dialogue' in the file"),
    ("- name: a\n", "staff.yml:1: the file should be a set of 'key: value' lines"),
    ("dialogues:\n", "staff.yml:1: 'dialogues' should be a list"),
    ("", "staff.yml: the file is empty"),
    ("dialogues:\n  - name: a\n    turns:\n      - user: [hi, there]\n",
     "staff.yml:4: 'user' of turn 1 of dialogue 'a' should be one piece of text"),
])
def test_a_malformed_file_says_where_and_what(text, expected):
    assert expected in error_of(text)


def test_a_bad_disposition_lists_the_valid_ones_from_the_triage_ladder():
    message = error_of("dialogues:\n  - name: a\n    turns:\n      - user: hi\n"
                       "    final_disposition: soon\n")
    for level in triage.LADDER + ("none",):
        assert level in message


def test_dispositions_may_be_written_in_plain_words():
    (only,) = parse_text("dialogues:\n  - name: a\n    turns:\n      - user: hi\n"
                         "        disposition: See Doctor\n    final_disposition: self-care\n")
    assert only.turns[0].disposition == "see_doctor" and only.final_disposition == "self_care"


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(DialogueFileError, match="nowhere.yml: cannot read the file"):
        dialogue.load_file(str(tmp_path / "nowhere.yml"))


def test_a_folder_stands_for_its_yml_files(tmp_path):
    (tmp_path / "b.yml").write_text("x")
    (tmp_path / "a.yaml").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    assert dialogue.files_to_play([str(tmp_path)]) == [str(tmp_path / "a.yaml"),
                                                       str(tmp_path / "b.yml")]


# ------------------------------------------------------------ the shipped set

@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_the_shipped_files_are_well_formed(path):
    assert dialogue.load_file(str(path))


def test_the_shipped_set_reaches_every_disposition():
    finals = {d.final_disposition for path in SHIPPED for d in dialogue.load_file(str(path))}
    assert set(triage.LADDER) <= finals


# ------------------------------------------------------------ the checks, with a fake bot

QUESTION = [{"text": "Any of these?", "buttons": [
    {"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]}]
ADVICE = [{"text": "Please call 999 now."},
          {"custom": {"disposition": "emergency", "emergency_number": "999"}}]


class FakeBot:
    """Answers each message from a script and records what was sent."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.sent = []

    def send(self, sender, message):
        self.sent.append((sender, message))
        return self.replies.pop(0)


def play(text, *replies, number="112"):
    (only,) = parse_text(text)
    bot = FakeBot(*replies)
    return dialogue.play(only, bot, number), bot


def test_a_button_is_clicked_by_its_title_and_its_payload_sent():
    result, bot = play("dialogues:\n  - name: a\n    turns:\n      - user: back hurts\n"
                       "      - button: yes\n        disposition: emergency\n"
                       "    final_disposition: emergency\n    emergency_number_in_replies: yes\n",
                       QUESTION, ADVICE)
    assert result.passed, result.failure
    assert [message for _, message in bot.sent] == ["back hurts", "/affirm"]
    assert "  you: [yes]" in result.transcript
    assert "       [Yes] [No]" in result.transcript
    assert "  bot: (disposition: emergency)" in result.transcript


def test_a_missing_button_fails_and_lists_the_buttons_offered():
    result, _ = play("dialogues:\n  - name: a\n    turns:\n      - user: back hurts\n"
                     "      - button: Not sure\n", QUESTION)
    assert "turn 2 (line 5): no button 'Not sure' to click; buttons offered: [Yes] [No]" \
        in result.failure


def test_each_dialogue_is_a_new_conversation():
    text = "dialogues:\n  - name: a\n    turns:\n      - user: hi\n      - user: hi\n"
    _, first = play(text, [], [])
    _, second = play(text, [], [])
    assert first.sent[0][0] == first.sent[1][0] != second.sent[0][0]


@pytest.mark.parametrize("check,failure", [
    ("says: Call 112", "turn 1 (line 4): the bot did not say 'Call 112'"),
    ("does_not_say: CALL 999", "the bot said 'CALL 999'"),
    ("buttons: Maybe", "no button 'Maybe' was offered"),
    ("disposition: urgent", "expected disposition urgent, got emergency"),
    ("disposition: none", "expected disposition none, got emergency"),
])
def test_a_failed_check_names_the_turn_and_what_was_wrong(check, failure):
    result, _ = play(f"dialogues:\n  - name: a\n    turns:\n      - user: help\n        {check}\n",
                     ADVICE)
    assert not result.passed and failure in result.failure


def test_texts_are_matched_ignoring_case_and_line_breaks():
    result, _ = play("dialogues:\n  - name: a\n    turns:\n      - user: help\n"
                     "        says: now. second line\n",
                     [{"text": "Call 999 NOW.\n\nSecond   line"}])
    assert result.passed, result.failure


def test_the_final_disposition_is_the_last_one_given():
    result, _ = play("dialogues:\n  - name: a\n    turns:\n      - user: hi\n"
                     "    final_disposition: self_care\n", [{"text": "hello"}])
    assert result.failure == "expected final disposition self_care, got none"


def test_the_emergency_number_comes_from_the_recommendation_payload():
    # The bot said 999 in its payload, so 999 is looked for, whatever the local setting.
    result, _ = play("dialogues:\n  - name: a\n    turns:\n      - user: help\n"
                     "    emergency_number_in_replies: yes\n", ADVICE, number="112")
    assert result.passed, result.failure
    result, _ = play("dialogues:\n  - name: a\n    turns:\n      - user: hi\n"
                     "        emergency_number: yes\n", [{"text": "call 999"}], number="112")
    assert "do not name the emergency number 112" in result.failure


def test_a_failed_check_stops_the_dialogue():
    result, bot = play("dialogues:\n  - name: a\n    turns:\n      - user: one\n"
                       "        says: nothing like this\n      - user: two\n", [{"text": "x"}])
    assert not result.passed and len(bot.sent) == 1


def test_run_exits_2_on_a_bad_file_without_calling_the_bot(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("dialogues:\n  - name: a\n    turns:\n      - usr: hi\n")
    out, err = io.StringIO(), io.StringIO()
    code = dialogue.run([str(bad)], "http://127.0.0.1:9", out=out, err=err)
    assert code == 2 and f"{bad}:4: unknown key 'usr'" in err.getvalue()


def test_run_exits_2_when_no_bot_answers(tmp_path):
    good = tmp_path / "good.yml"
    good.write_text(GOOD)
    out, err = io.StringIO(), io.StringIO()
    # Port 9 (discard) on the loopback: nothing listens there.
    code = dialogue.run([str(good)], "http://127.0.0.1:9", out=out, err=err)
    assert code == 2 and "make run" in err.getvalue() and out.getvalue() == ""

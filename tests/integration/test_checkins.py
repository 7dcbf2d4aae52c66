"""Check-ins end to end over REST (issue 16), with the real bot, action server and records
database: offered after self-care advice, scheduled only after a yes, kept across a restart of
the Rasa server, asked when the same sender writes after the days have passed (the test moves
the stored times back instead of waiting), and its answers acted on and shown to staff."""
import sqlalchemy as sa

from scripts.bench.conversations import MILDEST_ANSWERS
from tests.conftest import Chat, start_rasa, stop

ANSWER = '/checkin_answer{"checkin_answer":"%s"}'


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


def payloads(messages):
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


def self_care(chat):
    messages = chat.send("I tweaked my back on the leg press")
    for answer in MILDEST_ANSWERS:
        messages = chat.send(answer)
    return messages


def days_pass(tracker_db, days):
    """Move the stored check-ins `days` into the past: as if that time had gone by."""
    engine = sa.create_engine(tracker_db, future=True)
    with engine.begin() as connection:
        for row in connection.execute(sa.text("SELECT id, created_at, due_at FROM checkins"))\
                .mappings().all():
            from datetime import datetime, timedelta

            def back(value):
                moment = value if isinstance(value, datetime) else \
                    datetime.fromisoformat(str(value))
                return moment - timedelta(days=days)
            connection.execute(sa.text("UPDATE checkins SET created_at = :c, due_at = :d "
                                       "WHERE id = :i"),
                               {"c": back(row["created_at"]), "d": back(row["due_at"]),
                                "i": row["id"]})
    engine.dispose()


def state_of(tracker_db, conversation_key=None):
    engine = sa.create_engine(tracker_db, future=True)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT state, answer FROM checkins ORDER BY id"))\
            .all()
    engine.dispose()
    return rows


def test_offered_after_self_care_and_scheduled_only_when_the_person_says_yes(chat, tracker_db):
    result = self_care(chat)
    offer = [b for m in result for b in m.get("buttons") or []
             if b["payload"] == "/checkin_accept"]
    assert [b["title"] for b in offer] == ["Check in with me in 3 days"]
    before = len(state_of(tracker_db))
    chat.send("/ask_self_care")
    assert len(state_of(tracker_db)) == before  # nothing without the yes
    assert "I'll check in with you in 3 days" in texts(chat.send("/checkin_accept"))
    assert len(state_of(tracker_db)) == before + 1


def test_scheduled_survives_a_restart_and_is_asked_when_the_sender_is_back(
        endpoints_file, logs_dir, tracker_db, capsys):
    from bot.staff import cli

    process, url = start_rasa(endpoints_file, logs_dir / "rasa-checkin.log",
                              env={"TRACKER_DB_URL": tracker_db})
    chat = Chat(url, "checkin-restart")
    try:
        self_care(chat)
        assert "I'll check in with you in 3 days" in texts(chat.send("/checkin_accept"))
        assert "How is your back now" not in texts(chat.send("/ask_self_care"))  # not due yet
    finally:
        stop(process)  # every Rasa server of this test is down between scheduling and firing
    days_pass(tracker_db, 3)
    process, url = start_rasa(endpoints_file, logs_dir / "rasa-checkin.log",
                              env={"TRACKER_DB_URL": tracker_db})
    chat = Chat(url, "checkin-restart")
    try:
        replies = chat.send("hi again")
        assert "It's 3 days since we talked" in texts(replies)
        assert "How is your back now" in texts(replies)
        assert ANSWER % "better" in payloads(replies) and "/stop_checkins" in payloads(replies)
        assert "How is your back now" not in texts(chat.send("hello"))  # asked once
        answer = texts(chat.send(ANSWER % "better"))
        assert "getting better" in answer and "light weight" in answer
    finally:
        stop(process)
    assert cli.main(["checkins", "list", "--state", "answered", "--db", tracker_db]) == 0
    out = capsys.readouterr().out
    assert "answered" in out and "better" in out and "checkin-restart" not in out


def test_about_the_same_after_two_weeks_means_see_a_doctor(chat, tracker_db):
    self_care(chat)
    chat.send("/checkin_accept")
    days_pass(tracker_db, 14)
    assert "How is your back now" in texts(chat.send("hello"))
    replies = chat.send(ANSWER % "same")
    assert "time to get it checked" in texts(replies)
    assert [m["custom"]["disposition"] for m in replies if "custom" in m] == ["see_doctor"]
    assert chat.slot("disposition") == "see_doctor"


def test_worse_runs_the_triage_again_from_the_warning_signs(chat, tracker_db):
    self_care(chat)
    chat.send("/checkin_accept")
    days_pass(tracker_db, 3)
    chat.send("hello")
    replies = chat.send(ANSWER % "worse")
    assert "ask my questions again" in texts(replies)
    assert chat.slot("requested_slot") == "em_all"  # the emergency signs first, in one question
    assert "/deny" in payloads(replies)
    assert chat.slot("disposition") == "self_care"  # kept: the new check can only go up


def test_stop_check_ins_cancels_the_pending_one(chat, tracker_db):
    self_care(chat)
    chat.send("/checkin_accept")
    assert "won't check in" in texts(chat.send("stop check-ins"))
    days_pass(tracker_db, 3)
    assert "How is your back now" not in texts(chat.send("hello"))


def test_a_check_in_of_an_erased_conversation_never_fires(chat, tracker_db):
    self_care(chat)
    chat.send("/checkin_accept")
    chat.send("please delete my data")
    chat.send("/affirm")
    days_pass(tracker_db, 30)
    assert "How is your back now" not in texts(chat.send("hello"))


# --- the answer in the person's own words (read by bot.clinical.checkin while the question is
# open; a red flag in it is read by the NLU as in any message) ------------------------------

def question_open(chat, tracker_db, days):
    """A self-care result, a yes to the check-in, `days` later the question (shown when the
    person writes again)."""
    self_care(chat)
    chat.send("/checkin_accept")
    days_pass(tracker_db, days)
    replies = chat.send("hello again")
    assert f"It's {days} days since we talked" in texts(replies)
    return replies


def dispositions(messages):
    return [m["custom"]["disposition"] for m in messages if "custom" in m]


def test_typed_better_closes_with_the_way_back_to_the_leg_press(chat, tracker_db):
    question_open(chat, tracker_db, 3)
    answer = texts(chat.send("loads better thanks"))
    assert "getting better" in answer and "light weight" in answer
    assert state_of(tracker_db)[-1] == ("answered", "better")


def test_better_but_still_sore_is_better(chat, tracker_db):
    question_open(chat, tracker_db, 3)
    assert "light weight" in texts(chat.send("a bit better but still sore"))


def test_typed_much_the_same_early_on_is_care_at_home(chat, tracker_db):
    question_open(chat, tracker_db, 3)
    replies = chat.send("much the same tbh")
    assert "Keep resting from the leg press" in texts(replies)
    assert dispositions(replies) == []
    assert state_of(tracker_db)[-1] == ("answered", "same")


def test_typed_no_change_after_two_weeks_is_see_a_doctor(chat, tracker_db):
    question_open(chat, tracker_db, 14)
    replies = chat.send("honestly no change")
    assert "time to get it checked" in texts(replies)
    assert dispositions(replies) == ["see_doctor"]


def test_typed_worse_runs_the_triage_again_never_lower(chat, tracker_db):
    question_open(chat, tracker_db, 3)
    replies = chat.send("it's got worse since we talked")
    assert "ask my questions again" in texts(replies)
    assert chat.slot("requested_slot") == "em_all"
    assert chat.slot("disposition") == "self_care"
    assert state_of(tracker_db)[-1] == ("answered", "worse")


def test_a_red_flag_in_the_answer_runs_the_triage_to_its_level(chat, tracker_db):
    """Words that say better, with an emergency sign in them: the sign decides."""
    question_open(chat, tracker_db, 3)
    replies = chat.send("a bit better, but since last night I can't feel anything when I "
                        "wipe and I wet myself")
    assert "warning sign" in texts(replies)
    assert dispositions(replies) == ["emergency"]
    assert chat.slot("disposition") == "emergency"
    assert state_of(tracker_db)[-1] == ("answered", "red_flag")


def test_a_new_sign_in_a_worse_answer_is_still_read(chat, tracker_db):
    """The NLU reads the new numbness as a possible red flag: the triage again, warning signs
    first, with the new symptom kept."""
    question_open(chat, tracker_db, 3)
    replies = chat.send("worse, and now my foot's gone numb")
    assert "warning sign" in texts(replies)
    assert chat.slot("requested_slot") == "em_all"
    assert "numbness" in (chat.slot("symptoms") or [])
    assert chat.slot("disposition") == "self_care"  # kept until the new result, never lower
    assert state_of(tracker_db)[-1] == ("answered", "red_flag")


def test_unclear_words_get_the_question_again_with_its_buttons(chat, tracker_db):
    question_open(chat, tracker_db, 3)
    replies = chat.send("hmm well I went to the gym on monday")
    assert "not sure what you mean" in texts(replies)
    assert ANSWER % "better" in payloads(replies) and "/stop_checkins" in payloads(replies)
    assert state_of(tracker_db)[-1] == ("sent", None)  # nothing guessed, nothing kept
    assert "light weight" in texts(chat.send("getting there, much easier now"))


def test_a_greeting_written_before_the_question_does_not_get_it_twice(chat, tracker_db):
    replies = question_open(chat, tracker_db, 3)  # "hello again": the question, once
    assert texts(replies).count("How is your back") == 1
    assert "not sure what you mean" not in texts(replies)


def test_a_question_in_the_middle_is_answered_then_the_check_in_asked_again(chat, tracker_db):
    question_open(chat, tracker_db, 3)
    replies = chat.send("what are the warning signs I should look out for?")
    assert "numbness" in texts(replies).lower()
    assert "Back to my question" in texts(replies)
    assert "Keep resting" in texts(chat.send("about the same really"))


def test_stop_check_ins_while_the_question_is_open_cancels_and_closes_it(chat, tracker_db):
    question_open(chat, tracker_db, 3)
    assert "won't check in" in texts(chat.send("stop check-ins"))
    assert state_of(tracker_db)[-1][0] == "cancelled"
    assert chat.slot("requested_slot") is None
    assert "light weight" not in texts(chat.send("loads better thanks"))


# --- "stop check-ins" in the middle of the triage: cancelled, then the question again ----------

def test_stop_check_ins_during_the_triage_again_cancels_and_carries_on(chat, tracker_db):
    question_open(chat, tracker_db, 3)
    chat.send("worse")
    assert chat.slot("requested_slot") == "em_all"
    replies = chat.send("stop check-ins")
    assert "won't check in" in texts(replies)
    assert "rule out an emergency" in texts(replies)  # the open question, asked again
    assert chat.slot("requested_slot") == "em_all" and chat.slot("em_all") is None
    chat.send("/deny")
    assert chat.slot("em_all") == "no" and chat.slot("requested_slot") == "ur_all"


def test_stop_check_ins_during_a_new_triage_cancels_the_pending_one(chat, tracker_db):
    self_care(chat)
    chat.send("/checkin_accept")
    assert state_of(tracker_db)[-1][0] == "scheduled"
    chat.send("my back is aching again after leg day")
    assert chat.slot("requested_slot") == "em_all"
    replies = chat.send("please stop the check-ins")
    assert "won't check in" in texts(replies) and "rule out an emergency" in texts(replies)
    assert state_of(tracker_db)[-1][0] == "cancelled"
    assert chat.slot("requested_slot") == "em_all"

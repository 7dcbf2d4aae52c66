"""Whole conversations over the REST channel, against the trained model and action server."""
import pytest

# Every question answered with its mildest button, a self-care outcome on its own: the same
# answers the benchmark's and the load tests' simulated people give.
from scripts.bench.conversations import MILDEST_ANSWERS


def texts(messages):
    return " ".join(m.get("text", "") for m in messages)


def disposition_of(messages):
    found = [m["custom"]["disposition"] for m in messages if "disposition" in m.get("custom", {})]
    return found[-1] if found else None


def answer_all(chat, answers):
    messages = []
    for answer in answers:
        messages = chat.send(answer)
    return messages


def test_greeting_says_who_it_is_and_gives_the_emergency_number(chat):
    reply = texts(chat.send("hello"))
    assert "999" in reply  # the configured number, not the default
    assert "doctor" in reply.lower()


def test_a_symptom_starts_with_the_emergency_questions_and_buttons(chat):
    messages = chat.send("my lower back hurts after leg day")
    assert chat.slot("requested_slot") == "em_all"  # every emergency sign, in one question
    buttons = [b["payload"] for m in messages for b in m.get("buttons", [])]
    assert buttons == ["/affirm", "/deny", "/not_sure"]
    reply = texts(messages)
    for sign in ("genitals", "bladder", "BOTH legs", "accident", "chest pain"):
        assert sign in reply
    # Then the same-day signs, also in one question, then the details.
    reply = texts(chat.send("/deny"))
    assert chat.slot("requested_slot") == "ur_all"
    for sign in ("fever", "cancer", "steroid", "night", "weight", "foot"):
        assert sign in reply
    chat.send("/deny")
    assert chat.slot("requested_slot") == "severity"


def test_full_triage_with_buttons_ends_in_self_care_with_safety_net(chat):
    chat.send("I tweaked my back on the leg press")
    messages = answer_all(chat, MILDEST_ANSWERS)
    assert disposition_of(messages) == "self_care"
    reply = texts(messages).lower()
    assert "999" in reply and "both legs" in reply  # the safety net is on the result's screen
    assert chat.slot("disposition") == "self_care"
    # The safer alternatives are behind the result's button.
    assert "Safer exercises" in [b["title"] for m in messages for b in m.get("buttons", [])]
    exercises = texts(chat.send("/ask_alternatives")).lower()
    assert "wall sit" in exercises and "glute bridge" in exercises


def test_typed_answers_are_understood(chat):
    chat.send("pins and needles in my foot after leg press")
    messages = answer_all(chat, ["no", "nope", "7 out of 10", "about the same", "3 weeks",
                                 "down my left leg", "sitting at my desk", "I'm 34"])
    # Severe (7/10) and not improving after three weeks: see a doctor.
    assert disposition_of(messages) == "see_doctor"
    assert chat.slot("triage_rule") == "severe"


@pytest.mark.parametrize("message", [
    "I can't feel the toilet paper when I wipe",
    "numbness in my groin since leg day",
    "tingling in both legs after leg press",
])
def test_an_emergency_sign_in_the_first_message_goes_straight_to_emergency(chat, message):
    messages = chat.send(message)
    assert disposition_of(messages) == "emergency"
    assert "999" in texts(messages)


def test_a_red_flag_in_the_middle_of_the_questions_jumps_to_its_level(chat):
    chat.send("my back is sore after leg press")
    chat.send("no")
    messages = chat.send("wait, actually i have tingling in both legs now")
    assert disposition_of(messages) == "emergency"
    assert chat.tracker()["active_loop"] in ({}, None) or not chat.tracker()["active_loop"].get("name")


def test_not_sure_once_asks_again_in_plainer_words_twice_escalates(chat):
    chat.send("my lower back hurts")
    messages = chat.send("/not_sure")
    assert disposition_of(messages) is None
    assert "wipe after the toilet" in texts(messages)  # the plainer words, with examples
    assert chat.slot("requested_slot") == "em_all"
    messages = chat.send("/not_sure")
    assert disposition_of(messages) == "emergency"


def test_a_negated_red_flag_does_not_count(chat):
    messages = chat.send("my back is stiff after leg press but no numbness in my groin")
    assert disposition_of(messages) is None
    # The screen it touched is still asked: "no numbness" does not deny the whole screen.
    assert chat.slot("requested_slot") in ("em_cauda_equina", "em_all")


def test_a_question_in_the_middle_is_answered_then_the_triage_resumes(chat):
    chat.send("my back hurts after leg press")
    chat.send("no")
    messages = chat.send("how long does a back strain take to heal?")
    reply = texts(messages).lower()
    assert "week" in reply  # the answer about healing time
    assert "couldn't" not in reply  # not taken for an unreadable answer
    assert chat.slot("requested_slot") == "ur_all"
    assert "fever" in texts(messages)  # then the same question again


def test_a_level_is_never_lowered_even_after_starting_over(chat):
    chat.send("my back hurts after leg press")
    assert disposition_of(chat.send("/affirm")) == "emergency"
    chat.send("start over")
    chat.send("my back hurts a bit")
    # A clean check this time: every answer is the mildest one.
    messages = answer_all(chat, MILDEST_ANSWERS)
    assert disposition_of(messages) == "emergency"
    # and the person is told why the earlier advice stands
    assert "you told me earlier" in texts(messages).lower()


def test_a_finished_check_starts_afresh_when_the_person_comes_back(chat):
    chat.send("my back hurts after leg press")
    answer_all(chat, MILDEST_ANSWERS)
    assert chat.slot("disposition") == "self_care"
    chat.send("my back still hurts")
    # The old answers are not reused: the emergency questions are asked again.
    assert chat.slot("requested_slot") == "em_all"


BAD_INPUT = {
    "empty": "", "whitespace": "   ", "emoji": "😀😀🔥",
    "spanish": "hola me duele la espalda desde ayer", "10k_x": "x" * 10_000,
    "10k_words": "my back " * 1250, "markup": "<script>alert('x')</script>",
    "sql": "'; DROP TABLE events; --",
    "odd_unicode": "back \u202e\u200b\x00 pain é 𝔘 \ud7ff",
}


@pytest.mark.parametrize("message", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_gets_a_reply_and_no_disposition_from_nothing(chat, message):
    messages = chat.send(message)
    assert messages, "every message gets a reply"
    assert disposition_of(messages) is None
    assert chat.slot("disposition") is None
    # The conversation still works afterwards.
    assert chat.send("hi")

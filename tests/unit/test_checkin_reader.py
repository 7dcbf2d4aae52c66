"""Reading the answer to the check-in's "How is your back now?" from free text
(bot.clinical.checkin), and what each answer leads to."""
import pytest

from bot.clinical import checkin


@pytest.mark.parametrize("text, expected", [
    # the ways people write it (issue 16's examples)
    ("loads better thanks", "better"),
    ("much the same tbh", "same"),
    ("worse, and now my foot's gone numb", "worse"),
    ("honestly no change", "same"),
    ("a bit better but still sore", "better"),
    # better
    ("Better", "better"),
    ("way better than last week, cheers", "better"),
    ("it\u2019s eased off a lot", "better"),
    ("on the mend I think", "better"),
    ("the pain's pretty much gone", "better"),
    ("all good now, back at the gym", "better"),
    ("no pain at all now", "better"),
    ("fine now thanks", "better"),
    ("getting there slowly", "better"),
    ("improving every day", "better"),
    # the same
    ("About the same", "same"),
    ("still sore to be honest", "same"),
    ("nothing has changed really", "same"),
    ("not any better", "same"),
    ("no better no worse", "same"),
    ("not really, still hurts when I bend", "same"),
    ("hasn't changed at all", "same"),
    ("not much different", "same"),
    ("still a bit stiff in the mornings", "same"),
    # worse: the careful reading wins over anything else said
    ("Worse", "worse"),
    ("sorer than before", "worse"),
    ("it hurts more now", "worse"),
    ("it flared up again on friday", "worse"),
    ("better in the mornings but worse at night", "worse"),
    ("getting worse and worse", "worse"),
])
def test_free_text_answers_are_read(text, expected):
    assert checkin.read_answer(text) == expected


@pytest.mark.parametrize("text", [
    "hi again", "yes", "ok", "not great", "my back hurts", "I went to the gym yesterday",
    "the pain is not gone", "what are the warning signs?", "", "   ",
    "/checkin_answer", "my foot has gone numb", "no pain relief helps",
])
def test_words_that_do_not_say_how_it_is_are_no_answer(text):
    assert checkin.read_answer(text) is None


def test_each_answer_leads_to_its_step():
    assert checkin.next_step("better", 3) == checkin.RETURN_TO_TRAINING
    assert checkin.next_step("same", 3) == checkin.CARE_AT_HOME
    assert checkin.next_step("same", 13) == checkin.CARE_AT_HOME
    # two weeks on and no better: the triage's "not improving" rule
    assert checkin.next_step("same", 14) == checkin.NOT_IMPROVING
    assert checkin.next_step("worse", 3) == checkin.TRIAGE_AGAIN
    assert checkin.next_step("red_flag", 3) == checkin.TRIAGE_AGAIN


def test_worse_and_a_red_flag_run_the_triage_even_when_no_check_in_is_open():
    assert checkin.next_step("worse", None) == checkin.TRIAGE_AGAIN
    assert checkin.next_step("red_flag", None) == checkin.TRIAGE_AGAIN
    assert checkin.next_step("better", None) is None
    assert checkin.next_step("same", None) is None


def test_the_channel_and_the_action_server_name_the_marked_message_alike():
    from actions.validate_checkin_form import ASKED_JUST_BEFORE as read_by_the_action
    from bot.channels.checkin_delivery import ASKED_JUST_BEFORE as set_by_the_channel

    assert read_by_the_action == set_by_the_channel

"""Reading typed answers to the triage questions."""
import pytest

from bot.clinical.answers import interpret


@pytest.mark.parametrize("intent,text,expected", [
    ("affirm", "yes", "yes"), ("deny", "nope", "no"), ("not_sure", "not sure", "unsure"),
    ("inform", "yeah a bit", "yes"), ("inform", "no none of those", "no"),
    ("inform", "i dunno really", "unsure"), ("inform", "my dog is called rex", None),
])
def test_yes_no_questions(intent, text, expected):
    assert interpret("em_cauda_equina", intent, [], text) == expected


@pytest.mark.parametrize("question,text,expected", [
    ("severity", "8/10", "severe"), ("severity", "5 out of 10", "moderate"),
    ("severity", "2", "mild"), ("severity", "it's excruciating", "severe"),
    ("severity", "pretty bad", "moderate"), ("severity", "just a niggle", "mild"),
    ("trend", "getting worse every day", "worse"), ("trend", "a bit better", "better"),
    ("trend", "about the same", "same"),
    ("duration", "since yesterday", "under_1_week"), ("duration", "about 10 days", "1_2_weeks"),
    ("duration", "three weeks", "2_6_weeks"), ("duration", "a couple of months", "over_6_weeks"),
    ("duration", "a while", None),
    ("spread", "just my back", "none"), ("spread", "back only", "none"),
    ("trend", "getting beter", "better"), ("aggravators", "sittng at work", "sitting"),
    ("duration", "about 3 weeeks", "2_6_weeks"), ("spread", "down my left leg", "one_leg"),
    ("spread", "both legs", "both_legs"), ("spread", "no, my legs are fine", "none"),
    ("aggravators", "when I sit at my desk", "sitting"),
    ("aggravators", "coughing", "cough_sneeze"),
    ("aggravators", "it hurts even when resting at night", "rest_night"),
    ("aggravators", "bending over to tie my shoes", "movement"),
    ("aggravators", "better when I rest, worse when I bend", "movement"),
    ("age_band", "I'm 34", "18_49"), ("age_band", "52", "50_69"), ("age_band", "16", "under_18"),
    ("age_band", "78 years old", "70_plus"), ("age_band", "over 70", "70_plus"),
])
def test_free_text_answers(question, text, expected):
    assert interpret(question, "inform", [], text) == expected


def test_a_button_value_wins():
    entities = [{"entity": "severity", "value": "severe"}]
    assert interpret("severity", "inform", entities, '/inform{"severity":"severe"}') == "severe"
    entities = [{"entity": "aggravator", "value": "rest_night"}]
    assert interpret("aggravators", "inform", entities, "") == "rest_night"


def test_words_graver_than_the_entity_win():
    # "pretty bad" is a synonym of moderate; the score says severe, and severe stands.
    moderate = [{"entity": "severity", "value": "moderate"}]
    assert interpret("severity", "inform", moderate, "pretty bad, 8/10") == "severe"
    assert interpret("severity", "inform", moderate, "pretty bad, 2/10") == "moderate"


def test_a_value_for_another_question_is_not_taken():
    entities = [{"entity": "trend", "value": "worse"}]
    assert interpret("severity", "inform", entities, "") is None


def test_a_negated_entity_is_ignored():
    entities = [{"entity": "severity", "value": "severe", "role": "negated"}]
    assert interpret("severity", "inform", entities, "") is None


@pytest.mark.parametrize("question,intent,text,expected", [
    ("ur_fever", "inform", "ok no fever", "no"),
    ("ur_fever", "inform", "well yeah a bit", "yes"),
    ("ur_fever", "deny", "no idea", "unsure"),  # doubt is never a no, whatever the intent
    ("ur_fever", "inform", "no idea tbh", "unsure"),
    ("trend", "inform", "not getting better", "same"),
    ("aggravators", "inform", "nothing helps, even resting", "rest_night"),
    ("aggravators", "inform", "running", "movement"),
    ("severity", "inform", "like a 4", "moderate"),
])
def test_answers_reported_by_review(question, intent, text, expected):
    assert interpret(question, intent, [], text) == expected


@pytest.mark.parametrize("intent,text", [
    ("deny", "I do not know"), ("deny", "not really sure"), ("deny", "not 100% sure"),
    ("deny", "no clue"), ("deny", "could be"), ("deny", "can't remember"),
    ("inform", "no... well yes a bit"), ("deny", "no, although yes sometimes"),
])
def test_doubt_and_mixed_answers_to_a_screen_are_never_no(intent, text):
    assert interpret("em_legs", intent, [], text) == "unsure"


@pytest.mark.parametrize("text,expected", [
    ("nope, but my feet are numb", "both_legs"),
    ("not really, my legs are a bit tingly", "both_legs"),
    ("right leg, and now the left one too", "both_legs"),
    ("not sure", None), ("no idea", None),
    ("no, my legs are fine", "none"),
])
def test_spread_answers_that_mention_both_legs(text, expected):
    assert interpret("spread", "inform", [], text) == expected


@pytest.mark.parametrize("question,text,expected", [
    ("age_band", "I've trained for 10 years and I'm 72", "70_plus"),
    ("age_band", "3 days a week, I'm 75", "70_plus"),
    ("age_band", "in my 50s", "50_69"),
    ("age_band", "fifty", "50_69"),
    ("duration", "more than 6 weeks", "over_6_weeks"),
    ("duration", "started 3 weeks ago but worse since yesterday", "2_6_weeks"),
    ("duration", "hurt it 2 months ago, flared today", "over_6_weeks"),
    ("severity", "7.5/10", "severe"), ("severity", "5/10, 8/10 at worst", "severe"),
    ("severity", "i'd say 8", "severe"), ("severity", "not severe", "mild"),
    ("trend", "it's not getting worse", "same"), ("trend", "no better no worse", "same"),
    ("aggravators", "no, but nothing eases it", "rest_night"),
    ("aggravators", "it wakes me up", "rest_night"),
])
def test_answers_from_the_code_review(question, text, expected):
    assert interpret(question, "inform", [], text) == expected

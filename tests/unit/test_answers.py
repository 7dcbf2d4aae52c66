"""Reading typed answers to the triage questions."""
import pytest

from bot.clinical import answers
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


# ---------------------------------------------------------------- typed on a phone (bug 1)
@pytest.mark.parametrize("question,intent,text,expected", [
    ("em_legs", "inform", "no i don\u2019t know", "unsure"),          # the reported bug
    ("em_legs", "deny", "no i don\u2019t know", "unsure"),
    ("em_cauda_equina", "inform", "I\u2019m not sure", "unsure"),
    ("em_trauma", "deny", "i don\u2018t think so\u2026 i don\u2019t know", "unsure"),
    ("em_chest_abdomen", "inform", "\u201cno\u201d", "no"),
    ("ur_fever", "inform", "no\u200b", "no"),
    ("spread", "inform", "it doesn\u2019t go down my legs", "none"),
    ("age_band", "inform", "I\u2019m\u00a034", "18_49"),
    ("severity", "inform", "\uff18\uff0f\uff11\uff10", "severe"),       # full-width 8/10
    ("severity", "inform", "6\u20137/10", "severe"),                    # en dash range
    ("trend", "inform", "not\u00a0getting\u2003any better", "same"),
    ("aggravators", "inform", "it\u2019s fine when I\u2019m lying down", "movement"),
])
def test_curly_quotes_and_odd_spaces_read_like_plain_ones(question, intent, text, expected):
    assert interpret(question, intent, [], text) == expected


# ---------------------------------------------------------------- spread (bug 2)
@pytest.mark.parametrize("text,expected", [
    ("no, it doesn't go down into my legs", "none"),    # the reported bug
    ("not into my legs", "none"),
    ("doesn't spread", "none"),
    ("doesnt spread anywhere", "none"),
    ("stays in my back", "none"),
    ("only my back", "none"),
    ("back only", "none"),
    ("just the back", "none"),
    ("back", "none"),
    ("just my lower back tbh", "none"),
    ("lower back", "none"),
    ("no pain in my legs, just my back", "none"),
    ("nah it stays put", "none"),
    ("my legs are ok", "none"),
    ("legs feel fine", "none"),
    ("both legs? no", "none"),
    ("both legs - nope", "none"),
    ("no, neither leg", "none"),
    ("neither", "none"),
    ("no numbness or anything in my legs", "none"),
    ("down my left leg", "one_leg"),
    ("one leg", "one_leg"),
    ("right side only", "one_leg"),
    ("left leg only", "one_leg"),
    ("into my right buttock and thigh", "one_leg"),
    ("one of my legs", "one_leg"),
    ("just the one leg", "one_leg"),
    ("nah just my left leg", "one_leg"),
    ("no it goes down my leg", "one_leg"),
    ("doesn't go below my knee", "one_leg"),             # it reaches the leg
    ("sciatica on the right", "one_leg"),
    ("it goes right down my leg to the foot", "one_leg"),  # "right" as in "all the way"
    ("both legs", "both_legs"),
    ("down both", "both_legs"),
    ("both sides", "both_legs"),
    ("into both of my legs", "both_legs"),
    ("down the backs of my legs", "both_legs"),
    ("left and right", "both_legs"),
    ("not just my back, my legs too", "both_legs"),
    ("no numbness but both my legs ache", "both_legs"),
    ("can't really feel my legs", "both_legs"),          # numbness, not a negation
    ("pins n needles in my feet", "both_legs"),
])
def test_spread_reads_negation_and_context(text, expected):
    assert interpret("spread", "inform", [], text) == expected


def test_leg_press_is_not_a_leg():
    assert interpret("spread", "inform", [], "only hurts in my back after leg press") == "none"
    assert interpret("spread", "inform", [], "it hurts after leg-press") is None


@pytest.mark.parametrize("intent,text", [
    ("inform", "not sure"), ("inform", "idk"), ("inform", "dunno"), ("deny", "no idea"),
    ("deny", "not sure tbh"), ("inform", "no clue mate"),
])
def test_spread_doubt_is_asked_again_never_none(intent, text):
    assert interpret("spread", intent, [], text) is None


def test_a_negated_both_legs_flag_does_not_count():
    negated = [{"entity": "red_flag", "value": "both_legs", "role": "negated",
                "start": 3, "end": 25}]
    assert interpret("spread", "deny", negated, "no tingling in both legs") == "none"
    negated = [{"entity": "red_flag", "value": "both_legs", "role": "negated"}]
    assert interpret("spread", "inform", negated, "both legs? no") == "none"
    assert interpret("spread", "inform", negated, "no, only my back") == "none"


def test_a_current_both_legs_flag_counts():
    flag = [{"entity": "red_flag", "value": "both_legs"}]
    assert interpret("spread", "inform", flag, "tingly all down there") == "both_legs"


# ---------------------------------------------------------------- aggravators (bug 3)
@pytest.mark.parametrize("text,expected", [
    ("it's fine when I'm lying down", "movement"),    # the reported bug
    ("better when i lie down", "movement"),
    ("lying down helps", "movement"),
    ("eases off when i rest", "movement"),
    ("goes away if i lie flat", "movement"),
    ("no pain lying in bed", "movement"),
    ("fine lying down but sitting kills it", "sitting"),
    ("ok at night, bending is the worst", "movement"),
    ("sleeping is fine, it's sitting at my desk", "sitting"),
    ("fine when resting, hurts when i cough", "cough_sneeze"),
    ("better lying down worse standing", "movement"),
    ("it doesn't wake me up, mostly bending", "movement"),
    ("not at night, just when i bend over", "movement"),
    ("not constant, only when i twist", "movement"),
    ("i think it's just a strain, bending hurts", "movement"),
    ("straining on the loo", "cough_sneeze"),
    ("getting out of bed", "movement"),
    ("worse at night", "rest_night"),
    ("wakes me up at night", "rest_night"),
    ("even lying down it hurts", "rest_night"),
    ("doesn't ease when I rest", "rest_night"),
    ("resting doesn't help", "rest_night"),
    ("lying down doesn't help at all", "rest_night"),
    ("no better when i lie down", "rest_night"),
    ("can't get comfy in bed", "rest_night"),
    ("can't sleep with it", "rest_night"),
    ("not sleeping well cos of it", "rest_night"),
    ("hurts when i lie in bed", "rest_night"),
    ("it's constant tbh", "rest_night"),
    ("it never goes away", "rest_night"),
    ("fine when i walk, but it keeps me up at night", "rest_night"),
    ("nothing really", "none"),
    ("nothing in particular", "none"),
])
def test_aggravators_read_what_eases_and_what_does_not(text, expected):
    assert interpret("aggravators", "inform", [], text) == expected


@pytest.mark.parametrize("intent,text", [
    ("inform", "no idea"), ("deny", "no idea"), ("inform", "dunno"), ("inform", "idk tbh"),
    ("not_sure", "not sure"),
])
def test_aggravators_doubt_is_asked_again(intent, text):
    assert interpret("aggravators", intent, [], text) is None


# ---------------------------------------------------------------- trend idioms (bug 4)
@pytest.mark.parametrize("text,expected", [
    ("never been worse", "worse"),       # the reported bug
    ("couldn't be worse", "worse"),
    ("could not be worse tbh", "worse"),
    ("worse than ever", "worse"),
    ("never been this bad", "worse"),
    ("can't get any worse", "worse"),
    ("going downhill", "worse"),
    ("gone downhill fast", "worse"),
    ("not getting any better", "same"),
    ("no better", "same"),
    ("hasn't gotten any better tbh", "same"),
    ("not improving really", "same"),
    ("no change", "same"),
    ("not as bad", "better"),
    ("not as bad as yesterday", "better"),
    ("easing off", "better"),
    ("on the mend", "better"),
    ("a bit less sore", "better"),
    ("hurts less now", "better"),
    ("not worse, a bit better if anything", "better"),
    ("not getting better, worse if anything", "worse"),
])
def test_trend_idioms(text, expected):
    assert interpret("trend", "inform", [], text) == expected


# ---------------------------------------------------------------- scores and short answers (5)
@pytest.mark.parametrize("text,expected", [
    ("like a 4 tbh", "moderate"),
    ("prob a 7", "severe"),
    ("about 6/10", "moderate"),
    ("8 out of 10 maybe", "severe"),
    ("a solid 3 i guess", "mild"),
    ("6ish", "moderate"),
    ("maybe a 6 or 7", "severe"),
    ("11/10 honestly", "severe"),
    ("eight out of ten", "severe"),
    ("id say 5", "moderate"),
    ("i'd say a 2 tbh", "mild"),
    ("4 on a scale of 1 to 10", "moderate"),
    ("not a 9, more like a 5", "moderate"),
    ("idk", None), ("dunno", None), ("no idea", None), ("not sure tbh", None),
    ("3 days", None),
])
def test_scores_with_words_around_them(text, expected):
    assert interpret("severity", "inform", [], text) == expected


@pytest.mark.parametrize("question", ["em_cauda_equina", "em_legs", "em_trauma",
                                      "em_chest_abdomen", "ur_fever", "ur_history",
                                      "ur_pattern"])
@pytest.mark.parametrize("text", ["idk", "dunno", "no idea", "not sure tbh", "idk tbh",
                                  "no idea mate", "i dont know"])
def test_doubt_to_a_screen_is_unsure(question, text):
    assert interpret(question, "deny", [], text) == "unsure"
    assert interpret(question, "inform", [], text) == "unsure"


@pytest.mark.parametrize("question", ["severity", "trend", "duration", "spread",
                                      "aggravators", "age_band"])
@pytest.mark.parametrize("text", ["idk", "dunno", "no idea", "not sure tbh"])
def test_doubt_to_a_question_without_unsure_is_asked_again(question, text):
    assert interpret(question, "not_sure", [], text) is None
    assert interpret(question, "deny", [], text) is None


def test_a_frequency_is_not_a_duration():
    assert interpret("duration", "inform", [], "i train 3 times a week") is None
    assert interpret("duration", "inform", [], "3 days a week, hurt it 2 days ago") \
        == "under_1_week"


@pytest.mark.parametrize("question,text,expected", [
    ("aggravators", "it keeps waking me up", "rest_night"),   # not "walking"
    ("aggravators", "waking up in the night with it", "rest_night"),
    ("aggravators", "seeing my physio didn't help", None),       # not "sneezing"
    ("trend", "not really changed", "same"),                       # not "change"
    ("trend", "it's a shame but no better", "same"),
    ("spread", "my thighs are numb", "both_legs"),                 # a plural stays plural
    ("spread", "hamstrings both sides", "both_legs"),
    ("trend", "getting beter", "better"), ("aggravators", "sittng", "sitting"),  # typos still mend
])
def test_real_words_are_not_mended_into_answer_words(question, text, expected):
    assert interpret(question, "inform", [], text) == expected


@pytest.mark.parametrize("text,expected", [
    ("both sides of my lower back", "none"),
    ("left side of my back", "none"),
    ("my knees hurt too", "one_leg"),          # sore knees are the knees
    ("shoots down to my knees", "both_legs"),  # pain that travels to both is both legs
])
def test_spread_the_back_and_the_knees(text, expected):
    assert interpret("spread", "inform", [], text) == expected


@pytest.mark.parametrize("text,expected", [
    ("last night i bent over and it twinged", "movement"),
    ("lying down doesn't make it any better", "rest_night"),
    ("not really at night", "none"),
    ("coughing doesn't do anything, bending does", "movement"),
    ("doesnt matter what i do", "rest_night"),
    ("rest doesn't really make a difference", "rest_night"),
])
def test_aggravators_more_phrasings(text, expected):
    assert interpret("aggravators", "inform", [], text) == expected


@pytest.mark.parametrize("question,text,expected", [
    ("trend", "never better lol", "better"), ("trend", "nowhere near as bad", "better"),
    ("trend", "never gets better", "same"),
    ("severity", "i'd put it at 6", "moderate"), ("severity", "7 pm it gets bad", "moderate"),
    ("severity", "about 4/5", None), ("severity", "5kg", None), ("severity", "10 days", None),
    ("age_band", "34M", "18_49"), ("age_band", "i'm 6ft", None), ("age_band", "f 45", "18_49"),
])
def test_more_short_answers(question, text, expected):
    assert interpret(question, "inform", [], text) == expected


@pytest.mark.parametrize("text,expected", [
    ("no numbness and pain in both legs", "both_legs"),   # ambiguous: the graver reading
    ("doesn't stay in back goes into legs", "both_legs"),
    ("no numbness or pins and needles in my legs", "none"),
    ("it doesn't spread from my back to my legs", "none"),
    ("no it goes down both legs", "both_legs"),
    ("i don't have pain in my back, only my legs", "both_legs"),
    ("nothing in my back, it's all in my legs", "both_legs"),
    ("not one leg, both", "both_legs"),
    ("never had it in my legs till now, both hurt", "both_legs"),
])
def test_a_denial_does_not_swallow_a_both_legs_answer(text, expected):
    assert interpret("spread", "inform", [], text) == expected
    assert interpret("spread", "deny", [], text) == expected


@pytest.mark.parametrize("intent", ["inform", "deny"])
@pytest.mark.parametrize("text", ["doesn't stay in my back", "no not just my back", "yes"])
def test_spread_answers_that_say_it_leaves_the_back_are_never_none(intent, text):
    assert interpret("spread", intent, [], text) is None


@pytest.mark.parametrize("text", [
    "no position helps", "no position is comfortable", "nothing seems to help",
    "nothing i do helps", "i can't get comfortable",
    "it's ok during the day but at night it's awful",
    "moving helps, lying still is the worst", "better when I move, worse at rest",
])
def test_pain_that_nothing_eases_is_night_pain(text):
    assert interpret("aggravators", "inform", [], text) == "rest_night"
    assert interpret("aggravators", "deny", [], text) == "rest_night"


@pytest.mark.parametrize("text,expected", [
    ("i'm 6'2", None), ("i'm 99% sure i'm 40", "18_49"), ("i am seventy one", "70_plus"),
    ("I\u2019m 67", "50_69"), ("im 40", "18_49"),
])
def test_age_answers_are_ages_not_heights(text, expected):
    assert interpret("age_band", "inform", [], text) == expected


# --- the conversation around the questions (issue 14) ---------------------------------------

@pytest.mark.parametrize("text", [
    "What is the saddle area?", "what's the difference between moderate and severe?",
    "Why do you need my age?", "wdym numb", "what counts as severe",
    "i dont understand the question", "how do i know if its my bladder",
    "why are you asking about my bladder?", "what do u mean by inner thighs",
    "sorry what does bowel mean",
])
def test_a_question_about_the_question_is_recognised(text):
    assert answers.asks_about_the_question(text)


@pytest.mark.parametrize("text", [
    "no", "yes a bit", "moderate i guess", "like a 4 tbh", "what if both legs?",
    "is it bad?", "about 2 weeks", "my legs are fine. why do you ask?",
])
def test_answers_and_other_questions_are_not_questions_about_the_question(text):
    assert not answers.asks_about_the_question(text)


@pytest.mark.parametrize("text, intent, expected", [
    ("idk", None, True), ("no idea tbh", "inform", True), ("/not_sure", "not_sure", True),
    ("hard to say", None, True), ("about 2 weeks", "inform", False), ("4", None, False),
])
def test_says_not_sure(text, intent, expected):
    assert answers.says_not_sure(intent, text) is expected


@pytest.mark.parametrize("question, text, expected", [
    ("severity", "like a 4 tbh", "moderate"), ("severity", "prob a 7 ngl", "severe"),
    ("spread", "back", "none"), ("spread", "just my back", "none"),
])
def test_answers_with_words_around_them(question, text, expected):
    assert answers.interpret(question, "inform", [], text) == expected


@pytest.mark.parametrize("text,entities,expected", [
    ("yes my left leg is numb", [], True),
    ("yeah pins and needles down my right leg only", [], True),
    # the detector unsure of the legs screen is settled by "my left leg"
    ("yes my left leg is numb", [{"entity": "screen_hint", "value": "em_legs",
                                  "role": "possible"}], True),
    ("yes", [], False),
    ("yes both legs", [], False),
    ("yes my left leg is numb and so is my groin", [], False),
    ("yes my left leg is numb and i cant pee properly", [], False),
    ("yes, I fell and now my left leg hurts", [], False),
    ("yes my left leg", [{"entity": "red_flag", "value": "saddle_numbness"}], False),
    ("yes my left leg", [{"entity": "screen_hint", "value": "em_cauda_equina",
                          "role": "possible"}], False),
])
def test_a_yes_to_the_emergency_list_that_names_one_leg_only(text, entities, expected):
    from bot.clinical.answers import yes_for_one_leg_only
    assert yes_for_one_leg_only(text, entities) is expected

"""The safety net's decisions on NLU results (no model needed: messages are built by hand)."""
from rasa.shared.nlu.training_data.message import Message

from bot.language.components.safety_net import RedFlagSafetyNet


def run(intent, entities, ranking=("out_of_scope", "report_symptom")):
    message = Message(data={
        "text": "x", "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": intent, "confidence": 0.9}]
        + [{"name": name, "confidence": 0.05} for name in ranking],
        "entities": list(entities)})
    RedFlagSafetyNet().process([message])
    return message.get("intent")["name"]


def flag(value, negated=False):
    entity = {"entity": "red_flag", "value": value}
    if negated:
        entity["role"] = "negated"
    return entity


def test_a_red_flag_wins_over_any_intent():
    assert run("faq", [flag("bladder_bowel")]) == "report_red_flag"
    assert run("nlu_fallback", [flag("saddle_numbness")]) == "report_red_flag"


def test_a_denied_red_flag_does_not_make_a_red_flag_report():
    assert run("report_red_flag", [flag("fever", negated=True)]) == "out_of_scope"


def test_a_red_flag_report_that_says_nothing_about_the_body_is_dropped():
    assert run("report_red_flag", []) == "out_of_scope"


def test_a_red_flag_report_about_the_body_is_kept_even_without_a_pattern_match():
    symptom = {"entity": "symptom", "value": "pain"}
    assert run("report_red_flag", [symptom]) == "report_red_flag"


def test_a_detail_that_names_a_symptom_is_a_symptom_report():
    symptom = {"entity": "symptom", "value": "pain"}
    assert run("inform", [symptom]) == "report_symptom"
    assert run("inform", [{"entity": "symptom", "value": "pain", "role": "negated"}]) == "inform"


def test_a_greeting_or_thanks_that_describes_a_complaint_is_a_symptom_report():
    back, killing = {"entity": "body_part", "value": "lower_back"}, \
        {"entity": "severity", "value": "severe"}
    assert run("greet", [back, killing]) == "report_symptom"
    assert run("thank", [{"entity": "symptom", "value": "pain"}]) == "report_symptom"
    assert run("greet", []) == "greet"
    assert run("greet", [back]) == "greet"  # "hi, question about my back" is not a report

"""The safety net's decisions on NLU results (no model needed: messages are built by hand)."""
from rasa.shared.nlu.training_data.message import Message

from bot.language.components.safety_net import RedFlagSafetyNet


def run(intent, entities, ranking=("out_of_scope", "report_symptom"), runner_up=0.6):
    message = Message(data={
        "text": "x", "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": intent, "confidence": 0.9}]
        + [{"name": name, "confidence": runner_up if i == 0 else 0.05}
           for i, name in enumerate(ranking)],
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


def test_a_set_aside_red_flag_with_no_confident_runner_up_is_unclear():
    # "i had a kidney infection last year" at a question: the classifier's runner-up,
    # "correct my answer" at 0.00, is no reading; the fallback's "unclear" is.
    past = {"entity": "red_flag", "value": "fever", "role": "historical"}
    assert run("report_red_flag", [past], ("correct_answer",), runner_up=0.001) \
        == "nlu_fallback"
    # ... and a complaint in it is still a report.
    assert run("report_red_flag", [past, {"entity": "symptom", "value": "pain"}],
               ("correct_answer",), runner_up=0.001) == "report_symptom"


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


def run_full(intent, entities, text="x", selected=None):
    data = {"text": text, "intent": {"name": intent, "confidence": 0.9},
            "intent_ranking": [{"name": intent, "confidence": 0.9},
                               {"name": "report_symptom", "confidence": 0.05}],
            "entities": list(entities)}
    if selected:
        data["response_selector"] = {"default": {"response": {"intent_response_key": selected}}}
    message = Message(data=data)
    RedFlagSafetyNet().process([message])
    return message


def test_a_flag_about_someone_else_the_past_or_a_what_if_is_not_a_report():
    for role in ("other_person", "historical", "hypothetical"):
        entity = {"entity": "red_flag", "value": "saddle_numbness", "role": role}
        assert run("report_red_flag", [entity]) != "report_red_flag", role


def test_the_detectors_described_flag_wins_like_a_pattern():
    assert run("faq", [flag("cauda_equina_described")]) == "report_red_flag"


def test_a_worry_about_a_sign_with_no_complaint_is_a_question_about_the_warning_signs():
    worry = {"entity": "red_flag", "value": "both_legs", "role": "hypothetical"}
    assert run("report_red_flag", [worry]) == "ask_warning_signs"
    assert run("faq", [{"entity": "symptom", "value": "numbness", "role": "hypothetical"}]) \
        == "ask_warning_signs"
    # A "what if" about plain pain is an ordinary question, not one about the warning signs.
    assert run("faq", [{"entity": "symptom", "value": "pain", "role": "hypothetical"}]) \
        == "faq"
    # A worry next to a current complaint is a report: the triage asks every screen.
    current = {"entity": "symptom", "value": "pain"}
    message = run_full("faq", [worry, current], text="what if my legs go numb? my back hurts")
    assert message.get("intent")["name"] == "report_symptom"


def test_a_question_with_a_current_symptom_is_a_report_that_carries_its_question():
    message = run_full("faq", [{"entity": "symptom", "value": "pain"}],
                       text="is it safe to keep training? my back hurts",
                       selected="faq/keep_training")
    assert message.get("intent")["name"] == "report_symptom"
    questions = [e["value"] for e in message.get("entities") if e["entity"] == "question"]
    assert questions == ["utter_faq/keep_training"]
    # Not worded as a question: a report, with nothing to answer.
    message = run_full("faq", [{"entity": "symptom", "value": "pain"}],
                       text="my legs are fine, peeing fine, the back just aches",
                       selected="faq/bed_rest")
    assert message.get("intent")["name"] == "report_symptom"
    assert not [e for e in message.get("entities") if e["entity"] == "question"]
    # A warning-signs question with a symptom: its own response answers it.
    message = run_full("ask_warning_signs", [{"entity": "symptom", "value": "tingling"}],
                       text="when should I worry? my foot tingles")
    assert [e["value"] for e in message.get("entities") if e["entity"] == "question"] \
        == ["utter_warning_signs"]
    # A general question about back pain is not about the writer's own back.
    message = run_full("faq", [{"entity": "symptom", "value": "pain"}],
                       text="how long does a back strain take to heal?",
                       selected="faq/strain_healing_time")
    assert message.get("intent")["name"] == "faq"


def test_an_unsure_detector_reading_is_a_complaint():
    hint = {"entity": "screen_hint", "value": "em_cauda_equina", "role": "possible",
            "confidence_entity": 0.6}
    assert run("nlu_fallback", [hint]) == "report_symptom"
    assert run("nlu_fallback", [{**hint, "confidence_entity": 0.3}]) == "nlu_fallback"
    other = {"entity": "screen_hint", "value": "em_cauda_equina", "role": "other_person"}
    assert run("nlu_fallback", [other]) == "nlu_fallback"
    # Off-topic stays off-topic even with a symptom word: "my tooth hurts".
    assert run("out_of_scope", [{"entity": "symptom", "value": "pain"}]) == "out_of_scope"


def process(text, intent, entities):
    message = Message(data={
        "text": text, "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": intent, "confidence": 0.9}], "entities": list(entities)})
    RedFlagSafetyNet().process([message])
    return message.get("intent")["name"], [e["value"] for e in message.get("entities")
                                           if e["entity"] == "question"]


def test_a_feeling_told_with_a_symptom_is_a_report_that_is_heard_first():
    symptom = {"entity": "symptom", "value": "pain"}
    assert process("I'm so scared, my back hurts", "express_feeling", [symptom]) == \
        ("report_symptom", ["utter_feeling_heard"])
    assert process("my back hurts after leg press, I'm so scared", "report_symptom",
                   [symptom]) == ("report_symptom", ["utter_feeling_heard"])
    assert process("my back hurts after leg press", "report_symptom", [symptom]) == \
        ("report_symptom", [])
    # a feeling alone stays a feeling (acknowledged, then the offer of a check)
    assert process("I'm really scared", "express_feeling", []) == ("express_feeling", [])


def test_a_medicine_question_with_a_symptom_is_answered_then_triaged():
    symptom = {"entity": "symptom", "value": "pain"}
    assert process("how many ibuprofen can I take? my back is killing me", "medicine_dose",
                   [symptom]) == ("report_symptom", ["utter_medicine_dose"])


def test_a_yes_that_tells_of_a_sign_the_detector_read_is_a_report():
    hint = {"entity": "screen_hint", "value": "em_cauda_equina", "role": "possible",
            "confidence_entity": 0.8}
    assert run("affirm", [hint]) == "report_symptom"
    assert run("affirm", [dict(hint, confidence_entity=0.3)]) == "affirm"


def test_a_question_about_a_symptom_tied_to_training_is_the_writers_own():
    symptom = [{"entity": "symptom", "value": "pulled muscle"}]
    for text in ("heat or ice for a pulled back muscle from leg press?",
                 "tweaked back after squats yesterday, ok to keep training?",
                 "is a sore back the day after leg day something to rest for?"):
        message = run_full("faq", symptom, text=text, selected="faq/heat_or_ice")
        assert message.get("intent")["name"] == "report_symptom", text
        assert [e["value"] for e in message.get("entities") if e["entity"] == "question"] \
            == ["utter_faq/heat_or_ice"], text
    # Questions about what causes what stay general questions.
    for text in ("can leg press cause back pain?",
                 "is it normal to get back pain from squats?",
                 "how common is a pulled muscle from deadlifts?"):
        message = run_full("faq", symptom, text=text, selected="faq/heat_or_ice")
        assert message.get("intent")["name"] == "faq", text


def test_a_question_asked_in_passing_with_a_symptom_is_answered_too():
    message = run_full("technique", [{"entity": "symptom", "value": "pain"}],
                       text="my back hurts but honestly I just want to know how to do a glute "
                            "bridge properly", selected="technique/glute_bridge")
    assert message.get("intent")["name"] == "report_symptom"
    assert [e["value"] for e in message.get("entities") if e["entity"] == "question"] \
        == ["utter_technique/glute_bridge"]
    # A report with no question in it carries none.
    message = run_full("technique", [{"entity": "symptom", "value": "pain"}],
                       text="my back hurts after glute bridges", selected="technique/glute_bridge")
    assert not [e for e in message.get("entities") if e["entity"] == "question"]

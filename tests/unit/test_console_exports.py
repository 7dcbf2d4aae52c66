"""The staff console's pure parts: what a conversation's events say (summary, transcript),
and the two exports, read back by the tools that consume them: Rasa's own NLU reader, and the
dialogue runner's parser (bot/staff/dialogue.py)."""
from types import SimpleNamespace

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot.console import conversations, exports, reviewing
from bot.staff import dialogue


def user(text, intent="inform", confidence=0.9, entities=(), event_id=None):
    return {"event": "user", "timestamp": 1.0, "text": text, "_id": event_id,
            "parse_data": {"intent": {"name": intent, "confidence": confidence},
                           "entities": list(entities)}}


def bot(text, response="utter_x", buttons=None, custom=None):
    return {"event": "bot", "timestamp": 2.0, "text": text,
            "data": {"buttons": buttons, "custom": custom},
            "metadata": {"utter_action": response}}


def slot(name, value):
    return {"event": "slot", "timestamp": 3.0, "name": name, "value": value}


YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
EVENTS = [
    {"event": "session_started", "timestamp": 0.5},
    user("my back hurts", "report_symptom", 0.97, event_id=1),
    {"event": "active_loop", "timestamp": 1.5, "name": "triage_form"},
    slot("requested_slot", "em_cauda_equina"),
    bot("Since your back pain started, have you had any of these?\n- numbness",
        "utter_ask_em_cauda_equina", YES_NO),
    user("3/10", "nlu_fallback", 0.2, event_id=2),
    bot("Sorry, I couldn't match that to the question.", "utter_answer_not_understood"),
    bot("Let me put it more simply.", "utter_ask_em_cauda_equina", YES_NO),
    user("/deny", "deny", 1.0, event_id=3),
    {"event": "active_loop", "timestamp": 4.0, "name": None},
    slot("requested_slot", None), slot("flags", ["sciatica"]),
    slot("triage_rule", "default_self_care"), slot("disposition", "self_care"),
    bot("This sounds like a strain.", "utter_result",
        custom={"disposition": "self_care", "emergency_number": "112"}),
]


def test_a_summary_says_what_happened():
    summary = conversations.summarise("rest:p1", EVENTS)
    assert summary["channel"] == "rest" and summary["disposition"] == "self_care"
    assert summary["fell_back"] and not summary["red_flag"]  # sciatica is no red flag
    assert summary["min_confidence"] == 0.2  # a button's payload does not count
    assert summary["abandoned_at"] is None and summary["turns_to_recommendation"] == 3
    left = conversations.summarise("socketio:x", EVENTS[:5] + [slot("flags", ["fever"])])
    assert left["abandoned_at"] == "em_cauda_equina" and left["red_flag"]
    assert left["disposition"] is None and not left["fell_back"]


def test_the_transcript_groups_replies_under_their_message():
    turns = conversations.transcript(EVENTS)
    assert [t.text for t in turns] == ["my back hurts", "3/10", "/deny"]
    assert turns[1].fell_back and not turns[0].fell_back
    assert len(turns[1].replies) == 2 and turns[0].replies[0]["buttons"] == YES_NO
    assert turns[2].rule == "default_self_care" and turns[2].disposition == "self_care"


def test_the_dialogue_export_plays_back_the_recorded_replies():
    text = exports.dialogue_yaml("a fallback", conversations.transcript(EVENTS))
    [played] = dialogue.parse_text(text, "export.yml")
    first, second, third = played.turns
    assert first.user == "my back hurts" and first.buttons == ("Yes", "No")
    assert first.says == ("Since your back pain started, have you had any of these?",)
    assert second.user == "3/10" and second.disposition == "none"
    assert third.button == "No" and third.disposition == "self_care"
    assert played.final_disposition == "self_care"


def annotation(text, intent, entities=()):
    return SimpleNamespace(text=text, intent=intent, entities=list(entities))


def test_the_nlu_export_is_rasa_training_data():
    rows = [annotation("numb  groin\nsince yesterday", "report_symptom",
                       [{"entity": "red_flag", "role": "negated", "phrase": "numb groin"}]),
            annotation("blorp", "inform"),
            annotation("Blorp", "out_of_scope"),  # the latest annotation of a text wins
            annotation("my [brother] had it", "report_symptom")]
    text = exports.nlu_yaml(rows)
    data = RasaYAMLReader().reads(text)
    examples = {m.get("text"): m for m in data.training_examples}
    assert set(examples) == {"numb groin since yesterday", "Blorp", "my [brother] had it"}
    assert examples["Blorp"].get("intent") == "out_of_scope"
    [entity] = examples["numb groin since yesterday"].get("entities")
    assert (entity["entity"], entity["role"], entity["start"], entity["end"]) == \
        ("red_flag", "negated", 0, 10)


def test_entities_are_checked_against_the_text():
    assert reviewing.parse_entities("red_flag:negated = numb groin", "no numb groin") == \
        [{"entity": "red_flag", "role": "negated", "phrase": "numb groin"}]
    with pytest.raises(reviewing.ReviewError, match="not in the message"):
        reviewing.parse_entities("symptom=pain", "my back hurts")
    with pytest.raises(reviewing.ReviewError, match="entity=phrase"):
        reviewing.parse_entities("just words", "just words")


def test_staff_choose_retrieval_intents_by_their_sub_intent():
    from bot.console.app import ROOT, domain_intents

    intents = domain_intents(ROOT / "domain.yml")
    assert "inform" in intents and "report_red_flag" in intents
    assert "faq" not in intents and "faq/strain_healing_time" in intents
    assert any(i.startswith("technique/") for i in intents)

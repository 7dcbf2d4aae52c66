"""The deterministic red-flag safety net, and where a message goes when it describes a symptom.

Emergency detection must not depend on a classifier's mood: whenever the patterns (or the
learned detector, when confident) found a red flag that is the writer's current sign, the
intent becomes `report_red_flag` with full confidence, whatever the intent classifier (or the
low-confidence fallback) said. The dialogue then routes every such message into the triage,
which jumps to the flag's level.

The other way round, the classifier's `report_red_flag` is only kept when the message is about
the body at all and not only about signs that are not current. When every red-flag mention is
negated, someone else's, in the past or a "what if", or the message names no symptom, body part
or sign whatsoever ("find me cheap train tickets"), the next intent in the classifier's ranking
is taken instead. A `report_red_flag` about the body with no pattern match is kept: it may be a
phrasing the patterns miss, and it only starts the triage questions, which ask about every sign.

A message that describes a current symptom is triaged (clinical notes: an FAQ answer alone never
ends a turn that described a symptom):
- read as a detail, a greeting, thanks or not confidently read at all, it is a report;
- asked as a question ("is this just a pulled muscle? my back is killing me"), it is a report
  that carries the question (entity `question`): the question is answered, then the triage asks.
A worry about a sign with no current complaint ("what if my legs go numb?") is a question about
the warning signs, whatever the classifier said: the answer ends with the offer of a check.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.language.components.entities import NOT_CURRENT_ROLES, POSSIBLE_ROLE, SCREEN_HINT
from bot.language.components.stateless import StatelessComponent
from bot.language.context import HYPOTHETICAL

RED_FLAG_INTENT = "report_red_flag"
FALLBACK_INTENT = "nlu_fallback"
# A runner-up intent below this, once a red flag that is not current is set aside, is no
# reading at all (config.yml's FallbackClassifier threshold).
DEMOTED_FLOOR = 0.5
SYMPTOM_INTENT = "report_symptom"
# A message read as a detail, a greeting or thanks, or not confidently read at all, that
# describes a complaint: "hey, did leg press yesterday and my lower back is killing me" is
# a report that opens with a greeting, not a greeting.
# Not out_of_scope: "my tooth hurts" names a symptom and is still not for this bot.
# A question about the bot's question or a "start again" that tells of a sign is a report too:
# the classifier reads long stories that end in a question ("would a doctor even take me
# seriously?") as a question about the question.
REPORT_IF_SYMPTOM = ("inform", "nlu_fallback", "greet", "thank", "not_sure", "goodbye",
                     "ask_clarification")
# A yes or a no that names a current symptom ("no, only the right leg has a bit of sciatica")
# is a report too (inside the triage it is still read as the answer, from its words).
REPORT_IF_NAMED_SYMPTOM = ("affirm", "deny", "start_over")
# Questions that are answered before the triage when the message also describes a symptom.
QUESTION_INTENTS = ("faq", "technique", "ask_warning_signs", "ask_alternatives",
                    "medicine_dose", "medicine_other_person")
WARNING_SIGNS_INTENT = "ask_warning_signs"
QUESTION_ENTITY = "question"
ANSWER_OF_INTENT = {"ask_warning_signs": "utter_warning_signs",
                    "ask_alternatives": "utter_alternatives",
                    "medicine_dose": "utter_medicine_dose",
                    "medicine_other_person": "utter_medicine_other_person"}
# A feeling told with a symptom ("I'm so scared, my back hurts every time I move") is a report
# too: it is acknowledged in one line (entity `question`), then the triage asks.
FEELING_INTENT = "express_feeling"
FEELING_HEARD = "utter_feeling_heard"
# Feelings said in passing in a report ("my back hurts after leg press, I'm so scared").
FEELING_WORDS = re.compile(
    r"\b(?:i'?m|i am|im|feeling|feel|i'?ve been|getting|so|really|bit|very)\s+"
    r"(?:so |really |a bit |very |quite |pretty |kinda |kind of |super |well )?"
    r"(?:scared|frightened|terrified|afraid|worried|anxious|panicking|freaking out|"
    r"stressed|upset|frustrated|fed up|embarrassed|ashamed|desperate|down|low|"
    r"worried sick|scared stiff|shaking)\b|\bfreaking out\b|\bpanicking\b", re.IGNORECASE)
QUESTION_WORDS = ("what", "how", "can", "could", "is", "are", "should", "does", "do", "why",
                  "when", "will", "would", "am", "was", "which", "where", "any", "anyone")
RESPONSE_SELECTOR = "response_selector"
# A reading of the learned detector this sure starts the check on its own (entities.HINT_FROM
# passes on no weaker one).
HINT_IS_A_COMPLAINT = 0.5
MY = re.compile(r"\b(?:my|mine)\b", re.IGNORECASE)
# A symptom the question dates or ties to a session of training is the writer's own: "heat
# or ice for a pulled back muscle from leg press?", "tweaked back after squats yesterday,
# keep training?". A question about what causes what stays general: "can leg press cause back
# pain?", "is it normal to get back pain from squats?".
FROM_TRAINING = re.compile(
    r"\b(?:from|after|on|doing|during|at)\s+(?:the\s+|a\s+|today'?s\s+|yesterday'?s\s+|"
    r"last night'?s\s+)?(?:leg ?press(?:ing)?|sled|squats?|squatting|deadlifts?|deadlifting|"
    r"leg day|legs day|the gym|gym|lifting|training|workout|hack squats?|lunges)\b"
    r"|\b(?:yesterday|this morning|last night|today|since (?:monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|the weekend))\b", re.IGNORECASE)
ASKS_IN_GENERAL = re.compile(
    r"\b(?:cause|causes|caused by|is it (?:normal|common|usual) to (?:get|have|feel)|"
    r"do (?:people|most people|lifters|you) (?:get|usually)|how common|"
    r"can (?:you|people|someone|anyone) get)\b", re.IGNORECASE)
CLAUSE_BREAK = re.compile(r"[.?!,;]")
RED_FLAG_ENTITY = "red_flag"
BODY_ENTITIES = {"red_flag", "risk_factor", "symptom", "body_part", "severity", "screen_hint"}
INTENT_RANKING = "intent_ranking"


def is_current(entity: Dict[Text, Any]) -> bool:
    return entity.get("role") not in NOT_CURRENT_ROLES


def has_red_flag(entities: List[Dict[Text, Any]]) -> bool:
    return any(e.get("entity") == RED_FLAG_ENTITY and is_current(e) for e in entities or [])


def has_symptom(entities: List[Dict[Text, Any]]) -> bool:
    return any(e.get("entity") == "symptom" and is_current(e) for e in entities or [])


def describes_a_complaint(entities: List[Dict[Text, Any]], with_hints: bool = True) -> bool:
    """A current symptom, a body part with how bad it is ("my lower back is killing me"), or
    a sign the learned detector read with some confidence ("my genitals went to sleep")."""
    found = {e.get("entity") for e in entities or [] if is_current(e)}
    return (has_symptom(entities) or {"body_part", "severity"} <= found
            or with_hints and any(e.get("entity") == SCREEN_HINT and e.get("role") == POSSIBLE_ROLE
                   and (e.get("confidence_entity") or 0) >= HINT_IS_A_COMPLAINT
                   for e in entities or []))


def has_fair_hint(entities: List[Dict[Text, Any]]) -> bool:
    """A sign the learned detector read with some confidence ("yes a bit of trouble starting
    to wee, since yesterday" as a first message is a report, not a yes to nothing)."""
    return any(e.get("entity") == SCREEN_HINT and e.get("role") == POSSIBLE_ROLE
               and (e.get("confidence_entity") or 0) >= HINT_IS_A_COMPLAINT
               for e in entities or [])


def asks_about_a_sign_it_dates(entities: List[Dict[Text, Any]]) -> bool:
    """"Can a pulled muscle cause ED? I think it's happening to me since Tuesday": a question
    about a warning sign that also says since when is about the writer's own sign."""
    return (any(e.get("entity") == RED_FLAG_ENTITY and e.get("role") == HYPOTHETICAL
                for e in entities or [])
            and any(e.get("entity") == "duration" and is_current(e) for e in entities or []))


def tells_of_own_symptom(text: str, entities: List[Dict[Text, Any]]) -> bool:
    """Whether a question also tells of the writer's own symptom: the symptom is in a clause
    that is a statement ("is this a pulled muscle? my back is killing me", "pregnant, sore
    back after squats, is it safe to keep lifting?"), or it is "my" back that hurts ("how do I
    stop my back hurting?"), or the symptom is dated or tied to a session of training
    (FROM_TRAINING). "How long does a back strain take to heal?" asks in general."""
    if MY.search(text):
        return True
    if (FROM_TRAINING.search(text) and not ASKS_IN_GENERAL.search(text)
            and has_symptom(entities)):
        return True
    for entity in entities or []:
        if entity.get("entity") != "symptom" or not is_current(entity):
            continue
        start = entity.get("start") or 0
        clause_start = max([m.end() for m in CLAUSE_BREAK.finditer(text[:start])] or [0])
        rest = text[start:]
        ends = CLAUSE_BREAK.search(rest)
        clause = text[clause_start:start + (ends.start() if ends else len(rest))]
        clause_end = rest[ends.start()] if ends else ""
        words = clause.strip().lower().split()
        # "when I bend over I get shocks down both thighs" states; "how long does a strain
        # last" asks, with or without its question mark.
        asks = words and words[0] in QUESTION_WORDS and words[0] not in ("when", "where")
        if clause_end != "?" and not asks:
            return True
    return False


def only_past_or_other_red_flags(entities: List[Dict[Text, Any]]) -> bool:
    mentions = [e for e in entities or [] if e.get("entity") == RED_FLAG_ENTITY]
    return bool(mentions) and not any(is_current(e) for e in mentions)


# Symptoms that are signs to worry about in a "what if" ("should I worry about numbness?"); a
# "what if" about pain or stiffness is an ordinary question ("should I stretch or rest a
# tweaked back?" asks about self-care, not the warning signs).
WORRYING_SYMPTOMS = {"numbness", "tingling", "weakness"}


def worries_about_a_sign(entities: List[Dict[Text, Any]]) -> bool:
    """A "what if" about a sign, and nothing current ("should I worry about numbness?")."""
    return (any(e.get("role") == HYPOTHETICAL for e in entities or []
                if e.get("entity") in ("red_flag", SCREEN_HINT)
                or e.get("entity") == "symptom" and e.get("value") in WORRYING_SYMPTOMS)
            and not describes_a_complaint(entities))


# A question asked without a question mark or a question word first: "my back hurts but I
# just want to know how to do a glute bridge properly".
ASKS_IN_PASSING = re.compile(
    r"\b(?:want(?:ed)? to know|wondering|i wonder|tell me (?:how|what|about|if|whether)|"
    r"how (?:to|do i|should i|can i|would i)|any (?:tips|advice)|advice on|not sure how to)\b",
    re.IGNORECASE)


def is_a_question(text: str) -> bool:
    words = text.strip().lower().split()
    return ("?" in text or bool(words) and words[0].strip(",.!") in QUESTION_WORDS
            or bool(ASKS_IN_PASSING.search(text)))


def says_nothing_about_the_body(entities: List[Dict[Text, Any]]) -> bool:
    return not any(e.get("entity") in BODY_ENTITIES for e in entities or [])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RedFlagSafetyNet(StatelessComponent):

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not has_red_flag(message.get(ENTITIES)):
                entities = message.get(ENTITIES)
                if only_past_or_other_red_flags(entities) or says_nothing_about_the_body(entities):
                    self._demote(message)
                if worries_about_a_sign(entities) and not self._has_input_issue(message):
                    self._set_intent(message, WARNING_SIGNS_INTENT)
                self._detail_with_symptom_is_a_report(message)
                continue
            previous = message.get(INTENT) or {}
            if previous.get(INTENT_NAME_KEY) == RED_FLAG_INTENT:
                continue
            overridden = {INTENT_NAME_KEY: RED_FLAG_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, overridden, add_to_output=True)
            ranking = [r for r in message.get(INTENT_RANKING) or []
                       if r.get(INTENT_NAME_KEY) != RED_FLAG_INTENT]
            message.set(INTENT_RANKING, [overridden] + ranking, add_to_output=True)
        return messages

    @staticmethod
    def _demote(message: Message) -> None:
        intent = message.get(INTENT) or {}
        if intent.get(INTENT_NAME_KEY) != RED_FLAG_INTENT:
            return
        ranking = [r for r in message.get(INTENT_RANKING) or []
                   if r.get(INTENT_NAME_KEY) != RED_FLAG_INTENT]
        if ranking:
            chosen = ranking[0]
            if (chosen.get(PREDICTED_CONFIDENCE_KEY) or 0) < DEMOTED_FLOOR:
                # The classifier was sure of the red flag and of nothing else: the runner-up
                # is noise ("i had a kidney infection last year" read as "correct my answer"
                # at 0.00). Unclear, as the fallback would have said; a complaint in it is
                # still made a report below.
                chosen = {INTENT_NAME_KEY: FALLBACK_INTENT,
                          PREDICTED_CONFIDENCE_KEY: chosen.get(PREDICTED_CONFIDENCE_KEY) or 0.0}
                ranking = [chosen] + ranking
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING, ranking, add_to_output=True)

    @staticmethod
    def _has_input_issue(message: Message) -> bool:
        return any(e.get("entity") == "input_issue" for e in message.get(ENTITIES) or [])

    @staticmethod
    def _set_intent(message: Message, name: str, confidence: float = 1.0) -> None:
        chosen = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
        ranking = [r for r in message.get(INTENT_RANKING) or []
                   if r.get(INTENT_NAME_KEY) != name]
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING, [chosen] + ranking, add_to_output=True)

    def _detail_with_symptom_is_a_report(self, message: Message) -> None:
        """"my back hurts a bit" read as a detail, or too close to call, would get "I haven't
        asked you anything" or "I didn't understand"; a message that names a symptom is a
        symptom report, and the triage starts (inside the form it is read the same way). A
        question that describes a symptom is a report too, and carries its question."""
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY)
        entities = message.get(ENTITIES) or []
        if not describes_a_complaint(entities) or self._has_input_issue(message):
            return
        if name in REPORT_IF_SYMPTOM or (name in REPORT_IF_NAMED_SYMPTOM and (
                has_symptom(entities) or has_fair_hint(entities))):
            self._set_intent(message, SYMPTOM_INTENT, intent.get(PREDICTED_CONFIDENCE_KEY, 1.0))
            self._hear_feelings(message)
        elif name == SYMPTOM_INTENT:
            self._hear_feelings(message)
        elif name == FEELING_INTENT:
            self._set_intent(message, SYMPTOM_INTENT, intent.get(PREDICTED_CONFIDENCE_KEY, 1.0))
            self._add_question(message, FEELING_HEARD)
        elif name in QUESTION_INTENTS and (
                describes_a_complaint(entities, with_hints=False)
                and tells_of_own_symptom(message.get("text") or "", entities)
                or asks_about_a_sign_it_dates(entities)):
            question = self._question_asked(message, name)
            self._set_intent(message, SYMPTOM_INTENT, intent.get(PREDICTED_CONFIDENCE_KEY, 1.0))
            if question:
                self._add_question(message, question)

    def _hear_feelings(self, message: Message) -> None:
        """A report that says how the person feels gets one line of acknowledgement first."""
        if FEELING_WORDS.search(message.get("text") or "") and not any(
                e.get("entity") == QUESTION_ENTITY for e in message.get(ENTITIES) or []):
            self._add_question(message, FEELING_HEARD)

    def _add_question(self, message: Message, response: str) -> None:
        message.set(ENTITIES, (message.get(ENTITIES) or []) + [{
            "entity": QUESTION_ENTITY, "value": response, "start": 0,
            "end": len(message.get("text") or ""), "confidence_entity": 1.0,
            "extractor": type(self).__name__}], add_to_output=True)

    @staticmethod
    def _question_asked(message: Message, intent: str):
        """The response that answers the message's question: `utter_faq/<key>` for a
        retrieval intent (the response selector's choice), ANSWER_OF_INTENT for the others;
        None when the message does not read as a question."""
        if not is_a_question(message.get("text") or ""):
            return None
        if intent in ("faq", "technique"):
            selected = (message.get(RESPONSE_SELECTOR) or {}).get("default") or {}
            key = (selected.get("response") or {}).get("intent_response_key")
            return f"utter_{key}" if key and key.split("/")[0] == intent else None
        return ANSWER_OF_INTENT.get(intent)

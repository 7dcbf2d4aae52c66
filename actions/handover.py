"""The facts of a handover summary, read from the conversation (issue 16).

Only what the person said: their answers (ids), their current red flags (ids), the rules that set
the level, and their own words for the signs, symptoms, side and duration they reported (the
spans the entity patterns found in their messages, never whole messages). Words that were
negated, about someone else, in the past or a "what if" are left out, as they are from the
triage. The wording around these facts is in data/summary/ (bot/handover/summary.py).
"""
from __future__ import annotations

from typing import Dict, List, Sequence

from rasa_sdk import Tracker

from actions import slots
from bot import settings
from bot.clinical import triage

# Entity -> the facts' key for the person's own words.
OWN_WORDS = {"red_flag": "warning_signs", "risk_factor": "warning_signs", "symptom": "symptoms",
             "side": "side", "duration": "duration"}
MAX_WORDS_PER_KIND = 6
MAX_SPAN = 80


def own_words(tracker: Tracker, current_flags: Sequence[str]) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = {}
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        if not text or text.startswith("/"):  # a button's payload, not the person's words
            continue
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            kind = OWN_WORDS.get(entity.get("entity"))
            start, end = entity.get("start"), entity.get("end")
            if kind is None or entity.get("role") in triage.NOT_CURRENT_ROLES \
                    or not isinstance(start, int) or not isinstance(end, int):
                continue
            if kind == "warning_signs" and entity.get("value") not in current_flags:
                continue
            span = " ".join(text[start:end].split())[:MAX_SPAN]
            words = found.setdefault(kind, [])
            if span and span.lower() not in (w.lower() for w in words) \
                    and len(words) < MAX_WORDS_PER_KIND:
                words.append(span)
    return found


def facts(tracker: Tracker, outcome: triage.Outcome, rule_kept: str) -> dict:
    flags = [flag for flag in slots.Findings(tracker).flags if flag in triage.FLAG_LEVEL]
    rules = list(outcome.reasons) or [outcome.rule]
    if outcome.rule == "kept:previous":
        rules = ["kept:previous"] + ([rule_kept] if rule_kept != outcome.rule else [])
    region = {name: tracker.get_slot(name) for name in settings.REGION_SLOTS}
    if not all(region.values()):
        region = settings.region_slots()
    return {
        "disposition": outcome.disposition,
        "rules": rules,
        "answers": {q: a for q, a in slots.answers(tracker).items() if a},
        "flags": flags,
        "own_words": own_words(tracker, flags),
        "provisional": bool(tracker.get_slot(slots.PROVISIONAL)),
        "assumed": [q for q in tracker.get_slot(slots.ASSUMED) or []
                    if q in triage.QUESTION_BY_ID],
        "rules_version": triage.RULES_VERSION,
        "region": region,
    }

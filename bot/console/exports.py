"""What staff take out of the console: annotations as Rasa NLU training data, and a
conversation as a staff dialogue file.

- NLU: `version: "3.1"` YAML, one block per intent, entities written inline as
  `[phrase]{"entity": ..., "role": ...}`, ready to merge into data/nlu/ (`rasa data validate`
  accepts it: tests/integration/test_console.py). Only the text staff chose to keep is
  exported; there is no sender in an annotation.
- Dialogue: the format of tests/dialogues/*.yml, played by `python -m bot dialogue`
  (bot/staff/dialogue.py reads it; this layer may not import it, so the file is written
  here and the test plays it). Each user message is a turn (`button:` when it was the payload
  of a button the bot had just offered, `user:` otherwise); the recorded replies become the
  expectations: the first line of each reply (`says`), the buttons offered, the turn's
  recommendation or `none`, and the final recommendation.
"""
from __future__ import annotations

import json
import re
from typing import Dict, Iterable, List, Optional

import yaml

from bot.console.conversations import Turn

NLU_VERSION = "3.1"
SAYS_LENGTH = 80


class _Literal(str):
    """A YAML block scalar (`examples: |`)."""


def _literal(dumper, text):
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def annotated_text(text: str, entities: Iterable[dict]) -> str:
    """The example with each entity's phrase marked, first occurrence, left to right."""
    text = one_line(text)
    marks = []
    for entity in entities:
        phrase = one_line(entity.get("phrase", ""))
        at = text.lower().find(phrase.lower()) if phrase else -1
        if at < 0 or any(at < end and start < at + len(phrase) for start, end, _ in marks):
            continue
        label = {"entity": entity["entity"]}
        if entity.get("role"):
            label["role"] = entity["role"]
        if entity.get("value") and entity["value"] != text[at:at + len(phrase)]:
            label["value"] = entity["value"]
        marks.append((at, at + len(phrase), json.dumps(label)))
    for start, end, label in sorted(marks, reverse=True):
        text = f"{text[:start]}[{text[start:end]}]{label}{text[end:]}"
    return text


def nlu_yaml(rows: Iterable) -> str:
    """Annotations (text, intent, entities) as Rasa NLU YAML; the latest annotation of a text
    wins, so one text never trains two intents."""
    latest: Dict[str, tuple] = {}
    for row in rows:
        text = one_line(row.text)
        if text:
            latest[text.lower()] = (row.intent, annotated_text(text, row.entities or []))
    by_intent: Dict[str, List[str]] = {}
    for intent, example in latest.values():
        by_intent.setdefault(intent, [])
        if example not in by_intent[intent]:
            by_intent[intent].append(example)
    blocks = [{"intent": intent,
               "examples": _Literal("".join(f"- {example}\n" for example in examples))}
              for intent, examples in sorted(by_intent.items())]
    header = ("# Exported from the staff console: messages staff annotated with the right\n"
              "# intent. Review, then merge into data/nlu/ and retrain (make train).\n")
    return header + yaml.dump({"version": NLU_VERSION, "nlu": blocks}, Dumper=_Dumper,
                              sort_keys=False, allow_unicode=True, width=1000)


def _first_line(text: str) -> Optional[str]:
    for line in (text or "").splitlines():
        line = one_line(line)
        if line:
            return line[:SAYS_LENGTH].rsplit(" ", 1)[0] if len(line) > SAYS_LENGTH else line
    return None


def dialogue_yaml(name: str, turns: List[Turn]) -> str:
    """A conversation's user turns and recorded replies as a staff dialogue file."""
    played = []
    offered: List[dict] = []
    final = None
    for turn in turns:
        if turn.text is None:  # the bot spoke first (a greeting on connect): nothing to send
            offered = [b for r in turn.replies for b in r["buttons"]]
            continue
        step: dict = {}
        match = next((b for b in reversed(offered) if b.get("payload") == turn.text), None)
        if match is not None and match.get("title"):
            step["button"] = match["title"]
        else:
            step["user"] = turn.text
        says = [line for line in (_first_line(r["text"]) for r in turn.replies) if line]
        if says:
            step["says"] = says
        buttons = [b.get("title") for r in turn.replies for b in r["buttons"] if b.get("title")]
        if buttons:
            step["buttons"] = buttons
        given = [r["custom"]["disposition"] for r in turn.replies
                 if isinstance(r.get("custom"), dict) and r["custom"].get("disposition")]
        step["disposition"] = given[-1] if given else "none"
        final = given[-1] if given else final
        played.append(step)
        offered = [b for r in turn.replies for b in r["buttons"]]
    if not played:
        raise ValueError("this conversation has no message to play")
    dialogue = {"name": name, "turns": played}
    if final:
        dialogue["final_disposition"] = final
    header = ("# Exported from the staff console: a recorded conversation, its replies as the\n"
              "# expectations. Play it: python -m bot dialogue THIS_FILE --url ...\n")
    return header + yaml.safe_dump({"dialogues": [dialogue]}, sort_keys=False,
                                   allow_unicode=True, width=1000)

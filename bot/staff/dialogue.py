"""Scripted dialogues for staff: files of turns and what the bot should answer, played
against a running bot over its REST channel.

    python -m bot dialogue tests/dialogues/*.yml [--url http://localhost:5005] [--quiet]

A file (YAML) holds a list of dialogues; each is played from a fresh conversation:

    dialogues:
      - name: sore after leg day, no warning signs
        turns:
          - user: my lower back is sore after leg press yesterday
            says: emergency signs first        # the replies contain this (any case)
            buttons: [Yes, No, Not sure]       # these buttons are offered
          - button: No                         # click the button with this title
          - user: no                           # or type the answer
            does_not_say: sorry                # the replies do not contain this
            disposition: none                  # no recommendation in this turn
        final_disposition: self_care           # the last recommendation of the dialogue
        emergency_number_in_replies: yes       # the last turn's replies name the number

Every value is read as plain text (`no`, `yes`, `7` are messages, not YAML booleans or
numbers), so staff never need quotes. Exit codes: 0 all passed, 1 some failed, 2 a bad
file, bad usage or no bot to talk to.
"""
from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import yaml

from bot import settings
from bot.clinical import triage

DEFAULT_URL = "http://localhost:5005"
NO_DISPOSITION = "none"
DISPOSITIONS = triage.LADDER + (NO_DISPOSITION,)

TURN_KEYS = ("user", "button", "says", "does_not_say", "buttons", "disposition",
             "emergency_number")
DIALOGUE_KEYS = ("name", "turns", "final_disposition", "emergency_number_in_replies")
TRUE_WORDS, FALSE_WORDS = ("yes", "true", "y"), ("no", "false", "n")


class DialogueFileError(ValueError):
    """A dialogue file that cannot be played; the message says where and why."""


class BotUnreachable(RuntimeError):
    """No bot answers at the URL (not a failure of the dialogue: nothing was tested)."""


@dataclass(frozen=True)
class Turn:
    line: int
    user: Optional[str] = None          # text to send
    button: Optional[str] = None        # or the title of a button to click
    says: Tuple[str, ...] = ()
    does_not_say: Tuple[str, ...] = ()
    buttons: Tuple[str, ...] = ()
    disposition: Optional[str] = None   # a level, "none", or None for no check
    emergency_number: bool = False


@dataclass(frozen=True)
class Dialogue:
    file: str
    line: int
    name: str
    turns: Tuple[Turn, ...]
    final_disposition: Optional[str] = None
    emergency_number_in_replies: bool = False


# ---------------------------------------------------------------- reading files
# The file is walked as YAML nodes rather than loaded, for three reasons: every scalar stays
# text (YAML 1.1 would turn `user: no` into False), each error can name its line, and a key
# written twice is an error instead of silently keeping the second.

def load_file(path: str) -> List[Dialogue]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DialogueFileError(f"{path}: cannot read the file ({error})") from None
    return parse_text(text, path)


def parse_text(text: str, path: str = "<text>") -> List[Dialogue]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else path
        problem = getattr(error, "problem", None) or str(error)
        raise DialogueFileError(f"{where}: not valid YAML ({problem}); check the indentation, "
                                f"and put text in \"quotes\" if it contains ': ' or ' #', "
                                f"starts with a symbol, or is in [ ] with a comma or '?'") from None
    if root is None:
        raise DialogueFileError(f"{path}: the file is empty; it should start with 'dialogues:'")
    top = _mapping(root, path, "the file", ("dialogues",))
    if "dialogues" not in top:
        raise DialogueFileError(f"{_at(path, root)}: the file should start with 'dialogues:'")
    items = _sequence(top["dialogues"], path, "'dialogues'")
    if not items:
        raise DialogueFileError(f"{_at(path, top['dialogues'])}: 'dialogues' lists no dialogue")
    dialogues, names = [], set()
    for number, node in enumerate(items, 1):
        dialogue = _dialogue(node, path, number)
        if dialogue.name in names:
            raise DialogueFileError(f"{_at(path, node)}: two dialogues are called "
                                    f"{dialogue.name!r}; give each its own name")
        names.add(dialogue.name)
        dialogues.append(dialogue)
    return dialogues


def _dialogue(node, path: str, number: int) -> Dialogue:
    what = f"dialogue {number}"
    fields = _mapping(node, path, what, DIALOGUE_KEYS)
    if "name" not in fields or _is_blank(fields["name"]):
        raise DialogueFileError(f"{_at(path, node)}: {what} has no 'name'")
    name = _text(fields["name"], path, f"'name' of {what}", node).strip()
    what = f"dialogue {name!r}"
    if "turns" not in fields:
        raise DialogueFileError(f"{_at(path, node)}: {what} has no 'turns'")
    turn_nodes = _sequence(fields["turns"], path, f"'turns' of {what}")
    if not turn_nodes:
        raise DialogueFileError(f"{_at(path, fields['turns'])}: {what} has no turns")
    turns = tuple(_turn(turn, path, f"turn {i} of {what}") for i, turn in enumerate(turn_nodes, 1))
    return Dialogue(
        file=path, line=node.start_mark.line + 1, name=name, turns=turns,
        final_disposition=_disposition(fields.get("final_disposition"), path, what),
        emergency_number_in_replies=_yes_no(fields.get("emergency_number_in_replies"), path,
                                            what))


def _turn(node, path: str, what: str) -> Turn:
    fields = _mapping(node, path, what, TURN_KEYS)
    if ("user" in fields) == ("button" in fields):
        raise DialogueFileError(f"{_at(path, node)}: {what} needs exactly one of 'user: <what "
                                f"the person types>' or 'button: <button title>'")
    user = button = None
    if "user" in fields:
        user = _text(fields["user"], path, f"'user' of {what}", node,
                     hint=' (to send an empty message write user: "")')
    else:
        button = _text(fields["button"], path, f"'button' of {what}", node).strip()
        if not button:
            raise DialogueFileError(f"{_at(path, node)}: {what} has an empty 'button'")
    return Turn(
        line=node.start_mark.line + 1, user=user, button=button,
        says=_texts(fields.get("says"), path, f"'says' of {what}"),
        does_not_say=_texts(fields.get("does_not_say"), path, f"'does_not_say' of {what}"),
        buttons=_texts(fields.get("buttons"), path, f"'buttons' of {what}"),
        disposition=_disposition(fields.get("disposition"), path, what),
        emergency_number=_yes_no(fields.get("emergency_number"), path, what))


def _at(path: str, node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _mapping(node, path: str, what: str, allowed: Sequence[str]) -> dict:
    if not isinstance(node, yaml.MappingNode):
        raise DialogueFileError(f"{_at(path, node)}: {what} should be a set of 'key: value' "
                                f"lines ({', '.join(allowed)})")
    fields = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in allowed:
            raise DialogueFileError(f"{_at(path, key_node)}: unknown key {key!r} in {what} "
                                    f"(allowed: {', '.join(allowed)})")
        if key in fields:
            raise DialogueFileError(f"{_at(path, key_node)}: {key!r} is written twice in {what}")
        fields[key] = value_node
    return fields


def _sequence(node, path: str, what: str) -> list:
    if not isinstance(node, yaml.SequenceNode):
        raise DialogueFileError(f"{_at(path, node)}: {what} should be a list (lines starting "
                                f"with '- ')")
    return node.value


def _is_blank(node) -> bool:
    # `key:` with nothing after it (a plain empty scalar), as opposed to `key: ""`.
    return isinstance(node, yaml.ScalarNode) and node.value == "" and node.style is None


def _text(node, path: str, what: str, parent, hint: str = "") -> str:
    if node is None or _is_blank(node):
        raise DialogueFileError(f"{_at(path, parent if node is None else node)}: {what} is "
                                f"missing its text{hint}")
    if not isinstance(node, yaml.ScalarNode):
        raise DialogueFileError(f"{_at(path, node)}: {what} should be one piece of text")
    return node.value


def _texts(node, path: str, what: str) -> Tuple[str, ...]:
    """One text or a list of texts."""
    if node is None:
        return ()
    nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
    texts = tuple(_text(item, path, what, node).strip() for item in nodes)
    if not texts or not all(texts):
        raise DialogueFileError(f"{_at(path, node)}: {what} has an empty text")
    return texts


def _disposition(node, path: str, what: str) -> Optional[str]:
    if node is None:
        return None
    value = _text(node, path, f"the disposition of {what}", node)
    level = re.sub(r"[\s-]+", "_", value.strip().lower())
    if level not in DISPOSITIONS:
        raise DialogueFileError(f"{_at(path, node)}: {value!r} is not a disposition (use one "
                                f"of: {', '.join(DISPOSITIONS)})")
    return level


def _yes_no(node, path: str, what: str) -> bool:
    if node is None:
        return False
    word = _text(node, path, what, node).strip().lower()
    if word not in TRUE_WORDS + FALSE_WORDS:
        raise DialogueFileError(f"{_at(path, node)}: {word!r} in {what} should be yes or no")
    return word in TRUE_WORDS


# ---------------------------------------------------------------- talking to the bot

class RestBot:
    """The bot's REST channel (rasa's `rest` input channel in credentials.yml)."""

    def __init__(self, url: str, timeout: float = 60, token: str = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        # A server whose REST webhook needs authentication (REST_AUTH=token): REST_TOKEN.
        self.token = settings.secret("REST_TOKEN") if token is None else token

    def check_reachable(self) -> None:
        try:
            with urllib.request.urlopen(self.url + "/", timeout=10):
                return
        except (urllib.error.URLError, OSError) as error:
            raise BotUnreachable(f"no bot answers at {self.url} ({_reason(error)})") from None

    def send(self, sender: str, message: str) -> list:
        body = json.dumps({"sender": sender, "message": message}).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + "/webhooks/rest/webhook", data=body,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"[]")
        except urllib.error.HTTPError:
            raise  # the bot is there but failed: the dialogue fails, the run goes on
        except (urllib.error.URLError, OSError) as error:
            raise BotUnreachable(f"lost the bot at {self.url} ({_reason(error)})") from None
        except ValueError:
            raise BotUnreachable(f"{self.url} does not answer like a Rasa bot") from None


def _reason(error: Exception) -> str:
    return str(getattr(error, "reason", None) or error)


# ---------------------------------------------------------------- playing a dialogue

@dataclass
class Result:
    dialogue: Dialogue
    failure: Optional[str]       # None when every check passed
    transcript: List[str]

    @property
    def passed(self) -> bool:
        return self.failure is None


class CheckFailed(Exception):
    pass


def _squash(text: str) -> str:
    # Staff write phrases on one line; the bot's texts wrap and use several spaces.
    return re.sub(r"\s+", " ", text).strip().casefold()


def _disposition_in(messages: list) -> Optional[str]:
    found = [m["custom"]["disposition"] for m in messages
             if isinstance(m.get("custom"), dict) and "disposition" in m["custom"]]
    return found[-1] if found else None


def _button_titles(messages: list) -> List[str]:
    return [b.get("title", "") for m in messages for b in m.get("buttons") or []]


def _show_messages(messages: list) -> List[str]:
    lines = []
    for message in messages:
        text = (message.get("text") or "").rstrip()
        if text:
            first, *rest = text.splitlines()
            lines.append(f"  bot: {first}")
            lines += [f"       {line}" if line else "" for line in rest]
        if message.get("buttons"):
            lines.append("       " + " ".join(f"[{t}]" for t in _button_titles([message])))
        custom = message.get("custom")
        if isinstance(custom, dict) and "disposition" in custom:
            lines.append(f"  bot: (disposition: {custom['disposition']})")
        elif custom is not None:
            lines.append(f"  bot: (payload: {json.dumps(custom)})")
    return lines


_NUMBER_HINT = (" (the number is taken from the bot's recommendation, or before one from "
                "--emergency-number or EMERGENCY_NUMBER)")


def _check_turn(turn: Turn, messages: list, emergency_number: str) -> None:
    said = _squash(" ".join(m.get("text") or "" for m in messages))
    for phrase in turn.says:
        if _squash(phrase) not in said:
            raise CheckFailed(f"the bot did not say {phrase!r}")
    for phrase in turn.does_not_say:
        if _squash(phrase) in said:
            raise CheckFailed(f"the bot said {phrase!r}")
    offered = [_squash(t) for t in _button_titles(messages)]
    for title in turn.buttons:
        if _squash(title) not in offered:
            raise CheckFailed(f"no button {title!r} was offered")
    given = _disposition_in(messages) or NO_DISPOSITION
    if turn.disposition and turn.disposition != given:
        raise CheckFailed(f"expected disposition {turn.disposition}, got {given}")
    if turn.emergency_number and emergency_number not in said:
        raise CheckFailed(f"the replies do not name the emergency number {emergency_number}"
                          f"{_NUMBER_HINT}")


def play(dialogue: Dialogue, bot: RestBot, default_number: str) -> Result:
    """Play the turns in a fresh conversation, stopping at the first failed check."""
    sender = f"dialogue-{uuid.uuid4().hex}"  # a new conversation: nothing leaks between dialogues
    transcript, messages, all_messages = [], [], []
    number = default_number
    try:
        for index, turn in enumerate(dialogue.turns, 1):
            where = f"turn {index} (line {turn.line})"
            if turn.button is not None:
                matches = [b for m in messages for b in m.get("buttons") or []
                           if _squash(b.get("title", "")) == _squash(turn.button)]
                if not matches:
                    offered = " ".join(f"[{t}]" for t in _button_titles(messages)) or "none"
                    raise CheckFailed(f"{where}: no button {turn.button!r} to click; "
                                      f"buttons offered: {offered}")
                transcript.append(f"  you: [{turn.button}]")
                payload = matches[-1].get("payload", "")
            else:
                transcript.append(f"  you: {turn.user}" if turn.user.strip()
                                  else f"  you: {turn.user!r} (an empty message)")
                payload = turn.user
            try:
                messages = bot.send(sender, payload)
            except urllib.error.HTTPError as error:
                raise CheckFailed(f"{where}: the bot answered with HTTP error {error.code}")
            transcript += _show_messages(messages)
            all_messages += messages
            # The number the bot itself uses is in its recommendation payload.
            number = next((m["custom"]["emergency_number"] for m in reversed(all_messages)
                           if isinstance(m.get("custom"), dict)
                           and m["custom"].get("emergency_number")), number)
            try:
                _check_turn(turn, messages, number)
            except CheckFailed as failed:
                raise CheckFailed(f"{where}: {failed}") from None
        final = _disposition_in(all_messages) or NO_DISPOSITION
        if dialogue.final_disposition and dialogue.final_disposition != final:
            raise CheckFailed(f"expected final disposition {dialogue.final_disposition}, "
                              f"got {final}")
        last_said = " ".join(m.get("text") or "" for m in messages)
        if dialogue.emergency_number_in_replies and number not in last_said:
            raise CheckFailed(f"the last replies do not name the emergency number {number}"
                              f"{_NUMBER_HINT}")
    except CheckFailed as failed:
        return Result(dialogue, str(failed), transcript)
    return Result(dialogue, None, transcript)


# ---------------------------------------------------------------- command line

def files_to_play(arguments: Sequence[str]) -> List[str]:
    """The files named, with a folder standing for the .yml/.yaml files in it."""
    files = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(str(p) for p in path.iterdir() if p.suffix in (".yml", ".yaml"))
            if not found:
                raise DialogueFileError(f"{argument}: no .yml files in this folder")
            files += found
        else:
            files.append(argument)
    return files


def run(paths: Sequence[str], url: str, quiet: bool = False,
        emergency_number: Optional[str] = None, out=sys.stdout, err=sys.stderr) -> int:
    """Play every dialogue of the files; the exit code (0 pass, 1 fail, 2 cannot run)."""
    try:
        dialogues = [d for path in files_to_play(paths) for d in load_file(path)]
        default_number = settings.emergency_number(
            {"EMERGENCY_NUMBER": emergency_number} if emergency_number else os.environ)
    except (DialogueFileError, settings.ConfigurationError) as error:
        print(f"error: {error}", file=err)
        return 2
    bot = RestBot(url)
    passed = failed = 0
    try:
        bot.check_reachable()
        for dialogue in dialogues:
            result = play(dialogue, bot, default_number)
            if not (quiet and result.passed):
                print(f"== {dialogue.file}: {dialogue.name}", file=out)
                print("\n".join(result.transcript), file=out)
            if result.passed:
                passed += 1
                print(f"PASS {dialogue.file}: {dialogue.name}", file=out)
            else:
                failed += 1
                print(f"FAIL {dialogue.file}: {dialogue.name} — {result.failure}", file=out)
            out.flush()
    except BotUnreachable as error:
        print(f"error: {error}. Start the bot with `make run` (or give its address with "
              f"--url or RASA_URL).", file=err)
        return 2
    print(f"{passed} passed, {failed} failed", file=out)
    return 1 if failed else 0


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="dialogue files (.yml), or folders of them")
    parser.add_argument("--url", default=os.environ.get("RASA_URL", DEFAULT_URL),
                        help=f"the running bot (default: RASA_URL or {DEFAULT_URL})")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="show the transcript only of the dialogues that fail")
    parser.add_argument("--emergency-number", metavar="NUMBER",
                        help="the number the bot names, for the emergency number checks "
                             "before it has given a recommendation (default: EMERGENCY_NUMBER, "
                             "else the REGION's number)")

"""What every channel does to a message before the bot sees it. Pure, no Rasa.

A message that is not text is refused with a reason the client can act on. Text is kept
as the person wrote it, except for control characters (never typed, sometimes pasted)
and length: NLU cost grows with every character (about 0.2 ms each, measured), so a
pasted 100 KB page would hold a server for 20 s. Real chat messages are far shorter than
the limit (Telegram's own is 4,096 characters).
"""
from __future__ import annotations

import json
import re
from typing import Any, Optional

MAX_MESSAGE_CHARS = 4000
# Of an over-long message the bot reads the beginning and the end: people put what
# matters most (what happened, what worries them now) at one of the two.
_HEAD_CHARS = 3000
_TAIL_CHARS = MAX_MESSAGE_CHARS - _HEAD_CHARS - 3
MAX_SENDER_CHARS = 128
# Channel metadata is stored with every event of the conversation and sent to the action
# server with every call: only these keys, each a short plain value, are kept. Nothing in
# the bot reads metadata today; a key is added here when something does.
METADATA_KEYS = frozenset({"language"})
MAX_METADATA_VALUE_CHARS = 64
MAX_METADATA_BODY_CHARS = 2_000  # a larger object is refused (REST) or dropped (widget)
# C0/C1 control characters other than tab and newline, and lone surrogates (which cannot
# be stored as UTF-8 and come from broken clients).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class BadInput(ValueError):
    """A message that cannot be read; the text says what was wrong, for the client."""


def message_text(value: Any) -> str:
    """The text to give the bot: a string, cleaned and bounded, or BadInput."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput("'message' must be a string")
    return bounded(value)


def bounded(text: str) -> str:
    text = _CONTROL.sub(" ", text)
    if len(text) > MAX_MESSAGE_CHARS:
        text = f"{text[:_HEAD_CHARS]} … {text[-_TAIL_CHARS:]}"
    return text


def conversation_id(channel: str, local_id: str) -> str:
    """The tracker key of a conversation: the channel's name, a colon, the channel's own id.

    Each channel has its own id space: a Telegram chat id, a widget session or a REST sender
    that happen to be the same string are three conversations, and no client of one channel
    can name a conversation of another.
    """
    return f"{channel}:{local_id}"


def sender_id(value: Any) -> str:
    """A REST sender id: a short string, required (without one, Rasa would put every such
    message in one shared conversation named "default")."""
    if value is None:
        raise BadInput("'sender' is required: an id of the conversation, "
                       'such as {"sender": "id", "message": "text"}')
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadInput("'sender' must be a string")
    value = str(value)
    if not value.strip() or len(value) > MAX_SENDER_CHARS or _CONTROL.search(value):
        raise BadInput(f"'sender' must be 1 to {MAX_SENDER_CHARS} printable characters")
    return value


def metadata(value: Any) -> dict:
    """Channel metadata: the allowed keys of a small JSON object, or BadInput.

    Keys not in METADATA_KEYS are dropped, and so are values that are not a short string,
    a number or a boolean; an object larger than MAX_METADATA_BODY_CHARS is refused.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput("'metadata' must be a JSON object")
    try:
        size = len(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        raise BadInput("'metadata' must be a JSON object")
    if size > MAX_METADATA_BODY_CHARS:
        raise BadInput(f"'metadata' must be at most {MAX_METADATA_BODY_CHARS} characters "
                       f"of JSON")
    kept = {}
    for key in METADATA_KEYS & set(value):
        item = value[key]
        if isinstance(item, str):
            if len(item) <= MAX_METADATA_VALUE_CHARS and not _CONTROL.search(item):
                kept[key] = item
        elif isinstance(item, (bool, int, float)) and item == item:  # not NaN
            kept[key] = item
    return kept


def metadata_or_nothing(value: Any) -> dict:
    """Channel metadata for channels that cannot answer with an error: bad means none."""
    try:
        return metadata(value)
    except BadInput:
        return {}

"""What every channel does to a message before the bot sees it. Pure, no Rasa.

A message that is not text is refused with a reason the client can act on. Text is kept
as the person wrote it, except for control characters (never typed, sometimes pasted)
and length: NLU cost grows with every character (about 0.2 ms each, measured), so a
pasted 100 KB page would hold a server for 20 s. Real chat messages are far shorter than
the limit (Telegram's own is 4,096 characters).
"""
from __future__ import annotations

import re
from typing import Any, Optional

MAX_MESSAGE_CHARS = 4000
# Of an over-long message the bot reads the beginning and the end: people put what
# matters most (what happened, what worries them now) at one of the two.
_HEAD_CHARS = 3000
_TAIL_CHARS = MAX_MESSAGE_CHARS - _HEAD_CHARS - 3
MAX_SENDER_CHARS = 128
# Session ids the web widget makes are 32 hex digits; other clients use similar tokens.
_SESSION_ID = re.compile(r"[A-Za-z0-9_.:@-]{8,128}")
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


def sender_id(value: Any) -> Optional[str]:
    """A REST sender id: a short string (None lets Rasa use its default sender)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadInput("'sender' must be a string")
    value = str(value)
    if not value.strip() or len(value) > MAX_SENDER_CHARS or _CONTROL.search(value):
        raise BadInput(f"'sender' must be 1 to {MAX_SENDER_CHARS} printable characters")
    return value


def session_id(value: Any) -> Optional[str]:
    """A widget session id, or None when it cannot be one (the client gets a new one)."""
    if isinstance(value, str) and _SESSION_ID.fullmatch(value):
        return value
    return None


def metadata(value: Any) -> dict:
    """Channel metadata: a JSON object, or BadInput."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput("'metadata' must be a JSON object")
    return value

"""Pseudonymous conversation keys: a keyed hash of the sender id, never the id itself.

The records that staff review must not identify a person on their own (a Telegram chat id or
a widget session id is personal data). An HMAC with a secret key gives a stable key per
conversation that cannot be reversed or recomputed without the secret.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from bot import settings

DEFAULT_KEY_FILE = Path("var/pseudonym.key")


def secret(environ=os.environ, key_file: Path = DEFAULT_KEY_FILE) -> bytes:
    """PSEUDONYM_SECRET (or PSEUDONYM_SECRET_FILE), else a random key kept in var/ (made
    once, readable by its owner only): bot.settings.secret_or_local_key."""
    return settings.secret_or_local_key("PSEUDONYM_SECRET", key_file, environ)


def conversation_key(sender_id: str, key: bytes) -> str:
    return hmac.new(key, sender_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

"""Pseudonymous conversation keys: a keyed hash of the sender id, never the id itself.

The records that staff review must not identify a person on their own (a Telegram chat id or
a widget session id is personal data). An HMAC with a secret key gives a stable key per
conversation that cannot be reversed or recomputed without the secret.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

DEFAULT_KEY_FILE = Path("var/pseudonym.key")


def secret(environ=os.environ, key_file: Path = DEFAULT_KEY_FILE) -> bytes:
    """PSEUDONYM_SECRET, else a random key kept in var/ (made once, readable by owner only)."""
    value = environ.get("PSEUDONYM_SECRET")
    if value:
        return value.encode()
    key_file = Path(key_file)
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first; use theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    value = key_file.read_text().strip()
    if not value:
        raise ValueError(f"{key_file} is empty: delete it, or set PSEUDONYM_SECRET")
    return value.encode()


def conversation_key(sender_id: str, key: bytes) -> str:
    return hmac.new(key, sender_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

"""Settings read from the environment, checked once, with clear errors.

Only what the bot's behaviour depends on lives here; Rasa's own settings stay in
endpoints.yml and credentials.yml.
"""
from __future__ import annotations

import os
import re

DEFAULT_EMERGENCY_NUMBER = "112"


class ConfigurationError(ValueError):
    """A setting that cannot work; the message says which and how to fix it."""


def emergency_number(environ=os.environ) -> str:
    """The number the bot tells people to call in an emergency (EMERGENCY_NUMBER).

    112 reaches emergency services across Europe and redirects on most mobile networks
    elsewhere; deployments set their own (911 in North America, 999 in the UK, 000 in
    Australia).
    """
    value = environ.get("EMERGENCY_NUMBER", DEFAULT_EMERGENCY_NUMBER).strip()
    if not re.fullmatch(r"\d{2,6}", value):
        raise ConfigurationError(
            f"EMERGENCY_NUMBER must be 2 to 6 digits, such as 112, 911 or 999; got {value!r}"
        )
    return value


def secret(name: str, environ=os.environ) -> str:
    """A secret from the environment: NAME itself, or the contents of the file NAME_FILE.

    Secrets are read by the process that needs them, never passed on a command line, where
    every user of the host can read them (`ps`). A file (a Docker or Kubernetes secret
    mounted read-only) keeps them out of the environment too. Empty when neither is set.
    """
    value = environ.get(name, "").strip()
    path = environ.get(f"{name}_FILE", "").strip()
    if value and path:
        raise ConfigurationError(f"set {name} or {name}_FILE, not both")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                value = handle.read().strip()
        except OSError as error:
            raise ConfigurationError(f"{name}_FILE: cannot read {path} ({error.strerror})")
        if not value:
            raise ConfigurationError(f"{name}_FILE: {path} is empty")
    return value


def secret_or_local_key(name: str, key_file, environ=os.environ) -> bytes:
    """A secret key: NAME (or NAME_FILE), else a random key kept in `key_file`, made once
    and readable by its owner only. The local file suits one machine (make run); servers
    that share conversations (make cluster, production) must be given the same NAME."""
    from pathlib import Path
    import secrets as random_source

    value = secret(name, environ)
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
                handle.write(random_source.token_hex(32))
    value = key_file.read_text().strip()
    if not value:
        raise ConfigurationError(f"{key_file} is empty: delete it, or set {name}")
    return value.encode()

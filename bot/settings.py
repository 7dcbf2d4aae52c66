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

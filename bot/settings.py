"""Settings read from the environment, checked once, with clear errors.

Only what the bot's behaviour depends on lives here; Rasa's own settings stay in
endpoints.yml and credentials.yml.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Dict, Tuple


class ConfigurationError(ValueError):
    """A setting that cannot work; the message says which and how to fix it."""


@dataclass(frozen=True)
class Region:
    """One health system: what the bot calls its services, so that no reply mixes two.

    The three names are written to fit the responses' sentences ("go to {emergency_department}",
    "contact {urgent_line}", "your {family_doctor}"): see the README's table.
    """
    code: str
    name: str
    emergency_number: str
    urgent_line: str           # same-day advice when it is not an emergency
    emergency_department: str  # where to go in an emergency
    family_doctor: str         # the doctor people book an appointment with
    # Words that name this health system and no other one of the table; a reply rendered for
    # another region must not contain them (tests/unit/test_response_text.py).
    own_terms: Tuple[str, ...] = ()


# Sources (checked 2026-12): UK: NHS England ambulance trusts' "999 or 111" pages; Ireland:
# citizensinformation.ie ("Emergency health services", "GP out-of-hours service"); US:
# hospital "urgent care or the ER" guides (911); Australia: healthdirect.gov.au "What care do
# I need?" (triple zero 000, healthdirect 1800 022 222, GP, hospital emergency department).
REGIONS: Dict[str, Region] = {
    "uk": Region("uk", "United Kingdom", "999", "NHS 111", "A&E", "GP",
                 own_terms=("999", "NHS", "111", "A&E")),
    "eu": Region("eu", "Ireland and the rest of the EU", "112",
                 "a GP out-of-hours service", "the emergency department", "GP",
                 own_terms=("112", "out-of-hours")),
    "us": Region("us", "United States", "911", "an urgent care center", "the ER", "doctor",
                 own_terms=("911", "ER", "urgent care center")),
    "au": Region("au", "Australia", "000", "healthdirect on 1800 022 222",
                 "the emergency department", "GP",
                 own_terms=("000", "healthdirect", "1800 022 222")),
}
# Names that several regions share but not all: a reply must take them from the region too.
SHARED_TERMS: Dict[str, Tuple[str, ...]] = {
    "GP": ("uk", "eu", "au"),
    "emergency department": ("eu", "au"),
}
REGION_ALIASES = {"ie": "eu", "gb": "uk"}
DEFAULT_REGION = "eu"
DEFAULT_EMERGENCY_NUMBER = REGIONS[DEFAULT_REGION].emergency_number

# The slots that carry the region's names into the responses ({emergency_number}...).
REGION_SLOTS = ("emergency_number", "urgent_line", "emergency_department", "family_doctor")


def region(environ=os.environ) -> Region:
    """The health system the bot speaks of (REGION: uk, eu, us or au; ie is eu, gb is uk)."""
    raw = environ.get("REGION", DEFAULT_REGION).strip().lower() or DEFAULT_REGION
    code = REGION_ALIASES.get(raw, raw)
    if code not in REGIONS:
        raise ConfigurationError(
            f"REGION must be one of {', '.join(REGIONS)} (ie and gb are accepted too); "
            f"got {raw!r}")
    return REGIONS[code]


def emergency_number(environ=os.environ) -> str:
    """The number the bot tells people to call in an emergency: EMERGENCY_NUMBER when set
    (a deployment's own number), else the region's (999, 112, 911, 000)."""
    chosen = region(environ)  # checked even when EMERGENCY_NUMBER replaces its number
    value = environ.get("EMERGENCY_NUMBER", "").strip() or chosen.emergency_number
    if not re.fullmatch(r"\d{2,6}", value):
        raise ConfigurationError(
            f"EMERGENCY_NUMBER must be 2 to 6 digits, such as 112, 911 or 999; got {value!r}"
        )
    return value


def region_slots(environ=os.environ) -> Dict[str, str]:
    """The slot values that put the region's number and names into the responses."""
    chosen = region(environ)
    return {"emergency_number": emergency_number(environ),
            "urgent_line": chosen.urgent_line,
            "emergency_department": chosen.emergency_department,
            "family_doctor": chosen.family_doctor}


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


def duration(name: str, default: str, environ=os.environ):
    """A length of time from the environment: '7d', '12h', '2w', '30m' or a number of days."""
    from datetime import timedelta

    raw = environ.get(name, "").strip() or default
    match = re.fullmatch(r"(\d{1,5})\s*([mhdw]?)", raw)
    if not match or int(match.group(1)) == 0:
        raise ConfigurationError(f"{name} must be a length of time such as 7d, 12h, 2w or 30m; "
                                 f"got {raw!r}")
    value, unit = int(match.group(1)), match.group(2) or "d"
    return {"m": timedelta(minutes=value), "h": timedelta(hours=value),
            "d": timedelta(days=value), "w": timedelta(weeks=value)}[unit]


def summary_ttl(environ=os.environ):
    """How long a handover summary's link works (SUMMARY_TTL, default 7 days)."""
    return duration("SUMMARY_TTL", "7d", environ)


# The levels after which the bot offers to check in, and when (issue 16).
CHECKIN_LEVELS = ("self_care", "see_doctor")
_CHECKIN_DEFAULT_DAYS = {"self_care": "3", "see_doctor": "14"}


def checkin_days(level: str, environ=os.environ) -> int:
    """Whole days after the advice to check in: CHECKIN_DAYS_SELF_CARE (default 3) and
    CHECKIN_DAYS_SEE_DOCTOR (default 14)."""
    name = f"CHECKIN_DAYS_{level.upper()}"
    raw = environ.get(name, "").strip() or _CHECKIN_DEFAULT_DAYS[level]
    if not re.fullmatch(r"\d{1,3}", raw) or not 1 <= int(raw) <= 365:
        raise ConfigurationError(f"{name} must be a whole number of days from 1 to 365; "
                                 f"got {raw!r}")
    return int(raw)


def checkin_slots(environ=os.environ) -> Dict[str, str]:
    """The slots that put the check-in delays into the offer ({checkin_days_self_care}...)."""
    return {f"checkin_days_{level}": str(checkin_days(level, environ))
            for level in CHECKIN_LEVELS}


DEFAULT_TURNS_AT_ONCE = 4


def turns_at_once(environ=os.environ) -> int:
    """TURNS_AT_ONCE: how many turns one Rasa server processes at a time (others wait in
    line; 0 or `off`: no limit). bot/rasa_patches/server_hooks.py says why 4."""
    raw = environ.get("TURNS_AT_ONCE", "").strip().lower() or str(DEFAULT_TURNS_AT_ONCE)
    if raw == "off":
        return 0
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"TURNS_AT_ONCE={raw!r}: give a whole number, 0 or more, or 'off'")
    return value

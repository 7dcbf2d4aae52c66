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

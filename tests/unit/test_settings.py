"""The REGION and EMERGENCY_NUMBER settings: one health system, checked at start."""
import pytest

from bot import settings
from bot.settings import ConfigurationError


@pytest.mark.parametrize("environ, number, urgent_line, department, doctor", [
    ({}, "112", "a GP out-of-hours service", "the emergency department", "GP"),
    ({"REGION": "uk"}, "999", "NHS 111", "A&E", "GP"),
    ({"REGION": " IE "}, "112", "a GP out-of-hours service", "the emergency department", "GP"),
    ({"REGION": "us"}, "911", "an urgent care center", "the ER", "doctor"),
    ({"REGION": "au"}, "000", "healthdirect on 1800 022 222", "the emergency department", "GP"),
    ({"REGION": "au", "EMERGENCY_NUMBER": "112"}, "112", "healthdirect on 1800 022 222",
     "the emergency department", "GP"),
])
def test_the_region_chooses_the_number_and_the_names(environ, number, urgent_line, department,
                                                     doctor):
    assert settings.region_slots(environ) == {
        "emergency_number": number, "urgent_line": urgent_line,
        "emergency_department": department, "family_doctor": doctor}
    assert settings.emergency_number(environ) == number


def test_an_unknown_region_is_refused_with_the_choices():
    with pytest.raises(ConfigurationError, match=r"REGION must be one of uk, eu, us, au.*'fr'"):
        settings.region({"REGION": "fr"})
    with pytest.raises(ConfigurationError, match="REGION must be one of"):
        settings.emergency_number({"REGION": "fr", "EMERGENCY_NUMBER": "112"})


@pytest.mark.parametrize("bad", ["11a", "1", "+44999", "1234567"])
def test_a_bad_emergency_number_is_refused(bad):
    with pytest.raises(ConfigurationError, match="EMERGENCY_NUMBER must be 2 to 6 digits"):
        settings.emergency_number({"REGION": "uk", "EMERGENCY_NUMBER": bad})


def test_the_slots_filled_are_the_domain_slots():
    import yaml
    from pathlib import Path

    domain = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text())
    assert set(settings.REGION_SLOTS) == set(settings.region_slots({}))
    assert set(settings.REGION_SLOTS) <= set(domain["slots"])


def test_turns_at_once_defaults_to_4_and_refuses_what_it_cannot_read():
    from bot import settings

    assert settings.turns_at_once({}) == 4
    assert settings.turns_at_once({"TURNS_AT_ONCE": "8"}) == 8
    assert settings.turns_at_once({"TURNS_AT_ONCE": "off"}) == 0
    for bad in ("-1", "four", "2.5"):
        with pytest.raises(ValueError, match="TURNS_AT_ONCE"):
            settings.turns_at_once({"TURNS_AT_ONCE": bad})

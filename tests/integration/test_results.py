"""Results that fit one phone screen, measured on the real bot's replies (REST channel, trained
model, action server): the turn that gives a result says the level, the reasons, what to do now
and, below the emergency level, the safety net, in at most WORD_BUDGET words; the details are
behind its buttons."""
import json

import pytest
import textstat

from scripts.bench.conversations import CLEAR_SCREENS, MILDEST_ANSWERS
from tests.conftest import EMERGENCY_NUMBER

WORD_BUDGET = 120
# The emergency signs every non-emergency result names on its first screen.
SAFETY_NET = ("groin", "both legs", "chest pain")
# Every result offers the handover summary; self-care and see-a-doctor offer a check-in too
# (issue 16), as a button: a question would not fit the word budget.
CHECKIN_OFFER = ["/checkin_accept"]
BUTTONS = {
    "emergency": ["/show_summary"],
    "urgent": ["/ask_when_to_get_help", "/show_summary"],
    "see_doctor": ["/ask_self_care", "/ask_when_to_get_help", "/show_summary"] + CHECKIN_OFFER,
    "self_care": ["/ask_self_care", "/ask_alternatives", "/ask_when_to_get_help",
                  "/show_summary"] + CHECKIN_OFFER,
}


def inform(**value):
    return "/inform" + json.dumps(value, separators=(",", ":"))


def details(severity="mild", trend="better", duration="under_1_week", spread="none",
            aggravator="movement", age_band="18_49"):
    return (inform(severity=severity), inform(trend=trend), inform(duration=duration),
            inform(spread=spread), inform(aggravator=aggravator), inform(age_band=age_band))


# Each level, and for each the case with the most reasons said before it (the longest screen).
CASES = {
    "self-care, buttons only": ("self_care", "I tweaked my back on the leg press",
                                MILDEST_ANSWERS),
    "self-care, pain down one leg": ("self_care", "my lower back is sore after leg press",
                                     CLEAR_SCREENS + details(spread="one_leg")),
    "see a doctor, four reasons": ("see_doctor", "my back has hurt since leg press",
                                   CLEAR_SCREENS + details("severe", "worse", "over_6_weeks",
                                                           age_band="50_69")),
    "urgent, three flags": ("urgent", "my back hurts after leg press, I have a fever, it is "
                                      "worse at night and I lost weight without trying",
                            ("/deny",)),
    "emergency, three flags": ("emergency", "since leg press my groin is numb, I can't pee "
                                            "and both legs are tingling", ()),
}


def result_turn(chat, first, answers):
    messages = chat.send(first)
    for answer in answers:
        messages = chat.send(answer)
    return messages


@pytest.mark.parametrize("case", list(CASES))
def test_the_result_fits_one_screen_with_the_safety_net(chat, case):
    level, first, answers = CASES[case]
    messages = result_turn(chat, first, answers)
    assert [m["custom"]["disposition"] for m in messages if "custom" in m] == [level]
    text = "\n".join(m.get("text") or "" for m in messages)
    words = textstat.lexicon_count(text)
    print(f"{case}: {words} words, {sum(bool(m.get('text')) for m in messages)} messages")
    assert words <= WORD_BUDGET, f"{case}: {words} words\n{text}"
    assert EMERGENCY_NUMBER in text
    if level != "emergency":
        assert all(sign in text for sign in SAFETY_NET), text
    assert [b["payload"] for m in messages for b in m.get("buttons") or []] == BUTTONS[level]


def test_the_details_are_behind_the_buttons(chat):
    result = result_turn(chat, "I tweaked my back on the leg press", MILDEST_ANSWERS)
    said = " ".join(m.get("text") or "" for m in result).lower()
    assert "wall sit" not in said and "warm bath" not in said
    tips = " ".join(m.get("text") or "" for m in chat.send("/ask_self_care")).lower()
    assert "warm bath" in tips and "start with a light weight" in tips
    exercises = " ".join(m.get("text") or "" for m in chat.send("/ask_alternatives")).lower()
    assert "wall sit" in exercises and "glute bridge" in exercises
    help_ = " ".join(m.get("text") or "" for m in chat.send("/ask_when_to_get_help"))
    assert EMERGENCY_NUMBER in help_ and "BOTH legs" in help_ and "same day" in help_
    assert chat.slot("disposition") == "self_care"  # reading the details changes nothing


def test_the_widget_page_follows_the_region_and_refuses_an_unknown_one(tmp_path):
    import subprocess
    import sys
    import urllib.request

    from tests.conftest import ROOT, free_port, server_env, stop, wait_for

    port = free_port()
    env = server_env(REGION="au")
    env.pop("EMERGENCY_NUMBER")
    log = tmp_path / "web.log"
    process = subprocess.Popen([sys.executable, "-m", "bot.web", "--port", str(port)], cwd=ROOT,
                               env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", process, log, timeout=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode()
    finally:
        stop(process)
    assert 'href="tel:000"' in page and 'data-emergency-number="000"' in page
    refused = subprocess.run([sys.executable, "-m", "bot.web", "--port", str(free_port())],
                             cwd=ROOT, env=server_env(REGION="mars"), capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2 and "REGION must be one of uk, eu, us, au" in refused.stderr

"""The chat widget in a real browser: Debian's chromium, headless, driven by Playwright.

The page is served by the project (bot.web) and talks to the real Rasa server's socket.io
channel, with the real action server behind it. Screenshots are kept as test artifacts in
results/screenshots/.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import (EMERGENCY_NUMBER, ROOT, WIDGET_ORIGIN, WIDGET_PORT, Chat, server_env,
                            stop, wait_for)
from tests.integration.turns import finished_turn, text_parts, user_messages, widget_chat

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "results" / "screenshots"
# Flags that let chromium run headless as root on a machine with no outside network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
REPLY_TIMEOUT_MS = 30_000
GREETING_PARTS = 3  # who it is; not for emergencies + the number; what to do
# A bot message with its text (the typing indicator is an .rw-response too).
BOT_MESSAGE = ".rw-response .rw-message-text"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="chromium missing: make test installs it")


@pytest.fixture(scope="module")
def widget_page(rasa_server, logs_dir, tracker_db):
    log = logs_dir / "widget.log"
    # The records database too: the page server serves the handover summaries from it.
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.web", "--port", str(WIDGET_PORT), "--socket-url", rasa_server],
        cwd=ROOT, env=server_env(TRACKER_DB_URL=tracker_db), stdout=log.open("w"),
        stderr=subprocess.STDOUT)
    try:
        wait_for(f"{WIDGET_ORIGIN}/health", process, log, timeout=30)
        yield WIDGET_ORIGIN
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, widget_page, rasa_server):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.rasa_url = rasa_server
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(widget_page)
    wait_for_bot_messages(page, GREETING_PARTS)
    yield page
    context.close()


def bot_messages(page):
    return page.locator(BOT_MESSAGE)


def wait_for_bot_messages(page, count):
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length >= n", arg=[BOT_MESSAGE, count],
        timeout=REPLY_TIMEOUT_MS)


def session_of(page) -> str:
    """The widget's session id, which the socket.io channel uses as the conversation id."""
    return page.evaluate(
        "() => (JSON.parse(localStorage.getItem('chat_session') || '{}')).session_id")


def whole_turn(page, act):
    """Do `act` (send a message), then wait until the server has stored the turn it starts
    and the widget shows every text message of it (they appear one after another); the
    number of those messages."""
    session = session_of(page)
    users_before = user_messages(widget_chat(page.rasa_url, session).tracker().get("events")
                                 or [])
    shown_before = bot_messages(page).count()
    act()
    expected = shown_before + text_parts(finished_turn(page.rasa_url, session, users_before))
    wait_for_bot_messages(page, expected)
    assert bot_messages(page).count() == expected
    return expected - shown_before


def say(page, text):
    def act():
        box = page.get_by_label("Your message")
        box.fill(text)
        box.press("Enter")
    return whole_turn(page, act)


def press(page, title):
    return whole_turn(page, lambda: page.get_by_role("button", name=title, exact=True).last.click())


def last_texts(page, n=4):
    return " ".join(bot_messages(page).all_inner_texts()[-n:])


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_page_says_it_is_not_for_emergencies_and_loads_nothing_from_outside(page):
    notice = page.get_by_role("note")
    assert "Not for emergencies" in notice.inner_text()
    assert notice.get_by_role("link", name=EMERGENCY_NUMBER).get_attribute("href") == \
        f"tel:{EMERGENCY_NUMBER}"
    assert EMERGENCY_NUMBER in last_texts(page, 3)  # the bot's greeting names it too
    scripts = page.eval_on_selector_all("script[src]", "s => s.map(e => e.src)")
    assert scripts and all(src.startswith(page.url.rstrip("/")) for src in scripts)
    assert page.errors == []


def test_triage_with_buttons_reaches_a_disposition_and_survives_a_reload(page):
    say(page, "my lower back is sore since leg day")
    assert "Yes, one of these" in page.locator(".rw-reply").all_inner_texts()
    press(page, "None of these")  # the emergency signs
    shown_before_reload = bot_messages(page).count()
    page.reload()
    wait_for_bot_messages(page, shown_before_reload)
    # The conversation is still on screen, and the bot still knows where it was.
    assert bot_messages(page).count() >= shown_before_reload
    press(page, "None of these")  # the same-day signs
    for answer in ("Mild - I can do most things", "Getting better", "Less than a week",
                   "Only in my back", "Bending or lifting", "18-49"):
        shown = press(page, answer)
    # The self-care result on one screen, with the safety net; the details behind buttons.
    result = last_texts(page, shown)
    assert "usually gets better with care at home" in result
    assert "both legs" in result and EMERGENCY_NUMBER in result
    assert page.locator("#triage-emergency").is_hidden()
    screenshot(page, "widget-self-care")
    shown = press(page, "Safer exercises")
    assert "Wall sits" in last_texts(page, shown)
    assert page.errors == []


def test_an_emergency_sign_shows_the_call_button_with_the_configured_number(page):
    say(page, "hurt my back on the leg press and now i cant control my bladder")
    call = page.get_by_role("link", name=f"Call {EMERGENCY_NUMBER} now")
    call.wait_for(state="visible", timeout=REPLY_TIMEOUT_MS)
    assert call.get_attribute("href") == f"tel:{EMERGENCY_NUMBER}"
    assert page.get_by_role("alert").is_visible()
    screenshot(page, "widget-emergency")


def test_markup_typed_by_a_person_is_shown_as_text_and_never_runs(page):
    attack = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>**bold**'
    say(page, attack)
    assert page.evaluate("window.pwned") is None
    conversation = page.locator(".rw-messages-container")
    assert conversation.locator("img[src='x'], script").count() == 0
    assert attack in conversation.inner_text()
    assert page.errors == []


def test_keyboard_and_screen_reader_can_use_the_chat(page):
    assert page.get_by_role("log", name="Conversation").count() == 1
    assert page.get_by_role("button", name="Send").count() == 1
    say(page, "back pain after leg press")
    first = page.get_by_role("button", name="None of these", exact=True).last
    first.focus()
    whole_turn(page, lambda: page.keyboard.press("Enter"))  # a quick reply, from the keyboard
    # Text of the quick replies and the messages is readable (WCAG AA contrast, 4.5:1).
    ratio = page.evaluate("""() => {
      const rgb = c => c.match(/\\d+/g).slice(0, 3).map(Number).map(v => {
        v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
      const lum = c => { const [r, g, b] = rgb(c); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const worst = [];
      for (const sel of ['.rw-reply', '.rw-response', '.rw-client']) {
        const el = document.querySelector(sel); if (!el) continue;
        const s = getComputedStyle(el);
        const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
        worst.push((a + 0.05) / (b + 0.05));
      }
      return Math.min(...worst);
    }""")
    assert ratio >= 4.5

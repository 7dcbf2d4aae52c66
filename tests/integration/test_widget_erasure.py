"""What the chat widget keeps in the browser, and that it is gone when the person erases
their data: a real chromium (the fixtures of test_widget.py) against the real servers.

rasa-webchat keeps the session handle and the whole transcript in localStorage
("chat_session"); the widget script keeps the emergency number shown in sessionStorage. After
"delete my data" the bot's reply carries {"conversation_erased": true} and the widget clears
both, then starts afresh with a new session.
"""
import json

from tests.integration.test_widget import (  # noqa: F401 (fixtures)
    CHROMIUM, REPLY_TIMEOUT_MS, browser, page, say, widget_page)
import pytest

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="chromium missing: make test installs it")
SYMPTOM = "my back hurts and I have a fever"


def stored(page):
    raw = page.evaluate("() => window.localStorage.getItem('chat_session')")
    return json.loads(raw) if raw else {}


def test_erasing_my_data_clears_the_transcript_kept_in_the_browser(page):
    say(page, SYMPTOM)
    say(page, "no")  # none of the emergency signs: the urgent advice
    before = stored(page)
    handle = before.get("session_id")
    assert handle and "." in handle  # the server's handle: id and proof
    assert SYMPTOM in json.dumps(before.get("conversation"))  # the transcript, on the device

    say(page, "please delete my data")
    # The erasing turn is never stored (that is the point), so it is not waited for as a
    # stored turn: the widget's notice is the condition.
    page.get_by_role("button", name="Yes, delete it", exact=True).last.click()
    notice = page.locator("#triage-erased")
    notice.wait_for(state="visible", timeout=REPLY_TIMEOUT_MS)  # after the fresh start
    assert "deleted" in notice.inner_text()
    page.wait_for_function(
        "() => (JSON.parse(localStorage.getItem('chat_session') || '{}').session_id || '')"
        ".includes('.')", timeout=REPLY_TIMEOUT_MS)
    after = stored(page)
    assert SYMPTOM not in json.dumps(after)
    assert after["session_id"] != handle  # a new conversation
    assert page.evaluate("() => window.sessionStorage.getItem('triage-emergency')") is None
    assert SYMPTOM not in page.locator(".rw-messages-container").inner_text()
    assert page.errors == []

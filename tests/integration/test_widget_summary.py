"""The handover summary and the check-in in the web widget, in a real browser (issue 16):
"Download summary (PDF)" gives a PDF whose text (read with pypdf) holds the advice, "Print"
opens the printable page with the recommendation (keyboard-reachable, readable contrast), and a
check-in that fell due while the page was closed is shown when the person comes back."""
import io

from pypdf import PdfReader

from tests.integration.test_checkins import days_pass
from tests.integration.test_widget import (  # noqa: F401 (fixtures)
    GREETING_PARTS, REPLY_TIMEOUT_MS, bot_messages, browser, last_texts, page, press, say,
    screenshot, wait_for_bot_messages, widget_page)

ANSWERS = ("Mild - I can do most things", "Getting better", "Less than a week",
           "Only in my back", "Bending or lifting", "18-49")


def to_self_care(page):
    say(page, "my lower back is sore since leg day")
    for _ in range(2):  # the emergency signs, then the same-day signs
        press(page, "None of these")
    for answer in ANSWERS:
        shown = press(page, answer)
    assert "usually gets better with care at home" in last_texts(page, shown)


def test_download_the_pdf_and_print_the_page(page):
    to_self_care(page)
    download_link = page.get_by_role("link", name="Download summary (PDF)")
    download_link.wait_for(state="visible", timeout=REPLY_TIMEOUT_MS)
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == "back-pain-summary.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        open(download.path(), "rb").read())).pages)
    assert "Care at home" in text and "Getting better" in text

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Print").click()
    printable = opened.value
    printable.wait_for_load_state()
    assert printable.title() == "Back pain check: a summary for your clinician"
    assert "Care at home, with a safety net" in printable.inner_text("main")
    assert printable.locator("html").get_attribute("lang") == "en"
    # Keyboard: the PDF link, then the print button, by Tab alone.
    printable.keyboard.press("Tab")
    assert printable.evaluate("document.activeElement.textContent") == "Download the PDF"
    printable.keyboard.press("Tab")
    assert printable.evaluate("document.activeElement.id") == "print-summary"
    ratio = printable.evaluate("""() => {
      const rgb = c => c.match(/\\d+/g).slice(0, 3).map(Number).map(v => {
        v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
      const lum = c => { const [r, g, b] = rgb(c); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const worst = [];
      for (const sel of ['body', '.actions a', '#print-summary']) {
        const el = document.querySelector(sel); const s = getComputedStyle(el);
        const bg = s.backgroundColor === 'rgba(0, 0, 0, 0)' ? 'rgb(255, 255, 255)' : s.backgroundColor;
        const [a, b] = [lum(s.color), lum(bg)].sort((x, y) => y - x);
        worst.push((a + 0.05) / (b + 0.05));
      }
      return Math.min(...worst);
    }""")
    assert ratio >= 4.5
    screenshot(printable, "summary-page")
    assert page.errors == []


def test_a_due_check_in_is_shown_when_the_person_comes_back(page, tracker_db):
    to_self_care(page)
    shown = press(page, "Check in with me in 3 days")
    assert "I'll check in with you in 3 days" in last_texts(page, shown)
    context = page.context
    page.close()  # the page is closed; three days pass
    days_pass(tracker_db, 3)
    back = context.new_page()  # same browser profile: the widget resumes its session
    back.goto(page.url)
    back.get_by_text("How is your back now?").last.wait_for(timeout=REPLY_TIMEOUT_MS)
    assert "It's 3 days since we talked" in " ".join(bot_messages(back).all_inner_texts())
    back.get_by_role("button", name="Better", exact=True).last.wait_for(timeout=REPLY_TIMEOUT_MS)
    screenshot(back, "widget-check-in")

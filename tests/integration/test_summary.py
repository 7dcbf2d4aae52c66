"""The handover summary end to end over REST (issue 16): the real bot gives advice, its payload
links the summary, the project's page server (bot.web) serves it as a page, a PDF and text from
the records database, with the widget page's policy and no-store; the chat shows it as text;
bad tokens get the same bare 404; "delete my data" takes it away; nothing of it reaches a log."""
import io
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from scripts.bench.conversations import MILDEST_ANSWERS
from tests.conftest import (EMERGENCY_NUMBER, PSEUDONYM_SECRET, ROOT, free_port, server_env,
                            stop, wait_for)

SUMMARY_URL = re.compile(r"^/summary/[A-Za-z0-9_-]{43}$")


@pytest.fixture(scope="module")
def page_server(rasa_server, logs_dir, tracker_db):
    port = free_port()
    log = logs_dir / "summary-web.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.web", "--port", str(port), "--socket-url", rasa_server],
        cwd=ROOT, env=server_env(TRACKER_DB_URL=tracker_db), stdout=log.open("w"),
        stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", process, log, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def advice(chat, first="I tweaked my back on the leg press, a stabbing pain on the left side",
           answers=MILDEST_ANSWERS):
    messages = chat.send(first)
    for answer in answers:
        messages = chat.send(answer)
    custom = [m["custom"] for m in messages if "custom" in m]
    assert len(custom) == 1 and "disposition" in custom[0]
    return messages, custom[0]


def test_the_advice_links_a_summary_served_as_page_pdf_and_text(chat, page_server):
    messages, custom = advice(chat)
    assert custom["disposition"] == "self_care"
    assert SUMMARY_URL.match(custom["summary_url"])
    assert "/show_summary" in [b["payload"] for m in messages for b in m.get("buttons") or []]
    base = page_server + custom["summary_url"]
    _, widget_headers, _ = get(page_server + "/")

    status, headers, body = get(base)
    page = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"].startswith("no-store")
    assert headers["Content-Security-Policy"] == widget_headers["Content-Security-Policy"]
    assert '<html lang="en">' in page and "<title>" in page
    for said in ("Care at home", "Getting better", "Less than a week", "18 to 49",
                 "\u201cstabbing\u201d", "\u201cleft\u201d", f"Call {EMERGENCY_NUMBER}",
                 "[no_flags]"):
        assert said in page, said

    status, headers, body = get(base + ".pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert headers["Cache-Control"].startswith("no-store")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert "Care at home" in text and "\u201cstabbing\u201d" in text

    status, headers, body = get(base + ".txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "THE ADVICE GIVEN" in body.decode()


def test_the_button_shows_the_same_summary_in_the_chat(chat):
    advice(chat)
    replies = chat.send("/show_summary")
    text = "\n".join(m.get("text") or "" for m in replies)
    assert "show it to your" in text and "It is not a diagnosis" in text
    assert "THE ADVICE GIVEN" in text and "Care at home" in text
    assert re.search(r"Reference: [A-Z2-9]{4}-[A-Z2-9]{4}", text)


def test_without_advice_there_is_no_summary_to_show(chat):
    text = " ".join(m.get("text") or "" for m in chat.send("/show_summary"))
    assert "don't have a summary" in text


def test_bad_tokens_get_the_same_bare_404(chat, page_server, tracker_db, monkeypatch):
    from bot.storage import database, pseudonym, summaries

    monkeypatch.setenv("PSEUDONYM_SECRET", PSEUDONYM_SECRET)
    engine = database.make_engine(tracker_db)
    with database.unit_of_work(engine) as session:
        expired = summaries.add(session, conversation_key=pseudonym.conversation_key(
            "rest:old", PSEUDONYM_SECRET.encode()), facts={"disposition": "self_care"},
            ttl=timedelta(days=7), now=datetime.now(timezone.utc) - timedelta(days=8)).token
    engine.dispose()
    answers = set()
    for path in (f"/summary/{expired}", f"/summary/{expired}.pdf",
                 f"/summary/{summaries.new_token()}", f"/summary/{summaries.new_token()}.txt",
                 "/summary/short", "/summary/" + "A" * 43 + ".exe", "/summary/%00",
                 "/summary/" + "A" * 500):
        status, headers, body = get(page_server + path)
        assert status == 404, path
        assert headers["Cache-Control"].startswith("no-store")
        answers.add(body)
    assert answers == {b"Not found"}


def test_delete_my_data_takes_the_summary_away(chat, page_server):
    _, custom = advice(chat)
    assert get(page_server + custom["summary_url"])[0] == 200
    chat.send("please delete my data")
    chat.send("/affirm")
    assert get(page_server + custom["summary_url"])[0] == 404
    assert get(page_server + custom["summary_url"] + ".pdf")[0] == 404


def test_no_token_and_no_summary_text_in_any_log(chat, page_server, logs_dir):
    _, custom = advice(chat, first="back hurts since leg press, a burning ache in my right hip")
    get(page_server + custom["summary_url"])
    get(page_server + custom["summary_url"] + ".pdf")
    token = custom["summary_url"].rsplit("/", 1)[1]
    for log in logs_dir.iterdir():
        content = log.read_text(errors="replace")
        assert token not in content, log.name
        assert "burning ache" not in content, log.name

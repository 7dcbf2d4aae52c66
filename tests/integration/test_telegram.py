"""Telegram end to end, against a local stand-in of the Bot API on 127.0.0.1.

The Rasa server runs the project's Telegram channel with TELEGRAM_API_URL pointing at the
stand-in, which records every Bot API call. Updates are posted to the webhook as Telegram
would post them; the replies, inline keyboards and button presses are checked in what the
stand-in received.
"""
import asyncio
import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from aiohttp import web

from tests.conftest import EMERGENCY_NUMBER, free_port, start_rasa, stop

TOKEN = "123456:TEST-token-for-the-stand-in"
BOT_NAME = "legpress_triage_test_bot"
SECRET = "webhook-secret-for-tests"
API_TOKEN = "telegram-test-api-token"
PUBLIC_WEBHOOK = "https://bot.example.org/webhooks/telegram/webhook"
CHAT_ID = 4242


class BotApiStandIn:
    """The few Bot API methods the channel calls, answering as Telegram does."""

    def __init__(self):
        self.calls = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._loop.run_forever()

    async def _handle(self, request):
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"].lower()
        params = dict(await request.post())
        for name, value in list(params.items()):
            if hasattr(value, "file"):  # an uploaded file (sendDocument): keep its bytes
                params[name] = {"filename": value.filename, "content": value.file.read()}
        if "reply_markup" in params:
            params["reply_markup"] = json.loads(params["reply_markup"])
        self.calls.append((method, params))
        if method == "getme":
            result = {"id": 1, "is_bot": True, "first_name": "Triage", "username": BOT_NAME}
        elif method == "sendmessage":
            result = {"message_id": len(self.calls), "date": int(time.time()),
                      "chat": {"id": int(params["chat_id"]), "type": "private"},
                      "text": params.get("text", "")}
        elif method == "senddocument":
            result = {"message_id": len(self.calls), "date": int(time.time()),
                      "chat": {"id": int(params["chat_id"]), "type": "private"},
                      "document": {"file_id": f"f{len(self.calls)}",
                                   "file_unique_id": f"u{len(self.calls)}",
                                   "file_name": params["document"]["filename"]}}
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    def start(self):
        self._thread.start()

    def stop(self):
        self._loop.call_soon_threadsafe(self._loop.stop)

    def sent(self, method):
        return [params for name, params in self.calls if name == method]

    def clear(self):
        self.calls.clear()


@pytest.fixture(scope="module")
def bot_api():
    stand_in = BotApiStandIn()
    stand_in.start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def telegram_server(endpoints_file, logs_dir, bot_api, tracker_db):
    process, url = start_rasa(endpoints_file, logs_dir / "rasa-telegram.log", env={
        "TRACKER_DB_URL": tracker_db, "CHECKIN_POLL": "0.5",
        "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_BOT_NAME": BOT_NAME,
        "TELEGRAM_WEBHOOK_URL": PUBLIC_WEBHOOK, "TELEGRAM_API_URL": bot_api.url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET, "RASA_API_TOKEN": API_TOKEN})
    try:
        yield url
    finally:
        stop(process)


def post(url, body, secret=SECRET, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(f"{url}/webhooks/telegram/webhook", data=data,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


_update_ids = iter(range(1, 10_000))


def text_update(text, chat_id=CHAT_ID):
    return {"update_id": next(_update_ids), "message": {
        "message_id": next(_update_ids), "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"}}}


def button_update(data, chat_id=CHAT_ID):
    return {"update_id": next(_update_ids), "callback_query": {
        "id": f"cb{next(_update_ids)}", "data": data, "chat_instance": "ci",
        "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"},
        "message": {"message_id": 1, "date": int(time.time()), "text": "question",
                    "chat": {"id": chat_id, "type": "private"}}}}


def keyboard(message):
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def test_the_webhook_is_registered_at_start_with_the_secret(telegram_server, bot_api):
    # Sanic runs the channel's after_server_start listener once the socket listens, so
    # /status (what start_rasa waits for) can answer while setWebhook is still on its way.
    deadline = time.monotonic() + 15
    while not bot_api.sent("setwebhook") and time.monotonic() < deadline:
        time.sleep(0.05)
    registrations = bot_api.sent("setwebhook")
    assert registrations and registrations[0]["url"] == PUBLIC_WEBHOOK
    assert registrations[0]["secret_token"] == SECRET


def test_a_message_starts_the_triage_with_an_inline_keyboard_and_buttons_continue_it(
        telegram_server, bot_api):
    bot_api.clear()
    status, _ = post(telegram_server, text_update("hurt my lower back on the leg press"))
    assert status == 200
    sent = bot_api.sent("sendmessage")
    assert sent and all(int(m["chat_id"]) == CHAT_ID for m in sent)
    assert keyboard(sent[-1]) == [("Yes, one of these", "/affirm"), ("None of these", "/deny"),
                                  ("Not sure", "/not_sure")]

    bot_api.clear()
    post(telegram_server, button_update("/deny"))  # "None of these" to the emergency signs
    assert bot_api.sent("answercallbackquery"), "the button press is acknowledged"
    next_question = bot_api.sent("sendmessage")
    assert next_question and keyboard(next_question[-1])[0] == ("Yes, one of these", "/affirm")

    bot_api.clear()
    post(telegram_server, button_update("/affirm"))  # "Yes" to a same-day sign
    reply = " ".join(m["text"] for m in bot_api.sent("sendmessage"))
    assert EMERGENCY_NUMBER in reply


def test_start_command_greets(telegram_server, bot_api):
    bot_api.clear()
    post(telegram_server, text_update("/start", chat_id=77))
    reply = " ".join(m["text"] for m in bot_api.sent("sendmessage"))
    assert EMERGENCY_NUMBER in reply and "leg press" in reply


@pytest.mark.parametrize("raw,expected", [
    (b"{not json", 400), (b"", 400), (b"[1, 2, 3]", 400), (b"\xff\xfe\x00binary", 400),
    (json.dumps({"update_id": "x", "message": "not an object"}).encode(), 400),
])
def test_bad_updates_get_a_clear_error_not_a_crash(telegram_server, raw, expected):
    status, body = post(telegram_server, None, raw=raw)
    assert status == expected and "error" in body


def test_updates_without_the_secret_are_refused(telegram_server, bot_api):
    bot_api.clear()
    status, _ = post(telegram_server, text_update("hello"), secret=None)
    assert status == 403
    assert bot_api.sent("sendmessage") == []


def test_huge_and_markup_messages_get_a_sensible_reply(telegram_server, bot_api):
    for text in ("my back hurts " * 8000, "<b>hi</b><script>alert(1)</script>", "🙂" * 50):
        bot_api.clear()
        status, _ = post(telegram_server, text_update(text, chat_id=99))
        assert status == 200
        assert bot_api.sent("sendmessage"), f"no reply to {text[:30]!r}"
    # The conversation goes on afterwards.
    bot_api.clear()
    post(telegram_server, text_update("hello", chat_id=99))
    assert bot_api.sent("sendmessage")


def test_registering_the_webhook_again_needs_the_api_token(telegram_server, bot_api):
    bot_api.clear()
    for query in ("", "?token=wrong"):
        request = urllib.request.Request(
            f"{telegram_server}/webhooks/telegram/set_webhook{query}", data=b"", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401
    assert bot_api.sent("setwebhook") == []
    request = urllib.request.Request(
        f"{telegram_server}/webhooks/telegram/set_webhook?token={API_TOKEN}", data=b"",
        method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read()) == {"webhook_registered": True}
    assert bot_api.sent("setwebhook")[0]["secret_token"] == SECRET


def test_a_chat_is_its_own_conversation_that_no_rest_sender_reaches(telegram_server, bot_api):
    chat_id = 5151

    def telegram_user_texts():
        url = (f"{telegram_server}/conversations/telegram:{chat_id}/tracker"
               f"?token={API_TOKEN}")
        with urllib.request.urlopen(url, timeout=30) as response:
            events = json.loads(response.read())["events"]
        return [e["text"] for e in events if e["event"] == "user"]

    post(telegram_server, text_update("my back hurts and I have a fever", chat_id=chat_id))
    assert telegram_user_texts() == ["my back hurts and I have a fever"]
    bot_api.clear()
    # A REST client that knows (or guesses) the chat id, bare or with the channel's prefix.
    for sender in (str(chat_id), f"telegram:{chat_id}"):
        for text in ("/deny", "delete my data", "/affirm"):
            body = json.dumps({"sender": sender, "message": text}).encode()
            request = urllib.request.Request(f"{telegram_server}/webhooks/rest/webhook",
                                             data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                replies = json.loads(response.read())
            assert "fever" not in json.dumps(replies).lower()
    assert telegram_user_texts() == ["my back hurts and I have a fever"]
    assert bot_api.sent("sendmessage") == []  # nothing went to the chat either


def test_without_a_token_the_channel_is_off(rasa_server):
    status, body = post(rasa_server, text_update("hello"))
    assert status == 503 and "not configured" in body["error"]


def test_the_advice_comes_with_the_summary_as_a_pdf_document(telegram_server, bot_api):
    import io

    from pypdf import PdfReader

    from scripts.bench.conversations import MILDEST_ANSWERS

    chat_id = CHAT_ID + 7
    bot_api.clear()
    post(telegram_server, text_update("I tweaked my back on the leg press", chat_id))
    for answer in MILDEST_ANSWERS:
        assert post(telegram_server, button_update(answer, chat_id))[0] == 200
    documents = bot_api.sent("senddocument")
    assert len(documents) == 1 and documents[0]["chat_id"] == str(chat_id)
    upload = documents[0]["document"]
    assert upload["filename"] == "back-pain-summary.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(upload["content"])).pages)
    assert "Care at home" in text and "Getting better" in text
    # The advice itself came first, with the summary's button among the others.
    advice = [m for m in bot_api.sent("sendmessage") if "usually gets better" in m["text"]]
    assert advice and ("Summary for your doctor", "/show_summary") in keyboard(advice[-1])


def test_the_bot_writes_first_when_a_check_in_falls_due(telegram_server, bot_api, tracker_db):
    """A yes to the check-in, then three days pass (the stored times are moved back): the
    server's poller sends the question as a real sendMessage, once, without any update."""
    from scripts.bench.conversations import MILDEST_ANSWERS
    from tests.integration.test_checkins import ANSWER, days_pass

    chat_id = CHAT_ID + 11
    post(telegram_server, text_update("I tweaked my back on the leg press", chat_id))
    for answer in MILDEST_ANSWERS:
        post(telegram_server, button_update(answer, chat_id))
    post(telegram_server, button_update("/checkin_accept", chat_id))
    bot_api.clear()
    time.sleep(2)  # not due: nothing is sent
    assert not [m for m in bot_api.sent("sendmessage") if m["chat_id"] == str(chat_id)]
    days_pass(tracker_db, 3)
    deadline = time.monotonic() + 30
    asked = []
    while time.monotonic() < deadline and not asked:
        asked = [m for m in bot_api.sent("sendmessage") if m["chat_id"] == str(chat_id)]
        time.sleep(0.25)
    assert asked and "It's 3 days since we talked" in asked[0]["text"]
    assert ("Better", ANSWER % "better") in keyboard(asked[0])
    time.sleep(2)  # polled again and again: still sent once
    assert len([m for m in bot_api.sent("sendmessage") if m["chat_id"] == str(chat_id)
                and "How is your back now" in m["text"]]) == 1
    bot_api.clear()
    post(telegram_server, button_update(ANSWER % "better", chat_id))
    assert any("light weight" in m["text"] for m in bot_api.sent("sendmessage"))

"""Rasa's Telegram channel, off unless configured, with a configurable Bot API server.

Configured from the environment through credentials.yml: TELEGRAM_TOKEN (from
@BotFather), TELEGRAM_BOT_NAME (the bot's username), TELEGRAM_WEBHOOK_URL (the public
https URL of /webhooks/telegram/webhook), TELEGRAM_WEBHOOK_SECRET (Telegram sends it with
every update, and updates without it are refused), and optionally TELEGRAM_API_URL (a
self-hosted Bot API server; the tests use a local stand-in).

Changes from stock Rasa 3.6, each for a reason:
- With no token the channel answers 503 "not configured" instead of failing at start-up.
- With a token but no webhook secret the channel does not start (503, and an error in the
  log): anyone who found the webhook's URL could otherwise post updates in any chat's name.
- The conversation of a chat is `telegram:<chat id>`, apart from the other channels' ids
  (a chat id is a number, which any REST client could otherwise send as its sender).
- POST /webhooks/telegram/set_webhook (registers the webhook again) needs Rasa's API token.
- The webhook is registered when the server starts, and a failure is logged plainly
  instead of stopping the web widget and every other channel with it.
- The bot's username is checked once, not with an API call for every message.
- An update that is not valid JSON or not an update gets a 400, never a 500.
- A button press is acknowledged (answerCallbackQuery), so the app stops its spinner.
- Buttons are laid out in rows of at most three, which phones show without cutting titles.
- Check-ins (issue 16): the bot writes first. Every server with the channel looks for due
  check-ins every CHECKIN_POLL seconds and sends each once (bot.channels.checkin_delivery);
  a person who writes first gets a due one before their message is answered.
- The advice's handover summary (issue 16; the custom payload's "summary_url") is sent as a
  PDF document (sendDocument), read from the records database: Telegram cannot open a link to
  the widget's server, which is often not public.
- A chat sending faster than a person can has its updates dropped (answered 200, counted
  in triage_rate_limited_total, logged without text): every update comes from Telegram's
  own servers, so only the per-chat limit of bot.channels.rate_limit applies, and an
  error answer would make Telegram deliver the flood again, ahead of other chats' updates.
"""
import asyncio
import hmac
import io
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import auth, inbound, rate_limit
from bot.channels.checkin_delivery import ASKED_JUST_BEFORE, CheckInDelivery
from bot.handover import summary
from bot.operations import metrics
from bot.storage.summary_store import SummaryStore

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
BUTTONS_PER_ROW = 3
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# What Telegram accepts as a webhook's secret_token.
_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
_PREFIX = "telegram:"
SUMMARY_PATH = "/summary/"
SUMMARY_FILENAME = "back-pain-summary.pdf"  # no health data in a file name


def chat_of(recipient_id: Text) -> Text:
    """The Telegram chat id of a conversation id (`telegram:<chat id>`)."""
    return recipient_id[len(_PREFIX):] if recipient_id.startswith(_PREFIX) else recipient_id


def summary_pdf(store: SummaryStore, summary_url: Any) -> Optional[bytes]:
    """The PDF of the summary a payload links to; None when it is not there (any more)."""
    if not isinstance(summary_url, str) or not summary_url.startswith(SUMMARY_PATH):
        return None
    found = store.get(summary_url[len(SUMMARY_PATH):])
    if found is None:
        return None
    return summary.as_pdf(summary.sections(
        found["facts"], reference=found["reference"], created_at=found["created_at"],
        expires_at=found["expires_at"]))


class TriageTelegramOutput(TelegramOutput):
    def __init__(self, access_token: Text, api_url: Text = DEFAULT_API_URL,
                 summaries: Optional[SummaryStore] = None) -> None:
        # Rasa's TelegramOutput is an aiogram Bot whose __init__ takes only the token.
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_url))
        self.summaries = summaries or SummaryStore()

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        json_message = dict(json_message)
        summary_url = json_message.pop("summary_url", None)
        await super().send_custom_json(recipient_id, json_message, **kwargs)
        if summary_url is None:
            return
        # The advice is sent; the PDF is extra: a failure to make or send it is logged (by
        # type: no health data) and never stops the rest of the turn.
        try:
            pdf = await asyncio.to_thread(summary_pdf, self.summaries, summary_url)
            if pdf is not None:
                await self.send_document(recipient_id, InputFile(io.BytesIO(pdf),
                                                                 filename=SUMMARY_FILENAME))
        except Exception as error:  # noqa: BLE001
            logger.error("Telegram: the summary PDF was not sent (%s).", type(error).__name__)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        # Rasa addresses replies to the conversation; Telegram wants the chat.
        await super().send_response(chat_of(recipient_id), message)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        keyboard = InlineKeyboardMarkup()
        for start in range(0, len(buttons), BUTTONS_PER_ROW):
            keyboard.row(*(InlineKeyboardButton(button["title"], callback_data=button["payload"])
                           for button in buttons[start:start + BUTTONS_PER_ROW]))
        await self.send_message(recipient_id, text, reply_markup=keyboard)


class TriageTelegramInput(TelegramInput):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(credentials.get("access_token") or None,
                   credentials.get("verify") or None,
                   credentials.get("webhook_url") or None,
                   api_url=credentials.get("api_url") or DEFAULT_API_URL,
                   secret_token=credentials.get("secret_token") or None)

    def __init__(self, access_token: Optional[Text], verify: Optional[Text],
                 webhook_url: Optional[Text], api_url: Text = DEFAULT_API_URL,
                 secret_token: Optional[Text] = None) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=False)
        self.api_url = api_url
        self.secret_token = secret_token
        self._output: Optional[TriageTelegramOutput] = None
        self._verified = False
        self.checkins = CheckInDelivery()
        self._poller: Optional[asyncio.Task] = None
        self.refusal = self._refusal()
        self.limits = rate_limit.RateLimits.from_environ()
        if self.refusal and self.access_token:
            logger.error(f"Telegram: the channel is off: {self.refusal}.")

    def _refusal(self) -> Optional[str]:
        """Why the channel cannot start, or None."""
        if not self.access_token:
            return "the Telegram channel is not configured (set TELEGRAM_TOKEN)"
        if not self.secret_token:
            return ("TELEGRAM_WEBHOOK_SECRET is not set: without it anyone could post "
                    "updates to the webhook in any chat's name")
        if not _SECRET_FORMAT.fullmatch(self.secret_token):
            return ("TELEGRAM_WEBHOOK_SECRET must be 1 to 256 letters, digits, '_' or '-' "
                    "(what Telegram accepts)")
        return None

    @property
    def configured(self) -> bool:
        return self.refusal is None

    def get_output_channel(self) -> TriageTelegramOutput:
        # Made on first use, inside the server's event loop, where aiogram's HTTP session
        # must live.
        if self._output is None:
            self._output = TriageTelegramOutput(self.access_token, self.api_url)
        return self._output

    async def register_webhook(self) -> bool:
        if not self.webhook_url:
            logger.error("Telegram: TELEGRAM_WEBHOOK_URL is not set, so Telegram cannot "
                         "deliver messages; set it to the public URL of "
                         "/webhooks/telegram/webhook.")
            return False
        params = {"url": self.webhook_url, "secret_token": self.secret_token}
        try:
            await self.get_output_channel().request("setWebhook", params)
        except Exception as error:
            logger.error(f"Telegram: registering the webhook failed ({error}); check "
                         f"TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_URL and TELEGRAM_API_URL.")
            return False
        logger.info("Telegram: webhook registered.")
        return True

    async def _token_matches_bot_name(self) -> bool:
        if not self._verified:
            me = await self.get_output_channel().get_me()
            self._verified = me.username == self.verify
            if not self._verified:
                logger.error("Telegram: TELEGRAM_BOT_NAME does not match the bot that "
                             "TELEGRAM_TOKEN belongs to; updates are refused.")
        return self._verified

    def _authentic(self, request: Request) -> bool:
        if not self.secret_token:
            return False
        given = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(given.encode(), self.secret_token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("triage_telegram_webhook", __name__)

        if not self.configured:
            @webhook.route("/", methods=["GET"])
            @webhook.route("/webhook", methods=["GET", "POST"])
            async def not_configured(_: Request) -> HTTPResponse:
                return response.json({"error": self.refusal}, status=503)
            return webhook

        @webhook.listener("after_server_start")
        async def register(*_: Any) -> None:
            await self.register_webhook()
            self._poller = asyncio.create_task(self.checkins.poll(
                self.name(), self.get_output_channel, on_new_message))

        @webhook.listener("before_server_stop")
        async def stop_polling(*_: Any) -> None:
            if self._poller is not None:
                self._poller.cancel()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/set_webhook", methods=["POST"])
        async def set_webhook(request: Request) -> HTTPResponse:
            if not auth.is_staff(request.args.get("token"), request.headers):
                return response.json({"error": "this needs Rasa's API token (?token=...)"},
                                     status=401)
            ok = await self.register_webhook()
            return response.json({"webhook_registered": ok}, status=200 if ok else 502)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authentic(request):
                return response.json({"error": "wrong or missing secret token"}, status=403)
            try:
                body = json.loads(request.body.decode("utf-8"))
                update = Update(**body)
                incoming = self._read(update)
            except Exception:  # aiogram raises many kinds on a foreign object: all are 400s
                return response.json({"error": "the body must be a Telegram Update object"},
                                     status=400)
            if not await self._token_matches_bot_name():
                return response.json({"error": "bot name does not match the token"},
                                     status=403)
            if incoming is None:  # stickers, photos, joins: nothing the bot can answer
                return response.json({"status": "ignored"})
            chat_id, text = incoming
            conversation = inbound.conversation_id(self.name(), str(chat_id))
            refusal = self.limits.check(conversation, None, address_limited=False)
            if refusal is not None:
                metrics.rate_limited(self.name(), refusal.limit)
                logger.info("Telegram: an update of a chat over its rate limit was dropped.")
                return response.json({"status": "rate_limited",
                                      "retry_after": refusal.retry_after})
            output = self.get_output_channel()
            if update.callback_query is not None:
                try:
                    await output.answer_callback_query(update.callback_query.id)
                except Exception:
                    logger.warning("Telegram: acknowledging a button press failed.")
            try:
                conversation = inbound.conversation_id(self.name(), str(chat_id))
                metadata = inbound.metadata_or_nothing(self.get_metadata(request))
                if await self.checkins.before_message(conversation, self.name(), output,
                                                      on_new_message):
                    metadata[ASKED_JUST_BEFORE] = True
                await on_new_message(UserMessage(
                    inbound.bounded(text), output, conversation, input_channel=self.name(),
                    metadata=metadata))
            except Exception:  # Telegram would resend the update forever on an error
                logger.exception("Handling a Telegram update failed.")
            return response.json({"status": "ok"})

        return webhook

    @staticmethod
    def _read(update: Update) -> Optional[tuple]:
        """(chat id, text) of an update the bot answers: a message, an edit, a button."""
        if update.callback_query is not None and update.callback_query.message is not None:
            return update.callback_query.message.chat.id, update.callback_query.data or ""
        message = update.message or update.edited_message
        if message is None:
            return None
        if message.chat is None or not isinstance(message.chat.id, int):
            raise ValueError("a message without a chat")
        if not isinstance(message.text, str):
            return None
        if message.text.strip().split("@")[0] == "/start":  # Telegram's "Start" button
            return message.chat.id, "/greet"
        return message.chat.id, message.text

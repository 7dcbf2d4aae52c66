"""Rasa's REST channel with the client and the body checked first.

Stock Rasa answers a body that is not a JSON object with a 500 and takes a number or an
object as the message; it also logs the message text when handling fails, puts a body
without `sender` in one conversation shared by all such clients ("default"), and lets
anyone continue any conversation whose id they know or guess. Here:
- a bad body, or one without `sender`, gets a 400 with a reason; logs never hold what
  people wrote;
- the client must authenticate unless REST_AUTH=open (bot.channels.auth: a token for a
  trusted server, or a JWT that names the one conversation its bearer may use);
- the conversation is `rest:<sender>`, apart from every other channel's ids;
- channel metadata keeps only the allowed keys (bot.channels.inbound.metadata);
- a check-in that fell due since the sender last wrote is asked first (issue 16,
  bot.channels.checkin_delivery), then their message is answered.
- one conversation, or one client address, sending faster than a person can gets a 429
  with Retry-After (bot.channels.rate_limit); a trusted server with REST_TOKEN speaks for
  many people, so only the per-conversation limit applies to it.
"""
import json
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import auth, inbound, rate_limit
from bot.channels.checkin_delivery import ASKED_JUST_BEFORE, CheckInDelivery
from bot.operations import metrics

logger = logging.getLogger(__name__)


def read_body(request: Request) -> Dict[str, Any]:
    """The request's JSON object, or BadInput saying why it is not one."""
    try:
        body = json.loads(request.body.decode("utf-8"))
    except UnicodeDecodeError:
        raise inbound.BadInput("the body must be UTF-8 encoded JSON")
    except (ValueError, RecursionError):
        raise inbound.BadInput("the body must be a JSON object such as "
                               '{"sender": "id", "message": "text"}')
    if not isinstance(body, dict):
        raise inbound.BadInput('the body must be a JSON object such as '
                               '{"sender": "id", "message": "text"}')
    return body


class TriageRestInput(RestInput):
    """POST /webhooks/rest/webhook {"sender": ..., "message": ...} -> the bot's replies."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        self.access = auth.RestAccess.from_environ()
        self.checkins = CheckInDelivery()
        self.limits = rate_limit.RateLimits.from_environ()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("triage_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                subject = self.access.subject(request.headers)
                body = read_body(request)
                sender = self.access.sender(subject, body)
                text = inbound.message_text(body.get("message"))
                metadata = inbound.metadata(body.get("metadata"))
            except auth.Denied as denied:
                return response.json({"error": denied.reason}, status=denied.status)
            except inbound.BadInput as error:
                return response.json({"error": str(error)}, status=400)
            conversation = inbound.conversation_id(self.name(), sender)
            trusted_server = subject is None and self.access.mode == "token"
            refusal = self.limits.check(
                conversation, self.limits.client_address(
                    request.ip, request.headers.get("X-Forwarded-For")),
                address_limited=not trusted_server)
            if refusal is not None:
                metrics.rate_limited(self.name(), refusal.limit)
                return response.json({"error": refusal.message,
                                      "retry_after": refusal.retry_after}, status=429,
                                     headers={"Retry-After": str(refusal.retry_after)})
            collector = CollectingOutputChannel()
            try:
                if await self.checkins.before_message(conversation, self.name(), collector,
                                                      on_new_message):
                    metadata = {**(metadata or {}), ASKED_JUST_BEFORE: True}
                await on_new_message(UserMessage(text, collector, conversation,
                                                 input_channel=self.name(),
                                                 metadata=metadata))
            except CancelledError:
                logger.error("A REST message timed out before the bot answered.")
            except Exception:  # the conversation goes on; the log says where, not what
                logger.exception("Handling a REST message failed.")
            # The client knows its conversation by its own sender id.
            return response.json([{**message, "recipient_id": sender}
                                  for message in collector.messages])

        return webhook

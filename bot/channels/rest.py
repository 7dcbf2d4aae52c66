"""Rasa's REST channel with the body checked first.

Stock Rasa answers a body that is not a JSON object with a 500 and takes a number or an
object as the message; it also logs the message text when handling fails. Here a bad
body gets a 400 with a reason, and logs never hold what people wrote.
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

from bot.channels import inbound

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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("triage_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = read_body(request)
                sender = inbound.sender_id(body.get("sender"))
                text = inbound.message_text(body.get("message"))
                metadata = inbound.metadata(body.get("metadata"))
            except inbound.BadInput as error:
                return response.json({"error": str(error)}, status=400)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender,
                                                 input_channel=self.name(),
                                                 metadata=metadata))
            except CancelledError:
                logger.error("A REST message timed out before the bot answered.")
            except Exception:  # the conversation goes on; the log says where, not what
                logger.exception("Handling a REST message failed.")
            return response.json(collector.messages)

        return webhook

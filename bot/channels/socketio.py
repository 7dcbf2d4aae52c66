"""Rasa's socket.io channel (the web widget's), hardened and fixed for custom payloads.

Changes from stock Rasa 3.6, each for a reason:
- Custom payloads reach the widget as {"custom": {...}}. Stock Rasa passes the payload's
  keys to `emit()` as keyword arguments, which fails for any payload but {"data": ...}:
  the disposition payload (which drives the widget's call button) would be lost.
- Browsers may connect only from the origins in CORS_ORIGINS (comma-separated; "*" for
  any), checked when the socket connects, for polling and websocket alike. (The CORS
  headers of polling requests come from Rasa's --cors, so python-engineio's own CORS
  handling stays off: both would send the header twice and browsers refuse that.)
- A message that is not an object, a session id that cannot be one, or text that is not
  text never raises inside the server: the person gets the bot's own reply to an empty
  message, or a new session.
"""
import logging
import os
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Union

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels import inbound

logger = logging.getLogger(__name__)


def allowed_origins(environ=os.environ) -> Union[str, List[str]]:
    """Origins that may open the widget's socket: CORS_ORIGINS, or the local widget page."""
    value = environ.get("CORS_ORIGINS", "").strip()
    if value == "*":
        return "*"
    if value:
        return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
    widget_port = environ.get("WIDGET_PORT", "8080")
    rasa_port = environ.get("RASA_PORT", "5005")
    return [f"http://{host}:{port}" for host in ("localhost", "127.0.0.1")
            for port in (widget_port, rasa_port)]


class TriageSocketIOOutput(SocketIOOutput):
    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class TriageSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return TriageSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        origins = allowed_origins()
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin and origins != "*" and origin.rstrip("/") not in origins:
                logger.info("A widget connection from a site not in CORS_ORIGINS was refused.")
                return False
            if not self.jwt_key:
                return True
            from rasa.core.channels.channel import decode_bearer_token

            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session = inbound.session_id(requested) or uuid.uuid4().hex
            if self.session_persistence:
                # python-socketio 5.9's enter_room is synchronous (see requirements.in).
                sio.enter_room(sid, session)
            await sio.emit("session_confirm", session, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            data = data if isinstance(data, dict) else {}
            if self.session_persistence:
                sender = inbound.session_id(data.get("session_id"))
                if sender is None:
                    logger.debug("A widget message without a valid session id was ignored.")
                    return
            else:
                sender = sid
            try:
                text = inbound.message_text(data.get("message"))
            except inbound.BadInput:
                text = ""  # the bot answers as it does to an empty message
            metadata = data.get(self.metadata_key)
            metadata = metadata if isinstance(metadata, dict) else {}
            output = TriageSocketIOOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(UserMessage(text, output, sender,
                                                 input_channel=self.name(),
                                                 metadata=metadata))
            except Exception:  # the socket stays open; the log says where, not what
                logger.exception("Handling a widget message failed.")

        return webhook

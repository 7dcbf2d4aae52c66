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
- A conversation belongs to the browser that started it. Stock Rasa takes whatever
  `session_id` a client sends, with each message and in `session_request`: knowing or
  guessing an id was enough to continue that conversation, or to join its room and
  receive its replies. Here the server mints every session (WidgetSessions: a long random
  id plus a proof, an HMAC of the id with WIDGET_SESSION_SECRET); the widget keeps the
  two as one opaque handle in the browser and shows it to resume. A socket is bound to
  the session it was confirmed, and its messages reach that conversation only. The
  conversation's tracker key is `socketio:<id>`; the proof is stored nowhere.
- Channel metadata keeps only the allowed keys (bot.channels.inbound.metadata).
- A person who comes back to the page (the widget resumes its session) gets a check-in that
  fell due while the page was closed, at once (issue 16, bot.channels.checkin_delivery).
- A session, or a client address, sending faster than a person can has its messages
  refused (bot.channels.rate_limit): the socket gets a `rate_limited` event with the
  seconds to wait, which the widget shows as a notice; the bot never sees the message.
"""
import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple, Union

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot import settings
from bot.channels import inbound, rate_limit
from bot.channels.checkin_delivery import CheckInDelivery
from bot.operations import metrics

logger = logging.getLogger(__name__)

SESSION_KEY_FILE = "var/widget-session.key"


class WidgetSessions:
    """Widget sessions: minted here, resumable only with their proof.

    A handle is `<id>.<proof>`: the id, 24 random bytes (32 URL-safe characters), names
    the conversation; the proof, HMAC-SHA256 of the id under the server's key, shows that
    this server minted it for whoever holds the handle. Every server of a cluster given the
    same key accepts the others' handles; nothing is stored.
    """

    _HANDLE = re.compile(r"([A-Za-z0-9_-]{32})\.([A-Za-z0-9_-]{43})")

    def __init__(self, key: bytes):
        self.key = key

    def _proof(self, session_id: str) -> str:
        digest = hmac.new(self.key, b"widget-session:" + session_id.encode(),
                          hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def mint(self) -> Tuple[str, str]:
        """A new session: (id, handle)."""
        session_id = secrets.token_urlsafe(24)
        return session_id, f"{session_id}.{self._proof(session_id)}"

    def resume(self, handle: Any) -> Optional[str]:
        """The id of the session this handle proves, or None."""
        match = self._HANDLE.fullmatch(handle) if isinstance(handle, str) else None
        if match and hmac.compare_digest(match.group(2), self._proof(match.group(1))):
            return match.group(1)
        return None


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

        checkin_delivery = CheckInDelivery()
        sessions = WidgetSessions(settings.secret_or_local_key("WIDGET_SESSION_SECRET",
                                                               SESSION_KEY_FILE))
        limits = rate_limit.RateLimits.from_environ()

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin and origins != "*" and origin.rstrip("/") not in origins:
                logger.info("A widget connection from a site not in CORS_ORIGINS was refused.")
                return False
            if self.jwt_key:
                from rasa.core.channels.channel import decode_bearer_token

                token = auth.get("token") if isinstance(auth, dict) else None
                if not (token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)):
                    return False
            address = limits.client_address(environ.get("REMOTE_ADDR"),
                                            environ.get("HTTP_X_FORWARDED_FOR"))
            if not self.session_persistence:  # the socket is the conversation
                conversation = inbound.conversation_id(self.name(), sid)
                sio.enter_room(sid, conversation, namespace=self.namespace)
                await sio.save_session(sid, {"conversation": conversation, "handle": None,
                                             "address": address}, namespace=self.namespace)
            else:
                await sio.save_session(sid, {"address": address}, namespace=self.namespace)
            return True

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            if not self.session_persistence:
                await sio.emit("session_confirm", sid, room=sid)
                return
            handle = data.get("session_id") if isinstance(data, dict) else None
            session = sessions.resume(handle)
            returning = session is not None
            if session is None:  # new, forged, or from another key: a fresh conversation
                session, handle = sessions.mint()
            conversation = inbound.conversation_id(self.name(), session)
            bound = await sio.get_session(sid, namespace=self.namespace)
            if bound.get("conversation") and bound["conversation"] != conversation:
                sio.leave_room(sid, bound["conversation"], namespace=self.namespace)
            # python-socketio 5.9's enter_room is synchronous (see requirements.in).
            sio.enter_room(sid, conversation, namespace=self.namespace)
            await sio.save_session(sid, {**bound, "conversation": conversation,
                                         "handle": handle}, namespace=self.namespace)
            await sio.emit("session_confirm", handle, room=sid)
            if returning:  # a check-in that fell due while the page was closed (issue 16)
                await checkin_delivery.before_message(
                    conversation, self.name(), TriageSocketIOOutput(sio, self.bot_message_evt),
                    on_new_message)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            data = data if isinstance(data, dict) else {}
            bound = await sio.get_session(sid, namespace=self.namespace)
            conversation = bound.get("conversation")
            # The socket speaks only in the conversation it was confirmed; a message naming
            # another session (or none) is dropped.
            if conversation is None or (self.session_persistence
                                        and data.get("session_id") != bound.get("handle")):
                logger.debug("A widget message outside its socket's session was ignored.")
                return
            refusal = limits.check(conversation, bound.get("address"))
            if refusal is not None:
                metrics.rate_limited(self.name(), refusal.limit)
                await sio.emit("rate_limited", {"retry_after": refusal.retry_after,
                                                "limit": refusal.limit}, room=sid,
                               namespace=self.namespace)
                return
            try:
                text = inbound.message_text(data.get("message"))
            except inbound.BadInput:
                text = ""  # the bot answers as it does to an empty message
            metadata = inbound.metadata_or_nothing(data.get(self.metadata_key))
            output = TriageSocketIOOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(UserMessage(text, output, conversation,
                                                 input_channel=self.name(),
                                                 metadata=metadata))
            except Exception:  # the socket stays open; the log says where, not what
                logger.exception("Handling a widget message failed.")

        return webhook

"""Who may use a channel's HTTP endpoints: the REST webhook's clients, and staff.

REST (REST_AUTH):
- `open`: anyone who can reach the webhook names any conversation by its sender. For a
  server on 127.0.0.1 (`make run`: scripts/env.sh chooses it when RASA_INTERFACE is a
  loopback address).
- `token` (the default when REST_AUTH is unset): every request carries
  `Authorization: Bearer <credential>`, either REST_TOKEN, for a trusted server-to-server
  client that names conversations by the body's `sender`, or a JWT signed with
  REST_JWT_SECRET (REST_JWT_METHOD, HS256 by default), whose `sub` claim is the only
  conversation its bearer may use (an app gives each of its users such a token). With
  neither secret set, the webhook is closed.

Staff endpoints of a channel (Telegram's set_webhook) need Rasa's API token (RASA_API_TOKEN,
as `?token=`) or a JWT of RASA_JWT_SECRET with the admin role, as Rasa's own HTTP API does.
Secrets come from the environment or a file (bot.settings.secret), never the command line.
"""
from __future__ import annotations

import hmac
import logging
import os
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from bot import settings
from bot.channels import inbound

logger = logging.getLogger(__name__)

REST_MODES = ("open", "token")


class Denied(Exception):
    """A request the endpoint refuses: the HTTP status and a reason for the client."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def bearer(headers: Mapping[str, str]) -> Optional[str]:
    value = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, credential = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))


def _jwt_claims(credential: str, secret: str, method: str) -> Optional[dict]:
    import jwt

    try:
        claims = jwt.decode(credential, secret, algorithms=[method])
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


@dataclass(frozen=True)
class RestAccess:
    mode: str
    token: str = ""
    jwt_secret: str = ""
    jwt_method: str = "HS256"

    @classmethod
    def from_environ(cls, environ=os.environ) -> "RestAccess":
        mode = environ.get("REST_AUTH", "").strip().lower() or "token"
        if mode not in REST_MODES:
            raise settings.ConfigurationError(
                f"REST_AUTH must be one of {', '.join(REST_MODES)}; got {mode!r}")
        access = cls(mode, settings.secret("REST_TOKEN", environ),
                     settings.secret("REST_JWT_SECRET", environ),
                     environ.get("REST_JWT_METHOD", "HS256").strip() or "HS256")
        if access.closed:
            logger.error("REST: the webhook is closed: set REST_TOKEN or REST_JWT_SECRET for "
                         "authenticated clients (or REST_AUTH=open for a server on 127.0.0.1).")
        return access

    @property
    def closed(self) -> bool:
        return self.mode == "token" and not (self.token or self.jwt_secret)

    def subject(self, headers: Mapping[str, str]) -> Optional[str]:
        """Check the request's credential: the JWT's subject, None when the client may name
        any conversation (REST_AUTH=open, or REST_TOKEN), or Denied."""
        if self.mode == "open":
            return None
        if self.closed:
            raise Denied(403, "the REST webhook is closed on this server")
        credential = bearer(headers)
        if credential is None:
            raise Denied(401, "send 'Authorization: Bearer <token>'")
        if self.token and _same(credential, self.token):
            return None
        claims = (_jwt_claims(credential, self.jwt_secret, self.jwt_method)
                  if self.jwt_secret else None)
        if claims is None:
            raise Denied(401, "the token is not valid")
        try:
            return inbound.sender_id(claims.get("sub"))
        except inbound.BadInput:
            raise Denied(401, "the token has no usable 'sub' claim")

    @staticmethod
    def sender(subject: Optional[str], body: Mapping[str, Any]) -> str:
        """The conversation (REST sender) of a request whose credential gave `subject`."""
        if subject is None:
            return inbound.sender_id(body.get("sender"))
        given = body.get("sender")
        if given is not None and str(given) != subject:
            raise Denied(403, "this token is for another conversation")
        return subject


def is_staff(query_token: Optional[str], headers: Mapping[str, str], environ=os.environ) -> bool:
    """True for Rasa's API token (?token=) or an admin JWT of RASA_JWT_SECRET."""
    token = settings.secret("RASA_API_TOKEN", environ)
    if token and query_token and _same(query_token, token):
        return True
    jwt_secret = settings.secret("RASA_JWT_SECRET", environ)
    credential = bearer(headers)
    if jwt_secret and credential:
        claims = _jwt_claims(credential, jwt_secret, environ.get("RASA_JWT_METHOD", "HS256"))
        user = (claims or {}).get("user")
        return isinstance(user, dict) and user.get("role") == "admin"
    return False

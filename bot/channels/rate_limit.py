"""Fair use of one server: per-conversation and per-address rate limits. No Rasa.

One client sending as fast as it can must not slow everyone else down: every message is
NLU, policies and one to three action calls, so a flood of one conversation (or of many
conversations from one address) would queue everybody else's turns behind it. Each
channel asks `RateLimits.check(conversation, address)` before a message reaches the bot;
a refusal costs a dictionary lookup, and the client is told how long to wait (REST: a 429
with Retry-After; the widget: a `rate_limited` event it shows as a friendly notice).

Token buckets (a burst, then a steady rate), kept in this process's memory: in a cluster
each Rasa server keeps its own, so a conversation spread over N servers by the load
balancer gets at most N times the rate; nginx's `limit_req` in front (cluster/) is the
shared per-address limit there, and the cheaper one (refused before Python sees it).

Settings (environment), each "<count>/<second|minute> burst <n>" or "off":
  RATE_LIMIT_SENDER [12/minute burst 30]   one conversation: one message every 5 s after a
                                           burst of 30 (a person answers slower than that
                                           over a conversation; a scripted client may send
                                           a whole triage, up to 25 messages, at once)
  RATE_LIMIT_ADDRESS [120/minute burst 60] one client address, every conversation from it
                                           (several people behind one office or home NAT)
  RATE_LIMIT_EXEMPT [127.0.0.1,::1]        addresses and networks without the per-address
                                           limit (the host's own relays and tests, a trusted
                                           backend); the per-conversation limit still applies
  RATE_LIMIT_TRUSTED_PROXIES []            proxies whose X-Forwarded-For names the client
                                           (the cluster's nginx: 127.0.0.1); from any other
                                           peer the header is ignored, so it cannot be forged
"""
from __future__ import annotations

import ipaddress
import math
import os
import re
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Tuple

DEFAULT_SENDER = "12/minute burst 30"
DEFAULT_ADDRESS = "120/minute burst 60"
DEFAULT_EXEMPT = "127.0.0.1,::1"
# Buckets untouched for this long are full again and forgotten (memory stays bounded by
# the number of clients active in the last few minutes).
_FORGET_AFTER_S = 600.0
_SWEEP_EVERY = 4096

_RULE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute)\s*"
                   r"(?:burst\s+(\d+))?\s*", re.IGNORECASE)


class ConfigurationError(ValueError):
    """A rate-limit setting that cannot be read; the text says which and how to write it."""


@dataclass(frozen=True)
class Rule:
    per_second: float
    burst: int

    @classmethod
    def parse(cls, name: str, text: str) -> Optional["Rule"]:
        """`text` as a rule, None for "off", or ConfigurationError naming the setting."""
        if text.strip().lower() in ("off", "none", "0"):
            return None
        match = _RULE.fullmatch(text)
        if not match or float(match.group(1)) <= 0:
            raise ConfigurationError(
                f"{name}={text!r}: write it as '<count>/<second|minute> burst <n>' "
                f"(e.g. '{DEFAULT_SENDER}') or 'off'")
        count = float(match.group(1))
        per_second = count if match.group(2).lower().startswith("s") else count / 60.0
        burst = int(match.group(3)) if match.group(3) else max(1, math.ceil(count))
        if burst < 1:
            raise ConfigurationError(f"{name}={text!r}: the burst must be at least 1")
        return cls(per_second, burst)


class Buckets:
    """Token buckets by key: `take(key)` is 0.0 when allowed, else seconds to wait."""

    def __init__(self, rule: Rule, clock: Callable[[], float] = time.monotonic):
        self.rule = rule
        self.clock = clock
        self._state: Dict[str, Tuple[float, float]] = {}  # key -> (tokens, at)
        self._calls = 0

    def take(self, key: str) -> float:
        now = self.clock()
        tokens, at = self._state.get(key, (float(self.rule.burst), now))
        tokens = min(float(self.rule.burst), tokens + (now - at) * self.rule.per_second)
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._sweep(now)
        if tokens >= 1.0:
            self._state[key] = (tokens - 1.0, now)
            return 0.0
        self._state[key] = (tokens, now)
        return (1.0 - tokens) / self.rule.per_second

    def refund(self, key: str) -> None:
        """Give back the token of a message that another limit refused."""
        if key in self._state:
            tokens, at = self._state[key]
            self._state[key] = (min(float(self.rule.burst), tokens + 1.0), at)

    def _sweep(self, now: float) -> None:
        stale = [k for k, (_, at) in self._state.items() if now - at > _FORGET_AFTER_S]
        for key in stale:
            del self._state[key]

    def __len__(self) -> int:
        return len(self._state)


@dataclass(frozen=True)
class Refusal:
    """A message refused: which limit, and whole seconds to wait before sending again."""
    limit: str  # "sender" or "address"
    retry_after: int

    @property
    def message(self) -> str:
        return (f"Too many messages: please wait {self.retry_after} s and send it again "
                f"(the {'conversation' if self.limit == 'sender' else 'address'}'s limit).")


def _networks(text: str, name: str) -> List:
    networks = []
    for item in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigurationError(f"{name}: {item!r} is not an IP address or network")
    return networks


def _within(address: str, networks: Iterable) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class RateLimits:
    def __init__(self, sender: Optional[Rule], address: Optional[Rule], exempt: str = "",
                 trusted_proxies: str = "", clock: Callable[[], float] = time.monotonic):
        self.senders = Buckets(sender, clock) if sender else None
        self.addresses = Buckets(address, clock) if address else None
        self.exempt = _networks(exempt, "RATE_LIMIT_EXEMPT")
        self.trusted_proxies = _networks(trusted_proxies, "RATE_LIMIT_TRUSTED_PROXIES")

    @classmethod
    def from_environ(cls, environ=None) -> "RateLimits":
        environ = os.environ if environ is None else environ
        return cls(Rule.parse("RATE_LIMIT_SENDER",
                              environ.get("RATE_LIMIT_SENDER") or DEFAULT_SENDER),
                   Rule.parse("RATE_LIMIT_ADDRESS",
                              environ.get("RATE_LIMIT_ADDRESS") or DEFAULT_ADDRESS),
                   environ.get("RATE_LIMIT_EXEMPT", DEFAULT_EXEMPT),
                   environ.get("RATE_LIMIT_TRUSTED_PROXIES", ""))

    def client_address(self, peer: Optional[str], forwarded_for: Optional[str]) -> str:
        """The client's address: the peer's, or, from a trusted proxy, the last address it
        put in X-Forwarded-For (nginx here sets the header to the address it saw)."""
        peer = peer or ""
        if forwarded_for and self.trusted_proxies and _within(peer, self.trusted_proxies):
            last = forwarded_for.split(",")[-1].strip()
            if last:
                return last
        return peer

    def check(self, conversation: Optional[str], address: Optional[str],
              address_limited: bool = True) -> Optional[Refusal]:
        """None when the message may go on, else the Refusal. A refused message uses up
        nothing of the other limit (a flooding conversation does not also drain the address
        its neighbours share, and an address's refusal gives the conversation its token back)."""
        if self.senders is not None and conversation is not None:
            wait = self.senders.take(conversation)
            if wait:
                return Refusal("sender", max(1, math.ceil(wait)))
        if (address_limited and self.addresses is not None and address
                and not _within(address, self.exempt)):
            wait = self.addresses.take(address)
            if wait:
                if self.senders is not None and conversation is not None:
                    self.senders.refund(conversation)
                return Refusal("address", max(1, math.ceil(wait)))
        return None

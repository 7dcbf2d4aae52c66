"""The Prometheus metrics of the bot's servers (prometheus_client, the project's own client).

Every name starts with `triage_`; labels take a few fixed values only (a channel, a level,
a kind), never anything a client sends, so no client can grow the series without bound.
What each server exports (docs/operations.md lists them with the queries to alert on):

Rasa server (bot.operations.rasa_server), per finished turn:
  triage_messages_total{channel}              messages handled
  triage_turn_seconds{channel}                a turn's time, lock wait included (histogram)
  triage_dispositions_total{disposition}      recommendations given, by level
  triage_fallbacks_total{kind}                "nlu" (not understood), "dialogue" (no next step)
  triage_errors_total{kind}                   "turn_failed" (an exception), "action_failed"
                                              (the person got the service-problem reply)
  triage_rate_limited_total{channel, limit}   messages refused by bot.channels.rate_limit
and, read at each scrape (turn_gauges):
  triage_turns_in_progress                    turns processed now (at most TURNS_AT_ONCE)
  triage_turns_waiting                        turns waiting for a place in line
Action server (bot.operations.action_server), per action call:
  triage_action_calls_total{action, status}   calls by action and HTTP status
  triage_action_seconds{action}               an action's time (histogram)
  triage_errors_total{kind}                   "action_error" (a 5xx answer)
Both also export prometheus_client's process_* (resident memory, CPU, open files) and
python_gc_* series.

Cost: one counter increment is a dictionary lookup and a lock, about a microsecond; a turn
records five or six (measured in docs/operations.md: no difference a turn could show).
"""
from __future__ import annotations

from typing import Callable, Tuple

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

CHANNELS = ("rest", "socketio", "telegram")
DISPOSITIONS = ("emergency", "urgent", "see_doctor", "self_care")
# Seconds: a turn is usually well under a second; the tail under load reaches several.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)

MESSAGES = Counter("triage_messages", "Messages handled by the Rasa server", ["channel"])
TURN_SECONDS = Histogram("triage_turn_seconds", "Time to handle one message (lock wait "
                         "included)", ["channel"], buckets=LATENCY_BUCKETS)
DISPOSITIONS_GIVEN = Counter("triage_dispositions", "Recommendations given", ["disposition"])
FALLBACKS = Counter("triage_fallbacks", "Messages the bot could not place", ["kind"])
ERRORS = Counter("triage_errors", "Turns or calls that failed", ["kind"])
RATE_LIMITED = Counter("triage_rate_limited", "Messages refused by a rate limit",
                       ["channel", "limit"])
ACTION_CALLS = Counter("triage_action_calls", "Action server calls", ["action", "status"])
ACTION_SECONDS = Histogram("triage_action_seconds", "Time to run one action", ["action"],
                           buckets=LATENCY_BUCKETS)


def channel_label(name) -> str:
    return name if name in CHANNELS else "other"


def disposition_label(value) -> str:
    return value if value in DISPOSITIONS else "other"


def exposition() -> tuple:
    """(body, content type) of the text Prometheus scrapes."""
    return generate_latest(), CONTENT_TYPE_LATEST


def rate_limited(channel: str, limit: str) -> None:
    RATE_LIMITED.labels(channel_label(channel), limit).inc()


def turn_gauges(turns_now: Callable[[], Tuple[int, int]]) -> None:
    """The Rasa server's two gauges, read from `turns_now()` at each scrape (made here, on
    request, so that the action server, which shares this module, does not export them)."""
    Gauge("triage_turns_in_progress", "Turns being processed now (at most TURNS_AT_ONCE)"
          ).set_function(lambda: turns_now()[0])
    Gauge("triage_turns_waiting", "Turns waiting for a place in line (TURNS_AT_ONCE reached)"
          ).set_function(lambda: turns_now()[1])

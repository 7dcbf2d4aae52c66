"""GET /health and GET /metrics on the Rasa server, and the metrics of every turn.

Installed by `bot.channels.serve` (every way this project starts a Rasa server goes
through it) before Rasa builds its app; the hooks into Rasa are in
bot.rasa_patches.server_hooks. Rasa's own `GET /` answers a line of text whether or not
anything works, and its `/status` needs the API token and says nothing of the action
server or the stores: /health checks each (bot.operations.health).

Neither route is published by the cluster's nginx (its `location /` is a 404): a
monitor scrapes each server on its own port (docs/operations.md).
"""
from __future__ import annotations

from typing import Any, Optional

from bot.operations import health, metrics
from bot.rasa_patches import server_hooks

SERVICE_PROBLEM = "utter_service_problem"  # bot.rasa_patches.action_failure's reply
_gauges: list = []  # made once a process (prometheus_client refuses a name twice)


def observe_turn(message: Any, seconds: float, tracker: Optional[Any],
                 error: Optional[BaseException]) -> None:
    """Count one finished turn: its channel and time, and what the turn's events say."""
    channel = metrics.channel_label(getattr(message, "input_channel", None))
    metrics.MESSAGES.labels(channel).inc()
    metrics.TURN_SECONDS.labels(channel).observe(seconds)
    if error is not None and not _cancelled(error):
        metrics.ERRORS.labels("turn_failed").inc()
    if tracker is None:
        return
    # This turn's events: from the end back to its user message (about ten events).
    for event in reversed(tracker.events):
        kind = getattr(event, "type_name", None)
        if kind == "bot":
            custom = (event.data or {}).get("custom")
            if isinstance(custom, dict) and "disposition" in custom:
                metrics.DISPOSITIONS_GIVEN.labels(
                    metrics.disposition_label(custom["disposition"])).inc()
            if (event.metadata or {}).get("utter_action") == SERVICE_PROBLEM:
                metrics.ERRORS.labels("action_failed").inc()
        elif kind == "action" and event.action_name == "action_default_fallback":
            metrics.FALLBACKS.labels("dialogue").inc()
        elif kind == "user":
            if (event.intent or {}).get("name") == "nlu_fallback":
                metrics.FALLBACKS.labels("nlu").inc()
            break


def _cancelled(error: BaseException) -> bool:
    import asyncio

    return isinstance(error, asyncio.CancelledError)


def _checks(app) -> dict:
    agent = getattr(app.ctx, "agent", None)

    async def model() -> str:
        if agent is None or not agent.is_ready():
            raise RuntimeError("no model loaded")
        return "loaded"

    async def action_server() -> str:
        endpoint = getattr(agent, "action_endpoint", None)
        if endpoint is None or not endpoint.url:
            raise RuntimeError("no action endpoint configured")
        import aiohttp

        base = endpoint.url.rsplit("/", 1)[0]
        return await health.http_ok(aiohttp.ClientSession, f"{base}/health")

    async def tracker_store() -> str:
        store = getattr(agent, "tracker_store", None)
        if store is None:
            raise RuntimeError("no tracker store")
        engine = health.sql_engine_of(store)
        return await health.select_one(engine) if engine is not None else "in memory"

    async def lock_store() -> str:
        store = getattr(agent, "lock_store", None)
        if store is None:
            raise RuntimeError("no lock store")
        client = getattr(store, "red", None)
        return await health.redis_ping(client) if client is not None else "in memory"

    return {"model": model, "action_server": action_server, "tracker_store": tracker_store,
            "lock_store": lock_store}


def add_routes(app) -> None:
    from sanic import response

    @app.get("/health")
    async def health_route(request):
        body, status = await health.run_checks(_checks(request.app))
        return response.json(body, status=status)

    @app.get("/metrics")
    async def metrics_route(_):
        body, content_type = metrics.exposition()
        return response.raw(body, content_type=content_type)


def install() -> None:
    server_hooks.on_app(add_routes)
    server_hooks.on_turn(observe_turn)
    if not _gauges:
        metrics.turn_gauges(server_hooks.turns_now)
        _gauges.append(True)

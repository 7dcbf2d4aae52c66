"""The action server with /health that checks its database, and /metrics.

    python -m bot.operations.action_server --actions actions --port 5055 [rasa_sdk options]

The same server as `python -m rasa_sdk` (this calls its own main), extended through
rasa_sdk 3.6's supported plugin hook, `attach_sanic_app_extensions(app)`, which its
`endpoint.run` calls with the app before it starts; the plugin is registered here with
rasa_sdk's plugin manager instead of being discovered as a `rasa_sdk_plugins` package.

- GET /health: rasa_sdk's own route answers {"status": "ok"} without looking at anything;
  a request middleware answers it first, with the checks of bot.operations.health: the
  triage records' database (RECORDS_DB_URL, else the tracker's) answers `SELECT 1`.
- GET /metrics: calls, time and failures of each action (bot.operations.metrics).
"""
from __future__ import annotations

import logging
import os
import sys
import time

from bot.operations import health, metrics

logger = logging.getLogger(__name__)

_START = "bot_operations_start"
_records_engine = None


def database_url(environ=os.environ) -> str:
    """The records' database, by bot.storage.database's rule (a test checks they agree:
    this layer cannot import storage)."""
    return (environ.get("RECORDS_DB_URL") or environ.get("TRACKER_DB_URL")
            or "sqlite:///var/tracker.db")


def _engine():
    global _records_engine
    if _records_engine is None:
        import sqlalchemy

        # Its own small engine, for SELECT 1 only: the actions' engine is theirs.
        _records_engine = sqlalchemy.create_engine(database_url(), future=True,
                                                   pool_pre_ping=True)
    return _records_engine


async def database() -> str:
    return await health.select_one(_engine())


class ActionServerPlugin:
    """rasa_sdk's `attach_sanic_app_extensions` hook: middleware for /health and metrics."""

    import pluggy as _pluggy

    hookimpl = _pluggy.HookimplMarker("rasa_sdk")

    @hookimpl
    def attach_sanic_app_extensions(self, app) -> None:
        from sanic import response

        @app.on_request
        async def before(request):
            path = request.path
            if path == "/health":
                body, status = await health.run_checks({"database": database})
                return response.json(body, status=status)
            if path == "/metrics":
                body, content_type = metrics.exposition()
                return response.raw(body, content_type=content_type)
            if path == "/webhook":
                request.ctx.started = time.perf_counter()
            return None

        @app.on_response
        async def after(request, reply):
            started = getattr(request.ctx, "started", None)
            if started is None:
                return
            action = _action_name(request, reply.status)
            metrics.ACTION_CALLS.labels(action, str(reply.status)).inc()
            metrics.ACTION_SECONDS.labels(action).observe(time.perf_counter() - started)
            if reply.status >= 500:
                metrics.ERRORS.labels("action_error").inc()


_KNOWN_ACTIONS: set = set()


def _action_name(request, status: int) -> str:
    """The called action's name, for a label: only names of registered actions (a 404
    means unknown), so a caller cannot grow the series."""
    if status == 404:
        return "unknown"
    try:
        name = (request.json or {}).get("next_action")
    except Exception:  # noqa: BLE001 - a body that is not JSON
        return "unknown"
    if not isinstance(name, str) or len(name) > 64:
        return "unknown"
    if name not in _KNOWN_ACTIONS:
        if len(_KNOWN_ACTIONS) >= 200:
            return "other"
        _KNOWN_ACTIONS.add(name)
    return name


def main() -> None:
    from rasa_sdk.plugin import plugin_manager

    plugin_manager().register(ActionServerPlugin())
    import rasa_sdk.__main__

    sys.argv[0] = "rasa_sdk"
    rasa_sdk.__main__.main()


if __name__ == "__main__":
    main()

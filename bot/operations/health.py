"""Does each thing a turn needs answer? The checks behind GET /health on both servers.

A check is a name and a coroutine that returns a short detail or raises; `run_checks`
runs them side by side, each within CHECK_TIMEOUT_S, and answers with a JSON object that
a load balancer or a monitor reads without parsing words:

    {"status": "ok" | "unavailable",
     "checks": {"model": {"ok": true, "ms": 0.1, "detail": "loaded"}, ...}}

HTTP 200 when every check passed, else 503. A failing check says what kind of failure
(the exception's class, or "timeout"), never a URL with its password, and never anything
of a conversation. The checks touch nothing a person wrote: the tracker store and the
records database get `SELECT 1`, the lock store Redis's PING, the action server its own
/health.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Dict, Optional

CHECK_TIMEOUT_S = 2.0

Check = Callable[[], Awaitable[str]]


async def _timed(check: Check, timeout: float) -> Dict[str, Any]:
    start = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(), timeout)
        ok = True
    except asyncio.TimeoutError:
        ok, detail = False, f"timeout after {timeout:g} s"
    except Exception as error:  # noqa: BLE001 - any failure is an answer here
        ok, detail = False, f"failed ({type(error).__name__})"
    return {"ok": ok, "ms": round(1000 * (time.perf_counter() - start), 1), "detail": detail}


async def run_checks(checks: Dict[str, Check], timeout: float = CHECK_TIMEOUT_S) -> tuple:
    """(body, HTTP status) for these checks."""
    names = list(checks)
    results = await asyncio.gather(*(_timed(checks[n], timeout) for n in names))
    body = {"checks": dict(zip(names, results))}
    healthy = all(r["ok"] for r in results)
    body = {"status": "ok" if healthy else "unavailable", **body}
    return body, 200 if healthy else 503


def sql_engine_of(store: Any) -> Optional[Any]:
    """The SQLAlchemy engine inside a (wrapped) tracker store, or None (in memory)."""
    seen = 0
    while store is not None and seen < 5:
        engine = getattr(store, "engine", None)
        if engine is not None:
            return engine
        store = (getattr(store, "_tracker_store", None)
                 or getattr(store, "tracker_store", None))
        seen += 1
    return None


async def select_one(engine) -> str:
    """`SELECT 1` on the engine, in a worker thread (the driver blocks)."""
    import sqlalchemy

    def query() -> None:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))

    await asyncio.get_running_loop().run_in_executor(None, query)
    return engine.dialect.name


async def redis_ping(client) -> str:
    await asyncio.get_running_loop().run_in_executor(None, client.ping)
    return "redis"


async def http_ok(session_factory, url: str) -> str:
    """GET url answers 2xx (aiohttp)."""
    import aiohttp

    async with session_factory() as session:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=CHECK_TIMEOUT_S)) as r:
            if r.status >= 300:
                raise RuntimeError(f"HTTP {r.status}")
    return "answers"
